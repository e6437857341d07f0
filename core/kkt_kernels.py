"""Numba kernels for KKT certificates and the exact SVM (DESIGN 3.4-3.5, 3.7).

``nnls_gram`` minimises 1/2 xᵀGx - hᵀx over x >= 0. With G = MᵀM and h = Mᵀb this is
non-negative least squares min ||Mx - b|| in normal-equation form, whose size does not
depend on d; with G = diag(y) K diag(y) and h = 1 it is the hard-margin SVM dual.
"""
import numpy as np
from numba import njit

kernel = njit(cache=True, nogil=True)

NNLS_CONVERGED = 0      # projected-gradient KKT conditions hold to tol
NNLS_MAX_SWEEPS = 1     # stopped at max_sweeps; x is feasible but not optimal to tol
NNLS_UNBOUNDED = 2      # x grew without bound: the objective is unbounded below
POLISH_EVERY = 10       # coordinate sweeps between attempts at an exact solve


@kernel
def kkt_violation(x, grad):
    """max_k |projected gradient|_k for x >= 0: |g_k| if x_k > 0 else max(0, -g_k)."""
    worst = 0.0
    for k in range(x.shape[0]):
        viol = abs(grad[k]) if x[k] > 0.0 else max(0.0, -grad[k])
        worst = max(worst, viol)
    return worst


@kernel
def cholesky_solve(G, rhs):
    """x solving G x = rhs by Cholesky (LAPACK); returns (x, ok), ok False if G is not PD."""
    p = G.shape[0]
    try:
        L = np.linalg.cholesky(G)
    except Exception:  # not positive definite: the caller keeps its iterate
        return np.zeros(p), False
    z = np.empty(p)
    for i in range(p):
        s = rhs[i]
        for k in range(i):
            s -= L[i, k] * z[k]
        z[i] = s / L[i, i]
    x = np.empty(p)
    for i in range(p - 1, -1, -1):
        s = z[i]
        for k in range(i + 1, p):
            s -= L[k, i] * x[k]
        x[i] = s / L[i, i]
    return x, True


@kernel
def polish_on_support(G, h, x, tol_abs):
    """Solve G_PP z = h_P on P = {x > 0}; return (z embedded, ok) if z > 0 and KKT hold."""
    support = np.nonzero(x > 0.0)[0]
    p = support.shape[0]
    x_new = np.zeros(x.shape[0])
    if p == 0:
        return x_new, False
    G_pp = np.empty((p, p))
    for a in range(p):
        for b in range(p):
            G_pp[a, b] = G[support[a], support[b]]
    z, ok = cholesky_solve(G_pp, h[support])
    if not ok or z.min() <= 0.0:
        return x_new, False
    x_new[support] = z
    grad = np.dot(G, x_new) - h
    return x_new, kkt_violation(x_new, grad) <= tol_abs


@kernel
def nnls_gram(G, h, tol, max_sweeps):
    """x = argmin_{x >= 0} 1/2 xᵀGx - hᵀx, by projected coordinate descent + exact polish.

    Coordinate descent finds the support; every ``POLISH_EVERY`` sweeps an exact
    Cholesky solve on the support is tried and accepted when it satisfies the KKT
    conditions, so in the well-conditioned regime the answer is exact to rounding.

    Parameters
    ----------
    G : ndarray (p, p), symmetric PSD, C-contiguous
    h : ndarray (p,)
    tol : float, relative tolerance on the projected gradient (scaled by max|h|)
    max_sweeps : int

    Returns
    -------
    x : ndarray (p,);  status : int (NNLS_*);  sweeps : int;  violation : float
    """
    p = h.shape[0]
    x = np.zeros(p)
    grad = -h.copy()
    scale = max(np.abs(h).max() if p > 0 else 0.0, 1e-300)
    tol_abs = tol * scale
    blowup = 1e14 * (1.0 + scale / max(np.abs(np.diag(G)).max() if p > 0 else 1.0, 1e-300))
    for sweep in range(1, max_sweeps + 1):
        for k in range(p):
            gkk = G[k, k]
            if gkk <= 0.0:
                continue
            new = max(0.0, x[k] - grad[k] / gkk)
            delta = new - x[k]
            if delta != 0.0:
                x[k] = new
                for r in range(p):
                    grad[r] += delta * G[r, k]
        violation = kkt_violation(x, grad)
        if violation <= tol_abs:
            return x, NNLS_CONVERGED, sweep, violation
        if x.max() > blowup:
            return x, NNLS_UNBOUNDED, sweep, violation
        if sweep % POLISH_EVERY == 0:
            x_exact, ok = polish_on_support(G, h, x, tol_abs)
            if ok:
                grad = np.dot(G, x_exact) - h
                return x_exact, NNLS_CONVERGED, sweep, kkt_violation(x_exact, grad)
    return x, NNLS_MAX_SWEEPS, max_sweeps, kkt_violation(x, grad)


@kernel
def clarke_system(Zt, K, y, v, is_relu, kink, lam_ok):
    """Normal equations of min ||W - sum_i y_i (lam_i a_ji + mu_ji k_ji) v_j x_i|| (DESIGN 3.5).

    Unknowns: lam_i for points with lam_ok[i], then mu_ji for kink pairs (k_ji) of those
    points; a_ji = 1[Zt_ji > 0 and not kink] (identity model: a = 1, no kinks).
    Entries: <col lam_i, col lam_k> = y_i y_k K_ik sum_j v_j² a_ji a_jk,
    <col lam_i, col mu_jk> = v_j² y_i y_k a_ji K_ik, <col mu_ji, col mu_j'k> =
    [j = j'] v_j² y_i y_k K_ik; right side <W, col> from Zt_ji = <w_j, x_i>.

    Returns
    -------
    G : (p, p);  h : (p,);  lam_index : (p_lam,) point of each lam;  pair_j, pair_i : (p_mu,)
    """
    m, n = Zt.shape
    act = np.zeros((m, n))
    for j in range(m):
        for i in range(n):
            if (not is_relu) or (Zt[j, i] > 0.0 and not kink[j, i]):
                act[j, i] = 1.0
    lam_index = np.nonzero(lam_ok)[0]
    pair_j, pair_i = np.nonzero(kink & lam_ok.reshape(1, n))
    p_lam = lam_index.shape[0]
    p = p_lam + pair_j.shape[0]
    G = np.empty((p, p))
    h = np.zeros(p)
    vv = v * v
    for a in range(p_lam):
        i = lam_index[a]
        for j in range(m):
            h[a] += v[j] * y[i] * act[j, i] * Zt[j, i]
        for b in range(a, p_lam):
            k = lam_index[b]
            s = 0.0
            for j in range(m):
                s += vv[j] * act[j, i] * act[j, k]
            G[a, b] = G[b, a] = y[i] * y[k] * K[i, k] * s
        for b in range(p_lam, p):
            j, k = pair_j[b - p_lam], pair_i[b - p_lam]
            G[a, b] = G[b, a] = vv[j] * y[i] * y[k] * act[j, i] * K[i, k]
    for a in range(p_lam, p):
        j, i = pair_j[a - p_lam], pair_i[a - p_lam]
        h[a] = v[j] * y[i] * Zt[j, i]
        for b in range(a, p):
            j2, k = pair_j[b - p_lam], pair_i[b - p_lam]
            G[a, b] = G[b, a] = vv[j] * y[i] * y[k] * K[i, k] if j == j2 else 0.0
    return G, h, lam_index, pair_j, pair_i
