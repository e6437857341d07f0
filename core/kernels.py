"""Numba kernels for the models and gradient-descent training (docs/theory.md §3.1-3.2).

Both models share one parametrisation: W (m x d) with fixed output weights v (m,).
The linear model is the case m = 1, v = [1], identity activation, so every kernel takes
an ``is_relu`` flag instead of being written twice.

Training runs all steps inside Numba. Two paths compute the same iterates:

* Gram path (n < d): W_t = W_0 + A_t X, pre-activations Zt = W Xᵀ = Z0t + A_t K with
  K = X Xᵀ, so a step costs O(n² m) whatever d is.
* Primal path (n >= d): Zt = W Xᵀ recomputed from W; A is tracked as well (O(n m) a
  step) so that every trained model also has its Gram representation.

The training kernels take their inputs as four named tuples (``GramData`` or
``PrimalData``, ``GDRule``, ``Recording``), built by ``gd_rule`` and friends with the
field types the kernels are compiled for, so each kernel compiles one signature.

Kernels are pure: contiguous float64 in, no validation, no exceptions, no randomness.
All jit options are set by ``core.jit.kernel`` (one option set, one ``def`` each).
"""
from typing import NamedTuple

import numpy as np

from core.jit import kernel

LOSS_EXP = 0
LOSS_LOGISTIC = 1
FLUSH_BELOW = 1e-250          # loss weights below this are flushed to 0 (denormals are slow)
LOG_FLUSH = np.log(FLUSH_BELOW)


class GDRule(NamedTuple):
    """One GD step's settings besides the iterate (build with ``gd_rule``).

    The step is theta += lr sum_i g_i y_i dN(theta; x_i), g_i = |l'(q_i)| / Z with
    Z = sum_k l(q_k) (normalized) or n (plain); core/method_kernels.py signs and weights g.
    Defined here, used by core/method_kernels.py too: after changing the fields, clear the
    Numba cache (see core/jit.py).
    """

    y: np.ndarray            # (n,) labels the loss uses
    v: np.ndarray            # (m,) output weights
    is_relu: bool            # sigma = ReLU, else the identity (the linear model, m = 1)
    loss_code: int           # LOSS_EXP or LOSS_LOGISTIC
    normalized: bool         # normalized GD (divide by the loss), else plain
    lr: float                # the step size


class GramData(NamedTuple):
    """The data of the Gram path: Zt = Z0t + A K (build with ``gram_data``)."""

    K: np.ndarray            # (n, n) X Xᵀ
    Z0t: np.ndarray          # (m, n) the initialisation's pre-activations, s0 W_0 Xᵀ
    w0_sq: float             # ||s0 W_0||², for the recorded norms


class PrimalData(NamedTuple):
    """The data of the primal path: Zt = W Xᵀ (build with ``primal_data``)."""

    X: np.ndarray            # (n, d)
    XT: np.ndarray           # (d, n) X transposed, C-contiguous
    W: np.ndarray            # (m, d) the weights, updated in place


class Recording(NamedTuple):
    """Where a training run records its history (build with ``recording``)."""

    steps: np.ndarray        # (r,) int64, steps to record (state *before* that step; the
                             # last step index too, for the state after training)
    hist: np.ndarray         # (r, 4) rows [step, log L, min q, ||W||], written in order
    snaps: np.ndarray        # (r or 0, m, n) A at those steps (shape (0, m, n): none kept)


def _floats(a):
    return np.ascontiguousarray(a, dtype=np.float64)


def gd_rule(y, v, is_relu, loss_code, normalized, lr):
    """GDRule with the field types the kernels are compiled for (one signature)."""
    return GDRule(_floats(y), _floats(v), bool(is_relu), int(loss_code), bool(normalized),
                  float(lr))


def gram_data(K, Z0t, w0_sq):
    """GramData with the field types the kernels are compiled for."""
    return GramData(_floats(K), _floats(Z0t), float(w0_sq))


def primal_data(X, W):
    """PrimalData of X and the weights W (W itself is updated in place: pass a copy)."""
    return PrimalData(_floats(X), np.ascontiguousarray(np.asarray(X, dtype=np.float64).T), W)


def recording(steps, hist, snaps):
    """Recording with the field types the kernels are compiled for."""
    return Recording(np.ascontiguousarray(steps, dtype=np.int64), hist, snaps)


@kernel
def model_outputs(Zt, v, is_relu, out):
    """N_i = sum_j v_j sigma(Zt_ji), sigma = ReLU or identity; writes ``out``.

    Parameters
    ----------
    Zt : ndarray of shape (m, n), float64, C-contiguous; pre-activations <w_j, x_i>
    v : ndarray of shape (m,), float64
    is_relu : bool
    out : ndarray of shape (n,), float64, overwritten
    """
    m, n = Zt.shape
    out[:] = 0.0
    for j in range(m):
        vj = v[j]
        if is_relu:                      # branch-free inner loops (they vectorise)
            for i in range(n):
                out[i] += vj * max(Zt[j, i], 0.0)
        else:
            for i in range(n):
                out[i] += vj * Zt[j, i]


@kernel
def log_loss_terms(q, loss_code, out):
    """log l(q_i): -q for exp, log(log(1 + e^{-q})) for logistic, stable for any q."""
    for i in range(q.shape[0]):
        qi = q[i]
        if loss_code == LOSS_EXP:
            out[i] = -qi
        elif qi > 30.0:
            out[i] = -qi + np.log1p(-0.5 * np.exp(-qi))
        elif qi < -30.0:
            out[i] = np.log(-qi + np.log1p(np.exp(qi)))
        else:
            out[i] = np.log(np.log1p(np.exp(-qi)))


@kernel
def log_loss_slopes(q, loss_code, out):
    """log |l'(q_i)|: -q for exp, -softplus(q) = -log(1 + e^{q}) for logistic."""
    for i in range(q.shape[0]):
        qi = q[i]
        if loss_code == LOSS_EXP:
            out[i] = -qi
        else:
            out[i] = -(max(qi, 0.0) + np.log1p(np.exp(-abs(qi))))


@kernel
def log_sum_exp(a):
    """log sum_i e^{a_i}, shifted by the max so it never overflows."""
    top = a.max()
    total = 0.0
    for i in range(a.shape[0]):
        total += np.exp(a[i] - top)
    return top + np.log(total)


@kernel
def step_weights(q, loss_code, normalized, g):
    """g_i = |l'(q_i)| / sum_k l(q_k) (normalized GD) or |l'(q_i)| / n (plain GD).

    The GD step on L = (1/n) sum_i l(q_i) is then theta += lr * sum_i g_i y_i dN(x_i).
    Computed in the log domain so it neither overflows nor divides 0 by 0; weights
    below ``FLUSH_BELOW`` are set to 0. Returns log L.
    """
    n = q.shape[0]
    log_terms = np.empty(n)
    log_loss_terms(q, loss_code, log_terms)
    log_total = log_sum_exp(log_terms)
    log_slopes = np.empty(n)
    log_loss_slopes(q, loss_code, log_slopes)
    denom = log_total if normalized else np.log(n)
    for i in range(n):
        e = log_slopes[i] - denom
        g[i] = np.exp(e) if e > LOG_FLUSH else 0.0
    return log_total - np.log(n)


@kernel
def margins_and_weights(Zt, rule, g):
    """q_i = y_i N_i from pre-activations, then the step weights g (``step_weights``).

    Returns (log L, min_i q_i) at the current iterate.
    """
    out = np.empty(Zt.shape[1])
    model_outputs(Zt, rule.v, rule.is_relu, out)
    q = rule.y * out
    return step_weights(q, rule.loss_code, rule.normalized, g), q.min()


@kernel
def add_step(Zt, rule, g, A, C):
    """A += C with C_ji = lr g_i y_i v_j sigma'(Zt_ji), the GD step W += C X.

    sigma'(0) := 0 (docs/theory.md §3.1). C is written too when it has A's shape (primal path).
    """
    m, n = Zt.shape
    v, is_relu = rule.v, rule.is_relu      # locals: no tuple access inside the loops
    keep = C.shape[0] == m
    step = rule.lr * g * rule.y
    for j in range(m):
        vj = v[j]
        for i in range(n):
            slope = 1.0 if (not is_relu or Zt[j, i] > 0.0) else 0.0
            c = vj * step[i] * slope
            A[j, i] += c
            if keep:
                C[j, i] = c


@kernel
def record_due(rec, t, ptr):
    """True when step t is the next one to record."""
    return ptr < rec.steps.shape[0] and rec.steps[ptr] == t


@kernel
def record_state(rec, ptr, t, log_loss, min_margin, sq_norm, A):
    """Write row ``ptr`` of rec.hist = [step, log L, min q, ||W||] (and A to rec.snaps)."""
    rec.hist[ptr, 0] = t
    rec.hist[ptr, 1] = log_loss
    rec.hist[ptr, 2] = min_margin
    rec.hist[ptr, 3] = np.sqrt(max(sq_norm, 0.0))
    if rec.snaps.shape[0] > ptr:
        rec.snaps[ptr] = A
    return ptr + 1


@kernel
def train_gd_gram(data, rule, A, t0, n_steps, rec, ptr):
    """A <- A + C(Z0t + A K) for n_steps GD steps in Gram space; returns the next ptr.

    Parameters
    ----------
    data : GramData (K, Z0t, w0_sq)
    rule : GDRule (labels, output weights, model, loss, optimizer, lr)
    A : ndarray (m, n), float64, coefficients of W = W_0 + A X, updated in place
    t0, n_steps : int, global index of the first step, number of steps
    rec : Recording (steps to record, history rows, snapshots of A)
    ptr : int, the next row of rec.hist to write
    """
    m, n = A.shape
    K, Z0t = data.K, data.Z0t
    no_C = np.empty((0, 0))
    Zt = np.empty((m, n))
    g = np.empty(n)
    for t in range(t0, t0 + n_steps + 1):
        due = record_due(rec, t, ptr)
        if t == t0 + n_steps and not due:
            break
        np.dot(A, K, Zt)
        Zt += Z0t
        log_loss, min_margin = margins_and_weights(Zt, rule, g)
        if due:   # ||W||² = ||W0||² + <A, Z0t + Zt>, only when recorded
            ptr = record_state(rec, ptr, t, log_loss, min_margin,
                               data.w0_sq + np.sum(A * (Z0t + Zt)), A)
        if t == t0 + n_steps:
            break
        add_step(Zt, rule, g, A, no_C)
    return ptr


@kernel
def train_gd_primal(data, rule, A, t0, n_steps, rec, ptr):
    """W <- W + C(W Xᵀ) X and A <- A + C for n_steps GD steps; returns the next ptr.

    Same iterates as ``train_gd_gram`` at O(n d m) a step; ``data`` is a PrimalData
    (X, its transpose, W updated in place), the other arguments as there.
    """
    m, n = A.shape
    X, XT, W = data.X, data.XT, data.W
    C = np.empty((m, n))
    Zt = np.empty((m, n))
    g = np.empty(n)
    dW = np.empty(W.shape)
    for t in range(t0, t0 + n_steps + 1):
        due = record_due(rec, t, ptr)
        if t == t0 + n_steps and not due:
            break
        np.dot(W, XT, Zt)
        log_loss, min_margin = margins_and_weights(Zt, rule, g)
        if due:
            ptr = record_state(rec, ptr, t, log_loss, min_margin, np.sum(W * W), A)
        if t == t0 + n_steps:
            break
        add_step(Zt, rule, g, A, C)
        np.dot(C, X, dW)
        W += dW
    return ptr
