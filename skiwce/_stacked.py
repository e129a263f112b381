"""Many copies of one network trained as one computation: the engine under IWCEClassifierCV.

The candidates of a search (T values x folds) are independent copies of one network. Their
parameters are stacked along a leading axis of length K and trained together, each model with
its own training rows, batch order, class weights (schedule), sample weights, dropout masks and
early stopping. The optimizers are elementwise, so one step over the stacked tensors is K
independent steps; step counts are kept per model, so that a model can sit out a step (its epoch
has ended, or it stopped early) without its optimizer state moving.

Two forward forms:

- a stacked form for :class:`~skiwce.models.MLP`, :class:`~skiwce.models.CNN1D`,
  :class:`~skiwce.models.HARNet` (and ``nn.Sequential`` of their layers): linear layers and
  convolutions as batched matrix products (``torch.baddbmm``), one call for all K models;
- any other network through ``torch.func.functional_call`` under ``torch.vmap``
  (ResNet-18 included; BatchNorm keeps running statistics per model).

Nothing here knows about scikit-learn: :class:`skiwce.IWCEClassifierCV` plans the candidates
(rows, seeds, weights per epoch) and scores them.
"""

import copy
import dataclasses

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.metrics import balanced_accuracy_score
from torch import nn
from torch.func import functional_call
from torch.optim.adam import adam as _adam_functional

from ._torch_utils import FUSED_DEVICES
from .models import CNN1D, MLP, HARNet
from .models._cnn import _pad_to

__all__ = ["StackedNetwork", "StackedOptimizer", "ModelPlan", "train_stacked"]

#: Optimizers the stacked engine implements, with the options it takes (torch's defaults).
STACKED_OPTIMIZERS = {
    torch.optim.Adam: {"betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0},
    torch.optim.AdamW: {"betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 1e-2},
    torch.optim.SGD: {"momentum": 0.0, "dampening": 0.0, "weight_decay": 0.0, "nesterov": False},
    torch.optim.Adagrad: {
        "lr_decay": 0.0,
        "weight_decay": 0.0,
        "initial_accumulator_value": 0.0,
        "eps": 1e-10,
    },
}
_ADAMS = (torch.optim.Adam, torch.optim.AdamW)
# Options that only choose torch's implementation, not the update: ignored.
_IMPLEMENTATION_OPTIONS = {"fused", "foreach", "capturable", "differentiable"}


def unsupported_optimizer_options(optimizer, params):
    """Why the stacked engine cannot run ``optimizer(**params)`` (a string), or None."""
    if optimizer not in STACKED_OPTIMIZERS:
        names = ", ".join(cls.__name__ for cls in STACKED_OPTIMIZERS)
        return f"optimizer {optimizer.__name__} (the stacked engine implements {names})"
    extra = set(params) - set(STACKED_OPTIMIZERS[optimizer]) - _IMPLEMENTATION_OPTIONS
    # amsgrad=False and maximize=False are torch's defaults: allowed.
    for name in ("amsgrad", "maximize"):
        if name in extra and not params[name]:
            extra.discard(name)
    if extra:
        return f"optimizer options {sorted(extra)}"
    return None


# -- the stacked forward form ------------------------------------------------------------------

_LEAVES = (
    nn.Linear,
    nn.ReLU,
    nn.Dropout,
    nn.Flatten,
    nn.Identity,
    nn.ConstantPad1d,
    nn.Conv1d,
    nn.MaxPool1d,
    nn.AdaptiveAvgPool1d,
)


def _stackable_layer(layer):
    if isinstance(layer, nn.Sequential):
        return all(_stackable_layer(child) for child in layer.children())
    if type(layer) not in _LEAVES:
        return False
    if isinstance(layer, nn.Conv1d):
        return (
            layer.stride == (1,)
            and layer.dilation == (1,)
            and layer.groups == 1
            and layer.padding_mode == "zeros"
            and isinstance(layer.padding, tuple)
        )
    if isinstance(layer, nn.AdaptiveAvgPool1d):
        return layer.output_size in (1, (1,))
    return True


def has_stacked_form(module):
    """Whether ``module`` runs in the stacked form (else through ``vmap``)."""
    if type(module) is MLP:
        return _stackable_layer(module.net)
    if type(module) in (CNN1D, HARNet):
        return _stackable_layer(module.features) and _stackable_layer(module.classifier)
    if type(module) is nn.Sequential:
        return _stackable_layer(module)
    return False


def _leaves(layer, prefix):
    """The leaf layers under nested ``nn.Sequential``, with their parameter-name prefixes."""
    if isinstance(layer, nn.Sequential):
        for name, child in layer.named_children():
            yield from _leaves(child, f"{prefix}{name}.")
    else:
        yield prefix, layer


_SEQUENCE_LAYERS = (nn.Conv1d, nn.ConstantPad1d, nn.MaxPool1d, nn.AdaptiveAvgPool1d)


def _linear(x, weight, bias):
    shape = x.shape
    flat = x.reshape(shape[0], -1, shape[-1])
    w = weight.transpose(1, 2)
    out = torch.bmm(flat, w) if bias is None else torch.baddbmm(bias.unsqueeze(1), flat, w)
    return out.view(*shape[:-1], weight.shape[1])


def _conv1d(x, weight, bias, padding):
    """K convolutions at once on length-major sequences: x (K, B, L, C_in), weight
    (K, C_out, C_in, k); the windows of each position are one row of a batched matrix product."""
    if padding:
        x = F.pad(x, (0, 0, padding, padding))
    n_models, batch, _, c_in = x.shape
    c_out, k = weight.shape[1], weight.shape[3]
    windows = x.unfold(2, k, 1)  # (K, B, L_out, C_in, k), a view
    length = windows.shape[2]
    windows = windows.reshape(n_models, batch * length, c_in * k)
    return _linear(windows, weight.reshape(n_models, c_out, c_in * k), bias).view(
        n_models, batch, length, c_out
    )


def _max_pool(x, layer):
    """MaxPool1d on length-major sequences x (K, B, L, C), through torch's kernel on the
    channel-major view (measured faster than any reduction in the length-major layout)."""
    seq = x.transpose(2, 3).flatten(0, 1)
    out = F.max_pool1d(
        seq, layer.kernel_size, layer.stride, layer.padding, layer.dilation, layer.ceil_mode
    )
    return out.view(*x.shape[:2], x.shape[3], out.shape[-1]).transpose(2, 3)


def _apply_layers(leaves, params, x, training):
    """Layers on K models' batches x (K, B, *sample).

    A sequence (K, B, C, L) is held length-major, (K, B, L, C), from its first convolution,
    padding or pooling until a Flatten: the convolutions are then batched matrix products over
    windows of contiguous memory, and no layer copies a transposed tensor.
    """
    length_major = False
    for prefix, layer in leaves:
        if isinstance(layer, _SEQUENCE_LAYERS) and not length_major:
            x, length_major = x.transpose(2, 3), True
        if isinstance(layer, nn.Linear):
            x = _linear(x, params[prefix + "weight"], params.get(prefix + "bias"))
        elif isinstance(layer, nn.ReLU):
            x = torch.relu(x)
        elif isinstance(layer, nn.Dropout):
            x = F.dropout(x, layer.p, training)  # independent masks: per model, per sample
        elif isinstance(layer, nn.Flatten):
            if length_major:
                x, length_major = x.transpose(2, 3), False
            end = layer.end_dim if layer.end_dim < 0 else layer.end_dim + 1
            x = x.flatten(layer.start_dim + 1, end)
        elif isinstance(layer, nn.ConstantPad1d):
            left, right = layer.padding
            x = F.pad(x, (0, 0, left, right), value=layer.value)
        elif isinstance(layer, nn.Conv1d):
            x = _conv1d(
                x, params[prefix + "weight"], params.get(prefix + "bias"), layer.padding[0]
            )
        elif isinstance(layer, nn.MaxPool1d):
            x = _max_pool(x, layer)
        elif isinstance(layer, nn.AdaptiveAvgPool1d):
            x = x.mean(2, keepdim=True)
        elif not isinstance(layer, nn.Identity):
            raise TypeError(f"no stacked form for {type(layer).__name__}")  # has_stacked_form
    return x.transpose(2, 3) if length_major else x


def _stacked_forward(module, params, x, training):
    if type(module) is MLP:
        return _apply_layers(_leaves(module.net, "net."), params, x, training)
    if type(module) is nn.Sequential:
        return _apply_layers(_leaves(module, ""), params, x, training)
    # CNN1D, HARNet: a flat row is a one-channel sequence; short ones are padded.
    if x.ndim == 3:
        x = x.unsqueeze(2)
    x = _pad_to(x, module.min_length)
    x = _apply_layers(_leaves(module.features, "features."), params, x, training)
    return _apply_layers(_leaves(module.classifier, "classifier."), params, x, training)


class StackedNetwork:
    """K copies of one network, their parameters and buffers stacked along axis 0.

    Parameters
    ----------
    modules : list of nn.Module
        The K initial networks, all of one architecture (same class, names and shapes).
    device : str or torch.device, default="cpu"
    dtype : torch.dtype or None, default=None
        Cast parameters and floating buffers to it (e.g. float64 for exact comparisons).
    """

    def __init__(self, modules, device="cpu", dtype=None):
        template = copy.deepcopy(modules[0]).to("meta")
        self.template = template
        self.n_models = len(modules)
        self.device = torch.device(device)
        states = [dict(m.named_parameters()) for m in modules]
        names = list(states[0])
        if any(list(s) != names for s in states):
            raise ValueError("the stacked networks must all have the same parameters")

        def stack(tensors):
            t = torch.stack([x.detach() for x in tensors]).to(self.device)
            return t.to(dtype) if dtype is not None and t.is_floating_point() else t

        # A frozen parameter (requires_grad=False, e.g. a pretrained backbone) stays frozen:
        # it gets no gradient, so the optimizer leaves it, as torch's optimizers do.
        self.params = {
            n: stack([s[n] for s in states]).requires_grad_(states[0][n].requires_grad)
            for n in names
        }
        buffers = [dict(m.named_buffers()) for m in modules]
        self.buffers = {n: stack([b[n] for b in buffers]) for n in buffers[0]}
        self.stacked_form = has_stacked_form(modules[0])

    def forward(self, x, training, models=None):
        """Logits of shape (K', B, n_classes) for inputs x of shape (K', B, *sample).

        ``models`` (a LongTensor) selects K' of the K models; gradients reach the stacked
        parameters of those only, and their buffers (BatchNorm statistics) are updated.
        """
        params = self.params
        buffers = self.buffers
        if models is not None:
            params = {n: p[models] for n, p in params.items()}
            buffers = {n: b[models] for n, b in buffers.items()}
        if self.stacked_form:
            out = _stacked_forward(self.template, params, x, training)
        else:
            out = self._vmap_forward(params, buffers, x, training)
            if models is not None and training:
                for n, b in buffers.items():
                    self.buffers[n][models] = b
        return out

    def _vmap_forward(self, params, buffers, x, training):
        template = self.template
        template.train(training)

        def one(p, b, xi):
            return functional_call(template, (p, b), (xi,))

        return torch.vmap(one, randomness="different")(params, buffers, x)

    def module(self, k, like):
        """Model ``k`` as a module: a copy of ``like`` (a network of the architecture, on CPU)
        holding model k's parameters and buffers."""
        module = copy.deepcopy(like)
        with torch.no_grad():
            for name, p in module.named_parameters():
                p.copy_(self.params[name][k].to(p.device, p.dtype))
            for name, b in module.named_buffers():
                b.copy_(self.buffers[name][k].to(b.device, b.dtype))
        return module.eval()

    def state(self):
        """A detached copy of the parameters and buffers (to restore a best epoch)."""
        return (
            {n: p.detach().clone() for n, p in self.params.items()},
            {n: b.clone() for n, b in self.buffers.items()},
        )

    def load(self, state, models):
        """Write ``state``'s parameters and buffers of ``models`` (bool mask) back."""
        params, buffers = state
        with torch.no_grad():
            for n, p in self.params.items():
                p[models] = params[n][models]
            for n, b in self.buffers.items():
                b[models] = buffers[n][models]


class StackedOptimizer:
    """Adam, AdamW or SGD over stacked parameters, with one step count per model.

    The update of each model's slice is what ``optimizer`` (a torch class) computes for that
    model alone. ``step(active)`` updates only the models in the boolean mask ``active``: the
    others' parameters, moments and step counts do not move.
    """

    def __init__(self, params, optimizer, lr, **options):
        reason = unsupported_optimizer_options(optimizer, options)
        if reason:
            raise ValueError(f"no stacked implementation of {reason}")
        self.kind = optimizer
        self.lr = float(lr)
        self.options = {
            **STACKED_OPTIMIZERS[optimizer],
            **{k: v for k, v in options.items() if k in STACKED_OPTIMIZERS[optimizer]},
        }
        self.params = params
        first = next(iter(params.values()))
        self.n_models = first.shape[0]
        self.steps = torch.zeros(self.n_models, dtype=torch.float64, device=first.device)
        self.state = {n: {} for n in params}
        self._steps_uniform = True

    def zero_grad(self):
        for p in self.params.values():
            p.grad = None

    def _lr(self, p):
        """The learning rate for parameter ``p``: a float, or each model's (``lr`` set to a
        tensor of K rates) shaped to broadcast over ``p``."""
        if isinstance(self.lr, torch.Tensor):
            return self.lr.to(p.device, p.dtype).view(-1, *([1] * (p.ndim - 1)))
        return self.lr

    @torch.no_grad()
    def step(self, active=None):
        """One step for the models in the boolean mask ``active`` (None: all)."""
        if active is not None and bool(active.all()):
            active = None
        if (
            active is None
            and self.kind in _ADAMS
            and self._uniform()
            and not isinstance(self.lr, torch.Tensor)
        ):
            self.steps += 1
            self._adam_all()
            return
        if active is not None:
            self.steps += active.to(self.steps.dtype)
            self._steps_uniform = None
        else:
            self.steps += 1
        for name, p in self.params.items():
            if p.grad is None:
                continue
            mask = None if active is None else active.view(-1, *([1] * (p.ndim - 1)))
            if self.kind is torch.optim.SGD:
                new = self._sgd(name, p, p.grad, mask)
            elif self.kind is torch.optim.Adagrad:
                new = self._adagrad(name, p, p.grad, mask)
            else:
                new = self._adam(name, p, p.grad, mask)
            p.copy_(new if mask is None else torch.where(mask, new, p))

    def _uniform(self):
        """Whether every model has made the same number of steps."""
        if self._steps_uniform is None:
            self._steps_uniform = bool((self.steps == self.steps[0]).all())
        return self._steps_uniform

    def _adam_all(self):
        """Every model steps and all share one step count: torch's own Adam (fused where it
        runs) over the stacked tensors is then exactly K independent Adams."""
        names = [n for n, p in self.params.items() if p.grad is not None]
        params = [self.params[n] for n in names]
        fused = params[0].device.type in FUSED_DEVICES
        for n in names:
            state = self.state[n]
            if "exp_avg" not in state:
                p = self.params[n]
                state["exp_avg"] = torch.zeros_like(p)
                state["exp_avg_sq"] = torch.zeros_like(p)
                # the step count torch's function reads and advances (fused: on the device)
                state["step"] = torch.zeros((), device=p.device if fused else "cpu")
            state["step"].fill_(float(self.steps[0]) - 1)
        o = self.options
        _adam_functional(
            params,
            [p.grad for p in params],
            [self.state[n]["exp_avg"] for n in names],
            [self.state[n]["exp_avg_sq"] for n in names],
            [],
            [self.state[n]["step"] for n in names],
            foreach=None if fused else True,
            fused=True if fused else None,
            decoupled_weight_decay=self.kind is torch.optim.AdamW,
            amsgrad=False,
            beta1=o["betas"][0],
            beta2=o["betas"][1],
            lr=self.lr,
            weight_decay=o["weight_decay"],
            eps=o["eps"],
            maximize=False,
        )

    def _keep(self, state, key, value, mask):
        old = state.get(key)
        state[key] = value if mask is None or old is None else torch.where(mask, value, old)

    def _adam(self, name, p, grad, mask):
        o, state = self.options, self.state[name]
        beta1, beta2 = o["betas"]
        wd = o["weight_decay"]
        if wd and self.kind is torch.optim.Adam:
            grad = grad + wd * p
        lr = self._lr(p)
        param = p * (1 - lr * wd) if wd and self.kind is torch.optim.AdamW else p
        m = state.get("exp_avg", torch.zeros_like(p))
        v = state.get("exp_avg_sq", torch.zeros_like(p))
        m_new = torch.lerp(m, grad, 1 - beta1)
        v_new = v * beta2 + (1 - beta2) * grad * grad
        self._keep(state, "exp_avg", m_new, mask)
        self._keep(state, "exp_avg_sq", v_new, mask)
        steps = torch.clamp(self.steps, min=1).view(-1, *([1] * (p.ndim - 1)))
        bc1 = (1 - beta1**steps).to(p.dtype)
        bc2_sqrt = torch.sqrt(1 - beta2**steps).to(p.dtype)
        denom = torch.sqrt(v_new) / bc2_sqrt + o["eps"]
        return param - (lr / bc1) * m_new / denom

    def _adagrad(self, name, p, grad, mask):
        o, state = self.options, self.state[name]
        if o["weight_decay"]:
            grad = grad + o["weight_decay"] * p
        total = state.get("sum")
        if total is None:
            total = torch.full_like(p, o["initial_accumulator_value"])
        total_new = total + grad * grad
        self._keep(state, "sum", total_new, mask)
        steps = torch.clamp(self.steps, min=1).view(-1, *([1] * (p.ndim - 1)))
        lr = (self._lr(p) / (1 + (steps - 1) * o["lr_decay"])).to(p.dtype)
        return p - lr * grad / (torch.sqrt(total_new) + o["eps"])

    def _sgd(self, name, p, grad, mask):
        o, state = self.options, self.state[name]
        if o["weight_decay"]:
            grad = grad + o["weight_decay"] * p
        if o["momentum"]:
            # torch starts a model's buffer at its first gradient (no dampening then).
            buf = state.get("momentum_buffer", torch.zeros_like(p))
            first = (self.steps == 1).view(-1, *([1] * (p.ndim - 1)))
            buf_new = torch.where(first, grad, buf * o["momentum"] + (1 - o["dampening"]) * grad)
            self._keep(state, "momentum_buffer", buf_new, mask)
            grad = grad + o["momentum"] * buf_new if o["nesterov"] else buf_new
        return p - self._lr(p) * grad


# -- training ------------------------------------------------------------------------------


@dataclasses.dataclass
class ModelPlan:
    """What one of the stacked models trains on.

    Attributes
    ----------
    train_idx : ndarray of int64
        Its training rows (indices into the shared X).
    sample_weight : ndarray of float32 or None
        Weights of those rows (aligned with ``train_idx``), already rescaled to mean 1.
    class_weight : ndarray of shape (n_epochs, n_classes) or None
        The class weights of every epoch; None: unweighted cross entropy.
    alphas : list of float or None
        The schedule (for the history and early stopping's "weights reached their target").
    shuffle_seed : int
        Seed of the generator that shuffles its rows each epoch, as a DataLoader would.
    valid_idx : ndarray of int64 or None
        Rows scored (balanced accuracy) after each epoch.
    input_stats : (mean, scale) or None
        The model's input standardisation (per feature, or per channel of N-d samples);
        None feeds X as it is.
    """

    train_idx: np.ndarray
    sample_weight: np.ndarray | None
    class_weight: np.ndarray | None
    alphas: list | None
    shuffle_seed: int
    valid_idx: np.ndarray | None = None
    input_stats: tuple | None = None


@dataclasses.dataclass
class EarlyStop:
    """skorch's ``EarlyStopping`` on ``valid_bacc`` (relative threshold), counted only on epochs
    whose weights reached their target (alpha = 1), keeping the best epoch's parameters."""

    patience: int
    threshold: float = 1e-4


def _epoch_layout(plans, gens, train_rows, sample_weights, batch_size, stopped):
    """The rows (and sample weights) of every model's batches of one epoch, drawn as
    TensorBatches draws them, laid out as (K, n_steps, batch_size) with the batch sizes
    (K, n_steps); a model that has stopped gets no batches."""
    perms, counts = [], []
    for plan, gen, done in zip(plans, gens, stopped, strict=True):
        n = len(plan.train_idx)
        if done:
            perms.append(None)
            counts.append(0)
            continue
        torch.empty((), dtype=torch.int64).random_(generator=gen)
        perm = torch.randperm(n, generator=gen)
        torch.randperm(n, generator=gen)
        # BatchNorm cannot train on a one-sample last batch: it is dropped, as in the estimator
        used = n - 1 if n % batch_size == 1 and n > 1 else n
        perms.append(perm[:used])
        counts.append(used)
    n_steps = max(-(-c // batch_size) for c in counts) if counts else 0
    K = len(plans)
    rows = torch.zeros((K, n_steps * batch_size), dtype=torch.int64)
    weights = None
    if sample_weights is not None:
        weights = torch.zeros((K, n_steps * batch_size), dtype=sample_weights[0].dtype)
    for k, perm in enumerate(perms):
        if perm is not None:
            rows[k, : len(perm)] = train_rows[k][perm]
            if weights is not None:
                weights[k, : len(perm)] = sample_weights[k][perm]
    steps = np.arange(n_steps) * batch_size
    sizes = np.clip(np.asarray(counts)[:, None] - steps[None, :], 0, batch_size)
    rows = rows.view(K, n_steps, batch_size)
    if weights is not None:
        weights = weights.view(K, n_steps, batch_size)
    return rows, weights, sizes


def train_stacked(
    stack,
    X,
    y,
    plans,
    *,
    n_epochs,
    batch_size,
    optimizer,
    lr,
    optimizer_options=None,
    n_classes,
    lr_schedule=None,
    early_stopping=None,
    on_epoch_end=None,
):
    """Train the K models of ``stack`` (their plans in ``plans``) for ``n_epochs`` epochs.

    Each model's loss is the plain mean over its batch of
    ``class_weight[epoch, y_j] * sample_weight_j * cross_entropy_j``, its batches those a
    :class:`skiwce.IWCEClassifier` with the same shuffle seed would see.

    ``n_epochs`` is one count for all models or one per model (a model whose epochs are done
    sits out the rest, as one that stopped early). ``lr_schedule`` is the learning rate of
    every epoch, shared, or one list per model (None: ``lr`` throughout).

    Returns
    -------
    histories : list of list of dict
        Per model, one row per epoch run: ``epoch`` (1-based, as skorch), ``train_loss`` (the
        batch losses' mean weighted by batch size), ``alpha``, ``class_weight`` and
        ``valid_bacc`` where known.
    """
    device = stack.device
    K = stack.n_models
    X_t = torch.as_tensor(X).to(device)
    y_t = torch.as_tensor(y).to(device)
    dtype = next(iter(stack.params.values())).dtype
    if X_t.is_floating_point():
        X_t = X_t.to(dtype)
    train_rows = [torch.as_tensor(p.train_idx, dtype=torch.int64) for p in plans]
    sw = [
        None if p.sample_weight is None else torch.as_tensor(p.sample_weight, dtype=dtype)
        for p in plans
    ]
    has_sw = any(w is not None for w in sw)
    ones = [torch.ones(len(r), dtype=dtype) for r in train_rows]
    sw = [ones[k] if w is None else w for k, w in enumerate(sw)]
    epochs_k = [int(n_epochs)] * K if np.ndim(n_epochs) == 0 else [int(e) for e in n_epochs]
    n_epochs = max(epochs_k)
    per_model_lr = lr_schedule is not None and np.ndim(lr_schedule[0]) == 1
    # Class weights per epoch: (n_epochs, K, C); unweighted models get ones.
    cw = np.ones((n_epochs, K, n_classes))
    for k, p in enumerate(plans):
        if p.class_weight is not None:
            own = p.class_weight[: epochs_k[k]]
            cw[: len(own), k] = own
    cw = torch.as_tensor(cw, dtype=dtype, device=device)
    gens = [torch.Generator().manual_seed(int(p.shuffle_seed)) for p in plans]
    opt = StackedOptimizer(stack.params, optimizer, lr, **(optimizer_options or {}))
    stopped = [False] * K
    histories = [[] for _ in range(K)]
    es_state = None
    if early_stopping is not None:
        es_state = {
            "misses": [0] * K,
            "threshold": [-np.inf] * K,
            "best_epoch": [0] * K,
            "best": None,
            "saved": torch.zeros(K, dtype=torch.bool, device=device),
        }
    valid = [
        None if p.valid_idx is None else torch.as_tensor(p.valid_idx, dtype=torch.int64)
        for p in plans
    ]

    prepare = _input_transform(plans, X_t, device)
    all_models = torch.ones(K, dtype=torch.bool, device=device)
    for epoch in range(n_epochs):
        for k in range(K):
            if epoch >= epochs_k[k]:
                stopped[k] = True  # its budget is spent
        if all(stopped):
            break
        rows_e, sw_e, sizes = _epoch_layout(
            plans, gens, train_rows, sw if has_sw else None, batch_size, stopped
        )
        rows_e = rows_e.to(device)
        sw_e = None if sw_e is None else sw_e.to(device)
        loss_sum = torch.zeros(K, dtype=torch.float64, device=device)
        seen = torch.zeros(K, dtype=torch.float64, device=device)
        weights = cw[epoch]
        if per_model_lr:
            rates = [float(r[min(epoch, len(r) - 1)]) for r in lr_schedule]
            opt.lr = rates[0] if len(set(rates)) == 1 else torch.tensor(rates, device=device)
        elif lr_schedule is not None:
            opt.lr = float(lr_schedule[epoch])
        for s in range(sizes.shape[1]):
            step_sizes = sizes[:, s]
            if np.all(step_sizes == batch_size):
                groups = [(batch_size, None)]  # every model, a full batch: no indexing
                active = all_models
            else:
                groups = [
                    (int(size), np.flatnonzero(step_sizes == size))
                    for size in np.unique(step_sizes[step_sizes > 0])
                ]
                active = torch.as_tensor(step_sizes > 0, device=device)
            for size, members in groups:
                models = None
                if members is None:
                    rows, swb = rows_e[:, s], None if sw_e is None else sw_e[:, s]
                    n_members = K
                else:
                    models = torch.as_tensor(members, dtype=torch.int64, device=device)
                    rows = rows_e[models, s, :size]
                    swb = None if sw_e is None else sw_e[models, s, :size]
                    n_members = len(members)
                    if n_members == K:
                        models = None
                yb = y_t[rows]
                logits = stack.forward(prepare(X_t[rows], models), training=True, models=models)
                ce = F.cross_entropy(
                    logits.reshape(-1, n_classes), yb.reshape(-1), reduction="none"
                ).view(n_members, size)
                w = (weights if models is None else weights[models]).gather(1, yb)
                if swb is not None:
                    w = w * swb
                losses = (ce * w).mean(1)
                losses.sum().backward()
                idx = slice(None) if models is None else models
                loss_sum[idx] += losses.detach().double() * size
                seen[idx] += size
            opt.step(active)
            opt.zero_grad()
        train_loss = (loss_sum / seen.clamp(min=1)).cpu().numpy()
        scores = _valid_scores(stack, X_t, y_t, valid, stopped, prepare)
        for k in range(K):
            if stopped[k]:
                continue
            row = {"epoch": epoch + 1, "train_loss": float(train_loss[k])}
            if plans[k].alphas is not None:
                row["alpha"] = float(plans[k].alphas[epoch])
            if plans[k].class_weight is not None:
                row["class_weight"] = [float(w) for w in plans[k].class_weight[epoch]]
            if scores[k] is not None:
                row["valid_bacc"] = scores[k]
            histories[k].append(row)
        if es_state is not None:
            _early_stopping_step(stack, histories, stopped, es_state, early_stopping, epoch)
        if on_epoch_end is not None:
            on_epoch_end(epoch, histories)
        if all(stopped):
            break
    if es_state is not None and es_state["best"] is not None:
        # skorch's load_best: the best epoch's parameters, where it was not the last one.
        restore = torch.tensor(
            [
                bool(es_state["saved"][k])
                and es_state["best_epoch"][k] != histories[k][-1]["epoch"]
                for k in range(K)
            ],
            device=device,
        )
        if bool(restore.any()):
            stack.load(es_state["best"], restore)
    return histories


def _early_stopping_step(stack, histories, stopped, state, rule, epoch):
    improved = torch.zeros(stack.n_models, dtype=torch.bool, device=stack.device)
    for k, history in enumerate(histories):
        if stopped[k] or not history or history[-1]["epoch"] != epoch + 1:
            continue
        row = history[-1]
        if row.get("alpha", 1.0) < 1.0 or "valid_bacc" not in row:
            continue
        score = row["valid_bacc"]
        if score > state["threshold"][k]:
            state["misses"][k] = 0
            state["threshold"][k] = score + rule.threshold * score
            state["best_epoch"][k] = row["epoch"]
            improved[k] = True
        else:
            state["misses"][k] += 1
        if state["misses"][k] == rule.patience:
            stopped[k] = True
    if bool(improved.any()):
        if state["best"] is None:
            state["best"] = stack.state()
        else:
            current = stack.state()
            for target, source in zip(state["best"], current, strict=True):
                for n in target:
                    target[n][improved] = source[n][improved]
        state["saved"] |= improved


@torch.no_grad()
def _input_transform(plans, X_t, device):
    """``prepare(xb, models)``: each model's standardisation of its batch xb (K', B, *sample);
    the identity when no plan standardises."""
    if all(p.input_stats is None for p in plans):
        return lambda xb, models: xb
    sample_ndim = X_t.ndim - 1
    bshape = (-1,) if sample_ndim == 1 else (-1, *([1] * (sample_ndim - 1)))
    n_stat = X_t.shape[1]
    means, scales = [], []
    for p in plans:
        mean, scale = p.input_stats if p.input_stats is not None else (None, None)
        means.append(np.zeros(n_stat, np.float32) if mean is None else mean)
        scales.append(np.ones(n_stat, np.float32) if scale is None else scale)
    shape = (len(plans), 1, *bshape)
    mean = torch.as_tensor(np.stack(means), device=device).to(X_t.dtype).reshape(shape)
    scale = torch.as_tensor(np.stack(scales), device=device).to(X_t.dtype).reshape(shape)

    def prepare(xb, models):
        if models is None:
            return (xb - mean) / scale
        return (xb - mean[models]) / scale[models]

    return prepare


def _valid_scores(stack, X_t, y_t, valid, stopped, prepare):
    """Balanced accuracy of each model on its validation rows (None where it has none)."""
    wanted = [k for k, v in enumerate(valid) if v is not None and not stopped[k]]
    scores = [None] * len(valid)
    if not wanted:
        return scores
    preds = stacked_predict(stack, X_t, [valid[k] for k in wanted], models=wanted, prepare=prepare)
    for k, pred in zip(wanted, preds, strict=True):
        truth = y_t[valid[k].to(y_t.device)].cpu().numpy()
        scores[k] = float(balanced_accuracy_score(truth, pred.argmax(1).cpu().numpy()))
    return scores


@torch.no_grad()
def stacked_predict(stack, X_t, rows, models=None, chunk=1024, prepare=None):
    """Logits of model ``models[i]`` on rows ``rows[i]`` of ``X_t`` (eval mode), as a list.

    Row sets of different lengths are padded with their first row; the padding is dropped.
    ``prepare(xb, models)`` transforms each batch (the models' standardisation).
    """
    models = list(range(stack.n_models)) if models is None else list(models)
    lengths = [len(r) for r in rows]
    longest = max(lengths)
    out = [[] for _ in models]
    sel = None
    if len(models) < stack.n_models:
        sel = torch.as_tensor(models, dtype=torch.int64, device=stack.device)
    for start in range(0, longest, chunk):
        idx = []
        for r in rows:
            part = r[start : start + chunk]
            short = min(chunk, longest - start) - len(part)
            if short > 0:
                part = torch.cat([part, r[:1].expand(short)])
            idx.append(part)
        idx = torch.stack(idx).to(X_t.device)
        xb = X_t[idx]
        if prepare is not None:
            xb = prepare(xb, sel)
        logits = stack.forward(xb, training=False, models=sel)
        for i in range(len(models)):
            out[i].append(logits[i])
    return [torch.cat(o)[:n] for o, n in zip(out, lengths, strict=True)]
