"""``load_table``: a user's own table (CSV or Parquet) as features and a target."""

from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

__all__ = ["load_table"]

CATEGORICAL = ("onehot", "refuse")
_PARQUET = (".parquet", ".pq")


def _read(path):
    import pandas as pd  # noqa: PLC0415

    suffixes = [s.lower() for s in Path(path).suffixes]
    if suffixes and suffixes[-1] in _PARQUET:
        try:
            return pd.read_parquet(path)
        except ImportError as exc:
            raise ImportError(
                f"Reading the Parquet file {path} needs pyarrow or fastparquet, which are not "
                "installed: pip install pyarrow, or save the table as CSV."
            ) from exc
    sep = "\t" if ".tsv" in suffixes else ","
    return pd.read_csv(path, sep=sep)


def _is_numeric(series):
    import pandas as pd  # noqa: PLC0415

    return pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)


def load_table(path, target, *, categorical="onehot"):
    """Read a table of your own (CSV, TSV or Parquet) as numeric features and a target.

    Every column but ``target`` is a feature. Numeric and boolean columns are kept as they
    are; text (and other non-numeric) columns are one-hot encoded, one 0/1 feature per value
    (``categorical="onehot"``), or refused (``"refuse"``). Which columns were encoded, and
    into how many features, is in ``encoded`` and ``DESCR``. Missing values in the features
    are an error naming the columns (the networks take no NaN: impute or drop them first);
    rows whose target is missing are an error too.

    Parameters
    ----------
    path : str or path-like
        A ``.csv`` file (compressed ones too, e.g. ``.csv.gz``), a ``.tsv`` file, or a
        ``.parquet``/``.pq`` file (needs pyarrow or fastparquet). Other suffixes are read
        as CSV.
    target : str
        The name of the column of class labels.
    categorical : {"onehot", "refuse"}, default="onehot"
        What to do with non-numeric feature columns.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` (float32 array of shape (n_rows, n_features)), ``target`` (the labels as
        read), ``target_names`` (the sorted labels), ``feature_names``, ``encoded`` (column
        name to its number of values, for the one-hot encoded columns) and ``DESCR`` (one
        line that says what was read and encoded).

    Raises
    ------
    ValueError
        For a target column that is not in the table (the message lists the columns),
        missing values, non-numeric columns with ``categorical="refuse"``, or a table with
        no feature column.
    ImportError
        For a Parquet file without pyarrow or fastparquet.

    Examples
    --------
    >>> import pandas as pd
    >>> from skiwce.datasets import load_table
    >>> path = getfixture("tmp_path") / "mydata.csv"
    >>> pd.DataFrame({"age": [30, 41, 25, 52], "city": ["Oslo", "Rome", "Oslo", "Lima"],
    ...               "label": ["no", "yes", "no", "no"]}).to_csv(path, index=False)
    >>> data = load_table(path, target="label")
    >>> data.feature_names
    ['age', 'city=Lima', 'city=Oslo', 'city=Rome']
    >>> data.data.shape, data.encoded
    ((4, 4), {'city': 3})
    >>> print(data.DESCR)  # doctest: +ELLIPSIS
    mydata.csv: 4 rows, target 'label' (2 classes), 4 features from 2 columns; one-hot ...
    >>> data.DESCR.split("; ")[1]
    'one-hot encoded: city (3 values)'
    """
    import pandas as pd  # noqa: PLC0415

    if categorical not in CATEGORICAL:
        raise ValueError(f"categorical must be one of {CATEGORICAL}; got {categorical!r}.")
    frame = _read(path)
    name = Path(path).name
    if target not in frame.columns:
        raise ValueError(
            f"{name} has no column {target!r}; its columns are {[str(c) for c in frame.columns]}."
        )
    y = frame[target]
    if y.isna().any():
        raise ValueError(
            f"{name}: the target column {target!r} is missing in {int(y.isna().sum())} rows; "
            "drop them first."
        )
    features = frame.drop(columns=[target])
    if features.shape[1] == 0:
        raise ValueError(f"{name} has no column besides the target {target!r}.")
    missing = [str(c) for c in features.columns if features[c].isna().any()]
    if missing:
        raise ValueError(
            f"{name} has missing values in the columns {missing}; the networks take no "
            "missing values: impute or drop them first (or compare pipelines with an imputer "
            "through skiwce.comparison.compare)."
        )
    text = [c for c in features.columns if not _is_numeric(features[c])]
    if text and categorical == "refuse":
        raise ValueError(
            f"{name} has non-numeric columns {[str(c) for c in text]}; encode them first, or "
            "let them be one-hot encoded (categorical='onehot', the command line's default)."
        )
    encoded = {str(c): int(features[c].astype(str).nunique()) for c in text}
    parts, names = [], []
    for column in features.columns:
        values = features[column]
        if column in text:
            dummies = pd.get_dummies(values.astype(str), prefix=str(column), prefix_sep="=")
            parts.append(dummies.to_numpy(dtype=np.float32))
            names += [str(c) for c in dummies.columns]
        else:
            parts.append(values.to_numpy(dtype=np.float32).reshape(-1, 1))
            names.append(str(column))
    X = np.hstack(parts)
    y = y.to_numpy()
    classes = np.unique(y)
    descr = (
        f"{name}: {len(X)} rows, target {target!r} ({len(classes)} classes), {X.shape[1]} "
        f"features from {features.shape[1]} columns"
    )
    if encoded:
        descr += "; one-hot encoded: " + ", ".join(f"{c} ({n} values)" for c, n in encoded.items())
    return Bunch(
        data=X,
        target=y,
        target_names=classes,
        feature_names=names,
        encoded=encoded,
        DESCR=descr,
    )
