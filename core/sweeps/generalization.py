"""Generalization while forgetting: test accuracy after each of K sequential removals.

docs/theory.md §3.6 (sequential forgetting) and 3.8 (Gaussian mixture: test accuracy about 0.98
before and after GA, equal to retraining). After removal k = 1 .. K (k = 0 is the trained
model) three models are measured on the test set:

* ``ga``: sequential GA, one step a point, the current model rescaled and re-certified on
  the current retained set before each step (the loop of ``core.unlearn.sequential_ga``,
  kept here so that every intermediate model is measured);
* ``retrain``: GD from the same init with the same settings on the current retained set;
* ``do_nothing``: the trained model, unchanged.

Each row also has the test agreement with ``retrain`` and ``eps_rel`` of the model on the
current retained set (without rescaling, as ``compare`` measures it).
"""
import time

import numpy as np
import pandas as pd

from core.compare import prepare, train_options
from core.errors import InputError
from core.kkt import certify
from core.models import test_predictions
from core.sweeps.executors import lost_message
from core.sweeps.stats import summarize
from core.unlearn import check_forget, retained_index, retrain_without, sequential_ga_steps

CURVE_COLUMNS = ("k", "removed", "method", "test_accuracy", "test_agreement", "eps_rel",
                 "seconds")


def random_forget_order(y, k, seed=0):
    """k distinct indices in random order that leave at least one point of each class.

    Raises InputError if k < 1 or more points are asked for than can go.
    """
    y = np.asarray(y)
    n = y.shape[0]
    room = n - 2
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= room:
        raise InputError(f"The number of points to forget must be from 1 to {room} "
                         f"(n = {n}, one point of each class stays), not {k!r}.")
    rng = np.random.default_rng([seed, 2])      # apart from the data's and the init's
    left = {-1.0: int(np.sum(y == -1.0)), 1.0: int(np.sum(y == 1.0))}
    order = []
    for i in rng.permutation(n):
        if left[float(y[i])] > 1:
            order.append(int(i))
            left[float(y[i])] -= 1
            if len(order) == k:
                break
    if len(order) < k:
        raise InputError(f"Only {len(order)} points can be forgotten while keeping one "
                         f"point of each class, not {k}.")
    return tuple(order)


def forgetting_curve(prepared, order, scale=1.0, progress=None):
    """Test accuracy, agreement with retrain and eps_rel after each removal in ``order``.

    Parameters
    ----------
    prepared : Prepared, of a scenario with a test set (mixture data, or an upload with one)
    order : sequence of point indices, removed one after another
    scale : float, c of every GA step
    progress : callable(done, total) or None, called after each removal

    Returns
    -------
    DataFrame with ``CURVE_COLUMNS``: one row per (k, method), k = 0 .. K
    """
    ctx, sc, original = prepared.ctx, prepared.scenario, prepared.original
    if ctx.X_test is None:
        raise InputError("Generalization needs a test set: use mixture data or an .npz "
                         "upload with X_test and y_test.")
    order = check_forget(order, ctx.y)
    if not order:
        raise InputError("Give at least one point to forget.")
    opts = train_options(sc, prepared.dataset)
    certify_opts = dict(kink_tol=sc.kink_tol, active_tol=sc.active_tol)
    rows = []

    def measure(k, removed, method, model, retain, retrain_pred, seconds):
        pred = test_predictions(ctx, model)
        cert = certify(ctx, model, retain, rescale=False, **certify_opts)
        rows.append(dict(k=k, removed=removed, method=method,
                         test_accuracy=float(np.mean(pred == ctx.y_test)),
                         test_agreement=float(np.mean(pred == retrain_pred)),
                         eps_rel=cert.eps_rel, seconds=seconds))

    everything = np.arange(ctx.n_samples)
    base_pred = test_predictions(ctx, original.model)
    for method in ("ga", "retrain", "do_nothing"):
        measure(0, -1, method, original.model, everything, base_pred, 0.0)
    steps = sequential_ga_steps(ctx, original.model, order, scale, **certify_opts)
    for k, point in enumerate(order, start=1):
        start = time.perf_counter()
        _, current = next(steps)
        ga_seconds = time.perf_counter() - start
        start = time.perf_counter()
        retrained, _ = retrain_without(ctx, order[:k], **opts)
        retrain_seconds = time.perf_counter() - start
        retain = retained_index(ctx.n_samples, order[:k])
        retrain_pred = test_predictions(ctx, retrained)
        measure(k, point, "ga", current, retain, retrain_pred, ga_seconds)
        measure(k, point, "retrain", retrained, retain, retrain_pred, retrain_seconds)
        measure(k, point, "do_nothing", original.model, retain, retrain_pred, 0.0)
        if progress is not None:
            progress(k, len(order))
    return pd.DataFrame(rows, columns=list(CURVE_COLUMNS))


def curve_job(args):
    """One seed of a generalization run, for an executor: (scenario, k, scale) -> frame.

    The forgotten points are a random order drawn from the scenario's seed; the returned
    frame has a ``seed`` column. Never raises: an error comes back as a string.
    """
    scenario, n_forget, scale = args
    try:
        prepared = prepare(scenario)
        order = random_forget_order(prepared.ctx.y, n_forget, scenario.seed)
        frame = forgetting_curve(prepared, order, scale)
    except InputError as err:
        return scenario.seed, str(err)
    frame.insert(0, "seed", scenario.seed)
    return scenario.seed, frame


def forgetting_curves(base, n_forget, scale, seeds, executor, progress=None):
    """``curve_job`` for seeds base.seed .. base.seed + seeds - 1 on ``executor``.

    Returns the curves (ordered by seed, then k) and the failures as (seed, message);
    ``progress(done, total)`` is called as seeds finish. Raises InputError if all failed.
    """
    items = [(base.replace(seed=base.seed + s), n_forget, scale) for s in range(seeds)]
    parts, failures = {}, []
    results = executor.map(curve_job, items, on_lost=lost_curve)
    for done, (seed, res) in enumerate(results, 1):
        if isinstance(res, str):
            failures.append((seed, res))
        else:
            parts[seed] = res
        if progress is not None:
            progress(done, len(items))
    if not parts:
        raise InputError("Every generalization run failed: "
                         + "; ".join(message for _, message in failures))
    curve = pd.concat([parts[s] for s in sorted(parts)], ignore_index=True)
    curve.attrs["n_test"] = base.n_test
    return curve, failures


def lost_curve(item, err):
    """What ``curve_job`` would return for a seed lost with its worker: (seed, message)."""
    return item[0].seed, lost_message(err)


def summarize_curve(frame):
    """Mean, min and max over seeds of test accuracy, agreement and eps_rel per (k, method)."""
    return summarize(frame, by=("k", "method"),
                     metrics=("test_accuracy", "test_agreement", "eps_rel"))
