"""
=====================================================
IWCELoss and IncrementalClassWeights in a skorch net
=====================================================

IWCE is two pieces that work in any skorch :class:`~skorch.classifier.NeuralNetClassifier`:
the loss :class:`~skiwce.IWCELoss`, a :class:`torch.nn.CrossEntropyLoss` whose default
reduction is the paper's plain mean, and the callback
:class:`~skiwce.IncrementalClassWeights`, which writes the scheduled class weights into the
loss's ``weight`` buffer at the start of every epoch, in place, so the optimizer keeps its
state. The same weights drive PyTorch's own ``CrossEntropyLoss`` too, whose weighted mean
divides by the summed weights of each batch. The last part trains the same network in a plain
PyTorch loop with the functions of :mod:`skiwce.functional`.
"""

# %%
# Data and network
# ----------------
import numpy as np
import torch
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split
from torch import nn

X, y = make_classification(
    n_samples=2000,
    n_features=20,
    n_informative=6,
    weights=[0.93],
    flip_y=0.01,
    random_state=0,
)
X = X.astype(np.float32)
y = y.astype(np.int64)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
print("training rows per class:", np.bincount(y_train).tolist())


class Net(nn.Module):
    def __init__(self, n_features=20, n_classes=2, hidden=64):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(n_features, hidden), nn.ReLU(), nn.Linear(hidden, n_classes)
        )

    def forward(self, X):
        return self.layers(X)  # logits


# %%
# The skorch net
# --------------
#
# skorch holds out 20 % of the training data for validation (``train_split``); the callback
# counts the classes on the other 80 %. ``valid_bacc`` scores the validation data without
# weights: the weighted ``valid_loss`` changes meaning as the weights move, so monitor the
# balanced accuracy for early stopping or checkpoints.
from skorch import NeuralNetClassifier
from skorch.callbacks import EpochScoring

from skiwce import IncrementalClassWeights, IWCELoss


def make_net(criterion):
    torch.manual_seed(0)
    return NeuralNetClassifier(
        Net,
        criterion=criterion,
        optimizer=torch.optim.Adam,
        lr=1e-3,
        max_epochs=30,
        batch_size=64,
        callbacks=[
            ("iwce", IncrementalClassWeights(T=4)),
            (
                "valid_bacc",
                EpochScoring("balanced_accuracy", lower_is_better=False, name="valid_bacc"),
            ),
        ],
        verbose=0,
    )


nets = {
    "IWCELoss (plain mean)": make_net(IWCELoss).fit(X_train, y_train),
    "CrossEntropyLoss (weighted mean)": make_net(nn.CrossEntropyLoss).fit(X_train, y_train),
}
net = nets["IWCELoss (plain mean)"]
print("class counts of the training split:", dict(net.callbacks_)["iwce"].class_counts_)
print("weights at the last epoch:", np.round(net.history[-1, "class_weight"], 3))

# %%
# The history
# -----------
#
# Both nets get the same weights, and the training loss rises again at the end as the rare
# class gets its larger weight. With the default normalisation (``"prior"``) the expected
# weight of a sample is 1, so a batch's summed weights are close to its size and PyTorch's
# weighted mean trains almost exactly like the paper's plain mean: the curves overlap. They
# part when the weights are scaled otherwise (``normalize="sum"``, say): the plain mean
# then changes the scale of the loss, the weighted mean cancels it.
import matplotlib.pyplot as plt

fig, axes = plt.subplots(1, 3, figsize=(12, 3.5))
for name, net in nets.items():
    axes[0].plot(net.history[:, "train_loss"], label=name)
    axes[1].plot(net.history[:, "valid_bacc"], label=name)
weights = np.array(net.history[:, "class_weight"])
axes[2].plot(weights[:, 0], label="class 0 (majority)")
axes[2].plot(weights[:, 1], label="class 1 (minority)")
axes[2].plot(net.history[:, "alpha"], color="black", linestyle="--", label="alpha")
for ax, title in zip(
    axes, ["training loss", "validation balanced accuracy", "schedule"], strict=True
):
    ax.set_title(title)
    ax.set_xlabel("epoch")
axes[0].legend(fontsize="small")
axes[2].legend(fontsize="small")
fig.tight_layout()

# %%
# Test scores
# -----------
from sklearn.metrics import balanced_accuracy_score

for name, net in nets.items():
    print(f"{name:>34}: {balanced_accuracy_score(y_test, net.predict(X_test)):.3f}")

# %%
# A plain PyTorch loop
# --------------------
#
# Without skorch, the schedule, the weights and the loss are functions: the network trains
# over the same 30 epochs with the same weights, here on all the training data.
from skiwce.functional import (
    alpha_schedule,
    blend_class_weights,
    class_counts,
    iwce_loss,
    target_class_weights,
)

torch.manual_seed(0)
model = Net()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
X_t, y_t = torch.from_numpy(X_train), torch.from_numpy(y_train)
counts = class_counts(y_train, n_classes=2)
target = target_class_weights(counts, "balanced")  # n / (C n_c)

for alpha in alpha_schedule(30, T=4):
    weight = torch.as_tensor(blend_class_weights(alpha, target, counts), dtype=torch.float32)
    model.train()
    for idx in torch.randperm(len(X_t)).split(64):
        optimizer.zero_grad()
        loss = iwce_loss(model(X_t[idx]), y_t[idx], weight)
        loss.backward()
        optimizer.step()

model.eval()
with torch.no_grad():
    y_pred = model(torch.from_numpy(X_test)).argmax(dim=1).numpy()
print(f"plain loop: {balanced_accuracy_score(y_test, y_pred):.3f}")
