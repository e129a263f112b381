"""A procedural MNIST-1D generator (after Greydanus 2020), vectorised with NumPy."""

import numbers

import numpy as np
from scipy.ndimage import gaussian_filter1d
from sklearn.utils import Bunch, check_random_state

N_CLASSES = 10

# Control points (position in [0, 1], level) of ten hand-made, digit-like 1-D strokes. Every
# template starts and ends at level 0, so the padding that follows it is continuous.
_STROKES = (
    ((0.0, 0.0), (0.2, 0.8), (0.5, 1.0), (0.8, 0.8), (1.0, 0.0)),  # 0: one wide bump
    ((0.0, 0.0), (0.1, -1.0), (0.85, 0.6), (1.0, 0.0)),  # 1: a drop, then a long ramp up
    ((0.0, 0.0), (0.25, 0.8), (0.5, 0.0), (0.75, -0.8), (1.0, 0.0)),  # 2: up, then down
    ((0.0, 0.0), (0.25, 0.9), (0.5, 0.1), (0.75, 0.9), (1.0, 0.0)),  # 3: two bumps
    ((0.0, 0.0), (0.5, -1.0), (0.55, 0.0), (1.0, 0.0)),  # 4: a ramp down, a jump, a flat
    ((0.0, 0.0), (0.1, -0.9), (0.4, -0.9), (0.45, 0.0), (0.7, 0.8), (1.0, 0.0)),  # 5
    ((0.0, 0.0), (0.2, -0.8), (0.5, -1.0), (0.8, -0.8), (1.0, 0.0)),  # 6: one wide dip
    ((0.0, 0.0), (0.1, 1.0), (0.85, -0.6), (1.0, 0.0)),  # 7: a rise, then a long ramp down
    ((0.0, 0.0), (0.25, -0.9), (0.5, -0.1), (0.75, -0.9), (1.0, 0.0)),  # 8: two dips
    ((0.0, 0.0), (0.25, -0.8), (0.45, 0.0), (0.75, 0.0), (0.9, -0.4), (1.0, 0.0)),  # 9
)
_TEMPLATE_LENGTH = 12
_AMPLITUDE = 1.0 / 6.0

_DESCR = """\
MNIST-1D, procedural (after Greydanus 2020)
-------------------------------------------

Ten hand-made 1-D strokes, one per digit class, each 12 points long, turned into examples by
random transformations: the stroke is followed by 36..60 zeros and the result is stretched
back to 72 points (a random dilation), scaled by a random factor in [0.8, 1.2], shifted
circularly by up to 47 points, its zero padding replaced by smooth (Gaussian-filtered) noise,
iid noise is added, a random linear trend is subtracted (a shear), and the signal is resampled
to ``length`` points. The whole set is then standardised to mean 0 and standard deviation 1.
Classes are balanced (their counts differ by at most one) and shuffled.

The strokes and the code are skiwce's own; the transformation recipe and its default
parameters follow S. Greydanus, "Scaling down deep learning", arXiv:2011.14439 (2020), so the
task is similar in spirit to the published MNIST-1D but the samples are not the same. Linear
models reach far less than convolutional networks on it, which makes it a small benchmark for
1-D CNNs that runs on a CPU.
"""


def _templates():
    grid = np.linspace(0.0, 1.0, _TEMPLATE_LENGTH)
    rows = []
    for stroke in _STROKES:
        position, level = np.asarray(stroke).T
        row = np.interp(grid, position, level)
        rows.append(row / np.sqrt(np.mean(row**2)))  # unit RMS, ends stay at 0
    return np.stack(rows) * _AMPLITUDE


def _linear_resample(x, n_out):
    """Resample rows of ``x`` linearly from their grid on [0, 1] to ``n_out`` points."""
    n_in = x.shape[-1]
    source = np.linspace(0.0, n_in - 1.0, n_out)
    left = np.minimum(np.floor(source).astype(np.int64), n_in - 2)
    frac = source - left
    return x[..., left] * (1.0 - frac) + x[..., left + 1] * frac


def _check_int(value, name, minimum):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}.")
    return int(value)


def _check_scale(value, name):
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not np.isfinite(value)
        or value < 0
    ):
        raise ValueError(f"{name} must be a finite number >= 0; got {value!r}.")
    return float(value)


def make_mnist1d(
    n_samples=4000,
    *,
    random_state=0,
    return_X_y=False,
    length=40,
    padding=(36, 60),
    max_translation=48,
    scale_coeff=0.4,
    shear_scale=0.75,
    corr_noise_scale=0.25,
    iid_noise_scale=0.02,
):
    """Generate a procedural MNIST-1D data set: ten classes of noisy 1-D strokes.

    Each example is one of ten hand-made, digit-like 12-point strokes followed by zero padding,
    stretched, scaled, shifted, given correlated noise in the padding and iid noise everywhere,
    sheared by a random linear trend and resampled to ``length`` points, following the recipe of
    Greydanus's MNIST-1D (2020). The strokes and the code are skiwce's own, so the samples are
    not those of the published data set. The result is standardised to mean 0 and standard
    deviation 1 over the whole set. A small 1-D CNN learns it far above chance in a few epochs;
    linear models do much worse.

    Parameters
    ----------
    n_samples : int, default=4000
        Number of examples, at least 10; the class counts differ by at most one.
    random_state : int, RandomState instance or None, default=0
        Seeds every random draw; the data are identical for the same seed.
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.
    length : int, default=40
        Length of the output signals.
    padding : tuple of (int, int), default=(36, 60)
        Bounds of the number of zeros that follow the 12-point stroke before it is stretched
        back to ``12 + padding[1]`` points: the stroke covers 12 / (12 + p) of the signal.
    max_translation : int, default=48
        Circular shifts are drawn from ``0 .. max_translation - 1`` points (of the stretched
        signal).
    scale_coeff : float, default=0.4
        The amplitude is multiplied by a factor drawn from ``1 +- scale_coeff / 2``.
    shear_scale : float, default=0.75
        Slope bound of the random linear trend subtracted from the signal.
    corr_noise_scale : float, default=0.25
        Scale of the Gaussian noise, smoothed by a Gaussian filter of width 2, that fills the
        padding.
    iid_noise_scale : float, default=0.02
        Scale of the iid Gaussian noise added everywhere.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with attributes:

        - ``data`` : ndarray of float32, shape (n_samples, 1, length)
        - ``target`` : ndarray of int64, shape (n_samples,), classes 0..9
        - ``target_names`` : ndarray of int, ``0..9``
        - ``templates`` : ndarray of float64, shape (10, 12), the strokes
        - ``DESCR`` : str
    (data, target) : tuple if ``return_X_y`` is True

    References
    ----------
    .. [1] S. Greydanus, "Scaling down deep learning", arXiv:2011.14439 (2020).

    Examples
    --------
    >>> import numpy as np
    >>> from skiwce.datasets import make_mnist1d
    >>> X, y = make_mnist1d(n_samples=1000, random_state=0, return_X_y=True)
    >>> X.shape, X.dtype, y.dtype
    ((1000, 1, 40), dtype('float32'), dtype('int64'))
    >>> np.bincount(y)
    array([100, 100, 100, 100, 100, 100, 100, 100, 100, 100])
    """
    n_samples = _check_int(n_samples, "n_samples", N_CLASSES)
    length = _check_int(length, "length", 2)
    max_translation = _check_int(max_translation, "max_translation", 1)
    if (
        not np.iterable(padding)
        or len(padding) != 2
        or not all(isinstance(p, numbers.Integral) and not isinstance(p, bool) for p in padding)
        or not 0 <= padding[0] <= padding[1]
    ):
        raise ValueError(
            f"padding must be a pair of integers (low, high) with 0 <= low <= high; "
            f"got {padding!r}."
        )
    pad_low, pad_high = int(padding[0]), int(padding[1])
    scale_coeff = _check_scale(scale_coeff, "scale_coeff")
    shear_scale = _check_scale(shear_scale, "shear_scale")
    corr_noise_scale = _check_scale(corr_noise_scale, "corr_noise_scale")
    iid_noise_scale = _check_scale(iid_noise_scale, "iid_noise_scale")

    rng = check_random_state(random_state)
    templates = _templates()
    n_template = _TEMPLATE_LENGTH
    n_wide = n_template + pad_high  # the stretched signal before the final resampling

    y = rng.permutation(np.arange(n_samples) % N_CLASSES).astype(np.int64)
    pad = rng.randint(pad_low, pad_high + 1, size=n_samples)
    scale = 1.0 + scale_coeff * (rng.uniform(size=n_samples) - 0.5)
    shift = rng.randint(0, max_translation, size=n_samples)
    shear = shear_scale * (rng.uniform(size=n_samples) - 0.5)
    corr_noise = rng.normal(scale=corr_noise_scale, size=(n_samples, n_wide))
    iid_noise = rng.normal(scale=iid_noise_scale, size=(n_samples, n_wide))

    # Pad with zeros and stretch back to n_wide points: point j reads the padded stroke at
    # position j * (n_template + pad - 1) / (n_wide - 1), linearly interpolated.
    padded = np.zeros((N_CLASSES, n_wide + 1))
    padded[:, :n_template] = templates
    source = np.arange(n_wide)[None, :] * ((n_template + pad - 1) / (n_wide - 1))[:, None]
    left = np.floor(source).astype(np.int64)
    frac = source - left
    rows = padded[y]
    x = (
        np.take_along_axis(rows, left, axis=1) * (1.0 - frac)
        + np.take_along_axis(rows, left + 1, axis=1) * frac
    )
    in_stroke = source < n_template  # the points the padding has not reached
    x *= scale[:, None]

    # Circular shift by `shift` points to the right.
    index = (np.arange(n_wide)[None, :] - shift[:, None]) % n_wide
    x = np.take_along_axis(x, index, axis=1)
    in_stroke = np.take_along_axis(in_stroke, index, axis=1)

    smooth = gaussian_filter1d(corr_noise, sigma=2.0, axis=1, mode="reflect")
    x = np.where(in_stroke, x, smooth) + iid_noise
    x -= shear[:, None] * np.linspace(-0.5, 0.5, n_wide)[None, :]
    x = _linear_resample(x, length)
    x = (x - x.mean()) / x.std()

    X = x[:, None, :].astype(np.float32)
    if return_X_y:
        return X, y
    return Bunch(
        data=X,
        target=y,
        target_names=np.arange(N_CLASSES),
        templates=templates,
        DESCR=_DESCR,
    )
