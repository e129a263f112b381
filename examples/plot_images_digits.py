"""
=========================================
An image network on long-tailed digits
=========================================

Images are arrays of shape ``(n, channels, height, width)``; with ``module="auto"`` or
``"resnet18"``, :class:`~skiwce.IWCEClassifier` trains a ResNet-18 with a CIFAR stem
(:class:`~skiwce.models.ResNet18`), which takes any channel count and image size. This example
uses scikit-learn's 8 x 8 digits as one-channel images
(:func:`~skiwce.datasets.load_digits_images`), makes the training part long-tailed, and keeps
the network narrow (``width=8`` instead of 64) so that it trains in seconds on a CPU. The
paper's own image experiment, ResNet-18 on CIFAR-10 with 5 % of the minority classes kept, needs
a GPU (:doc:`/user_guide/gpu`).
"""

# %%
# Long-tailed digits
# ------------------
#
# A balanced test part of 50 images per class is set aside first; the rest becomes long-tailed
# with an exponential profile, from about 130 images of digit 0 down to about 13 of digit 9.
import numpy as np
from sklearn.model_selection import train_test_split

from skiwce.datasets import load_digits_images, make_long_tailed

X, y = load_digits_images(return_X_y=True)
X_pool, X_test, y_pool, y_test = train_test_split(X, y, test_size=500, stratify=y, random_state=0)
X_train, y_train = make_long_tailed(X_pool, y_pool, imbalance_ratio=10, random_state=0)
print("X:", X_train.shape, X_train.dtype)
print("training images per class:", np.bincount(y_train).tolist())

# %%
import matplotlib.pyplot as plt

fig, axes = plt.subplots(1, 10, figsize=(10, 1.6))
for label, ax in enumerate(axes):
    ax.imshow(X_train[np.flatnonzero(y_train == label)[0], 0], cmap="gray_r")
    ax.set_title(f"{label}: {np.sum(y_train == label)}", fontsize="small")
    ax.set_axis_off()

# %%
# A narrow ResNet-18 with CE, WCE and IWCE
# ----------------------------------------
from sklearn.metrics import balanced_accuracy_score, confusion_matrix

from skiwce import IWCEClassifier

shared = {
    "module": "resnet18",
    "module_params": {"width": 8},
    "max_epochs": 20,
    "batch_size": 32,
    "T": 2,
    "random_state": 0,
}
estimators = {
    "CE": IWCEClassifier(class_weight=None, **shared),
    "WCE": IWCEClassifier(schedule="constant", **shared),
    "IWCE": IWCEClassifier(**shared),
}
matrices = {}
for name, clf in estimators.items():
    y_pred = clf.fit(X_train, y_train).predict(X_test)
    matrices[name] = confusion_matrix(y_test, y_pred)
    print(f"{name:>4}: balanced accuracy {balanced_accuracy_score(y_test, y_pred):.3f}")

n_weights = sum(p.numel() for p in estimators["IWCE"].net_.module_.parameters())
print(f"weights of the network: {n_weights}")

# %%
# Confusion matrices
# ------------------
#
# Normalised by row: the diagonal is the recall of each digit on the balanced test set. Digits
# 7, 8 and 9 had the fewest training images.
from skiwce.comparison import plot_confusion_matrices

fig = plot_confusion_matrices(matrices, ncols=3)
# sphinx_gallery_thumbnail_number = 2
