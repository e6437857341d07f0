"""The one preprocessing pipeline of every data set (docs/theory.md §4): scale, then lift.

Every data set the model sees (generated, preset or uploaded) goes through `apply`:

1. ``preprocess`` (a recorded choice of the scenario):

   * ``"unit_median_norm"`` (default): X / median_i ||x_i||, so the typical point has norm 1;
   * ``"as_is"``: unchanged;
   * ``"unit_rows"``: each row x_i / ||x_i||;
   * ``"standardize"``: each column to mean 0, standard deviation 1 (constant columns to
     0), then unit median norm.

   The statistics (median norm, column means and deviations) come from the training rows
   and the test rows get the same map, so a test point is treated as a training point is.
2. the optional random-feature **lift** x -> ReLU(R x) / sqrt(D), R (D, d) with i.i.d.
   N(0, 1) entries drawn from ``default_rng([seed, 2])`` (a stream apart from the data's
   and W_0's). It comes after the scaling, so the lifted features see unit-scale inputs
   (E ||ReLU(R x)||^2 / D = ||x||^2 / 2).

The scale of the result also sets the learning rate's unit: training uses
eta = lr / (median_i ||x_i||)^2 of the final training rows (``step_scale``), see
core.compare.train_options.
"""
import math
from pathlib import Path

import numpy as np

from core.data import MAX_ENTRIES, check_sizes, make_dataset
from core.errors import InputError

PREPROCESS = ("unit_median_norm", "as_is", "unit_rows", "standardize")
PREPROCESS_LABELS = {"unit_median_norm": "rows scaled to unit median norm",
                     "as_is": "as is", "unit_rows": "each row to unit norm",
                     "standardize": "standardize columns, then unit median norm"}
DEFAULT_PREPROCESS = PREPROCESS[0]


def _median_norm(X, where):
    """median_i ||x_i||, refusing data whose typical point is zero."""
    scale = float(np.median(np.sqrt(np.einsum("ij,ij->i", X, X))))
    if not scale > 0:
        raise InputError(f"{where}: more than half of the points are zero vectors, so the data "
                         "cannot be scaled to unit median norm: remove them or use 'as is'.")
    return scale


def preprocess(X, X_test=None, kind=DEFAULT_PREPROCESS, where="the data"):
    """(X', X_test') = the map ``kind`` fitted on X and applied to both (see module doc)."""
    if kind not in PREPROCESS:
        raise InputError(f"preprocess must be one of {', '.join(PREPROCESS)}, not {kind!r}.")
    if kind == "as_is":
        return X, X_test
    if kind == "unit_rows":
        def rows(A):
            norms = np.sqrt(np.einsum("ij,ij->i", A, A))
            if not np.all(norms > 0):
                raise InputError(f"{where} has a zero row (point {int(np.argmin(norms))}), "
                                 "which cannot be scaled to unit norm: remove it.")
            return np.ascontiguousarray(A / norms[:, None])
        return rows(X), None if X_test is None else rows(X_test)
    if kind == "standardize":
        mean, std = X.mean(axis=0), X.std(axis=0)
        std = np.where(std > 0, std, 1.0)        # a constant column becomes 0
        X = (X - mean) / std
        X_test = None if X_test is None else (X_test - mean) / std
    scale = _median_norm(X, where)
    return (np.ascontiguousarray(X / scale),
            None if X_test is None else np.ascontiguousarray(X_test / scale))


def lift_matrix(dim, lift, seed):
    """R (lift, dim), entries N(0, 1) from default_rng([seed, 2])."""
    return np.random.default_rng([seed, 2]).standard_normal((lift, dim))


def lift(X, R):
    """ReLU(X R^T) / sqrt(D): the random-feature map of every row."""
    return np.ascontiguousarray(np.maximum(X @ R.T, 0.0) / math.sqrt(R.shape[0]))


def step_scale(X):
    """(median_i ||x_i||)^2: the learning rate's unit.

    It is 1 after every scaling but "as is", up to rounding; a value within 1e-12 of 1 is
    returned as exactly 1, so that lr is used bit for bit there.
    """
    scale = float(np.median(np.sqrt(np.einsum("ij,ij->i", X, X)))) ** 2
    return 1.0 if abs(scale - 1.0) < 1e-12 else scale


def apply(dataset, kind=DEFAULT_PREPROCESS, lift_dim=0, seed=0):
    """The dataset after ``preprocess(kind)`` then, if lift_dim > 0, the lift to lift_dim.

    Labels and label names are unchanged; the name records what was done.
    """
    X, X_test = preprocess(dataset.X, dataset.X_test, kind, where=dataset.name or "the data")
    name = dataset.name
    if lift_dim:
        check_sizes(dataset.n_samples, lift_dim,
                    0 if X_test is None else X_test.shape[0])
        if lift_dim * dataset.dim > MAX_ENTRIES:
            raise InputError(f"lift D={lift_dim} times d={dataset.dim} is too large for the "
                             "random matrix: use a smaller D.")
        R = lift_matrix(dataset.dim, lift_dim, seed)
        X, X_test = lift(X, R), None if X_test is None else lift(X_test, R)
        name = f"{name} lifted to D={lift_dim}"
    return make_dataset(X, dataset.y, X_test, dataset.y_test, name=name,
                        label_names=dataset.label_names)


def data_record(scenario, dataset):
    """What the data are, for the JSON ``data`` object, the CLI text and the Data page:
    dataset (file name, preset or generator), classes, the label mapping
    {"-1": original label, "+1": original label}, preprocess and lift.
    """
    source = Path(scenario.data_file).name if scenario.data_file else scenario.data
    low, high = dataset.label_names
    return dict(dataset=source,
                classes=None if not scenario.is_preset else list(_classes(scenario)),
                labels={"-1": low, "+1": high}, preprocess=scenario.preprocess,
                lift=int(scenario.lift))


def _classes(scenario):
    from core.presets import preset_classes  # core.presets needs core.data only, not this
    return preset_classes(scenario.data, scenario.classes)


def describe_labels(record):
    """'-1 = 3, +1 = 8': the label mapping of a data_record in words."""
    return f"-1 = {record['labels']['-1']}, +1 = {record['labels']['+1']}"
