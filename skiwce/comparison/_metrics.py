"""The scores of one run of a comparison."""

import numpy as np
from imblearn.metrics import geometric_mean_score
from sklearn.metrics import accuracy_score, f1_score, recall_score

__all__ = ["METRICS"]

#: The scores of every run, with the names used as columns of the table.
METRICS = {
    "accuracy": "Accuracy",
    "balanced_accuracy": "Balanced acc.",
    "f1_macro": "Macro F1",
    "g_mean": "G-mean",
}


def scores(y_true, y_pred, labels):
    """Metrics of one run.

    Balanced accuracy and G-mean (imbalanced-learn's multi-class ``geometric_mean_score``)
    average over the classes present in ``y_true``, as scikit-learn's
    ``balanced_accuracy_score``; an absent class's recall is NaN. Macro F1 averages over the
    classes in ``y_true`` or ``y_pred`` (scikit-learn's default), so a class absent from a test
    fold is not scored 0 unless it is predicted.
    """
    recalls = recall_score(y_true, y_pred, labels=labels, average=None, zero_division=0)
    f1s = f1_score(y_true, y_pred, labels=labels, average=None, zero_division=0)
    present = np.isin(labels, np.unique(y_true))
    recalls = np.where(present, recalls, np.nan)
    # A class neither in y_true nor predicted has no F1 (sklearn would say 0).
    f1s = np.where(present | np.isin(labels, np.unique(y_pred)), f1s, np.nan)
    out = {
        "accuracy": accuracy_score(y_true, y_pred),
        "balanced_accuracy": float(np.mean(recalls[present])),
        "f1_macro": f1_score(y_true, y_pred, average="macro", zero_division=0),
        "g_mean": float(
            geometric_mean_score(y_true, y_pred, labels=labels[present], average="multiclass")
        ),
    }
    out.update({f"recall_{label}": float(r) for label, r in zip(labels, recalls, strict=True)})
    out.update({f"f1_{label}": float(f) for label, f in zip(labels, f1s, strict=True)})
    return out


def scores_keys(labels, return_train_score):
    """The score columns of the table, in order."""
    keys = [*METRICS, *(f"recall_{label}" for label in labels)]
    keys += [f"f1_{label}" for label in labels]
    if return_train_score:
        keys += ["train_accuracy", "train_balanced_accuracy"]
    return keys
