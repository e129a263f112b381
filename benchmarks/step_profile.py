"""Where a training step of the paper's artificial-data network goes, on a CPU.

Times the forward pass (with the loss), the backward pass and the optimizer step of a bare
PyTorch loop over the paper's ``CNN1D`` (batch 64, fused Adam), then the whole step eagerly and
under ``torch.compile``, whose first step (the compilation) is reported on its own. It backs the
speed benchmark's reading that, for this network, the remaining time is the network's own work
and that compiling does not pay on a CPU. Run from the repository root::

    python benchmarks/step_profile.py --out benchmarks/results/step_profile_cpu.md
"""

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch

from skiwce.datasets import make_paper_quantiles
from skiwce.models import CNN1D

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _provenance import git_commit, machine  # noqa: E402


def _setup(seed=0):
    data = make_paper_quantiles(subset="train", random_state=1)
    X = torch.from_numpy(data.data.astype(np.float32))
    y = torch.from_numpy(data.target.astype(np.int64))
    torch.manual_seed(seed)
    module = CNN1D(input_length=10, n_classes=3)
    optimizer = torch.optim.Adam(module.parameters(), lr=1e-3, fused=True)
    return X, y, module, optimizer, torch.nn.CrossEntropyLoss()


def _batches(n, steps, batch_size=64, seed=0):
    gen = torch.Generator().manual_seed(seed)
    out = []
    while len(out) < steps:
        perm = torch.randperm(n, generator=gen)
        out += [perm[i : i + batch_size] for i in range(0, n - batch_size + 1, batch_size)]
    return out[:steps]


def phases(steps, warmup):
    """Mean microseconds per step of forward (+ loss), backward and optimizer step."""
    X, y, module, optimizer, loss_fn = _setup()
    totals = np.zeros(3)
    for k, idx in enumerate(_batches(len(X), warmup + steps)):
        t0 = time.perf_counter()
        optimizer.zero_grad()
        loss = loss_fn(module(X[idx]), y[idx])
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        optimizer.step()
        t3 = time.perf_counter()
        if k >= warmup:
            totals += (t1 - t0, t2 - t1, t3 - t2)
    return totals / steps * 1e6


def whole_steps(steps, warmup, compile):
    """Mean microseconds per step, and the seconds of the first step."""
    X, y, module, optimizer, loss_fn = _setup()
    model = torch.compile(module) if compile else module
    batches = _batches(len(X), 1 + warmup + steps)
    durations = []
    for idx in batches:
        start = time.perf_counter()
        optimizer.zero_grad()
        loss_fn(model(X[idx]), y[idx]).backward()
        optimizer.step()
        durations.append(time.perf_counter() - start)
    return float(np.mean(durations[1 + warmup :])) * 1e6, durations[0]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--threads", type=int, default=None, help="torch threads")
    parser.add_argument("--no-compile", action="store_true", help="skip torch.compile")
    parser.add_argument("--out", default=None, help="also write the Markdown result here")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    fwd, bwd, opt = phases(args.steps, args.warmup)
    eager, _ = whole_steps(args.steps, args.warmup, compile=False)
    compiled = first = float("nan")
    if not args.no_compile:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch's compiler stack warns about its internals
            compiled, first = whole_steps(args.steps, args.warmup, compile=True)
    lines = [
        f"commit {git_commit()}; {machine()}",
        "",
        f"CPU: the paper's CNN1D, batch 64, fused Adam; mean over {args.steps} steps after "
        f"{args.warmup} warm-up steps.",
        "",
        "| part of a step | µs |",
        "|---|---:|",
        f"| forward pass and loss | {fwd:.0f} |",
        f"| backward pass | {bwd:.0f} |",
        f"| optimizer step (and zero_grad) | {opt:.0f} |",
        f"| whole step, eager | {eager:.0f} |",
        f"| whole step, torch.compile | {compiled:.0f} |",
        f"| first compiled step (compilation), s | {first:.1f} |",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
