"""
==============================================
IWCE against SMOTE and AdaBoost
==============================================

The paper compares IWCE with data-level and ensemble remedies for imbalance: SMOTE before the
same network, AdaBoost over decision trees, and AdaBoost over the network (AdaBoost-CNN).
:mod:`skiwce.comparison` builds these baselines with imbalanced-learn and scikit-learn, fits
them on the same data with the same seeds, and tests the differences.
"""

# %%
# The baselines are scikit-learn estimators
# -----------------------------------------
#
# :func:`~skiwce.comparison.make_method` returns an unfitted estimator for each name of
# :data:`~skiwce.comparison.METHODS`, with the shared network settings. SMOTE is an
# imbalanced-learn pipeline; :class:`~skiwce.comparison.ReshapingSampler` lets it resample
# series and images too.
from skiwce.comparison import METHODS, make_method

for name in ["iwce", "ce", "smote", "adaboost_dt", "adaboost_net"]:
    print(f"{name:>12}: {METHODS[name]}")

make_method("smote", module="cnn1d", max_epochs=30)

# %%
# The same SMOTE baseline written by hand with imbalanced-learn. Resampling happens in ``fit``
# only: predictions and the test scores see the original data.
from imblearn.over_sampling import SMOTE
from imblearn.pipeline import make_pipeline

from skiwce import IWCEClassifier

smote_by_hand = make_pipeline(
    SMOTE(k_neighbors=5, random_state=0),
    IWCEClassifier(module="cnn1d", class_weight=None, max_epochs=30, random_state=0),
)
smote_by_hand

# %%
# Five methods on the paper's artificial data
# -------------------------------------------
#
# Two seeds, each trained on the 2200 training rows and scored on the 10 000 test rows.
# AdaBoost over the network trains ten warm-started stages of three epochs each, the same
# 30-epoch budget as the single networks.
from skiwce.comparison import compare
from skiwce.datasets import make_paper_quantiles

X, X_test, y, y_test = make_paper_quantiles(subset="all", return_X_y=True)
common = {
    "module": "cnn1d",
    "optimizer": "adagrad",
    "lr": 0.01,
    "batch_size": 64,
    "max_epochs": 30,
    "T": 3.0,
}
result = compare(
    ["iwce", "ce", "smote", "adaboost_dt", "adaboost_net"],
    X,
    y,
    X_test=X_test,
    y_test=y_test,
    n_seeds=2,
    random_state=0,
    common_params=common,
    progress=False,
)
print(result.to_markdown(metrics=["accuracy", "balanced_accuracy", "f1_macro", "g_mean"]))

# %%
# The tidy table has one row per method and seed, ready for pandas:
result.table[["method", "seed", "balanced_accuracy", "f1_macro", "fit_time"]]

# %%
# Recall per class and confusion matrices
# ---------------------------------------
from skiwce.comparison import plot_confusion_matrices, plot_recall_by_method

fig = plot_recall_by_method(result)

# %%
# The confusion matrices are summed over the seeds and normalised by row, so the diagonal is
# the recall of each class (class 1 is the minority).
fig = plot_confusion_matrices(result, ncols=5)
