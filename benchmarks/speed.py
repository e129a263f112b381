"""Training-speed benchmark: IWCEClassifier against plain skorch and a bare PyTorch loop.

CPU (default): the paper's artificial-data network (CNN1D) on the paper's artificial data
(2 200 rows x 10 features), batch 64, Adam, ``--epochs`` epochs. Reports fit times (the minimum
over ``--repeats`` interleaved repetitions) and the ratios the speed issue asks for.

CUDA (``--device cuda``): a CIFAR-style ResNet-18 on random 32x32 images, batch 256; reports
images per second over the epochs after a warm-up epoch, for a bare fp32 loop, a bare bf16 +
channels-last loop, plain skorch and IWCEClassifier (bf16 and channels-last by default).

Run from the repository root, e.g.::

    python benchmarks/speed.py --epochs 200 --repeats 5 --out benchmarks/results/speed_cpu.md
    python benchmarks/speed.py --device cuda --epochs 4 --out benchmarks/results/speed_cuda.md
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
from skorch import NeuralNetClassifier

from skiwce import IWCEClassifier
from skiwce.datasets import make_paper_quantiles
from skiwce.models import CNN1D, ResNet18

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _provenance import git_commit, machine  # noqa: E402


def bare_loop(
    module, X, y, *, epochs, batch_size, lr, fused=False, bf16=False, sync=None, item=False
):
    """Pre-made tensors, a seeded permutation per epoch, slicing; returns per-epoch seconds.

    ``item=True`` reads each batch's loss back to the host (``loss.item()``), as skorch does to
    record it: on a GPU that waits for the step to finish before the next one is queued.
    """
    opt = torch.optim.Adam(module.parameters(), lr=lr, fused=fused or None)
    loss_fn = torch.nn.CrossEntropyLoss()
    module.train()
    gen = torch.Generator().manual_seed(0)
    durations = []
    for _ in range(epochs):
        start = time.perf_counter()
        perm = torch.randperm(len(X), generator=gen).to(X.device)
        for i in range(0, len(X), batch_size):
            idx = perm[i : i + batch_size]
            opt.zero_grad()
            with torch.autocast(X.device.type, dtype=torch.bfloat16, enabled=bf16):
                logits = module(X[idx])
            loss = loss_fn(logits.float(), y[idx])
            loss.backward()
            opt.step()
            if item:
                loss.item()
        if sync:
            sync()
        durations.append(time.perf_counter() - start)
    return durations


def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def cpu_benchmark(epochs, repeats, threads):
    if threads:
        torch.set_num_threads(threads)
    data = make_paper_quantiles(subset="train", random_state=1)
    X, y = data.data.astype(np.float32), data.target.astype(np.int64)
    common = {"max_epochs": epochs, "batch_size": 64, "lr": 1e-3}

    def skorch_plain():
        torch.manual_seed(0)
        NeuralNetClassifier(
            CNN1D,
            module__input_length=10,
            module__n_classes=3,
            criterion=torch.nn.CrossEntropyLoss,
            optimizer=torch.optim.Adam,
            train_split=None,
            iterator_train__shuffle=True,
            verbose=0,
            **common,
        ).fit(X, y)

    def iwce():
        IWCEClassifier(module="cnn1d", T=20.0, random_state=0, **common).fit(X, y)

    def ce():
        IWCEClassifier(module="cnn1d", class_weight=None, random_state=0, **common).fit(X, y)

    def bare(fused):
        def run():
            torch.manual_seed(0)
            Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
            bare_loop(
                CNN1D(input_length=10, n_classes=3),
                Xt,
                yt,
                epochs=epochs,
                batch_size=64,
                lr=1e-3,
                fused=fused,
            )

        return run

    variants = {
        "plain skorch NeuralNetClassifier": skorch_plain,
        "IWCEClassifier (IWCE, T=20)": iwce,
        "IWCEClassifier (plain CE)": ce,
        "bare PyTorch loop": bare(False),
        "bare PyTorch loop, fused Adam": bare(True),
    }
    times = {name: [] for name in variants}
    iwce()  # warm-up: imports, first-call allocations
    for _ in range(repeats):
        for name, fn in variants.items():
            times[name].append(timed(fn))
    best = {name: min(ts) for name, ts in times.items()}
    rows = [f"| {name} | {best[name]:.2f} | {np.median(times[name]):.2f} |" for name in variants]
    ratios = {
        "IWCEClassifier / plain skorch (target <= 0.6)": best["IWCEClassifier (IWCE, T=20)"]
        / best["plain skorch NeuralNetClassifier"],
        "IWCE / plain CE inside IWCEClassifier (target <= 1.02)": best[
            "IWCEClassifier (IWCE, T=20)"
        ]
        / best["IWCEClassifier (plain CE)"],
        "IWCEClassifier / bare loop": best["IWCEClassifier (IWCE, T=20)"]
        / best["bare PyTorch loop"],
        "plain skorch / bare loop": best["plain skorch NeuralNetClassifier"]
        / best["bare PyTorch loop"],
    }
    lines = [
        f"CPU: paper artificial-data net (CNN1D), {len(X)} rows x 10 features, batch 64, Adam "
        f"lr 1e-3, {epochs} epochs, torch threads {torch.get_num_threads()}, "
        f"min and median of {repeats} interleaved runs.",
        "",
        "| variant | fit time, min (s) | median (s) |",
        "|---|---|---|",
        *rows,
        "",
        "| ratio | value |",
        "|---|---|",
        *[f"| {k} | {v:.3f} |" for k, v in ratios.items()],
    ]
    return "\n".join(lines)


def cuda_benchmark(epochs, n_images):
    device = torch.device("cuda")
    sync = torch.cuda.synchronize
    rng = np.random.RandomState(0)
    X = rng.rand(n_images, 3, 32, 32).astype(np.float32)
    y = rng.randint(0, 10, n_images).astype(np.int64)
    Xt, yt = torch.from_numpy(X).to(device), torch.from_numpy(y).to(device)
    results, first_epoch = {}, {}

    def record(name, durations):
        # The first epoch is warm-up (cuDNN autotuning, compilation): reported, not averaged.
        results[name] = n_images / float(np.median(durations[1:]))
        first_epoch[name] = float(durations[0])

    torch.manual_seed(0)
    m = ResNet18(in_channels=3, n_classes=10).to(device)
    record(
        "bare loop, fp32, data on GPU",
        bare_loop(m, Xt, yt, epochs=epochs, batch_size=256, lr=1e-3, fused=True, sync=sync),
    )
    Xcl = Xt.contiguous(memory_format=torch.channels_last)
    for name, item in [
        ("bare loop, bf16 autocast + channels-last", False),
        ("bare loop, bf16 + channels-last, loss.item() per batch", True),
    ]:
        torch.manual_seed(0)
        m = ResNet18(in_channels=3, n_classes=10).to(device).to(memory_format=torch.channels_last)
        record(
            name,
            bare_loop(
                m,
                Xcl,
                yt,
                epochs=epochs,
                batch_size=256,
                lr=1e-3,
                fused=True,
                bf16=True,
                sync=sync,
                item=item,
            ),
        )
    torch.manual_seed(0)
    net = NeuralNetClassifier(
        ResNet18,
        module__in_channels=3,
        module__n_classes=10,
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=1e-3,
        max_epochs=epochs,
        batch_size=256,
        train_split=None,
        iterator_train__shuffle=True,
        device="cuda",
        verbose=0,
    ).fit(X, y)
    record("plain skorch", net.history[:, "dur"])
    for name, extra in [
        ("IWCEClassifier (bf16 + channels-last, auto)", {}),
        ("IWCEClassifier, compile=True", {"compile": True}),
    ]:
        clf = IWCEClassifier(
            module="resnet18",
            max_epochs=epochs,
            batch_size=256,
            device="cuda",
            random_state=0,
            **extra,
        ).fit(X, y)
        record(name, clf.net_.history[:, "dur"])
    ref = results["bare loop, bf16 autocast + channels-last"]
    lines = [
        f"CUDA ({torch.cuda.get_device_name()}): ResNet-18 (CIFAR stem), {n_images} random "
        f"32x32 images, batch 256, Adam, median over epochs 2..{epochs}.",
        "",
        "| variant | images/s | vs bare bf16 loop | first epoch (s) |",
        "|---|---|---|---|",
        *[
            f"| {k} | {v:,.0f} | {v / ref:.2f} | {first_epoch[k]:.1f} |"
            for k, v in results.items()
        ],
    ]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (CPU)")
    parser.add_argument("--n-images", type=int, default=20480)
    parser.add_argument("--out", default=None, help="also write the Markdown result here")
    args = parser.parse_args(argv)
    if args.device == "cpu":
        body = cpu_benchmark(args.epochs, args.repeats, args.threads)
    else:
        body = cuda_benchmark(args.epochs, args.n_images)
    text = f"commit {git_commit()}; {machine()}\n\n{body}\n"
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
