"""Hostile command lines to skiwce.cli: each is a usage error (exit status 2) naming the problem.

The rules every case follows are in ``_hostile.py``.
"""

import contextlib
import io
import os
import re

import pytest
from _hostile import (
    Case,
    data_fixture,  # noqa: F401 (the ``data`` fixture)
    params,
    run_case,
)

from skiwce import cli as sk_cli


def cli_run(*argv):
    def run(**_):
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = sk_cli.main(list(argv))
        return code, err.getvalue()

    return run


def cli_usage_error(pattern):
    def check(result):
        code, err = result
        assert code == 2, err
        assert re.search(pattern, err), err

    return check


CASES = [
    # ---- CLI -----------------------------------------------------------------------------------
    Case(
        "cli-no-command",
        cli_run(),
        make=lambda X, y: {},
        check=cli_usage_error("required: COMMAND"),
    ),
    Case(
        "cli-unknown-dataset",
        cli_run("compare", "--dataset", "nosuch"),
        make=lambda X, y: {},
        check=cli_usage_error("unknown dataset 'nosuch'"),
    ),
    Case(
        "cli-unknown-method",
        cli_run("compare", "--dataset", "digits", "--methods", "xgb"),
        make=lambda X, y: {},
        check=cli_usage_error("--methods: invalid choice: 'xgb'"),
    ),
    Case(
        "cli-epochs-0",
        cli_run("compare", "--dataset", "digits", "--epochs", "0"),
        make=lambda X, y: {},
        check=cli_usage_error("--epochs: expected a positive integer"),
    ),
    Case(
        "cli-T-nan",
        cli_run("compare", "--dataset", "digits", "--T", "nan"),
        make=lambda X, y: {},
        check=cli_usage_error("--T: expected a positive number"),
    ),
    Case(
        "cli-cv-1",
        cli_run("compare", "--dataset", "digits", "--cv", "1"),
        make=lambda X, y: {},
        check=cli_usage_error("--cv must be at least 2"),
    ),
    Case(
        "cli-jobs-0",
        cli_run(
            "compare",
            "--dataset",
            "digits",
            "--methods",
            "ce",
            "--epochs",
            "1",
            "--seeds",
            "1",
            "--cv",
            "2",
            "--jobs",
            "0",
            "--no-progress",
            "--no-plots",
            "--out",
            os.devnull,
        ),
        make=lambda X, y: {},
        check=cli_usage_error("--jobs"),
    ),
]


@pytest.mark.parametrize("case", params(CASES))
def test_hostile_input(case, data, tmp_path):
    run_case(case, data, tmp_path)


def test_cli_bad_module_is_a_usage_error(tmp_path):
    argv = [
        "compare",
        "--dataset",
        "digits",
        "--methods",
        "ce",
        "--epochs",
        "1",
        "--seeds",
        "1",
        "--cv",
        "2",
        "--module",
        "nosuch",
        "--no-progress",
        "--no-plots",
        "--out",
        str(tmp_path),
    ]
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = sk_cli.main(argv)
    assert code == 2
    assert "--module" in err.getvalue()
