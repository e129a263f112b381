"""How long fetch_wisdm and fetch_cifar10 take once the bytes are here: verify, unpack, load.

No network is used: the script builds archives of the real layout and size (random content:
the WISDM raw file's 1 098 207 records of 6 fields; the CIFAR-10 python batches' 50 000 + 10 000
images), serves them from a ``file://`` mirror (``SKIWCE_DATA_MIRROR``) with their checksums
pinned, and times, into an empty cache:

- the first call: copy through the download code (a temporary file, hashed while it is written,
  renamed when verified), unpack, delete the archive, then load the arrays;
- a second call: the arrays from the cache.

The download itself depends on the link and is not measured (the archives' sizes are in the
report). Writes ``benchmarks/results/fetch_timing.md``.

    python benchmarks/fetch_timing.py
"""

import argparse
import dataclasses
import hashlib
import io
import os
import pickle
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np

from skiwce.datasets import _fetch, fetch_cifar10, fetch_wisdm

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _provenance import git_commit, machine  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
ACTIVITIES = ["Walking", "Jogging", "Upstairs", "Downstairs", "Sitting", "Standing"]


def _add(tar, name, content):
    info = tarfile.TarInfo(name)
    info.size = len(content)
    tar.addfile(info, io.BytesIO(content))


def wisdm_archive(path, n_records=1_098_207, seed=0):
    """Records ``user,activity,timestamp,x,y,z;`` in runs of one user and activity."""
    rng = np.random.RandomState(seed)
    users = np.repeat(np.arange(1, 37), -(-n_records // 36))[:n_records]
    runs = np.arange(n_records) // 3000
    activity = np.array(ACTIVITIES)[runs % len(ACTIVITIES)]
    stamps = 49105962326000 + np.arange(n_records) * 50_000_000
    xyz = rng.normal(0, 5, size=(n_records, 3))
    lines = [
        f"{u},{a},{t},{x:.7g},{y:.7g},{z:.7g};"
        for u, a, t, (x, y, z) in zip(users, activity, stamps, xyz, strict=True)
    ]
    raw = ("\n".join(lines) + "\n").encode()
    with tarfile.open(path, "w:gz") as tar:
        _add(tar, "WISDM_ar_v1.1/WISDM_ar_v1.1_raw.txt", raw)
        _add(tar, "WISDM_ar_v1.1/readme.txt", b"synthetic\n")
    return len(raw)


def cifar_archive(path, seed=0):
    rng = np.random.RandomState(seed)
    names = [b"airplane", b"automobile", b"bird", b"cat", b"deer"]
    names += [b"dog", b"frog", b"horse", b"ship", b"truck"]
    size = 0
    with tarfile.open(path, "w:gz") as tar:
        meta = pickle.dumps({b"label_names": names})
        _add(tar, "cifar-10-batches-py/batches.meta", meta)
        for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
            batch = {
                b"data": rng.randint(0, 256, size=(10000, 3072), dtype=np.uint8),
                b"labels": rng.randint(0, 10, size=10000).tolist(),
            }
            content = pickle.dumps(batch)
            size += len(content)
            _add(tar, f"cifar-10-batches-py/{name}", content)
    return size + len(meta)


def _pin(key, path):
    content = Path(path).read_bytes()
    archive = dataclasses.replace(
        _fetch._ARCHIVES[key],
        checksums=(
            "sha256:" + hashlib.sha256(content).hexdigest(),
            "md5:" + hashlib.md5(content).hexdigest(),
        ),
        size=len(content),
    )
    _fetch._ARCHIVES[key] = archive


def _time(call):
    start = time.perf_counter()
    result = call()
    return time.perf_counter() - start, result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(RESULTS / "fetch_timing.md"))
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        mirror = tmp / "mirror"
        mirror.mkdir()
        os.environ[_fetch.MIRROR_ENV] = mirror.as_uri()
        for key, build, fetch, kwargs in [
            ("wisdm", wisdm_archive, fetch_wisdm, {}),
            ("cifar10", cifar_archive, fetch_cifar10, {"subset": "all"}),
        ]:
            path = mirror / _fetch._ARCHIVES[key].filename
            unpacked = build(path)
            _pin(key, path)
            home = tmp / f"home_{key}"
            first, data = _time(lambda f=fetch, h=home, k=kwargs: f(data_home=h, **k))
            second, _ = _time(lambda f=fetch, h=home, k=kwargs: f(data_home=h, **k))
            rows.append(
                (key, path.stat().st_size, unpacked, first, second, tuple(data.data.shape))
            )
            print(rows[-1], flush=True)
    lines = [
        "# fetch_wisdm and fetch_cifar10: verify, unpack and load, without the download",
        "",
        "Command: `python benchmarks/fetch_timing.py`  ",
        f"Commit {git_commit()}; {machine()}.",
        "",
        "Synthetic archives of the real layout and shapes (random content, so their sizes are "
        "near, not equal to, the official ones: CIFAR-10's python archive is 170 498 071 "
        "bytes). Served from a file:// mirror, so the first call's time is the local copy "
        "through the download code (hashed as it is written), SHA-256 and MD5 checks, "
        "unpacking and loading; the download over the network comes on top and depends on "
        "the link.",
        "",
        "| data set | archive (MB) | unpacked (MB) | first call (s) | cached call (s) | data |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for key, size, unpacked, first, second, shape in rows:
        lines.append(
            f"| {key} | {size / 1e6:.1f} | {unpacked / 1e6:.1f} | {first:.1f} | {second:.1f} "
            f"| {shape} |"
        )
    text = "\n".join(lines) + "\n"
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
