import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.datasets import make_gaussian_quantiles
from sklearn.utils import Bunch

from skiwce.datasets import (
    DATASETS,
    load_cifar10,
    load_dataset,
    load_digits_images,
    load_wisdm,
    make_long_tailed,
    make_mnist1d,
    make_paper_quantiles,
)

# --------------------------------------------------------------------------------------------
# make_paper_quantiles


@pytest.fixture(scope="module")
def paper():
    return make_paper_quantiles(subset="all")


class TestMakePaperQuantiles:
    def test_paper_counts(self, paper):
        assert paper.data.shape == (2200, 10)
        assert np.bincount(paper.target).tolist() == [800, 400, 1000]
        assert paper.data_test.shape == (10000, 10)
        assert paper.target_test.shape == (10000,)
        # make_gaussian_quantiles balances the classes over the whole call.
        assert np.all(np.abs(np.bincount(paper.target_test) - 10000 / 3) < 200)

    def test_dtypes_and_names(self, paper):
        assert paper.data.dtype == np.float32 and paper.data_test.dtype == np.float32
        assert paper.target.dtype == np.int64 and paper.target_test.dtype == np.int64
        assert paper.target_names.tolist() == ["c1", "c2", "c3"]
        assert len(paper.feature_names) == 10
        assert "Taherkhani" in paper.DESCR

    def test_recipe_deletes_first_rows_of_each_class(self, paper):
        # One call: the pool first, then the test rows; each class keeps its last rows.
        n_pool = paper.n_pool
        assert n_pool >= 3000
        X, y = make_gaussian_quantiles(
            n_samples=n_pool + 10000, n_features=10, n_classes=3, random_state=1
        )
        np.testing.assert_array_equal(paper.data_test, X[n_pool:].astype(np.float32))
        np.testing.assert_array_equal(paper.target_test, y[n_pool:])
        keep = np.zeros(n_pool, dtype=bool)
        for c, count in enumerate([800, 400, 1000]):
            keep[np.flatnonzero(y[:n_pool] == c)[-count:]] = True
        np.testing.assert_array_equal(paper.data, X[:n_pool][keep].astype(np.float32))
        np.testing.assert_array_equal(paper.target, y[:n_pool][keep])

    def test_default_seed_needs_a_larger_pool_than_taherkhani(self, paper):
        # Taherkhani's 3000-row pool holds only 996 rows of the third class with seed 1.
        _, y = make_gaussian_quantiles(n_samples=13000, n_features=10, n_classes=3, random_state=1)
        assert np.bincount(y[:3000])[2] < 1000
        assert paper.n_pool > 3000

    def test_deterministic(self):
        a = make_paper_quantiles(random_state=3, n_test=100)
        b = make_paper_quantiles(random_state=3, n_test=100)
        np.testing.assert_array_equal(a.data, b.data)
        np.testing.assert_array_equal(a.target, b.target)
        c = make_paper_quantiles(random_state=4, n_test=100)
        assert not np.array_equal(a.data, c.data)

    def test_subsets_and_return_X_y(self, paper):
        X, y = make_paper_quantiles(return_X_y=True)
        np.testing.assert_array_equal(X, paper.data)
        np.testing.assert_array_equal(y, paper.target)
        X_test, y_test = make_paper_quantiles(subset="test", return_X_y=True)
        np.testing.assert_array_equal(X_test, paper.data_test)
        np.testing.assert_array_equal(y_test, paper.target_test)
        test = make_paper_quantiles(subset="test")
        assert test.data.shape == (10000, 10) and "data_test" not in test
        X_tr, X_te, y_tr, y_te = make_paper_quantiles(subset="all", return_X_y=True)
        np.testing.assert_array_equal(X_tr, paper.data)
        np.testing.assert_array_equal(y_te, paper.target_test)
        assert isinstance(paper, Bunch)

    def test_custom_sizes(self):
        data = make_paper_quantiles(
            subset="all", n_features=4, train_counts=(5, 50, 20), n_test=30, random_state=0
        )
        assert np.bincount(data.target).tolist() == [5, 50, 20]
        assert data.data.shape == (75, 4) and data.data_test.shape == (30, 4)

    @pytest.mark.parametrize(
        ("kwargs", "match"),
        [
            ({"subset": "valid"}, "subset must be one of"),
            ({"train_counts": (800, 400)}, "one count per class"),
            ({"train_counts": (800, 0, 10)}, "integers >= 1"),
            ({"train_counts": (800, 4.5, 10)}, "integers >= 1"),
            ({"n_features": 0}, "n_features must be an integer >= 1"),
            ({"n_test": -1}, "n_test must be an integer >= 1"),
        ],
    )
    def test_bad_parameters(self, kwargs, match):
        with pytest.raises(ValueError, match=match):
            make_paper_quantiles(**kwargs)


# --------------------------------------------------------------------------------------------
# load_wisdm

# Every known defect of WISDM_ar_v1.1_raw.txt, in a file of 18 valid and 3 malformed records.
WISDM_TEXT = (
    "1,Walking,100,0.0,0.5,1.0;\n"
    "1,Walking,101,1.0,1.5,2.0;1,Walking,102,2.0,2.5,3.0;\n"  # two records on one line
    "1,Walking,103,3.0,3.5,4.0,;\n"  # a record ending in ",;"
    "1,Walking,104,4.0,4.5,5.0\n"  # a line without its ";"
    "\n"  # a blank line
    "1,Walking,105,5.0,5.5,;\n"  # malformed: no z
    "1,Walking,106,6.0,6.5,7.0;\n"
    "1,Walking,107,7.0,7.5,8.0;\n"
    "1,Jogging,200,10.0,10.5,11.0;\n"
    "1,Jogging,201,11.0,11.5,12.0;\n"
    "  \n"  # a line of spaces
    "1,Jogging,202,12.0,12.5,13.0;\n"
    "1,Jogging,203,13.0,13.5,14.0;\n"
    "not a record;\n"  # malformed: no fields
    "2,Jogging,300,20.0,20.5,21.0;\n"
    "2,Jogging,301,21.0,21.5,22.0;\n"
    "3,Sitting,400,abc,1.0,1.0;\n"  # malformed: not a number
    "2,Jogging,302,22.0,22.5,23.0;\n"
    "2,Jogging,303,23.0,23.5,24.0;\n"
    "2,Jogging,304,24.0,24.5,25.0;\n"
    "4,Standing,500,1.0,1.0,1.0;\n"  # a run too short for a window
    "4,Standing,501,1.0,1.0,1.0"  # ends without ";" or line break
)


@pytest.fixture
def wisdm_file(tmp_path):
    path = tmp_path / "WISDM_ar_v1.1_raw.txt"
    path.write_text(WISDM_TEXT)
    return path


class TestLoadWisdm:
    def test_windows_labels_groups(self, wisdm_file):
        data = load_wisdm(wisdm_file, window=4, step=2)
        # Runs: user 1 Walking 7 valid records (2 windows), user 1 Jogging 4 (1),
        # user 2 Jogging 5 (1), user 4 Standing 2 (none).
        assert data.data.shape == (4, 3, 4)
        assert data.data.dtype == np.float32
        assert data.target.tolist() == ["Walking", "Walking", "Jogging", "Jogging"]
        assert data.groups.tolist() == [1, 1, 1, 2]
        assert data.groups.dtype == np.int64
        assert data.target_names.tolist() == ["Jogging", "Walking"]
        assert data.feature_names == ["x", "y", "z"]
        assert data.n_skipped == 3
        assert data.n_records == 18

    def test_exact_window_values(self, wisdm_file):
        data = load_wisdm(wisdm_file, window=4, step=2)
        # The second window: records 102, 103 (",;"), 104 (no ";") and 106 (105 is skipped).
        expected = np.array(
            [[2.0, 3.0, 4.0, 6.0], [2.5, 3.5, 4.5, 6.5], [3.0, 4.0, 5.0, 7.0]], dtype=np.float32
        )
        np.testing.assert_array_equal(data.data[1], expected)
        np.testing.assert_array_equal(data.data[3][0], [20.0, 21.0, 22.0, 23.0])

    def test_window_and_step(self, wisdm_file):
        data = load_wisdm(wisdm_file, window=2, step=2)
        # 7 // 2 + 4 // 2 + 5 // 2 + 2 // 2 windows.
        assert data.target.tolist() == ["Walking"] * 3 + ["Jogging"] * 4 + ["Standing"]
        assert data.groups.tolist() == [1, 1, 1, 1, 1, 2, 2, 4]
        data = load_wisdm(wisdm_file, window=5, step=1)
        assert data.target.tolist() == ["Walking"] * 3 + ["Jogging"]

    def test_return_X_y_str_path_and_crlf(self, wisdm_file, tmp_path):
        X, y = load_wisdm(str(wisdm_file), window=4, step=2, return_X_y=True)
        assert X.shape == (4, 3, 4) and y.tolist()[0] == "Walking"
        crlf = tmp_path / "crlf.txt"
        crlf.write_bytes(WISDM_TEXT.replace("\n", "\r\n").encode())
        data = load_wisdm(crlf, window=4, step=2)
        np.testing.assert_array_equal(data.data, X)
        assert data.n_skipped == 3

    def test_long_first_record_is_malformed(self, tmp_path):
        # A first record with too many fields must not be read as an index column.
        path = tmp_path / "w.txt"
        path.write_text("9,Walking,1,1.0,2.0,3.0,4.0;\n" + "5,Upstairs,1,1.0,2.0,3.0;\n" * 3)
        data = load_wisdm(path, window=3, step=3)
        assert data.groups.tolist() == [5] and data.n_skipped == 1
        np.testing.assert_array_equal(data.data[0, :, 0], [1.0, 2.0, 3.0])

    def test_real_scale_file(self, tmp_path):
        rng = np.random.default_rng(0)
        n = 100_000
        users = np.repeat(rng.integers(1, 37, n // 500), 500)
        values = rng.normal(size=(n, 3)).round(4)
        frame = pd.DataFrame(
            {"u": users, "a": "Walking", "t": np.arange(n), "x": values[:, 0]}
        ).assign(y=values[:, 1], z=values[:, 2])
        path = tmp_path / "big.txt"
        path.write_text(frame.to_csv(header=False, index=False, lineterminator=";\n"))
        data = load_wisdm(path)
        assert data.n_skipped == 0 and data.n_records == n
        np.testing.assert_allclose(data.data[0, :, 0], values[0], rtol=1e-6)

    def test_missing_path(self, tmp_path):
        missing = tmp_path / "nowhere" / "WISDM_ar_v1.1_raw.txt"
        with pytest.raises(FileNotFoundError, match="nowhere"):
            load_wisdm(missing)
        with pytest.raises(FileNotFoundError, match="WISDM file not found"):
            load_wisdm(tmp_path)  # a folder is not the file

    @pytest.mark.parametrize("text", ["", "\n\n  \n", "a,b;\nnot a record\n1,Walking,1,,,;"])
    def test_no_valid_record(self, tmp_path, text):
        path = tmp_path / "bad.txt"
        path.write_text(text)
        with pytest.raises(ValueError, match="No valid WISDM record"):
            load_wisdm(path)

    def test_no_run_long_enough(self, wisdm_file):
        with pytest.raises(ValueError, match="No window of 80 records"):
            load_wisdm(wisdm_file)

    @pytest.mark.parametrize(
        ("kwargs", "match"),
        [
            ({"window": 0}, "window must be an integer >= 1"),
            ({"window": 2.5}, "window must be an integer >= 1"),
            ({"step": 0}, "step must be an integer >= 1"),
            ({"step": True}, "step must be an integer >= 1"),
        ],
    )
    def test_bad_window_or_step(self, wisdm_file, kwargs, match):
        with pytest.raises(ValueError, match=match):
            load_wisdm(wisdm_file, **kwargs)


# --------------------------------------------------------------------------------------------
# load_cifar10

N_PER_BATCH = 10
LABEL_NAMES = [b"airplane", b"automobile", b"bird", b"cat", b"deer"] + [
    b"dog",
    b"frog",
    b"horse",
    b"ship",
    b"truck",
]


def _write_batch(path, images, labels):
    content = {
        b"batch_label": b"x",
        b"labels": list(labels),
        b"data": images.reshape(len(images), -1),
    }
    path.write_bytes(pickle.dumps(content))


@pytest.fixture
def cifar_root(tmp_path):
    """A parent folder holding cifar-10-batches-py/ with 10 images per batch."""
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    rng = np.random.default_rng(0)
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for b, name in enumerate(names):
        images = rng.integers(0, 256, size=(N_PER_BATCH, 3, 32, 32), dtype=np.uint8)
        images[:, :, 0, 0] = b  # the batch number in the top-left pixel
        _write_batch(folder / name, images, (np.arange(N_PER_BATCH) + b) % 10)
    (folder / "batches.meta").write_bytes(
        pickle.dumps({b"label_names": LABEL_NAMES, b"num_vis": 3072})
    )
    return tmp_path


class TestLoadCifar10:
    def test_pixel_order(self, tmp_path):
        folder = tmp_path / "cifar-10-batches-py"
        folder.mkdir()
        # In the file, a row is the R plane, then G, then B, each 32 x 32 row-major.
        row = np.concatenate([np.full(1024, 1), np.full(1024, 2), np.full(1024, 3)])
        row[2 * 1024 + 5 * 32 + 7] = 200  # blue at row 5, column 7
        row[0 * 1024 + 31 * 32 + 0] = 100  # red at row 31, column 0
        data = np.stack([row, np.zeros(3072)]).astype(np.uint8)
        (folder / "test_batch").write_bytes(pickle.dumps({b"data": data, b"labels": [3, 9]}))
        (folder / "batches.meta").write_bytes(pickle.dumps({b"label_names": LABEL_NAMES}))
        cifar = load_cifar10(folder, subset="test")
        image = cifar.data[0]
        assert cifar.data.shape == (2, 3, 32, 32) and cifar.data.dtype == np.uint8
        assert image[:, 0, 0].tolist() == [1, 2, 3]
        assert image[:, 5, 7].tolist() == [1, 2, 200]
        assert image[:, 31, 0].tolist() == [100, 2, 3]
        assert image[:, 7, 5].tolist() == [1, 2, 3]
        assert cifar.target.tolist() == [3, 9] and cifar.target.dtype == np.int64
        assert cifar.target_names[3] == "cat"

    def test_train_subset(self, cifar_root):
        cifar = load_cifar10(cifar_root)
        assert cifar.data.shape == (5 * N_PER_BATCH, 3, 32, 32)
        assert cifar.target.shape == (5 * N_PER_BATCH,)
        # Batches are concatenated in order 1..5.
        assert cifar.data[:, 0, 0, 0].tolist() == np.repeat(np.arange(5), N_PER_BATCH).tolist()
        assert cifar.target[:N_PER_BATCH].tolist() == list(range(10))
        assert cifar.target_names.tolist() == [n.decode() for n in LABEL_NAMES]
        assert "CIFAR-10" in cifar.DESCR

    def test_test_and_all_subsets(self, cifar_root):
        X_test, y_test = load_cifar10(cifar_root, subset="test", return_X_y=True)
        assert X_test.shape == (N_PER_BATCH, 3, 32, 32)
        assert np.all(X_test[:, 0, 0, 0] == 5)
        assert y_test.tolist() == [(i + 5) % 10 for i in range(N_PER_BATCH)]
        both = load_cifar10(cifar_root / "cifar-10-batches-py", subset="all")
        assert both.data.shape[0] == 50 and both.data_test.shape[0] == N_PER_BATCH
        np.testing.assert_array_equal(both.data_test, X_test)
        X_tr, X_te, y_tr, y_te = load_cifar10(str(cifar_root), subset="all", return_X_y=True)
        np.testing.assert_array_equal(X_te, X_test)
        assert X_tr.shape[0] == 50 and y_tr.shape == (50,)

    def test_missing_folder(self, tmp_path):
        with pytest.raises(FileNotFoundError, match="batches.meta"):
            load_cifar10(tmp_path / "absent")

    def test_missing_batch(self, cifar_root):
        (cifar_root / "cifar-10-batches-py" / "data_batch_3").unlink()
        with pytest.raises(FileNotFoundError, match="expected 'data_batch_3' in"):
            load_cifar10(cifar_root)
        assert load_cifar10(cifar_root, subset="test").data.shape[0] == N_PER_BATCH

    def test_corrupt_pickle(self, cifar_root):
        (cifar_root / "cifar-10-batches-py" / "test_batch").write_bytes(b"not a pickle")
        with pytest.raises(ValueError, match=r"Could not read the CIFAR-10 file '.*test_batch'"):
            load_cifar10(cifar_root, subset="test")

    @pytest.mark.parametrize(
        ("content", "match"),
        [
            ([1, 2, 3], "expected a pickled dict"),
            ({b"labels": [0]}, r"the key b'data' is missing"),
            ({b"data": np.zeros((2, 100), np.uint8), b"labels": [0, 1]}, "shape"),
            ({b"data": np.zeros((2, 3072), np.float64), b"labels": [0, 1]}, "uint8"),
            ({b"data": np.zeros((2, 3072), np.uint8), b"labels": [0]}, "b'labels'"),
            ({b"data": np.zeros((2, 3072), np.uint8), b"labels": [0, 10]}, r"\[0, 10\)"),
        ],
    )
    def test_malformed_batch(self, cifar_root, content, match):
        (cifar_root / "cifar-10-batches-py" / "test_batch").write_bytes(pickle.dumps(content))
        with pytest.raises(ValueError, match=match):
            load_cifar10(cifar_root, subset="test")

    def test_bad_subset(self, cifar_root):
        with pytest.raises(ValueError, match="subset must be one of"):
            load_cifar10(cifar_root, subset="valid")


# --------------------------------------------------------------------------------------------
# make_long_tailed

CIFAR10_LT_100 = [5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50]  # LDAM-DRW's counts
CIFAR10_LT_10 = [5000, 3871, 2997, 2320, 1796, 1391, 1077, 834, 645, 500]


@pytest.fixture(scope="module")
def balanced():
    """CIFAR-10's training counts: 5000 rows of each of 10 classes (X holds the row index)."""
    y = np.repeat(np.arange(10), 5000)
    return np.arange(len(y)), y


class TestMakeLongTailed:
    @pytest.mark.parametrize(("ratio", "expected"), [(100, CIFAR10_LT_100), (10, CIFAR10_LT_10)])
    def test_exponential_counts(self, balanced, ratio, expected):
        X, y = balanced
        X_lt, y_lt = make_long_tailed(X, y, imbalance_ratio=ratio, random_state=0)
        assert np.bincount(y_lt).tolist() == expected
        np.testing.assert_array_equal(y[X_lt], y_lt)  # rows stay with their labels
        assert np.all(np.diff(X_lt) > 0)  # the original order is kept

    @pytest.mark.parametrize("ratio", [10, 100])
    def test_step_counts(self, balanced, ratio):
        X, y = balanced
        _, y_lt = make_long_tailed(X, y, imbalance_ratio=ratio, profile="step", random_state=0)
        assert np.bincount(y_lt).tolist() == [5000] * 5 + [5000 // ratio] * 5

    def test_step_with_chosen_minority_and_string_labels(self):
        y = np.repeat(np.array(["ant", "bee", "cat"]), 40)
        X = np.zeros((120, 2))
        _, y_lt = make_long_tailed(
            X, y, imbalance_ratio=4, profile="step", minority_classes=["bee"]
        )
        assert pd.Series(y_lt).value_counts().sort_index().tolist() == [40, 10, 40]
        # Default minority: the last C // 2 sorted labels.
        _, y_lt = make_long_tailed(X, y, imbalance_ratio=4, profile="step")
        assert pd.Series(y_lt).value_counts().sort_index().tolist() == [40, 40, 10]

    @pytest.mark.parametrize("shape", [(60, 2, 7), (60, 3, 4, 5)])
    def test_nd_shapes_preserved_and_inputs_untouched(self, shape):
        rng = np.random.default_rng(0)
        X = rng.normal(size=shape).astype(np.float32)
        y = np.repeat([0, 1, 2], 20)
        X_before, y_before = X.copy(), y.copy()
        X_lt, y_lt = make_long_tailed(X, y, imbalance_ratio=4, random_state=0)
        assert X_lt.shape == (20 + 10 + 5, *shape[1:]) and X_lt.dtype == np.float32
        np.testing.assert_array_equal(X, X_before)
        np.testing.assert_array_equal(y, y_before)
        assert not np.shares_memory(X_lt, X) and not np.shares_memory(y_lt, y)
        rows = [np.flatnonzero((X == row).all(axis=tuple(range(1, X.ndim)))) for row in X_lt]
        np.testing.assert_array_equal(y[np.concatenate(rows)], y_lt)

    def test_deterministic_and_random(self, balanced):
        X, y = balanced
        a, _ = make_long_tailed(X, y, imbalance_ratio=10, random_state=1)
        b, _ = make_long_tailed(X, y, imbalance_ratio=10, random_state=1)
        c, _ = make_long_tailed(X, y, imbalance_ratio=10, random_state=2)
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, c)

    def test_small_classes_keep_all_and_never_vanish(self):
        y = np.repeat([0, 1, 2], [100, 3, 100])
        _, y_lt = make_long_tailed(np.zeros(len(y)), y, imbalance_ratio=2, random_state=0)
        # Targets 100, 70, 50: the middle class has only 3 rows and keeps them.
        assert np.bincount(y_lt).tolist() == [100, 3, 50]
        _, y_lt = make_long_tailed(np.zeros(len(y)), y, imbalance_ratio=1000, random_state=0)
        assert np.bincount(y_lt).tolist() == [100, 3, 1]

    def test_ratio_one_keeps_balanced_data(self, balanced):
        X, y = balanced
        X_lt, _ = make_long_tailed(X, y, imbalance_ratio=1)
        np.testing.assert_array_equal(X_lt, X)

    def test_dataframe_and_list_inputs(self):
        frame = pd.DataFrame({"a": np.arange(30)})
        y = [0] * 20 + [1] * 10
        X_lt, y_lt = make_long_tailed(frame, y, imbalance_ratio=4, random_state=0)
        assert isinstance(X_lt, pd.DataFrame) and len(X_lt) == 25
        assert isinstance(y_lt, np.ndarray)

    @pytest.mark.parametrize(
        ("kwargs", "match"),
        [
            ({"imbalance_ratio": 0.5}, "imbalance_ratio must be a finite number >= 1"),
            ({"imbalance_ratio": np.inf}, "imbalance_ratio must be a finite number >= 1"),
            ({"imbalance_ratio": "10"}, "imbalance_ratio must be a finite number >= 1"),
            ({"profile": "linear"}, r"profile must be one of \('exponential', 'step'\)"),
            ({"profile": "step", "minority_classes": [1, 7]}, r"labels \[7\] that are not in y"),
            ({"minority_classes": [1]}, "used by profile='step' only"),
        ],
    )
    def test_bad_parameters(self, kwargs, match):
        y = np.repeat([0, 1, 2], 10)
        with pytest.raises(ValueError, match=match):
            make_long_tailed(np.zeros((30, 2)), y, **kwargs)

    def test_bad_shapes(self):
        with pytest.raises(ValueError, match="same number of rows"):
            make_long_tailed(np.zeros((5, 2)), np.zeros(4))
        with pytest.raises(ValueError, match="1-D array"):
            make_long_tailed(np.zeros((4, 2)), np.zeros((4, 1)))
        with pytest.raises(ValueError, match="non-empty"):
            make_long_tailed(np.zeros((0, 2)), np.zeros(0))


# --------------------------------------------------------------------------------------------
# Embedded data


class TestLoadDigitsImages:
    def test_shapes_and_scale(self):
        data = load_digits_images()
        assert data.data.shape == (1797, 1, 8, 8) and data.data.dtype == np.float32
        assert data.target.dtype == np.int64 and data.target.shape == (1797,)
        assert data.data.min() == 0.0 and data.data.max() == 1.0
        assert data.target_names.tolist() == list(range(10))
        X, y = load_digits_images(return_X_y=True)
        np.testing.assert_array_equal(X, data.data)
        np.testing.assert_array_equal(y, data.target)


class TestMakeMnist1d:
    def test_shapes_dtypes_balance(self):
        data = make_mnist1d(n_samples=1005)
        assert data.data.shape == (1005, 1, 40) and data.data.dtype == np.float32
        assert data.target.dtype == np.int64
        counts = np.bincount(data.target)
        assert len(counts) == 10 and counts.max() - counts.min() <= 1
        assert abs(float(data.data.mean())) < 1e-4 and abs(float(data.data.std()) - 1) < 1e-4
        assert data.templates.shape == (10, 12)
        assert np.all(np.isfinite(data.data))

    def test_deterministic(self):
        a = make_mnist1d(200, random_state=5, return_X_y=True)
        b = make_mnist1d(200, random_state=5, return_X_y=True)
        c = make_mnist1d(200, random_state=6, return_X_y=True)
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])
        assert not np.array_equal(a[0], c[0])

    def test_length_and_no_noise(self):
        X, y = make_mnist1d(
            20,
            length=64,
            max_translation=1,
            padding=(0, 0),
            scale_coeff=0.0,
            shear_scale=0.0,
            corr_noise_scale=0.0,
            iid_noise_scale=0.0,
            return_X_y=True,
        )
        assert X.shape == (20, 1, 64)
        # Without transformations, the examples of one class are identical.
        for label in range(10):
            rows = X[y == label]
            np.testing.assert_array_equal(rows, np.broadcast_to(rows[0], rows.shape))

    @pytest.mark.slow
    def test_small_cnn_learns_it(self):
        X, y = make_mnist1d(2000, random_state=0, return_X_y=True)
        X_train, y_train = torch.from_numpy(X[:1600]), torch.from_numpy(y[:1600])
        net = torch.nn.Sequential(
            torch.nn.Conv1d(1, 16, 5, padding=2),
            torch.nn.ReLU(),
            torch.nn.Conv1d(16, 32, 3, padding=1, stride=2),
            torch.nn.ReLU(),
            torch.nn.Conv1d(32, 32, 3, padding=1, stride=2),
            torch.nn.ReLU(),
            torch.nn.Flatten(),
            torch.nn.Linear(32 * 10, 10),
        )
        optimizer = torch.optim.Adam(net.parameters(), lr=1e-2)
        n_threads = torch.get_num_threads()
        torch.set_num_threads(1)  # tiny batches: threads only contend
        try:
            for _ in range(5):
                for batch in torch.randperm(1600).split(50):
                    optimizer.zero_grad()
                    loss = torch.nn.functional.cross_entropy(net(X_train[batch]), y_train[batch])
                    loss.backward()
                    optimizer.step()
        finally:
            torch.set_num_threads(n_threads)
        with torch.no_grad():
            accuracy = (net(torch.from_numpy(X[1600:])).argmax(1).numpy() == y[1600:]).mean()
        assert accuracy > 0.3  # chance is 0.1; about 0.45 after 5 epochs, 0.8 after 15

    @pytest.mark.parametrize(
        ("kwargs", "match"),
        [
            ({"n_samples": 5}, "n_samples must be an integer >= 10"),
            ({"length": 1}, "length must be an integer >= 2"),
            ({"padding": (10, 5)}, "padding must be a pair"),
            ({"padding": 3}, "padding must be a pair"),
            ({"max_translation": 0}, "max_translation must be an integer >= 1"),
            ({"iid_noise_scale": -1.0}, "iid_noise_scale must be a finite number >= 0"),
        ],
    )
    def test_bad_parameters(self, kwargs, match):
        with pytest.raises(ValueError, match=match):
            make_mnist1d(**kwargs)


class TestLoadDataset:
    @pytest.mark.parametrize("name", sorted(DATASETS))
    def test_every_name(self, name):
        data = load_dataset(name)
        assert {"data", "target", "target_names", "DESCR"} <= set(data)
        assert len(data.data) == len(data.target) and data.data.dtype == np.float32
        assert data.target.dtype == np.int64
        assert set(np.unique(data.target)) <= set(range(len(data.target_names)))
        has_test = name == "paper_quantiles" or name.endswith("_lt")
        assert ("data_test" in data) == has_test
        if has_test:
            assert data.data_test.shape[1:] == data.data.shape[1:]
            assert len(data.data_test) == len(data.target_test)
        again = load_dataset(name)
        np.testing.assert_array_equal(again.data, data.data)
        assert isinstance(DATASETS[name], str) and DATASETS[name]

    @pytest.mark.parametrize(
        ("name", "ratio", "per_class"), [("digits_lt", 10, 50), ("mnist1d_lt", 20, 200)]
    )
    def test_long_tailed_sets(self, name, ratio, per_class):
        data = load_dataset(name, random_state=1)
        counts = np.bincount(data.target)
        assert np.all(np.diff(counts) <= 0)
        assert counts[0] / counts[-1] == pytest.approx(ratio, rel=0.1)
        assert np.bincount(data.target_test).tolist() == [per_class] * 10
        train_rows = {row.tobytes() for row in data.data}
        if name == "mnist1d_lt":  # continuous noise: a shared row would be a leak
            assert not any(row.tobytes() in train_rows for row in data.data_test)
        other = load_dataset(name, random_state=2)
        assert not np.array_equal(other.target, data.target) or not np.array_equal(
            other.data, data.data
        )

    def test_shapes(self):
        assert load_dataset("digits").data.shape == (1797, 1, 8, 8)
        assert load_dataset("mnist1d").data.shape == (4000, 1, 40)
        paper = load_dataset("paper_quantiles")
        assert np.bincount(paper.target).tolist() == [800, 400, 1000]
        assert paper.data_test.shape == (10000, 10)

    def test_unknown_name(self):
        with pytest.raises(ValueError, match=r"valid names are \['digits', 'digits_lt'"):
            load_dataset("cifar10")


def test_public_names():
    import skiwce.datasets as datasets

    assert sorted(datasets.__all__) == sorted(
        [
            "DATASETS",
            "fetch_cifar10",
            "fetch_wisdm",
            "load_cifar10",
            "load_dataset",
            "load_table",
            "load_digits_images",
            "load_wisdm",
            "make_long_tailed",
            "make_mnist1d",
            "make_paper_quantiles",
        ]
    )
    for name in datasets.__all__:
        obj = getattr(datasets, name)
        if callable(obj):
            assert obj.__module__.startswith("skiwce.datasets._")
            assert "Examples\n    --------" in obj.__doc__


class TestLoadTable:
    def test_numeric_bool_and_text_columns(self, tmp_path):
        from skiwce.datasets import load_table

        frame = pd.DataFrame(
            {
                "x": [1.5, 2.0, 3.0, 4.0],
                "flag": [True, False, True, False],
                "kind": ["a", "b", "a", "c"],
                "y": [0, 1, 0, 1],
            }
        )
        frame.to_csv(tmp_path / "t.tsv", sep="\t", index=False)
        data = load_table(tmp_path / "t.tsv", "y")
        assert data.feature_names == ["x", "flag", "kind=a", "kind=b", "kind=c"]
        np.testing.assert_array_equal(data.data[:, :2], [[1.5, 1], [2, 0], [3, 1], [4, 0]])
        np.testing.assert_array_equal(data.data[:, 2:].sum(axis=1), 1)
        assert data.data.dtype == np.float32 and data.encoded == {"kind": 3}
        np.testing.assert_array_equal(data.target, [0, 1, 0, 1])
        with pytest.raises(ValueError, match=r"non-numeric columns \['kind'\]"):
            load_table(tmp_path / "t.tsv", "y", categorical="refuse")
        with pytest.raises(ValueError, match="categorical must be one of"):
            load_table(tmp_path / "t.tsv", "y", categorical="ordinal")

    def test_missing_values_are_named(self, tmp_path):
        from skiwce.datasets import load_table

        pd.DataFrame({"x": [1.0, None], "y": ["a", "b"]}).to_csv(tmp_path / "a.csv", index=False)
        with pytest.raises(ValueError, match=r"missing values in the columns \['x'\]"):
            load_table(tmp_path / "a.csv", "y")
        pd.DataFrame({"x": [1.0, 2.0], "y": ["a", None]}).to_csv(tmp_path / "b.csv", index=False)
        with pytest.raises(ValueError, match="target column 'y' is missing in 1 rows"):
            load_table(tmp_path / "b.csv", "y")
        pd.DataFrame({"y": ["a", "b"]}).to_csv(tmp_path / "c.csv", index=False)
        with pytest.raises(ValueError, match="no column besides the target"):
            load_table(tmp_path / "c.csv", "y")
