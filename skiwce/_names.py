"""Names of the methods, networks and optimizers, importable without torch or scikit-learn.

The command line builds its parser from these, so that ``skiwce --help`` starts at once; the
modules that implement them (:mod:`skiwce.comparison`, :mod:`skiwce.models`,
:class:`skiwce.IWCEClassifier`) take their names from here, so there is one list of each.
"""

#: The methods :func:`skiwce.comparison.make_method` builds, by name, with a description.
METHODS = {
    "iwce": "IWCE: cross entropy moving to balanced class weights (exponential schedule)",
    "ce": "Cross entropy, no class weights",
    "wce": "Weighted cross entropy with static balanced weights",
    "drw": "Deferred re-weighting: balanced weights from 80 % of the epochs (Cao et al., 2019)",
    "focal": "Focal loss, gamma = 2, no class weights (Lin et al., 2017)",
    "cb_focal": "Class-balanced focal loss: static effective-number weights (Cui et al., 2019)",
    "ldam_drw": "LDAM loss with deferred effective-number re-weighting (Cao et al., 2019)",
    "la_loss": "Logit-adjusted cross entropy, tau = 1 (Menon et al., 2021)",
    "la_posthoc": "Cross entropy with post-hoc logit adjustment, tau = 1 (Menon et al., 2021)",
    "smote": "SMOTE (k = 5), then the cross-entropy network",
    "ros": "Random over-sampling, then the cross-entropy network",
    "rus": "Random under-sampling, then the cross-entropy network",
    "adaboost_dt": "AdaBoost (SAMME) over depth-2 decision trees, 300 stages",
    "adaboost_net": "AdaBoost (SAMME) over the cross-entropy network, warm-started stages",
    "brf": "Balanced random forest, 100 trees (imbalanced-learn)",
}

#: The name tables, plots and reports show for each method of ``METHODS``; the short
#: codes stay the keys of the API (``make_method("la_loss")``, the ``method`` column).
METHOD_NAMES = {
    "iwce": "IWCE",
    "ce": "CE",
    "wce": "WCE",
    "drw": "DRW",
    "focal": "Focal loss",
    "cb_focal": "Class-balanced focal loss",
    "ldam_drw": "LDAM-DRW",
    "la_loss": "Logit-adjusted loss",
    "la_posthoc": "Post-hoc logit adjustment",
    "smote": "SMOTE + net",
    "ros": "Random over-sampling + net",
    "rus": "Random under-sampling + net",
    "adaboost_dt": "AdaBoost (trees)",
    "adaboost_net": "AdaBoost (net)",
    "brf": "Balanced random forest",
}

#: Optimizers :class:`skiwce.IWCEClassifier` accepts by name.
OPTIMIZER_NAMES = ("adam", "adamw", "sgd", "adagrad", "rmsprop", "lbfgs")

#: Networks :class:`skiwce.IWCEClassifier` accepts by name (``module=``).
MODULE_NAMES = ("mlp", "cnn1d", "har", "resnet18", "minirocket")

#: The offline data sets :func:`skiwce.datasets.load_dataset` knows, by name, with a description.
DATASETS = {
    "paper_quantiles": (
        "The paper's artificial 3-class Gaussian quantiles: 800/400/1000 training rows of 10 "
        "features and a balanced 10 000-row test set."
    ),
    "digits": "scikit-learn's 8x8 digits as (n, 1, 8, 8) images in [0, 1]: 1797 rows, 10 classes.",
    "digits_lt": (
        "Digits with a long-tailed training part (exponential, ratio 10, about 130..13 rows per "
        "class) and a balanced test part of 50 images per class."
    ),
    "mnist1d": "Procedural MNIST-1D, (n, 1, 40) signals: 4000 rows, 10 balanced classes.",
    "mnist1d_lt": (
        "MNIST-1D with a long-tailed training part (exponential, ratio 20, 600..30 rows per "
        "class) and a balanced test part of 200 signals per class."
    ),
}

#: The data sets :func:`skiwce.datasets.load_dataset` downloads on first use, by name, with a
#: description (:func:`skiwce.datasets.fetch_wisdm`, :func:`skiwce.datasets.fetch_cifar10`).
FETCHED_DATASETS = {
    "wisdm": (
        "WISDM v1.1 accelerometer windows, (n, 3, 80) with hop 40, 6 activities; users 1-28 "
        "train, users 29-36 test, as in the paper. Downloaded on first use."
    ),
    "cifar10_lt": (
        "CIFAR-10 as (n, 3, 32, 32) images in [0, 1]; classes 5-9 of the training part cut to "
        "5 % (250 images each, the paper's set-up), the 10 000 test images. Downloaded on "
        "first use (163 MiB)."
    ),
}
