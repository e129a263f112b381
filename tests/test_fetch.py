"""fetch_wisdm and fetch_cifar10 against a real HTTP server on 127.0.0.1, started by the tests.

The archives are built here in the real formats (the WISDM raw text at its real member path in
a .tar.gz; CIFAR-10 python pickles in cifar-10-batches-py/ in a .tar.gz), and the pinned
checksums are patched to theirs. No test reaches the internet: every URL points at the
loopback server or at a loopback port nobody listens on.
"""

import dataclasses
import hashlib
import io
import pickle
import socket
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from skiwce.datasets import _fetch, fetch_cifar10, fetch_wisdm, load_wisdm

# --------------------------------------------------------------------------------------------
# Archives in the real formats


def _tar_gz(files):
    """A .tar.gz (bytes) of ``{member path: bytes}``."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def _wisdm_text():
    rows = []
    for user, activity in [(1, "Walking"), (1, "Sitting"), (30, "Walking"), (30, "Sitting")]:
        for t in range(10):
            rows.append(f"{user},{activity},{t},{t}.5,9.8,{user}.0;")
    return ("\n".join(rows) + "\n").encode()


WISDM_TEXT = _wisdm_text()
WISDM_ARCHIVE = _tar_gz(
    {
        "WISDM_ar_v1.1/readme.txt": b"WISDM v1.1\n",
        "WISDM_ar_v1.1/WISDM_ar_v1.1_raw.txt": WISDM_TEXT,
    }
)


def _cifar_archive():
    rng = np.random.RandomState(0)
    files = {"cifar-10-batches-py/batches.meta": pickle.dumps({b"label_names": [b"a", b"b"]})}
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for name in names:
        batch = {
            b"data": rng.randint(0, 256, size=(2, 3072)).astype(np.uint8),
            b"labels": [0, 1],
        }
        files[f"cifar-10-batches-py/{name}"] = pickle.dumps(batch)
    return _tar_gz(files)


CIFAR_ARCHIVE = _cifar_archive()


def _sha256(content):
    return "sha256:" + hashlib.sha256(content).hexdigest()


# --------------------------------------------------------------------------------------------
# A loopback HTTP server


class _Server:
    """What the handler serves: ``files`` by name; ``truncate`` names are cut in half (with
    the whole length announced) the first ``truncate[name]`` times they are asked for."""

    def __init__(self):
        self.files = {}
        self.truncate = {}
        self.requests = []


def _handler(state):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the http.server API)
            name = self.path.lstrip("/")
            state.requests.append(name)
            content = state.files.get(name)
            if content is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/gzip")
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            if state.truncate.get(name, 0) > 0:
                state.truncate[name] -= 1
                self.wfile.write(content[: len(content) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(content)

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture
def server(monkeypatch):
    state = _Server()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    monkeypatch.setenv(_fetch.MIRROR_ENV, f"http://127.0.0.1:{httpd.server_address[1]}/")
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


@pytest.fixture
def dead_port():
    """A loopback port nobody listens on (bound, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch):
    monkeypatch.setattr(_fetch, "_BACKOFF", 0.01)
    monkeypatch.setattr(_fetch, "_TIMEOUT", 5.0)


def _pin(monkeypatch, key, **changes):
    archive = dataclasses.replace(_fetch._ARCHIVES[key], **changes)
    monkeypatch.setitem(_fetch._ARCHIVES, key, archive)
    return archive


@pytest.fixture
def wisdm(server, monkeypatch):
    server.files["WISDM_ar_latest.tar.gz"] = WISDM_ARCHIVE
    return _pin(monkeypatch, "wisdm", checksums=(_sha256(WISDM_ARCHIVE),))


@pytest.fixture
def cifar(server, monkeypatch):
    server.files["cifar-10-python.tar.gz"] = CIFAR_ARCHIVE
    return _pin(
        monkeypatch,
        "cifar10",
        checksums=(_sha256(CIFAR_ARCHIVE), "md5:" + hashlib.md5(CIFAR_ARCHIVE).hexdigest()),
        size=len(CIFAR_ARCHIVE),
    )


def _cache_files(tmp_path):
    return sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))


# --------------------------------------------------------------------------------------------


class TestPins:
    def test_official_pins(self):
        """The recorded pins are well formed; CIFAR-10's are the published ones."""
        cifar = _fetch._ARCHIVES["cifar10"]
        assert cifar.url == "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
        assert "md5:c58f30108f718f92721af3b95e74349a" in cifar.checksums
        assert cifar.size == 170_498_071
        for archive in _fetch._ARCHIVES.values():
            for pin in archive.checksums:
                name, digest = pin.split(":")
                assert name in ("sha256", "md5")
                assert len(digest) == hashlib.new(name).digest_size * 2
            assert archive.pinned_by
        wisdm = _fetch._ARCHIVES["wisdm"]
        assert wisdm.filename == "WISDM_ar_latest.tar.gz" and wisdm.checksums == ()


class TestFetchWisdm:
    def test_download_then_cache(self, wisdm, server, tmp_path, monkeypatch, dead_port):
        bunch = fetch_wisdm(data_home=tmp_path, window=4, step=2)
        assert server.requests == ["WISDM_ar_latest.tar.gz"]
        raw = tmp_path / "skiwce" / "wisdm" / "WISDM_ar_v1.1" / "WISDM_ar_v1.1_raw.txt"
        assert raw.read_bytes() == WISDM_TEXT
        expected = load_wisdm(raw, window=4, step=2)
        np.testing.assert_array_equal(bunch.data, expected.data)
        assert bunch.groups.tolist() == expected.groups.tolist() and len(bunch.groups) == 16
        # The archive is deleted once unpacked; the record says what was downloaded.
        cache = tmp_path / "skiwce" / "wisdm"
        assert sorted(p.name for p in cache.iterdir()) == ["WISDM_ar_v1.1", "download.json"]
        assert hashlib.sha256(WISDM_ARCHIVE).hexdigest() in (cache / "download.json").read_text()
        # A second call touches no network, even with the mirror unreachable.
        monkeypatch.setenv(_fetch.MIRROR_ENV, f"http://127.0.0.1:{dead_port}")
        X, y = fetch_wisdm(data_home=tmp_path, window=4, step=2, return_X_y=True)
        assert server.requests == ["WISDM_ar_latest.tar.gz"]
        np.testing.assert_array_equal(X, bunch.data)
        assert y.tolist() == bunch.target.tolist()

    def test_unpinned_archive_is_checked_by_its_content(self, server, tmp_path, monkeypatch):
        """With no checksum (the official WISDM pin), an archive without the raw file is
        refused and nothing is left."""
        _pin(monkeypatch, "wisdm", checksums=())
        server.files["WISDM_ar_latest.tar.gz"] = _tar_gz({"other/file.txt": b"x"})
        with pytest.raises(OSError, match="does not hold WISDM_ar_v1.1/ with") as info:
            fetch_wisdm(data_home=tmp_path)
        assert str(info.value).endswith("WISDM_ar_latest.tar.gz; nothing was kept.")
        assert _cache_files(tmp_path) == ["skiwce", "skiwce/wisdm"]

    def test_not_an_archive(self, server, tmp_path, monkeypatch):
        """An error page served as the archive (no checksum to catch it) is not kept."""
        _pin(monkeypatch, "wisdm", checksums=())
        server.files["WISDM_ar_latest.tar.gz"] = b"<html>Service unavailable</html>"
        with pytest.raises(OSError, match=r"Could not unpack .*(ReadError|not a gzip)"):
            fetch_wisdm(data_home=tmp_path)
        assert _cache_files(tmp_path) == ["skiwce", "skiwce/wisdm"]

    def test_bad_window_downloads_nothing(self, wisdm, server, tmp_path):
        with pytest.raises(ValueError, match="window must be an integer >= 1"):
            fetch_wisdm(data_home=tmp_path, window=0)
        assert server.requests == []


class TestFetchCifar10:
    def test_download_verify_and_cache(self, cifar, server, tmp_path, monkeypatch, dead_port):
        bunch = fetch_cifar10(data_home=tmp_path, subset="all")
        assert bunch.data.shape == (10, 3, 32, 32) and bunch.data_test.shape == (2, 3, 32, 32)
        assert bunch.target_names.tolist() == ["a", "b"]
        assert server.requests == ["cifar-10-python.tar.gz"]
        monkeypatch.setenv(_fetch.MIRROR_ENV, f"http://127.0.0.1:{dead_port}")
        X, y = fetch_cifar10(data_home=tmp_path, subset="test", return_X_y=True)
        np.testing.assert_array_equal(X, bunch.data_test)
        assert server.requests == ["cifar-10-python.tar.gz"]

    @pytest.mark.parametrize("pin", ["sha256", "md5", "size"])
    def test_wrong_checksum(self, cifar, server, tmp_path, monkeypatch, pin):
        if pin == "size":
            _pin(monkeypatch, "cifar10", size=cifar.size + 1)
        else:
            wrong = tuple(
                c if not c.startswith(pin) else f"{pin}:" + "0" * len(c.split(":")[1])
                for c in cifar.checksums
            )
            _pin(monkeypatch, "cifar10", checksums=wrong)
        match = "bytes; the CIFAR-10" if pin == "size" else f"has {pin} [0-9a-f]+; the CIFAR-10"
        with pytest.raises(OSError, match=match) as info:
            fetch_cifar10(data_home=tmp_path)
        assert "Nothing was kept" in str(info.value)
        assert server.requests == ["cifar-10-python.tar.gz"]  # not retried
        assert _cache_files(tmp_path) == ["skiwce", "skiwce/cifar10"]

    def test_interrupted_download_is_retried(self, cifar, server, tmp_path):
        server.truncate["cifar-10-python.tar.gz"] = 2
        X, _ = fetch_cifar10(data_home=tmp_path, subset="test", return_X_y=True)
        assert X.shape == (2, 3, 32, 32)
        assert server.requests == ["cifar-10-python.tar.gz"] * 3

    def test_interrupted_download_keeps_nothing(self, cifar, server, tmp_path):
        server.truncate["cifar-10-python.tar.gz"] = 100
        with pytest.raises(OSError, match=r"4 tries; last error: IncompleteRead") as info:
            fetch_cifar10(data_home=tmp_path)
        assert server.requests == ["cifar-10-python.tar.gz"] * 4
        assert _cache_files(tmp_path) == ["skiwce", "skiwce/cifar10"]
        assert "cifar-10-python.tar.gz" in str(info.value)

    def test_not_found_is_not_retried(self, cifar, server, tmp_path):
        del server.files["cifar-10-python.tar.gz"]
        with pytest.raises(OSError, match=r"\(1 try; last error: HTTPError: Not Found\)"):
            fetch_cifar10(data_home=tmp_path)
        assert server.requests == ["cifar-10-python.tar.gz"]

    def test_bad_subset_downloads_nothing(self, cifar, server, tmp_path):
        with pytest.raises(ValueError, match="subset must be one of"):
            fetch_cifar10(data_home=tmp_path, subset="valid")
        assert server.requests == []


class TestOffline:
    def test_unreachable_without_cache(self, cifar, tmp_path, monkeypatch, dead_port):
        url = f"http://127.0.0.1:{dead_port}"
        monkeypatch.setenv(_fetch.MIRROR_ENV, url)
        with pytest.raises(OSError) as info:
            fetch_cifar10(data_home=tmp_path)
        message = str(info.value)
        target = tmp_path / "skiwce" / "cifar10" / "cifar-10-python.tar.gz"
        assert f"from {url}/cifar-10-python.tar.gz (4 tries" in message
        assert f"put the file, unchanged, at '{target}'" in message
        # The file to download by hand is the official one, whatever the mirror.
        assert "download https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz (" in message
        assert "SKIWCE_DATA_MIRROR" in message
        assert _cache_files(tmp_path) == ["skiwce", "skiwce/cifar10"]

    def test_download_if_missing_false(self, wisdm, server, tmp_path):
        with pytest.raises(OSError) as info:
            fetch_wisdm(data_home=tmp_path, download_if_missing=False)
        message = str(info.value)
        assert "download_if_missing=False" in message
        assert "WISDM_ar_latest.tar.gz" in message and "http://127.0.0.1:" in message
        assert str(tmp_path / "skiwce" / "wisdm" / "WISDM_ar_latest.tar.gz") in message
        assert server.requests == []

    def test_official_url_in_the_message(self, tmp_path, monkeypatch):
        monkeypatch.delenv(_fetch.MIRROR_ENV, raising=False)
        with pytest.raises(OSError, match="https://www.cs.toronto.edu/~kriz/cifar-10-python"):
            fetch_cifar10(data_home=tmp_path, download_if_missing=False)

    def test_placed_by_hand(self, cifar, tmp_path, monkeypatch, dead_port):
        """An archive put where the message says is verified and unpacked, offline."""
        monkeypatch.setenv(_fetch.MIRROR_ENV, f"http://127.0.0.1:{dead_port}")
        cache = tmp_path / "skiwce" / "cifar10"
        cache.mkdir(parents=True)
        (cache / "cifar-10-python.tar.gz").write_bytes(CIFAR_ARCHIVE)
        X, _ = fetch_cifar10(data_home=tmp_path, download_if_missing=False, return_X_y=True)
        assert X.shape == (10, 3, 32, 32)
        assert not (cache / "cifar-10-python.tar.gz").exists()

    def test_wrong_file_placed_by_hand(self, cifar, tmp_path):
        cache = tmp_path / "skiwce" / "cifar10"
        cache.mkdir(parents=True)
        (cache / "cifar-10-python.tar.gz").write_bytes(WISDM_ARCHIVE)
        with pytest.raises(OSError, match="it is not the pinned file. Delete it"):
            fetch_cifar10(data_home=tmp_path)
        assert (cache / "cifar-10-python.tar.gz").exists()  # the user's file is not deleted

    def test_unpinned_wrong_file_placed_by_hand(self, tmp_path, monkeypatch):
        _pin(monkeypatch, "wisdm", checksums=())
        cache = tmp_path / "skiwce" / "wisdm"
        cache.mkdir(parents=True)
        (cache / "WISDM_ar_latest.tar.gz").write_bytes(CIFAR_ARCHIVE)
        with pytest.raises(OSError, match="not the WISDM v1.1 archive. Delete it to download"):
            fetch_wisdm(data_home=tmp_path, download_if_missing=False)
        assert (cache / "WISDM_ar_latest.tar.gz").exists()

    def test_file_mirror(self, cifar, tmp_path, monkeypatch):
        mirror = tmp_path / "mirror"
        mirror.mkdir()
        (mirror / "cifar-10-python.tar.gz").write_bytes(CIFAR_ARCHIVE)
        monkeypatch.setenv(_fetch.MIRROR_ENV, mirror.as_uri())
        X, _ = fetch_cifar10(data_home=tmp_path / "home", subset="test", return_X_y=True)
        assert X.shape == (2, 3, 32, 32)


# --------------------------------------------------------------------------------------------
# load_dataset and the command line fetch on first use


def _wisdm_long_archive():
    rng = np.random.RandomState(0)
    rows = []
    for user in (1, 30):
        for activity in ("Walking", "Sitting"):
            for t in range(120):
                x, y, z = rng.normal(size=3) + (activity == "Walking")
                rows.append(f"{user},{activity},{t},{x:.3f},{y:.3f},{z:.3f};")
    text = ("\n".join(rows) + "\n").encode()
    return _tar_gz({"WISDM_ar_v1.1/WISDM_ar_v1.1_raw.txt": text})


def _cifar_ten_classes_archive():
    rng = np.random.RandomState(1)
    names = [f"class{i}".encode() for i in range(10)]
    files = {"cifar-10-batches-py/batches.meta": pickle.dumps({b"label_names": names})}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        data = rng.randint(0, 256, size=(10, 3072)).astype(np.uint8)
        files[f"cifar-10-batches-py/{name}"] = pickle.dumps(
            {b"data": data, b"labels": list(range(10))}
        )
    return _tar_gz(files)


@pytest.fixture
def data_home(tmp_path, monkeypatch):
    """scikit-learn's data home, where load_dataset and the CLI cache their downloads."""
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(tmp_path / "data_home"))
    return tmp_path / "data_home"


class TestLoadDatasetFetches:
    def test_wisdm(self, server, monkeypatch, data_home):
        from skiwce.datasets import load_dataset

        archive = _wisdm_long_archive()
        server.files["WISDM_ar_latest.tar.gz"] = archive
        _pin(monkeypatch, "wisdm", checksums=(_sha256(archive),))
        data = load_dataset("wisdm")
        # 120 records give 2 windows of 80 with hop 40, per user and activity.
        assert data.data.shape == (4, 3, 80) and data.data_test.shape == (4, 3, 80)
        assert data.groups.tolist() == [1] * 4 and data.groups_test.tolist() == [30] * 4
        assert data.target_names.tolist() == ["Sitting", "Walking"]
        assert data.target.dtype == np.int64 and data.target.tolist() == [1, 1, 0, 0]
        assert (data_home / "skiwce" / "wisdm" / "WISDM_ar_v1.1").is_dir()

    def test_cifar10_lt(self, server, monkeypatch, data_home):
        from skiwce.datasets import load_dataset

        archive = _cifar_ten_classes_archive()
        server.files["cifar-10-python.tar.gz"] = archive
        _pin(monkeypatch, "cifar10", checksums=(_sha256(archive),), size=len(archive))
        data = load_dataset("cifar10_lt", random_state=0)
        # 5 training images per class; classes 5-9 keep int(5 / 20) -> at least 1.
        assert np.bincount(data.target).tolist() == [5] * 5 + [1] * 5
        assert data.data.dtype == np.float32 and 0 <= data.data.min() <= data.data.max() <= 1
        assert data.data_test.shape == (10, 3, 32, 32)
        assert data.target_names.tolist()[:2] == ["class0", "class1"]

    def test_unknown_name_lists_the_fetched_ones(self):
        from skiwce.datasets import load_dataset

        with pytest.raises(ValueError, match=r"on first use, \['cifar10_lt', 'wisdm'\]"):
            load_dataset("cifar10")


class TestCommandLine:
    @pytest.mark.slow  # 2-4 s on 2 cores: a real (one-epoch) comparison runs
    def test_compare_fetches_wisdm_on_first_use(
        self, server, monkeypatch, data_home, tmp_path, capsys
    ):
        from skiwce.cli import main

        archive = _wisdm_long_archive()
        server.files["WISDM_ar_latest.tar.gz"] = archive
        _pin(monkeypatch, "wisdm", checksums=(_sha256(archive),))
        argv = ["compare", "--dataset", "wisdm", "--methods", "ce", "--epochs", "1"]
        argv += ["--seeds", "1", "--no-plots", "--no-progress", "--out", str(tmp_path / "out")]
        assert main(argv) == 0
        assert server.requests == ["WISDM_ar_latest.tar.gz"]
        assert "## wisdm: WISDM v1.1" in capsys.readouterr().out
        from skiwce.datasets import load_dataset

        assert len(load_dataset("wisdm").target) == 4  # later runs read the cache
        assert server.requests == ["WISDM_ar_latest.tar.gz"]

    def test_compare_offline_says_what_to_do(self, monkeypatch, data_home, dead_port, capsys):
        from skiwce.cli import main

        monkeypatch.setenv(_fetch.MIRROR_ENV, f"http://127.0.0.1:{dead_port}")
        assert main(["compare", "--dataset", "cifar10_lt", "--methods", "ce"]) == 2
        err = capsys.readouterr().err
        assert err.startswith("skiwce compare: error: --dataset cifar10_lt: Could not download")
        assert str(data_home / "skiwce" / "cifar10" / "cifar-10-python.tar.gz") in err

    def test_datasets_lists_the_fetched_ones(self, capsys):
        from skiwce.cli import main

        assert main(["datasets"]) == 0
        out = capsys.readouterr().out
        assert "wisdm " in out and "cifar10_lt " in out and "Downloaded on first use" in out


class TestReproduceScript:
    """benchmarks/paper/reproduce.py wisdm runs from nothing: it downloads on first use."""

    @staticmethod
    def _main():
        import runpy
        from pathlib import Path

        path = Path(__file__).resolve().parents[1] / "benchmarks" / "paper" / "reproduce.py"
        return runpy.run_path(str(path), run_name="benchmark_under_test")["main"]

    @pytest.mark.slow  # trains the HAR network for 3 epochs
    def test_wisdm_from_nothing(self, server, monkeypatch, tmp_path, capsys):
        archive = _wisdm_long_archive()
        server.files["WISDM_ar_latest.tar.gz"] = archive
        _pin(monkeypatch, "wisdm", checksums=(_sha256(archive),))
        out = tmp_path / "wisdm.md"
        argv = ["wisdm", "--quick", "--seeds", "1", "--data-home", str(tmp_path / "home")]
        argv += ["--only", "CNN+CE", "IWCE T=20", "--out", str(out)]
        self._main()(argv)
        assert server.requests == ["WISDM_ar_latest.tar.gz"]
        text = out.read_text()
        assert "> WISDM v1.1, users 1-28 train, 29-36 test." in text
        assert "| CNN+CE |" in text and "| IWCE T=20 |" in text

    def test_offline_says_what_to_do(self, monkeypatch, tmp_path, dead_port, capsys):
        monkeypatch.setenv(_fetch.MIRROR_ENV, f"http://127.0.0.1:{dead_port}")
        home = tmp_path / "home"
        with pytest.raises(SystemExit) as info:
            self._main()(["cifar10", "--data-home", str(home), "--out", str(tmp_path / "c.md")])
        assert info.value.code == 1
        err = capsys.readouterr().err
        assert "cifar10: Could not download CIFAR-10 (python version) from http://127.0" in err
        assert str(home / "skiwce" / "cifar10" / "cifar-10-python.tar.gz") in err
        assert not (tmp_path / "c.md").exists()
