"""core.kkt.certify against scipy.optimize.nnls on the explicit stationarity system
(docs/theory.md §3.3-3.5), for the linear model and the Clarke certificate of a small ReLU net;
the bound mu_ji <= lam_i against an NNLS over the generators of the bounded cone and SLSQP.
"""
import dataclasses

import numpy as np
import pytest
from scipy.optimize import LinearConstraint, minimize

from core import kkt_kernels, nnls_kernels
from core.errors import InputError
from core.kkt import certify
from core.models import GramModel, build_context
from core.report import certificate_caveat, certificate_dict
from core.train import train
from core.unlearn import exact_svm
from tests import naive
from tests.naive import explicit


def linear_setup(n, d, seed, steps=300):
    """Data and a linear model trained a little on it. n < d: x_i ~ N(0, I/d) with balanced
    random labels; n >= d: labels of a random w* with |cos(x_i, w*)| >= 0.05, so the data
    are separable through the origin."""
    if n < d:
        X, y = naive.gaussian_data(n, d, seed)
    else:
        rng = np.random.default_rng(seed)
        w_star = rng.standard_normal(d)
        rows = []
        while len(rows) < n:
            x = rng.standard_normal(d) / np.sqrt(d)
            if abs(x @ w_star) >= 0.05 * np.linalg.norm(x) * np.linalg.norm(w_star):
                rows.append(x)
        X = np.array(rows)
        y = np.sign(X @ w_star)
    W0, v = np.zeros((1, d)), np.ones(1)
    ctx = build_context(X, y, W0, v, False)
    return ctx, X, y, W0, v, train(ctx, steps=steps).params


def relu_setup(n, d, m, seed, steps=60):
    X, y = naive.gaussian_data(n, d, seed)
    W0, v = naive.relu_init(m, d, 1e-3, seed + 1), naive.output_weights(m)
    ctx = build_context(X, y, W0, v, True)
    return ctx, X, y, W0, v, train(ctx, steps=steps).params


def assert_same_certificate(cert, twin, index, n):
    """Same optimum, same (unique) dual, same margins, delta, tau and support.

    eps to 1e-7 relative, or 1e-9 ||W|| absolute when the optimum is ~0 (the solver stops
    at a relative KKT violation of 1e-10)."""
    norm_W = np.linalg.norm(twin["W"])
    assert cert.eps == pytest.approx(twin["eps"], rel=1e-7, abs=1e-9 * norm_W)
    assert cert.eps_rel == pytest.approx(twin["eps_rel"], rel=1e-7, abs=1e-9)
    lam_max = twin["lam"].max()
    np.testing.assert_allclose(cert.lam, twin["lam"], rtol=1e-7, atol=1e-9 * lam_max)
    np.testing.assert_allclose(cert.margins, twin["q"], rtol=1e-12, atol=1e-13)
    assert cert.delta == pytest.approx(twin["delta"], rel=1e-6, abs=1e-9 * lam_max)
    assert cert.tau == pytest.approx(twin["tau"], abs=1e-12)
    np.testing.assert_array_equal(cert.support, twin["support"])
    np.testing.assert_array_equal(cert.index, np.sort(index))
    outside = np.setdiff1d(np.arange(n), index)
    assert np.all(cert.lam[outside] == 0)


def assert_optimal_certificate(cert, twin, X, y, v):
    """n >= d: lam is not unique (docs/theory.md §3.4), so check that cert's lam is feasible, that
    its explicit residual is the eps reported, and that eps is the optimum to the solver's
    tolerance (relative KKT tolerance 1e-10 -> eps within ~1e-7 ||W||)."""
    norm_W = np.linalg.norm(twin["W"])
    assert np.all(cert.lam >= 0)
    assert twin["eps"] * (1 - 1e-9) - 1e-12 * norm_W <= cert.eps <= twin["eps"] + 1e-7 * norm_W
    M, lam_points, _ = naive.stationarity_columns(twin["W"], X, y, v, twin["kink"],
                                                  twin["active"], np.ones(X.shape[0], bool))
    residual = np.linalg.norm(twin["W"].ravel() - M @ cert.lam[lam_points])
    # the Gram form ||B X||² = B K Bᵀ of a tiny residual of large B loses half the digits
    # when K is singular (n >= d): eps is then accurate to ~1e-8 ||W|| only
    assert residual == pytest.approx(cert.eps, rel=1e-6, abs=1e-7 * norm_W)
    np.testing.assert_allclose(cert.margins, twin["q"], rtol=1e-12, atol=1e-13)
    assert cert.tau == pytest.approx(twin["tau"], abs=1e-12)


# ------------------------------------------------------------------ linear model

@pytest.mark.parametrize("n,d", [(12, 30), (2, 3), (2, 1), (3, 2), (40, 8), (8, 8)])
@pytest.mark.parametrize("seed", [0, 1])
def test_linear_certificate_matches_scipy_nnls(n, d, seed):
    ctx, X, y, W0, v, model = linear_setup(n, d, seed)
    W = explicit(model, W0, X)
    cert = certify(ctx, model)
    twin = naive.certificate(W, X, y, v, False)
    assert cert.converged
    assert cert.rescale_factor == pytest.approx(naive.margins(W, X, y, v, False).min(), rel=1e-12)
    np.testing.assert_allclose(explicit(cert.model, W0, X), twin["W"], rtol=1e-12, atol=1e-15)
    if n < d:        # independent columns y_i x_i: lam is unique
        assert_same_certificate(cert, twin, np.arange(n), n)
    else:
        assert_optimal_certificate(cert, twin, X, y, v)
    assert cert.n_kink_pairs == 0 and not cert.kink.any()


@pytest.mark.parametrize("index", [[0, 2, 3, 5, 7, 8, 11], [4, 1, 9, 10]])
def test_linear_certificate_on_a_subset(index):
    """Certified on R only: lam is 0 off R, delta and tau are taken over R."""
    ctx, X, y, W0, v, model = linear_setup(12, 30, seed=5)
    W = explicit(model, W0, X)
    cert = certify(ctx, model, index)
    twin = naive.certificate(W, X, y, v, False, index=index)
    assert_same_certificate(cert, twin, index, 12)


def test_certificate_without_rescaling():
    """rescale=False evaluates the model as it is: margins and eps of W itself."""
    ctx, X, y, W0, v, model = linear_setup(12, 30, seed=6)
    W = explicit(model, W0, X)
    cert = certify(ctx, model, rescale=False)
    twin = naive.certificate(W, X, y, v, False, rescale=False)
    assert cert.rescale_factor == 1.0
    assert_same_certificate(cert, twin, np.arange(12), 12)


@pytest.mark.parametrize("active_tol", [0.05, 0.3, 1.0])
def test_active_tol_restricts_which_points_carry_lam(active_tol):
    ctx, X, y, W0, v, model = linear_setup(40, 8, seed=1)
    W = explicit(model, W0, X)
    cert = certify(ctx, model, active_tol=active_tol)
    twin = naive.certificate(W, X, y, v, False, active_tol=active_tol)
    allowed = twin["q"] <= 1 + active_tol
    assert np.all(cert.lam[~allowed] == 0)
    if allowed.sum() <= 8:    # at most d candidate columns: unique lam
        assert_same_certificate(cert, twin, np.arange(40), 40)
    else:
        assert cert.eps == pytest.approx(twin["eps"], rel=1e-6, abs=1e-7 * np.linalg.norm(W))


def test_exact_kkt_point_has_zero_eps_delta_tau():
    """w = sum_i lam_i y_i x_i with lam > 0 on points of margin exactly 1 (n < d: solve
    the n x n system y_i <w, x_i> = 1) is a KKT point: eps = delta = tau = 0 up to rounding."""
    X, y = naive.gaussian_data(10, 50, seed=3)
    G = (y[:, None] * y[None, :]) * (X @ X.T)
    lam = np.linalg.solve(G, np.ones(10))
    assert np.all(lam > 0)
    ctx = build_context(X, y, np.zeros((1, 50)), np.ones(1), False)
    cert = certify(ctx, GramModel(0.0, (lam * y)[None, :]))
    assert cert.eps_rel < 1e-12 and cert.delta < 1e-12 and cert.tau < 1e-12
    np.testing.assert_allclose(cert.lam, lam, rtol=1e-10)
    assert cert.support.all()


@pytest.mark.parametrize("flip", [0, 3])
def test_certify_rejects_a_model_that_does_not_separate(flip):
    ctx, X, y, W0, v, model = linear_setup(12, 30, seed=7)
    bad = GramModel(model.s0, -model.A) if flip == 0 else model
    if flip:   # the model is fine; a point with margin <= 0 comes from flipped labels
        y2 = y.copy()
        y2[:flip] *= -1
        ctx = build_context(X, y2, W0, v, False)
    with pytest.raises(InputError, match="does not separate the data"):
        certify(ctx, bad)


# ------------------------------------------------------------------ Clarke certificate (ReLU)

@pytest.mark.parametrize("kink_tol", [0.0, 0.03, 0.3])
@pytest.mark.parametrize("seed", [0, 1])
def test_clarke_certificate_matches_scipy_nnls_on_explicit_columns(kink_tol, seed):
    """The unbounded option (mu_ji >= 0 only) is plain NNLS on the explicit columns."""
    n, d, m = 8, 40, 6
    ctx, X, y, W0, v, model = relu_setup(n, d, m, seed)
    W = explicit(model, W0, X)
    cert = certify(ctx, model, kink_tol=kink_tol, mu_bound=False)
    twin = naive.certificate(W, X, y, v, True, kink_tol=kink_tol)
    assert cert.converged
    np.testing.assert_array_equal(cert.kink, twin["kink"])
    np.testing.assert_array_equal(cert.active, twin["active"])
    if kink_tol == 0.3:
        assert cert.n_kink_pairs > 0, "the test should exercise mu columns"
    assert_same_certificate(cert, twin, np.arange(n), n)
    np.testing.assert_allclose(cert.mu, twin["mu"], rtol=1e-7, atol=1e-9 * twin["lam"].max())
    # per-neuron residual ||w_j - sum_i y_i (lam_i a_ji + mu_ji) v_j x_i||
    coef = v[:, None] * y[None, :] * (twin["lam"][None, :] * twin["active"] + twin["mu"])
    per_neuron = np.linalg.norm(twin["W"] - coef @ X, axis=1)
    np.testing.assert_allclose(cert.residual_per_neuron, per_neuron, rtol=1e-6,
                               atol=1e-9 * np.linalg.norm(twin["W"]))
    over = twin["mu"] > twin["lam"][None, :] * (1 + 1e-6) + 1e-12 * twin["lam"].max()
    assert cert.n_mu_violations == int(over.sum())


def test_clarke_certificate_on_a_subset_and_edge_shape():
    """R a strict subset, and the smallest net (m = 2) on two points in d = 3."""
    ctx, X, y, W0, v, model = relu_setup(8, 40, 6, seed=3)
    index = [0, 1, 2, 4, 6, 7]
    cert = certify(ctx, model, index, kink_tol=0.3)
    twin = naive.certificate(explicit(model, W0, X), X, y, v, True, index=index, kink_tol=0.3)
    assert_same_certificate(cert, twin, index, 8)
    np.testing.assert_array_equal(cert.kink[:, [3, 5]], False)

    ctx, X, y, W0, v, model = relu_setup(2, 3, 2, seed=2, steps=200)
    cert = certify(ctx, model)
    twin = naive.certificate(explicit(model, W0, X), X, y, v, True)
    assert_same_certificate(cert, twin, [0, 1], 2)


def test_kink_pairs_use_any_slope_in_zero_one():
    """With kappa = 0 a pair exactly at the kink has slope 0 and hurts eps; the Clarke band
    lets it take the slope that fits (docs/theory.md §3.5): eps can only go down as kappa
    grows, bounded (slopes in [0, 1]) or not (any slope >= 0, never above the bounded eps)."""
    ctx, X, y, W0, v, model = relu_setup(8, 40, 6, seed=0)
    kappas = (0.0, 0.03, 0.1, 0.3)
    bounded = [certify(ctx, model, kink_tol=k).eps for k in kappas]
    free = [certify(ctx, model, kink_tol=k, mu_bound=False).eps for k in kappas]
    twins, refs = [], []
    for k in kappas:
        twin = naive.certificate(explicit(model, W0, X), X, y, v, True, kink_tol=k)
        twins.append(twin["eps"])
        refs.append(bounded_reference(twin["W"], X, y, v, twin["kink"], twin["active"],
                                      np.ones(8, bool))[2])
    np.testing.assert_allclose(free, twins, rtol=1e-7)
    np.testing.assert_allclose(bounded, refs, rtol=1e-7)
    for eps in (bounded, free):
        assert all(a >= b - 1e-12 for a, b in zip(eps, eps[1:]))
    assert all(b >= f * (1 - 1e-9) for b, f in zip(bounded, free))


# ------------------------------------------------------------------ the bound mu_ji <= lam_i

def bounded_reference(W, X, y, v, kink, active, lam_ok):
    """min ||W - M x|| over lam >= 0, 0 <= mu_ji <= lam_i by scipy.optimize.nnls over the
    generators of the bounded cone (tests/naive.py ``bounded_nnls``): (lam, mu, eps)."""
    M, lam_points, pairs = naive.stationarity_columns(W, X, y, v, kink, active, lam_ok)
    x, eps = naive.bounded_nnls(M, W.ravel(), lam_points, pairs)
    lam, mu = np.zeros(X.shape[0]), np.zeros(W.shape[0:1] + (X.shape[0],))
    lam[lam_points] = x[:len(lam_points)]
    for (j, i), value in zip(pairs, x[len(lam_points):]):
        mu[j, i] = value
    return lam, mu, eps


def violations(lam, mu):
    """Kink pairs with mu_ji > lam_i (beyond rounding)."""
    return int(np.sum(mu > lam[None, :] * (1 + 1e-6) + 1e-12 * lam.max()))


def relu_case(n, d, m, seed, kink_tol, steps=60):
    """Trained small net, its rescaled weights and the unbounded and bounded references."""
    ctx, X, y, W0, v, model = relu_setup(n, d, m, seed, steps=steps)
    free = naive.certificate(explicit(model, W0, X), X, y, v, True, kink_tol=kink_tol)
    ref = bounded_reference(free["W"], X, y, v, free["kink"], free["active"], np.ones(n, bool))
    return ctx, model, X, y, v, free, ref


# (n, d, m, seed, kappa): n < d, so lam is unique; in the first two no bound is active, in
# the others the unbounded optimum puts mu_ji above lam_i on 1, 1, 2, 8 and 47 kink pairs
NO_BOUND_ACTIVE = [(8, 40, 6, 1, 0.3), (8, 40, 6, 0, 0.1)]
BOUND_ACTIVE = [(8, 40, 6, 0, 0.3), (10, 30, 4, 6, 0.3), (12, 40, 5, 1, 0.3),
                (8, 16, 4, 3, 0.5), (12, 40, 5, 2, 0.6)]


@pytest.mark.parametrize("case", NO_BOUND_ACTIVE + BOUND_ACTIVE)
def test_bounded_certificate_matches_the_generator_nnls(case):
    n, d, m, seed, kappa = case
    ctx, model, X, y, v, free, (lam, mu, eps) = relu_case(n, d, m, seed, kappa)
    cert = certify(ctx, model, kink_tol=kappa)
    assert cert.status == nnls_kernels.NNLS_CONVERGED and cert.mu_bound   # the exact face
    assert (violations(free["lam"], free["mu"]) > 0) == (case in BOUND_ACTIVE)
    norm_W = np.linalg.norm(free["W"])
    assert cert.eps == pytest.approx(eps, rel=1e-7, abs=1e-9 * norm_W)
    np.testing.assert_allclose(cert.lam, lam, rtol=1e-6, atol=1e-8 * lam.max())
    np.testing.assert_allclose(cert.mu, mu, rtol=1e-6, atol=1e-8 * lam.max())
    assert cert.n_mu_violations == 0 and np.all(cert.mu <= cert.lam[None, :])
    assert cert.eps >= free["eps"] * (1 - 1e-9)     # a smaller feasible set


@pytest.mark.parametrize("case", NO_BOUND_ACTIVE + BOUND_ACTIVE)
def test_unbounded_option_is_the_plain_nnls(case):
    """mu_bound=False: the unbounded optimum of scipy.optimize.nnls, violations counted."""
    n, d, m, seed, kappa = case
    ctx, model, X, y, v, free, _ = relu_case(n, d, m, seed, kappa)
    cert = certify(ctx, model, kink_tol=kappa, mu_bound=False)
    assert cert.converged and not cert.mu_bound
    assert_same_certificate(cert, free, np.arange(n), n)
    np.testing.assert_allclose(cert.mu, free["mu"], rtol=1e-7, atol=1e-9 * free["lam"].max())
    assert cert.n_mu_violations == violations(free["lam"], free["mu"])


def test_bounded_certificate_against_slsqp():
    """An independent solver of the same QP: SLSQP with the linear constraints lam_i - mu_ji
    >= 0 and bounds x >= 0, on the explicit columns (to SLSQP's accuracy)."""
    n, d, m, seed, kappa = BOUND_ACTIVE[1]
    ctx, model, X, y, v, free, _ = relu_case(n, d, m, seed, kappa)
    M, lam_points, pairs = naive.stationarity_columns(free["W"], X, y, v, free["kink"],
                                                      free["active"], np.ones(n, bool))
    b, p_d = free["W"].ravel(), len(lam_points)
    A = np.zeros((len(pairs), M.shape[1]))
    for a, (_, i) in enumerate(pairs):
        A[a, list(lam_points).index(i)], A[a, p_d + a] = 1.0, -1.0
    res = minimize(lambda x: 0.5 * np.sum((M @ x - b) ** 2), np.zeros(M.shape[1]),
                   jac=lambda x: M.T @ (M @ x - b), method="SLSQP",
                   bounds=[(0, None)] * M.shape[1],
                   constraints=[LinearConstraint(A, 0.0, np.inf)],
                   options=dict(ftol=1e-15, maxiter=2000))
    assert res.success
    cert = certify(ctx, model, kink_tol=kappa)
    assert cert.eps <= np.linalg.norm(M @ res.x - b) * (1 + 1e-9)
    assert cert.eps == pytest.approx(np.linalg.norm(M @ res.x - b), rel=1e-5)
    np.testing.assert_allclose(cert.lam[lam_points], res.x[:p_d], rtol=1e-4,
                               atol=1e-6 * res.x.max())


def test_bounded_certificate_when_n_exceeds_d():
    """n >= d (lam not unique): the bounded eps is the generator-NNLS optimum, the bound
    holds, and it is never below the unbounded eps."""
    ctx, model, X, y, v, free, (_, _, eps) = relu_case(10, 4, 6, 4, 0.3, steps=300)
    cert = certify(ctx, model, kink_tol=0.3)
    norm_W = np.linalg.norm(free["W"])
    assert cert.eps == pytest.approx(eps, rel=1e-6, abs=1e-7 * norm_W)
    assert cert.n_mu_violations == 0 and cert.eps >= free["eps"] * (1 - 1e-9)


def test_each_kernel_compiles_one_signature():
    """Certificates (ReLU and linear, bounded and not) and the exact SVM reuse one
    specialization of every solver kernel (a second costs a second compilation)."""
    ctx, model, *_ = relu_case(8, 40, 6, 0, 0.3)[:2]
    certify(ctx, model)
    certify(ctx, model, mu_bound=False)
    lin_ctx, *_, lin_model = linear_setup(12, 30, seed=0)
    certify(lin_ctx, lin_model)
    exact_svm(lin_ctx)
    for module in (kkt_kernels, nnls_kernels):
        for name, fn in vars(module).items():
            if hasattr(fn, "signatures") and fn.__module__ == module.__name__:
                assert len(fn.signatures) <= 1, (name, fn.signatures)
    assert len(kkt_kernels.clarke_system.signatures) == 1
    assert len(nnls_kernels.nnls_sweeps.signatures) == 1


def test_report_says_when_eps_is_not_the_certificates():
    """The text next to eps (core.report.certificate_caveat): violations of the bound with
    the unbounded option, and a solver stopped by its budget; nothing for the default."""
    ctx, model, *_ = relu_case(*BOUND_ACTIVE[3])[:2]
    kappa = BOUND_ACTIVE[3][4]
    bounded = certify(ctx, model, kink_tol=kappa)
    free = certify(ctx, model, kink_tol=kappa, mu_bound=False)
    assert certificate_caveat(certificate_dict(bounded)) == ""
    assert (f"mu > lambda on {free.n_mu_violations} kink pairs"
            in certificate_caveat(certificate_dict(free)))
    stopped = dataclasses.replace(bounded, status=nnls_kernels.NNLS_MAX_SWEEPS)
    assert certificate_caveat(certificate_dict(stopped)).startswith("not converged")
