"""Hostile inputs to the loss modules of skiwce.losses.

The rules every case follows are in ``_hostile.py``.
"""

import pytest
from _hostile import (
    Case,
    data_fixture,  # noqa: F401 (the ``data`` fixture)
    params,
    run_case,
)

from skiwce import IWCELoss

CASES = [
    Case(
        "loss-module-bad-reduction",
        lambda: IWCELoss(reduction="avg"),
        make=lambda X, y: {},
        raises=ValueError,
        match="reduction must be one of",
    ),
]


@pytest.mark.parametrize("case", params(CASES))
def test_hostile_input(case, data, tmp_path):
    run_case(case, data, tmp_path)
