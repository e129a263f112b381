"""
=================================================
Cross-validation with imbalanced-learning metrics
=================================================

Accuracy is a poor score on imbalanced data: predicting the majority class everywhere scores
well. :func:`~sklearn.model_selection.cross_validate` takes several scorers at once; this
example scores plain cross entropy, weighted cross entropy and IWCE with

- balanced accuracy, the mean of the per-class recalls (``"balanced_accuracy"``);
- macro F1, the unweighted mean of the per-class F1 scores (``"f1_macro"``);
- the G-mean, the geometric mean of the per-class recalls, from imbalanced-learn
  (:func:`imblearn.metrics.geometric_mean_score`), which is 0 as soon as one class is never
  found.
"""

# %%
# Data and scorers
# ----------------
from imblearn.metrics import geometric_mean_score
from sklearn.datasets import make_classification
from sklearn.metrics import make_scorer

X, y = make_classification(
    n_samples=1500,
    n_features=20,
    n_informative=8,
    n_classes=3,
    weights=[0.8, 0.15, 0.05],
    class_sep=0.8,
    random_state=1,
)
scoring = {
    "accuracy": "accuracy",
    "balanced_accuracy": "balanced_accuracy",
    "f1_macro": "f1_macro",
    "g_mean": make_scorer(geometric_mean_score),
}

# %%
# Three losses, one pipeline
# --------------------------
#
# The three estimators differ only in the class weights: ``class_weight=None`` is plain cross
# entropy, ``schedule="constant"`` static weighted cross entropy, the defaults IWCE.
from sklearn.model_selection import StratifiedKFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skiwce import IWCEClassifier

shared = {"max_epochs": 30, "T": 4, "random_state": 0}
estimators = {
    "CE": IWCEClassifier(class_weight=None, **shared),
    "WCE": IWCEClassifier(schedule="constant", **shared),
    "IWCE": IWCEClassifier(**shared),
}
cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
scores = {
    name: cross_validate(make_pipeline(StandardScaler(), est), X, y, scoring=scoring, cv=cv)
    for name, est in estimators.items()
}

# %%
# The scores
# ----------
import pandas as pd

table = pd.DataFrame(
    {
        (name, stat): {metric: getattr(result[f"test_{metric}"], stat)() for metric in scoring}
        for name, result in scores.items()
        for stat in ("mean", "std")
    }
).round(3)
table

# %%
# Accuracy ranks the losses differently from the other three scores: cross entropy is
# accurate on the majority class and misses many samples of the rare ones.
import matplotlib.pyplot as plt
import numpy as np

fig, ax = plt.subplots(figsize=(7, 3.8))
width = 0.25
x = np.arange(len(scoring))
for k, (name, result) in enumerate(scores.items()):
    means = [result[f"test_{m}"].mean() for m in scoring]
    stds = [result[f"test_{m}"].std() for m in scoring]
    ax.bar(x + (k - 1) * width, means, width, yerr=stds, capsize=3, label=name)
ax.set_xticks(x, list(scoring))
ax.set_ylim(0, 1)
ax.set_ylabel("score (5-fold CV)")
ax.legend(loc="lower right")
fig.tight_layout()

# %%
# A per-class report
# ------------------
#
# imbalanced-learn's :func:`~imblearn.metrics.classification_report_imbalanced` gives the
# precision, recall (sensitivity), specificity, F1 and G-mean of every class for one split.
from imblearn.metrics import classification_report_imbalanced
from sklearn.model_selection import train_test_split

X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
iwce = make_pipeline(StandardScaler(), IWCEClassifier(**shared)).fit(X_train, y_train)
print(classification_report_imbalanced(y_test, iwce.predict(X_test), digits=3))
