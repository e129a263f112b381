"""MiniRocket's transform (skiwce.models.MiniRocket) and its fixed front end in the estimators."""

import pickle
from itertools import combinations

import numpy as np
import pytest
import torch
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from skiwce import IWCEClassifier, IWCEClassifierCV
from skiwce.models import MODULES, MiniRocket
from skiwce.models._minirocket import minirocket_dilations, minirocket_quantiles

LENGTHS = [1, 5, 8, 9, 10, 40]
KERNELS = list(combinations(range(9), 3))


def _conv_same(x, k, d):
    """Kernel k (2 at its three positions, -1 elsewhere) at dilation d, 4 d zeros padded on
    each side, written as the paper's sum (float64)."""
    w = -np.ones(9)
    w[list(KERNELS[k])] = 2.0
    padded = np.pad(np.asarray(x, np.float64), 4 * d)
    return np.array([w @ padded[t : t + 8 * d + 1 : d] for t in range(len(x))])


def _naive_features(m, X):
    """Features by the paper's loops, from the module's fitted biases and channel subsets."""
    X = np.asarray(X, np.float64)
    X = np.pad(X, ((0, 0), (0, 0), (0, max(0, 9 - X.shape[-1]))))
    length = X.shape[-1]
    rows = []
    for x in X:
        row, start = [], 0
        for j, d in enumerate(m.dilations.tolist()):
            f = int(m.features_per_dilation[j])
            for k in range(84):
                channels = np.flatnonzero(m.channel_mask[j, k].numpy())
                C = sum(_conv_same(x[c], k, d) for c in channels)
                if (j + k) % 2:
                    C = C[4 * d : length - 4 * d]
                row += [(C > b).mean() for b in m.biases[start : start + f].tolist()]
                start += f
        rows.append(row)
    return np.array(rows)


def _fitted(channels, length, n=6, num_features=168, seed=0, **kwargs):
    X = torch.randn(n, channels, length, generator=torch.Generator().manual_seed(seed))
    m = MiniRocket(
        in_channels=channels,
        input_length=length,
        num_features=num_features,
        standardize_features=False,
        **kwargs,
    )
    return m, X, m.fit_features(X, random_state=seed)


class TestDilations:
    @pytest.mark.parametrize("length", [1, 5, 8, 9, 10, 24, 40, 100, 251, 1460])
    @pytest.mark.parametrize("num_features", [84, 840, 10_000])
    def test_paper_rule(self, length, num_features):
        d, f = minirocket_dilations(length, num_features)
        per_kernel = num_features // 84
        assert f.sum() == per_kernel and (f >= 1).all()
        assert d[0] == 1 and (np.diff(d) > 0).all()
        # at most 32 (and at most one per feature), the largest spanning the series
        assert len(d) <= min(32, per_kernel)
        assert d[-1] <= max((max(length, 9) - 1) / 8, 1)

    def test_reference_values(self):
        # aeon's _fit_dilations gives these (checked in benchmarks/minirocket_check.py)
        d, f = minirocket_dilations(150)
        assert d.tolist() == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15, 16, 18]
        assert f.tolist() == [30, 15, 12, 12, 4, 8, 8, 4, 4, 4, 3, 3, 3, 3, 3, 3]

    def test_quantiles_are_the_golden_ratio_sequence(self):
        q = minirocket_quantiles(1000)
        assert np.allclose(q[:2], [0.618034, 0.236068], atol=1e-6)
        assert ((q > 0) & (q < 1)).all()
        # low discrepancy: every tenth of [0, 1] holds about a tenth of them
        assert np.ptp(np.histogram(q, bins=10, range=(0, 1))[0]) <= 3


class TestTransform:
    @pytest.mark.parametrize("length", LENGTHS)
    @pytest.mark.parametrize("channels", [1, 3])
    def test_shapes(self, channels, length):
        m, X, F = _fitted(channels, length)
        assert m.n_features_out == 168
        assert F.shape == (6, 168) and m.features(X).shape == (6, 168)
        assert ((F >= 0) & (F <= 1)).all()
        if channels == 1:
            assert m.features(X[:, 0]).shape == (6, 168)  # (n, length): one channel

    @pytest.mark.parametrize("channels, length", [(1, 9), (1, 23), (2, 12), (3, 30)])
    def test_equals_the_papers_loops(self, channels, length):
        m, X, F = _fitted(channels, length)
        np.testing.assert_allclose(F.numpy(), _naive_features(m, X.numpy()), rtol=0, atol=1e-6)

    @pytest.mark.parametrize("length", LENGTHS)
    @pytest.mark.parametrize("channels", [1, 3])
    def test_biases_are_quantiles_of_their_series(self, channels, length):
        m, X, _ = _fitted(channels, length, n=5)
        q = minirocket_quantiles(m.n_features_out)
        Xp = np.pad(X.numpy().astype(np.float64), ((0, 0), (0, 0), (0, max(0, 9 - length))))
        start = 0
        for j, d in enumerate(m.dilations.tolist()):
            f = int(m.features_per_dilation[j])
            for k in range(84):
                x = Xp[int(m.bias_sources[j, k])]
                channels_k = np.flatnonzero(m.channel_mask[j, k].numpy())
                C = sum(_conv_same(x[c], k, d) for c in channels_k)
                b = m.biases[start : start + f].numpy()
                assert (b >= C.min() - 1e-4).all() and (b <= C.max() + 1e-4).all()
                np.testing.assert_allclose(b, np.quantile(C, q[start : start + f]), atol=1e-4)
                # in the quantiles' order
                order = np.argsort(q[start : start + f], kind="stable")
                assert (np.diff(b[order]) >= -1e-5).all()
                start += f

    @pytest.mark.parametrize("channels", [1, 3, 12])
    def test_channel_subsets(self, channels):
        m, _, _ = _fitted(channels, 30, num_features=840)
        sizes = m.channel_mask.sum(-1)
        assert sizes.min() >= 1 and sizes.max() <= min(channels, 9)
        if channels > 1:
            assert len(torch.unique(sizes)) > 1  # random subsets, not all channels

    @pytest.mark.parametrize("length", LENGTHS)
    @pytest.mark.parametrize("channels", [1, 3])
    def test_a_large_change_at_any_position_changes_a_feature(self, channels, length):
        m, X, _ = _fitted(channels, length, n=8, num_features=840)
        x = X[:1]
        base = m.features(x)
        for c in range(channels):
            for p in range(length):
                for delta in (-100.0, 100.0):
                    changed = x.clone()
                    changed[0, c, p] += delta
                    assert not torch.equal(m.features(changed), base), (c, p, delta)

    def test_seeded_and_fitted_from_the_data(self):
        m1, X, F1 = _fitted(2, 20, seed=0)
        m2 = MiniRocket(in_channels=2, input_length=20, num_features=168)
        m2.standardize_features = False
        assert torch.equal(m2.fit_features(X, random_state=0), F1)
        assert torch.equal(m2.biases, m1.biases)
        m2.fit_features(X, random_state=1)
        assert not torch.equal(m2.biases, m1.biases)

    def test_standardized_features(self):
        X = torch.randn(30, 1, 20)
        m = MiniRocket(input_length=20, num_features=168)
        F = m.fit_features(X, random_state=0)
        assert torch.allclose(F.mean(0), torch.zeros(168), atol=1e-5)
        varied = m.feature_scale != 1
        assert torch.allclose(
            F.std(0, correction=0)[varied], torch.ones(int(varied.sum())), atol=1e-4
        )
        assert torch.allclose(m.features(X), F, atol=1e-5)

    def test_chunks_do_not_change_the_features(self):
        m, X, F = _fitted(2, 25, n=7)
        m.chunk_size = 2
        assert torch.equal(m.features(X), F)

    def test_only_the_head_trains(self):
        m, X, _ = _fitted(2, 15)
        assert all(name.startswith("head.") for name, _ in m.named_parameters())
        X.requires_grad_(True)
        m(X).sum().backward()
        assert X.grad is None
        assert all(p.grad is not None for p in m.head.parameters())

    def test_state_dict_carries_the_fit(self):
        m, X, F = _fitted(3, 12)
        other = MiniRocket(
            in_channels=3, input_length=12, num_features=168, standardize_features=False
        )
        other.load_state_dict(m.state_dict())
        assert torch.equal(other.features(X), F)

    def test_unfitted_and_wrong_shapes(self):
        m = MiniRocket(in_channels=2, input_length=10)
        with pytest.raises(RuntimeError, match="fit_features"):
            m.features(torch.zeros(1, 2, 10))
        with pytest.raises(ValueError, match="shape"):
            m.fit_features(torch.zeros(3, 1, 10))
        with pytest.raises(ValueError, match="num_features"):
            MiniRocket(num_features=0)

    def test_hidden_layers(self):
        m = MiniRocket(input_length=20, num_features=168, hidden_layer_sizes=(16,), n_classes=3)
        widths = [lin.out_features for lin in m.head.modules() if isinstance(lin, torch.nn.Linear)]
        assert widths == [16, 3]


@pytest.fixture(scope="module")
def series():
    rng = np.random.RandomState(0)
    n, length = 90, 20
    y = (rng.rand(n) < 0.3).astype(np.int64)
    X = rng.randn(n, 2, length).astype(np.float32)
    X[y == 1, 0, 5:9] += 1.5
    return X, y


def _clf(**kwargs):
    params = {"module": "minirocket", "module_params": {"num_features": 168}, "max_epochs": 4}
    return IWCEClassifier(**{**params, "random_state": 0, **kwargs})


class _Counter:
    """Counts the calls of MiniRocket.fit_features and MiniRocket.features."""

    def __init__(self, monkeypatch):
        self.calls = {"fit_features": 0, "features": 0}
        for name in self.calls:
            original = getattr(MiniRocket, name)

            def counted(module, *args, _original=original, _name=name, **kwargs):
                self.calls[_name] += 1
                return _original(module, *args, **kwargs)

            monkeypatch.setattr(MiniRocket, name, counted)


class TestEstimator:
    def test_registered(self):
        assert MODULES["minirocket"] is MiniRocket

    def test_fit_predict(self, series):
        X, y = series
        clf = _clf(max_epochs=30).fit(X, y)
        assert isinstance(clf.net_.module_, MiniRocket)
        assert clf.predict_proba(X).shape == (len(y), 2)
        assert clf.score(X, y) > 0.8
        assert clf.net_.history[-1, "alpha"] == 1.0

    def test_features_once_per_fit(self, series, monkeypatch):
        X, y = series
        counter = _Counter(monkeypatch)
        _clf(max_epochs=5, validation_fraction=0.2).fit(X, y)
        # the training rows once (fitting the front end), the validation rows once
        assert counter.calls == {"fit_features": 1, "features": 1}

    def test_module_params_reach_the_module(self, series):
        X, y = series
        clf = IWCEClassifier(module="minirocket", max_epochs=2, random_state=0)
        clf.set_params(module__num_features=252, module__hidden_layer_sizes=(8,))
        clf.fit(X, y)
        assert clf.net_.module_.n_features_out == 252
        assert clf.net_.module_.head.net[1].in_features == 252

    def test_pickle_keeps_the_fitted_front_end(self, series):
        X, y = series
        clf = _clf().fit(X, y)
        again = pickle.loads(pickle.dumps(clf))
        assert torch.equal(again.net_.module_.biases, clf.net_.module_.biases)
        assert torch.equal(again.net_.module_.channel_mask, clf.net_.module_.channel_mask)
        assert np.array_equal(again.predict_proba(X), clf.predict_proba(X))

    def test_repeatable(self, series):
        X, y = series
        assert np.array_equal(_clf().fit(X, y).predict_proba(X), _clf().fit(X, y).predict_proba(X))

    def test_warm_start_trains_the_head(self, series):
        X, y = series
        clf = _clf(warm_start=True).fit(X, y)
        biases = clf.net_.module_.biases.clone()
        before = clf.predict_proba(X)
        clf.fit(X, y)
        assert len(clf.net_.history) == 8
        assert torch.equal(clf.net_.module_.biases, biases)
        assert not np.allclose(clf.predict_proba(X), before)

    def test_sample_weight(self, series):
        X, y = series
        w = np.where(y == 1, 3.0, 1.0)
        assert not np.allclose(
            _clf().fit(X, y, sample_weight=w).predict_proba(X), _clf().fit(X, y).predict_proba(X)
        )

    def test_cv_stacked_equals_grid_search(self, series, monkeypatch):
        # heads trained by Adam stack (the default L-BFGS head does not: see below)
        X, y = series
        cv = StratifiedKFold(3, shuffle=True, random_state=0)
        counter = _Counter(monkeypatch)
        search = IWCEClassifierCV(
            Ts=[1.0, np.inf],
            cv=cv,
            module="minirocket",
            module_params={"num_features": 168},
            max_epochs=4,
            optimizer="adam",
            random_state=0,
            engine="stacked",
        ).fit(X, y)
        assert search.engine_ == "stacked"
        # one front end per fold, shared by the two temperatures; one for the refit
        assert counter.calls["fit_features"] == 3 + 1
        grid = GridSearchCV(
            _clf(optimizer="adam"), {"T": [1.0, np.inf]}, cv=cv, scoring="balanced_accuracy"
        ).fit(X, y)
        np.testing.assert_allclose(
            search.cv_results_["mean_test_score"], grid.cv_results_["mean_test_score"]
        )
        assert search.T_ == grid.best_params_["T"]
