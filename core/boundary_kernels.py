"""Numba kernel of the data view: a model's output on a grid over a plane of input space.

Every model is W = s0 W_0 + A X (docs/theory.md §3.2). On the plane of points
x(u, t) = o + u e_1 + t e_2, each pre-activation is affine in (u, t):

    <w_j, x(u, t)> = C_j0 + u C_j1 + t C_j2,   C_jc = s0 <w0_j, b_c> + sum_i A_ji <x_i, b_c>,

with b = (o, e_1, e_2). The kernel takes the projections P0 = W_0 bᵀ and PX = X bᵀ (inner
products with the data, so no loop over d here) and evaluates N on the whole grid in
O(m n + m g) per model for g grid nodes, whatever d is.

Kernels are pure: contiguous float64 in, no validation, no exceptions.
"""
import numpy as np

from core.jit import kernel


@kernel
def grid_outputs(s0, A, P0, PX, v, is_relu, gx, gy, out):
    """N(W_k; o + gx_c e_1 + gy_r e_2) = sum_j v_j sigma(C_j0 + gx_c C_j1 + gy_r C_j2); writes out.

    Parameters
    ----------
    s0 : ndarray of shape (k,), float64; each model's scale of W_0
    A : ndarray of shape (k, m, n), float64, C-contiguous; each model's coefficients
    P0 : ndarray of shape (m, 3), float64; <w0_j, b_c> for b = (o, e_1, e_2)
    PX : ndarray of shape (n, 3), float64; <x_i, b_c>
    v : ndarray of shape (m,), float64; output weights
    is_relu : bool; sigma = ReLU, else the identity
    gx : ndarray of shape (nx,), float64; grid coordinates along e_1
    gy : ndarray of shape (ny,), float64; grid coordinates along e_2
    out : ndarray of shape (k, ny, nx), float64, overwritten; out[k, r, c] at (gx_c, gy_r)
    """
    n_models, m, n = A.shape
    nx, ny = gx.shape[0], gy.shape[0]
    lo, hi = gx[0], gx[nx - 1]
    coef = np.empty(3)
    for k in range(n_models):
        for r in range(ny):
            for c in range(nx):
                out[k, r, c] = 0.0
        for j in range(m):
            for b in range(3):
                acc = s0[k] * P0[j, b]
                for i in range(n):
                    acc += A[k, j, i] * PX[i, b]
                coef[b] = acc
            vj = v[j]
            for r in range(ny):
                base = coef[0] + coef[2] * gy[r]
                slope = coef[1]
                if is_relu:
                    if base + slope * lo <= 0.0 and base + slope * hi <= 0.0:
                        continue             # neuron off on the whole row (z is affine in u)
                    for c in range(nx):
                        out[k, r, c] += vj * max(base + slope * gx[c], 0.0)
                else:
                    for c in range(nx):
                        out[k, r, c] += vj * (base + slope * gx[c])
