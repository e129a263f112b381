"""Smoke runs of the benchmark scripts, so that they keep working (their results are recorded
under benchmarks/results by full runs, never by these tests)."""

import runpy
from pathlib import Path

import pytest
import torch

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def script(name):
    return runpy.run_path(str(BENCHMARKS / name), run_name="benchmark_under_test")


@pytest.mark.slow
class TestScripts:
    def test_speed(self, tmp_path, one_thread, capsys):
        out = tmp_path / "speed.md"
        script("speed.py")["main"](["--epochs", "1", "--repeats", "1", "--out", str(out)])
        text = out.read_text()
        assert "IWCEClassifier / plain skorch" in text and "bare PyTorch loop" in text
        assert "ratio" in capsys.readouterr().out

    def test_step_profile(self, tmp_path, one_thread, capsys):
        out = tmp_path / "profile.md"
        script("step_profile.py")["main"](
            ["--steps", "3", "--warmup", "1", "--no-compile", "--out", str(out)]
        )
        text = out.read_text()
        assert "| backward pass |" in text and "| whole step, eager |" in text
        assert "µs" in capsys.readouterr().out

    def test_paper_reproduction_quick(self, tmp_path, one_thread, capsys):
        out = tmp_path / "paper.md"
        script("paper/reproduce.py")["main"](
            ["artificial", "--quick", "--seeds", "1", "--out", str(out)]
        )
        text = out.read_text()
        for row in ["CE-CNN", "WCE-CNN", "SMOTE-CNN", "AdaBoost-CNN", "IWCE T=20"]:
            assert f"| {row} |" in text
        assert "| IWCE T=20 | CE-CNN |" in text and "## Per-class F1" in text
        # The report rebuilt from the recorded runs, without training, has the same tables.
        again = tmp_path / "again.md"
        script("paper/reproduce.py")["main"](
            [
                "artificial",
                "--quick",
                "--from-csv",
                str(out.with_suffix(".csv")),
                "--out",
                str(again),
            ]
        )
        rebuilt = again.read_text()
        assert "Report rebuilt from them" in rebuilt
        assert rebuilt.split("## The paper")[1] == text.split("## The paper")[1]

    def test_artificial_recipes(self, tmp_path, one_thread, capsys):
        out = tmp_path / "recipes.md"
        script("paper/artificial_recipes.py")["main"](
            ["--seeds", "1", "--epochs", "1", "--out", str(out)]
        )
        text = out.read_text()
        assert "padding 'valid'" in text and "first 9 features only" in text
        assert "| SVC() (RBF kernel, defaults) |" in text

    def test_threads(self, tmp_path, one_thread):
        out = tmp_path / "threads.md"
        script("threads.py")["main"](["--quick", "--repeats", "1", "--out", str(out)])
        text = out.read_text()
        assert "| MLP, 30 features |" in text and "| 'auto' (resolved: 1) |" in text
        assert torch.get_num_threads() == 1  # the caller's setting, restored
