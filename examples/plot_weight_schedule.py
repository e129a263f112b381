"""
=============================================
Reading the weight schedule from the history
=============================================

:class:`~skiwce.IWCEClassifier` records, for every epoch, the mixing factor ``alpha`` and the
class weights it trained with in the history of its skorch net, ``clf.net_.history``. This
example plots the schedule for several temperatures before training, then reads it back from
fitted estimators: with the default switch epoch (the last), with an earlier one, and with the
paper's literal sum-to-1 normalisation.
"""

# %%
# The schedule before training
# ----------------------------
#
# ``alpha(e) = min(1, exp((e - E_s) / T))`` over the epochs ``e = 0 .. E``; ``E_s`` is the
# last epoch by default. :func:`~skiwce.comparison.plot_alpha` draws it for the paper's
# temperatures over its 201 epochs.
from skiwce.comparison import plot_alpha

fig = plot_alpha(T=(10, 20, 30, 40, 50), n_epochs=201)

# %%
# A fitted estimator's history
# ----------------------------
#
# An imbalanced three-class problem, 20 epochs, ``T = 3``.
import numpy as np
from sklearn.datasets import make_classification

from skiwce import IWCEClassifier

X, y = make_classification(
    n_samples=1200,
    n_features=10,
    n_informative=6,
    n_classes=3,
    weights=[0.75, 0.2, 0.05],
    random_state=0,
)
clf = IWCEClassifier(T=3, max_epochs=20, random_state=0).fit(X, y)

alpha = np.array(clf.net_.history[:, "alpha"])
weights = np.array(clf.net_.history[:, "class_weight"])
print("class counts:      ", clf.class_counts_.tolist())
print("alpha, first epochs:", alpha[:3].round(4).tolist(), " last:", alpha[-1])
print("weights, last epoch:", weights[-1].round(3).tolist())

# %%
# The weights of the last epoch are the balanced weights ``n / (C n_c)`` of the training data:
from skiwce.functional import balanced_weights

balanced_weights(clf.class_counts_).round(3)

# %%
# Three schedules side by side
# ----------------------------
#
# The same estimator with the switch at 60 % of the epochs (alpha reaches 1 there and stays),
# and with the weights normalised to sum to 1 (the paper's literal reading), which also
# changes their scale: the loss starts at a third of cross entropy's.
import matplotlib.pyplot as plt

fits = {
    "default": clf,
    "switch_epoch=0.6": IWCEClassifier(T=3, max_epochs=20, switch_epoch=0.6, random_state=0).fit(
        X, y
    ),
    'normalize="sum"': IWCEClassifier(T=3, max_epochs=20, normalize="sum", random_state=0).fit(
        X, y
    ),
}

fig, axes = plt.subplots(1, 3, figsize=(12, 3.5), sharey=True)
for ax, (name, est) in zip(axes, fits.items(), strict=True):
    history = est.net_.history
    w = np.array(history[:, "class_weight"])
    for k, label in enumerate(est.classes_):
        ax.plot(w[:, k], marker=".", label=f"class {label}")
    ax.plot(history[:, "alpha"], color="black", linestyle="--", label="alpha")
    ax.set_title(name)
    ax.set_xlabel("epoch")
axes[0].set_ylabel("class weight / alpha")
axes[0].legend()
fig.tight_layout()

# %%
# The training loss over the epochs
# ---------------------------------
#
# With the default ``normalize="prior"`` the expected weight of a training sample stays 1, so
# the loss keeps the scale of cross entropy while the weights move; with ``"sum"`` it starts
# at a third of it and changes scale as alpha grows.
fig, ax = plt.subplots(figsize=(5, 3.5))
for name, est in fits.items():
    ax.plot(est.net_.history[:, "train_loss"], label=name)
ax.set_xlabel("epoch")
ax.set_ylabel("training loss")
ax.legend()
fig.tight_layout()
