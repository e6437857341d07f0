"""KKT certificates: dual recovery and (eps, delta, tau) of a model on a point set.

docs/theory.md §3.3-3.5. A model W is certified on a set R by finding lam >= 0 (and, for the
ReLU net, mu_ji in [0, lam_i] on kink pairs |cos(w_j, x_i)| <= kappa) minimising the
stationarity residual ||W - sum_i y_i (lam_i a_ji + mu_ji) v_j x_i||, all in Gram space
(``mu_bound=False`` drops mu_ji <= lam_i, for comparison only: it can flatter eps).
"""
from dataclasses import dataclass

import numpy as np

from core.errors import InputError
from core.kkt_kernels import clarke_system
from core.models import norm, outputs_from_preacts, preacts, rescale_to_unit_margin, row_norms
from core.nnls_kernels import (
    NNLS_CONVERGED,
    NNLS_FACE,
    NNLS_MAX_SWEEPS,
    NNLS_RUNNING,
    NNLS_STALLED,
    after_face,
    face_accept,
    face_eliminate,
    face_lam,
    face_mu,
    face_system,
    nnls_start,
    nnls_sweeps,
    solver_options,
)
from core.options import DEFAULT_KINK_TOL

SUPPORT_RATIO = 1e-6       # support vector: lam_i > 1e-6 max lam (docs/theory.md §3.4)
NNLS_TOL = 1e-10
NNLS_WORK = 5e8            # coordinate-descent budget, in multiply-adds (~0.3 s)
NNLS_CHUNK_WORK = 1e8      # multiply-adds of sweeps per kernel call (~0.05 s)
FACE_CHUNK_WORK = 1e9      # flops of an exact face solve's blocks per call (LAPACK, ~0.05 s)
MARGIN_ROUNDING = 1e-9     # slack on q_i <= 1 + active_tol for rescaling round-off
MAX_RESCALED = 1e150       # |s0|, |A_ji| after rescaling: their squares stay finite in float64


@dataclass(frozen=True, eq=False)
class Certificate:
    """How close ``model`` is to a KKT point of the max-margin problem on ``index``.

    Per-point arrays have length n (all training points); lam is 0 outside ``index``.
    """

    model: object              # the GramModel evaluated (rescaled when asked)
    index: np.ndarray          # the point set R, sorted
    rescale_factor: float      # min margin on R that was divided out (1.0 if not rescaled)
    margins: np.ndarray        # (n,) q_i of ``model``
    lam: np.ndarray            # (n,) dual variables
    support: np.ndarray        # (n,) bool, lam_i > 1e-6 max lam
    eps: float                 # ||stationarity residual||
    eps_rel: float             # eps / ||W||
    delta: float               # max(0, max_R lam_i (q_i - 1))
    tau: float                 # max(0, 1 - min_R q_i)
    kink: np.ndarray           # (m, n) bool, pairs in the kink band (on R)
    active: np.ndarray         # (m, n) bool, sigma' = 1 pairs (on R, outside the band)
    mu: np.ndarray             # (m, n) Clarke multipliers on kink pairs
    residual_per_neuron: np.ndarray   # (m,) ||w_j - sum_i ...||
    n_mu_violations: int       # kink pairs with mu_ji > lam_i (0 unless mu_bound is False)
    kink_tol: float
    mu_bound: bool             # mu_ji <= lam_i enforced (the Clarke certificate)
    status: int                # NNLS_* code of the solver
    sweeps: int

    @property
    def n_support(self):
        """Number of support vectors."""
        return int(self.support.sum())

    @property
    def n_kink_pairs(self):
        """Number of (neuron, point) pairs in the kink band."""
        return int(self.kink.sum())

    @property
    def converged(self):
        """The dual recovery reached its optimum (exactly, or to rounding when stalled)."""
        return self.status in (NNLS_CONVERGED, NNLS_STALLED)

    def kink_pairs_per_point(self):
        """Number of neurons j with (j, i) in the kink band, for every point i."""
        return self.kink.sum(axis=0)


def certify(ctx, model, index=None, *, rescale=True, kink_tol=DEFAULT_KINK_TOL,
            active_tol=None, tol=NNLS_TOL, mu_bound=True, progress=None):
    """(eps, delta, tau) of W on R: min over lam >= 0 of ||W - sum_R lam_i y_i dN(W; x_i)||.

    Parameters
    ----------
    ctx : GramContext
    model : GramModel
    index : array of point indices R, or None for all points
    rescale : bool; divide W by min_R q_i first (raises InputError if that is <= 0)
    kink_tol : float, kappa; pairs with |cos(w_j, x_i)| <= kappa may use sigma' in [0, 1]
    active_tol : float or None, alpha; only points with q_i <= 1 + alpha carry lam > 0
    tol : float, relative KKT tolerance of the NNLS solver
    mu_bound : bool; True (the certificate): 0 <= mu_ji <= lam_i, the slopes of the Clarke
        subdifferential; False: mu_ji >= 0 only (for comparison; eps can only be lower)
    progress : callable(sweeps, max_sweeps) or None, called between chunks of the solver's
        sweeps and of its exact face solves (``solve_in_chunks``); it may raise
        core.errors.Cancelled to stop (propagated)

    Returns
    -------
    Certificate
    """
    n, m = ctx.n_samples, ctx.width
    index = np.arange(n) if index is None else np.sort(np.asarray(index, dtype=np.int64))
    factor = 1.0
    if rescale:
        model, factor = rescale_to_unit_margin(ctx, model, index)
        _check_representable(model, factor)
    Zt = preacts(ctx, model)
    q = ctx.y * outputs_from_preacts(ctx, Zt)
    in_R = np.zeros(n, dtype=bool)
    in_R[index] = True
    kink = np.zeros((m, n), dtype=bool)
    if ctx.is_relu:
        bound = kink_tol * np.outer(row_norms(ctx, model, Zt), np.sqrt(np.diag(ctx.K)))
        kink = (np.abs(Zt) <= bound) & in_R[None, :]
    active = (~kink & in_R[None, :]) & ((Zt > 0) if ctx.is_relu else True)
    lam_ok = in_R.copy()
    if active_tol is not None:
        lam_ok &= q <= 1.0 + active_tol + MARGIN_ROUNDING   # min margin is 1 +- ulps
    system = clarke_system(Zt, ctx.K, ctx.y, ctx.v, ctx.is_relu, kink, lam_ok)
    lam, mu, result = _dual(system, n, m, tol, mu_bound, progress)
    coef = ctx.v[:, None] * ctx.y[None, :] * (lam[None, :] * active + mu)
    residual = _residual_row_sq(ctx, model, coef)
    eps = float(np.sqrt(max(residual.sum(), 0.0)))
    q_R, lam_R = q[index], lam[index]
    lam_max = lam.max() if n else 0.0
    return Certificate(
        model=model, index=index, rescale_factor=float(factor), margins=q, lam=lam,
        support=lam > SUPPORT_RATIO * lam_max if lam_max > 0 else np.zeros(n, bool),
        eps=eps, eps_rel=eps / max(norm(ctx, model), 1e-300),
        delta=float(max(0.0, np.max(lam_R * (q_R - 1.0)))),
        tau=float(max(0.0, 1.0 - q_R.min())),
        kink=kink, active=np.asarray(active, dtype=bool), mu=mu,
        residual_per_neuron=np.sqrt(np.maximum(residual, 0.0)),
        n_mu_violations=int(np.sum(mu > lam[None, :] * (1 + 1e-6) + 1e-12 * lam_max)),
        kink_tol=float(kink_tol), mu_bound=bool(mu_bound), status=int(result.status),
        sweeps=int(result.sweeps))


def _check_representable(model, q_min):
    """max(|s0|, max |A_ji|) <= MAX_RESCALED, else InputError: a model whose smallest
    margin is tiny (it barely moved from W_0 = 0, e.g. lr = 1e-300) has weights near
    1 / q_min at unit margin, and the residual's squares would overflow float64.
    """
    size = max(abs(float(model.s0)), float(np.max(np.abs(model.A), initial=0.0)))
    if not size <= MAX_RESCALED:
        raise InputError(f"The model's smallest margin is {q_min:.3g}: rescaled to margin 1 "
                         f"its weights reach {size:.3g}, beyond what the certificate can "
                         "square in float64; train with a larger lr or more steps.")


def holding(progress, done, total):
    """A sub-step's progress callback (e.g. ``certify``'s) that reports ``progress(done,
    total)`` of the caller whatever it is passed, so a Cancelled raised there stops the
    sub-step too; None when ``progress`` is None.
    """
    return None if progress is None else (lambda *_: progress(done, total))


def _dual(system, n, m, tol, mu_bound, progress=None):
    """lam (n,), mu (m, n) and the NNLSResult of the Clarke system, within NNLS_WORK."""
    sweep_work = max(_sweep_work(system), 1)
    max_sweeps = int(np.clip(NNLS_WORK / sweep_work, 50, 20000))
    options = solver_options(tol, max_sweeps, bounded=mu_bound)
    per_chunk = max(1, int(NNLS_CHUNK_WORK // sweep_work))
    result = solve_in_chunks(system, options, per_chunk, progress)
    p_d = system.lam_index.shape[0]
    lam, mu = np.zeros(n), np.zeros((m, n))
    lam[system.lam_index] = result.x[:p_d]
    mu[system.pair_j, system.pair_i] = result.x[p_d:]
    return lam, mu, result


def solve_in_chunks(system, options, per_chunk, progress=None):
    """``nnls_blocks(system, options)`` (the same result bit for bit) in kernel calls of at
    most ``per_chunk`` sweeps, calling ``progress(sweeps, max_sweeps)`` between calls.

    A sweep with an exact face solve is a call of its own, and the face solve runs in calls
    of about FACE_CHUNK_WORK (``solve_face_in_chunks``), so a ``progress`` that raises
    core.errors.Cancelled stops the solver within one chunk's time.
    """
    state = nnls_start(system, options)
    report = progress or (lambda done, total: None)
    while True:
        done, polish = int(state.sweeps[0]), int(state.next_polish[0])
        size = 1 if polish == done + 1 else min(per_chunk, polish - done - 1)
        result = nnls_sweeps(system, options, state, size, True)
        if result.status == NNLS_FACE:
            sweeps = int(result.sweeps)
            report(sweeps, options.max_sweeps)
            x_face, ok = solve_face_in_chunks(system, state.x, options.bounded,
                                              holding(progress, sweeps, options.max_sweeps))
            result = after_face(system, options, state, x_face, ok)
        if result.status != NNLS_RUNNING:
            return result
        report(int(result.sweeps), options.max_sweeps)


def solve_face_in_chunks(system, x, bounded, between=None):
    """``core.nnls_kernels.solve_face(system, x, bounded)`` (bit for bit) with its two loops
    over the mu blocks split into calls of about FACE_CHUNK_WORK flops, ``between()`` called
    between calls (it may raise core.errors.Cancelled).
    """
    sizes = np.diff(system.block_start).astype(float)
    bounds, work = [0], 0.0
    for b, size in enumerate(sizes, 1):
        work += size * size * (size + 2.0 * system.D.shape[0])   # solve and Schur update
        if work >= FACE_CHUNK_WORK or b == sizes.shape[0]:
            bounds.append(b)
            work = 0.0
    between = between or (lambda: None)
    face = face_system(system, x, bounded)
    x_new = np.zeros(x.shape[0])
    for b0, b1 in zip(bounds[:-1], bounds[1:]):
        if not face_eliminate(system, x, bounded, face, b0, b1):
            return x_new, False
        between()
    lam_P, ok = face_lam(face, x_new)
    if not ok:
        return x_new, False
    for b0, b1 in zip(bounds[:-1], bounds[1:]):
        between()
        if not face_mu(system, x, bounded, face, lam_P, x_new, b0, b1):
            return x_new, False
    return x_new, face_accept(system, x, bounded, face.P, x_new)


def _sweep_work(system):
    """Scalar multiply-adds of one coordinate sweep: lam part, mu blocks, and the products
    with C (one by one, or two (m x p_d)(p_d x p_d) products counted at a quarter).
    """
    p_d, p_m = system.D.shape[0], system.pair_j.shape[0]
    blocks = np.diff(system.block_start)
    coupling = min(2 * p_m * p_d, system.act.size * p_d // 2) if p_m else 0
    return p_d * p_d + int(np.sum(blocks * blocks)) + coupling


def _residual_row_sq(ctx, model, coef):
    """||r_j||² for r_j = s0 w0_j + (A - coef)_j X.

    In Gram form ||r_j||² = s0² ||w0_j||² + 2 s0 <B_j, Z0t_j> + B_j K B_jᵀ, B = A - coef,
    which is exact while K has full rank (n < d). When n >= d, B may be large along the
    null space of K and that form loses half its digits, so r is formed explicitly
    (O(m n d), cheap there since d <= n).
    """
    B = model.A - coef
    s0 = model.s0
    if ctx.X.shape[0] >= ctx.X.shape[1]:
        R = s0 * ctx.W0 + B @ ctx.X
        return np.einsum("jk,jk->j", R, R)
    return (s0 ** 2 * ctx.w0_row_sq + 2 * s0 * np.sum(B * ctx.Z0t, axis=1)
            + np.sum(B * (B @ ctx.K), axis=1))


STATUS_TEXT = {NNLS_CONVERGED: "converged",
               NNLS_STALLED: "converged to rounding (degenerate: lambda is not unique)",
               NNLS_MAX_SWEEPS: "not converged (iteration budget); eps is an upper bound"}
