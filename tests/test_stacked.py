"""The stacked engine: K networks trained as one equal K networks trained alone."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.metrics import balanced_accuracy_score
from torch import nn

from skiwce._stacked import (
    EarlyStop,
    ModelPlan,
    StackedNetwork,
    StackedOptimizer,
    _apply_layers,
    _leaves,
    has_stacked_form,
    stacked_predict,
    train_stacked,
    unsupported_optimizer_options,
)
from skiwce.models import CNN1D, MLP, HARNet, ResNet18

NETWORKS = {
    "mlp": (lambda: MLP(6, 3, (8, 5)), (6,)),
    "mlp-2d-input": (lambda: MLP(12, 3, (7,)), (2, 6)),
    "cnn1d-same": (lambda: CNN1D(7, 1, 3, dropout=0.0), (7,)),
    "cnn1d-valid-short": (lambda: CNN1D(3, 2, 3, padding="valid", dropout=0.0), (2, 3)),
    "cnn1d-odd-kernels": (lambda: CNN1D(9, 2, 4, kernel_sizes=(4, 3), dropout=0.0), (2, 9)),
    "har-valid": (lambda: HARNet(3, 4, channels=(6, 5), kernel_size=3, dropout=0.0), (3, 20)),
    "har-same": (
        lambda: HARNet(2, 3, channels=(4, 5), kernel_size=4, pool=2, dropout=0.0, padding="same"),
        (2, 11),
    ),
    "sequential": (
        lambda: nn.Sequential(
            nn.Conv1d(2, 4, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool1d(3, stride=2),
            nn.Flatten(),
            nn.Linear(4 * 3, 3, bias=False),
        ),
        (2, 8),
    ),
    "resnet18-vmap": (lambda: ResNet18(1, 3, width=2), (1, 5, 5)),
}


def _models(make, k, seed=0):
    torch.manual_seed(seed)
    return [make().double() for _ in range(k)]


@pytest.mark.parametrize("name", list(NETWORKS))
def test_forward_and_gradients_equal_each_network_alone(name):
    make, shape = NETWORKS[name]
    modules = _models(make, 3)
    stack = StackedNetwork(modules, dtype=torch.float64)
    assert stack.stacked_form == (name != "resnet18-vmap")
    torch.manual_seed(1)
    x = torch.randn(3, 4, *shape, dtype=torch.float64)
    for training in (False, True):
        out = stack.forward(x, training=training)
        ref = torch.stack([m.train(training)(x[i]) for i, m in enumerate(modules)])
        np.testing.assert_allclose(out.detach(), ref.detach(), rtol=1e-10, atol=1e-12)
    out.square().sum().backward()
    ref.square().sum().backward()
    for pname, p in stack.params.items():
        expected = torch.stack([dict(m.named_parameters())[pname].grad for m in modules])
        np.testing.assert_allclose(p.grad, expected, rtol=1e-9, atol=1e-12, err_msg=pname)


def test_forward_of_a_subset_updates_only_its_batchnorm_statistics():
    modules = _models(NETWORKS["resnet18-vmap"][0], 3)
    stack = StackedNetwork(modules, dtype=torch.float64)
    before = {n: b.clone() for n, b in stack.buffers.items()}
    x = torch.randn(2, 4, 1, 5, 5, dtype=torch.float64)
    stack.forward(x, training=True, models=torch.tensor([0, 2]))
    mean = "stem.1.running_mean"
    assert not torch.equal(stack.buffers[mean][0], before[mean][0])
    assert torch.equal(stack.buffers[mean][1], before[mean][1])
    assert not torch.equal(stack.buffers[mean][2], before[mean][2])
    modules[0].train()(x[0])
    np.testing.assert_allclose(stack.buffers[mean][0], modules[0].stem[1].running_mean)


def test_unsupported_layers_fall_back_to_vmap():
    assert not has_stacked_form(nn.Sequential(nn.Linear(3, 3), nn.Tanh()))
    assert not has_stacked_form(nn.Sequential(nn.Conv1d(1, 2, 3, stride=2)))
    assert has_stacked_form(nn.Sequential(nn.Conv1d(1, 2, 3), nn.Flatten()))

    class Custom(MLP):  # a subclass may change forward: not the stacked form
        pass

    assert not has_stacked_form(Custom(3, 2))
    modules = [nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)) for _ in range(2)]
    stack = StackedNetwork(modules)
    x = torch.randn(2, 5, 3)
    ref = torch.stack([m(x[i]) for i, m in enumerate(modules)])
    np.testing.assert_allclose(stack.forward(x, training=False).detach(), ref.detach(), rtol=1e-6)


@pytest.mark.parametrize(
    "optimizer, options",
    [
        (torch.optim.Adam, {}),
        (torch.optim.Adam, {"weight_decay": 0.1, "betas": (0.8, 0.9), "eps": 1e-6}),
        (torch.optim.AdamW, {}),
        (torch.optim.AdamW, {"weight_decay": 0.3}),
        (torch.optim.SGD, {}),
        (torch.optim.SGD, {"momentum": 0.9, "weight_decay": 0.01}),
        (torch.optim.SGD, {"momentum": 0.9, "dampening": 0.3}),
        (torch.optim.SGD, {"momentum": 0.8, "nesterov": True}),
        (torch.optim.Adagrad, {}),
        (
            torch.optim.Adagrad,
            {"lr_decay": 0.1, "weight_decay": 0.05, "initial_accumulator_value": 0.2},
        ),
    ],
)
def test_optimizer_equals_torch_per_model_with_models_sitting_out(optimizer, options):
    torch.manual_seed(0)
    params = {"w": torch.randn(3, 4, 2, dtype=torch.float64), "b": torch.randn(3, 2).double()}
    stacked = {n: p.clone().requires_grad_() for n, p in params.items()}
    alone = [{n: p[k].clone().requires_grad_() for n, p in params.items()} for k in range(3)]
    opt = StackedOptimizer(stacked, optimizer, 0.05, **options)
    refs = [optimizer(list(a.values()), lr=0.05, **options) for a in alone]
    # model 1 sits out steps 1 and 2 (its epoch ended, say), model 2 step 3 (stopped)
    schedule = [[1, 1, 1], [1, 0, 1], [1, 0, 1], [1, 1, 0], [1, 1, 1], [1, 1, 1]]
    for step, active in enumerate(schedule):
        grads = {n: torch.randn_like(p) for n, p in params.items()}
        for n, p in stacked.items():
            p.grad = grads[n] * torch.tensor(active).double().view(-1, *([1] * (p.ndim - 1)))
        opt.step(torch.tensor(active, dtype=torch.bool))
        for k, (a, ref) in enumerate(zip(alone, refs, strict=True)):
            if active[k]:
                for n, p in a.items():
                    p.grad = grads[n][k].clone()
                ref.step()
        for k, a in enumerate(alone):
            for n, p in a.items():
                np.testing.assert_allclose(
                    stacked[n][k].detach(),
                    p.detach(),
                    rtol=1e-12,
                    atol=1e-14,
                    err_msg=f"step {step} model {k} {n}",
                )
    assert opt.steps.tolist() == [6, 4, 5]


def test_unsupported_optimizer_options_name_what():
    assert unsupported_optimizer_options(torch.optim.Adam, {"fused": True}) is None
    assert unsupported_optimizer_options(torch.optim.Adam, {"amsgrad": False}) is None
    assert "amsgrad" in unsupported_optimizer_options(torch.optim.Adam, {"amsgrad": True})
    assert "RMSprop" in unsupported_optimizer_options(torch.optim.RMSprop, {})
    with pytest.raises(ValueError, match="no stacked implementation"):
        StackedOptimizer({"w": torch.zeros(2, 1)}, torch.optim.RMSprop, 0.1)


def _reference_fit(module, X, y, plan, n_epochs, batch_size, lr):
    """One model trained by a plain loop with torch's Adam, the batches a DataLoader draws."""
    opt = torch.optim.Adam(module.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(plan.shuffle_seed)
    rows = torch.as_tensor(plan.train_idx)
    sw = torch.as_tensor(plan.sample_weight, dtype=torch.float64)
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(X[rows], y[rows], sw),
        batch_size=batch_size,
        shuffle=True,
        generator=gen,
        drop_last=len(rows) % batch_size == 1,
    )
    losses = []
    for epoch in range(n_epochs):
        w = torch.as_tensor(plan.class_weight[epoch])
        total, seen = 0.0, 0
        for xb, yb, swb in loader:
            loss = (F.cross_entropy(module(xb), yb, reduction="none") * w[yb] * swb).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            total, seen = total + loss.item() * len(yb), seen + len(yb)
        losses.append(total / seen)
    return losses


def test_training_equals_each_model_trained_alone_in_float64():
    """Rows of different sizes (so different batch counts and last batches, one dropped),
    per-model class weights and sample weights; float64, no dropout: K models trained as one
    stack match K plain loops with torch's Adam to rounding."""
    rng = np.random.RandomState(0)
    X = torch.as_tensor(rng.randn(60, 5))
    y = torch.as_tensor(rng.randint(0, 3, 60))
    sizes, batch_size, n_epochs = [41, 36, 50], 8, 4  # 41 % 8 == 1: its last batch is dropped
    plans = []
    for k, n in enumerate(sizes):
        plans.append(
            ModelPlan(
                train_idx=rng.permutation(60)[:n],
                sample_weight=rng.uniform(0.5, 2, n),
                class_weight=rng.uniform(0.5, 3, (n_epochs, 3)),
                alphas=[1.0] * n_epochs,
                shuffle_seed=100 + k,
            )
        )
    modules = _models(lambda: MLP(5, 3, (6,)), 3)
    stack = StackedNetwork(modules, dtype=torch.float64)
    histories = train_stacked(
        stack,
        X,
        y,
        plans,
        n_epochs=n_epochs,
        batch_size=batch_size,
        optimizer=torch.optim.Adam,
        lr=0.01,
        n_classes=3,
    )
    for k, (module, plan) in enumerate(zip(modules, plans, strict=True)):
        losses = _reference_fit(module, X, y, plan, n_epochs, batch_size, 0.01)
        np.testing.assert_allclose([h["train_loss"] for h in histories[k]], losses, rtol=1e-12)
        for name, p in module.named_parameters():
            np.testing.assert_allclose(
                stack.params[name][k].detach(), p.detach(), rtol=1e-10, atol=1e-13
            )


def test_early_stopping_stops_each_model_alone_and_restores_its_best_epoch():
    rng = np.random.RandomState(1)
    X = torch.as_tensor(rng.randn(80, 4))
    y = torch.as_tensor((X[:, 0] + 0.8 * torch.as_tensor(rng.randn(80)) > 0).long())
    plans = [
        ModelPlan(
            train_idx=np.arange(60),
            sample_weight=None,
            class_weight=None,
            alphas=None,
            shuffle_seed=k,
            valid_idx=np.arange(60, 80),
        )
        for k in range(3)
    ]
    stack = StackedNetwork(_models(lambda: MLP(4, 2, (3,)), 3))
    histories = train_stacked(
        stack,
        X,
        y,
        plans,
        n_epochs=40,
        batch_size=16,
        optimizer=torch.optim.SGD,
        lr=0.5,
        n_classes=2,
        early_stopping=EarlyStop(patience=2),
    )
    lengths = [len(h) for h in histories]
    assert min(lengths) < 40 and len(set(lengths)) > 1  # they stopped, at different epochs
    logits = stacked_predict(stack, X, [torch.arange(60, 80)] * 3)
    for k, h in enumerate(histories):
        scores = np.array([row["valid_bacc"] for row in h])
        best = int(np.argmax(scores))
        if len(h) < 40:  # skorch's rule: `patience` epochs without a gain of 1e-4 (relative)
            assert len(h) - 1 - best == 2
            assert np.all(scores[best + 1 :] <= scores[best] * (1 + 1e-4))
        pred = logits[k].argmax(1).numpy()
        assert balanced_accuracy_score(y[60:80].numpy(), pred) == pytest.approx(scores[best])


def test_dropout_masks_are_independent_per_model_and_sample_and_off_in_eval():
    """The stacked form's dropout: each model and sample draws its own mask, with the rate and
    the 1 / (1 - p) scale of nn.Dropout, and none in eval mode."""
    torch.manual_seed(0)
    one = MLP(4, 2, (2000,), dropout=0.3)
    stack = StackedNetwork([one, one, one])  # three identical models
    x = torch.randn(1, 5, 4).expand(3, 5, 4)  # and identical inputs
    params = stack.params
    hidden = torch.relu(
        torch.baddbmm(params["net.1.bias"].unsqueeze(1), x, params["net.1.weight"].transpose(1, 2))
    )
    dropped = _apply_layers(_leaves(one.net[:4], "net."), params, x, training=True)
    zero = (dropped == 0) & (hidden != 0)
    assert not torch.equal(dropped[0], dropped[1])  # masks differ between models
    assert not torch.equal(dropped[0, 0], dropped[0, 1])  # and between samples
    rate = zero.sum() / (hidden != 0).sum()
    assert abs(float(rate) - 0.3) < 0.02  # 30 000 units: the rate to about 4 sd
    kept = ~zero & (hidden != 0)
    np.testing.assert_allclose(dropped[kept].detach(), hidden[kept].detach() / 0.7, rtol=1e-5)
    off = _apply_layers(_leaves(one.net[:4], "net."), params, x, training=False)
    np.testing.assert_array_equal(off.detach(), hidden.detach())
