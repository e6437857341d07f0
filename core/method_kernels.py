"""Numba kernels of the iterative unlearning baselines (docs/theory.md §3.7).

Every iterative baseline is gradient descent on a signed, weighted sum of per-point losses,

    J(theta) = sum_i c_i l(q_i(theta)),

with one coefficient c_i per training point: c = -1 on F (gradient ascent on the forget
set), (alpha on R, -(1 - alpha) on F) for NegGrad+, 1/|R| on R for fine-tuning, 1/n on all
points with the labels of F flipped for random labels. A step is
theta <- theta - lr grad J / Z with Z = sum_k |c_k| l(q_k) (normalized, as the training
optimizer) or Z = 1 (plain), so A_ji += lr g_i y_i v_j sigma'(Zt_ji) with
g_i = c_i |l'(q_i)| / Z: the same update as training (``add_step``) with signed weights.

As in core/kernels.py there are two paths computing the same iterates: Gram space
(Zt = s0 Z0t + A K, O(n² m) a step, used when n < d) and primal (Zt = W Xᵀ, O(n d m)).
They take the training kernels' named tuples (``GramData`` or ``PrimalData``, ``GDRule``)
and the loss helpers of the training kernels (one definition of the loss).
Kernels are pure: contiguous float64 in, no validation, no exceptions.
"""
import numpy as np

from core.jit import kernel
from core.kernels import (
    LOG_FLUSH,
    add_step,
    log_loss_slopes,
    log_loss_terms,
    log_sum_exp,
    model_outputs,
)

LOG_WEIGHT_CAP = 700.0   # e^700 < float64 max: a diverging ascent stays finite, never inf/NaN


@kernel
def signed_weights(q, coef, loss_code, normalized, g):
    """g_i = c_i |l'(q_i)| / Z, Z = sum_k |c_k| l(q_k) (normalized) or 1; writes ``g``.

    Computed from logs like ``step_weights``; |g_i| below FLUSH_BELOW is set to 0 and
    log |g_i| is capped at LOG_WEIGHT_CAP. Points with c_i = 0 get g_i = 0.
    """
    n = q.shape[0]
    log_slopes = np.empty(n)
    log_loss_slopes(q, loss_code, log_slopes)
    denom = 0.0
    if normalized:
        log_terms = np.empty(n)
        log_loss_terms(q, loss_code, log_terms)
        n_used = 0
        for i in range(n):
            if coef[i] != 0.0:
                n_used += 1
        used = np.empty(n_used)
        k = 0
        for i in range(n):
            if coef[i] != 0.0:
                used[k] = np.log(abs(coef[i])) + log_terms[i]
                k += 1
        denom = log_sum_exp(used)
    for i in range(n):
        c = coef[i]
        if c == 0.0:
            g[i] = 0.0
            continue
        e = min(np.log(abs(c)) + log_slopes[i] - denom, LOG_WEIGHT_CAP)
        g[i] = (np.exp(e) if c > 0.0 else -np.exp(e)) if e > LOG_FLUSH else 0.0


@kernel
def weighted_gd_gram(data, rule, coef, A, n_steps):
    """A <- A + C(Z0s + A K) for n_steps steps of GD on sum_i c_i l(q_i), in Gram space.

    Parameters
    ----------
    data : core.kernels.GramData (K, Z0t = s0 W_0 Xᵀ: the initialisation part of the
        model, scaled; w0_sq is not used)
    rule : core.kernels.GDRule; its y are the labels the loss uses (flipped ones included)
    coef : ndarray (n,), the signed coefficients c_i
    A : ndarray (m, n), coefficients of W = s0 W_0 + A X, updated in place
    n_steps : int
    """
    m, n = A.shape
    K, Z0s = data.K, data.Z0t
    no_C = np.empty((0, 0))
    Zt = np.empty((m, n))
    out = np.empty(n)
    g = np.empty(n)
    for _ in range(n_steps):
        np.dot(A, K, Zt)
        Zt += Z0s
        model_outputs(Zt, rule.v, rule.is_relu, out)
        signed_weights(rule.y * out, coef, rule.loss_code, rule.normalized, g)
        add_step(Zt, rule, g, A, no_C)


@kernel
def weighted_gd_primal(data, rule, coef, A, n_steps):
    """W <- W + C(W Xᵀ) X and A <- A + C for n_steps steps of GD on sum_i c_i l(q_i).

    Same iterates as ``weighted_gd_gram`` at O(n d m) a step; ``data`` is a
    core.kernels.PrimalData (X, its transpose, W updated in place).
    """
    m, n = A.shape
    X, XT, W = data.X, data.XT, data.W
    C = np.empty((m, n))
    Zt = np.empty((m, n))
    out = np.empty(n)
    g = np.empty(n)
    dW = np.empty(W.shape)
    for _ in range(n_steps):
        np.dot(W, XT, Zt)
        model_outputs(Zt, rule.v, rule.is_relu, out)
        signed_weights(rule.y * out, coef, rule.loss_code, rule.normalized, g)
        add_step(Zt, rule, g, A, C)
        np.dot(C, X, dW)
        W += dW
