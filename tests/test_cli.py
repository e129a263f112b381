"""Tests of the ``skiwce`` command line (skiwce.cli), called through ``main([...])``."""

import json
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

PNGS = {
    "balanced_accuracy.png",
    "recall_by_method.png",
    "confusion_matrices.png",
    "weight_history.png",
    "loss_curves.png",
}


@pytest.fixture
def main():
    from skiwce.cli import main

    return main


class TestMain:
    def test_datasets(self, main, capsys):
        from skiwce.datasets import DATASETS

        assert main(["datasets"]) == 0
        out = capsys.readouterr().out
        for name in DATASETS:
            assert name in out
        assert "10 000-row test set" in out

    def test_compare_writes_every_file(self, main, tmp_path, capsys):
        out_dir = tmp_path / "out"
        code = main(
            [
                "compare",
                "--dataset",
                "paper_quantiles",
                "--methods",
                "iwce",
                "ce",
                "smote",
                "--epochs",
                "2",
                "--seeds",
                "2",
                "--batch-size",
                "256",
                "--out",
                str(out_dir),
                "--no-progress",
            ]
        )
        assert code == 0
        captured = capsys.readouterr()
        assert "| Method | Accuracy (%)" in captured.out
        assert "Wrote " in captured.out
        # 2 epochs: the budget warning comes last, plainly, on stderr
        last = captured.err.strip().splitlines()[-1]
        assert last.startswith(
            "skiwce compare: warning: The results on paper_quantiles may not be trusted: "
        )
        assert "fewer than 20 epochs" in last
        # no progress bar, no warnings but the budget's
        assert captured.err.count("\n") == 1
        names = {p.name for p in out_dir.iterdir()}
        assert names == {"results.csv", "summary.csv", "summary.md", "settings.json"} | PNGS
        for path in out_dir.iterdir():
            assert path.stat().st_size > 0
        table = pd.read_csv(out_dir / "results.csv")
        assert len(table) == 3 * 2
        assert (table["dataset"] == "paper_quantiles").all()
        assert {"recall_c1", "recall_c2", "recall_c3"} <= set(table.columns)
        settings = json.loads((out_dir / "settings.json").read_text())
        assert settings["common_params"]["max_epochs"] == 2
        assert settings["common_params"]["T"] == pytest.approx(0.2)
        assert settings["common_params"]["device"] == "cpu"
        summary = (out_dir / "summary.md").read_text()
        assert "(reference)" in summary

    def test_compare_several_datasets(self, main, tmp_path, capsys):
        out_dir = tmp_path / "suite"
        argv = ["compare", "--dataset", "paper_quantiles", "digits_lt", "--methods", "iwce"]
        argv += ["ce", "brf", "--module", "mlp", "--epochs", "1", "--batch-size", "256"]
        argv += ["--seeds", "2", "--out", str(out_dir), "--no-progress"]
        assert main(argv) == 0
        captured = capsys.readouterr()
        # only the budget warning, once for both data sets (the same message), at the end
        lines = captured.err.splitlines()
        assert [line.split(": warning: ")[0] for line in lines] == ["skiwce compare"]
        assert "The results on paper_quantiles and digits_lt may not be trusted" in lines[0]
        assert captured.out.startswith("# IWCE against 2 methods on 2 data sets")
        assert "digits_lt/, paper_quantiles/ to " in captured.out.splitlines()[-1]
        names = {p.name for p in out_dir.iterdir()}
        assert names == {
            "results.csv",
            "scores.csv",
            "tests.csv",
            "ranks.csv",
            "summary.md",
            "settings.json",
            "heatmap.png",
            "critical_difference.png",
            "paper_quantiles",
            "digits_lt",
        }
        assert (out_dir / "critical_difference.png").stat().st_size > 5000
        summary = (out_dir / "summary.md").read_text(encoding="utf-8")
        assert "- IWCE ranks " in summary and "Friedman test (tie-corrected)" in summary
        assert "![Critical-difference diagram](critical_difference.png)" in summary
        # Both data sets have a fixed test split: t-tests over the seeds, said to be so.
        assert summary.count("which measures seed variance only") == 2
        assert "| Balanced random forest |" in summary  # display names
        for dataset in ["paper_quantiles", "digits_lt"]:
            folder = out_dir / dataset
            assert {"summary.md", "results.csv", "balanced_accuracy.png"} <= {
                p.name for p in folder.iterdir()
            }
        table = pd.read_csv(out_dir / "results.csv")
        assert len(table) == 2 * 3 * 2
        assert set(table["dataset"]) == {"paper_quantiles", "digits_lt"}
        assert set(table["method"]) == {"iwce", "ce", "brf"}  # the codes
        settings = json.loads((out_dir / "settings.json").read_text())
        assert settings["datasets"] == ["paper_quantiles", "digits_lt"]

    def test_compare_all_methods(self, main, tmp_path, capsys):
        from skiwce.comparison import METHOD_NAMES, METHODS

        code = main(
            [
                "compare",
                "--dataset",
                "digits_lt",
                "--module",
                "mlp",
                "--epochs",
                "2",
                "--seeds",
                "1",
                "--out",
                str(tmp_path),
                "--no-progress",
                "--no-plots",
            ]
        )
        assert code == 0
        summary = (tmp_path / "summary.md").read_text()
        rows = [line.split(" | ")[0].lstrip("| ") for line in summary.splitlines()[2:]]
        assert rows[: len(METHODS)] == [METHOD_NAMES[m] for m in METHODS]
        assert not list(tmp_path.glob("*.png"))
        capsys.readouterr()

    def test_compare_restores_torch_threads(self, main, tmp_path, capsys):
        before = torch.get_num_threads()
        main(
            [
                "compare",
                "--dataset",
                "digits_lt",
                "--methods",
                "brf",
                "--seeds",
                "1",
                "--out",
                str(tmp_path),
                "--no-progress",
                "--no-plots",
                "--threads",
                "1",
            ]
        )
        assert torch.get_num_threads() == before
        capsys.readouterr()

    def test_every_fit_failing_exits_1(self, main, tmp_path, capsys, monkeypatch):
        from sklearn.dummy import DummyClassifier
        from sklearn.exceptions import FitFailedWarning

        from skiwce.comparison import _baselines

        class Broken(DummyClassifier):
            def fit(self, X, y, sample_weight=None):
                raise RuntimeError("no network today")

        # compare builds the methods through make_methods -> make_method.
        monkeypatch.setattr(_baselines, "make_method", lambda name, **common: Broken())
        with pytest.warns(FitFailedWarning, match="2 of 2 fits failed"):
            code = main(
                [
                    "compare",
                    "--dataset",
                    "digits_lt",
                    "--methods",
                    "ce",
                    "--seeds",
                    "2",
                    "--out",
                    str(tmp_path),
                    "--no-progress",
                    "--no-plots",
                ]
            )
        assert code == 1
        assert "every fit failed" in capsys.readouterr().err

    @pytest.mark.parametrize(
        "extra, message",
        [
            (["--device", "nonsense"], "--device must be a torch device"),
            (["--cv", "500"], "n_splits=500 cannot be greater"),
        ],
    )
    def test_bad_settings_fail_before_training(self, main, tmp_path, capsys, extra, message):
        argv = ["compare", "--dataset", "digits", "--methods", "ce", "--epochs", "1"]
        argv += ["--seeds", "1", "--no-progress", "--no-plots", "--out", str(tmp_path), *extra]
        assert main(argv) == 2
        captured = capsys.readouterr()
        assert message in captured.err and captured.out == ""

    def test_out_that_is_a_file_fails_before_training(self, main, tmp_path, capsys, monkeypatch):
        from skiwce.comparison import _datasets

        def no_training(*args, **kwargs):  # pragma: no cover - must not be reached
            raise AssertionError("trained before checking --out")

        monkeypatch.setattr(_datasets, "compare", no_training)
        a_file = tmp_path / "results.txt"
        a_file.write_text("not a directory")
        argv = ["demo", "--epochs", "1", "--seeds", "1", "--no-progress", "--out", str(a_file)]
        assert main(argv) == 2
        assert "--out" in capsys.readouterr().err

    def test_threads_reach_every_fit(self, main, capsys, monkeypatch):
        # Also in joblib's worker processes, which do not inherit torch's thread setting.
        from skiwce.comparison import _datasets

        seen = {}

        def record(*args, common_params=None, **kwargs):
            seen.update(common_params)
            raise KeyboardInterrupt  # and Ctrl-C ends the command with 130

        monkeypatch.setattr(_datasets, "compare", record)
        code = main(["demo", "--epochs", "1", "--seeds", "1", "--threads", "2", "--jobs", "2"])
        assert code == 130
        assert seen["n_threads"] == 2
        assert "interrupted" in capsys.readouterr().err

    def test_demo(self, main, capsys):
        assert main(["demo", "--epochs", "1", "--seeds", "1", "--no-progress"]) == 0
        out = capsys.readouterr().out
        assert "IWCE demo on paper_quantiles" in out
        for method in ["IWCE", "CE", "WCE"]:  # the display names
            assert f"| {method} |" in out

    def test_demo_writes_files_with_out(self, main, tmp_path, capsys):
        code = main(
            [
                "demo",
                "--epochs",
                "1",
                "--seeds",
                "1",
                "--methods",
                "iwce",
                "ce",
                "--no-progress",
                "--out",
                str(tmp_path),
            ]
        )
        assert code == 0
        assert (tmp_path / "summary.md").exists()
        capsys.readouterr()

    @pytest.mark.parametrize(
        "argv, message",
        [
            (["compare", "--dataset", "nope"], "unknown dataset 'nope'; valid names are: "),
            (["compare", "--dataset", "digits", "nope"], "unknown dataset 'nope'"),
            (["compare", "--dataset", "digits", "digits"], "--dataset names digits more than"),
            (
                ["compare", "--dataset", "digits", "--dataset", "digits"],
                "--dataset names digits more than",
            ),
            (
                ["compare", "--dataset", "digits", "--methods", "iwce", "nope"],
                "invalid choice: 'nope'",
            ),
            (["demo", "--methods", "bogus"], "invalid choice: 'bogus'"),
            (["compare", "--dataset", "digits", "--epochs", "0"], "expected a positive integer"),
            (["compare", "--dataset", "digits", "--lr", "-1"], "expected a positive number"),
            (["compare", "--dataset", "digits", "--cv", "1"], "--cv must be at least 2"),
            (
                ["compare", "--dataset", "digits", "--methods", "ce", "--reference", "iwce"],
                "--reference 'iwce' is not among the methods",
            ),
            (["compare", "--dataset", "digits", "--module", "vgg"], "invalid choice: 'vgg'"),
            (["compare", "--dataset", "digits", "--optimizer", "newton"], "invalid choice"),
            (["compare"], "one of the arguments --dataset/--datasets --data is required"),
            ([], "the following arguments are required: COMMAND"),
            (["frobnicate"], "invalid choice: 'frobnicate'"),
        ],
    )
    def test_usage_errors(self, main, capsys, argv, message):
        assert main(argv) == 2
        captured = capsys.readouterr()
        assert message in captured.err
        assert captured.out == ""

    def test_unknown_dataset_lists_valid_names(self, main, capsys):
        from skiwce.datasets import DATASETS

        assert main(["compare", "--dataset", "nope"]) == 2
        err = capsys.readouterr().err
        assert err.startswith("skiwce compare: error:")
        assert all(name in err for name in DATASETS)

    def test_unknown_method_lists_valid_names(self, main, capsys):
        from skiwce.comparison import METHODS

        assert main(["compare", "--dataset", "digits", "--methods", "nope"]) == 2
        err = capsys.readouterr().err
        assert all(name in err for name in METHODS)

    def test_help_and_version(self, main, capsys):
        from skiwce import __version__

        assert main(["--help"]) == 0
        assert "compare" in capsys.readouterr().out
        assert main(["--version"]) == 0
        assert capsys.readouterr().out.strip() == f"skiwce {__version__}"

    @pytest.mark.parametrize("argv", [["--help"], ["compare", "--help"], ["datasets"]])
    def test_help_and_listing_start_without_torch(self, argv):
        # `skiwce --help` and `skiwce datasets` must answer at once: no torch, no scikit-learn.
        code = (
            "import sys\n"
            "from skiwce.cli import main\n"
            "try:\n"
            f"    main({argv!r})\n"
            "except SystemExit:\n"
            "    pass\n"
            "heavy = sorted({'torch', 'sklearn', 'skorch', 'scipy'} & set(sys.modules))\n"
            "print('HEAVY', heavy)\n"
        )
        proc = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
        )
        assert proc.returncode == 0, proc.stderr
        assert "HEAVY []" in proc.stdout, proc.stdout[-500:]

    def test_python_dash_m(self):
        proc = subprocess.run(
            [sys.executable, "-m", "skiwce", "datasets"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
        assert "paper_quantiles" in proc.stdout
        proc = subprocess.run(
            [sys.executable, "-m", "skiwce", "compare", "--dataset", "nope"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 2
        assert "unknown dataset 'nope'" in proc.stderr


class TestOwnTables:
    """``compare --data PATH --target COLUMN``: a user's CSV through the same comparison."""

    ARGS = ["--methods", "iwce", "ce", "--epochs", "2", "--seeds", "1", "--cv", "2"]
    ARGS += ["--batch-size", "64", "--no-progress", "--no-plots"]

    @staticmethod
    def write(path, seed=0, n=120):
        import numpy as np

        rng = np.random.RandomState(seed)
        frame = pd.DataFrame(
            {"a": rng.randn(n), "b": rng.randn(n), "color": rng.choice(["red", "blue"], n)}
        )
        frame["label"] = np.where(frame["a"] + (frame["color"] == "red") > 1.0, "yes", "no")
        frame.to_csv(path, index=False)
        return frame

    def test_one_csv(self, main, tmp_path, capsys):
        self.write(tmp_path / "mydata.csv")
        out_dir = tmp_path / "out"
        code = main(
            ["compare", "--data", str(tmp_path / "mydata.csv"), "--target", "label"]
            + self.ARGS
            + ["--out", str(out_dir)]
        )
        captured = capsys.readouterr()
        assert code == 0, captured.err
        assert "mydata.csv: 120 rows, target 'label' (2 classes), 4 features from 3 columns" in (
            captured.out
        )
        assert "one-hot encoded: color (2 values)" in captured.out
        assert "## mydata.csv" in captured.out
        table = pd.read_csv(out_dir / "results.csv")
        assert set(table["method"]) == {"iwce", "ce"} and table["error"].isna().all()
        assert len(table) == 4  # 2 methods x 2 folds x 1 seed
        assert {"recall_no", "recall_yes"} <= set(table.columns)
        settings = json.loads((out_dir / "settings.json").read_text())
        assert settings["target"] == "label" and settings["categorical"] == "onehot"

    def test_several_files_give_the_report_across_them(self, main, tmp_path, capsys):
        paths = []
        for i in range(2):
            self.write(tmp_path / f"t{i}.csv", seed=i)
            paths.append(str(tmp_path / f"t{i}.csv"))
        out_dir = tmp_path / "out"
        code = main(
            ["compare", "--data", *paths, "--target", "label"]
            + self.ARGS
            + ["--out", str(out_dir)]
        )
        captured = capsys.readouterr()
        assert code == 0, captured.err
        assert "# IWCE against 1 method on 2 data sets" in captured.out
        assert (out_dir / "ranks.csv").exists() and (out_dir / "t0.csv" / "results.csv").exists()
        # the budget warning once, naming both tables
        assert captured.err.count("may not be trusted") == 1
        assert "The results on t0.csv and t1.csv may not be trusted" in captured.err

    @pytest.mark.parametrize(
        "args, message",
        [
            (["--target", "nope"], "has no column 'nope'; its columns are"),
            ([], "--data needs --target COLUMN"),
            (
                ["--target", "label", "--categorical", "refuse"],
                "non-numeric columns \\['color'\\]",
            ),
        ],
    )
    def test_usage_errors(self, main, tmp_path, capsys, args, message):
        import re

        self.write(tmp_path / "mydata.csv")
        code = main(["compare", "--data", str(tmp_path / "mydata.csv"), *args])
        assert code == 2
        assert re.search(message, capsys.readouterr().err)

    def test_missing_values_and_files_are_named(self, main, tmp_path, capsys):
        frame = self.write(tmp_path / "gaps.csv")
        frame.loc[3, "b"] = None
        frame.to_csv(tmp_path / "gaps.csv", index=False)
        assert main(["compare", "--data", str(tmp_path / "gaps.csv"), "--target", "label"]) == 2
        assert "missing values in the columns ['b']" in capsys.readouterr().err
        assert main(["compare", "--data", str(tmp_path / "no.csv"), "--target", "label"]) == 2
        assert "no such file" in capsys.readouterr().err

    def test_unknown_dataset_points_to_data(self, main, capsys):
        assert main(["compare", "--dataset", "mydata.csv"]) == 2
        assert "--data PATH --target COLUMN" in capsys.readouterr().err

    def test_parquet_without_an_engine_says_what_to_install(self, tmp_path):
        import importlib.util

        from skiwce.datasets import load_table

        if importlib.util.find_spec("pyarrow") or importlib.util.find_spec("fastparquet"):
            pytest.skip("a Parquet engine is installed")
        (tmp_path / "t.parquet").write_bytes(b"PAR1")
        with pytest.raises(ImportError, match="needs pyarrow or fastparquet"):
            load_table(tmp_path / "t.parquet", "label")
