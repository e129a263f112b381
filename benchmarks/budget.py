"""Budget probe: how a network's test score and its training loss move with the epochs.

Trains ``IWCEClassifier(class_weight=None)`` (plain cross entropy, so that the loss keeps its
meaning over the epochs) for 5, 20, 50 and 100 epochs on skiwce's offline data sets, and records
the balanced accuracy on each set's balanced test part and the relative fall of the training
loss over the last quarter of the epochs. It backs the budget warnings of
:func:`skiwce.comparison.compare` (``BudgetWarning``): whether the training loss can tell a run
that stopped too early (it cannot), and how many epochs the defaults need. Run from the
repository root::

    python benchmarks/budget.py --out benchmarks/results/budget_cpu.md
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import balanced_accuracy_score

from skiwce import IWCEClassifier
from skiwce.datasets import load_dataset

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _provenance import git_commit, machine  # noqa: E402

CASES = [
    ("paper_quantiles", "cnn1d", {"optimizer": "adagrad", "lr": 0.01, "batch_size": 32}),
    ("paper_quantiles", "mlp", {}),
    ("mnist1d_lt", "auto", {}),
    ("digits_lt", "auto", {}),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, nargs="+", default=[5, 20, 50, 100])
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    torch.set_num_threads(1)
    start = time.perf_counter()
    lines = [
        "# Budget probe: test score and training loss against the epochs",
        "",
        f"Command: `python benchmarks/budget.py --epochs {' '.join(map(str, args.epochs))}`  ",
        f"Commit: {git_commit()}  ",
        f"Machine: {machine()}",
        "",
        "Plain cross entropy (`class_weight=None`), `random_state=0`, the data sets' fixed "
        "balanced test parts (`load_dataset(name, random_state=0)`). 'Loss fall' is "
        "`(loss[-q-1] - loss[-1]) / loss[-q-1]` with q a quarter of the epochs.",
        "",
        "| data set | network | epochs | test balanced accuracy (%) | loss fall, last quarter |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for name, module, params in CASES:
        data = load_dataset(name, random_state=0)
        for epochs in args.epochs:
            est = IWCEClassifier(
                module=module,
                max_epochs=epochs,
                class_weight=None,
                random_state=0,
                n_threads=1,
                **params,
            ).fit(data.data, data.target)
            loss = np.asarray(est.net_.history[:, "train_loss"], dtype=float)
            q = max(1, epochs // 4)
            fall = (loss[-q - 1] - loss[-1]) / loss[-q - 1]
            score = balanced_accuracy_score(data.target_test, est.predict(data.data_test))
            row = f"| {name} | {module} | {epochs} | {100 * score:.1f} | {100 * fall:+.1f} % |"
            print(row, flush=True)
            lines.append(row)
    lines += ["", f"Run time {(time.perf_counter() - start) / 60:.1f} min."]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
