"""How many torch threads to train with: step times at 1 and 2 threads, idle and shared.

For each network of :mod:`skiwce.models` at a few input sizes, one training step (forward,
backward, fused Adam, batch 64) is timed with 1 and with 2 torch threads, first with the cores
idle and then with one other busy process (a pure-Python loop, as a second job on a 2-core
machine), interleaved and repeated (the minimum is reported). Then a default
``IWCEClassifier().fit`` on scikit-learn's breast-cancer data (scaled), with
``n_threads="auto"`` (the default) against 2 threads, idle and busy. The measurements behind
``IWCEClassifier(n_threads="auto")``. Run from the repository root::

    python benchmarks/threads.py --out benchmarks/results/threads_cpu.md
"""

import argparse
import multiprocessing as mp
import sys
import time
from pathlib import Path

import torch
from sklearn.datasets import load_breast_cancer
from sklearn.preprocessing import StandardScaler

from skiwce import IWCEClassifier
from skiwce._torch_utils import count_macs
from skiwce.models import CNN1D, MLP, HARNet, ResNet18

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _provenance import git_commit, machine  # noqa: E402

BATCH = 64
#: name -> (network factory, sample shape, timed steps)
NETWORKS = {
    "MLP, 30 features": (lambda: MLP(n_features=30, n_classes=2), (30,), 40),
    "CNN1D, 10 features": (lambda: CNN1D(input_length=10, n_classes=3), (10,), 40),
    "HARNet, 1 x 40": (lambda: HARNet(in_channels=1, n_classes=10), (1, 40), 20),
    "HARNet, 3 x 80": (lambda: HARNet(in_channels=3, n_classes=6), (3, 80), 10),
    "ResNet-18 width 8, 1 x 8 x 8": (lambda: ResNet18(1, 10, width=8), (1, 8, 8), 10),
    "ResNet-18 width 16, 1 x 8 x 8": (lambda: ResNet18(1, 10, width=16), (1, 8, 8), 10),
    "ResNet-18 width 64, 1 x 8 x 8": (lambda: ResNet18(1, 10, width=64), (1, 8, 8), 4),
    "ResNet-18 width 64, 3 x 32 x 32": (lambda: ResNet18(3, 10, width=64), (3, 32, 32), 3),
}


def _busy(stop):
    while not stop.is_set():
        pass


class Load:
    """One busy process for a block (``busy=True``), or nothing."""

    def __init__(self, busy):
        self.busy = busy

    def __enter__(self):
        if self.busy:
            self.stop = mp.Event()
            self.process = mp.Process(target=_busy, args=(self.stop,), daemon=True)
            self.process.start()
            time.sleep(0.3)
        return self

    def __exit__(self, *exc):
        if self.busy:
            self.stop.set()
            self.process.join()


def step_seconds(make, shape, threads, steps):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    net = make()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, fused=True)
    X, y = torch.randn(BATCH, *shape), torch.randint(0, 2, (BATCH,))

    def step():
        opt.zero_grad()
        torch.nn.functional.cross_entropy(net(X), y).backward()
        opt.step()

    for _ in range(2):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - start) / steps


def _readme_example(quick):
    """README.md's ten-line GridSearchCV, with n_threads "auto" and 2, idle and busy."""
    import re

    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline

    from skiwce.datasets import make_paper_quantiles

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert re.search(r"IWCEClassifier\(module=\"cnn1d\", T=20, max_epochs=50", readme)
    X, y = make_paper_quantiles(return_X_y=True)
    epochs = 1 if quick else 50
    lines = [
        "",
        "README.md's ten-line example (`GridSearchCV` over T in {5, 20, 50}, 5 folds, CNN1D, "
        f"{epochs} epochs, scaled), seconds:",
        "",
        "| n_threads | idle | busy |",
        "|---|---:|---:|",
    ]

    def search(n_threads):
        clf = IWCEClassifier(
            module="cnn1d", T=20, max_epochs=epochs, random_state=0, n_threads=n_threads
        )
        return GridSearchCV(
            make_pipeline(StandardScaler(), clf),
            {"iwceclassifier__T": [5, 20, 50]},
            scoring="balanced_accuracy",
        )

    return lines + _idle_and_busy(lambda n_threads: search(n_threads).fit(X, y))


def _idle_and_busy(fit):
    """Table rows: ``fit(n_threads)`` timed for n_threads "auto" and 2, idle and busy."""
    rows = []
    for n_threads in ("auto", 2):
        cells = []
        for busy in (False, True):
            with Load(busy):
                torch.set_num_threads(2)
                start = time.perf_counter()
                fitted = fit(n_threads)
                cells.append(f"{time.perf_counter() - start:.1f}")
        resolved = getattr(fitted, "n_threads_", None)
        label = f"{n_threads!r}" + (f" (resolved: {resolved})" if resolved else "")
        rows.append(f"| {label} | " + " | ".join(cells) + " |")
        print(rows[-1], flush=True)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument(
        "--quick", action="store_true", help="two networks, one step each (smoke test)"
    )
    parser.add_argument(
        "--readme", action="store_true", help="also time README.md's ten-line example"
    )
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    before = torch.get_num_threads()
    lines = [
        "# Torch threads for training, idle and shared",
        "",
        "Command: `python benchmarks/threads.py "
        f"{' '.join(sys.argv[1:] if argv is None else argv)}`  ",
        f"Commit {git_commit()}; {machine()} (at the start).",
        "",
        f"One training step (batch {BATCH}, fused Adam), ms, minimum of {args.repeats} "
        "interleaved repetitions; 'busy': one other process spinning on a core. Ratio: "
        "1-thread time over 2-thread time (above 1: 2 threads are faster).",
        "",
        "| network | multiply-accumulates per batch | idle, 1 thread | idle, 2 threads | idle "
        "ratio | busy, 1 thread | busy, 2 threads | busy ratio |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    print("\n".join(lines), flush=True)
    networks = list(NETWORKS.items())
    for name, (make, shape, steps) in networks[:2] if args.quick else networks:
        steps = 1 if args.quick else steps
        macs = count_macs(make(), shape) * BATCH
        cells = []
        for busy in (False, True):
            times = {1: [], 2: []}
            with Load(busy):
                for _ in range(args.repeats):
                    for threads in (1, 2):
                        times[threads].append(step_seconds(make, shape, threads, steps))
            t1, t2 = min(times[1]), min(times[2])
            cells += [f"{1e3 * t1:.2f}", f"{1e3 * t2:.2f}", f"{t1 / t2:.2f}"]
        line = f"| {name} | {macs:.2e} | " + " | ".join(cells) + " |"
        lines.append(line)
        print(line, flush=True)

    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    epochs = 2 if args.quick else 100
    lines += [
        "",
        f"A default `IWCEClassifier(max_epochs={epochs}, random_state=0).fit` on the scaled "
        "breast-cancer data (569 rows, 30 features), seconds:",
        "",
        "| n_threads | idle | busy |",
        "|---|---:|---:|",
    ]
    lines += _idle_and_busy(
        lambda n_threads: IWCEClassifier(
            max_epochs=epochs, n_threads=n_threads, random_state=0
        ).fit(X, y)
    )
    if args.readme:
        lines += _readme_example(args.quick)
    torch.set_num_threads(before)
    if args.out:
        Path(args.out).write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
