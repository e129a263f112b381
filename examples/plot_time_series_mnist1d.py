"""
=====================================================
A time-series network on long-tailed MNIST-1D
=====================================================

Series are arrays of shape ``(n, channels, length)``; :class:`~skiwce.IWCEClassifier` trains a
1-D convolutional network on them: here the paper's activity-recognition network,
:class:`~skiwce.models.HARNet` (``module="har"``; ``module="auto"`` fits
:class:`~skiwce.models.MiniRocket`'s random-kernel features and a linear head). MNIST-1D is a
procedural ten-class benchmark of 1-D signals that ships with skiwce
(:func:`~skiwce.datasets.make_mnist1d`); :func:`~skiwce.datasets.make_long_tailed` makes its
training part long-tailed, from 600 signals of the first class down to 60 of the last, while
the test part stays balanced.
"""

# %%
# A long-tailed training set and a balanced test set
# --------------------------------------------------
import numpy as np
from sklearn.model_selection import train_test_split

from skiwce.datasets import make_long_tailed, make_mnist1d

X, y = make_mnist1d(n_samples=8000, random_state=0, return_X_y=True)
X_pool, X_test, y_pool, y_test = train_test_split(X, y, test_size=2000, stratify=y, random_state=0)
X_train, y_train = make_long_tailed(X_pool, y_pool, imbalance_ratio=10, random_state=0)
print("X:", X_train.shape, X_train.dtype)
print("training signals per class:", np.bincount(y_train).tolist())
print("test signals per class:    ", np.bincount(y_test).tolist())

# %%
# One signal of each class:
import matplotlib.pyplot as plt

fig, axes = plt.subplots(2, 5, figsize=(11, 3.8), sharex=True, sharey=True)
for label, ax in enumerate(axes.ravel()):
    ax.plot(X_train[np.flatnonzero(y_train == label)[0], 0])
    ax.set_title(f"class {label} ({np.sum(y_train == label)} signals)", fontsize="small")
fig.tight_layout()

# %%
# Cross entropy, weighted cross entropy and IWCE
# ----------------------------------------------
#
# The paper's HAR network, 30 epochs, the same seed; only the class weights differ.
from sklearn.metrics import balanced_accuracy_score, recall_score

from skiwce import IWCEClassifier

shared = {"module": "har", "max_epochs": 30, "lr": 3e-3, "T": 3, "random_state": 0}
estimators = {
    "CE": IWCEClassifier(class_weight=None, **shared),
    "WCE": IWCEClassifier(schedule="constant", **shared),
    "IWCE": IWCEClassifier(**shared),
}
recalls = {}
for name, clf in estimators.items():
    y_pred = clf.fit(X_train, y_train).predict(X_test)
    recalls[name] = recall_score(y_test, y_pred, average=None)
    print(f"{name:>4}: balanced accuracy {balanced_accuracy_score(y_test, y_pred):.3f}")

# %%
# Recall per class
# ----------------
#
# The classes are sorted from the most to the least frequent in training. Cross entropy finds
# the frequent classes best and the rare ones worst; the weighted losses trade some recall on
# the head of the distribution for recall on its tail.
fig, ax = plt.subplots(figsize=(8, 3.5))
width = 0.27
classes = np.arange(10)
for k, (name, recall) in enumerate(recalls.items()):
    ax.bar(classes + (k - 1) * width, recall, width, label=name)
ax.set_xticks(classes, [f"{c}\n({n})" for c, n in zip(classes, np.bincount(y_train), strict=True)])
ax.set_xlabel("class (training signals)")
ax.set_ylabel("test recall")
ax.set_ylim(0, 1)
# sphinx_gallery_thumbnail_number = 2
ax.legend(ncols=3)
fig.tight_layout()
