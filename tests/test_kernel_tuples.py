"""Kernels with named-tuple arguments (issue 18) against the positional kernels they replaced.

The kernels of ``tests.before.REVISION`` are read from git at run time (nothing of them is
stored here) and run on the same inputs as the current ones: training (Gram and primal
path, every loss and optimizer, in chunks against one call), the weighted GD of the
unlearning baselines and the certificate's solver (bounded, unbounded, dense with exact
face solves, the ray test, in chunks) give the same numbers bit for bit. In the same run
each result is checked against an independent reference: the plain NumPy primal GD of
tests/naive.py and scipy.optimize.nnls on the explicit stationarity columns. Finally every
kernel of the three modules has compiled one signature after the engine's paths ran.
"""
import numpy as np
import pytest
from scipy.optimize import nnls

from core import kernels, method_kernels, nnls_kernels
from core.compare import prepare
from core.kkt import certify, solve_in_chunks
from core.kkt_kernels import clarke_system
from core.methods import weighted_gd
from core.models import GramModel, build_context, weights
from core.scenario import Scenario
from core.train import LOSS_CODES, record_schedule, train
from explorer.warmup import warm_up
from tests import before, naive


@pytest.fixture(scope="module")
def old():
    """The kernel modules at tests.before.REVISION (compiled, or loaded from the cache)."""
    modules = before.load()
    if modules is None:
        pytest.skip(f"git or revision {before.REVISION[:12]} not available")
    return modules


def context(n, d, m, is_relu, seed):
    X, y = naive.gaussian_data(n, d, seed)
    if is_relu:
        W0, v = naive.relu_init(m, d, 0.1, seed + 1), naive.output_weights(m)
    else:
        W0, v = np.zeros((1, d)), np.ones(1)
    return build_context(X, y, W0, v, is_relu)


def old_training(old, ctx, loss, normalized, lr, steps, gram):
    """A, hist, snaps of one call of the old positional training kernel over all steps."""
    m, n = ctx.width, ctx.n_samples
    rec = record_schedule(steps)
    A, hist, snaps = np.zeros((m, n)), np.zeros((rec.shape[0], 4)), np.zeros((rec.shape[0], m, n))
    common = (ctx.y, ctx.v, ctx.is_relu, LOSS_CODES[loss], normalized, float(lr), A, 0, steps,
              rec, 0, hist, snaps)
    if gram:
        old.train_gd_gram(ctx.K, ctx.Z0t, float(ctx.w0_row_sq.sum()), *common)
    else:
        old.train_gd_primal(ctx.X, np.ascontiguousarray(ctx.X.T), ctx.W0.copy(), *common)
    return A, hist, snaps


@pytest.mark.parametrize("path", ["gram", "primal"])
@pytest.mark.parametrize("optimizer", ["normalized", "plain"])
@pytest.mark.parametrize("loss", ["exp", "logistic"])
@pytest.mark.parametrize("is_relu", [True, False])
def test_training_is_the_positional_kernels_bit_for_bit(old, is_relu, loss, optimizer, path):
    n, d, m, steps, lr = (10, 30, 8, 60, 2.0) if path == "gram" else (12, 4, 3, 60, 2.0)
    ctx = context(n, d, m, is_relu, seed=n + d)
    new = train(ctx, loss=loss, optimizer=optimizer, lr=lr, steps=steps, path=path, chunks=4)
    A, hist, snaps = old_training(old["kernels"], ctx, loss, optimizer == "normalized", lr,
                                  steps, path == "gram")
    np.testing.assert_array_equal(new.params.A, A)
    np.testing.assert_array_equal(new.history.log_loss, hist[:, 1])
    np.testing.assert_array_equal(new.history.min_margin, hist[:, 2])
    np.testing.assert_array_equal(new.history.param_norm, hist[:, 3])
    np.testing.assert_array_equal(new.history.snapshots, snaps)
    path_twin, history = naive.gd(ctx.X, ctx.y, ctx.W0, ctx.v, is_relu, loss,
                                  optimizer == "normalized", lr, steps)
    np.testing.assert_allclose(weights(ctx, new.params), path_twin[-1], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(new.history.min_margin, history[new.history.steps, 2],
                               rtol=1e-10, atol=1e-12)


def old_weighted(old, ctx, model, coef, y, loss, normalized, lr, steps, gram):
    A = model.A.copy()
    args = (y, ctx.v, ctx.is_relu, LOSS_CODES[loss], coef, normalized, float(lr), A)
    if gram:
        old.weighted_gd_gram(ctx.K, np.ascontiguousarray(model.s0 * ctx.Z0t), *args, steps)
    else:
        W = np.ascontiguousarray(model.s0 * ctx.W0 + model.A @ ctx.X)
        old.weighted_gd_primal(ctx.X, np.ascontiguousarray(ctx.X.T), W, *args, steps)
    return A


@pytest.mark.parametrize("path", ["gram", "primal"])
@pytest.mark.parametrize("normalized", [True, False])
@pytest.mark.parametrize("is_relu", [True, False])
def test_weighted_gd_is_the_positional_kernels_bit_for_bit(old, is_relu, normalized, path):
    ctx = context(9, 25, 6, is_relu, seed=4)
    start = GramModel(0.7, np.random.default_rng(5).standard_normal((ctx.width, 9)) * 0.3)
    coef = np.linspace(-0.6, 1.0, 9)                   # signed, with a zero left in
    coef[3] = 0.0
    flipped = ctx.y * np.where(np.arange(9) % 4 == 0, -1.0, 1.0)
    for y, loss in ((ctx.y, "exp"), (flipped, "logistic")):
        got = weighted_gd(ctx, start, coef, y=y, loss=loss, normalized=normalized, lr=0.2,
                          steps=9, path=path)
        want = old_weighted(old["method_kernels"], ctx, start, coef, y, loss, normalized,
                            0.2, 9, path == "gram")
        np.testing.assert_array_equal(got.A, want)
    # with c_i = 1/n the iterates are GD on L itself: the NumPy twin of training
    uniform = GramModel(1.0, np.zeros((ctx.width, 9)))
    got = weighted_gd(ctx, uniform, np.full(9, 1 / 9), normalized=normalized, lr=0.5,
                      steps=7, path=path)
    twin, _ = naive.gd(ctx.X, ctx.y, ctx.W0, ctx.v, is_relu, "exp", normalized, 0.5, 7)
    np.testing.assert_allclose(weights(ctx, got), twin[-1], rtol=1e-10, atol=1e-12)


def relu_system(n, d, m, kappa, seed):
    """Inputs of a random ReLU net's Clarke system and the system itself."""
    X, y = naive.gaussian_data(n, d, seed)
    W, v = np.random.default_rng([seed, 7]).standard_normal((m, d)), naive.output_weights(m)
    lam_ok = np.ones(n, bool)
    kink, active = naive.kink_and_active(W, X, True, kappa, lam_ok)
    system = clarke_system(np.ascontiguousarray(W @ X.T), np.ascontiguousarray(X @ X.T), y, v,
                           True, kink, lam_ok)
    return system, naive.stationarity_columns(W, X, y, v, kink, active, lam_ok)[0], W.ravel()


def dense_system(G, h):
    p, none = h.shape[0], np.zeros(0, dtype=np.int64)
    return nnls_kernels.BlockGram(np.ascontiguousarray(G), np.zeros((0, 0)), np.zeros((0, p)),
                                  np.zeros(0), h, np.zeros(1, dtype=np.int64), none, none,
                                  np.arange(p), none)


def ill_conditioned(p, seed):
    rng = np.random.default_rng(seed)
    Q = np.linalg.qr(rng.standard_normal((p, p)))[0]
    G = Q @ np.diag(np.logspace(0, -8, p)) @ Q.T
    return dense_system(G, G @ np.abs(rng.standard_normal(p)) + 1e-3)


SYSTEMS = {
    "relu, bounded": (lambda: relu_system(12, 30, 7, 0.3, 1)[0], dict(bounded=True)),
    "relu, mu unbounded": (lambda: relu_system(12, 30, 7, 0.3, 2)[0], dict(bounded=False)),
    "relu, many kinks": (lambda: relu_system(16, 40, 10, 0.5, 3)[0], dict(bounded=True)),
    "dense, exact solves": (lambda: ill_conditioned(8, 5), dict(check_unbounded=True)),
    "dense, unbounded": (lambda: dense_system(np.array([[1.0, -1.0], [-1.0, 1.0]]),
                                              np.ones(2)), dict(check_unbounded=True)),
}


@pytest.mark.parametrize("max_sweeps", [15, 20000])
@pytest.mark.parametrize("case", list(SYSTEMS))
def test_solver_is_the_positional_state_bit_for_bit(old, case, max_sweeps):
    """nnls_blocks (one call) and core.kkt.solve_in_chunks (chunks, face solves outside)
    against the old nnls_blocks, whose state was counters[0..3] and values[0..1]."""
    build, flags = SYSTEMS[case]
    system = build()
    want = old["nnls_kernels"].nnls_blocks(old["nnls_kernels"].BlockGram(*system),
                                           old["nnls_kernels"].solver_options(1e-12, max_sweeps,
                                                                              **flags))
    options = nnls_kernels.solver_options(1e-12, max_sweeps, **flags)
    for got in (nnls_kernels.nnls_blocks(system, options),
                solve_in_chunks(system, options, 3)):
        np.testing.assert_array_equal(got.x, want.x)
        assert (got.status, got.sweeps, got.violation) == (want.status, want.sweeps,
                                                           want.violation)


def test_unbounded_solver_still_matches_scipy_nnls():
    """The independent reference in the same run: min ||M x - b|| over x >= 0 (SciPy)."""
    system, M, b = relu_system(12, 30, 7, 0.3, 2)
    got = nnls_kernels.nnls_blocks(system, nnls_kernels.solver_options(1e-12, 20000,
                                                                       bounded=False))
    x_ref, res_ref = nnls(M, b, maxiter=100 * M.shape[1])
    assert got.status == nnls_kernels.NNLS_CONVERGED
    assert np.linalg.norm(M @ got.x - b) == pytest.approx(res_ref, rel=1e-9)


def test_each_kernel_compiles_one_signature():
    """After the engine's paths ran (``explorer.warmup``: training in Gram and primal space,
    ReLU and linear, every method, sequential GA, certificates, the exact SVM) and an
    unbounded certificate, no kernel of the three modules has a second specialization (a
    second costs a second compilation; kernels only called from other kernels show 0)."""
    warm_up()
    prep = prepare(Scenario(n_samples=10, dim=100, width=10, steps=30))
    certify(prep.ctx, prep.original.model, mu_bound=False)
    for module in (kernels, method_kernels, nnls_kernels):
        for name, fn in vars(module).items():
            if hasattr(fn, "signatures") and fn.__module__ == module.__name__:
                assert len(fn.signatures) <= 1, (name, fn.signatures)
    for fn in (kernels.train_gd_gram, kernels.train_gd_primal,
               method_kernels.weighted_gd_gram, method_kernels.weighted_gd_primal,
               nnls_kernels.nnls_sweeps, nnls_kernels.face_eliminate, nnls_kernels.face_mu):
        assert len(fn.signatures) == 1, fn
