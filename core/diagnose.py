"""Why training did not separate the data, from measurements (docs/theory.md §3.2).

When the trained model leaves some margin q_i <= 0, ``not_separating_message`` says
(1) whether the data are linearly separable through the origin, decided by the feasibility
LP y_i (K beta)_i >= 1 in Gram space (w = X^T beta; any separating w projects onto the span
of the rows, so this is exact) solved by scipy.optimize.linprog (HiGHS); (2) whether ReLUs
died: points where every neuron is inactive (their output is exactly 0), neurons inactive
on every point; (3) whether more steps would help: the min margin still rising over the last
quarter of the recorded history; and a diverged run (non-finite loss or norm).
"""
import math

import numpy as np

from core.models import margins, preacts

MAX_LP_POINTS = 2000     # above this the LP is skipped (dense n x n constraints)
RISING = 1e-9            # relative rise of the min margin that counts as still rising


def format_margin(q):
    """A margin for a message: 3 significant digits, never "-0" (exact zeros print as 0)."""
    q = float(q) + 0.0          # -0.0 + 0.0 == +0.0
    return "n/a" if not math.isfinite(q) else f"{q:.3g}"


def _count(k, noun):
    return f"{k} {noun}" + ("" if k == 1 else "s")


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


def margin_rising(history):
    """True if min_i q_i rose over the last quarter of the recorded steps (more steps help)."""
    q = history.min_margin
    if q.shape[0] < 4 or not np.all(np.isfinite(q)):
        return False
    earlier = q[-max(2, q.shape[0] // 4)]
    return bool(q[-1] > earlier + RISING * max(abs(earlier), 1e-300))


def not_separating_message(ctx, model, history=None):
    """One paragraph: the min margin, and what the measurements say about why it is <= 0."""
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
    dead_points, dead_neurons = dead_relus(ctx, model)
    if dead_points:
        parts.append(f"ReLUs died: on {_count(dead_points, 'point')} no neuron is active (the "
                     f"output is exactly 0) and {dead_neurons} of {ctx.width} neurons are "
                     "inactive on every point. Dead units get no gradient, so more steps "
                     "cannot revive them; a larger init scale, a larger width, another seed or "
                     "standardized data change which neurons start active.")
    elif ctx.is_relu and dead_neurons:
        parts.append(f"{dead_neurons} of {ctx.width} neurons are inactive on every point.")
    if history is not None:
        parts.append("The min margin was still rising at the last step: more steps should "
                     "help." if margin_rising(history) else
                     "The min margin had stopped rising: more steps will not help.")
    return " ".join(parts)
