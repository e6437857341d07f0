"""From a Scenario to every method's metrics (docs/theory.md §3.7), and their tables.

``prepare`` builds data, trains (or solves the exact SVM) and certifies the model on S;
``compare`` runs the methods on one forget set and measures them on the retained set R.
``comparison_to_dict`` is the one schema of the CLI's JSON (docs/cli.md); ``points_frame``
and ``methods_frame`` are the tables the app and the CLI show.
"""
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.data import Dataset, generate, regime_gauge_from_gram
from core.io import load_file
from core.kkt import certify
from core.models import (
    GramContext,
    GramModel,
    build_context,
    cosine,
    init_weights,
    output_weights,
    test_accuracy,
    test_predictions,
)
from core.train import TrainedModel, train
from core.unlearn import (
    check_forget,
    exact_svm,
    ga_step,
    retained_index,
    retrain_without,
    sequential_ga,
)

METHODS = ("ga", "do_nothing", "retrain", "exact")


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


@dataclass(frozen=True, eq=False)
class Comparison:
    """Every method on one forget set."""

    prepared: Prepared
    forget: tuple
    retain: np.ndarray
    scale: float
    sequential: bool
    methods: dict


def load_dataset(scenario):
    """The scenario's Dataset: its file when ``data_file`` is set, else its generator."""
    if scenario.data_file:
        return load_file(scenario.data_file)
    return generate(scenario.data, scenario.n_samples, scenario.dim, scenario.seed,
                    mu_norm=scenario.mu_norm, n_test=scenario.n_test)


def train_options(scenario):
    """The keyword arguments of ``train`` a scenario fixes."""
    return dict(loss=scenario.loss, optimizer=scenario.optimizer, lr=scenario.lr,
                steps=scenario.n_steps)


def context_for(scenario, dataset):
    """GramContext of the scenario's model on the data (W_0 seeded by the scenario)."""
    width = scenario.width if scenario.is_relu else 1
    W0 = init_weights(width, dataset.dim, scenario.init_scale, scenario.seed, scenario.is_relu)
    v = output_weights(width) if scenario.is_relu else np.ones(1)
    return build_context(dataset.X, dataset.y, W0, v, scenario.is_relu,
                         dataset.X_test, dataset.y_test)


def prepare(scenario, progress=None, dataset=None):
    """Data -> GramContext -> trained model (or exact SVM) -> certificate on S.

    Raises InputError for bad parameters or data and when the model does not separate S.
    """
    start = time.perf_counter()
    scenario = scenario.validated()
    dataset = load_dataset(scenario) if dataset is None else dataset
    ctx = context_for(scenario, dataset)
    gauge = regime_gauge_from_gram(ctx.K, dataset.dim)
    trained = None
    if scenario.start == "exact":
        model = exact_svm(ctx)
    else:
        trained = train(ctx, progress=progress, **train_options(scenario))
        model = trained.params
    original = certify(ctx, model, kink_tol=scenario.kink_tol, active_tol=scenario.active_tol)
    return Prepared(scenario=scenario, dataset=dataset, ctx=ctx, gauge=gauge,
                    trained=trained, original=original,
                    seconds=time.perf_counter() - start)


def default_forget(prepared):
    """The support vector with the largest lam: the point whose removal matters most."""
    return (int(np.argmax(prepared.original.lam)),)


def retrain_model(prepared, forget):
    """(retrained model on R, rescaled; seconds) for a forget set."""
    start = time.perf_counter()
    model, _ = retrain_without(prepared.ctx, forget, **train_options(prepared.scenario))
    return model, time.perf_counter() - start


def compare(prepared, forget, scale=1.0, sequential=False, retrained=None, methods=METHODS):
    """Run ``methods`` on forget set F and measure each on R = S minus F.

    Parameters
    ----------
    prepared : Prepared
    forget : sequence of point indices, in removal order
    scale : float, c, the multiplier of the theory step size
    sequential : bool, one GA step a point, re-certifying in between (docs/theory.md §3.6)
    retrained : (model, seconds) from ``retrain_model``, to reuse a cached retrain

    Returns
    -------
    Comparison
    """
    ctx, sc, original = prepared.ctx, prepared.scenario, prepared.original
    forget = check_forget(forget, ctx.y)
    retain = retained_index(ctx.n_samples, forget)
    timed = {}
    if "ga" in methods:
        start = time.perf_counter()
        if sequential:
            model, _ = sequential_ga(ctx, original.model, forget, scale, sc.kink_tol,
                                     sc.active_tol)
        else:
            model = ga_step(ctx, original, forget, scale)
        timed["ga"] = (model, time.perf_counter() - start)
    if "do_nothing" in methods:
        timed["do_nothing"] = (original.model, 0.0)
    timed["retrain"] = retrained if retrained is not None else retrain_model(prepared, forget)
    if "exact" in methods and not ctx.is_relu:
        start = time.perf_counter()
        timed["exact"] = (exact_svm(ctx, retain), time.perf_counter() - start)
    reference_q = original.margins
    retrain_pred = test_predictions(ctx, timed["retrain"][0])
    results = {}
    for name in [m for m in METHODS if m in timed and m in methods]:
        model, seconds = timed[name]
        cert = certify(ctx, model, retain, rescale=False, kink_tol=sc.kink_tol,
                       active_tol=sc.active_tol)
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
            seconds=float(seconds))
    return Comparison(prepared=prepared, forget=forget, retain=retain, scale=float(scale),
                      sequential=bool(sequential), methods=results)


def scale_curve(prepared, forget, scales, retrained=None, progress=None):
    """eps, eps_rel, delta, tau and cosine to retrain of the GA step against c.

    ``progress(done, total)`` is called after each c.
    """
    retrained = retrained if retrained is not None else retrain_model(prepared, forget)
    rows = []
    for done, c in enumerate(scales, 1):
        res = compare(prepared, forget, scale=float(c), retrained=retrained,
                      methods=("ga",)).methods["ga"]
        cert = res.certificate
        rows.append(dict(scale=float(c), eps=cert.eps, eps_rel=cert.eps_rel,
                         delta=cert.delta, tau=cert.tau,
                         cosine_to_retrain=res.cosine_to_retrain))
        if progress is not None:
            progress(done, len(scales))
    return pd.DataFrame(rows)


def training_curves(prepared, max_certificates=12):
    """Per recorded step: log L, min margin, normalized margin, and eps_rel of the model
    certified on S (at up to ``max_certificates`` snapshots; NaN before it separates).
    """
    trained = prepared.trained
    if trained is None:
        return pd.DataFrame(columns=["step", "log_loss", "min_margin", "normalized_margin",
                                     "eps_rel"])
    h, sc = trained.history, prepared.scenario
    eps = np.full(h.steps.shape[0], np.nan)
    if h.snapshots is not None:
        rows = np.unique(np.linspace(0, h.steps.shape[0] - 1, max_certificates).astype(int))
        for r in rows:
            if h.min_margin[r] > 0:
                cert = certify(prepared.ctx, GramModel(1.0, h.snapshots[r]),
                               kink_tol=sc.kink_tol, active_tol=sc.active_tol)
                eps[r] = cert.eps_rel
    return pd.DataFrame({"step": h.steps, "log_loss": h.log_loss, "min_margin": h.min_margin,
                         "normalized_margin": h.normalized_margin, "eps_rel": eps})
