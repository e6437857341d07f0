"""The pipeline's first stages, shared by the comparison and the audits: a scenario's data
as given (``load_raw``), as the model sees them (``load_dataset``), its Gram context
(``context_for``) and its training options (``train_options``).
"""
import numpy as np

from core.data import generate
from core.io import load_file
from core.models import build_context, init_weights, output_weights
from core.presets import load_preset
from core.transform import for_scenario, step_scale


def load_raw(scenario):
    """The scenario's data as given: its file, its preset or its generator (unscaled)."""
    if scenario.data_file:
        return load_file(scenario.data_file)
    if scenario.is_preset:
        return load_preset(scenario.data, scenario.classes, scenario.n_samples,
                           scenario.seed, scenario.n_test)
    return generate(scenario.data, scenario.n_samples, scenario.dim, scenario.seed,
                    mu_norm=scenario.mu_norm, n_test=scenario.n_test)


def load_dataset(scenario, raw=None):
    """The Dataset the model sees: ``raw`` (default ``load_raw``) after the scenario's
    preprocessing and lift (core/transform.py, the one place for both).
    """
    raw = load_raw(scenario) if raw is None else raw
    return for_scenario(raw, scenario)


def train_options(scenario, dataset=None):
    """The keyword arguments of ``train`` a scenario fixes on a dataset.

    The learning rate is in units of the data's scale: eta = lr / (median_i ||x_i||)^2. Why:
    a normalized-GD step lr/L * grad L moves each margin by about lr * ||x||^2 (grad L / L
    is a weighted mean of y_i v_j x_i-terms), so lr = 8 is a sensible step for unit-norm
    rows but blows every ReLU past its kink when ||x||^2 ~ 200. Dividing by the median squared
    norm makes training on X and on s X the same run up to the factor s (exactly, for the
    linear model); after any scaling but "as is" the median is 1, so nothing changes there.
    """
    lr = scenario.lr if dataset is None else scenario.lr / step_scale(dataset.X)
    return dict(loss=scenario.loss, optimizer=scenario.optimizer, lr=lr,
                steps=scenario.n_steps)


def context_for(scenario, dataset):
    """GramContext of the scenario's model on the data (W_0 seeded by the scenario)."""
    width = scenario.width if scenario.is_relu else 1
    W0 = init_weights(width, dataset.dim, scenario.init_scale, scenario.seed, scenario.is_relu)
    v = output_weights(width) if scenario.is_relu else np.ones(1)
    return build_context(dataset.X, dataset.y, W0, v, scenario.is_relu,
                         dataset.X_test, dataset.y_test)


def data_shape(scenario, raw=None):
    """(n, d, n_test, generated) of a scenario's data as given (before the lift), for the
    work estimate (core/estimate.py): generated data from the parameters alone; a preset or
    a file (or ``raw``, the data when the caller has them) from the loaded arrays.
    """
    if raw is None and not scenario.data_file and not scenario.is_preset:
        from core.data import TOY_KINDS

        dim = 2 if scenario.data in TOY_KINDS else scenario.dim
        n_test = scenario.n_test if scenario.data == "mixture" else 0
        return scenario.n_samples, dim, n_test, True
    raw = load_raw(scenario) if raw is None else raw
    n_test = 0 if raw.X_test is None else int(raw.X_test.shape[0])
    return int(raw.X.shape[0]), int(raw.X.shape[1]), n_test, False
