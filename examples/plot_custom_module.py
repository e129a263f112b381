"""
==========================================
Your own network in IWCEClassifier
==========================================

``module`` accepts any :class:`torch.nn.Module` class that returns logits.
:class:`~skiwce.IWCEClassifier` sizes it from the data through whichever of ``n_features``,
``in_channels``, ``input_length``, ``input_shape`` and ``n_classes`` its ``__init__``
accepts; its other keyword arguments come from ``module_params`` or ``module__<name>``, so a
grid search tunes the network and the IWCE schedule together.
"""

# %%
# A network with its own hyperparameters
# --------------------------------------
#
# A small residual MLP: every hyperparameter is a keyword argument with a default, the sizes
# ``n_features`` and ``n_classes`` are filled in from the data.
from torch import nn


class ResidualMLP(nn.Module):
    def __init__(self, n_features=10, n_classes=2, hidden=64, n_blocks=2, dropout=0.1):
        super().__init__()
        self.inp = nn.Linear(n_features, hidden)
        self.blocks = nn.ModuleList(
            nn.Sequential(
                nn.LayerNorm(hidden), nn.Linear(hidden, hidden), nn.GELU(), nn.Dropout(dropout)
            )
            for _ in range(n_blocks)
        )
        self.out = nn.Linear(hidden, n_classes)

    def forward(self, X):
        h = self.inp(X)
        for block in self.blocks:
            h = h + block(h)
        return self.out(h)  # logits: IWCELoss applies the softmax


# %%
# Fit it like any estimator
# -------------------------
#
# ``validation_fraction`` holds out a stratified 20 % and scores its balanced accuracy every
# epoch (``valid_bacc`` in the history). The class weights are computed on the other 80 %.
import numpy as np
from sklearn.datasets import make_classification

from skiwce import IWCEClassifier

X, y = make_classification(
    n_samples=1500,
    n_features=16,
    n_informative=8,
    n_classes=4,
    n_clusters_per_class=1,
    weights=[0.6, 0.25, 0.1, 0.05],
    random_state=0,
)
X = (X - X.mean(axis=0)) / X.std(axis=0)

clf = IWCEClassifier(
    module=ResidualMLP,
    module_params={"hidden": 32, "n_blocks": 2},
    T=4,
    max_epochs=30,
    validation_fraction=0.2,
    random_state=0,
).fit(X, y)
print(clf.net_.module_)
print("training rows per class:", clf.class_counts_.tolist())

# %%
# The history holds the training loss, the validation score and the schedule of every epoch.
import matplotlib.pyplot as plt

history = clf.net_.history
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(history[:, "train_loss"], label="training loss")
ax.plot(history[:, "valid_bacc"], label="validation balanced accuracy")
ax.plot(history[:, "alpha"], color="black", linestyle="--", label="alpha")
ax.set_xlabel("epoch")
ax.legend()
fig.tight_layout()

# %%
# Tune the network and the schedule together
# ------------------------------------------
#
# ``module__<name>`` parameters go into the grid next to ``T``.
import pandas as pd
from sklearn.model_selection import GridSearchCV

search = GridSearchCV(
    IWCEClassifier(module=ResidualMLP, max_epochs=30, random_state=0),
    {"module__hidden": [16, 64], "T": [2, 8]},
    scoring="balanced_accuracy",
    cv=3,
).fit(X, y)
pd.DataFrame(search.cv_results_)[["params", "mean_test_score", "std_test_score"]]

# %%
# A ready-made instance
# ---------------------
#
# An instance is copied at every fit and used as it is (``module_params`` must then be empty).
# The estimator still encodes the labels, so they can be strings.
labels = np.array(["common", "frequent", "rare", "very rare"])[y]
clf = IWCEClassifier(
    module=ResidualMLP(n_features=16, n_classes=4), T=4, max_epochs=30, random_state=0
).fit(X, labels)
clf.classes_, clf.predict(X[:5])
