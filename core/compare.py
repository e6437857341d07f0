"""From a Scenario to every method's metrics (docs/theory.md §3.7), and their tables.

``prepare`` builds data, trains (or solves the exact SVM) and certifies the model on S;
``compare`` runs the methods on one forget set and measures them on the retained set R.
``comparison_to_dict`` is the one schema of the CLI's JSON (docs/cli.md); ``points_frame``
and ``methods_frame`` are the tables the app and the CLI show.
"""
import time
from dataclasses import dataclass, field

import numpy as np

from core.data import Dataset, generate, regime_gauge_from_gram
from core.diagnose import not_separating_message
from core.errors import InputError
from core.io import load_file
from core.kkt import certify, holding
from core.methods import BASELINES, run_baseline
from core.models import (
    GramContext,
    GramModel,
    build_context,
    cosine,
    init_weights,
    margins,
    output_weights,
    test_accuracy,
    test_predictions,
)
from core.presets import load_preset
from core.train import TrainedModel, train
from core.transform import apply as transform_data
from core.transform import step_scale
from core.unlearn import (
    check_forget,
    exact_svm,
    ga_step,
    retained_index,
    retrain_without,
    sequential_ga,
)

# every method, in display order; DEFAULT_METHODS is what runs unless asked (docs/theory.md §3.7)
METHODS = ("ga", "ga_steps", "neggrad_plus", "finetune", "random_label", "newton",
           "do_nothing", "retrain", "exact")
DEFAULT_METHODS = ("ga", "do_nothing", "retrain", "exact")


@dataclass(frozen=True, eq=False)
class Prepared:
    """A scenario's data, trained model and its certificate on all of S."""

    scenario: object
    dataset: Dataset
    ctx: GramContext
    gauge: object
    trained: TrainedModel | None    # None when the start is the exact SVM
    original: object                # Certificate on S (model rescaled to min margin 1)
    seconds: float                  # data + training + certificate


@dataclass(frozen=True, eq=False)
class MethodResult:
    """One method's model and its metrics on the retained set."""

    name: str
    model: object
    certificate: object
    cosine_to_retrain: float
    cosine_to_exact: float | None
    forget_margins: np.ndarray
    max_retained_margin_change: float
    test_accuracy: float | None
    test_agreement: float | None      # fraction of test points predicted as retrain does
    seconds: float
    grad_evals: int | None = None     # per-sample gradient evaluations (None: not GD-based)
    params: dict = field(default_factory=dict)    # the method's hyperparameters


@dataclass(frozen=True, eq=False)
class Comparison:
    """Every method on one forget set."""

    prepared: Prepared
    forget: tuple
    retain: np.ndarray
    scale: float
    sequential: bool
    methods: dict


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
    return transform_data(raw, scenario.preprocess, scenario.lift, scenario.seed)


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


def prepare(scenario, progress=None, dataset=None):
    """Data -> preprocessing -> GramContext -> trained model (or exact SVM) -> certificate.

    ``dataset``: the raw data when the caller loaded them (an upload), else ``load_raw``.
    ``progress(done, total)``: training steps, then (steps, steps) between chunks of the
    certificate; it may raise core.errors.Cancelled to stop.

    Raises InputError for bad parameters or data and when the model does not separate S.
    """
    start = time.perf_counter()
    scenario = scenario.validated()
    dataset = load_dataset(scenario, dataset)
    ctx = context_for(scenario, dataset)
    gauge = regime_gauge_from_gram(ctx.K, dataset.dim)
    trained = None
    if scenario.start == "exact":
        model = exact_svm(ctx)
    else:
        trained = train(ctx, progress=progress, **train_options(scenario, dataset))
        model = trained.params
        if not np.all(margins(ctx, model) > 0):
            raise InputError(not_separating_message(ctx, model, trained.history))
    original = certify(ctx, model, kink_tol=scenario.kink_tol, active_tol=scenario.active_tol,
                       progress=holding(progress, scenario.n_steps, scenario.n_steps))
    return Prepared(scenario=scenario, dataset=dataset, ctx=ctx, gauge=gauge,
                    trained=trained, original=original,
                    seconds=time.perf_counter() - start)


def default_forget(prepared):
    """The support vector with the largest lam: the point whose removal matters most."""
    return (int(np.argmax(prepared.original.lam)),)


def retrain_model(prepared, forget, progress=None):
    """(retrained model on R, rescaled; seconds) for a forget set.

    ``progress`` is passed to ``core.train.train`` (it may raise core.errors.Cancelled).
    """
    start = time.perf_counter()
    model, _ = retrain_without(prepared.ctx, forget, progress=progress,
                               **train_options(prepared.scenario, prepared.dataset))
    return model, time.perf_counter() - start


def check_methods(methods, method_params=None):
    """``methods`` as a tuple of known names; ``method_params`` as a dict of dicts.

    Raises InputError for an unknown name, or parameters for a method that is not run.
    """
    if isinstance(methods, str) or not all(isinstance(m, str) for m in methods):
        raise InputError("methods must be a tuple of names, e.g. ('ga', 'retrain').")
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise InputError(f"Unknown method {unknown[0]!r}: choose from {', '.join(METHODS)}.")
    method_params = dict(method_params or {})
    extra = [m for m in method_params if m not in methods]
    if extra:
        raise InputError(f"Hyperparameters given for {extra[0]!r}, which is not run: add it "
                         "to the methods or drop its parameters.")
    fixed = [m for m in method_params if m not in BASELINES]
    if fixed:
        raise InputError(f"{fixed[0]} takes no hyperparameters here (ga's c is scale): "
                         f"method_params is for {', '.join(BASELINES)}.")
    return tuple(methods), method_params


def run_methods(prepared, forget, retain, scale, sequential, retrained, methods, method_params):
    """name -> (model, seconds, grad_evals, params) for ``methods`` (retrain always)."""
    ctx, sc, original = prepared.ctx, prepared.scenario, prepared.original
    runs, n_forget = {}, len(forget)
    lr = train_options(sc, prepared.dataset)["lr"]     # in the data's units, as training
    if "ga" in methods:
        start = time.perf_counter()
        if sequential:    # a certificate on each intermediate R (the first on S is shared)
            model, _ = sequential_ga(ctx, original.model, forget, scale, sc.kink_tol,
                                     sc.active_tol)
            evals = n_forget + sum(ctx.n_samples - t for t in range(1, n_forget))
        else:
            model, evals = ga_step(ctx, original, forget, scale), n_forget
        runs["ga"] = (model, time.perf_counter() - start, evals,
                      dict(scale=float(scale), sequential=bool(sequential)))
    for name in [m for m in METHODS if m in BASELINES and m in methods]:
        start = time.perf_counter()
        out = run_baseline(name, ctx, original, forget, loss=sc.loss, optimizer=sc.optimizer,
                           lr=lr, params=method_params.get(name))
        runs[name] = (out.model, time.perf_counter() - start, out.grad_evals, out.params)
    if "do_nothing" in methods:
        runs["do_nothing"] = (original.model, 0.0, 0, {})
    model, seconds = retrained if retrained is not None else retrain_model(prepared, forget)
    runs["retrain"] = (model, seconds, sc.n_steps * len(retain),
                       dict(steps=sc.n_steps, lr=float(lr), optimizer=sc.optimizer))
    if "exact" in methods and not ctx.is_relu:     # a dual solver: no gradient count
        start = time.perf_counter()
        runs["exact"] = (exact_svm(ctx, retain), time.perf_counter() - start, None, {})
    return runs


def compare(prepared, forget, scale=1.0, sequential=False, retrained=None,
            methods=DEFAULT_METHODS, method_params=None, progress=None):
    """Run ``methods`` on forget set F and measure each on R = S minus F.

    Parameters
    ----------
    prepared : Prepared
    forget : sequence of point indices, in removal order
    scale : float, c, the multiplier of the theory step size
    sequential : bool, one GA step a point, re-certifying in between (docs/theory.md §3.6)
    retrained : (model, seconds) from ``retrain_model``, to reuse a cached retrain
    methods : tuple of names from METHODS (default DEFAULT_METHODS)
    method_params : dict name -> dict of hyperparameters (core.methods.HYPERPARAMETERS)
    progress : callable(done, total) or None, called after each method's certificate and
        between chunks of it (it may raise core.errors.Cancelled to stop)

    Returns
    -------
    Comparison
    """
    ctx, sc, original = prepared.ctx, prepared.scenario, prepared.original
    methods, method_params = check_methods(methods, method_params)
    forget = check_forget(forget, ctx.y)
    retain = retained_index(ctx.n_samples, forget)
    timed = run_methods(prepared, forget, retain, scale, sequential, retrained, methods,
                        method_params)
    reference_q = original.margins
    retrain_pred = test_predictions(ctx, timed["retrain"][0])
    results = {}
    names = [m for m in METHODS if m in timed and m in methods]
    for name in names:
        model, seconds, grad_evals, params = timed[name]
        cert = certify(ctx, model, retain, rescale=False, kink_tol=sc.kink_tol,
                       active_tol=sc.active_tol,
                       progress=holding(progress, len(results), len(names)))
        pred = test_predictions(ctx, model)
        results[name] = MethodResult(
            name=name, model=model, certificate=cert,
            cosine_to_retrain=cosine(ctx, model, timed["retrain"][0]),
            cosine_to_exact=cosine(ctx, model, timed["exact"][0]) if "exact" in timed else None,
            forget_margins=cert.margins[list(forget)],
            max_retained_margin_change=float(np.max(np.abs(cert.margins[retain]
                                                           - reference_q[retain]))),
            test_accuracy=test_accuracy(ctx, model),
            test_agreement=None if pred is None else float(np.mean(pred == retrain_pred)),
            seconds=float(seconds), grad_evals=grad_evals, params=params)
        if progress is not None:
            progress(len(results), len(names))
    return Comparison(prepared=prepared, forget=forget, retain=retain, scale=float(scale),
                      sequential=bool(sequential), methods=results)


def scale_curve(prepared, forget, scales, retrained=None, progress=None):
    """eps, eps_rel, delta, tau and cosine to retrain of the GA step against c.

    ``progress(done, total)`` is called after each c (and between chunks of its
    certificate; it may raise core.errors.Cancelled to stop).
    """
    retrained = retrained if retrained is not None else retrain_model(prepared, forget)
    rows = []
    for done, c in enumerate(scales, 1):
        res = compare(prepared, forget, scale=float(c), retrained=retrained, methods=("ga",),
                      progress=holding(progress, done - 1, len(scales))).methods["ga"]
        cert = res.certificate
        rows.append(dict(scale=float(c), eps=cert.eps, eps_rel=cert.eps_rel,
                         delta=cert.delta, tau=cert.tau,
                         cosine_to_retrain=res.cosine_to_retrain))
        if progress is not None:
            progress(done, len(scales))
    import pandas as pd  # tables only here: the CLI's unlearn path never loads pandas

    return pd.DataFrame(rows)


def training_curves(prepared, max_certificates=12, progress=None):
    """Per recorded step: log L, min margin, normalized margin, and eps_rel of the model
    certified on S (at up to ``max_certificates`` snapshots; NaN before it separates).

    ``progress(done, total)`` is called after each snapshot and between chunks of its
    certificate (it may raise core.errors.Cancelled to stop).
    """
    import pandas as pd

    trained = prepared.trained
    if trained is None:
        return pd.DataFrame(columns=["step", "log_loss", "min_margin", "normalized_margin",
                                     "eps_rel"])
    h, sc = trained.history, prepared.scenario
    eps = np.full(h.steps.shape[0], np.nan)
    if h.snapshots is not None:
        rows = np.unique(np.linspace(0, h.steps.shape[0] - 1, max_certificates).astype(int))
        for done, r in enumerate(rows, 1):
            if h.min_margin[r] > 0:
                cert = certify(prepared.ctx, GramModel(1.0, h.snapshots[r]),
                               kink_tol=sc.kink_tol, active_tol=sc.active_tol,
                               progress=holding(progress, done - 1, len(rows)))
                eps[r] = cert.eps_rel
            if progress is not None:
                progress(done, len(rows))
    return pd.DataFrame({"step": h.steps, "log_loss": h.log_loss, "min_margin": h.min_margin,
                         "normalized_margin": h.normalized_margin, "eps_rel": eps})
