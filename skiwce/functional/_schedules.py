"""Epoch schedules for the weight-mixing factor alpha (pure Python)."""

import math
import numbers

#: Names of the built-in alpha schedules.
SCHEDULES = ("exponential", "step", "linear", "constant")


def resolve_switch_epoch(switch_epoch, n_epochs, default=None):
    """Turn the flexible ``switch_epoch`` into a 0-based epoch index.

    Parameters
    ----------
    switch_epoch : int, float or None
        An int is an epoch index; a float ``f`` in ``[0, 1]`` a fraction of the last epoch
        index ``E = n_epochs - 1``: the first epoch at or after ``f * E`` (so ``0.8`` of 200
        epochs is epoch 160, the last 40 epochs, as in LDAM-DRW); None means ``default``.
    n_epochs : int
        Number of epochs.
    default : float or None
        Fraction of ``E`` used when ``switch_epoch`` is None; None means ``E``.

    Returns
    -------
    epoch : int

    Raises
    ------
    ValueError
        If ``switch_epoch`` is none of the above, or an int beyond the last epoch (alpha would
        never reach 1).

    Examples
    --------
    >>> from skiwce.functional import resolve_switch_epoch
    >>> resolve_switch_epoch(None, 200), resolve_switch_epoch(0.8, 200)
    (199, 160)
    """
    last = n_epochs - 1
    if switch_epoch is None:
        return last if default is None else _first_epoch_at(default, last)
    if _check_switch_epoch(switch_epoch) == "fraction":
        return _first_epoch_at(switch_epoch, last)
    if switch_epoch > last:
        raise ValueError(
            f"switch_epoch={switch_epoch} is not an epoch of the run ({n_epochs} epochs: "
            f"0 to {last}), so the class weights would never reach their target; give an "
            "earlier epoch or a fraction in [0, 1]."
        )
    return int(switch_epoch)


def _check_switch_epoch(switch_epoch):
    """``"epoch"`` for an int >= 0, ``"fraction"`` for a float in [0, 1]; else a ValueError."""
    if isinstance(switch_epoch, numbers.Integral) and not isinstance(switch_epoch, bool):
        if switch_epoch < 0:
            raise ValueError(f"switch_epoch must be >= 0; got {switch_epoch}.")
        return "epoch"
    if isinstance(switch_epoch, numbers.Real) and 0.0 <= switch_epoch <= 1.0:
        return "fraction"
    raise ValueError(
        "switch_epoch must be None, an int >= 0 (an epoch index) or a float in [0, 1] (a fraction "
        f"of the last epoch); got {switch_epoch!r}."
    )


def _first_epoch_at(fraction, last):
    """The first epoch index >= ``fraction * last``, immune to rounding (0.29 * 100 = 28.99...)."""
    return max(0, int(math.ceil(fraction * last - 1e-9)))


def exponential_alpha(epoch, n_epochs, T, switch_epoch=None):
    """The paper's schedule ``alpha = min(1, exp((e - E_s) / T))``.

    ``e`` is the 0-based epoch and ``E_s`` the switch epoch, by default the last epoch
    ``E = n_epochs - 1``, so that the last epoch trains with the target weights (alpha = 1) and the
    first almost with plain cross entropy (alpha = exp(-E / T)). ``T -> 0`` gives cross entropy
    until the switch epoch; ``T = inf`` gives the target weights from the start.

    Parameters
    ----------
    epoch : int
        0-based epoch index.
    n_epochs : int
        Number of epochs of the run.
    T : float
        Temperature, ``> 0``; ``inf`` is allowed.
    switch_epoch : int, float or None, default=None
        See :func:`resolve_switch_epoch`.

    Returns
    -------
    alpha : float in [0, 1]

    Examples
    --------
    >>> from skiwce.functional import exponential_alpha
    >>> round(exponential_alpha(0, 201, T=50), 4), exponential_alpha(200, 201, T=50)
    (0.0183, 1.0)
    """
    _check_T(T)
    e_s = resolve_switch_epoch(switch_epoch, n_epochs)
    if epoch >= e_s:
        return 1.0
    return math.exp((epoch - e_s) / T)


def step_alpha(epoch, n_epochs, switch_epoch=None):
    """Deferred re-weighting (DRW): alpha is 0 before the switch epoch and 1 from it on.

    The switch epoch defaults to 80 % of the last epoch, as in LDAM-DRW (Cao et al., 2019): epoch
    160 of 200.

    Examples
    --------
    >>> from skiwce.functional import step_alpha
    >>> [step_alpha(e, 11) for e in (0, 7, 8, 10)]
    [0.0, 0.0, 1.0, 1.0]
    """
    e_s = resolve_switch_epoch(switch_epoch, n_epochs, default=0.8)
    return 1.0 if epoch >= e_s else 0.0


def linear_alpha(epoch, n_epochs, switch_epoch=None):
    """Linear ramp from 0 at the first epoch to 1 at the switch epoch (default: the last).

    Examples
    --------
    >>> from skiwce.functional import linear_alpha
    >>> [linear_alpha(e, 5) for e in range(5)]
    [0.0, 0.25, 0.5, 0.75, 1.0]
    """
    e_s = resolve_switch_epoch(switch_epoch, n_epochs)
    if epoch >= e_s:
        return 1.0
    return epoch / e_s


def _check_T(T):
    if isinstance(T, bool) or not isinstance(T, numbers.Real) or math.isnan(T) or T <= 0:
        raise ValueError(f"T must be a float > 0 (inf allowed); got {T!r}.")


class _Schedule:
    """A named or user schedule as a picklable callable that checks what it returns."""

    def __init__(self, schedule, T, switch_epoch):
        self.schedule = schedule
        self.T = T
        self.switch_epoch = switch_epoch

    def _alpha(self, epoch, n_epochs):
        if callable(self.schedule):
            return self.schedule(epoch, n_epochs)
        if self.schedule == "exponential":
            return exponential_alpha(epoch, n_epochs, self.T, self.switch_epoch)
        if self.schedule == "step":
            return step_alpha(epoch, n_epochs, self.switch_epoch)
        if self.schedule == "linear":
            return linear_alpha(epoch, n_epochs, self.switch_epoch)
        return 1.0  # "constant"

    def __call__(self, epoch, n_epochs):
        alpha = self._alpha(epoch, n_epochs)
        if (
            isinstance(alpha, bool)
            or not isinstance(alpha, numbers.Real)
            or not 0.0 <= float(alpha) <= 1.0
        ):
            raise ValueError(
                f"schedule {self.schedule!r} returned alpha={alpha!r} at epoch {epoch}; "
                "alpha must be a float in [0, 1]."
            )
        return float(alpha)

    def __repr__(self):
        return f"_Schedule({self.schedule!r}, T={self.T!r}, switch_epoch={self.switch_epoch!r})"


def check_schedule(schedule="exponential", *, T=20.0, switch_epoch=None):
    """Normalise the flexible ``schedule`` parameter to one callable.

    Parameters
    ----------
    schedule : {"exponential", "step", "linear", "constant"} or callable, default="exponential"
        A schedule name, or a callable ``(epoch, n_epochs) -> alpha`` returning a float in
        ``[0, 1]``. ``"constant"`` keeps alpha at 1: static weighted cross entropy.
    T : float, default=20.0
        Temperature of ``"exponential"``; ignored by the others.
    switch_epoch : int, float or None, default=None
        Switch epoch of the named schedules (see :func:`resolve_switch_epoch`).

    Returns
    -------
    schedule : callable
        ``schedule(epoch, n_epochs)`` returns alpha, checked to be a float in ``[0, 1]``. It
        pickles if the given callable does.

    Examples
    --------
    >>> from skiwce.functional import check_schedule
    >>> alpha = check_schedule("exponential", T=10)
    >>> round(alpha(epoch=90, n_epochs=101), 4)
    0.3679
    """
    if not callable(schedule) and schedule not in SCHEDULES:
        raise ValueError(
            f"schedule must be one of {SCHEDULES} or a callable (epoch, n_epochs) -> alpha; "
            f"got {schedule!r}."
        )
    if schedule == "exponential":
        _check_T(T)
    if switch_epoch is not None:
        # Its range needs the number of epochs: resolve_switch_epoch checks it.
        _check_switch_epoch(switch_epoch)
    return _Schedule(schedule, T, switch_epoch)


def alpha_schedule(n_epochs, schedule="exponential", *, T=20.0, switch_epoch=None):
    """Alpha for every epoch of a run, as a list.

    Parameters
    ----------
    n_epochs : int
        Number of epochs.
    schedule, T, switch_epoch
        See :func:`check_schedule`.

    Returns
    -------
    alphas : list of float, length ``n_epochs``

    Examples
    --------
    >>> from skiwce.functional import alpha_schedule
    >>> [round(a, 3) for a in alpha_schedule(5, T=1)]
    [0.018, 0.05, 0.135, 0.368, 1.0]
    """
    if isinstance(n_epochs, bool) or not isinstance(n_epochs, numbers.Integral) or n_epochs < 1:
        raise ValueError(f"n_epochs must be an int >= 1; got {n_epochs!r}.")
    func = check_schedule(schedule, T=T, switch_epoch=switch_epoch)
    return [func(e, n_epochs) for e in range(n_epochs)]
