"""Probe the training recipe of the paper's artificial-data CNN (plain cross entropy, one seed).

The paper's learning rate, decay and batch size are illegible; this fits the CE network of
``reproduce.py artificial`` under a few alternatives to see whether any of them closes the gap to
the paper's 93 % test accuracy, and, for scale, two scikit-learn models on the same split.
Run from the repository root::

    python benchmarks/paper/artificial_recipes.py \
        --out benchmarks/results/paper_artificial_recipes.md
"""

import argparse
import platform
import sys
import time
from pathlib import Path

import torch
from sklearn.neural_network import MLPClassifier
from sklearn.svm import SVC
from skorch.callbacks import LRScheduler

from skiwce import IWCEClassifier
from skiwce.datasets import make_paper_quantiles

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _provenance import git_commit  # noqa: E402

RECIPES = {
    "Adagrad lr 0.01, decay 0.98 (reproduce.py)": {
        "optimizer": "adagrad",
        "lr": 0.01,
        "callbacks": [LRScheduler(policy="ExponentialLR", gamma=0.98)],
    },
    "Adagrad lr 0.1, decay 0.98": {
        "optimizer": "adagrad",
        "lr": 0.1,
        "callbacks": [LRScheduler(policy="ExponentialLR", gamma=0.98)],
    },
    "Adagrad lr 0.01, no decay": {"optimizer": "adagrad", "lr": 0.01},
    "Adam lr 0.001, no decay": {"optimizer": "adam", "lr": 1e-3},
}

# Not tuned: scikit-learn's defaults, and the MLP given enough iterations to converge.
REFERENCES = {
    "SVC() (RBF kernel, defaults)": SVC(),
    "MLPClassifier(max_iter=1000, random_state=0)": MLPClassifier(max_iter=1000, random_state=0),
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=None, help="also write the Markdown table here")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    X_train, X_test, y_train, y_test = make_paper_quantiles(subset="all", return_X_y=True)
    lines = [
        "# The artificial-data CNN under other training recipes",
        "",
        "Command: `python benchmarks/paper/artificial_recipes.py`  ",
        f"Commit {git_commit()}, torch {torch.__version__}, {platform.machine()}, 1 thread.",
        "",
        "| model (CNN rows: plain CE, seed 0, 200 epochs, batch 32) | train acc. (%) "
        "| test acc. (%) | s |",
        "|---|---:|---:|---:|",
    ]
    print("\n".join(lines), flush=True)

    def report(name, clf, start):
        line = (
            f"| {name} | {100 * clf.score(X_train, y_train):.2f} | "
            f"{100 * clf.score(X_test, y_test):.2f} | {time.perf_counter() - start:.0f} |"
        )
        lines.append(line)
        print(line, flush=True)

    for name, params in RECIPES.items():
        start = time.perf_counter()
        clf = IWCEClassifier(
            module="cnn1d",
            class_weight=None,
            max_epochs=200,
            batch_size=32,
            random_state=0,
            **params,
        ).fit(X_train, y_train)
        report(f"CNN, {name}", clf, start)
    for name, model in REFERENCES.items():
        start = time.perf_counter()
        report(name, model.fit(X_train, y_train), start)
    if args.out:
        with open(args.out, "w") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
