"""Where a recorded result came from: the commit and the machine (shared by the scripts here)."""

import platform
import subprocess
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent


def git_commit(short=True):
    """The checked-out commit, with ``-dirty`` if tracked files other than recorded results
    (``benchmarks/results``, what these scripts write) have changed; ``"unknown"`` outside a
    git checkout."""
    try:
        commit = _git("rev-parse", *(["--short"] if short else []), "HEAD")
        dirty = _git(
            "status",
            "--porcelain",
            "--untracked-files=no",
            "--",
            ".",
            ":(exclude)benchmarks/results",
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("-dirty" if dirty else "")


def machine():
    """Python, torch, processor and torch's thread count, in one line."""
    return (
        f"Python {platform.python_version()}; torch {torch.__version__}; "
        f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} torch threads"
    )


def _git(*args):
    return subprocess.run(
        ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
