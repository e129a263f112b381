"""Data sets: the paper's three (artificial, WISDM, CIFAR-10), long-tail builders, offline data.

- :func:`make_paper_quantiles`: the paper's artificial Gaussian-quantile data (800/400/1000).
- :func:`load_wisdm`: the WISDM v1.1 raw accelerometer file, cut into windows.
- :func:`load_cifar10`: the CIFAR-10 python batches from a local folder.
- :func:`fetch_wisdm` and :func:`fetch_cifar10`: the same two, downloaded on first use into
  scikit-learn's data home, verified and cached.
- :func:`make_long_tailed`: sub-sample classes into an exponential or step long tail.
- :func:`load_digits_images` and :func:`make_mnist1d`: small data that work offline.
- :data:`DATASETS` and :func:`load_dataset`: the named offline data sets of the comparison.
- :func:`load_table`: a table of your own (CSV or Parquet) as numeric features and a target.

Only the two ``fetch_*`` functions use the network, and only when their cache is empty; the
``load_*`` readers take a local path.
"""

from ._artificial import make_paper_quantiles
from ._cifar import load_cifar10
from ._embedded import DATASETS, load_dataset, load_digits_images
from ._fetch import fetch_cifar10, fetch_wisdm
from ._long_tail import make_long_tailed
from ._mnist1d import make_mnist1d
from ._table import load_table
from ._wisdm import load_wisdm

__all__ = [
    "DATASETS",
    "fetch_cifar10",
    "fetch_wisdm",
    "load_cifar10",
    "load_dataset",
    "load_digits_images",
    "load_table",
    "load_wisdm",
    "make_long_tailed",
    "make_mnist1d",
    "make_paper_quantiles",
]
