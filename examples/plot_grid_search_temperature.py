"""
=====================================
Choosing T with GridSearchCV
=====================================

The temperature ``T`` sets how late, in epochs, IWCE moves from cross entropy to the balanced
class weights. It is a parameter of :class:`~skiwce.IWCEClassifier` like any other, so
scikit-learn's :class:`~sklearn.model_selection.GridSearchCV` tunes it inside a
:class:`~sklearn.pipeline.Pipeline`. The grid also holds the two ends of the scale: a huge
``T`` (``inf``) is static weighted cross entropy, and ``class_weight=None`` plain cross
entropy, so the search compares IWCE with both baselines on the same folds.
"""

# %%
# An imbalanced problem
# ---------------------
import numpy as np
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split

X, y = make_classification(
    n_samples=2000,
    n_features=20,
    n_informative=8,
    n_classes=3,
    weights=[0.8, 0.15, 0.05],
    class_sep=0.8,
    random_state=0,
)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
print("training rows per class:", np.bincount(y_train).tolist())

# %%
# The search
# ----------
#
# The scaler and the network in one pipeline, so that each fold scales with its own training
# part. Balanced accuracy (the mean recall of the classes) scores the candidates; accuracy
# would reward ignoring the rare classes. The same ``random_state`` for every candidate means
# that they differ in ``T`` only.
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skiwce import IWCEClassifier

pipe = make_pipeline(
    StandardScaler(),
    IWCEClassifier(max_epochs=30, module_params={"hidden_layer_sizes": (64,)}, random_state=0),
)
temperatures = [0.5, 1, 2, 4, 8, float("inf")]
grid = [
    {"iwceclassifier__T": temperatures},
    {"iwceclassifier__class_weight": [None]},  # plain cross entropy
]
import time

search = GridSearchCV(
    pipe,
    grid,
    scoring="balanced_accuracy",
    cv=StratifiedKFold(n_splits=3, shuffle=True, random_state=0),
)
start = time.perf_counter()
search.fit(X_train, y_train)
grid_seconds = time.perf_counter() - start
print("best:", search.best_params_, f"balanced accuracy {search.best_score_:.3f}")
print(f"{len(search.cv_results_['params']) * 3 + 1} fits in {grid_seconds:.1f} s")

# %%
# The results of every candidate
# ------------------------------
import pandas as pd

results = pd.DataFrame(search.cv_results_)
results["candidate"] = [
    "CE"
    if params.get("iwceclassifier__class_weight", "balanced") is None
    else f"T = {params['iwceclassifier__T']:g}"
    for params in results["params"]
]
results[["candidate", "mean_test_score", "std_test_score", "rank_test_score"]]

# %%
# Balanced accuracy against T
# ---------------------------
#
# ``T = inf`` (static weighted cross entropy) sits at the right end; the dashed line is plain
# cross entropy. The error bars are the standard deviation over the three folds.
import matplotlib.pyplot as plt

iwce = results[results["candidate"] != "CE"]
ce = results[results["candidate"] == "CE"].iloc[0]
positions = np.arange(len(iwce))
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.errorbar(positions, iwce["mean_test_score"], yerr=iwce["std_test_score"], marker="o", capsize=3)
ax.axhline(ce["mean_test_score"], color="gray", linestyle="--", label="cross entropy")
ax.set_xticks(positions, [f"{t:g}" for t in temperatures])
ax.set_xlabel("T")
ax.set_ylabel("balanced accuracy (CV)")
ax.set_title("IWCE over 30 epochs")
ax.legend()
fig.tight_layout()

# %%
# The refitted best pipeline on the held-out test set
# ---------------------------------------------------
#
# ``search`` refits the best candidate on all the training data; its score on data it has never
# seen is the honest one.
from sklearn.metrics import balanced_accuracy_score

print(f"test balanced accuracy: {balanced_accuracy_score(y_test, search.predict(X_test)):.3f}")

# %%
# The same search as one stacked training
# ---------------------------------------
#
# The candidates of this search are independent copies of one network.
# :class:`~skiwce.IWCEClassifierCV` trains all (T, fold) candidates at once, as one stacked
# model, and refits the best T; each candidate is the network ``GridSearchCV`` would train on
# its fold (the same initial weights and batches). In a pipeline the scaler is fitted once on
# all the training rows before the folds are cut, as with scikit-learn's
# ``LogisticRegressionCV``, so the folds' scores can differ a little from those above.
from skiwce import IWCEClassifierCV

stacked = make_pipeline(
    StandardScaler(),
    IWCEClassifierCV(
        Ts=temperatures,
        cv=StratifiedKFold(n_splits=3, shuffle=True, random_state=0),
        max_epochs=30,
        module_params={"hidden_layer_sizes": (64,)},
        random_state=0,
    ),
)
start = time.perf_counter()
stacked.fit(X_train, y_train)
stacked_seconds = time.perf_counter() - start
cv_model = stacked[-1]
print(
    f"{len(temperatures) * 3} candidates as one stack, and the refit, in {stacked_seconds:.1f} s "
    f"(engine: {cv_model.engine_}); best T = {cv_model.T_:g}"
)
pd.DataFrame(
    {
        "T": temperatures,
        "GridSearchCV": iwce["mean_test_score"].to_numpy(),
        "IWCEClassifierCV": cv_model.cv_results_["mean_test_score"],
    }
)

# %%
print(f"test balanced accuracy: {balanced_accuracy_score(y_test, stacked.predict(X_test)):.3f}")
