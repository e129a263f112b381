"""The ``skiwce`` command line: compare methods on data sets, list the data sets, run the demo.

Each subcommand has a parser-building function and a worker; the workers call the library
(:mod:`skiwce.comparison`, :mod:`skiwce.datasets`) and only print what it returns. Run
``skiwce --help`` or ``python -m skiwce --help``.
"""

import argparse
import os
import sys
import warnings

# Only light imports here: ``skiwce --help`` must not wait for torch. The workers import the
# library when they run.
from ._names import METHODS, MODULE_NAMES, OPTIMIZER_NAMES
from ._version import __version__

__all__ = ["main"]

#: The demo's setting: the paper's artificial data, network and optimiser.
DEMO_DATASET = "paper_quantiles"
DEMO_METHODS = ("iwce", "ce", "wce")
DEMO_PARAMS = {"module": "cnn1d", "optimizer": "adagrad", "lr": 0.01, "batch_size": 32}


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer; got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer; got {text!r}")
    return value


def _n_jobs(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-zero integer; got {text!r}") from None
    if value == 0:
        raise argparse.ArgumentTypeError("expected a positive number of jobs, or -1 for all cores")
    return value


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number; got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number; got {text!r}")
    return value


def _default_methods(methods):
    return "all" if list(methods) == list(METHODS) else " ".join(methods)


def _add_run_options(parser, *, epochs, seeds, methods, out=None):
    """Options shared by ``compare`` and ``demo``."""
    parser.add_argument(
        "--methods",
        nargs="+",
        choices=list(METHODS),
        default=list(methods),
        metavar="METHOD",
        help=f"methods to compare (default: {_default_methods(methods)}); valid: "
        f"{', '.join(METHODS)}",
    )
    parser.add_argument(
        "--epochs", type=_positive_int, default=epochs, help=f"epochs (default: {epochs})"
    )
    parser.add_argument(
        "--seeds", type=_positive_int, default=seeds, help=f"repetitions (default: {seeds})"
    )
    parser.add_argument(
        "--T",
        type=_positive_float,
        default=None,
        dest="T",
        help="IWCE temperature (default: epochs / 10; the paper searched T in 10..50 at 200 "
        "epochs)",
    )
    parser.add_argument(
        "--jobs",
        type=_n_jobs,
        default=None,
        help="parallel runs with joblib (default: one after the other; -1: all cores)",
    )
    parser.add_argument(
        "--threads",
        type=_positive_int,
        default=1,
        help="torch threads per run (default: 1, fastest for small networks on a CPU)",
    )
    parser.add_argument(
        "--device", default="cpu", help="torch device of the networks, e.g. cuda (default: cpu)"
    )
    parser.add_argument(
        "--random-state", type=int, default=0, help="seed of the comparison (default: 0)"
    )
    parser.add_argument(
        "--out",
        default=out,
        help="directory for results.csv, summary.md and the plots"
        + (f" (default: {out})" if out else " (default: none, only print)"),
    )
    parser.add_argument("--no-progress", action="store_true", help="do not show the progress bar")


def format_compare_parser(subparsers):
    """The ``compare`` subcommand."""
    parser = subparsers.add_parser(
        "compare",
        help="compare IWCE with the baselines on one or several data sets",
        description="Fit the methods on the same splits and seeds of each data set, print a "
        "Markdown summary and write results.csv, summary.md and PNG plots into --out. Per data "
        "set, each method is tested against --reference (by default IWCE): the corrected "
        "resampled t-test over repeated cross-validation, a paired t-test over the seeds of a "
        "fixed test split (seed variance only), Holm-corrected over the methods. With several "
        "data sets, the methods are also ranked across them (mean ranks, Friedman and "
        "Iman-Davenport tests, Holm-corrected Wilcoxon tests over the data sets, Nemenyi's "
        "critical difference) and --out gets ranks.csv, tests.csv, critical_difference.png "
        "and one folder per data set. Your own tables: --data FILE.csv --target COLUMN "
        "(repeated stratified cross-validation, --cv folds).",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--dataset",
        "--datasets",
        nargs="+",
        action="extend",
        metavar="DATASET",
        dest="dataset",
        help="one or more data set names (several: compared across them too), see "
        "`skiwce datasets`",
    )
    source.add_argument(
        "--data",
        nargs="+",
        action="extend",
        metavar="PATH",
        help="one or more tables of your own: CSV (.csv, .csv.gz, .tsv) or Parquet (.parquet, "
        "needs pyarrow), one row per sample, with the class labels in --target; every other "
        "column is a feature (several files: compared across them too)",
    )
    parser.add_argument(
        "--target",
        metavar="COLUMN",
        help="with --data: the column of class labels",
    )
    parser.add_argument(
        "--categorical",
        choices=["onehot", "refuse"],
        default="onehot",
        help="with --data: one-hot encode the non-numeric feature columns (default), or refuse "
        "them; the output names the encoded columns",
    )
    _add_run_options(parser, epochs=20, seeds=3, methods=list(METHODS), out="skiwce-results")
    parser.add_argument(
        "--cv",
        type=int,
        default=5,
        help="stratified folds when the data set has no fixed test split (default: 5)",
    )
    parser.add_argument(
        "--module",
        default="auto",
        choices=["auto", *MODULE_NAMES],
        help="network of IWCEClassifier (default: auto: MLP for rows, MiniRocket for series, "
        "ResNet-18 for images)",
    )
    parser.add_argument(
        "--optimizer",
        default="auto",
        choices=["auto", *OPTIMIZER_NAMES],
        help="optimizer (default: auto: Adam, L-BFGS for MiniRocket's linear head)",
    )
    parser.add_argument("--lr", type=_positive_float, default=1e-3, help="learning rate")
    parser.add_argument("--batch-size", type=_positive_int, default=64, help="batch size")
    parser.add_argument(
        "--reference", default=None, help="method of the paired tests (default: iwce)"
    )
    parser.add_argument("--no-plots", action="store_true", help="write no PNG plots")
    parser.set_defaults(func=_run_compare)
    return parser


def format_datasets_parser(subparsers):
    """The ``datasets`` subcommand."""
    parser = subparsers.add_parser("datasets", help="list the data sets `compare` can load")
    parser.set_defaults(func=_run_datasets)
    return parser


def format_demo_parser(subparsers):
    """The ``demo`` subcommand."""
    parser = subparsers.add_parser(
        "demo",
        help="IWCE vs CE vs WCE on the paper's artificial data (about 30 s on a 2-core CPU)",
        description="Train the paper's 1-D CNN with Adagrad on the artificial Gaussian-quantile "
        "data (800/400/1000 training rows, 10 000 test rows) with IWCE, plain and weighted "
        "cross entropy, and print the test metrics.",
    )
    # 5 seeds: on a fixed test set fewer leave the paired tests able to find only large
    # differences (compare's BudgetWarning).
    _add_run_options(parser, epochs=20, seeds=5, methods=DEMO_METHODS)
    parser.set_defaults(func=_run_demo)
    return parser


def format_parser():
    """The ``skiwce`` argument parser with its subcommands.

    Returns
    -------
    parser : argparse.ArgumentParser
    """
    parser = argparse.ArgumentParser(
        prog="skiwce",
        description="Incremental weighted cross entropy (IWCE) for class-imbalanced data: "
        "compare it with the baselines.",
    )
    parser.add_argument("--version", action="version", version=f"skiwce {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    format_compare_parser(subparsers)
    format_datasets_parser(subparsers)
    format_demo_parser(subparsers)
    return parser


class _UsageError(Exception):
    """A bad argument the parser could not check; reported with exit code 2."""


def _datasets():
    """Every name ``compare`` takes: the offline data sets and those downloaded on first use."""
    from ._names import DATASETS, FETCHED_DATASETS

    return {**DATASETS, **FETCHED_DATASETS}


def _fetch_first(names):
    """Download the named data sets that are not offline, before any training."""
    from ._names import FETCHED_DATASETS
    from .datasets._fetch import _prefetch

    for name in names:
        if name in FETCHED_DATASETS:
            try:
                _prefetch(name)
            except OSError as exc:
                raise _UsageError(f"--dataset {name}: {exc}") from None


def _common_params(args, **fixed):
    T = args.T if args.T else args.epochs / 10
    return {
        "max_epochs": args.epochs,
        "T": T,
        "device": args.device,
        # Each fit sets its own thread count, also inside joblib's worker processes.
        "n_threads": args.threads,
        **fixed,
    }


def _compare_params(args):
    """``compare``'s checked options and the estimator settings of its networks."""
    if args.cv < 2:
        raise _UsageError(f"--cv must be at least 2; got {args.cv}")
    _check_run_options(args)
    return _common_params(
        args,
        module=args.module,
        optimizer=args.optimizer,
        lr=args.lr,
        batch_size=args.batch_size,
    )


def _check_run_options(args):
    """Check, before any training, what would otherwise fail late: the device, the reference
    method and the output directory (created last, once everything else is known good)."""
    import torch

    methods = list(dict.fromkeys(args.methods))
    reference = getattr(args, "reference", None)
    if reference and reference not in methods:
        raise _UsageError(f"--reference {reference!r} is not among the methods {methods}")
    try:
        device = torch.device(args.device)
    except (RuntimeError, TypeError):
        raise _UsageError(
            f"--device must be a torch device such as cpu or cuda; got {args.device!r}"
        ) from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise _UsageError(f"--device {args.device}: CUDA is not available on this machine")
    if args.out:
        try:
            os.makedirs(args.out, exist_ok=True)
        except OSError as exc:
            raise _UsageError(f"--out {args.out}: cannot create the directory ({exc})") from None


def _load_tables(args):
    """The --data files as data sets: name (the file's name, or its path where two names
    collide) to the bunch of :func:`skiwce.datasets.load_table`."""
    from .datasets import load_table

    if not args.target:
        raise _UsageError("--data needs --target COLUMN, the column of class labels")
    repeated = sorted({p for p in args.data if args.data.count(p) > 1})
    if repeated:
        raise _UsageError(f"--data names {', '.join(repeated)} more than once")
    names = [os.path.basename(p) for p in args.data]
    names = [p if names.count(n) > 1 else n for p, n in zip(args.data, names, strict=True)]
    tables = {}
    for name, path in zip(names, args.data, strict=True):
        if not os.path.isfile(path):
            raise _UsageError(f"--data {path}: no such file")
        try:
            tables[name] = load_table(path, args.target, categorical=args.categorical)
        except (ValueError, ImportError, OSError) as exc:
            raise _UsageError(f"--data {path}: {exc}") from None
        except Exception as exc:  # noqa: BLE001 - a parser's error on a malformed file
            raise _UsageError(
                f"--data {path}: cannot read it ({type(exc).__name__}: {exc})"
            ) from None
    return tables


def _run(args, dataset, common):
    """Compare on one data set (a name, or a dict name -> data of one item) or several (a
    list, or a dict): a result or a suite."""
    import torch

    from .comparison import compare_dataset, compare_datasets

    methods = list(dict.fromkeys(args.methods))
    reference = getattr(args, "reference", None) or "iwce"
    if getattr(args, "reference", None) and reference not in methods:
        raise _UsageError(f"--reference {reference!r} is not among the methods {methods}")
    previous = torch.get_num_threads()
    torch.set_num_threads(args.threads)
    run = compare_datasets if isinstance(dataset, (list, dict)) else compare_dataset
    try:
        with _budget_warnings_after(args.command):
            result = run(
                dataset,
                methods,
                common_params=common,
                reference=reference,
                cv=getattr(args, "cv", 5),
                n_seeds=args.seeds,
                random_state=args.random_state,
                n_jobs=args.jobs,
                progress=not args.no_progress,
                return_estimators=[m for m in ("iwce", "ce") if m in methods],
            )
            if isinstance(dataset, dict) and len(dataset) == 1:
                return result.results[next(iter(dataset))]
            return result
    except ValueError as exc:
        # Fits that fail are recorded in the table; what compare raises is a bad setting
        # (e.g. more folds than samples of a class).
        raise _UsageError(str(exc)) from None
    finally:
        torch.set_num_threads(previous)


class _budget_warnings_after:
    """Hold back compare's BudgetWarning and print it, plainly, when the command's output is
    done (at the end, where it is read); other warnings pass through."""

    def __init__(self, command):
        self.command = command

    def __enter__(self):
        self._catch = warnings.catch_warnings(record=True)
        self.caught = self._catch.__enter__()
        from .comparison import BudgetWarning

        self.category = BudgetWarning
        warnings.simplefilter("always", BudgetWarning)
        return self

    def __exit__(self, *exc):
        self._catch.__exit__(*exc)
        for w in self.caught:
            if issubclass(w.category, self.category):
                _PENDING.append(f"skiwce {self.command}: warning: {w.message}")
            else:
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        return False


# Budget warnings of the running command, printed by _flush_warnings at its end.
_PENDING = []


def _flush_warnings():
    while _PENDING:
        print(_PENDING.pop(0), file=sys.stderr)


def _write(result, args, dataset, common, plots=True):
    if plots:
        import matplotlib

        matplotlib.use("Agg")
    metadata = {
        "skiwce": __version__,
        "command": getattr(args, "command", None),
        ("datasets" if isinstance(dataset, list) else "dataset"): dataset,
        **(
            {"data": args.data, "target": args.target, "categorical": args.categorical}
            if getattr(args, "data", None)
            else {}
        ),
        "methods": list(dict.fromkeys(args.methods)),
        "seeds": args.seeds,
        "cv": getattr(args, "cv", None),
        "random_state": args.random_state,
        "threads": args.threads,
        "jobs": args.jobs,
        "common_params": common,
    }
    return result.save(args.out, plots=plots, metadata=metadata)


def _run_compare(args, out):
    if args.data:
        return _run_compare_tables(args, out)
    if args.target:
        raise _UsageError("--target goes with --data (a table of your own)")
    datasets = _datasets()
    for name in args.dataset:
        if name not in datasets:
            raise _UsageError(
                f"unknown dataset {name!r}; valid names are: {', '.join(datasets)} (for a "
                "table of your own: --data PATH --target COLUMN)"
            )
    repeated = sorted({d for d in args.dataset if args.dataset.count(d) > 1})
    if repeated:
        raise _UsageError(f"--dataset names {', '.join(repeated)} more than once")
    common = _compare_params(args)
    _fetch_first(args.dataset)
    dataset = args.dataset[0] if len(args.dataset) == 1 else list(args.dataset)
    result = _run(args, dataset, common)
    if isinstance(dataset, list):
        print(result.to_markdown(), file=out)
    else:
        print(f"## {dataset}: {datasets[dataset]}\n", file=out)
        print(result.to_markdown(), file=out)
    paths = _write(result, args, dataset, common, plots=not args.no_plots)
    top = sorted(p for p in paths if "/" not in p)
    folders = sorted({p.split("/")[0] + "/" for p in paths if "/" in p})
    print(f"Wrote {', '.join(top + folders)} to {args.out}", file=out)
    return _status(result, args.command)


def _run_compare_tables(args, out):
    """``compare --data PATH ... --target COLUMN``: the same comparison on the user's tables."""
    tables = _load_tables(args)
    common = _compare_params(args)
    for table in tables.values():
        print(table.DESCR, file=out)
    print(file=out)
    result = _run(args, tables, common)
    if len(tables) == 1:
        name = next(iter(tables))
        print(f"## {name}\n", file=out)
    print(result.to_markdown(), file=out)
    names = list(tables) if len(tables) > 1 else next(iter(tables))
    paths = _write(result, args, names, common, plots=not args.no_plots)
    top = sorted(p for p in paths if "/" not in p)
    folders = sorted({p.split("/")[0] + "/" for p in paths if "/" in p})
    print(f"Wrote {', '.join(top + folders)} to {args.out}", file=out)
    return _status(result, args.command)


def _status(result, command):
    """1 when every fit failed (the errors are in results.csv), else 0; prints the budget
    warnings held back."""
    _flush_warnings()
    errors = result.table["error"]
    if errors.notna().all():
        print(
            f"skiwce {command}: error: every fit failed; the first: {errors.iloc[0]}",
            file=sys.stderr,
        )
        return 1
    return 0


def _run_datasets(args, out):
    datasets = _datasets()
    width = max(map(len, datasets))
    for name, description in datasets.items():
        print(f"{name:<{width}}  {description}", file=out)
    return 0


def _run_demo(args, out):
    _check_run_options(args)
    common = _common_params(args, **DEMO_PARAMS)
    datasets = _datasets()
    print(
        f"IWCE demo on {DEMO_DATASET}: {datasets[DEMO_DATASET]}\n"
        f"Network cnn1d (the paper's), Adagrad lr 0.01, batch 32, {args.epochs} epochs, "
        f"T = {common['T']:g}, {args.seeds} seeds; scores on the fixed test set.\n",
        file=out,
    )
    result = _run(args, DEMO_DATASET, common)
    print(result.to_markdown(), file=out)
    if args.out:
        paths = _write(result, args, DEMO_DATASET, common)
        print(f"Wrote {', '.join(sorted(paths))} to {args.out}", file=out)
    return _status(result, args.command)


def main(argv=None):
    """Run the ``skiwce`` command.

    Parameters
    ----------
    argv : list of str or None, default=None
        The arguments, without the program name; None reads ``sys.argv[1:]``.

    Returns
    -------
    code : int
        0 on success, 2 for a usage error (unknown data set, method, network or optimizer, bad
        value, device or output directory), 1 when every fit failed and 130 when interrupted
        (Ctrl-C), with the message on stderr.

    Examples
    --------
    >>> from skiwce.cli import main
    >>> main(["compare", "--dataset", "paper_quantiles", "--methods", "no_such_method"])
    2
    """
    _PENDING.clear()
    parser = format_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help, --version and usage errors
        return exc.code if isinstance(exc.code, int) else 2
    try:
        return args.func(args, sys.stdout)
    except _UsageError as exc:
        print(f"skiwce {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"skiwce {args.command}: interrupted", file=sys.stderr)
        return 130
