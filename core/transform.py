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
   What was applied is kept as a ``Scaling`` on the dataset (the JSON's units).
2. the optional random-feature **lift** to D features (core/lift.py): ReLU features or
   random Fourier features with bandwidth sigma = B * median distance. It comes after the
   scaling, so the lifted features see unit-scale inputs.

The scale of the result also sets the learning rate's unit: training uses
eta = lr / (median_i ||x_i||)^2 of the final training rows (``step_scale``), see
core.compare.train_options.
"""
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from core.data import MAX_ENTRIES, check_sizes, make_dataset
from core.errors import InputError
from core.lift import DEFAULT_BANDWIDTH, DEFAULT_LIFT_KIND, lift_rows

PREPROCESS = ("unit_median_norm", "as_is", "unit_rows", "standardize")
PREPROCESS_LABELS = {"unit_median_norm": "rows scaled to unit median norm",
                     "as_is": "as is", "unit_rows": "each row to unit norm",
                     "standardize": "standardize columns, then unit median norm"}
DEFAULT_PREPROCESS = PREPROCESS[0]
MAX_NORM_RATIO = 1e50     # longest / shortest nonzero row after preprocessing
TINY = float(np.finfo(np.float64).tiny)     # below this a float64 loses precision


@dataclass(frozen=True)
class Scaling:
    """What preprocessing and the lift did: x_model = lift(((x - mean) / std) / scale).

    ``scale`` is the factor every row was divided by (None for unit rows, where each row
    has its own); ``centred`` and ``standardized`` say whether column means were subtracted
    and columns divided by their deviations; ``sigma`` is the Fourier bandwidth in the
    scaled data's units (None without a Fourier lift).
    """

    preprocess: str = DEFAULT_PREPROCESS
    scale: float | None = 1.0
    centred: bool = False
    standardized: bool = False
    lift: int = 0
    lift_kind: str | None = None
    bandwidth: float | None = None
    sigma: float | None = None


def row_norms(X):
    """||x_i|| of every row, without overflow: max_k |x_ik| * ||x_i / max_k |x_ik|||."""
    top = np.max(np.abs(X), axis=1) if X.shape[1] else np.zeros(X.shape[0])
    safe = np.where(top > 0, top, 1.0)
    scaled = X / safe[:, None]
    return top * np.sqrt(np.einsum("ij,ij->i", scaled, scaled))


def _median_norm(X, where):
    """median_i ||x_i||, refusing data whose typical point is zero or overflows."""
    scale = float(np.median(row_norms(X)))
    if not scale > 0:
        raise InputError(f"{where}: more than half of the points are zero vectors, so the data "
                         "have no scale (median norm 0): remove them.")
    if scale < TINY:
        raise InputError(f"{where}: the typical point's norm {scale:.3g} is below float64's "
                         "normal range, too small to scale by: rescale the values.")
    if not np.isfinite(scale):
        raise InputError(f"{where}: the typical point's norm overflows float64 (median norm "
                         "inf): rescale the values.")
    return scale


def _check_usable(X, raw, where):
    """Refuse scaled rows the model's arithmetic cannot hold: squared norms that overflow
    (the Gram matrix would be inf) or nonzero norms more than MAX_NORM_RATIO apart (the
    certificate rescales to the shortest point's margin and squares the result).
    """
    sq = np.einsum("ij,ij->i", X, X) if np.all(np.isfinite(X)) else np.array([np.inf])
    i, j = np.unravel_index(int(np.argmax(np.abs(raw))), raw.shape)
    largest = f"row {i}, column {j} holds {raw[i, j]:.3g}"
    if not np.all(np.isfinite(sq)):
        raise InputError(f"{where}: the values are too large for the model's arithmetic after "
                         f"preprocessing ({largest}; squared norms overflow float64): rescale "
                         "the data.")
    norms = row_norms(X)
    nonzero = np.flatnonzero(norms > 0)
    if nonzero.size and norms[nonzero].max() > MAX_NORM_RATIO * norms[nonzero].min():
        short = int(nonzero[np.argmin(norms[nonzero])])
        raise InputError(f"{where}: after preprocessing, point {short} is "
                         f"{norms[nonzero].max() / norms[short]:.2g} times shorter than the "
                         f"longest point ({largest}); norms more than {MAX_NORM_RATIO:.0e} "
                         "apart overflow the certificate's arithmetic: rescale or remove the "
                         "extreme values.")


def _check_test(X_test, scale, where):
    """Refuse test rows that the training rows' scale sends out of float64's range."""
    with np.errstate(over="ignore", invalid="ignore"):
        sq = np.einsum("ij,ij->i", X_test, X_test)
    bad = np.flatnonzero(~np.isfinite(sq))
    if bad.size:
        raise InputError(f"{where}: test point {int(bad[0])} overflows float64 once divided by "
                         f"the training rows' median norm {scale:.3g}: the test set's values "
                         "are far larger than the training set's; rescale the data.")


def preprocess(X, X_test=None, kind=DEFAULT_PREPROCESS, where="the data"):
    """(X', X_test') = the map ``kind`` fitted on X and applied to both (see module doc)."""
    return preprocess_with_record(X, X_test, kind, where)[:2]


def preprocess_with_record(X, X_test=None, kind=DEFAULT_PREPROCESS, where="the data"):
    """(X', X_test', Scaling): ``preprocess`` and what it applied."""
    if kind not in PREPROCESS:
        raise InputError(f"preprocess must be one of {', '.join(PREPROCESS)}, not {kind!r}.")
    raw = X
    if kind == "as_is":             # a fresh array: the caller's may be read-only, and the
        X = np.array(X, dtype=np.float64, order="C")       # kernels compile for writeable
        _check_usable(X, raw, where)
        return (X, None if X_test is None else np.array(X_test, dtype=np.float64, order="C"),
                Scaling(kind))
    if kind == "unit_rows":
        def rows(A):
            norms = row_norms(A)
            if not np.all(norms > 0):
                raise InputError(f"{where} has a zero row (point {int(np.argmin(norms))}), "
                                 "which cannot be scaled to unit norm: remove it.")
            return np.ascontiguousarray(A / norms[:, None])
        X = rows(X)
        _check_usable(X, raw, where)
        return X, None if X_test is None else rows(X_test), Scaling(kind, scale=None)
    standardized = kind == "standardize"
    if standardized:
        with np.errstate(over="ignore", invalid="ignore"):
            mean, std = X.mean(axis=0), X.std(axis=0)
        bad = np.flatnonzero(~(np.isfinite(mean) & np.isfinite(std)))
        if bad.size:
            j = int(bad[0])
            raise InputError(f"{where}: column {j} cannot be standardized (its mean or "
                             "deviation overflows float64; it holds "
                             f"{X[np.argmax(np.abs(X[:, j])), j]:.3g}): rescale the data.")
        with np.errstate(over="ignore", invalid="ignore"):
            std = np.where(std > 0, std, 1.0)        # a constant column becomes 0
            X = (X - mean) / std
            X_test = None if X_test is None else (X_test - mean) / std
        _check_usable(X, raw, where)
    scale = _median_norm(X, where)
    X = np.ascontiguousarray(X / scale)
    _check_usable(X, raw, where)
    if X_test is not None:
        with np.errstate(over="ignore"):
            X_test = np.ascontiguousarray(X_test / scale)
        _check_test(X_test, scale, where)
    return X, X_test, Scaling(kind, scale=scale, centred=standardized, standardized=standardized)


def step_scale(X):
    """(median_i ||x_i||)^2: the learning rate's unit.

    It is 1 after every scaling but "as is", up to rounding; a value within 1e-12 of 1 is
    returned as exactly 1, so that lr is used bit for bit there. Data whose median norm is
    0 or overflows are refused (InputError), never divided by.
    """
    median = _median_norm(X, "the data")
    scale = median * median
    if not (TINY <= scale < np.inf):
        raise InputError(f"The rows' median norm {median:.3g} squared, the learning rate's "
                         "unit, is outside float64's normal range: rescale the data (or "
                         "scale it to unit median norm).")
    return 1.0 if abs(scale - 1.0) < 1e-12 else scale


def apply(dataset, kind=DEFAULT_PREPROCESS, lift_dim=0, seed=0, lift_kind=DEFAULT_LIFT_KIND,
          bandwidth=DEFAULT_BANDWIDTH):
    """The dataset after ``preprocess(kind)`` then, if lift_dim > 0, the lift to lift_dim
    features of kind ``lift_kind`` (core/lift.py; ``bandwidth`` B for the Fourier lift).

    Labels and label names are unchanged; the name records what was done and the dataset's
    ``scaling`` what was applied (a ``Scaling``).
    """
    where = dataset.name or "the data"
    X, X_test, scaling = preprocess_with_record(dataset.X, dataset.X_test, kind, where)
    name = dataset.name
    if lift_dim:
        check_sizes(dataset.n_samples, lift_dim,
                    0 if X_test is None else X_test.shape[0])
        if lift_dim * dataset.dim > MAX_ENTRIES:
            raise InputError(f"lift D={lift_dim} times d={dataset.dim} is too large for the "
                             "random matrix: use a smaller D.")
        X, X_test, sigma = lift_rows(X, X_test, lift_dim, lift_kind, bandwidth, seed, where)
        fourier = lift_kind == "fourier"
        scaling = Scaling(**{**asdict(scaling), "lift": int(lift_dim), "lift_kind": lift_kind,
                             "bandwidth": float(bandwidth) if fourier else None,
                             "sigma": sigma})
        name = f"{name} lifted to D={lift_dim}" + (f" (Fourier, B={bandwidth:g})"
                                                   if fourier else "")
    return make_dataset(X, dataset.y, X_test, dataset.y_test, name=name,
                        label_names=dataset.label_names, scaling=scaling)


def for_scenario(raw, scenario):
    """``apply`` with the scenario's preprocessing and lift."""
    return apply(raw, scenario.preprocess, scenario.lift, scenario.seed, scenario.lift_kind,
                 scenario.bandwidth)


def data_record(scenario, dataset):
    """What the data are, for the JSON ``data`` object, the CLI text and the Data page:
    dataset (file name, preset or generator), classes, the label mapping
    {"-1": original label, "+1": original label}, preprocess, the units (``scale``: what
    each row was divided by, None for unit rows; ``centred``: column means subtracted) and
    the lift (D, kind and bandwidth B as the scenario has them; sigma = B * median distance
    of the Fourier lift applied, None without one).
    """
    source = Path(scenario.data_file).name if scenario.data_file else scenario.data
    low, high = dataset.label_names
    scaling = dataset.scaling or Scaling(scenario.preprocess)
    return dict(dataset=source,
                classes=None if not scenario.is_preset else list(_classes(scenario)),
                labels={"-1": low, "+1": high}, preprocess=scenario.preprocess,
                scale=scaling.scale, centred=scaling.centred,
                standardized=scaling.standardized, lift=int(scenario.lift),
                lift_kind=scenario.lift_kind, bandwidth=float(scenario.bandwidth),
                sigma=scaling.sigma)


def _classes(scenario):
    from core.presets import preset_classes  # core.presets needs core.data only, not this
    return preset_classes(scenario.data, scenario.classes)


def describe_labels(record):
    """'-1 = 3, +1 = 8': the label mapping of a data_record in words."""
    return f"-1 = {record['labels']['-1']}, +1 = {record['labels']['+1']}"


def describe_lift(record):
    """'Fourier lift to D = 4000 (B = 0.1, sigma = 0.136)' or 'ReLU lift to D = 2000'."""
    if not record["lift"]:
        return "no lift"
    if record["lift_kind"] == "fourier":
        return (f"Fourier lift to D = {record['lift']} (B = {record['bandwidth']:g}, "
                f"sigma = {record['sigma']:.3g})")
    return f"ReLU lift to D = {record['lift']}"


def describe_units(record):
    """The units in words: 'rows divided by 48.7 (after centring and dividing each column
    by its deviation)', for the Data page and the CLI text.
    """
    if record["scale"] is None:
        return "each row divided by its own norm"
    if record["preprocess"] == "as_is":
        return "values as given (no scaling)"
    before = (" after subtracting each column's mean and dividing it by its deviation"
              if record["standardized"] else "")
    return f"rows divided by {record['scale']:.4g}{before}"
