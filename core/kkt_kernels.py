"""Numba kernel of the Clarke certificate's normal equations (docs/theory.md §3.4-3.5).

Unknowns x = (lam, mu): lam_i for the points allowed to carry one, mu_ji for the kink
pairs (j, i) of those points, grouped by neuron. The stationarity residual
||W - sum_i y_i (lam_i a_ji + mu_ji) v_j x_i|| has normal equations G x = h whose parts
all come from Ky = diag(y) K diag(y), the slopes a_ji and v (``core.nnls_kernels.BlockGram``),
so nothing of size (pairs x points) is ever stored; ``core.nnls_kernels.nnls_blocks``
solves them.
"""
import numpy as np

from core.jit import kernel
from core.nnls_kernels import BlockGram


@kernel
def clarke_system(Zt, K, y, v, is_relu, kink, lam_ok):
    """G and h of min ||W - sum_i y_i (lam_i a_ji + mu_ji) v_j x_i|| as a BlockGram.

    a_ji = 1[Zt_ji > 0 and not kink_ji] (identity model: a = 1, no kinks). With lam
    unknowns l (points lam_index[l]) and mu unknowns a = (j, l):
    D[l, c] = Ky_lc sum_j v_j² a_jl a_jc, h_l = y_i sum_j v_j a_ji Zt_ji,
    h_a = v_j y_i Zt_ji, C[a, c] = v_j² Ky_lc a_jc, B_j[a, b] = v_j² Ky_ll'.

    Parameters
    ----------
    Zt : ndarray (m, n), pre-activations W Xᵀ;  K : ndarray (n, n), X Xᵀ;  y, v
    is_relu : bool;  kink : ndarray (m, n) bool;  lam_ok : ndarray (n,) bool

    Returns
    -------
    BlockGram
    """
    m, n = Zt.shape
    lam_index = np.nonzero(lam_ok)[0]
    p_d = lam_index.shape[0]
    position = np.full(n, -1, dtype=np.int64)
    position[lam_index] = np.arange(p_d)
    act = np.zeros((m, p_d))
    h_d = np.zeros(p_d)
    for j in range(m):
        for c in range(p_d):
            i = lam_index[c]
            if (not is_relu) or (Zt[j, i] > 0.0 and not kink[j, i]):
                act[j, c] = 1.0
                h_d[c] += v[j] * y[i] * Zt[j, i]
    K_l = np.ascontiguousarray(K[lam_index][:, lam_index])
    Ky = 0.5 * (K_l + K_l.T) * np.outer(y[lam_index], y[lam_index])   # exactly symmetric
    vv = v * v
    D = Ky * np.dot(act.T, vv.reshape(m, 1) * act)
    pair_j, pair_i = np.nonzero(kink & lam_ok.reshape(1, n))   # row-major: sorted by j
    p_m = pair_j.shape[0]
    h = np.empty(p_d + p_m)
    h[:p_d] = h_d
    starts = [0]
    for a in range(p_m):
        h[p_d + a] = v[pair_j[a]] * y[pair_i[a]] * Zt[pair_j[a], pair_i[a]]
        if a > 0 and pair_j[a] != pair_j[a - 1]:
            starts.append(a)
    block_start = np.array(starts + [p_m] if p_m > 0 else [0], dtype=np.int64)
    return BlockGram(D, Ky, act, vv, h, block_start, pair_j, position[pair_i], lam_index,
                     pair_i)
