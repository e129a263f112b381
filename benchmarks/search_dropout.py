"""Dropout check: do stacked candidates score like the same candidates trained one by one?

With dropout the stacked engine draws other masks than a single fit, so the two can only agree
statistically. This trains the paper's CNN (dropout 0.2) on the paper's artificial data, T in
{2, 20}, 5 stratified folds, for ``--seeds`` random states, with ``IWCEClassifierCV`` stacked and
with ``engine="sequential"`` (one ``IWCEClassifier`` per candidate), and tests the paired
differences of the candidates' fold scores (balanced accuracy). Run from the repository root::

    python benchmarks/search_dropout.py --out benchmarks/results/search_dropout_cpu.md
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
from scipy import stats
from sklearn.model_selection import StratifiedKFold

from skiwce import IWCEClassifierCV
from skiwce.datasets import make_paper_quantiles

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _provenance import git_commit, machine  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    torch.set_num_threads(1)
    X, y = make_paper_quantiles(return_X_y=True)
    start = time.perf_counter()
    stacked, alone = [], []
    for seed in range(args.seeds):
        kw = dict(
            module="cnn1d",
            Ts=[2.0, 20.0],
            max_epochs=args.epochs,
            random_state=seed,
            cv=StratifiedKFold(5, shuffle=True, random_state=seed),
            refit=False,
            n_threads=1,
        )
        a = IWCEClassifierCV(**kw).fit(X, y)
        b = IWCEClassifierCV(engine="sequential", **kw).fit(X, y)
        assert a.engine_ == "stacked" and b.engine_ == "sequential"
        for j in range(5):
            stacked += list(a.cv_results_[f"split{j}_test_score"])
            alone += list(b.cv_results_[f"split{j}_test_score"])
    stacked, alone = np.array(stacked), np.array(alone)
    diff = stacked - alone
    test = stats.ttest_rel(stacked, alone)
    lines = [
        "# Dropout check: stacked against one-by-one candidates",
        "",
        f"Command: `python benchmarks/search_dropout.py --seeds {args.seeds} "
        f"--epochs {args.epochs}`  ",
        f"Commit: {git_commit()}  ",
        f"Machine: {machine()}",
        "",
        f"CNN1D (dropout 0.2) on the paper's artificial data, T in {{2, 20}}, 5 folds, "
        f"{args.epochs} epochs, {args.seeds} random states: {len(diff)} candidates, each "
        "scored (balanced accuracy on its test fold) stacked and trained alone.",
        "",
        "| | stacked | one by one | stacked - one by one |",
        "| --- | ---: | ---: | ---: |",
        f"| mean (%) | {100 * stacked.mean():.2f} | {100 * alone.mean():.2f} | "
        f"{100 * diff.mean():+.2f} |",
        f"| std over candidates (points) | {100 * stacked.std(ddof=1):.2f} | "
        f"{100 * alone.std(ddof=1):.2f} | {100 * diff.std(ddof=1):.2f} |",
        "",
        f"Paired t-test over the {len(diff)} candidates: t = {test.statistic:.2f}, "
        f"p = {test.pvalue:.3f}. Run time {(time.perf_counter() - start) / 60:.1f} min.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
