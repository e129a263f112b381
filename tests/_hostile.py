"""Shared machinery of the reliability suite: hostile inputs, persistence, determinism, faults.

The hostile-input suite is one table of cases (each test module's ``CASES``) run by one test per
module: every public entry point either raises a clear error (the exception type is checked, and
the message must name the parameter or the problem), or shows a documented behaviour that a check
pins down. For every case the caller's inputs are compared with copies taken before the call, and
an error must not come from inside torch unless the case says why torch's own message is the
documented answer.

Cases marked ``xfail(strict=True)`` are library defects: the test states what should happen; the
fix flips them.

The table is split by the skiwce module a case exercises: each ``tests/test_<module>_inputs.py``
holds that module's part as its own ``CASES`` list and runs it with :func:`run_case`; see
:func:`all_cases` for the whole table. This file is not a test module: it holds the :class:`Case`
row, the data helpers and the ``data`` fixture (import ``data_fixture`` to use it), the runner and
the checks it applies.
"""

import copy
import functools
import importlib
import os
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback

from skiwce import IWCEClassifier

FAST = {"max_epochs": 3, "batch_size": 16, "lr": 0.01, "random_state": 0}
TORCH_DIR = os.path.dirname(torch.__file__)


@functools.cache
def _data():
    """60 rows, 5 features, classes 0/1/2 with 40/15/5 rows (float32)."""
    rng = np.random.RandomState(0)
    y = np.repeat([0, 1, 2], [40, 15, 5])
    X = (rng.randn(60, 5) + 0.8 * y[:, None]).astype(np.float32)
    X.setflags(write=False)
    y.setflags(write=False)
    return X, y


@pytest.fixture(name="data")
def data_fixture():
    """Fresh, writable copies of the small 3-class problem."""
    X, y = _data()
    return X.copy(), y.copy()


@functools.cache
def _fitted():
    """An IWCEClassifier fitted once on :func:`_data` (predict does not change it)."""
    X, y = _data()
    return IWCEClassifier(**FAST).fit(X, y)


# -- the case table ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One hostile input.

    ``make(X, y)`` builds the caller's inputs (a dict of keyword arguments of ``run``) from fresh
    copies of the data, or ``make(tmp_path)`` writes files when ``files`` is True;
    ``run(**inputs)`` calls the entry point. Either ``raises`` (with a ``match`` that names the
    parameter or the problem) or ``check(result)`` states the outcome. ``warns`` lists
    ``(category, regex)`` warnings that must be emitted, ``allow`` those that may; any other
    warning fails the case.
    """

    id: str
    run: Callable[..., Any]
    make: Callable[..., dict] = lambda X, y: {"X": X, "y": y}
    raises: Any = None
    match: str | None = None
    check: Callable[[Any], None] | None = None
    warns: tuple = ()
    allow: tuple = ()
    torch_ok: str | None = None  # why torch's own error is the documented answer
    defect: str | None = None  # an xfail reason: what happens and what should happen
    files: bool = False  # make(tmp_path) writes files instead of make(X, y)
    skip_if: tuple = (False, "")


def with_value(X, value, index=(3, 1)):
    X[index] = value
    return X


# -- running the cases ---------------------------------------------------------------------------


def _param(case):
    marks = []
    if case.skip_if[0]:
        marks.append(pytest.mark.skip(reason=case.skip_if[1]))
    if case.defect:
        marks.append(pytest.mark.xfail(strict=True, reason=case.defect))
    return pytest.param(case, id=case.id, marks=marks)


def params(cases):
    """The ``pytest.param`` rows of one module's ``CASES`` (whose ids must be unique)."""
    ids = [c.id for c in cases]
    assert len(set(ids)) == len(ids), "case ids must be unique"
    return [_param(c) for c in cases]


def all_cases():
    """The whole table: the ``CASES`` of every ``test_*_inputs.py`` module, ids unique overall."""
    names = sorted(p.stem for p in Path(__file__).parent.glob("test_*_inputs.py"))
    cases = [case for name in names for case in importlib.import_module(name).CASES]
    ids = [c.id for c in cases]
    assert len(set(ids)) == len(ids), "case ids must be unique"
    return cases


def _assert_same(before, after, where):
    """The caller's input ``after`` equals its copy ``before`` (arrays, tensors, containers)."""
    if isinstance(before, np.ndarray):
        assert isinstance(after, np.ndarray) and after.dtype == before.dtype, where
        assert after.shape == before.shape, where
        equal_nan = before.dtype.kind in "fc"
        assert np.array_equal(after, before, equal_nan=equal_nan), f"{where} was modified"
    elif isinstance(before, torch.Tensor):
        torch.testing.assert_close(after, before, rtol=0, atol=0, equal_nan=True)
    elif isinstance(before, dict):
        for key in before:
            _assert_same(before[key], after[key], f"{where}[{key!r}]")
    elif isinstance(before, list | tuple):
        assert len(after) == len(before), where
        for i, (b, a) in enumerate(zip(before, after, strict=True)):
            _assert_same(b, a, f"{where}[{i}]")
    else:
        assert after == before or (after != after and before != before), f"{where} was modified"


def _matches(warning, specs):
    return any(
        issubclass(warning.category, cat) and re.search(pattern, str(warning.message))
        for cat, pattern in specs
    )


def run_case(case, data, tmp_path):
    """Run one :class:`Case` on the ``data`` fixture's arrays (or files under ``tmp_path``)."""
    X, y = data
    inputs = case.make(tmp_path) if case.files else case.make(X, y)
    snapshot = copy.deepcopy(inputs)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if case.raises is not None:
            with pytest.raises(case.raises, match=case.match) as excinfo:
                case.run(**inputs)
            origin = str(excinfo.traceback[-1].path)
            assert case.torch_ok or not origin.startswith(TORCH_DIR), (
                f"raised deep inside torch ({origin}): {excinfo.value!r}"
            )
        else:
            result = case.run(**inputs)
            if case.check is not None:
                outcome = case.check(result)
                assert outcome is None or outcome, f"check failed for {case.id}"
    for spec in case.warns:
        assert any(_matches(w, [spec]) for w in caught), f"expected warning {spec} not emitted"
    from skiwce.comparison import BudgetWarning

    # The cases' tiny comparisons are what BudgetWarning is about (tested on its own).
    unexpected = [
        w
        for w in caught
        if not _matches(w, (*case.warns, *case.allow))
        and not issubclass(w.category, BudgetWarning)
    ]
    assert not unexpected, [f"{w.category.__name__}: {w.message}" for w in unexpected]
    _assert_same(snapshot, inputs, "input")


# -- faults --------------------------------------------------------------------------------------


class InterruptAt(Callback):
    """Raise KeyboardInterrupt (Ctrl-C) at the end of ``epoch`` (1-based), or after ``batch``
    training batches of that epoch."""

    def __init__(self, epoch=2, batch=None):
        self.epoch = epoch
        self.batch = batch

    def on_batch_end(self, net, training=False, **kwargs):
        if (
            training
            and self.batch is not None
            and len(net.history) == self.epoch
            and len(net.history[-1]["batches"]) == self.batch
        ):
            raise KeyboardInterrupt

    def on_epoch_end(self, net, **kwargs):
        if self.batch is None and len(net.history) == self.epoch:
            raise KeyboardInterrupt
