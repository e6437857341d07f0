"""Numba solver of the certificate's QP and the SVM dual (docs/theory.md §3.4-3.5, 3.7).

x = argmin 1/2 xᵀGx - hᵀx over lam >= 0 and 0 <= mu_a <= lam_l(a) (``bounded``; the
Clarke subdifferential allows a kink pair any slope in [0, 1], so mu_ji in [0, lam_i]) or
mu_a >= 0 (unbounded). With G = MᵀM, h = Mᵀb this is least squares min ||Mx - b|| in
normal-equation form, whose size does not depend on d; with G = diag(y) K diag(y), h = 1
and no mu it is the hard-margin SVM dual.

G is held in factored form (``BlockGram``): a dense lam-lam part D, and for the mu of a
kink pair a = (j, l) (neuron j, lam unknown l) the coupling C[a, c] = v_j² Ky[l, c] act[j, c]
and the per-neuron block B_j[a, b] = v_j² Ky[l, l'] (b = (j, l')), with Ky = y_i y_k K_ik on
the lam points. Memory is O(p_d (p_d + m)) whatever the number of pairs; products with C
and B are matrix products with Ky (BLAS).

Projected coordinate descent finds the face: single-coordinate moves, plus, under the bound,
a joint move of lam_l with its mu's tied at lam_l (the only feasible way down, or the
steepest way up). After ``polish_every`` sweeps, and then ever more rarely, the face is
solved exactly (tied mu's merged into their lam column, the free mu's eliminated block by
block with LAPACK), and the result is accepted when it satisfies the KKT conditions to
``tol``.

``nnls_blocks`` runs all sweeps in one call; ``nnls_start``, ``nnls_sweeps`` and
``after_face`` run them in chunks, and the ``face_*`` kernels an exact solve block by block
(core.kkt.solve_in_chunks): the SolverState carries everything a sweep reads from the
previous one, so any split gives the same result bit for bit.

All solver kernels live in this one module on purpose: Numba's cache checks only the
source of the module a kernel is defined in, so a kernel calling kernels of another module
would keep a stale copy of them after they change (see core/jit.py).
"""
from typing import NamedTuple

import numpy as np

from core.jit import kernel

NNLS_CONVERGED = 0      # KKT conditions hold to tol
NNLS_MAX_SWEEPS = 1     # stopped at max_sweeps; x is feasible but not optimal to tol
NNLS_UNBOUNDED = 2      # x runs along a ray where the objective falls without bound
NNLS_RUNNING = -1       # (``nnls_sweeps`` only) the chunk of sweeps ended undecided
NNLS_FACE = -2          # (``nnls_sweeps`` only) stopped before an exact face solve
NNLS_STALLED = 3        # objective stopped falling (to stall_tol) before the KKT test
                        # passed: a degenerate problem (n >= d), x optimal to rounding
STALL_TOL = 1e-13       # default: relative decrease of the objective between exact solves
POLISH_EVERY = 10       # default: sweeps to the first exact solve, and to the second; the
                        # interval then grows by half after every failed one
UNBOUNDED_RATIO = 1e4   # default ray test: 1-D minimiser along x/|x| beyond 1e4 |x|


class BlockGram(NamedTuple):
    """G = [[D, Cᵀ], [C, blockdiag(B_j)]] and h of the unknowns (lam, mu), factored.

    Built by core/kkt_kernels.py: after changing the fields, clear the Numba cache (its
    cached ``clarke_system`` still builds the old tuple, see core/jit.py).
    """

    D: np.ndarray            # (p_d, p_d) lam-lam part
    Ky: np.ndarray           # (p_d, p_d) y_i y_k K_ik on the lam points ((0, 0) if no mu)
    act: np.ndarray          # (m, p_d) slopes a_jl of the lam columns ((0, p_d) if no mu)
    vv: np.ndarray           # (m,) v_j²
    h: np.ndarray            # (p_d + p_m,)
    block_start: np.ndarray  # (n_blocks + 1,) mu's of block b: block_start[b]:block_start[b+1]
    pair_j: np.ndarray       # (p_m,) neuron of each mu, sorted
    pair_lam: np.ndarray     # (p_m,) its lam unknown (the bound mu_a <= lam_pair_lam[a])
    lam_index: np.ndarray    # (p_d,) point of each lam unknown
    pair_i: np.ndarray       # (p_m,) point of each mu


class SolverOptions(NamedTuple):
    """Tolerances and switches of ``nnls_blocks`` (build with ``solver_options``)."""

    tol: float               # KKT tolerance, relative to max|h|
    max_sweeps: int
    bounded: bool            # enforce mu_a <= lam_pair_lam[a]
    check_unbounded: bool    # ray test (the SVM dual; least squares is always bounded)
    polish_every: int
    stall_tol: float
    unbounded_ratio: float


class NNLSResult(NamedTuple):
    """Solution, NNLS_* status, sweeps run and the final KKT violation (absolute)."""

    x: np.ndarray
    status: int
    sweeps: int
    violation: float


class SolverState(NamedTuple):
    """What one sweep hands to the next (``nnls_start``; ``nnls_sweeps`` updates it).

    The scalars a sweep updates are cells, arrays of shape (1,) (a NamedTuple's fields
    cannot be reassigned): read and write ``s.sweeps[0]``.
    """

    x: np.ndarray            # (p,) the iterate (lam, mu)
    grad: np.ndarray         # (p,) G x - h as the sweeps keep it (with its rounding drift)
    pend_lam: np.ndarray     # (p_d,) lam changes not yet added to grad_mu
    pend_mu: np.ndarray      # (m, p_d) mu changes not yet added to grad_lam
    start: np.ndarray        # (p_d + 1,) ``pairs_by_point``: the mu's of each lam
    order: np.ndarray        # (p_m,)
    pair_block: np.ndarray   # (p_m,) block of each mu
    sweeps: np.ndarray       # (1,) int64: sweeps done
    polish_every: np.ndarray # (1,) int64: sweeps from one exact solve to the next
    next_polish: np.ndarray  # (1,) int64: the sweep of the next exact solve
    polishes: np.ndarray     # (1,) int64: exact solves started (none accepted so far)
    objective: np.ndarray    # (1,) float64: 1/2 xᵀGx - hᵀx at the last exact solve
    violation: np.ndarray    # (1,) float64: KKT violation after the last sweep


class Face(NamedTuple):
    """The face of an iterate x, before its free mu's are eliminated (``face_system``):
    lam_P > 0 free, each tied mu (= its lam) merged into its lam column.
    """

    P: np.ndarray            # (n_d,) int64, the free lam unknowns
    S: np.ndarray            # (n_d, n_d) lam-lam matrix on P (Schur-updated in place)
    r: np.ndarray            # (n_d,) right-hand side (updated in place likewise)
    act2: np.ndarray         # (m, p_d) slopes, + 1 where a tied mu was merged


def solver_options(tol, max_sweeps, *, bounded=True, check_unbounded=False,
                   polish_every=POLISH_EVERY, stall_tol=STALL_TOL,
                   unbounded_ratio=UNBOUNDED_RATIO):
    """SolverOptions with the field types the kernel is compiled for (one signature)."""
    return SolverOptions(float(tol), int(max_sweeps), bool(bounded), bool(check_unbounded),
                         int(polish_every), float(stall_tol), float(unbounded_ratio))


@kernel
def pairs_by_point(pair_lam, p_d):
    """CSR of the mu's of each lam unknown: pairs of l are order[start[l]:start[l+1]]."""
    start = np.zeros(p_d + 1, dtype=np.int64)
    for a in range(pair_lam.shape[0]):
        start[pair_lam[a] + 1] += 1
    for l in range(p_d):
        start[l + 1] += start[l]
    fill = start[:-1].copy()
    order = np.empty(pair_lam.shape[0], dtype=np.int64)
    for a in range(pair_lam.shape[0]):
        order[fill[pair_lam[a]]] = a
        fill[pair_lam[a]] += 1
    return start, order


@kernel
def add_pair_terms(g, grad, lam_part, mu_matrix):
    """grad_mu[a] += v_j² ((lam_part ∘ act + mu_matrix) Ky)[j, l]: C lam_part + B mu."""
    p_d = g.D.shape[0]
    P = np.dot(g.act * lam_part.reshape(1, p_d) + mu_matrix, g.Ky)
    for a in range(g.pair_j.shape[0]):
        j = g.pair_j[a]
        grad[p_d + a] += g.vv[j] * P[j, g.pair_lam[a]]


@kernel
def add_point_terms(g, grad, mu_matrix):
    """grad_lam[c] += sum_j act[j, c] v_j² (mu_matrix Ky)[j, c]: Cᵀ mu."""
    Q = np.dot(g.vv.reshape(-1, 1) * mu_matrix, g.Ky)
    grad[:g.D.shape[0]] += (g.act * Q).sum(axis=0)


@kernel
def few_changes(g, n_changed, cost_each):
    """True when n_changed columns or rows of C (cost_each multiply-adds each) cost less one
    by one than an (m x p_d)(p_d x p_d) product, counted at a quarter (BLAS speed).
    """
    return 4 * n_changed * cost_each < g.act.shape[0] * g.D.shape[0] ** 2


@kernel
def flush_lam_lag(g, grad, pend_lam):
    """grad_mu += C pend_lam and pend_lam = 0 (column by column when few lam's moved)."""
    p_d = g.D.shape[0]
    changed = np.nonzero(pend_lam)[0]
    if not few_changes(g, changed.shape[0], g.pair_j.shape[0]):
        add_pair_terms(g, grad, pend_lam, np.zeros(g.act.shape))
    else:
        for a in range(g.pair_j.shape[0]):
            j, l = g.pair_j[a], g.pair_lam[a]
            acc = 0.0
            for c in changed:
                acc += g.Ky[l, c] * g.act[j, c] * pend_lam[c]
            grad[p_d + a] += g.vv[j] * acc
    pend_lam[changed] = 0.0


@kernel
def flush_mu_lag(g, grad, pend_mu):
    """grad_lam += Cᵀ mu_change and pend_mu = 0 (row by row when few mu's moved)."""
    p_d = g.D.shape[0]
    changed = np.empty(g.pair_j.shape[0], dtype=np.int64)
    n_changed = np.int64(0)     # not a literal 0: one signature of few_changes
    for a in range(g.pair_j.shape[0]):
        if pend_mu[g.pair_j[a], g.pair_lam[a]] != 0.0:
            changed[n_changed] = a
            n_changed += 1
    if not few_changes(g, n_changed, p_d):
        add_point_terms(g, grad, pend_mu)
        pend_mu[:] = 0.0
        return
    for a in changed[:n_changed]:
        j, l = g.pair_j[a], g.pair_lam[a]
        step = g.vv[j] * pend_mu[j, l]
        for c in range(p_d):
            grad[c] += step * g.Ky[l, c] * g.act[j, c]
        pend_mu[j, l] = 0.0


@kernel
def gradient(g, x):
    """G x - h."""
    p_d, m = g.D.shape[0], g.act.shape[0]
    grad = -g.h.copy()
    grad[:p_d] += np.dot(g.D, x[:p_d])
    if g.pair_j.shape[0] > 0:
        mu_matrix = np.zeros((m, p_d))
        for a in range(g.pair_j.shape[0]):
            mu_matrix[g.pair_j[a], g.pair_lam[a]] = x[p_d + a]
        add_point_terms(g, grad, mu_matrix)
        add_pair_terms(g, grad, x[:p_d].copy(), mu_matrix)
    return grad


@kernel
def kkt_violation(g, x, grad, bounded, start, order):
    """Largest violation of the KKT conditions at feasible x (0 exactly at the optimum).

    Unbounded: |g_k| if x_k > 0 else max(0, -g_k). Bounded, for lam_l with tied mu's T
    (mu_a = lam_l) and mu's M: lam_l > 0 needs g_l + sum_T min(g_a, 0) = 0, lam_l = 0 needs
    g_l + sum_M min(g_a, 0) >= 0; a tied mu needs g_a <= 0, one inside (0, lam_l) g_a = 0,
    one at 0 (lam_l > 0) g_a >= 0.
    """
    p_d = g.D.shape[0]
    worst = 0.0
    for k in range(x.shape[0]):
        slope = grad[k]                  # along e_k, or along lam_l with its tied mu's
        if bounded and k >= p_d:
            lam = x[g.pair_lam[k - p_d]]
            if lam == 0.0:
                continue
            if x[k] == lam:
                worst = max(worst, slope)
                continue
        elif bounded:
            for s in range(start[k], start[k + 1]):
                a = p_d + order[s]
                if x[a] == x[k]:
                    slope += min(grad[a], 0.0)
        worst = max(worst, abs(slope) if x[k] > 0.0 else -slope)
    return worst


@kernel
def face_parts(g, face, j, block_pairs):
    """Block of neuron j on the face: (B_F, [C_FQ | h_F], Q) for its free mu's ``block_pairs``.

    C_F[a, c] = v_j² Ky[l_a, P_c] act2[j, P_c] is zero where neuron j has slope 0 at point
    P_c, so only the columns Q (positions in P) with act2 != 0 are formed.
    """
    P, act2 = face.P, face.act2
    p_d, n_b = g.D.shape[0], block_pairs.shape[0]
    rows = g.pair_lam[block_pairs]
    B_F = g.vv[j] * g.Ky[rows][:, rows]
    Q = np.nonzero(act2[j][P] != 0.0)[0]
    n_q = Q.shape[0]
    rhs = np.empty((n_b, n_q + 1))
    for a in range(n_b):
        for c in range(n_q):
            rhs[a, c] = g.vv[j] * g.Ky[rows[a], P[Q[c]]] * act2[j, P[Q[c]]]
        rhs[a, n_q] = g.h[p_d + block_pairs[a]]
    return B_F, rhs, Q


@kernel
def free_pairs(g, x, bounded, b):
    """mu's of block b strictly above 0 and (bounded) not tied to their lam."""
    p_d = g.D.shape[0]
    s0, s1 = g.block_start[b], g.block_start[b + 1]
    keep = np.zeros(s1 - s0, dtype=np.bool_)
    for a in range(s0, s1):
        mu, lam = x[p_d + a], x[g.pair_lam[a]]
        keep[a - s0] = mu > 0.0 and not (bounded and mu == lam)
    return s0 + np.nonzero(keep)[0]


@kernel
def face_system(g, x, bounded):
    """Face(P, S, r, act2) of x before the free mu's are eliminated: lam_P > 0 free,
    tied mu's = their lam (merged into its column: slope act + 1), S and r the lam-lam part.
    """
    p_d, p = g.D.shape[0], x.shape[0]
    P = np.nonzero(x[:p_d] > 0.0)[0]
    n_d = P.shape[0]
    S = np.ascontiguousarray(g.D[P][:, P])
    r = g.h[P].copy()
    act2 = g.act.copy()
    position = np.full(p_d, -1, dtype=np.int64)
    position[P] = np.arange(n_d)
    n_tied = 0
    for a in range(p - p_d):
        l = g.pair_lam[a]
        if bounded and x[l] > 0.0 and x[p_d + a] == x[l]:
            act2[g.pair_j[a], l] += 1.0
            r[position[l]] += g.h[p_d + a]
            n_tied += 1
    if n_tied > 0:
        V_act2 = g.vv.reshape(-1, 1) * act2[:, P]
        V_act = g.vv.reshape(-1, 1) * g.act[:, P]
        extra = np.dot(act2[:, P].T, V_act2) - np.dot(g.act[:, P].T, V_act)
        S += g.Ky[P][:, P] * extra
    return Face(P, S, r, act2)


@kernel
def face_eliminate(g, x, bounded, face, b0, b1):
    """Eliminate the free mu's of blocks b0..b1-1 from (face.S, face.r) in place by Schur
    complement (LAPACK solves with all columns at once); False when a block is singular.
    """
    S, r = face.S, face.r
    try:
        for b in range(b0, b1):
            F = free_pairs(g, x, bounded, b)
            if F.shape[0] > 0:
                B_F, rhs, Q = face_parts(g, face, g.pair_j[F[0]], F)
                n_q = Q.shape[0]
                Y = np.linalg.solve(B_F, rhs)
                C_T = np.ascontiguousarray(rhs[:, :n_q].T)
                update = np.dot(C_T, np.ascontiguousarray(Y[:, :n_q]))
                r_update = np.dot(C_T, np.ascontiguousarray(Y[:, n_q]))
                for a in range(n_q):
                    r[Q[a]] -= r_update[a]
                    for c in range(n_q):
                        S[Q[a], Q[c]] -= update[a, c]
    except Exception:  # singular: the caller keeps its iterate
        return False
    return True


@kernel
def face_lam(face, x_new):
    """lam_P = S⁻¹ r into x_new; (lam_P, False) when S is singular."""
    P, S, r = face.P, face.S, face.r
    try:
        lam_P = np.linalg.solve(S, r) if P.shape[0] > 0 else np.zeros(0)
    except Exception:  # singular: the caller keeps its iterate
        return np.zeros(0), False
    x_new[P] = lam_P
    return lam_P, True


@kernel
def face_mu(g, x, bounded, face, lam_P, x_new, b0, b1):
    """The free mu's of blocks b0..b1-1 given lam_P, into x_new; False when singular."""
    p_d = g.D.shape[0]
    try:
        for b in range(b0, b1):
            F = free_pairs(g, x, bounded, b)
            if F.shape[0] > 0:
                B_F, rhs, Q = face_parts(g, face, g.pair_j[F[0]], F)
                n_q = Q.shape[0]
                C_FQ = np.ascontiguousarray(rhs[:, :n_q])
                x_new[p_d + F] = np.linalg.solve(B_F, rhs[:, n_q] - np.dot(C_FQ, lam_P[Q]))
    except Exception:  # singular: the caller keeps its iterate
        return False
    return True


@kernel
def face_accept(g, x, bounded, P, x_new):
    """Tied mu's of x_new set to their lam; True when x_new stays on the face of x (free
    lam's and mu's positive, mu <= lam when bounded).
    """
    p_d, p = g.D.shape[0], x.shape[0]
    for a in range(p - p_d):
        l = g.pair_lam[a]
        if bounded and x[l] > 0.0 and x[p_d + a] == x[l]:
            x_new[p_d + a] = x_new[l]
            continue
        if x[p_d + a] > 0.0 and (x_new[p_d + a] <= 0.0 or bounded and x_new[p_d + a] > x_new[l]):
            return False
    return P.shape[0] == 0 or x_new[P].min() > 0.0


@kernel
def solve_face(g, x, bounded):
    """Exact minimiser on the face of x: lam_P > 0 free, tied mu's = their lam, free mu's
    eliminated per neuron by Schur complement, the rest 0. Returns (x_new, ok).

    One call of ``face_system``, ``face_eliminate``, ``face_lam``, ``face_mu`` and
    ``face_accept`` (core.kkt.solve_face_in_chunks splits the block loops).
    """
    first, n_blocks = np.int64(0), g.block_start.shape[0] - 1   # int64, not a literal 0:
    face = face_system(g, x, bounded)                            # one signature (core/jit.py)
    x_new = np.zeros(x.shape[0])
    if not face_eliminate(g, x, bounded, face, first, n_blocks):
        return x_new, False
    lam_P, ok = face_lam(face, x_new)
    if not ok or not face_mu(g, x, bounded, face, lam_P, x_new, first, n_blocks):
        return x_new, False
    return x_new, face_accept(g, x, bounded, face.P, x_new)


@kernel
def pair_lag(g, a, pend_lam):
    """(C pend_lam)_a = v_j² sum_c Ky[l, c] act[j, c] pend_lam[c]: the lag of grad_mu[a]."""
    j, l = g.pair_j[a], g.pair_lam[a]
    acc = 0.0
    for c in range(pend_lam.shape[0]):
        acc += g.Ky[l, c] * g.act[j, c] * pend_lam[c]
    return g.vv[j] * acc


@kernel
def joint_move(g, s, l):
    """Move lam_l together with its mu's tied at lam_l, by an exact line search.

    Up: with the tied mu's whose gradient is negative (slope g_l + sum min(g_a, 0)); down:
    with every tied mu, no lower than the largest untied mu (or 0). grad_mu lags by
    C pend_lam; the curvature is D_ll + sum_S v_j² Ky_ll (1 + 2 act_jl) (B_j is diagonal
    across the pairs of one point, which lie in different neurons).
    """
    x, grad, pend_lam, start, order = s.x, s.grad, s.pend_lam, s.start, s.order
    pair_block = s.pair_block
    p_d, lam = g.D.shape[0], x[l]
    tied = np.empty(start[l + 1] - start[l], dtype=np.int64)
    g_tied = np.empty(tied.shape[0])
    n_tied, floor = 0, 0.0
    for k in range(start[l], start[l + 1]):
        a = order[k]
        if x[p_d + a] != lam:
            floor = max(floor, x[p_d + a])
        else:
            tied[n_tied] = a
            g_tied[n_tied] = grad[p_d + a] + pair_lag(g, a, pend_lam)
            n_tied += 1
    up, down, curv_up, curv_down = grad[l], grad[l], g.D[l, l], g.D[l, l]
    for q in range(n_tied):
        j = g.pair_j[tied[q]]
        curv = g.vv[j] * g.Ky[l, l] * (1.0 + 2.0 * g.act[j, l])
        down += g_tied[q]
        curv_down += curv
        if g_tied[q] < 0.0:
            up += g_tied[q]
            curv_up += curv
    if n_tied > 0 and up < 0.0 and curv_up > 0.0:
        new, move_all = lam - up / curv_up, False
    elif n_tied > 0 and down > 0.0 and lam > 0.0 and curv_down > 0.0:
        new, move_all = max(floor, lam - down / curv_down), True
    else:
        return
    t = new - lam
    row = g.D[l].copy()
    for q in range(n_tied):
        if not (move_all or g_tied[q] < 0.0):
            continue
        a = tied[q]
        j, b = g.pair_j[a], pair_block[a]
        x[p_d + a] = new
        row += g.vv[j] * g.Ky[l] * g.act[j]
        for r in range(g.block_start[b], g.block_start[b + 1]):
            grad[p_d + r] += t * g.vv[j] * g.Ky[g.pair_lam[r], l]
    x[l] = new
    grad[:p_d] += t * row
    pend_lam[l] += t


@kernel
def lam_pass(g, s, bounded):
    """One coordinate sweep over lam (lower bound: its largest mu when bounded), with the
    joint moves; grad_lam kept exact, grad_mu left lagging by C pend_lam. A lam with a zero
    column (D_ll = 0) is set to that bound.
    """
    x, grad, pend_lam, start, order = s.x, s.grad, s.pend_lam, s.start, s.order
    p_d = g.D.shape[0]
    for l in range(p_d):
        floor = 0.0
        if bounded:
            for k in range(start[l], start[l + 1]):
                floor = max(floor, x[p_d + order[k]])
        # D_ll = 0: a zero column (no active neuron), lam_l only bounds its mu's: keep it
        # at the smallest feasible value, which makes lam unique
        new = max(floor, x[l] - grad[l] / g.D[l, l]) if g.D[l, l] > 0.0 else floor
        delta = new - x[l]
        if delta != 0.0:
            x[l] = new
            grad[:p_d] += delta * g.D[l]
            pend_lam[l] += delta
        if bounded and start[l + 1] > start[l]:
            joint_move(g, s, l)


@kernel
def mu_pass(g, s, bounded):
    """One coordinate sweep over mu, block by block (upper bound lam_l when bounded);
    grad_mu kept exact, grad_lam left lagging by Cᵀ pend_mu (pend_mu[j, l] per pair).
    """
    x, grad, pend_mu = s.x, s.grad, s.pend_mu
    p_d = g.D.shape[0]
    for b in range(g.block_start.shape[0] - 1):
        s0, s1 = g.block_start[b], g.block_start[b + 1]
        for a in range(s0, s1):
            j, l = g.pair_j[a], g.pair_lam[a]
            gaa = g.vv[j] * g.Ky[l, l]
            if gaa <= 0.0:
                continue
            new = max(0.0, x[p_d + a] - grad[p_d + a] / gaa)
            if bounded:
                new = min(new, x[l])
            delta = new - x[p_d + a]
            if delta != 0.0:
                x[p_d + a] = new
                pend_mu[j, l] += delta
                for r in range(s0, s1):
                    grad[p_d + r] += delta * g.vv[j] * g.Ky[g.pair_lam[r], l]


@kernel
def floor_zero_columns(g, s):
    """lam_l = max mu of l where D_ll = 0 (no active neuron: lam_l only bounds its mu's),
    after the mu pass may have lowered that mu; G x does not change.
    """
    x, start, order = s.x, s.start, s.order
    p_d = g.D.shape[0]
    for l in range(p_d):
        if g.D[l, l] <= 0.0 and start[l + 1] > start[l]:
            top = 0.0
            for k in range(start[l], start[l + 1]):
                top = max(top, x[p_d + order[k]])
            x[l] = top


@kernel
def runs_to_infinity(x, grad, h, ratio):
    """True when f(t u) = 1/2 t² uᵀGu - t hᵀu, u = x/|x|, has its minimiser t* = hᵀu / uᵀGu
    beyond ``ratio`` |x|: coordinate descent on an unbounded problem grows x linearly along
    a ray with uᵀGu -> 0. At a bounded optimum x*, t* = |x*| exactly (x*ᵀ(Gx* - h) = 0),
    so the test never fires there.
    """
    nx = np.sqrt(np.dot(x, x))
    if nx == 0.0:
        return False
    curvature = np.dot(x, grad + h) / nx ** 2     # uᵀGu, since grad + h = G x
    slope = np.dot(h, x) / nx
    return slope > 0.0 and slope > ratio * nx * max(curvature, 0.0)


@kernel
def nnls_start(g, opt):
    """SolverState at x = 0 (grad = -h), before the first sweep."""
    h, p_d, m = g.h, g.D.shape[0], g.act.shape[0]
    p_m = h.shape[0] - p_d
    start, order = pairs_by_point(g.pair_lam, p_d)
    pair_block = np.empty(p_m, dtype=np.int64)
    for b in range(g.block_start.shape[0] - 1):
        pair_block[g.block_start[b]:g.block_start[b + 1]] = b
    every = np.full(1, opt.polish_every, dtype=np.int64)
    return SolverState(np.zeros(h.shape[0]), -h.copy(), np.zeros(p_d), np.zeros((m, p_d)),
                       start, order, pair_block, np.zeros(1, dtype=np.int64), every,
                       every.copy(), np.zeros(1, dtype=np.int64), np.zeros(1), np.zeros(1))


@kernel
def absolute_tol(g, opt):
    """The KKT tolerance in the units of h: tol max|h|."""
    return opt.tol * max(np.abs(g.h).max() if g.h.shape[0] > 0 else 0.0, 1e-300)


@kernel
def after_face(g, opt, s, x_face, ok):
    """The end of a sweep with an exact solve (x_face, ok of ``solve_face``): x_face when it
    passes the KKT test, else a stop when the objective stalled, else NNLS_RUNNING.
    """
    sweep, violation = s.sweeps[0], s.violation[0]
    if ok:
        grad_face = gradient(g, x_face)
        face_violation = kkt_violation(g, x_face, grad_face, opt.bounded, s.start, s.order)
        if face_violation <= absolute_tol(g, opt):
            return NNLSResult(x_face, NNLS_CONVERGED, sweep, face_violation)
    previous = s.objective[0]
    objective = 0.5 * np.dot(s.x, s.grad - g.h)        # 1/2 xᵀGx - hᵀx
    s.objective[0] = objective
    if not opt.check_unbounded and previous - objective <= opt.stall_tol * abs(objective):
        return NNLSResult(s.x, NNLS_STALLED, sweep, violation)
    return NNLSResult(s.x, NNLS_RUNNING, sweep, violation)


@kernel
def nnls_sweeps(g, opt, s, n_sweeps, face_outside):
    """Up to ``n_sweeps`` more sweeps of ``nnls_blocks`` from state s (updated in place).

    Returns NNLSResult(x, status, sweeps done, violation), status NNLS_RUNNING when the
    chunk ended before a decision and before ``opt.max_sweeps``. With ``face_outside`` a
    sweep due for an exact solve returns NNLS_FACE before it: the caller solves the face
    (``solve_face`` or its parts) and passes the result to ``after_face``.
    """
    h, p_d = g.h, g.D.shape[0]
    p_m = h.shape[0] - p_d
    x, grad, start, order = s.x, s.grad, s.start, s.order
    tol_abs = absolute_tol(g, opt)
    first = s.sweeps[0] + 1
    for sweep in range(first, min(first + n_sweeps, opt.max_sweeps + 1)):
        s.sweeps[0] = sweep
        lam_pass(g, s, opt.bounded)
        if p_m > 0:
            flush_lam_lag(g, grad, s.pend_lam)
            mu_pass(g, s, opt.bounded)
            if opt.bounded:
                floor_zero_columns(g, s)
            flush_mu_lag(g, grad, s.pend_mu)
        violation = kkt_violation(g, x, grad, opt.bounded, start, order)
        s.violation[0] = violation
        if violation <= tol_abs:
            return NNLSResult(x, NNLS_CONVERGED, sweep, violation)
        if sweep == s.next_polish[0]:
            s.polishes[0] += 1                # a failed exact solve is retried ever later:
            if s.polishes[0] >= 2:            # 10, 20, 35, 57, ... sweeps by default
                s.polish_every[0] += s.polish_every[0] // 2
            s.next_polish[0] = sweep + s.polish_every[0]
            grad[:] = gradient(g, x)                     # drop rounding drift
            if opt.check_unbounded and runs_to_infinity(x, grad, h, opt.unbounded_ratio):
                return NNLSResult(x, NNLS_UNBOUNDED, sweep, violation)
            if face_outside:
                return NNLSResult(x, NNLS_FACE, sweep, violation)
            x_face, ok = solve_face(g, x, opt.bounded)
            result = after_face(g, opt, s, x_face, ok)
            if result.status != NNLS_RUNNING:
                return result
    if s.sweeps[0] >= opt.max_sweeps:
        return NNLSResult(x, NNLS_MAX_SWEEPS, opt.max_sweeps, s.violation[0])
    return NNLSResult(x, NNLS_RUNNING, s.sweeps[0], s.violation[0])


@kernel
def nnls_blocks(g, opt):
    """x = argmin 1/2 xᵀGx - hᵀx over lam >= 0, mu >= 0 (and mu_a <= lam_l(a) if bounded).

    Parameters
    ----------
    g : BlockGram
    opt : SolverOptions (``solver_options``)

    Returns
    -------
    NNLSResult(x, status, sweeps, violation)
    """
    inline = np.bool_(False)        # a bool, not a literal False: one signature of nnls_sweeps
    return nnls_sweeps(g, opt, nnls_start(g, opt), opt.max_sweeps, inline)


@kernel
def nnls_gram(G, h, opt):
    """x = argmin_{x >= 0} 1/2 xᵀGx - hᵀx for a dense PSD G (``nnls_blocks`` without mu),
    reporting NNLS_UNBOUNDED when ``opt.check_unbounded`` and the objective has no minimum.
    """
    p = h.shape[0]
    none = np.zeros(0, dtype=np.int64)
    g = BlockGram(G, np.zeros((0, 0)), np.zeros((0, p)), np.zeros(0), h,
                  np.zeros(1, dtype=np.int64), none, none, np.arange(p), none)
    return nnls_blocks(g, opt)
