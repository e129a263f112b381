"""Probe the training recipe of the paper's artificial-data CNN (plain cross entropy, one seed).

The paper's learning rate, decay and batch size are illegible; this fits the CE network of
``reproduce.py artificial`` under a few alternatives to see whether any of them closes the gap to
the paper's 93 % test accuracy. Run from the repository root::

    python benchmarks/paper/artificial_recipes.py
"""

import time

import torch
from skorch.callbacks import LRScheduler

from skiwce import IWCEClassifier
from skiwce.datasets import make_paper_quantiles

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


def main():
    torch.set_num_threads(1)
    X_train, X_test, y_train, y_test = make_paper_quantiles(subset="all", return_X_y=True)
    print("| recipe (CE, seed 0, 200 epochs, batch 32) | train acc. (%) | test acc. (%) | s |")
    print("|---|---:|---:|---:|")
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
        print(
            f"| {name} | {100 * clf.score(X_train, y_train):.2f} | "
            f"{100 * clf.score(X_test, y_test):.2f} | {time.perf_counter() - start:.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
