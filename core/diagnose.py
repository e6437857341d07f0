"""Why training did not separate the data, from measurements (docs/theory.md §3.2).

When the trained model leaves some margin q_i <= 0, ``not_separating_message`` says
(1) whether the data are linearly separable through the origin, decided by the feasibility
LP y_i (K beta)_i >= 1 in Gram space (w = X^T beta; any separating w projects onto the span
of the rows, so this is exact) solved by scipy.optimize.linprog (HiGHS); (2) whether ReLUs
died: points where every neuron is inactive (their output is exactly 0), neurons inactive
on every point; (3) whether more steps would help: the min margin still rising over the last
quarter of the recorded history; and a diverged run (non-finite loss or norm). Then (4)
what would train them, measured: ``remedies`` trains again with one change at a time (another
preprocessing, a larger init scale, a Fourier lift) within a small time budget and names
the changes that separate the data.
"""
import math

import numpy as np

from core.errors import InputError
from core.models import margins, preacts

MAX_LP_POINTS = 2000     # above this the LP is skipped (dense n x n constraints)
RISING = 1e-9            # relative rise of the min margin that counts as still rising
REMEDY_SECONDS = 3.0     # estimated training time all tried remedies may take together
LISTED_POINTS = 5        # dead points named by index in the message
# lifts that make distinct points separable (docs/theory.md §4: the Gaussian kernel's Gram
# matrix is positive definite): the presets' default B = 0.5, then a sharper B = 0.1 for
# classes that overlap, where B = 0.5 leaves so small a margin that the default steps fall
# short, while at B = 0.1 the lifted points are nearly orthogonal and train in a few steps
FOURIER_REMEDIES = tuple({"preprocess": "standardize", "lift": 1000, "lift_kind": "fourier",
                          "bandwidth": b} for b in (0.5, 0.1))


def format_margin(q):
    """A margin for a message: 3 significant digits, never "-0" (exact zeros print as 0)."""
    q = float(q) + 0.0          # -0.0 + 0.0 == +0.0
    return "n/a" if not math.isfinite(q) else f"{q:.3g}"


def linearly_separable(K, y):
    """True if some w has y_i <w, x_i> >= 1 for all i (the Gram-space feasibility LP), False
    if none does, None when not decided (too many points, or the solver gave up).
    """
    from scipy.optimize import linprog  # lazy: only a failing run pays for the import
    n = y.shape[0]
    if n > MAX_LP_POINTS:
        return None
    A_ub = -(y[:, None] * K)                 # -y_i (K beta)_i <= -1
    res = linprog(np.zeros(n), A_ub=A_ub, b_ub=-np.ones(n), bounds=[(None, None)] * n,
                  method="highs")
    if res.status == 0:
        return True
    if res.status == 2:                      # infeasible
        return False
    return None


def dead_relus(ctx, model):
    """(points with every neuron inactive, neurons inactive on every point) of a ReLU model."""
    if not ctx.is_relu:
        return 0, 0
    active = preacts(ctx, model) > 0.0       # (m, n)
    return int(np.sum(~active.any(axis=0))), int(np.sum(~active.any(axis=1)))


def dead_points(ctx, model):
    """Indices of the points on which no neuron of a ReLU model is active (output exactly 0)."""
    if not ctx.is_relu:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(~(preacts(ctx, model) > 0.0).any(axis=0))


def _points_text(index):
    """'point 17', 'points 3, 17 and 21', '12 points (3, 17, 21, 30, 33, ...)'."""
    shown = [str(int(i)) for i in index[:LISTED_POINTS]]
    if len(index) == 1:
        return f"point {shown[0]}"
    if len(index) <= LISTED_POINTS:
        return f"points {', '.join(shown[:-1])} and {shown[-1]}"
    return f"{len(index)} points ({', '.join(shown)}, ...)"


def candidate_changes(scenario):
    """One-field (or one-lift) changes of a scenario worth trying when it does not train:
    the other preprocessings, standardized first; for the ReLU net a larger init scale;
    without a lift, the Fourier lifts of FOURIER_REMEDIES.
    """
    kinds = ("standardize", "unit_median_norm", "unit_rows", "as_is")
    out = [{"preprocess": k} for k in kinds if k != scenario.preprocess]
    if scenario.is_relu:
        out += [{"init_scale": s} for s in (1.0, 0.1) if s > scenario.init_scale]
    if scenario.lift == 0:
        out += [dict(change) for change in FOURIER_REMEDIES]
    return out


def describe_change(change):
    """{'preprocess': 'standardize'} -> 'preprocess=standardize'."""
    return " ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                    for k, v in change.items())


def remedies(scenario, min_margin_of, seconds_of, budget=REMEDY_SECONDS):
    """One sentence: which of ``candidate_changes`` train the data, measured.

    ``min_margin_of(scenario)`` trains a scenario and returns its min margin (None when it
    cannot be built, e.g. a preprocessing refused by the data); ``seconds_of(scenario)``
    estimates its training time. Candidates are tried in order while the estimates fit in
    ``budget`` seconds; "" when none was tried.
    """
    tried, works, spent = [], [], 0.0
    for change in candidate_changes(scenario):
        try:
            changed = scenario.replace(**change)
        except InputError:           # a change the rules refuse is skipped
            continue
        cost = seconds_of(changed)
        if spent + cost > budget:
            continue
        spent += cost
        tried.append(describe_change(change))
        q = min_margin_of(changed)
        if q is not None and q > 0:
            works.append(f"{describe_change(change)} (min margin {format_margin(q)})")
    if not tried:
        return ""
    if works:
        return ("Measured by training again with one change: " + "; ".join(works)
                + (" separates" if len(works) == 1 else " each separate") + " the data.")
    return ("Measured by training again with one change (" + ", ".join(tried)
            + "): none separates the data.")


def margin_rising(history):
    """True if min_i q_i rose over the last quarter of the recorded steps (more steps help)."""
    q = history.min_margin
    if q.shape[0] < 4 or not np.all(np.isfinite(q)):
        return False
    earlier = q[-max(2, q.shape[0] // 4)]
    return bool(q[-1] > earlier + RISING * max(abs(earlier), 1e-300))


def not_separating_message(ctx, model, history=None, remedy=""):
    """One paragraph: the min margin, what the measurements say about why it is <= 0, and
    ``remedy`` (the sentence of ``remedies``: what would train them).
    """
    q = margins(ctx, model)
    n_bad = int(np.sum(~(q > 0)))
    parts = [f"The trained model does not separate the data: {n_bad} of {q.shape[0]} points "
             f"{'has' if n_bad == 1 else 'have'} margin <= 0 "
             f"(min margin {format_margin(np.min(q))})."]
    if history is not None and not (np.all(np.isfinite(history.log_loss))
                                    and np.all(np.isfinite(history.param_norm))):
        parts.append("Training diverged (the loss or the weights overflowed): lower the "
                     "learning rate.")
    separable = linearly_separable(ctx.K, ctx.y)
    parts.append({True: "The data are linearly separable through the origin (an LP found a "
                        "separating direction), so a separating model exists.",
                  False: "The data are not linearly separable through the origin (the LP is "
                         "infeasible)" + (": the ReLU net may still separate them with more "
                                          "width or steps." if ctx.is_relu else
                                          ": no linear model can separate them."),
                  None: "Linear separability was not tested (too many points)."}[separable])
    _, dead_neurons = dead_relus(ctx, model)
    dead = dead_points(ctx, model)
    if dead.size:
        parts.append(f"ReLUs died: on {_points_text(dead)} no neuron is active (the output is "
                     f"exactly 0) and {dead_neurons} of {ctx.width} neurons are inactive on "
                     "every point. Dead units get no gradient, so more steps cannot revive "
                     "them; a larger init scale (init_scale), a larger width, another seed, "
                     "standardized data or a lift change which neurons start and stay active.")
    elif ctx.is_relu and dead_neurons:
        parts.append(f"{dead_neurons} of {ctx.width} neurons are inactive on every point.")
    if history is not None:
        parts.append("The min margin was still rising at the last step: more steps should "
                     "help." if margin_rising(history) else
                     "The min margin had stopped rising: more steps will not help.")
    if remedy:
        parts.append(remedy)
    return " ".join(parts)
