"""Download, verify, unpack and cache the paper's WISDM and CIFAR-10 archives.

:func:`fetch_wisdm` and :func:`fetch_cifar10` work as scikit-learn's ``fetch_*`` functions do:
the first call downloads the official archive into ``get_data_home()``, checks it and unpacks it
once; later calls read the cache and never touch the network.

How a download is made safe: the bytes go to a temporary file beside the cache (a name starting
with ``.`` and ending in ``.part``), hashed while they arrive; only a transfer that is complete
(as long as the server's Content-Length and the pinned size) and matches the pinned checksums is
renamed into place. A failed or interrupted transfer is retried a few times with a doubling
pause; a wrong checksum is not retried. The archive is unpacked into a temporary folder that is
renamed into place when whole, then deleted. So the cache holds either nothing or a complete,
verified copy.

The standard library's ``urllib`` does the HTTP (as in scikit-learn's own fetchers), with
:mod:`hashlib` and a :mod:`tqdm` bar: pooch would do the same but is not a dependency of skiwce,
and scikit-learn's helper is private, checks SHA-256 only and shows no progress.
"""

import hashlib
import http.client
import json
import os
import shutil
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from sklearn.datasets import get_data_home
from tqdm.auto import tqdm

from .._version import __version__
from ._cifar import _FOLDER as _CIFAR_FOLDER
from ._cifar import _META_FILE, _TEST_FILES, _TRAIN_FILES, SUBSETS, load_cifar10
from ._wisdm import _check_window, load_wisdm

#: Environment variable: a base URL (``https://``, ``http://`` or ``file://``) that holds the
#: archives under their official file names, used instead of the official sites.
MIRROR_ENV = "SKIWCE_DATA_MIRROR"

_HASHES = ("sha256", "md5")
_CHUNK = 1 << 20
_N_RETRIES = 3  # tries after the first
_BACKOFF = 1.0  # seconds before the first retry, doubled before each next one
_TIMEOUT = 60.0  # seconds without a byte before a try fails


@dataclass(frozen=True)
class _Archive:
    """An official archive, how it is pinned, and what it unpacks to."""

    title: str
    url: str
    checksums: tuple  # ("sha256:<hex>", "md5:<hex>"), every one checked; may be empty
    size: int | None  # bytes, when known
    folder: str  # the folder the archive holds
    files: tuple  # files of that folder a complete unpacking has
    pinned_by: str

    @property
    def filename(self):
        return self.url.rsplit("/", 1)[-1]


_ARCHIVES = {
    "wisdm": _Archive(
        title="WISDM v1.1",
        url="https://www.cis.fordham.edu/wisdm/includes/datasets/latest/WISDM_ar_latest.tar.gz",
        checksums=(),
        size=None,
        folder="WISDM_ar_v1.1",
        files=("WISDM_ar_v1.1_raw.txt",),
        pinned_by=(
            "nothing: the WISDM lab publishes no checksum and none was found in public code "
            "(tensorflow-datasets and Keras do not carry WISDM v1.1). The archive must unpack "
            "to WISDM_ar_v1.1/WISDM_ar_v1.1_raw.txt, which load_wisdm then parses; the SHA-256 "
            "and size of what was downloaded are recorded in download.json beside it."
        ),
    ),
    "cifar10": _Archive(
        title="CIFAR-10 (python version)",
        url="https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
        checksums=(
            "sha256:6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
            "md5:c58f30108f718f92721af3b95e74349a",
        ),
        size=170_498_071,
        folder=_CIFAR_FOLDER,
        files=(_META_FILE, *_TRAIN_FILES, *_TEST_FILES),
        pinned_by=(
            "the MD5 its authors publish on the CIFAR page (also in torchvision), and the "
            "SHA-256 and size recorded by Keras (keras.datasets.cifar10) and "
            "tensorflow-datasets' URL checksums"
        ),
    ),
}


class _ChecksumError(OSError):
    """The bytes arrived whole but are not the pinned archive; retrying will not help."""


class _ArchiveError(OSError):
    """The archive cannot be unpacked, or does not hold what it should."""


def _url(archive):
    mirror = os.environ.get(MIRROR_ENV, "").strip()
    return f"{mirror.rstrip('/')}/{archive.filename}" if mirror else archive.url


def _cache_dir(key, data_home):
    return Path(get_data_home(data_home)) / "skiwce" / key


def _is_complete(folder, archive):
    return all((folder / name).is_file() for name in archive.files)


def _describe(archive):
    """The archive's size and checksums, for messages."""
    parts = [f"{archive.size:,} bytes"] if archive.size else []
    parts += [c.replace(":", " ", 1) for c in archive.checksums]
    return f" ({', '.join(parts)})" if parts else ""


def _place_by_hand(archive, cache):
    return (
        f"To install it by hand, download {archive.url}{_describe(archive)} on a machine that can "
        f"reach it and put the file, unchanged, at '{cache / archive.filename}': the next call "
        "verifies and unpacks it without the network. Or set the environment variable "
        f"{MIRROR_ENV} to a base URL (https://, http:// or file://) that holds "
        f"{archive.filename}."
    )


def _digests():
    return {name: hashlib.new(name) for name in _HASHES}


def _check(archive, digests, n_bytes, source):
    """Raise _ChecksumError unless the bytes match the pinned size and checksums."""
    if archive.size is not None and n_bytes != archive.size:
        raise _ChecksumError(
            f"{source} has {n_bytes:,} bytes; the {archive.title} archive has "
            f"{archive.size:,}: it is not the pinned file."
        )
    for pin in archive.checksums:
        name, expected = pin.split(":", 1)
        got = digests[name].hexdigest()
        if got != expected.lower():
            raise _ChecksumError(
                f"{source} has {name} {got}; the {archive.title} archive has {expected}: it is "
                "corrupt or not the pinned file."
            )


def _verify_file(path, archive):
    digests = _digests()
    n_bytes = 0
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            n_bytes += len(chunk)
            for digest in digests.values():
                digest.update(chunk)
    _check(archive, digests, n_bytes, f"'{path}'")
    return digests, n_bytes


def _transfer(url, out, archive):
    """One try: stream ``url`` into the open file ``out``; return (digests, n_bytes)."""
    digests = _digests()
    n_bytes = 0
    request = urllib.request.Request(url, headers={"User-Agent": f"skiwce/{__version__}"})
    with urllib.request.urlopen(request, timeout=_TIMEOUT) as response:
        length = response.headers.get("Content-Length")
        length = int(length) if length and length.isdigit() else None
        with tqdm(
            total=length or archive.size,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            desc=archive.filename,
            leave=False,
        ) as bar:
            while chunk := response.read(_CHUNK):
                out.write(chunk)
                n_bytes += len(chunk)
                for digest in digests.values():
                    digest.update(chunk)
                bar.update(len(chunk))
    if length is not None and n_bytes != length:
        # urllib returns what came before the connection closed, without an error.
        raise http.client.IncompleteRead(b"", length - n_bytes)
    return digests, n_bytes


def _download(archive, path, url):
    """Download ``url`` to ``path`` through a temporary file; retry with a doubling pause."""
    path.parent.mkdir(parents=True, exist_ok=True)
    last = None
    for attempt in range(_N_RETRIES + 1):
        if attempt:
            time.sleep(_BACKOFF * 2 ** (attempt - 1))
        fd, tmp = tempfile.mkstemp(prefix=f".{archive.filename}.", suffix=".part", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                digests, n_bytes = _transfer(url, out, archive)
            _check(archive, digests, n_bytes, f"The download from {url}")
            os.replace(tmp, path)
            return digests, n_bytes
        except urllib.error.HTTPError as exc:
            exc.close()  # the error holds the response, and its socket
            last = exc
            if exc.code < 500:  # not found, forbidden...: asking again will not help
                break
        except (OSError, http.client.HTTPException) as exc:
            if isinstance(exc, _ChecksumError):
                raise _ChecksumError(f"{exc} Nothing was kept.") from None
            last = exc
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    tries = attempt + 1
    reason = getattr(last, "reason", None) or last
    raise OSError(
        f"Could not download {archive.title} from {url} ({tries} "
        f"{'try' if tries == 1 else 'tries'}; last error: {type(last).__name__}: {reason}). "
        + _place_by_hand(archive, path.parent)
    ) from last


def _safe_members(tar, root):
    """The members of ``tar``, refusing any that would land outside ``root`` or are links."""
    root = os.path.realpath(root)
    for member in tar.getmembers():
        target = os.path.realpath(os.path.join(root, member.name))
        if not (member.isfile() or member.isdir()) or os.path.commonpath([root, target]) != root:
            raise OSError(f"Refusing to unpack the archive member {member.name!r}.")
        yield member


def _unpack(path, cache, archive):
    """Unpack ``path`` into ``cache / archive.folder`` through a temporary folder."""
    target = cache / archive.folder
    tmp = Path(tempfile.mkdtemp(prefix=".unpack-", dir=cache))
    try:
        try:
            with tarfile.open(path, "r:*") as tar:
                if hasattr(tarfile, "data_filter"):
                    tar.extractall(tmp, filter="data")
                else:  # Python < 3.10.12 / 3.11.4
                    tar.extractall(tmp, members=list(_safe_members(tar, tmp)))
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise _ArchiveError(
                f"Could not unpack '{path}' ({type(exc).__name__}: {exc})."
            ) from exc
        found = [tmp / archive.folder] + sorted(tmp.glob(f"*/{archive.folder}"))
        found = [folder for folder in found if _is_complete(folder, archive)]
        if not found:
            raise _ArchiveError(
                f"The archive '{path}' does not hold {archive.folder}/ with "
                f"{', '.join(archive.files)}; it is not the {archive.title} archive."
            )
        if target.exists():  # a folder left incomplete by hand; ours are renamed whole
            shutil.rmtree(target)
        try:
            os.replace(found[0], target)
        except OSError:
            if not _is_complete(target, archive):  # else another process unpacked it first
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _fetch(key, data_home, download_if_missing):
    """The unpacked folder of archive ``key`` in the cache, downloaded first if need be."""
    archive = _ARCHIVES[key]
    cache = _cache_dir(key, data_home)
    folder = cache / archive.folder
    if _is_complete(folder, archive):
        return folder
    path = cache / archive.filename
    url = _url(archive)
    placed = path.is_file()  # a copy put there by hand, or a download whose unpacking stopped
    if placed:
        try:
            digests, n_bytes = _verify_file(path, archive)
        except _ChecksumError as exc:
            raise OSError(
                f"{exc} Delete it, then call again to download it or put the right file there."
            ) from None
    elif not download_if_missing:
        raise OSError(
            f"{archive.title} is not in the cache '{cache}' and download_if_missing=False. "
            f"Call again with download_if_missing=True to download it from {url}. "
            + _place_by_hand(archive, cache)
        )
    else:
        digests, n_bytes = _download(archive, path, url)
    try:
        _unpack(path, cache, archive)
    except _ArchiveError as exc:
        if placed:
            raise _ArchiveError(f"{exc} Delete it to download it again.") from None
        path.unlink()  # e.g. an error page, where no checksum is pinned
        raise _ArchiveError(f"{exc} It came from {url}; nothing was kept.") from None
    record = {
        "title": archive.title,
        "url": url,
        "file": archive.filename,
        "bytes": n_bytes,
        **{name: digests[name].hexdigest() for name in _HASHES},
        "pinned_by": archive.pinned_by,
        "unpacked": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "skiwce": __version__,
    }
    (cache / "download.json").write_text(json.dumps(record, indent=1) + "\n")
    path.unlink()
    return folder


#: The data sets of ``load_dataset`` that are downloaded, and the archive each needs.
_DATASET_ARCHIVES = {"wisdm": "wisdm", "cifar10_lt": "cifar10"}


def _prefetch(name, data_home=None):
    """Download and unpack the archive the data set ``name`` needs, unless it is cached."""
    _fetch(_DATASET_ARCHIVES[name], data_home, True)


def fetch_wisdm(*, data_home=None, download_if_missing=True, window=80, step=40, return_X_y=False):
    """Load WISDM v1.1 as fixed-length windows, downloading it on first use.

    The first call downloads ``WISDM_ar_latest.tar.gz`` from the WISDM lab's site into
    ``<data_home>/skiwce/wisdm/``, unpacks ``WISDM_ar_v1.1/`` there and deletes the archive;
    every later call reads ``WISDM_ar_v1.1/WISDM_ar_v1.1_raw.txt`` from the cache with
    :func:`load_wisdm` and needs no network. A progress bar shows the download; failed
    transfers are retried three times with pauses of 1, 2 and 4 s, and nothing incomplete is
    ever kept.

    The WISDM lab publishes no checksum for its archive, so this one is not pinned: the
    download must unpack to the raw file, which :func:`load_wisdm` then parses, and its
    SHA-256 and size are recorded in ``download.json`` beside it. Set the environment variable
    ``SKIWCE_DATA_MIRROR`` to a base URL (``https://``, ``http://`` or ``file://``) holding
    ``WISDM_ar_latest.tar.gz`` to download from there instead.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The cache folder; None uses :func:`sklearn.datasets.get_data_home`
        (``~/scikit_learn_data`` or the ``SCIKIT_LEARN_DATA`` environment variable).
    download_if_missing : bool, default=True
        If False, raise an :class:`OSError` instead of downloading when the data are not in
        the cache.
    window : int, default=80
        Records per window, as in :func:`load_wisdm`.
    step : int, default=40
        Hop between the starts of consecutive windows of a run.
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        What :func:`load_wisdm` returns: ``data`` (n_windows, 3, window) float32, ``target``
        (activity names), ``groups`` (user ids), ``target_names``, ``feature_names``,
        ``n_records``, ``n_skipped`` and ``DESCR``.
    (data, target) : tuple if ``return_X_y`` is True

    Raises
    ------
    ValueError
        If ``window`` or ``step`` is not a positive integer (before any download).
    OSError
        If the data are not in the cache and cannot be downloaded (no network, or
        ``download_if_missing=False``), or the archive is not the WISDM one. The message names
        the URL, and the file to place by hand and where.

    See Also
    --------
    load_wisdm : The same windows from a local copy of the raw file.

    Examples
    --------
    Without the network, and with nothing in the cache, the error says what to do:

    >>> import tempfile
    >>> from skiwce.datasets import fetch_wisdm
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     try:
    ...         fetch_wisdm(data_home=tmp, download_if_missing=False)
    ...     except OSError as exc:
    ...         print(exc)
    WISDM v1.1 is not in the cache '...wisdm' and download_if_missing=False. Call again with
    download_if_missing=True to download it from
    https://www.cis.fordham.edu/wisdm/includes/datasets/latest/WISDM_ar_latest.tar.gz. To
    install it by hand, download https://...WISDM_ar_latest.tar.gz on a machine that can reach
    it and put the file, unchanged, at '...WISDM_ar_latest.tar.gz': the next call verifies and
    unpacks it without the network. Or set the environment variable SKIWCE_DATA_MIRROR to a
    base URL (https://, http:// or file://) that holds WISDM_ar_latest.tar.gz.

    With the network, ``X, y = fetch_wisdm(return_X_y=True)`` gives the windows of the whole
    file, users 1 to 36 in ``groups`` (with ``return_X_y=False``).
    """
    window, step = _check_window(window, step)
    folder = _fetch("wisdm", data_home, download_if_missing)
    return load_wisdm(
        folder / _ARCHIVES["wisdm"].files[0], window=window, step=step, return_X_y=return_X_y
    )


def fetch_cifar10(*, data_home=None, download_if_missing=True, subset="train", return_X_y=False):
    """Load CIFAR-10 (the python version), downloading it on first use.

    The first call downloads ``cifar-10-python.tar.gz`` (170 498 071 bytes, 163 MiB) from its
    authors' site into ``<data_home>/skiwce/cifar10/``, checks its SHA-256 and MD5, unpacks
    ``cifar-10-batches-py/`` there and deletes the archive; every later call reads the batches
    from the cache with :func:`load_cifar10` and needs no network. A progress bar shows the
    download; failed transfers are retried three times with pauses of 1, 2 and 4 s; a download
    whose checksum is wrong is an error and nothing incomplete or unverified is ever kept.

    The archive is pinned by the MD5 its authors publish (``c58f3010...``, also in torchvision)
    and by the SHA-256 (``6d958be0...``) and size that Keras and tensorflow-datasets record.
    Set the environment variable ``SKIWCE_DATA_MIRROR`` to a base URL (``https://``,
    ``http://`` or ``file://``) holding ``cifar-10-python.tar.gz`` to download from there
    instead; the checksums still apply.

    .. warning::
       The batches are Python pickles; they are loaded only from the verified archive.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The cache folder; None uses :func:`sklearn.datasets.get_data_home`
        (``~/scikit_learn_data`` or the ``SCIKIT_LEARN_DATA`` environment variable).
    download_if_missing : bool, default=True
        If False, raise an :class:`OSError` instead of downloading when the data are not in
        the cache.
    subset : {"train", "test", "all"}, default="train"
        As in :func:`load_cifar10`.
    return_X_y : bool, default=False
        If True, return ``(data, target)`` (``(X_train, X_test, y_train, y_test)`` with
        ``subset="all"``) instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        What :func:`load_cifar10` returns: ``data`` (n, 3, 32, 32) uint8, ``target`` int64,
        ``target_names``, ``DESCR``, and ``data_test``, ``target_test`` with ``subset="all"``.
    (data, target) : tuple if ``return_X_y`` is True

    Raises
    ------
    ValueError
        If ``subset`` is not one of the three (before any download).
    OSError
        If the data are not in the cache and cannot be downloaded (no network, or
        ``download_if_missing=False``), or the download does not match the pinned checksums.
        The message names the URL, and the file to place by hand and where.

    See Also
    --------
    load_cifar10 : The same arrays from a local copy of the batches.

    Examples
    --------
    >>> import tempfile
    >>> from skiwce.datasets import fetch_cifar10
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     try:
    ...         fetch_cifar10(data_home=tmp, download_if_missing=False)
    ...     except OSError as exc:
    ...         print("put the file, unchanged, at" in str(exc))
    True

    With the network, ``X, y = fetch_cifar10(return_X_y=True)`` gives the 50 000 training
    images, shape (50000, 3, 32, 32).
    """
    if subset not in SUBSETS:
        raise ValueError(f"subset must be one of {SUBSETS}; got {subset!r}.")
    folder = _fetch("cifar10", data_home, download_if_missing)
    return load_cifar10(folder, subset=subset, return_X_y=return_X_y)
