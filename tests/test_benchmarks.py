"""Smoke runs of the benchmark scripts, so that they keep working (their results are recorded
under benchmarks/results by full runs, never by these tests)."""

import runpy
from pathlib import Path

import numpy as np
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

    def test_series_quick_without_aeon(self, tmp_path, one_thread, capsys):
        out = tmp_path / "series.md"
        bench = script("series.py")
        result = bench["main"](
            [
                "--quick",
                "--sets",
                "shapes_L24_C1_n300",
                "--methods",
                "minirocket",
                "iwce",
                "probe",
                "--aeon-python",
                str(tmp_path / "no_python_here"),
                "--out",
                str(out),
            ]
        )
        text = out.read_text()
        # The aeon methods are skipped with their reason; IWCEClassifier() ran on both folds.
        assert "| shapes_L24_C1_n300 | skipped |" in text and "does not exist" in text
        assert [(r["method"], r["fold"]) for r in result["rows"]] == [("iwce", 0), ("iwce", 1)]
        assert all(0 <= r["balanced_accuracy"] <= 100 for r in result["rows"])
        assert out.with_suffix(".csv").read_text().startswith("dataset,fold,method,")
        assert "300 x 1 x 24 | 5 | 139 / 78 / 44 / 25 / 14 | 2 |" in text

    def test_series_long_tail_and_ucr_reader(self, tmp_path):
        bench = script("series.py")
        # ACSF1's 10 classes of 20: the issue's 92-series, 10-class set.
        counts = bench["long_tail_counts"](np.full(10, 20))
        assert counts.tolist() == [20, 16, 12, 10, 8, 6, 5, 5, 5, 5] and counts.sum() == 92
        # Ranked by size, not by label; never more than a class has.
        assert bench["long_tail_counts"]([30, 100, 3]).tolist() == [30, 100, 3]
        ts = tmp_path / "Toy" / "Toy_TRAIN.ts"
        ts.parent.mkdir()
        ts.write_text("@problemName Toy\n@classLabel true a b\n@data\n1,2,3:a\n4,5,6:b\n")
        ucr = runpy.run_path(str(BENCHMARKS / "_ucr.py"))
        X, y = ucr["read_ts"](ts)
        assert X.shape == (2, 1, 3) and y.tolist() == ["a", "b"]
        ts.write_text("@problemName Toy\n@classLabel true a b\n@data\n1,2,3:a\n4,5:b\n")
        with pytest.raises(ucr["UnusableSet"], match="unequal length"):
            ucr["read_ts"](ts)
        ts.write_text("@problemName Toy\n@classLabel true a b\n@data\n1,?,3:a\n4,5,6:b\n")
        with pytest.raises(ucr["UnusableSet"], match="missing values"):
            ucr["read_ts"](ts)
        ts.write_text("@problemName Toy\n@targetLabel true\n@data\n1,2,3:0.5\n")
        with pytest.raises(ucr["UnusableSet"], match="regression"):
            ucr["read_ts"](ts)


def test_rows_repeats_section_counts_per_repetition_and_pooled():
    """The repeated-CV section of the rows report: the per-repetition and pooled counts of
    "within 1 point of the best peer", on a hand-made store of two repetitions."""
    pd = pytest.importorskip("pandas")
    rows = script("rows.py")
    default = rows["DEFAULT"]
    # set "a": the default is level in repetition 0, 2 points behind in repetition 1, ahead on
    # the mean of both; set "b": 10 points behind everywhere.
    scores = {
        ("a", 0): {"P1": 80.0, "P2": 70.0, default: 79.5},
        ("a", 1): {"P1": 70.0, "P2": 80.0, default: 78.0},
        ("b", 0): {"P1": 50.0, "P2": 50.0, default: 40.0},
        ("b", 1): {"P1": 50.0, "P2": 50.0, default: 40.0},
    }
    records = [
        dict(dataset=s, fold=5 * r + f, method=m, balanced_accuracy=v, n_min_train=8, error="")
        for (s, r), by_method in scores.items()
        for m, v in by_method.items()
        for f in range(5)
    ]
    frame = pd.DataFrame(records)
    main, repeats = frame[frame["fold"] < 5], frame[frame["fold"] >= 5]
    lines = rows["_repeats_section"](main, repeats, ["a", "b"], ["P1", "P2"])
    counts = lines[: next(i for i, line in enumerate(lines) if "rank_methods" in line)]
    table = {
        line.split(" | ")[0][2:]: [int(c) for c in line.strip(" |").split(" | ")[1:]]
        for line in counts
        if line.startswith(("| P1 |", "| P2 |", f"| {default} |"))
    }
    assert table == {"P1": [2, 1, 2], "P2": [1, 2, 2], default: [1, 0, 1]}
    row_a = next(line for line in lines if line.startswith("| a |"))
    # pooled: P1 75, P2 75, default 78.75 (delta 3.75); per repetition -0.5 and -2.0
    assert row_a.split(" | ")[-4:] == ["78.8", "3.8", "-0.5", "-2.0 |"]
    # the peers against the default across the sets: each wins on "b", loses on "a"
    assert any(line.startswith("| P1 |") and "| 1 / 0 / 1 |" in line for line in lines)
    # a set missing a fold of one method in one repetition is left out
    partial = repeats[
        ~((repeats["dataset"] == "b") & (repeats["fold"] == 9) & (repeats["method"] == "P1"))
    ]
    lines = rows["_repeats_section"](main, partial, ["a", "b"], ["P1", "P2"])
    assert any(line.startswith("| a |") for line in lines)
    assert not any(line.startswith("| b |") for line in lines)


def test_rows_fold_check_names_the_unpaired_cells():
    pd = pytest.importorskip("pandas")
    check = script("rows.py")["_fold_check"]
    counts = pd.DataFrame({"P1": [5, 4], "D": [5, 5]}, index=["a", "b"])
    assert check(counts) == (
        "Fewer folds than the other methods (those means are not paired): P1 on b (4 of 5)"
    )
    counts.loc["b", "P1"] = float("nan")
    assert "P1 on b (0 of 5)" in check(counts)
    assert (
        check(counts.loc[["a"]]) == "Every peer and the defaults have the same folds on each set."
    )


@pytest.mark.slow
def test_rows_pool_reproduces_the_shipped_ensemble(one_thread):
    """The pool scan's "shipped" policy is the shipped fit: its inner step, widened to the
    extra candidates, leaves the shipped prediction unchanged, and re-selecting from the shipped
    candidates' stored probabilities gives the fitted ensemble's probabilities."""
    from sklearn.datasets import make_classification

    from skiwce import IWCEClassifier

    pool = script("rows_pool.py")
    X, y = make_classification(90, 5, n_informative=3, weights=[0.85], flip_y=0, random_state=0)
    X = X.astype(np.float32)
    Xtr, ytr, Xte, yte = X[:60], y[:60], X[60:], y[60:]
    result = pool["fit_pool"](Xtr, ytr, Xte, yte, seed=3)
    n_extra = len(pool["EXTRA"])
    assert len(result["test"]) == len(result["oof"]) == len(result["names"])
    assert result["names"][-n_extra:] == [name for name, *_ in pool["EXTRA"]]
    shipped = IWCEClassifier(n_threads=1, random_state=3).fit(Xtr, ytr)
    assert shipped.ensemble_ is not None
    shipped_names = result["names"][:-n_extra]
    np.testing.assert_allclose(
        pool["policy_proba"](result, shipped_names),
        shipped.predict_proba(Xte),
        rtol=1e-5,
        atol=1e-6,
    )
    with_extra = pool["policy_proba"](result, (*shipped_names, "mlp 1.0"))
    np.testing.assert_allclose(with_extra.sum(axis=1), 1.0, rtol=1e-6)
    # the selection rules: the shipped one is the fit's, each gives weights that sum to 1
    n = len(pool["SHIPPED"])
    test = [result["test"][result["names"].index(name)] for name in pool["SHIPPED"]]
    prior = pool["portfolio"]({"a": [(yte, test)]})
    best = np.argmax([pool["_balanced_accuracy"](yte, t) for t in test])
    assert prior.shape == (n,) and prior[best] > 0 and np.isclose(prior.sum(), 1.0)
    for rule in pool["RULES"]:
        weights = pool["rule_weights"](result, rule, prior)
        assert weights.shape == (n,) and np.isclose(weights.sum(), 1.0)
        proba = pool["rule_proba"](result, rule, prior)
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(
        pool["rule_proba"](result, pool["RULES"][0]),
        shipped.predict_proba(Xte),
        rtol=1e-5,
        atol=1e-6,
    )


@pytest.mark.slow
def test_rows_bag_reproduces_the_shipped_ensemble(one_thread):
    """The bagging scan's "shipped" policy is the shipped fit; its other members are the
    chosen candidates' inner-fold models and refits that really use other seeds."""
    from sklearn.datasets import make_classification

    from skiwce import IWCEClassifier, _auto_rows

    bag = script("rows_bag.py")
    X, y = make_classification(90, 5, n_informative=3, weights=[0.85], flip_y=0, random_state=0)
    X = X.astype(np.float32)
    Xtr, ytr, Xte, yte = X[:60], y[:60], X[60:], y[60:]
    result = bag["fit_bag"](Xtr, ytr, Xte, yte, seed=3)
    shipped = IWCEClassifier(n_threads=1, random_state=3).fit(Xtr, ytr)
    assert shipped.ensemble_ is not None
    assert np.allclose(result["weights"], [w for w, _ in shipped.ensemble_])
    np.testing.assert_allclose(
        bag["policy_proba"](result, "shipped"), shipped.predict_proba(Xte), rtol=1e-5, atol=1e-6
    )
    n_inner = min(_auto_rows.AUTO_INNER_FOLDS, int(np.bincount(ytr).min()))
    for refits, folds in zip(result["refits"], result["folds"], strict=True):
        assert len(refits) == bag["N_SEEDS"] and len(folds) == n_inner
        assert not np.allclose(refits[0], refits[1])  # another seed, another fit
    for policy in bag["POLICIES"]:
        np.testing.assert_allclose(bag["policy_proba"](result, policy).sum(axis=1), 1.0, rtol=1e-5)
