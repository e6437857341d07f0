"""Plain NumPy "twins" of the numeric core, written from docs/theory.md §2-3.

Nothing here imports ``core``: every function is the formula of the design, computed
the obvious way in primal space (explicit W, explicit stationarity columns), so that the
tests compare the Numba/Gram-space code against an independent reference.

Conventions (docs/theory.md §2): X (n, d) rows x_i, y (n,) in {-1, +1}, W (m, d) rows w_j, v (m,);
the linear model is m = 1, v = [1], identity activation.
"""
import itertools

import numpy as np
from scipy.optimize import nnls
from scipy.special import logsumexp

FLUSH_BELOW = 1e-250      # docs/theory.md §3.2: loss weights below this are flushed to 0


# ------------------------------------------------------------------ models (docs/theory.md §3.1)

def output_weights(width):
    """v_j = +1/sqrt(m) for j < m/2, -1/sqrt(m) otherwise."""
    return np.array([(1.0 if j < width / 2 else -1.0) / np.sqrt(width) for j in range(width)])


def explicit(model, W0, X):
    """W = s0 W0 + A X of a GramModel, written out (m, d)."""
    return model.s0 * W0 + model.A @ X


def preacts(W, X):
    """Z_ij = <w_j, x_i>, shape (n, m)."""
    return X @ W.T


def forward(W, X, v, is_relu):
    """N(W; x_i) = sum_j v_j sigma(<w_j, x_i>), sigma = max(0, .) or the identity."""
    Z = preacts(W, X)
    return (np.maximum(Z, 0.0) if is_relu else Z) @ v


def margins(W, X, y, v, is_relu):
    """q_i = y_i N(W; x_i)."""
    return y * forward(W, X, v, is_relu)


def activation_slopes(W, X, is_relu):
    """sigma'(<w_j, x_i>) with sigma'(0) := 0, shape (n, m)."""
    Z = preacts(W, X)
    return (Z > 0).astype(float) if is_relu else np.ones_like(Z)


def output_gradient(W, x, v, is_relu):
    """dN/dw_j = v_j sigma'(<w_j, x>) x, shape (m, d)."""
    slope = activation_slopes(W, x[None, :], is_relu)[0]
    return (v * slope)[:, None] * x[None, :]


# ------------------------------------------------------------------ losses (docs/theory.md §3.2)

def loss(q, kind):
    """l(q) = e^{-q} or log(1 + e^{-q})."""
    q = np.asarray(q, dtype=float)
    return np.exp(-q) if kind == "exp" else np.logaddexp(0.0, -q)


def log_loss(q, kind):
    """log l(q) in float64, finite for every finite q.

    Logistic, q > 0: log log(1 + t) = -q + log(log1p(t) / t) with t = e^{-q} in (0, 1],
    and log1p(t) / t -> 1 when t underflows.
    """
    q = np.asarray(q, dtype=float)
    if kind == "exp":
        return -q
    t = np.exp(-np.abs(q))
    with np.errstate(divide="ignore", invalid="ignore"):     # np.where evaluates both sides
        ratio = np.where(t > 0, np.log1p(t) / t, 1.0)
        return np.where(q > 0, -q + np.log(ratio), np.log(np.logaddexp(0.0, -q)))


def log_slope(q, kind):
    """log |l'(q)|: -q, or log(1 / (1 + e^q)) = -log(1 + e^q)."""
    q = np.asarray(q, dtype=float)
    return -q if kind == "exp" else -np.logaddexp(0.0, q)


def log_loss_longdouble(q, kind):
    """log l(q) in extended precision: exact to float64 rounding for |q| <~ 10^4."""
    q = np.asarray(q, dtype=np.longdouble)
    return -q if kind == "exp" else np.log(np.log1p(np.exp(-q)))


def log_slope_longdouble(q, kind):
    """log |l'(q)| in extended precision."""
    q = np.asarray(q, dtype=np.longdouble)
    return -q if kind == "exp" else -np.log1p(np.exp(q))


def empirical_loss(W, X, y, v, is_relu, kind):
    """L(W) = (1/n) sum_i l(q_i)."""
    return float(np.mean(loss(margins(W, X, y, v, is_relu), kind)))


def step_weights(q, kind, normalized):
    """g_i with W_{t+1} = W_t + lr sum_i g_i y_i dN(W_t; x_i), and log L.

    Plain GD: W - lr grad L, grad L = -(1/n) sum_i |l'(q_i)| y_i dN, so g_i = |l'(q_i)| / n.
    Normalized GD: W - (lr / L) grad L, so g_i = |l'(q_i)| / sum_k l(q_k).
    Computed from logs (l itself underflows late in training); weights < 1e-250 -> 0.
    """
    n = q.shape[0]
    log_total = logsumexp(log_loss(q, kind))
    log_g = log_slope(q, kind) - (log_total if normalized else np.log(n))
    g = np.exp(log_g)
    g[log_g <= np.log(FLUSH_BELOW)] = 0.0
    return g, log_total - np.log(n)


def gd_step_direction(W, X, y, v, is_relu, kind, normalized, lr):
    """W_{t+1} - W_t = lr sum_i g_i y_i v_j sigma'(<w_j, x_i>) x_i (rows j)."""
    g, _ = step_weights(margins(W, X, y, v, is_relu), kind, normalized)
    D = activation_slopes(W, X, is_relu)                     # (n, m)
    coef = lr * (g * y)[:, None] * D * v[None, :]            # (n, m)
    return coef.T @ X


def gd(X, y, W0, v, is_relu, kind, normalized, lr, steps):
    """Primal GD from W0 for ``steps`` steps.

    Returns the iterates W_0 .. W_steps (steps + 1, m, d) and the history rows
    (t, log L, min q, ||W_t||_F), t = 0 .. steps.
    """
    W = np.array(W0, dtype=float, copy=True)
    path, history = [], []
    for t in range(steps + 1):
        q = margins(W, X, y, v, is_relu)
        _, log_L = step_weights(q, kind, normalized)
        path.append(W)
        history.append((t, log_L, q.min(), np.linalg.norm(W)))
        if t == steps:
            break
        W = W + gd_step_direction(W, X, y, v, is_relu, kind, normalized, lr)
    return np.array(path), np.array(history)


# ------------------------------------------------------------------ certificate (3.3-3.5)

def kink_and_active(W, X, is_relu, kink_tol, in_R):
    """kink_ji: |cos(w_j, x_i)| <= kappa (ReLU, i in R); active_ji: sigma' = 1 outside the band.

    Shapes (m, n). The linear model has no kinks and every pair active.
    """
    Z = preacts(W, X).T                                       # (m, n)
    if not is_relu:
        return np.zeros(Z.shape, bool), np.ones(Z.shape, bool) & in_R[None, :]
    cos = Z / np.outer(np.linalg.norm(W, axis=1), np.linalg.norm(X, axis=1))
    kink = (np.abs(cos) <= kink_tol) & in_R[None, :]
    active = (Z > 0) & ~kink & in_R[None, :]
    return kink, active


def stationarity_columns(W, X, y, v, kink, active, lam_ok):
    """Explicit columns of theta = sum_i lam_i y_i dN(x_i) + sum_(j,i) mu_ji ..., flattened.

    lam column of point i: block j = v_j y_i active_ji x_i; mu column of a kink pair
    (j, i): block j = v_j y_i x_i, other blocks 0. Returns (M (m*d, p), lam points,
    list of pairs (j, i)), lam columns first in point order, then pairs row by row.
    """
    m, d = W.shape
    n = X.shape[0]
    cols, lam_points, pairs = [], [], []
    for i in range(n):
        if lam_ok[i]:
            block = (v * y[i] * active[:, i])[:, None] * X[i][None, :]
            cols.append(block.ravel())
            lam_points.append(i)
    for j in range(m):
        for i in range(n):
            if kink[j, i] and lam_ok[i]:
                block = np.zeros((m, d))
                block[j] = v[j] * y[i] * X[i]
                cols.append(block.ravel())
                pairs.append((j, i))
    M = np.column_stack(cols) if cols else np.zeros((m * d, 0))
    return M, np.array(lam_points, dtype=int), pairs


def bounded_nnls(M, b, lam_points, pairs):
    """argmin ||M x - b|| over lam >= 0, 0 <= mu_ji <= lam_i (x = lam then pair mu's, the
    layout of ``stationarity_columns``) by scipy.optimize.nnls over the generators of that
    cone: {0 <= mu_a <= lam} is spanned by e_lam + sum_{a in S} e_mu_a for every subset S
    of the point's kink pairs (sort the mu's: the telescoping coefficients are >= 0), so
    2^(kink pairs of i) columns per point i. A point with a zero lam column (no active
    neuron) gets the smallest optimal lam_i, max_j mu_ji. Returns (x, eps).
    """
    p_d = len(lam_points)
    cols, members = [], []
    for c, i in enumerate(lam_points):
        own = [p_d + a for a, (_, k) in enumerate(pairs) if k == i]
        assert len(own) <= 12, "too many kink pairs per point for the generator NNLS"
        for size in range(len(own) + 1):
            for S in itertools.combinations(own, size):
                cols.append(M[:, c] + M[:, list(S)].sum(axis=1))
                members.append((c, S))
    G = np.column_stack(cols) if cols else np.zeros((M.shape[0], 0))
    coef, eps = nnls(G, b, maxiter=100 * max(len(cols), 1))
    x = np.zeros(M.shape[1])
    for value, (c, S) in zip(coef, members):
        x[c] += value
        x[list(S)] += value
    for c in np.nonzero(~np.any(M[:, :p_d], axis=0))[0]:
        own = [p_d + a for a, (_, k) in enumerate(pairs) if k == lam_points[c]]
        x[c] = x[own].max() if own else 0.0
    return x, eps


def certificate(W, X, y, v, is_relu, index=None, kink_tol=0.03, rescale=True,
                active_tol=None, mu_bound=False):
    """Dual recovery by scipy.optimize.nnls on the explicit stationarity system
    (``mu_bound``: with mu_ji <= lam_i, by ``bounded_nnls``).

    Returns a dict: W (the evaluated, rescaled model), q, lam (n,), mu (m, n), kink,
    active, eps, eps_rel, delta, tau, support.
    """
    n = X.shape[0]
    index = np.arange(n) if index is None else np.sort(np.asarray(index))
    in_R = np.zeros(n, bool)
    in_R[index] = True
    W = np.array(W, dtype=float)
    if rescale:
        W = W / margins(W, X, y, v, is_relu)[index].min()
    q = margins(W, X, y, v, is_relu)
    kink, active = kink_and_active(W, X, is_relu, kink_tol, in_R)
    lam_ok = in_R.copy()
    if active_tol is not None:
        lam_ok &= q <= 1.0 + active_tol
    M, lam_points, pairs = stationarity_columns(W, X, y, v, kink, active, lam_ok)
    if mu_bound:
        x, eps = bounded_nnls(M, W.ravel(), lam_points, pairs)
    else:
        x, eps = nnls(M, W.ravel(), maxiter=50 * max(M.shape[1], 1))
    lam = np.zeros(n)
    lam[lam_points] = x[:len(lam_points)]
    mu = np.zeros(W.shape[0:1] + (n,))
    for (j, i), value in zip(pairs, x[len(lam_points):]):
        mu[j, i] = value
    residual = W.ravel() - M @ x
    return dict(W=W, q=q, lam=lam, mu=mu, kink=kink, active=active, eps=float(eps),
                residual_norm=float(np.linalg.norm(residual)),
                eps_rel=float(eps / np.linalg.norm(W)),
                delta=float(max(0.0, np.max(lam[index] * (q[index] - 1.0)))),
                tau=float(max(0.0, 1.0 - q[index].min())),
                support=lam > 1e-6 * lam.max())


def ga_step(W_hat, X, y, v, is_relu, lam, forget, scale):
    """W- = W^ - c sum_{l in F} lam_l y_l dN(W^; x_l)  (docs/theory.md §3.6, sigma'(0) := 0)."""
    W = np.array(W_hat, dtype=float, copy=True)
    for l in forget:
        W -= scale * lam[l] * y[l] * output_gradient(W_hat, X[l], v, is_relu)
    return W


def cosine(a, b):
    a, b = np.ravel(a), np.ravel(b)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def svm_dual(X, y):
    """Hard-margin SVM without bias, w = sum_i a_i y_i x_i, from its dual
    min 1/2 aᵀGa - sum a over a >= 0, G = Y Yᵀ, Y = diag(y) X, for n < d (G invertible).

    With b = Yᵀ G⁻¹ 1 (so that Y b = 1), ||Yᵀa - b||² = aᵀGa - 2 sum a + const: the dual is
    scipy's active-set NNLS of Yᵀ against b, exact to rounding.
    """
    Y = y[:, None] * X
    assert Y.shape[0] < Y.shape[1], "svm_dual needs n < d"
    b = Y.T @ np.linalg.solve(Y @ Y.T, np.ones(len(y)))
    a, _ = nnls(Y.T, b, maxiter=100 * len(y))
    return Y.T @ a


def gaussian_data(n, d, seed):
    """x_i ~ N(0, I_d / d), labels a random permutation of ceil(n/2) +1 and floor(n/2) -1."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) / np.sqrt(d)
    y = rng.permutation(np.where(np.arange(n) < (n + 1) // 2, 1.0, -1.0))
    return X, y


def relu_init(m, d, scale, seed):
    """W_0 entries N(0, scale^2 / d)."""
    return np.random.default_rng(seed).normal(0.0, scale / np.sqrt(d), size=(m, d))


# The built-in methods in display order and their labels, written out here (not read from
# core.registry) so that a test compares the registry with an independent list.
BUILTIN_METHODS = ("ga", "ga_steps", "neggrad_plus", "finetune", "random_label", "newton",
                   "do_nothing", "retrain", "exact")
BUILTIN_LABELS = {"ga": "GA (one step)", "ga_steps": "GA (k steps)", "neggrad_plus": "NegGrad+",
                  "finetune": "fine-tune on R", "random_label": "random labels",
                  "newton": "Newton step", "do_nothing": "do nothing", "retrain": "retrain",
                  "exact": "exact SVM"}
DEFAULT_METHODS = ("ga", "do_nothing", "retrain", "exact")
