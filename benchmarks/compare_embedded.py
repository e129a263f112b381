"""Quality benchmark: IWCE against every baseline on skiwce's embedded (offline) data sets.

For each data set, :func:`skiwce.comparison.compare_dataset` fits every method of
:data:`skiwce.comparison.METHODS` with the same network, optimiser and epoch budget, over
``--seeds`` seeds, and scores it on the data set's fixed, balanced test split (or by stratified
cross-validation for data sets without one). The report (Markdown) records the git commit, the
settings and the hardware, then :class:`skiwce.comparison.SuiteResult`'s report: across the data
sets the mean ranks, the Friedman test, Nemenyi's critical difference and Holm-corrected
Wilcoxon tests against IWCE; per data set the paired tests (a t-test over the seeds for a fixed
test split, which measures seed variance only; the corrected resampled t-test for
cross-validation), Holm-corrected. The tidy table of runs goes next to it as CSV, a heat map
and the critical-difference diagram as PNG.

Networks per data set (the defaults below): the paper's 1-D CNN with Adagrad on the paper's
artificial data, an MLP on the 8x8 long-tailed digits, the paper's HAR network on long-tailed
MNIST-1D. Run from the repository root, e.g.::

    python benchmarks/compare_embedded.py                       # about 10 min on 2 CPU cores
    python benchmarks/compare_embedded.py --epochs 50 --seeds 5 --jobs -1
"""

import argparse
import datetime
import os
import platform
import shlex
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

import skiwce  # noqa: E402
from skiwce.comparison import (  # noqa: E402
    METHODS,
    SuiteResult,
    compare_dataset,
    plot_critical_difference,
    plot_method_heatmap,
)
from skiwce.datasets import DATASETS  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _provenance import git_commit  # noqa: E402

#: Network and optimiser of every data set (IWCEClassifier parameters).
SETTINGS = {
    "paper_quantiles": {"module": "cnn1d", "optimizer": "adagrad", "lr": 0.01, "batch_size": 32},
    "digits_lt": {"module": "mlp", "optimizer": "adam", "lr": 1e-3, "batch_size": 32},
    "mnist1d_lt": {"module": "har", "optimizer": "adam", "lr": 1e-3, "batch_size": 64},
    "digits": {"module": "mlp", "optimizer": "adam", "lr": 1e-3, "batch_size": 32},
    "mnist1d": {"module": "har", "optimizer": "adam", "lr": 1e-3, "batch_size": 64},
}
DEFAULT_DATASETS = ["paper_quantiles", "digits_lt", "mnist1d_lt"]


def hardware():
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        if names:
            cpu = names[0]
    except OSError:
        pass
    return (
        f"{cpu}; {os.cpu_count()} logical CPUs; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}; torch {torch.__version__}"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=DEFAULT_DATASETS, choices=list(SETTINGS))
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--T", type=float, default=None, help="default: epochs / 10")
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--cv", type=int, default=5, help="folds for data without a test split")
    parser.add_argument("--jobs", type=int, default=2, help="joblib processes (default: 2)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per process")
    parser.add_argument("--out", default="benchmarks/results", help="output directory")
    parser.add_argument("--name", default="compare_embedded", help="output file stem")
    args = parser.parse_args(argv)

    torch.set_num_threads(args.threads)
    T = args.T if args.T else args.epochs / 10
    reference = "iwce" if "iwce" in args.methods else args.methods[0]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    started = time.perf_counter()
    results, sections = {}, []
    for name in args.datasets:
        common = {**SETTINGS[name], "max_epochs": args.epochs, "T": T}
        t0 = time.perf_counter()
        result = compare_dataset(
            name,
            args.methods,
            common_params=common,
            reference=reference,
            n_seeds=args.seeds,
            cv=args.cv,
            n_jobs=args.jobs,
            random_state=0,
        )
        seconds = time.perf_counter() - t0
        results[name] = result
        settings = ", ".join(f"{k}={v!r}" for k, v in common.items())
        sections.append(
            f"- {name}: {DATASETS[name]} Network settings: {settings}; {seconds:.0f} s."
        )
    total = time.perf_counter() - started

    # Each data set has its own network settings, so the suite is assembled here rather than
    # by compare_datasets (which shares one set of parameters).
    suite = SuiteResult(results, reference)
    table = suite.table
    csv_path = out / f"{args.name}.csv"
    table.to_csv(csv_path, index=False)
    png_path = out / f"{args.name}_heatmap.png"
    cd_path = out / f"{args.name}_critical_difference.png"
    for path, draw in [
        (png_path, lambda: plot_method_heatmap(table, methods=args.methods)),
        (cd_path, lambda: plot_critical_difference(suite)),
    ]:
        fig = draw()
        fig.savefig(path, dpi=120)
        plt.close(fig)

    command = "python benchmarks/compare_embedded.py " + shlex.join(
        sys.argv[1:] if argv is None else argv
    )
    report = [
        "# IWCE against the baselines on the embedded data sets",
        "",
        f"- Date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- skiwce {skiwce.__version__}, git commit {git_commit(short=False)}",
        f"- Command: `{command.strip()}`",
        f"- Settings: {args.epochs} epochs, T = {T:g} (IWCE), {args.seeds} seed(s) "
        f"(comparison random_state 0), test on each data set's fixed balanced test split "
        f"(else {args.cv}-fold stratified CV), {args.jobs} joblib processes with "
        f"{args.threads} torch thread(s) each",
        f"- Hardware: {hardware()}",
        f"- Total wall time: {total / 60:.1f} min",
        "",
        "Fit times are measured with the processes running side by side, so compare them "
        "within this run only.",
        "",
        "## Data sets and settings",
        "",
        *sections,
        "",
        f"Runs: `{csv_path.name}`; heat map: `{png_path.name}`; critical-difference diagram: "
        f"`{cd_path.name}`.",
        "",
        # The suite's own report, one heading level down.
        suite.to_markdown(diagram=cd_path.name).replace("\n#", "\n##").replace("# ", "## ", 1),
    ]
    md_path = out / f"{args.name}.md"
    md_path.write_text("\n".join(report), encoding="utf-8")
    print(f"Wrote {md_path}, {csv_path} and {png_path} in {total / 60:.1f} min.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
