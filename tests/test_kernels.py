"""Every Numba kernel against its NumPy twin (tests/naive.py), SciPy or a brute force;
gradients against central finite differences (docs/theory.md §3.1-3.2, 3.4-3.5).
"""
import itertools

import numpy as np
import pytest
from scipy.optimize import nnls

from core.kernels import (
    FLUSH_BELOW,
    LOSS_EXP,
    LOSS_LOGISTIC,
    add_step,
    gd_rule,
    gram_data,
    log_loss_slopes,
    log_loss_terms,
    log_sum_exp,
    margins_and_weights,
    model_outputs,
    primal_data,
    recording,
    step_weights,
    train_gd_gram,
    train_gd_primal,
)
from core.kkt_kernels import clarke_system
from core.models import output_gradient, output_weights
from core.nnls_kernels import (
    NNLS_CONVERGED,
    NNLS_MAX_SWEEPS,
    NNLS_UNBOUNDED,
    nnls_blocks,
    nnls_gram,
    solver_options,
)
from tests import naive

CODES = {"exp": LOSS_EXP, "logistic": LOSS_LOGISTIC}
EXTREME_Q = np.array([-800.0, 0.0, 800.0])
# Both sides of the logistic branch points (+-30) and of log l = 0 (q = -log(e - 1)).
Q_GRID = np.array([-800.0, -100.0, -30.5, -30.0, -29.5, -1.0, -0.5413248546129181, -1e-8,
                   0.0, 1e-8, 1.0, 29.5, 30.0, 30.5, 100.0, 800.0])


def close_in_log_domain(got, exact, tol=1e-14):
    """|got - exact| <= tol max(1, |exact|): a log is accurate in absolute terms near 0."""
    exact = np.asarray(exact, dtype=np.float64)
    assert np.all(np.isfinite(got))
    np.testing.assert_array_less(np.abs(got - exact), tol * np.maximum(1.0, np.abs(exact)) + 1e-300)


def model_setup(n, d, m, is_relu, seed):
    """(X, y, W, v) with W of unit-ish scale so the margins are O(1)."""
    X, y = naive.gaussian_data(n, d, seed)
    rng = np.random.default_rng([seed, 7])
    if is_relu:
        return X, y, rng.standard_normal((m, d)), naive.output_weights(m)
    return X, y, rng.standard_normal((1, d)), np.ones(1)


# ------------------------------------------------------------------ output weights, forward

@pytest.mark.parametrize("width", [1, 2, 3, 100, 101])
def test_output_weights_match_the_formula(width):
    np.testing.assert_array_equal(output_weights(width), naive.output_weights(width))


@pytest.mark.parametrize("is_relu", [True, False])
@pytest.mark.parametrize("m,n", [(1, 1), (2, 2), (1, 5), (2, 1), (7, 3), (100, 40)])
def test_model_outputs_matches_twin(m, n, is_relu):
    rng = np.random.default_rng(m * 100 + n)
    W, X = rng.standard_normal((m, 4)), rng.standard_normal((n, 4))
    W[0] = 0.0                                   # a neuron sitting exactly at the kink
    v = naive.output_weights(m) if is_relu else rng.standard_normal(m)
    Zt = np.ascontiguousarray(W @ X.T)
    out = np.full(n, np.nan)
    model_outputs(Zt, v, is_relu, out)
    np.testing.assert_allclose(out, naive.forward(W, X, v, is_relu), rtol=1e-13, atol=1e-15)


# ------------------------------------------------------------------ losses at any margin

@pytest.mark.parametrize("kind", ["exp", "logistic"])
@pytest.mark.parametrize("kernel_fn,twin", [(log_loss_terms, naive.log_loss_longdouble),
                                            (log_loss_slopes, naive.log_slope_longdouble)],
                         ids=["log_loss", "log_slope"])
def test_log_loss_kernels_exact_on_a_grid_including_extremes(kind, kernel_fn, twin):
    """log l(q) and log|l'(q)| against extended-precision twins, extremes included."""
    rng = np.random.default_rng(11)
    q = np.concatenate([Q_GRID, rng.uniform(-60, 60, 300)])
    out = np.empty_like(q)
    kernel_fn(q, CODES[kind], out)
    close_in_log_domain(out, twin(q, kind))


def test_extreme_margins_closed_forms():
    """q = -800, 0, 800: log l and log|l'| by hand (e^{-800} is below double precision)."""
    out = np.empty(3)
    log_loss_terms(EXTREME_Q, LOSS_LOGISTIC, out)
    # log log(1 + e^800) = log(800 + log1p(e^-800)) = log 800; log log 2; log(e^-800 (1 - ...))
    np.testing.assert_allclose(out, [np.log(800.0), np.log(np.log(2.0)), -800.0], rtol=1e-15)
    log_loss_slopes(EXTREME_Q, LOSS_LOGISTIC, out)
    # -log(1 + e^q): -e^-800 (rounds to 0), -log 2, -800
    np.testing.assert_allclose(out, [0.0, -np.log(2.0), -800.0], rtol=1e-15, atol=1e-300)
    log_loss_terms(EXTREME_Q, LOSS_EXP, out)
    np.testing.assert_array_equal(out, [800.0, 0.0, -800.0])
    log_loss_slopes(EXTREME_Q, LOSS_EXP, out)
    np.testing.assert_array_equal(out, [800.0, 0.0, -800.0])


def step_weights_longdouble(q, kind, normalized):
    """g_i and log L in extended precision (exact for |q| <= 800), flushed below 1e-250."""
    ell = np.exp(naive.log_loss_longdouble(q, kind))
    slope = np.exp(naive.log_slope_longdouble(q, kind))
    n = q.shape[0]
    g = slope / (ell.sum() if normalized else n)
    g[g < FLUSH_BELOW] = 0
    with np.errstate(over="ignore"):          # e^800 / n -> inf, the rounded value
        return g.astype(np.float64), float(np.log(ell.sum() / n))


@pytest.mark.parametrize("normalized", [True, False])
@pytest.mark.parametrize("kind", ["exp", "logistic"])
@pytest.mark.parametrize("q", [
    EXTREME_Q, np.array([-700.0, 0.0, 800.0]), np.array([0.0]), np.array([800.0, 801.0]),
    np.array([-1.0, 2.0]), np.linspace(-40, 40, 17), np.array([40.0, 45.0, 700.0])],
    ids=["-800,0,800", "-700,0,800", "n1", "two-large", "n2", "grid", "large"])
def test_step_weights_finite_and_exact(q, kind, normalized):
    g = np.full(q.shape[0], np.nan)
    log_L = step_weights(q, CODES[kind], normalized, g)
    g_exact, log_L_exact = step_weights_longdouble(q, kind, normalized)
    if not normalized and kind == "exp" and q.min() < -709:
        # plain GD, exp loss at q = -800: the exact weight e^800 / 3 is above the float64
        # range, so the correctly rounded value is inf (normalized GD exists for this)
        assert g[0] == np.inf == g_exact[0]
        g, g_exact = g[1:], g_exact[1:]
    assert np.all(np.isfinite(g)) and np.isfinite(log_L)
    np.testing.assert_allclose(g, g_exact, rtol=1e-13, atol=0)
    close_in_log_domain(log_L, log_L_exact)


def test_step_weights_normalized_exp_is_a_softmax_at_extremes():
    """g = softmax(-q) for exp loss: at (-800, 0, 800) it is (1, 0, 0) exactly in double."""
    g = np.empty(3)
    log_L = step_weights(EXTREME_Q, LOSS_EXP, True, g)
    np.testing.assert_array_equal(g, [1.0, 0.0, 0.0])
    np.testing.assert_allclose(log_L, 800.0 - np.log(3.0), rtol=1e-15)


def gd_step_coefficients(Zt, y, v, is_relu, kind, normalized, lr):
    """(C, g, log L, min q) from the two step kernels: C_ji = lr g_i y_i v_j sigma'(Zt_ji)."""
    m, n = Zt.shape
    g = np.full(n, np.nan)
    rule = gd_rule(y, v, is_relu, CODES[kind], normalized, lr)
    log_L, min_q = margins_and_weights(Zt, rule, g)
    A, C = np.zeros((m, n)), np.full((m, n), np.nan)
    add_step(Zt, rule, g, A, C)
    np.testing.assert_array_equal(A, C)          # A += C from A = 0
    return C, g, log_L, min_q


@pytest.mark.parametrize("normalized", [True, False])
@pytest.mark.parametrize("kind", ["exp", "logistic"])
@pytest.mark.parametrize("is_relu", [True, False])
@pytest.mark.parametrize("n,d,m", [(2, 1, 2), (2, 3, 2), (9, 5, 6), (40, 60, 100)])
def test_step_kernels_match_twin(n, d, m, is_relu, kind, normalized):
    """margins_and_weights + add_step: C_ji = lr g_i y_i v_j sigma'(Zt_ji), log L, min q."""
    X, y, W, v = model_setup(n, d, m, is_relu, seed=n + d + m)
    Zt = np.ascontiguousarray(W @ X.T)
    if is_relu:
        Zt[0, 0] = 0.0                           # sigma'(0) := 0 (docs/theory.md §3.1)
    lr = 8.0
    C, g, log_L, min_q = gd_step_coefficients(Zt, y, v, is_relu, kind, normalized, lr)
    q = y * ((np.maximum(Zt, 0) if is_relu else Zt).T @ v)
    g_twin, log_L_twin = naive.step_weights(q, kind, normalized)
    slope = (Zt > 0) if is_relu else np.ones_like(Zt)
    C_twin = lr * (g_twin * y)[None, :] * v[:, None] * slope
    np.testing.assert_allclose(g, g_twin, rtol=1e-12, atol=0)
    np.testing.assert_allclose(C, C_twin, rtol=1e-12, atol=0)
    np.testing.assert_allclose(log_L, log_L_twin, rtol=1e-12, atol=1e-14)
    assert min_q == pytest.approx(q.min(), rel=1e-13, abs=1e-15)
    if is_relu:
        assert C[0, 0] == 0.0


def test_add_step_accumulates_and_skips_c_when_not_asked():
    """A += C on a non-zero A; a C of shape (0, 0) is left alone (the Gram path)."""
    X, y, W, v = model_setup(5, 4, 3, True, seed=9)
    Zt = np.ascontiguousarray(W @ X.T)
    g = np.abs(np.random.default_rng(9).standard_normal(5))
    A0 = np.random.default_rng(10).standard_normal((3, 5))
    A = A0.copy()
    add_step(Zt, gd_rule(y, v, True, LOSS_EXP, True, 0.5), g, A, np.empty((0, 0)))
    expected = 0.5 * (g * y)[None, :] * v[:, None] * (Zt > 0)
    np.testing.assert_allclose(A - A0, expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("a", [np.array([0.0]), np.array([-800.0, 0.0, 800.0]),
                               np.array([1e3, 1e3 - 1.0]), np.linspace(-5, 5, 11)])
def test_log_sum_exp_matches_longdouble(a):
    exact = np.log(np.sum(np.exp(a.astype(np.longdouble))))
    close_in_log_domain(log_sum_exp(a), exact)


# ------------------------------------------------------------------ gradients vs finite differences

def central_difference(f, W, h):
    """(f(W + h e_jk) - f(W - h e_jk)) / 2h for every coordinate."""
    grad = np.zeros_like(W)
    for j, k in itertools.product(range(W.shape[0]), range(W.shape[1])):
        E = np.zeros_like(W)
        E[j, k] = h
        grad[j, k] = (f(W + E) - f(W - E)) / (2 * h)
    return grad


def far_from_kink(W, X, h, is_relu):
    """Coordinates (j, k) whose +-h perturbation moves no <w_j, x_i> across 0 (with room)."""
    if not is_relu:
        return np.ones(W.shape, bool)
    Z = np.abs(W @ X.T)                                       # (m, n)
    # moving w_jk by h moves z_ji by h |x_ik|: ask for a factor 100 of room for every i
    room = Z[:, None, :] > 100 * h * np.abs(X.T)[None, :, :]  # (m, d, n)
    return room.all(axis=2)


@pytest.mark.parametrize("is_relu", [True, False])
@pytest.mark.parametrize("m,d", [(2, 1), (4, 3), (6, 40)])
@pytest.mark.parametrize("seed", [0, 1])
def test_output_gradient_matches_central_differences(m, d, is_relu, seed):
    X, _, W, v = model_setup(1, d, m, is_relu, seed)
    x = X[0]
    h = 1e-6
    fd = central_difference(lambda V: naive.forward(V, x[None, :], v, is_relu)[0], W, h)
    mask = far_from_kink(W, x[None, :], h, is_relu)
    assert mask.sum() >= W.size // 2
    got = output_gradient(W, x, v, is_relu)
    assert got.shape == W.shape
    np.testing.assert_allclose(got[mask], fd[mask], rtol=1e-7, atol=1e-9)


def test_output_gradient_is_zero_at_the_kink():
    """sigma'(0) := 0: a neuron with <w_j, x> = 0 exactly gets no gradient."""
    x = np.array([1.0, 0.0, 2.0])
    W = np.array([[0.0, 5.0, 0.0], [1.0, 1.0, 1.0], [-1.0, 0.0, 0.0]])
    v = naive.output_weights(3)
    got = output_gradient(W, x, v, True)
    np.testing.assert_array_equal(got, naive.output_gradient(W, x, v, True))
    np.testing.assert_array_equal(got[0], 0.0)
    np.testing.assert_array_equal(got[2], 0.0)
    np.testing.assert_allclose(got[1], v[1] * x)


@pytest.mark.parametrize("normalized", [True, False])
@pytest.mark.parametrize("kind", ["exp", "logistic"])
@pytest.mark.parametrize("is_relu", [True, False])
@pytest.mark.parametrize("n,d,m", [(2, 1, 2), (5, 4, 3), (6, 12, 4)])
def test_gd_step_is_minus_eta_times_the_finite_difference_gradient(n, d, m, is_relu, kind,
                                                                   normalized):
    """W_{t+1} - W_t = C X = -eta grad L, eta = lr / L (normalized) or lr (plain)."""
    X, y, W, v = model_setup(n, d, m, is_relu, seed=3 * n + d)
    W = 0.5 * W
    lr, h = 0.7, 1e-5
    Zt = np.ascontiguousarray(W @ X.T)
    C = gd_step_coefficients(Zt, y, v, is_relu, kind, normalized, lr)[0]

    def loss(V):
        return naive.empirical_loss(V, X, y, v, is_relu, kind)

    eta = lr / loss(W) if normalized else lr
    expected = -eta * central_difference(loss, W, h)
    mask = far_from_kink(W, X, h, is_relu)
    assert mask.any()
    np.testing.assert_allclose((C @ X)[mask], expected[mask], rtol=1e-7,
                               atol=1e-9 * np.abs(expected).max())


# ------------------------------------------------------------------ training kernels

def kernel_run(kernel, X, y, W0, v, is_relu, kind, normalized, lr, chunks, rec_steps):
    """Run a training kernel over ``chunks`` [(t0, n_steps), ...]; return A, hist, snaps."""
    m, n = W0.shape[0], X.shape[0]
    A = np.zeros((m, n))
    hist = np.zeros((rec_steps.shape[0], 4))
    snaps = np.zeros((rec_steps.shape[0], m, n))
    ptr = 0
    W = W0.copy()
    rule = gd_rule(y, v, is_relu, CODES[kind], normalized, lr)
    rec = recording(rec_steps, hist, snaps)
    if kernel is train_gd_gram:
        data = gram_data(X @ X.T, W0 @ X.T, np.sum(W0 * W0))
    else:
        data = primal_data(X, W)
    for t0, n_steps in chunks:
        ptr = kernel(data, rule, A, t0, n_steps, rec, ptr)
    return A, hist, snaps, ptr, W


@pytest.mark.parametrize("kernel", [train_gd_gram, train_gd_primal], ids=["gram", "primal"])
@pytest.mark.parametrize("normalized", [True, False])
@pytest.mark.parametrize("kind", ["exp", "logistic"])
@pytest.mark.parametrize("is_relu", [True, False])
@pytest.mark.parametrize("n,d,m", [(2, 1, 2), (6, 15, 5), (12, 4, 3)])
def test_training_kernels_match_primal_gd_twin(kernel, n, d, m, is_relu, kind, normalized):
    X, y = naive.gaussian_data(n, d, seed=n * d)
    W0 = naive.relu_init(m, d, 0.1, seed=m) if is_relu else np.zeros((1, d))
    v = naive.output_weights(m) if is_relu else np.ones(1)
    rec = np.array([0, 3, 10, 29, 30], dtype=np.int64)
    A, hist, snaps, ptr, W = kernel_run(kernel, X, y, W0, v, is_relu, kind, normalized, 2.0,
                                        [(0, 10), (10, 20)], rec)
    path, history = naive.gd(X, y, W0, v, is_relu, kind, normalized, 2.0, 30)
    assert ptr == rec.shape[0]
    np.testing.assert_allclose(W0 + A @ X, path[-1], rtol=1e-11, atol=1e-13)
    if kernel is train_gd_primal:
        np.testing.assert_allclose(W, path[-1], rtol=1e-11, atol=1e-13)
    np.testing.assert_array_equal(hist[:, 0], rec)
    np.testing.assert_allclose(hist[:, 1:], history[rec, 1:], rtol=1e-10, atol=1e-12)
    for r, t in enumerate(rec):
        np.testing.assert_allclose(W0 + snaps[r] @ X, path[t], rtol=1e-11, atol=1e-13)


# ------------------------------------------------------------------ NNLS

GRAM_OPTIONS = solver_options(1e-12, 20000, check_unbounded=True)   # as exact_svm uses it


def brute_force_nnls(G, h):
    """argmin_{x >= 0} 1/2 x'Gx - h'x by trying every support (tiny p): the KKT point."""
    p = h.shape[0]
    best, best_value = np.zeros(p), 0.0
    for size in range(1, p + 1):
        for S in itertools.combinations(range(p), size):
            S = list(S)
            z = np.linalg.lstsq(G[np.ix_(S, S)], h[S], rcond=None)[0]
            if np.any(z < 0):
                continue
            x = np.zeros(p)
            x[S] = z
            value = 0.5 * x @ G @ x - h @ x
            if value < best_value - 1e-14:
                best, best_value = x, value
    return best


@pytest.mark.parametrize("p,k", [(1, 1), (1, 4), (2, 2), (2, 5), (5, 9), (8, 8), (30, 60)])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_nnls_gram_matches_scipy_nnls(p, k, seed):
    rng = np.random.default_rng([p, k, seed])
    M, b = rng.standard_normal((k, p)), rng.standard_normal(k)
    G, h = np.ascontiguousarray(M.T @ M), M.T @ b
    x, status, sweeps, violation = nnls_gram(G, h, GRAM_OPTIONS)
    x_ref, _ = nnls(M, b)
    assert status == NNLS_CONVERGED
    assert np.all(x >= 0)
    np.testing.assert_allclose(x, x_ref, rtol=1e-8, atol=1e-10 * max(1.0, np.abs(x_ref).max()))
    if p <= 8:
        np.testing.assert_allclose(x, brute_force_nnls(G, h), rtol=1e-8, atol=1e-10)
    # the KKT conditions themselves: x >= 0, grad >= 0, grad = 0 on the support
    grad = G @ x - h
    scale = np.abs(h).max()
    assert np.all(grad >= -1e-9 * scale)
    assert np.all(np.abs(grad[x > 0]) <= 1e-9 * scale)
    assert violation <= 1e-9 * scale


@pytest.mark.parametrize("p,k", [(4, 2), (10, 3), (6, 1)])
def test_nnls_gram_rank_deficient_reaches_the_optimal_residual(p, k):
    """More unknowns than equations: x is not unique, but the residual ||Mx - b|| is."""
    rng = np.random.default_rng([p, k])
    M, b = rng.standard_normal((k, p)), rng.standard_normal(k)
    G, h = np.ascontiguousarray(M.T @ M), M.T @ b
    x, status, _, _ = nnls_gram(G, h, GRAM_OPTIONS)
    x_ref, res_ref = nnls(M, b)
    assert status == NNLS_CONVERGED and np.all(x >= 0)
    assert np.linalg.norm(M @ x - b) == pytest.approx(res_ref, rel=1e-7, abs=1e-10)


def test_nnls_gram_reports_an_unbounded_objective():
    """SVM dual of x = 1 labelled +1 and -1 (not separable): 1/2 (a1 - a2)² - a1 - a2."""
    G = np.array([[1.0, -1.0], [-1.0, 1.0]])
    x, status, _, _ = nnls_gram(G, np.ones(2),
                                solver_options(1e-12, 100000, check_unbounded=True))
    assert status == NNLS_UNBOUNDED
    assert np.all(x >= 0)


def test_nnls_gram_reports_the_sweep_budget():
    """Ill-conditioned G with one sweep allowed: feasible but flagged as not converged."""
    rng = np.random.default_rng(5)
    Q = np.linalg.qr(rng.standard_normal((6, 6)))[0]
    G = np.ascontiguousarray(Q @ np.diag(np.logspace(0, -8, 6)) @ Q.T)
    h = G @ np.abs(rng.standard_normal(6)) + 1e-3
    x, status, sweeps, violation = nnls_gram(G, h, solver_options(1e-12, 1, check_unbounded=True))
    assert status == NNLS_MAX_SWEEPS and sweeps == 1
    assert np.all(x >= 0) and violation > 1e-12 * np.abs(h).max()


# ------------------------------------------------------------------ Clarke system

def clarke_inputs(n, d, m, is_relu, kappa, seed):
    X, y, W, v = model_setup(n, d, m, is_relu, seed)
    rng = np.random.default_rng([seed, 3])
    lam_ok = rng.random(n) < 0.75
    lam_ok[0] = True
    in_R = np.ones(n, bool)
    kink, active = naive.kink_and_active(W, X, is_relu, kappa, in_R)
    return X, y, W, v, kink, active, lam_ok


def assemble(system):
    """The full G = [[D, C'], [C, blockdiag(B_j)]] from the factored BlockGram:
    C[a, c] = v_j² Ky[l, c] act[j, c], B_j[a, b] = v_j² Ky[l, l'] for a = (j, l), b = (j, l')."""
    D, Ky, act, vv = system.D, system.Ky, system.act, system.vv
    pair_j, pair_lam = system.pair_j, system.pair_lam
    p_d, p_m = D.shape[0], pair_j.shape[0]
    G = np.zeros((p_d + p_m, p_d + p_m))
    G[:p_d, :p_d] = D
    for a in range(p_m):
        j, l = pair_j[a], pair_lam[a]
        G[p_d + a, :p_d] = G[:p_d, p_d + a] = vv[j] * Ky[l] * act[j]
        for b in range(p_m):
            if pair_j[b] == j:
                G[p_d + a, p_d + b] = vv[j] * Ky[l, pair_lam[b]]
    return G


def run_clarke_system(X, y, W, v, is_relu, kink, lam_ok):
    return clarke_system(np.ascontiguousarray(W @ X.T), np.ascontiguousarray(X @ X.T), y, v,
                         is_relu, kink, lam_ok)


@pytest.mark.parametrize("is_relu", [True, False])
@pytest.mark.parametrize("n,d,m", [(2, 1, 2), (2, 3, 2), (5, 3, 4), (8, 40, 6), (12, 5, 7)])
@pytest.mark.parametrize("kappa", [0.0, 0.3])
def test_clarke_system_is_the_normal_equations_of_the_explicit_columns(n, d, m, is_relu, kappa):
    X, y, W, v, kink, active, lam_ok = clarke_inputs(n, d, m, is_relu, kappa, seed=n + m)
    system = run_clarke_system(X, y, W, v, is_relu, kink, lam_ok)
    h, lam_index, pair_j, pair_i = system.h, system.lam_index, system.pair_j, system.pair_i
    block_start = system.block_start
    M, lam_points, pairs = naive.stationarity_columns(W, X, y, v, kink, active, lam_ok)
    np.testing.assert_array_equal(lam_index, lam_points)
    np.testing.assert_array_equal(np.column_stack([pair_j, pair_i]).reshape(-1, 2),
                                  np.array(pairs, dtype=int).reshape(-1, 2))
    # blocks: one per neuron that has kink pairs, covering exactly that neuron's pairs
    starts = [a for a in range(len(pairs)) if a == 0 or pairs[a][0] != pairs[a - 1][0]]
    np.testing.assert_array_equal(block_start, starts + [len(pairs)])
    G = assemble(system)
    scale = np.abs(M).max() ** 2 * d
    np.testing.assert_allclose(G, M.T @ M, rtol=1e-12, atol=1e-14 * scale)
    np.testing.assert_allclose(h, M.T @ W.ravel(), rtol=1e-12,
                               atol=1e-14 * scale * np.abs(W).max())
    if is_relu and kappa > 0 and n >= 5:
        assert pair_j.shape[0] > 0, "the test should exercise kink columns"


@pytest.mark.parametrize("is_relu", [True, False])
@pytest.mark.parametrize("n,d,m", [(2, 3, 2), (8, 40, 6), (12, 30, 7)])
@pytest.mark.parametrize("kappa", [0.0, 0.3])
def test_nnls_blocks_on_the_clarke_system_matches_scipy_nnls(n, d, m, is_relu, kappa):
    """The structured solver against scipy.optimize.nnls on the explicit columns."""
    X, y, W, v, kink, active, lam_ok = clarke_inputs(n, d, m, is_relu, kappa, seed=2 * n + m)
    parts = run_clarke_system(X, y, W, v, is_relu, kink, lam_ok)
    x, status, _, _ = nnls_blocks(parts, solver_options(1e-12, 20000, bounded=False))
    M, _, _ = naive.stationarity_columns(W, X, y, v, kink, active, lam_ok)
    x_ref, res_ref = nnls(M, W.ravel(), maxiter=100 * M.shape[1])
    assert status == NNLS_CONVERGED
    assert np.linalg.norm(M @ x - W.ravel()) == pytest.approx(res_ref, rel=1e-9)
    np.testing.assert_allclose(x, x_ref, rtol=1e-7, atol=1e-9 * max(1.0, x_ref.max()))


def test_clarke_system_with_no_unknowns():
    """Every point excluded (lam_ok all False): an empty system, not an error."""
    X, y, W, v, kink, _, _ = clarke_inputs(3, 4, 2, True, 0.3, seed=0)
    system = run_clarke_system(X, y, W, v, True, kink, np.zeros(3, bool))
    D, h, lam_index, pair_j = system.D, system.h, system.lam_index, system.pair_j
    block_start = system.block_start
    assert D.shape == (0, 0) and system.act.shape[1] == 0 and h.shape == (0,)
    assert lam_index.size == 0 and pair_j.size == 0 and block_start.tolist() == [0]
