"""Numba kernels for KKT certificates and the exact SVM (docs/theory.md §3.4-3.5, 3.7).

The solver minimises 1/2 xᵀGx - hᵀx over x >= 0. With G = MᵀM and h = Mᵀb this is
non-negative least squares min ||Mx - b|| in normal-equation form, whose size does not
depend on d; with G = diag(y) K diag(y) and h = 1 it is the hard-margin SVM dual.

For the Clarke certificate x = (lam, mu) and G has a structure worth keeping: a dense
lam-lam part D (p_d x p_d), a coupling C (p_m x p_d), and a mu-mu part that is block
diagonal by neuron (kink pairs of different neurons are orthogonal). Only those parts
are stored (blocks flattened in ``B_flat``), so memory is O(p_d p_m + sum b_j²) rather
than O(p²), a coordinate step on mu_ji costs O(p_d + b_j), and the exact solve on the
support eliminates the blocks by Schur complement.
"""
import numpy as np
from numba import njit

kernel = njit(cache=True, nogil=True)

NNLS_CONVERGED = 0      # projected-gradient KKT conditions hold to tol
NNLS_MAX_SWEEPS = 1     # stopped at max_sweeps; x is feasible but not optimal to tol
NNLS_UNBOUNDED = 2      # x runs along a ray where the objective falls without bound
NNLS_STALLED = 3        # objective stopped falling (to STALL_TOL) before the KKT test
                        # passed: a degenerate problem (n >= d), x optimal to rounding
STALL_TOL = 1e-13       # relative decrease of the objective over POLISH_EVERY sweeps
POLISH_EVERY = 10       # coordinate sweeps between attempts at an exact solve
UNBOUNDED_RATIO = 1e4   # ray test: 1-D minimiser along x/|x| beyond 1e4 |x|


@kernel
def kkt_violation(x, grad):
    """max_k |projected gradient|_k for x >= 0: |g_k| if x_k > 0 else max(0, -g_k)."""
    worst = 0.0
    for k in range(x.shape[0]):
        viol = abs(grad[k]) if x[k] > 0.0 else max(0.0, -grad[k])
        worst = max(worst, viol)
    return worst


@kernel
def cholesky_factor(G):
    """Lower L with L Lᵀ = G (LAPACK); returns (L, ok), ok False if G is not PD."""
    try:
        return np.linalg.cholesky(G), True
    except Exception:  # not positive definite: the caller keeps its iterate
        return np.zeros((0, 0)), False


@kernel
def cholesky_solve(L, rhs):
    """x with L Lᵀ x = rhs, by forward then back substitution."""
    p = L.shape[0]
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
    return x


@kernel
def block_entry(B_flat, B_off, block_start, b, r, c):
    """Entry (r, c) (indices within block b) of the mu-mu block b."""
    size = block_start[b + 1] - block_start[b]
    return B_flat[B_off[b] + r * size + c]


@kernel
def structured_gradient(D, C, B_flat, B_off, block_start, h, x):
    """G x - h for G = [[D, Cᵀ], [C, blockdiag(B)]]."""
    p_d = D.shape[0]
    grad = -h.copy()
    x_d, x_m = x[:p_d], x[p_d:]
    grad[:p_d] += np.dot(D, x_d) + np.dot(C.T, x_m)
    grad[p_d:] += np.dot(C, x_d)
    for b in range(block_start.shape[0] - 1):
        s0, s1 = block_start[b], block_start[b + 1]
        for r in range(s0, s1):
            acc = 0.0
            for c in range(s0, s1):
                acc += block_entry(B_flat, B_off, block_start, b, r - s0, c - s0) * x_m[c]
            grad[p_d + r] += acc
    return grad


@kernel
def polish_on_support(D, C, B_flat, B_off, block_start, h, x, tol_abs):
    """Solve G_PP z = h_P on P = {x > 0} by Schur complement over the mu blocks.

    Returns (z embedded, ok), ok when z > 0 and the KKT conditions hold to tol_abs.
    """
    p_d = D.shape[0]
    x_new = np.zeros(x.shape[0])
    P_d = np.nonzero(x[:p_d] > 0.0)[0]
    n_d = P_d.shape[0]
    S = np.empty((n_d, n_d))
    for a in range(n_d):
        for c in range(n_d):
            S[a, c] = D[P_d[a], P_d[c]]
    r = h[P_d].copy()
    Y = np.zeros((C.shape[0], n_d))      # rows of G_bb^-1 G_bd for support mu's
    y_m = np.zeros(C.shape[0])
    for b in range(block_start.shape[0] - 1):
        s0, s1 = block_start[b], block_start[b + 1]
        P_b = s0 + np.nonzero(x[p_d + s0:p_d + s1] > 0.0)[0]
        n_b = P_b.shape[0]
        if n_b == 0:
            continue
        G_bb = np.empty((n_b, n_b))
        for a in range(n_b):
            for c in range(n_b):
                G_bb[a, c] = block_entry(B_flat, B_off, block_start, b, P_b[a] - s0, P_b[c] - s0)
        L, ok = cholesky_factor(G_bb)
        if not ok:
            return x_new, False
        G_bd = np.empty((n_b, n_d))
        for a in range(n_b):
            for c in range(n_d):
                G_bd[a, c] = C[P_b[a], P_d[c]]
        y_b = cholesky_solve(L, h[p_d + P_b])
        for c in range(n_d):
            Y_col = cholesky_solve(L, np.ascontiguousarray(G_bd[:, c]))
            for a in range(n_b):
                Y[P_b[a], c] = Y_col[a]
        for a in range(n_b):
            y_m[P_b[a]] = y_b[a]
        S -= np.dot(G_bd.T, np.ascontiguousarray(Y[P_b]))
        r -= np.dot(G_bd.T, y_b)
    if n_d > 0:
        L, ok = cholesky_factor(S)
        if not ok:
            return x_new, False
        x_d = cholesky_solve(L, r)
        x_new[P_d] = x_d
    else:
        x_d = np.zeros(0)
    P_m = np.nonzero(x[p_d:] > 0.0)[0]
    for a in P_m:
        x_new[p_d + a] = y_m[a] - np.dot(Y[a], x_d)
    support = np.nonzero(x > 0.0)[0]
    if support.shape[0] == 0 or x_new[support].min() <= 0.0:
        return x_new, False
    grad = structured_gradient(D, C, B_flat, B_off, block_start, h, x_new)
    return x_new, kkt_violation(x_new, grad) <= tol_abs


@kernel
def runs_to_infinity(x, grad, h):
    """True when f(t u) = 1/2 t² uᵀGu - t hᵀu, u = x/|x|, has its minimiser t* = hᵀu / uᵀGu
    beyond UNBOUNDED_RATIO |x|: coordinate descent on an unbounded problem grows x
    linearly along a ray with uᵀGu -> 0. At a bounded optimum x*, t* = |x*| exactly
    (x*ᵀ(Gx* - h) = 0), so the test never fires there.
    """
    nx = np.sqrt(np.dot(x, x))
    if nx == 0.0:
        return False
    curvature = np.dot(x, grad + h) / nx ** 2     # uᵀGu, since grad + h = G x
    slope = np.dot(h, x) / nx
    return slope > 0.0 and slope > UNBOUNDED_RATIO * nx * max(curvature, 0.0)


@kernel
def nnls_blocks(D, C, B_flat, B_off, block_start, h, tol, max_sweeps, check_unbounded):
    """x = argmin_{x >= 0} 1/2 xᵀGx - hᵀx, G = [[D, Cᵀ], [C, blockdiag(B)]].

    Projected coordinate descent finds the support; every ``POLISH_EVERY`` sweeps an
    exact solve on the support is tried and accepted when it satisfies the KKT
    conditions, so in the well-conditioned regime the answer is exact to rounding.

    Parameters
    ----------
    D : ndarray (p_d, p_d), dense part;  C : ndarray (p_m, p_d), coupling
    B_flat, B_off, block_start : the mu-mu blocks (block b covers mu indices
        block_start[b]:block_start[b+1], stored row-major from B_flat[B_off[b]])
    h : ndarray (p_d + p_m,);  tol : relative tolerance (scaled by max|h|);  max_sweeps : int
    check_unbounded : bool; test for a ray of unbounded descent (never needed for least
        squares, where h lies in the range of G; needed for the SVM dual)

    Returns
    -------
    x : ndarray;  status : int (NNLS_*);  sweeps : int;  violation : float
    """
    p_d, p = D.shape[0], h.shape[0]
    CT = np.ascontiguousarray(C.T)
    x = np.zeros(p)
    grad = -h.copy()
    scale = max(np.abs(h).max() if p > 0 else 0.0, 1e-300)
    tol_abs = tol * scale
    objective = 0.0
    for sweep in range(1, max_sweeps + 1):
        for k in range(p_d):
            if D[k, k] <= 0.0:
                continue
            new = max(0.0, x[k] - grad[k] / D[k, k])
            delta = new - x[k]
            if delta != 0.0:
                x[k] = new
                grad[:p_d] += delta * D[k]
                grad[p_d:] += delta * CT[k]
        for b in range(block_start.shape[0] - 1):
            s0, s1 = block_start[b], block_start[b + 1]
            for a in range(s0, s1):
                gaa = block_entry(B_flat, B_off, block_start, b, a - s0, a - s0)
                k = p_d + a
                if gaa <= 0.0:
                    continue
                new = max(0.0, x[k] - grad[k] / gaa)
                delta = new - x[k]
                if delta != 0.0:
                    x[k] = new
                    grad[:p_d] += delta * C[a]
                    for r in range(s0, s1):
                        grad[p_d + r] += delta * block_entry(B_flat, B_off, block_start,
                                                             b, r - s0, a - s0)
        violation = kkt_violation(x, grad)
        if violation <= tol_abs:
            return x, NNLS_CONVERGED, sweep, violation
        if sweep % POLISH_EVERY == 0:
            if check_unbounded and runs_to_infinity(x, grad, h):
                return x, NNLS_UNBOUNDED, sweep, violation
            x_exact, ok = polish_on_support(D, C, B_flat, B_off, block_start, h, x, tol_abs)
            if ok:
                grad = structured_gradient(D, C, B_flat, B_off, block_start, h, x_exact)
                return x_exact, NNLS_CONVERGED, sweep, kkt_violation(x_exact, grad)
            previous, objective = objective, 0.5 * np.dot(x, grad - h)   # 1/2 xᵀGx - hᵀx
            if not check_unbounded and previous - objective <= STALL_TOL * abs(objective):
                return x, NNLS_STALLED, sweep, violation
    return x, NNLS_MAX_SWEEPS, max_sweeps, kkt_violation(x, grad)


@kernel
def nnls_gram(G, h, tol, max_sweeps):
    """x = argmin_{x >= 0} 1/2 xᵀGx - hᵀx for a dense PSD G (``nnls_blocks``, no blocks),
    reporting NNLS_UNBOUNDED when the objective has no minimum.
    """
    empty_int = np.zeros(1, dtype=np.int64)
    return nnls_blocks(G, np.zeros((0, G.shape[0])), np.zeros(0), empty_int, empty_int,
                       h, tol, max_sweeps, True)


@kernel
def clarke_lambda_part(Zt, K, y, v, act, lam_index):
    """D[a, b] = y_i y_k K_ik sum_j v_j² a_ji a_jk and h_a = y_i sum_j v_j a_ji Zt_ji for
    the lam unknowns (i = lam_index[a], k = lam_index[b]).
    """
    m = Zt.shape[0]
    p_d = lam_index.shape[0]
    act_l = np.ascontiguousarray(act[:, lam_index])
    shared = np.dot(act_l.T * (v * v).reshape(1, m), act_l)
    D = np.empty((p_d, p_d))
    h = np.zeros(p_d)
    for a in range(p_d):
        i = lam_index[a]
        for j in range(m):
            h[a] += v[j] * y[i] * act[j, i] * Zt[j, i]
        for b in range(p_d):
            k = lam_index[b]
            D[a, b] = y[i] * y[k] * K[i, k] * shared[a, b]
    return D, h


@kernel
def clarke_mu_part(Zt, K, y, v, act, lam_index, pair_j, pair_i):
    """Coupling C[(j, i), b] = v_j² y_i y_k a_jk K_ik (k = lam_index[b]), the per-neuron
    blocks B_j[(j, i), (j, k)] = v_j² y_i y_k K_ik and h = v_j y_i Zt_ji of the mu unknowns
    (pairs sorted by neuron j).
    """
    p_m, p_d = pair_j.shape[0], lam_index.shape[0]
    starts = [0]
    for a in range(1, p_m):
        if pair_j[a] != pair_j[a - 1]:
            starts.append(a)
    block_start = np.array(starts + [p_m] if p_m > 0 else [0], dtype=np.int64)
    n_blocks = block_start.shape[0] - 1
    B_off = np.zeros(n_blocks + 1, dtype=np.int64)
    for b in range(n_blocks):
        B_off[b + 1] = B_off[b] + (block_start[b + 1] - block_start[b]) ** 2
    C = np.empty((p_m, p_d))
    B_flat = np.empty(B_off[n_blocks])
    h = np.empty(p_m)
    for b in range(n_blocks):
        s0, s1 = block_start[b], block_start[b + 1]
        for a in range(s0, s1):
            j, i = pair_j[a], pair_i[a]
            vv = v[j] * v[j]
            h[a] = v[j] * y[i] * Zt[j, i]
            for c in range(p_d):
                k = lam_index[c]
                C[a, c] = vv * y[i] * y[k] * act[j, k] * K[i, k]
            for c in range(s0, s1):
                k = pair_i[c]
                B_flat[B_off[b] + (a - s0) * (s1 - s0) + (c - s0)] = vv * y[i] * y[k] * K[i, k]
    return C, B_flat, B_off, block_start, h


@kernel
def clarke_system(Zt, K, y, v, is_relu, kink, lam_ok):
    """Normal equations of min ||W - sum_i y_i (lam_i a_ji + mu_ji k_ji) v_j x_i|| (docs/theory.md §3.5).

    Unknowns: lam_i for points with lam_ok[i], then mu_ji for kink pairs (k_ji) of those
    points, grouped by neuron j; a_ji = 1[Zt_ji > 0 and not kink] (identity model: a = 1,
    no kinks). G = [[D, Cᵀ], [C, blockdiag(B_j)]] and h = <W, column>, from Zt = W Xᵀ.

    Returns
    -------
    D, C, B_flat, B_off, block_start, h, lam_index (p_d,), pair_j, pair_i (p_m,)
    """
    m, n = Zt.shape
    act = np.zeros((m, n))
    for j in range(m):
        for i in range(n):
            if (not is_relu) or (Zt[j, i] > 0.0 and not kink[j, i]):
                act[j, i] = 1.0
    lam_index = np.nonzero(lam_ok)[0]
    pair_j, pair_i = np.nonzero(kink & lam_ok.reshape(1, n))   # row-major: sorted by j
    D, h_d = clarke_lambda_part(Zt, K, y, v, act, lam_index)
    C, B_flat, B_off, block_start, h_m = clarke_mu_part(Zt, K, y, v, act, lam_index,
                                                        pair_j, pair_i)
    h = np.concatenate((h_d, h_m))
    return D, C, B_flat, B_off, block_start, h, lam_index, pair_j, pair_i
