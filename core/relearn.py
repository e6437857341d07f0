"""Relearning (docs/theory.md §3.9): how many training steps bring the forgotten points back?

From each method's model, gradient descent with the training rule (the scenario's loss,
optimizer and learning rate) runs on D = F ∪ a fixed sample of R (the attacker's data:
RELEARN_SAMPLE retained points drawn with ``default_rng([seed, 8])``, the same for every
method), and we count the steps until every forgotten margin is back at its trained value
q̂_l (at the certified model θ̂, min margin 1 on S), capped at RELEARN_CAP. Each model
starts at θ̂'s scale: it is first multiplied by rms_R(q̂) / rms_R(q), so that its retained
margins have θ̂'s root mean square (the models are 1-homogeneous, so this changes no
prediction; without it fine-tuning, which multiplies the scale of the model, would relearn
in one step whatever it did to x_l). Retraining's count is the reference: a method whose
count is far below it has hidden the points rather than removed them.

Only D's columns of the model move, so the loop runs in the Gram context of D with the rest
of the model as its initialisation, W = W_rest + A_D X_D, W_rest = s0 W_0 + A_rest X_rest
(the columns outside D): O(|D|² m) a step, whatever n and d are, and the same iterates as
on all of S.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.errors import InputError
from core.methods import weighted_gd
from core.models import GramModel, build_context, margins
from core.options import RELEARN_CAP
from core.pipeline import train_options

RELEARN_SAMPLE = 10
RELEARN_STREAM = 8
RELEARN_TOL = 1e-9       # relative: a margin back to its trained value up to rounding


@dataclass(frozen=True)
class Relearned:
    """Steps until the forgotten margins were back (``steps`` = the cap when not reached)."""

    steps: int
    reached: bool


def attacker_sample(scenario, retain, size=RELEARN_SAMPLE):
    """The attacker's retained points: ``size`` of R (all when fewer), seeded, sorted."""
    retain = np.asarray(retain)
    if retain.size <= size:
        return np.sort(retain)
    rng = np.random.default_rng([scenario.seed, RELEARN_STREAM])
    return np.sort(rng.choice(retain, size, replace=False))


def steps_to_relearn(ctx, model, forget, targets, D, *, loss="exp", normalized=True, lr=8.0,
                     cap=RELEARN_CAP):
    """The first t <= cap at which q_l >= targets_l for every l in ``forget`` after t GD
    steps on (1/|D|) sum_{i in D} l(q_i) from ``model`` (normalized GD divides by that
    loss), as a Relearned; t = 0 when they already are.
    """
    forget, D = list(forget), np.asarray(D)
    rest = np.setdiff1d(np.arange(ctx.n_samples), D)
    W_rest = model.s0 * ctx.W0 + model.A[:, rest] @ ctx.X[rest]
    ctx_D = build_context(ctx.X[D], ctx.y[D], W_rest, ctx.v, ctx.is_relu)
    where = np.searchsorted(D, forget)            # the forgotten points' places in D
    floor = np.asarray(targets) - RELEARN_TOL * np.abs(targets)
    current = GramModel(1.0, np.ascontiguousarray(model.A[:, D]))
    coef = np.full(D.size, 1.0 / D.size)
    for t in range(cap + 1):
        if np.all(margins(ctx_D, current)[where] >= floor):
            return Relearned(t, True)
        if t == cap:
            break
        current = weighted_gd(ctx_D, current, coef, loss=loss, normalized=normalized, lr=lr,
                              steps=1, name="relearning")
    return Relearned(cap, False)


def at_start_scale(ctx, model, q_hat, retain):
    """``model`` times rms_R(q̂) / rms_R(q): θ̂'s scale on the retained points."""
    q = margins(ctx, model)[retain]
    rms = float(np.sqrt(np.mean(q ** 2)))
    return model if rms == 0 else model.scaled(float(np.sqrt(np.mean(q_hat[retain] ** 2))) / rms)


def relearn(comparison, cap=RELEARN_CAP, progress=None):
    """{method: Relearned} of every method of a Comparison (``progress(done, total)`` after
    each method; it may raise core.errors.Cancelled).
    """
    prepared, forget = comparison.prepared, list(comparison.forget)
    sc, ctx = prepared.scenario, prepared.ctx
    D = np.union1d(forget, attacker_sample(sc, comparison.retain))
    options = train_options(sc, prepared.dataset)
    q_hat = prepared.original.margins
    out = {}
    for done, (name, res) in enumerate(comparison.methods.items(), 1):
        try:
            start = at_start_scale(ctx, res.model, q_hat, comparison.retain)
            out[name] = steps_to_relearn(ctx, start, forget, q_hat[forget], D, loss=sc.loss,
                                         normalized=sc.optimizer == "normalized",
                                         lr=options["lr"], cap=cap)
        except InputError:                 # the relearning itself diverged: not relearned
            out[name] = Relearned(cap, False)
        if progress is not None:
            progress(done, len(comparison.methods))
    return out
