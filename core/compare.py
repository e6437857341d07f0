"""From a Scenario to every method's metrics (docs/theory.md §3.7), and their tables.

``prepare`` builds data, trains (or solves the exact SVM) and certifies the model on S;
``compare`` runs the methods on one forget set and measures them on the retained set R.
``comparison_to_dict`` is the one schema of the CLI's JSON (docs/cli.md); ``points_frame``
and ``methods_frame`` are the tables the app and the CLI show.
"""
import time
from dataclasses import dataclass, field

import numpy as np

from core import estimate
from core.data import Dataset, regime_gauge_from_gram
from core.diagnose import not_separating_message, remedies
from core.distances import evaluation_set, to_reference
from core.errors import InputError
from core.kkt import certify, holding
from core.models import GramContext, GramModel, cosine, margins
from core.pipeline import context_for, data_shape, load_dataset, load_raw, train_options
from core.registry import Task, get, reference_name, resolve
from core.train import TrainedModel, train
from core.unlearn import check_forget, exact_svm, retained_index, retrain_without

__all__ = ["Comparison", "MethodResult", "Prepared", "compare", "context_for",
           "default_forget", "load_dataset", "load_raw", "prepare", "retrain_model",
           "run_method", "scale_curve", "task_for", "train_options", "training_curves"]


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
    # distances to the reference retrain (core/distances.py): max_R |q_i - q_ref_i|, and on
    # the evaluation set (None without one) the sign disagreement and mean KL of sigma(N)
    margin_distance_to_retrain: float | None = None
    test_disagreement: float | None = None
    kl_to_retrain: float | None = None


@dataclass(frozen=True, eq=False)
class Comparison:
    """Every method on one forget set."""

    prepared: Prepared
    forget: tuple
    retain: np.ndarray
    scale: float
    sequential: bool
    methods: dict
    output_set: str = "none"          # what the output distances were measured on
    n_outputs: int = 0                # its number of points


def prepare(scenario, progress=None, dataset=None):
    """Data -> preprocessing -> GramContext -> trained model (or exact SVM) -> certificate.

    ``dataset``: the raw data when the caller loaded them (an upload), else ``load_raw``.
    ``progress(done, total)``: training steps, then (steps, steps) between chunks of the
    certificate; it may raise core.errors.Cancelled to stop.

    Raises InputError for bad parameters or data and when the model does not separate S.
    """
    start = time.perf_counter()
    scenario = scenario.validated()
    raw = load_raw(scenario) if dataset is None else dataset
    dataset = load_dataset(scenario, raw)
    ctx = context_for(scenario, dataset)
    gauge = regime_gauge_from_gram(ctx.K, dataset.dim)
    trained = None
    if scenario.start == "exact":
        model = exact_svm(ctx)
    else:
        trained = train(ctx, progress=progress, **train_options(scenario, dataset))
        model = trained.params
        if not np.all(margins(ctx, model) > 0):
            remedy = remedies(scenario, lambda sc: trained_min_margin(sc, raw),
                              lambda sc: train_seconds(sc, raw))
            raise InputError(not_separating_message(ctx, model, trained.history, remedy))
    original = certify(ctx, model, kink_tol=scenario.kink_tol, active_tol=scenario.active_tol,
                       progress=holding(progress, scenario.n_steps, scenario.n_steps))
    return Prepared(scenario=scenario, dataset=dataset, ctx=ctx, gauge=gauge,
                    trained=trained, original=original,
                    seconds=time.perf_counter() - start)


def trained_min_margin(scenario, raw):
    """min_i q_i after training ``scenario`` on the raw data (None if they cannot be built):
    the measurement behind ``core.diagnose.remedies``.
    """
    try:
        dataset = load_dataset(scenario, raw)
        ctx = context_for(scenario, dataset)
        model = train(ctx, **train_options(scenario, dataset)).params
    except InputError:
        return None
    return float(np.min(margins(ctx, model)))


def train_seconds(scenario, raw):
    """Estimated seconds of building and training ``scenario`` on the raw data, without a
    certificate (core/estimate.py).
    """
    n, d_raw, n_test, generated = data_shape(scenario, raw)
    d, m = scenario.lift or d_raw, scenario.width if scenario.is_relu else 1
    return (estimate.data_cost(n, d_raw, n_test, scenario.lift, generated)
            + estimate.model_cost(n, d, m, n_test, scenario.is_relu)
            + estimate.training_cost(n, d, m, scenario.n_steps, scenario.is_relu)).seconds


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


def task_for(prepared, forget, scale=1.0, sequential=False, retrained=None):
    """The ``core.registry.Task`` every method of one comparison runs on."""
    sc, forget = prepared.scenario, tuple(forget)
    options = train_options(sc, prepared.dataset)     # lr in the data's units, as training
    return Task(ctx=prepared.ctx, original=prepared.original, forget=forget,
                retain=retained_index(prepared.ctx.n_samples, forget), loss=sc.loss,
                optimizer=sc.optimizer, lr=options["lr"], steps=sc.n_steps,
                scale=float(scale), sequential=bool(sequential), kink_tol=sc.kink_tol,
                active_tol=sc.active_tol, retrained=retrained)


def compare(prepared, forget, scale=1.0, sequential=False, retrained=None, methods=None,
            method_params=None, progress=None, draw_outputs=True):
    """Run ``methods`` on forget set F and measure each on R = S minus F.

    Parameters
    ----------
    prepared : Prepared
    forget : sequence of point indices, in removal order
    scale : float, c, the multiplier of the theory step size
    sequential : bool, one GA step a point, re-certifying in between (docs/theory.md §3.6)
    retrained : (model, seconds) from ``retrain_model``, to reuse a cached retrain
    methods : None (the registry's defaults for the model), "all", or a tuple of names of
        ``core.registry`` methods; the reference (retrain) always runs
    method_params : dict name -> dict of hyperparameters (each Method's ``defaults``)
    progress : callable(done, total) or None, called after each method's certificate and
        between chunks of it (it may raise core.errors.Cancelled to stop)
    draw_outputs : bool; without a test set, draw fresh points for the output distances
        (``core.distances.evaluation_set``; False: none, e.g. in sweeps that do not use them)

    Returns
    -------
    Comparison
    """
    ctx, sc, original = prepared.ctx, prepared.scenario, prepared.original
    names, method_params = resolve(methods, sc.model, method_params)
    forget = check_forget(forget, ctx.y)
    retrained = retrained if retrained is not None else retrain_model(prepared, forget)
    task = task_for(prepared, forget, scale, sequential, retrained)
    retain, reference = task.retain, reference_name()
    outputs = {name: run_method(name, task, method_params.get(name)) for name in names}
    reference_model = outputs[reference][0].model
    exact_model = outputs["exact"][0].model if "exact" in outputs else None
    evals = evaluation_set(prepared, draw=draw_outputs)
    out_ref = None if evals is None else evals.outputs(ctx, reference_model)
    q_ref = margins(ctx, reference_model)
    results = {}
    for name, (out, seconds) in outputs.items():
        model = out.model
        cert = certify(ctx, model, retain, rescale=False, kink_tol=sc.kink_tol,
                       active_tol=sc.active_tol,
                       progress=holding(progress, len(results), len(names)))
        out_eval = None if evals is None else evals.outputs(ctx, model)
        dist = to_reference(cert.margins, q_ref, retain, out_eval, out_ref)
        on_test = evals is not None and evals.y is not None
        results[name] = MethodResult(
            name=name, model=model, certificate=cert,
            cosine_to_retrain=cosine(ctx, model, reference_model),
            cosine_to_exact=None if exact_model is None else cosine(ctx, model, exact_model),
            forget_margins=cert.margins[list(forget)],
            max_retained_margin_change=float(np.max(np.abs(cert.margins[retain]
                                                           - original.margins[retain]))),
            test_accuracy=float(np.mean(np.sign(out_eval) == evals.y)) if on_test else None,
            test_agreement=1.0 - dist["test_disagreement"] if on_test else None,
            seconds=float(seconds), grad_evals=out.grad_evals, params=dict(out.params),
            margin_distance_to_retrain=dist["margin_distance"],
            test_disagreement=dist["test_disagreement"], kl_to_retrain=dist["kl_to_retrain"])
        if progress is not None:
            progress(len(results), len(names))
    return Comparison(prepared=prepared, forget=forget, retain=retain, scale=float(scale),
                      sequential=bool(sequential), methods=results,
                      output_set="none" if evals is None else evals.source,
                      n_outputs=0 if evals is None else int(evals.X.shape[0]))


def run_method(name, task, params=None):
    """(MethodOutput, seconds) of registered method ``name`` on ``task``."""
    start = time.perf_counter()
    out = get(name).run(task, params)
    seconds = out.seconds if out.seconds is not None else time.perf_counter() - start
    return out, seconds


STEP_GRID_VALUES = 41   # the Step size page's default grid of c, and the deck's: one answer


def scale_grid(n_values=STEP_GRID_VALUES, top=2.0):
    """c = 0, top / (n_values - 1), ..., top (``np.linspace``): the grid of the step-size
    curve, shared by the Step size page and the slides so both name the same best c.
    """
    return tuple(float(c) for c in np.linspace(0.0, top, n_values))


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
