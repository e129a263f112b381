"""UCR/UEA ``.ts`` files (as shipped inside sktime's wheel), read without sktime: shared by
``defaults.py`` and ``series.py``."""

from pathlib import Path

import numpy as np


class UnusableSet(ValueError):
    """A ``.ts`` file these benchmarks cannot use as it is; the message says why."""


def read_ts(path):
    """A ``.ts`` file of equal-length, complete, labelled series.

    Returns ``(n, channels, length)`` float32 values and the labels as strings. Raises
    :class:`UnusableSet` for a regression target (``@targetLabel``), no class labels, series of
    unequal length or missing values (``?`` or NaN), with the reason in the message.
    """
    X, y, data, header = [], [], False, {}
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.lower().startswith("@data"):
            data = True
            continue
        if line.startswith("@"):
            key, _, value = line[1:].partition(" ")
            header[key.lower()] = value.strip().lower()
            continue
        if not data:
            continue
        *dims, label = line.split(":")
        X.append([[_value(v) for v in dim.split(",")] for dim in dims])
        y.append(label)
    if header.get("targetlabel") == "true":
        raise UnusableSet("a regression set (@targetLabel), not classification")
    if not header.get("classlabel", "").startswith("true"):
        raise UnusableSet("no class labels")
    lengths = {len(dim) for row in X for dim in row}
    if len(lengths) > 1 or len({len(row) for row in X}) > 1:
        raise UnusableSet(f"series of unequal length ({min(lengths)} to {max(lengths)} positions)")
    X = np.asarray(X, dtype=np.float32)
    if not np.isfinite(X).all():
        raise UnusableSet("missing values")
    return X, np.asarray(y)


def _value(text):
    return float("nan") if text.strip() == "?" else float(text)


def read_ucr(ucr_dir, name):
    """A UCR set's train and test files pooled: ``(X, labels)``, raising :class:`UnusableSet`."""
    Xa, ya = read_ts(Path(ucr_dir) / name / f"{name}_TRAIN.ts")
    Xb, yb = read_ts(Path(ucr_dir) / name / f"{name}_TEST.ts")
    if Xa.shape[1:] != Xb.shape[1:]:
        raise UnusableSet(f"train and test series differ in shape ({Xa.shape} and {Xb.shape})")
    return np.concatenate([Xa, Xb]), np.concatenate([ya, yb])


def ucr_names(ucr_dir):
    """The folders of ``ucr_dir`` that hold a ``<Name>_TRAIN.ts`` and ``<Name>_TEST.ts``."""
    root = Path(ucr_dir)
    return sorted(
        d.name
        for d in root.iterdir()
        if (d / f"{d.name}_TRAIN.ts").exists() and (d / f"{d.name}_TEST.ts").exists()
    )
