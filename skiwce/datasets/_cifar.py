"""Reader for the CIFAR-10 python batches in a local folder."""

import os
import pickle
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

SUBSETS = ("train", "test", "all")

_FOLDER = "cifar-10-batches-py"
_TRAIN_FILES = tuple(f"data_batch_{i}" for i in range(1, 6))
_TEST_FILES = ("test_batch",)
_META_FILE = "batches.meta"
_SIDE = 32
_CHANNELS = 3

_DESCR = """\
CIFAR-10 (Krizhevsky 2009)
--------------------------

60 000 colour images of 32 x 32 pixels in 10 balanced classes: 50 000 training images in
``data_batch_1`` .. ``data_batch_5`` and 10 000 test images in ``test_batch`` (5000 and 1000 per
class), read from the "CIFAR-10 python version" folder ``cifar-10-batches-py``. Images are
returned as (n, 3, 32, 32) uint8 arrays, channels R, G, B, rows top to bottom.

The IWCE paper trains a ResNet-18 on CIFAR-10 made imbalanced ("imbalance rate" 5 %); use
:func:`skiwce.datasets.make_long_tailed` on the training images for that.
"""


def _resolve_folder(root):
    root = Path(os.fspath(root))
    for folder in (root, root / _FOLDER):
        if (folder / _META_FILE).is_file():
            return folder
    raise FileNotFoundError(
        f"No CIFAR-10 python batches under '{root}': expected '{root / _META_FILE}' or "
        f"'{root / _FOLDER / _META_FILE}' beside data_batch_1..5 and test_batch. Download and "
        "extract cifar-10-python.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html first "
        "(skiwce downloads nothing)."
    )


def _unpickle(path):
    if not path.is_file():
        raise FileNotFoundError(
            f"CIFAR-10 file missing: expected '{path.name}' in '{path.parent}'."
        )
    try:
        with open(path, "rb") as f:
            content = pickle.load(f, encoding="bytes")
    except Exception as exc:  # any unpickling failure means a corrupt or foreign file
        raise ValueError(
            f"Could not read the CIFAR-10 file '{path}': expected a pickle of the CIFAR-10 "
            f"python version ({type(exc).__name__}: {exc})."
        ) from exc
    if not isinstance(content, dict):
        raise ValueError(
            f"Corrupt CIFAR-10 file '{path}': expected a pickled dict; got "
            f"{type(content).__name__}."
        )
    return content


def _get(content, key, path):
    for candidate in (key.encode(), key):
        if candidate in content:
            return content[candidate]
    raise ValueError(f"Corrupt CIFAR-10 file '{path}': the key b'{key}' is missing.")


def _read_batch(path, n_classes):
    content = _unpickle(path)
    data = np.asarray(_get(content, "data", path))
    labels = np.asarray(_get(content, "labels", path))
    n_pixels = _CHANNELS * _SIDE * _SIDE
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != n_pixels:
        raise ValueError(
            f"Corrupt CIFAR-10 file '{path}': expected b'data' of uint8 with shape "
            f"(n, {n_pixels}); got {data.dtype} with shape {data.shape}."
        )
    if (
        labels.shape != (data.shape[0],)
        or not np.issubdtype(labels.dtype, np.integer)
        or (labels.size and (labels.min() < 0 or labels.max() >= n_classes))
    ):
        raise ValueError(
            f"Corrupt CIFAR-10 file '{path}': expected b'labels' to hold {data.shape[0]} "
            f"integers in [0, {n_classes})."
        )
    # Each row is the R, G and B planes of 1024 bytes, each a row-major 32 x 32 image.
    return data.reshape(-1, _CHANNELS, _SIDE, _SIDE), labels.astype(np.int64)


def _read_subset(folder, files, n_classes):
    batches = [_read_batch(folder / name, n_classes) for name in files]
    return (
        np.concatenate([images for images, _ in batches]),
        np.concatenate([labels for _, labels in batches]),
    )


def load_cifar10(root, *, subset="train", return_X_y=False):
    """Load CIFAR-10 from the python batches in a local folder.

    Reads the "CIFAR-10 python version" files ``data_batch_1`` .. ``data_batch_5``,
    ``test_batch`` and ``batches.meta``; nothing is downloaded. Each batch is a pickled dict
    whose ``b"data"`` is an (n, 3072) uint8 array holding, per image, the R, G and B planes of
    1024 bytes, each a row-major 32 x 32 image, and whose ``b"labels"`` is a list of n ints.

    .. warning::
       The format is a Python pickle, and loading a pickle can run arbitrary code. Only load
       files from a source you trust (the official archive from the University of Toronto).

    Parameters
    ----------
    root : str or path-like
        The folder holding the batches, or a folder holding ``cifar-10-batches-py/``.
    subset : {"train", "test", "all"}, default="train"
        ``"train"``: the 50 000 images of the five data batches; ``"test"``: the 10 000 of
        ``test_batch``; ``"all"``: the training images in ``data`` and ``target`` and the test
        images in ``data_test`` and ``target_test``.
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch; with ``subset="all"`` return
        ``(X_train, X_test, y_train, y_test)``.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with attributes:

        - ``data`` : ndarray of uint8, shape (n, 3, 32, 32), channels R, G, B
        - ``target`` : ndarray of int64, shape (n,)
        - ``data_test``, ``target_test`` : the test images, with ``subset="all"`` only
        - ``target_names`` : ndarray of str, from ``batches.meta``
        - ``DESCR`` : str
    (data, target) : tuple if ``return_X_y`` is True
        Or ``(X_train, X_test, y_train, y_test)`` with ``subset="all"``.

    Raises
    ------
    FileNotFoundError
        If the folder or one of the files it needs is missing; the message names the file and
        where it was expected.
    ValueError
        If a file is not a readable CIFAR-10 pickle (the message names the file).

    Examples
    --------
    A folder with one tiny batch in the real format:

    >>> import pickle, tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from skiwce.datasets import load_cifar10
    >>> images = np.zeros((2, 3, 32, 32), dtype=np.uint8)
    >>> images[1, 0] = 255  # the second image is red
    >>> batch = {b"data": images.reshape(2, -1), b"labels": [0, 1]}
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     folder = Path(tmp) / "cifar-10-batches-py"
    ...     folder.mkdir()
    ...     for name in ["test_batch", "batches.meta"]:
    ...         content = batch if name == "test_batch" else {b"label_names": [b"cat", b"dog"]}
    ...         _ = (folder / name).write_bytes(pickle.dumps(content))
    ...     cifar = load_cifar10(tmp, subset="test")
    >>> cifar.data.shape, cifar.target.tolist(), cifar.target_names.tolist()
    ((2, 3, 32, 32), [0, 1], ['cat', 'dog'])
    >>> cifar.data[1, :, 0, 0]  # R, G, B of the top-left pixel
    array([255,   0,   0], dtype=uint8)
    """
    if subset not in SUBSETS:
        raise ValueError(f"subset must be one of {SUBSETS}; got {subset!r}.")
    folder = _resolve_folder(root)
    meta_path = folder / _META_FILE
    names = _get(_unpickle(meta_path), "label_names", meta_path)
    try:
        target_names = np.array(
            [n.decode("utf-8") if isinstance(n, bytes) else str(n) for n in names]
        )
    except (TypeError, UnicodeDecodeError) as exc:
        raise ValueError(
            f"Corrupt CIFAR-10 file '{meta_path}': b'label_names' must be a list of names."
        ) from exc
    n_classes = len(target_names)

    parts = {}
    if subset in ("train", "all"):
        parts["train"] = _read_subset(folder, _TRAIN_FILES, n_classes)
    if subset in ("test", "all"):
        parts["test"] = _read_subset(folder, _TEST_FILES, n_classes)

    if subset == "all" and return_X_y:
        (X_train, y_train), (X_test, y_test) = parts["train"], parts["test"]
        return X_train, X_test, y_train, y_test
    X, y = parts["test" if subset == "test" else "train"]
    if return_X_y:
        return X, y
    bunch = Bunch(data=X, target=y, target_names=target_names, DESCR=_DESCR)
    if subset == "all":
        bunch.data_test, bunch.target_test = parts["test"]
    return bunch
