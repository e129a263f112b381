"""Probe the paper's artificial-data CNN: padding, the features it sees, and the training recipe.

The paper's learning rate, decay and batch size are illegible, and its layer table does not say
how the convolutions are padded. This fits the plain cross-entropy network of ``reproduce.py
artificial`` under a few alternatives, over several seeds, to show what matters, and, for scale,
two scikit-learn models on the same split. One row feeds the network only the first 9 of the
10 features: what skiwce's CNN1D saw before its pooling kept the tail (its "valid" convolutions
and floor pooling gave the 10th feature no path to the output). Run from the repository root::

    python benchmarks/paper/artificial_recipes.py \
        --out benchmarks/results/paper_artificial_recipes.md
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.neural_network import MLPClassifier
from sklearn.svm import SVC
from skorch.callbacks import LRScheduler

from skiwce import IWCEClassifier
from skiwce.datasets import make_paper_quantiles

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _provenance import git_commit, machine  # noqa: E402

ADAGRAD_DECAY = {
    "optimizer": "adagrad",
    "lr": 0.01,
    "batch_size": 32,
    "max_epochs": 200,
    "callbacks": [LRScheduler(policy="ExponentialLR", gamma=0.98)],
}
#: name -> (IWCEClassifier parameters, number of features the network sees)
RECIPES = {
    "reproduce.py's: Adagrad lr 0.01, decay 0.98, batch 32, 200 epochs, padding 'same'": (
        ADAGRAD_DECAY,
        10,
    ),
    "the same, padding 'valid' (the layer table read literally)": (
        {**ADAGRAD_DECAY, "module_params": {"padding": "valid"}},
        10,
    ),
    "the same, first 9 features only (what the old CNN1D saw)": (ADAGRAD_DECAY, 9),
    "Adagrad lr 0.01, batch 10, 50 epochs, no decay (Taherkhani et al.'s Keras code)": (
        {"optimizer": "adagrad", "lr": 0.01, "batch_size": 10, "max_epochs": 50},
        10,
    ),
    "Adam lr 0.001, batch 32, 200 epochs, no decay": (
        {"optimizer": "adam", "lr": 1e-3, "batch_size": 32, "max_epochs": 200},
        10,
    ),
}

# Not tuned: scikit-learn's defaults, and the MLP given enough iterations to converge.
REFERENCES = {
    "SVC() (RBF kernel, defaults)": SVC(),
    "MLPClassifier(max_iter=1000, random_state=0)": MLPClassifier(max_iter=1000, random_state=0),
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=None, help="override (smoke runs)")
    parser.add_argument("--out", default=None, help="also write the Markdown table here")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    X_train, X_test, y_train, y_test = make_paper_quantiles(subset="all", return_X_y=True)
    start_all = time.perf_counter()
    lines = [
        "# The artificial-data CNN: padding, features and training recipe",
        "",
        "Command: `python benchmarks/paper/artificial_recipes.py "
        f"{' '.join(sys.argv[1:] if argv is None else argv)}`  ",
        f"Commit {git_commit()}; {machine()}.",
        "",
        f"CNN rows: plain cross entropy, {args.seeds} seeds (random_state 0..{args.seeds - 1}), "
        "mean ± sample std; test on the balanced 10 000-row test set.",
        "",
        "| model | train acc. (%) | test acc. (%) | s per fit |",
        "|---|---:|---:|---:|",
    ]
    print("\n".join(lines), flush=True)

    def report(name, train, test, seconds):
        cell = (
            (lambda v: f"{100 * np.mean(v):.2f} ± {100 * np.std(v, ddof=1):.2f}")
            if len(train) > 1
            else (lambda v: f"{100 * v[0]:.2f}")
        )
        line = f"| {name} | {cell(train)} | {cell(test)} | {seconds:.0f} |"
        lines.append(line)
        print(line, flush=True)

    for name, (params, n_features) in RECIPES.items():
        if args.epochs:
            params = {**params, "max_epochs": args.epochs}
        train, test, start = [], [], time.perf_counter()
        for seed in range(args.seeds):
            clf = IWCEClassifier(
                module="cnn1d", class_weight=None, random_state=seed, **params
            ).fit(X_train[:, :n_features], y_train)
            train.append(clf.score(X_train[:, :n_features], y_train))
            test.append(clf.score(X_test[:, :n_features], y_test))
        report(f"CNN, {name}", train, test, (time.perf_counter() - start) / args.seeds)
    for name, model in REFERENCES.items():
        start = time.perf_counter()
        model.fit(X_train, y_train)
        report(
            name,
            [model.score(X_train, y_train)],
            [model.score(X_test, y_test)],
            time.perf_counter() - start,
        )
    lines += ["", f"Total {(time.perf_counter() - start_all) / 60:.1f} min."]
    if args.out:
        with open(args.out, "w") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
