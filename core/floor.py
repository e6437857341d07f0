"""Retraining's noise floor (docs/theory.md §3.9): how far from the reference retrain is
another, equally valid retraining?

The reference retrain trains on R from the scenario's W_0. The floor retrains on the same R
K more times, from W_0 drawn with other seeds (``default_rng([seed, 6, k])``), and measures
each the way the methods are measured: cosine of the parameters to the reference, its own
certificate's eps_rel on R, the largest change of a retained margin, and on the evaluation
set the sign disagreement and the mean KL of sigma(N). A method whose distances are within
the floor's range is as close to the reference as another retraining is.

For the linear model W_0 = 0 and GD is deterministic: every retraining is the same model
(the max-margin solution is unique), so the floor is 0 and is computed once.
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import numpy as np

from core.distances import evaluation_set, to_reference
from core.errors import InputError
from core.kkt import certify
from core.memo import Memo, data_key
from core.mia import run_pairs
from core.models import init_weights, margins, norm
from core.options import MAX_FLOOR
from core.pipeline import train_options
from core.unlearn import check_forget, retained_index, retrain_without
from core.validate import check_integer

FLOOR_STREAM = 6
MEASURES = ("cosine_to_retrain", "eps_rel", "margin_distance_to_retrain", "test_disagreement",
            "kl_to_retrain")
# measures where larger is worse (distances); the cosine is turned into 1 - cosine
LOWER_IS_CLOSER = MEASURES[1:]
ROUNDING = 1e-12         # a distance this far above the floor's largest is rounding
_FLOORS = Memo("retraining floors", 32)


@dataclass(frozen=True, eq=False)
class Floor:
    """K retrainings from other seeds, measured against the reference retrain."""

    k: int
    values: dict             # measure -> (k,) array (test measures absent without outputs;
    #                          eps_rel has k + 1: the reference retrain's own first)
    unique: bool             # linear model: every retraining is the same model (floor 0)
    seconds: float           # wall time of the K retrainings and their certificates

    def summary(self, measure):
        """{mean, min, max} of a measure over the K retrainings, or None when absent."""
        v = self.values.get(measure)
        if v is None:
            return None
        return dict(mean=float(np.mean(v)), min=float(np.min(v)), max=float(np.max(v)))

    def verdict(self, measured):
        """(within, ratios) for one model's ``measured`` {measure: value}: within is True when
        every measure is inside the floor's range (a cosine at least its smallest, the
        others at most their largest); ratios are distance / the floor's largest distance
        (1 - cosine for the cosine), inf where the floor is 0 and the distance is not.
        """
        ratios = {}
        for measure in MEASURES:
            value, floor = measured.get(measure), self.values.get(measure)
            if value is None or floor is None:
                continue
            if measure == "cosine_to_retrain":
                value, top = 1.0 - value, 1.0 - float(np.min(floor))
            else:
                top = float(np.max(floor))
            excess = value - top
            ratios[measure] = (value / top if top > ROUNDING else
                               (1.0 if excess <= ROUNDING else float("inf")))
        within = all(r <= 1.0 + ROUNDING for r in ratios.values())
        return within, ratios


def floor_seed(scenario, k):
    """W_0 seed of floor retraining k."""
    return int(np.random.default_rng([scenario.seed, FLOOR_STREAM, k]).integers(2**31 - 1))


def cross_inner(ctx_a, a, ctx_b, b):
    """<W_a, W_b>_F of models on contexts with the same X and other W_0's, in Gram form:
    s_a s_b <W0_a, W0_b> + s_a <A_b, Z0t_a> + s_b <A_a, Z0t_b> + <A_a, A_b K>.
    """
    return float(a.s0 * b.s0 * np.sum(ctx_a.W0 * ctx_b.W0) + a.s0 * np.sum(b.A * ctx_a.Z0t)
                 + b.s0 * np.sum(a.A * ctx_b.Z0t) + np.sum(a.A * (b.A @ ctx_a.K)))


def with_init(ctx, W0):
    """The context of the same data with initialisation W0 (K is reused, not recomputed)."""
    W0 = np.ascontiguousarray(W0, dtype=np.float64)
    return dataclasses.replace(ctx, W0=W0, Z0t=np.ascontiguousarray(W0 @ ctx.X.T),
                               w0_row_sq=np.einsum("jk,jk->j", W0, W0))


def _one(prepared, forget, retain, reference, k, evals):
    """The measures of floor retraining k against the reference retrain."""
    sc, ctx = prepared.scenario, prepared.ctx
    W0 = init_weights(ctx.width, ctx.X.shape[1], sc.init_scale, floor_seed(sc, k), ctx.is_relu)
    ctx_k = with_init(ctx, W0)
    model, _ = retrain_without(ctx_k, forget, **train_options(sc, prepared.dataset))
    cert = certify(ctx_k, model, retain, rescale=False, kink_tol=sc.kink_tol,
                   active_tol=sc.active_tol)
    out = out_ref = None
    if evals is not None:
        out = evals.outputs(ctx_k, model, Z0=np.ascontiguousarray(W0 @ evals.X.T))
        out_ref = evals.outputs(ctx, reference)
    dist = to_reference(cert.margins, margins(ctx, reference), retain, out, out_ref)
    cos = cross_inner(ctx_k, model, ctx, reference) / (norm(ctx_k, model) * norm(ctx, reference))
    return dict(cosine_to_retrain=cos, eps_rel=cert.eps_rel,
                margin_distance_to_retrain=dist["margin_distance"],
                test_disagreement=dist["test_disagreement"], kl_to_retrain=dist["kl_to_retrain"])


def floor_for(comparison, k, progress=None):
    """``retrain_floor`` of a Comparison's forget set against its reference retrain."""
    from core.registry import reference_name

    ref = comparison.methods[reference_name()]
    return retrain_floor(comparison.prepared, comparison.forget, ref.model,
                         ref.certificate.eps_rel, k, progress,
                         draw_outputs=comparison.output_set != "none")


def retrain_floor(prepared, forget, reference, reference_eps_rel, k, progress=None,
                  draw_outputs=True):
    """The Floor of K retrainings on R = S minus ``forget`` against ``reference`` (the
    reference retrain's model, whose own eps_rel joins the floor's eps_rel values: it is a
    retraining too), run on the shared executor and cached.

    ``progress(done, total)`` after each retraining (it may raise core.errors.Cancelled).
    Raises InputError for K outside 2..MAX_FLOOR or a bad forget set.
    """
    check_integer("floor", k, 2, MAX_FLOOR)
    forget = check_forget(forget, prepared.ctx.y)
    key = (data_key(prepared), tuple(forget), int(k), bool(draw_outputs))
    if key in _FLOORS:
        return _FLOORS.get(key)
    start = time.perf_counter()
    retain = retained_index(prepared.ctx.n_samples, forget)
    evals = evaluation_set(prepared, draw=draw_outputs)
    unique = not prepared.ctx.is_relu       # W_0 = 0: one retraining is every retraining
    runs = run_pairs(lambda j: _one(prepared, forget, retain, reference, j, evals),
                     range(1 if unique else k), progress)
    runs = runs * k if unique else runs
    values = {m: np.array([r[m] for r in runs], dtype=float) for m in MEASURES
              if runs[0][m] is not None}
    values["eps_rel"] = np.append(float(reference_eps_rel), values["eps_rel"])
    if not all(np.all(np.isfinite(v)) for v in values.values()):
        raise InputError("A retraining of the floor did not give finite measures: use "
                         "separable data or more steps.")
    return _FLOORS.put(key, Floor(k=int(k), values=values, unique=unique,
                                  seconds=time.perf_counter() - start))
