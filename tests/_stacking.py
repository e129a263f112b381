"""What the stacked-search tests compare: a search's training losses against the single fits
``GridSearchCV(IWCEClassifier)`` would make (shared by test_classifier_cv.py and
test_stacked_correctness.py)."""

from skiwce import IWCEClassifier

# Train losses of a stacked candidate and of the same IWCEClassifier fit agree to float32
# rounding accumulated over a few epochs (batched against single matrix products): measured
# below 2e-6 relative here; 1e-4 leaves room for other CPUs' kernels.
LOSS_RTOL = 1e-4


def single_fit_losses(X, y, Ts, cv, sample_weight=None, **kw):
    """Per (T, fold), the epochs' training losses of ``IWCEClassifier(T=T, **kw)`` fitted on
    the fold's training rows, in the order of a search's ``histories_``."""
    out = []
    for T in Ts:
        for train, _ in cv.split(X, y):
            sw = None if sample_weight is None else sample_weight[train]
            est = IWCEClassifier(T=T, **kw).fit(X[train], y[train], sample_weight=sw)
            out.append([row["train_loss"] for row in est.net_.history])
    return out


def search_losses(search):
    """The epochs' training losses of every candidate of a fitted IWCEClassifierCV."""
    return [[row["train_loss"] for row in h] for h in search.histories_]
