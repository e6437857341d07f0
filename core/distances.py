"""How far a model's outputs and retained margins are from the reference retrain
(docs/theory.md §3.9): the evaluation set, test disagreement and the mean KL divergence.

The evaluation set is the data's test set when it has one (mixture data, presets, an NPZ
with X_test); for generated data without one (orthogonal, the 2-D toys) it is N_EVAL fresh
points of the target's distribution (``draw_like``), scaled as test rows are; an upload
without test rows has none (its output distances are reported as missing, never made up).
Its outputs are computed in Gram form: with K_e = X X_eᵀ and Z0_e = W_0 X_eᵀ computed once,
a model's outputs on N points cost O(n m N), whatever d is.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.data import draw_like, make_dataset
from core.memo import Memo, data_key
from core.models import outputs_from_preacts

N_EVAL = 1000            # fresh points for the output distances when there is no test set
EVAL_STREAM = 5          # default_rng([seed, 5]): the seed of those points
SOURCES = ("test set", "fresh draws", "none")
_EVAL = Memo("evaluation sets", 16)


@dataclass(frozen=True, eq=False)
class EvalSet:
    """Points the output distances are measured on, in the Gram form of one context."""

    X: np.ndarray            # (N, d) inputs, scaled as the training rows
    y: np.ndarray | None     # (N,) labels of a test set (None for fresh draws)
    K: np.ndarray            # (n, N) X X_eᵀ
    Z0: np.ndarray           # (m, N) W_0 X_eᵀ of the context it was built for
    source: str              # "test set" or "fresh draws"

    def outputs(self, ctx, model, Z0=None):
        """N(W; x) on the set for W = s0 W_0 + A X (``Z0``: another context's W_0 X_eᵀ)."""
        Z0 = self.Z0 if Z0 is None else Z0
        return outputs_from_preacts(ctx, model.s0 * Z0 + model.A @ self.K)


def fresh_points(prepared, n_points, seed):
    """(X, y): ``n_points`` new points of the target's distribution, scaled (and lifted) as
    its test rows: the generator's draws passed through the scenario's preprocessing with
    the training rows' statistics. None when the data are not generated.
    """
    from core.pipeline import load_dataset, load_raw

    sc = prepared.scenario
    if sc.data_file or sc.is_preset:
        return None
    raw = load_raw(sc)
    fresh = draw_like(sc.data, n_points, sc.dim, seed, sc.seed, mu_norm=sc.mu_norm)
    data = load_dataset(sc, make_dataset(raw.X, raw.y, fresh.X, fresh.y))
    return data.X_test, data.y_test


def eval_seed(scenario):
    """Seed of the fresh evaluation points, a stream apart from the data's and the audits'."""
    return int(np.random.default_rng([scenario.seed, EVAL_STREAM]).integers(2**31 - 1))


def evaluation_set(prepared, draw=True):
    """The EvalSet of a prepared scenario (cached per data), or None.

    ``draw``: draw fresh points when there is no test set (False: the test set only).
    """
    key = (data_key(prepared), bool(draw))
    cached = _EVAL.get(key)
    if cached is not None or key in _EVAL:
        return cached
    ctx, data = prepared.ctx, prepared.dataset
    if data.X_test is not None:
        X, y, source = data.X_test, data.y_test, SOURCES[0]
    else:
        drawn = fresh_points(prepared, N_EVAL, eval_seed(prepared.scenario)) if draw else None
        if drawn is None:
            return _EVAL.put(key, None)
        X, y, source = drawn[0], None, SOURCES[1]   # labels of fresh draws are not used
    X = np.ascontiguousarray(X)
    return _EVAL.put(key, EvalSet(X=X, y=y, K=np.ascontiguousarray(ctx.X @ X.T),
                                  Z0=np.ascontiguousarray(ctx.W0 @ X.T), source=source))


def disagreement(out_a, out_b):
    """Fraction of points where sign N_a(x) differs from sign N_b(x)."""
    return float(np.mean(np.sign(out_a) != np.sign(out_b)))


def log_sigmoid(z):
    """log sigma(z) = -log(1 + e^{-z}), stable for every finite z."""
    return -np.logaddexp(0.0, -np.asarray(z, dtype=np.float64))


def mean_kl(logit_p, logit_q):
    """mean_x KL(Bernoulli(sigma(a)) || Bernoulli(sigma(b))), a = logit_p, b = logit_q:
    sigma(a) (log sigma(a) - log sigma(b)) + sigma(-a) (log sigma(-a) - log sigma(-b)).

    Written with log-sigmoids, so outputs of any size give a finite number.
    """
    a, b = np.asarray(logit_p, np.float64), np.asarray(logit_q, np.float64)
    p = np.exp(log_sigmoid(a))
    kl = p * (log_sigmoid(a) - log_sigmoid(b)) + (1.0 - p) * (log_sigmoid(-a) - log_sigmoid(-b))
    return float(np.mean(np.maximum(kl, 0.0)))


def to_reference(q, q_ref, retain, out=None, out_ref=None):
    """The distances of one model to the reference retrain: ``margin_distance`` =
    max_{i in R} |q_i - q_ref_i|, and on the evaluation outputs (when given)
    ``test_disagreement`` and ``kl_to_retrain`` = mean KL(sigma(N_ref) || sigma(N)).
    """
    retain = np.asarray(retain)
    dist = dict(margin_distance=float(np.max(np.abs(q[retain] - q_ref[retain]))),
                test_disagreement=None, kl_to_retrain=None)
    if out is not None and out_ref is not None:
        dist.update(test_disagreement=disagreement(out, out_ref),
                    kl_to_retrain=mean_kl(out_ref, out))
    return dist
