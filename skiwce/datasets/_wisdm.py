"""Reader for the WISDM v1.1 raw accelerometer file, cut into fixed-length windows."""

import csv
import io
import numbers
import os
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

_COLUMNS = ["user", "activity", "timestamp", "x", "y", "z"]

_DESCR = """\
WISDM v1.1 activity recognition (Kwapisz, Weiss and Moore 2010)
----------------------------------------------------------------

Tri-axial smartphone accelerometer readings at 20 Hz from 36 users doing six activities
(Walking, Jogging, Upstairs, Downstairs, Sitting, Standing), 1,098,207 records in the file
``WISDM_ar_v1.1_raw.txt``. Values are in m/s^2 (10 is about 1 g). The IWCE paper calls it
"Actitracker"; its class histogram is the one of v1.1. Standing (4.4 %) and Sitting (5.5 %) are
the minority classes.

Parsing: the file is split into records on ``;`` and line breaks, so two records on one line
and a line without its ``;`` are both read. A record must have six comma-separated fields
(user, activity, timestamp, x, y, z; one trailing empty field, as in ``...,z,;``, is allowed):
an integer user, a non-empty activity and finite numbers. Any other non-blank record is
malformed: it is skipped and counted in ``n_skipped``. Blank lines are not records.

Windowing: the valid records, in file order, are grouped into contiguous runs of one
(user, activity) pair; each run is cut into windows of ``window`` records with hop ``step``
(leftover records at a run's end are dropped); a skipped record does not split a run. A window
never crosses a change of user or activity, so its label is the activity of all its records
(the usual recipe labels windows that cross a change with their mode instead). Timestamps are
not used: a gap in time inside a run does not split it. The paper's window is illegible; 80
records (4 s) with step 40 is the common 1-D CNN choice for this file (Ackermann's Keras
tutorial).
"""


def _check_window(window, step):
    for value, name in ((window, "window"), (step, "step")):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1; got {value!r}.")
    return int(window), int(step)


def _per_line_count(chars, byte, ends):
    """How many times ``byte`` occurs in each line (lines end at the indices ``ends``)."""
    positions = np.flatnonzero(chars == ord(byte))
    return np.bincount(np.searchsorted(ends, positions), minlength=len(ends))


def _parse_records(raw):
    """Valid records of WISDM bytes as (user, activity, xyz) arrays, and the count skipped."""
    # One trailing empty field ("...,z,;") is dropped; then every record ends with a line break.
    for end in (b";", b"\r", b"\n"):
        raw = raw.replace(b"," + end, end)
    raw = raw.replace(b"\r", b"\n").replace(b";", b"\n")
    if not raw.endswith(b"\n"):
        raw += b"\n"
    chars = np.frombuffer(raw, dtype=np.uint8)
    ends = np.flatnonzero(chars == ord("\n"))
    lengths = np.diff(ends, prepend=-1) - 1  # without the line break
    spaces = _per_line_count(chars, " ", ends) + _per_line_count(chars, "\t", ends)
    n_records = int(np.count_nonzero(lengths > spaces))  # blank lines are not records
    # Only lines of six fields go to the CSV parser, which would otherwise guess an index
    # column from a long first line; the others are malformed records.
    six_fields = _per_line_count(chars, ",", ends) == 5
    if not six_fields.any():
        return None, n_records
    kept = chars[np.repeat(six_fields, lengths + 1)].tobytes()
    frame = pd.read_csv(
        io.BytesIO(kept),
        header=None,
        names=_COLUMNS,
        dtype={"activity": object},
        quoting=csv.QUOTE_NONE,
        keep_default_na=False,
        na_values=[""],
        skipinitialspace=True,
        skip_blank_lines=False,
        low_memory=False,
        encoding="utf-8",
        encoding_errors="replace",
        engine="c",
    )
    values = {}
    for column in ("user", "timestamp", "x", "y", "z"):
        series = frame[column]
        if not pd.api.types.is_numeric_dtype(series):
            series = pd.to_numeric(series.astype(object).str.strip(), errors="coerce")
        values[column] = series.to_numpy(dtype=np.float64, na_value=np.nan)
    # Strip the few distinct names rather than every record's; a missing name becomes "".
    codes, names = pd.factorize(frame["activity"])
    names = np.array([str(name).strip() for name in names] + [""], dtype=object)
    activity = names[codes]  # code -1 (missing) picks the trailing ""
    user = values["user"]
    valid = np.isfinite(user) & (np.mod(user, 1) == 0) & (activity != "")
    valid &= np.isfinite(values["timestamp"])
    limit = np.finfo(np.float32).max  # the windows are float32
    for column in ("x", "y", "z"):
        valid &= np.abs(values[column]) <= limit
    n_skipped = n_records - int(valid.sum())
    if not valid.any():
        return None, n_skipped
    xyz = np.stack([values[axis][valid] for axis in ("x", "y", "z")], axis=1)
    return (user[valid].astype(np.int64), activity[valid], xyz), n_skipped


def _window_starts(run_starts, run_lengths, window, step):
    """Start index of every window of every run, in file order."""
    n_windows = np.where(run_lengths >= window, (run_lengths - window) // step + 1, 0)
    total = int(n_windows.sum())
    # Position of each window inside its run: 0, 1, ... restarting at every run.
    first = np.cumsum(n_windows) - n_windows
    position = np.arange(total) - np.repeat(first, n_windows)
    return np.repeat(run_starts, n_windows) + position * step


def load_wisdm(path, *, window=80, step=40, return_X_y=False):
    """Load the WISDM v1.1 raw accelerometer file as fixed-length windows.

    Reads ``WISDM_ar_v1.1_raw.txt`` (records ``user,activity,timestamp,x,y,z;``) from a local
    path; nothing is downloaded. The file's known defects are handled: records are split on
    ``;`` *and* line breaks (two records can share a line, a line can lack its ``;``), a record
    ending in ``,;`` is read, blank lines are ignored, and any malformed record (a missing value,
    a non-number, a wrong field count) is skipped and counted in ``n_skipped``, never fatal.

    The valid records, in file order, form contiguous runs of one (user, activity) pair; each run
    is cut into windows of ``window`` records with hop ``step``, dropping the leftovers. A window
    never mixes users or activities. Timestamps are checked but not used.

    Parameters
    ----------
    path : str or path-like
        The raw text file.
    window : int, default=80
        Records per window (80 records are 4 s at 20 Hz).
    step : int, default=40
        Hop between the starts of consecutive windows of a run.
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch (without the groups).

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with attributes:

        - ``data`` : ndarray of float32, shape (n_windows, 3, window), axes x, y, z
        - ``target`` : ndarray of str (object), shape (n_windows,), the activity names
        - ``groups`` : ndarray of int64, shape (n_windows,), the user id of each window, for
          group-aware splits such as :class:`~sklearn.model_selection.GroupKFold`
        - ``target_names`` : ndarray of str, the sorted activity names
        - ``feature_names`` : list of str, ``["x", "y", "z"]`` (the channels)
        - ``n_records`` : int, valid records read
        - ``n_skipped`` : int, malformed records skipped
        - ``DESCR`` : str
    (data, target) : tuple if ``return_X_y`` is True

    Raises
    ------
    FileNotFoundError
        If ``path`` is not a file.
    ValueError
        If ``window`` or ``step`` is not a positive integer, if the file holds no valid record,
        or if no run is long enough to give a window.

    References
    ----------
    .. [1] J. R. Kwapisz, G. M. Weiss, S. A. Moore, "Activity recognition using cell phone
       accelerometers", SIGKDD Explorations 12(2) (2010) 74-82.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from skiwce.datasets import load_wisdm
    >>> rows = "".join(f"7,Walking,{t},0.5,9.8,{t}.0;\\n" for t in range(6))
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "WISDM_ar_v1.1_raw.txt"
    ...     _ = path.write_text(rows + "7,Walking,6,0.5,9.8,;\\n")
    ...     wisdm = load_wisdm(path, window=4, step=2)
    >>> wisdm.data.shape, wisdm.target.tolist(), wisdm.groups.tolist(), wisdm.n_skipped
    ((2, 3, 4), ['Walking', 'Walking'], [7, 7], 1)
    >>> wisdm.data[1, 2]  # z of records 2..5
    array([2., 3., 4., 5.], dtype=float32)
    """
    window, step = _check_window(window, step)
    path = Path(os.fspath(path))
    if not path.is_file():
        raise FileNotFoundError(
            f"WISDM file not found: '{path}'. Expected the raw text file of WISDM v1.1 "
            "(WISDM_ar_v1.1_raw.txt) at this path."
        )
    records, n_skipped = _parse_records(path.read_bytes())
    if records is None:
        raise ValueError(
            f"No valid WISDM record in '{path}' ({n_skipped} malformed records skipped); "
            "expected records 'user,activity,timestamp,x,y,z;'."
        )
    user, activity, xyz = records

    change = np.ones(len(user), dtype=bool)
    codes = pd.factorize(activity)[0]
    change[1:] = (user[1:] != user[:-1]) | (codes[1:] != codes[:-1])
    run_starts = np.flatnonzero(change)
    run_lengths = np.diff(np.append(run_starts, len(user)))
    starts = _window_starts(run_starts, run_lengths, window, step)
    if len(starts) == 0:
        raise ValueError(
            f"No window of {window} records in '{path}': the longest run of one user and "
            f"activity has {int(run_lengths.max())} valid records."
        )

    index = starts[:, None] + np.arange(window)
    X = np.ascontiguousarray(xyz.astype(np.float32)[index].transpose(0, 2, 1))
    y = activity[starts].astype(object)
    if return_X_y:
        return X, y
    return Bunch(
        data=X,
        target=y,
        groups=user[starts],
        target_names=np.unique(y).astype(str),
        feature_names=["x", "y", "z"],
        n_records=len(user),
        n_skipped=n_skipped,
        DESCR=_DESCR,
    )
