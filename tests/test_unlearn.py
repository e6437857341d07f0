"""core.unlearn and core.compare: exact SVM against SLSQP, the GA step against its
closed forms (docs/theory.md §3.6-3.8), sequential forgetting, and the paper's two-layer claims.
"""
import re

import numpy as np
import pytest
from scipy.optimize import minimize, nnls

from core.compare import compare, default_forget, prepare, retrain_model
from core.data import generate
from core.errors import InputError
from core.kkt import certify
from core.models import GramModel, build_context
from core.scenario import Scenario
from core.train import train
from core.unlearn import (
    check_forget,
    exact_svm,
    ga_step,
    retrain_without,
    sequential_ga,
    theory_step_size,
)
from tests import naive
from tests.naive import explicit


def linear_ctx(X, y):
    return build_context(X, y, np.zeros((1, X.shape[1])), np.ones(1), False)


def slsqp_svm(X, y):
    """min 1/2 ||w||² s.t. y_i <w, x_i> >= 1, by SLSQP; returns (w, multipliers)."""
    Y = y[:, None] * X
    res = minimize(lambda w: 0.5 * w @ w, np.zeros(X.shape[1]), jac=lambda w: w,
                   constraints=[{"type": "ineq", "fun": lambda w: Y @ w - 1.0,
                                 "jac": lambda w: Y}],
                   method="SLSQP", options={"ftol": 1e-12, "maxiter": 2000})
    assert res.success, res.message
    return res.x, res.multipliers


# ------------------------------------------------------------------ exact SVM

@pytest.mark.parametrize("seed", [0, 1, 2])
def test_exact_svm_matches_slsqp_primal_and_duals(seed):
    X, y = naive.gaussian_data(12, 30, seed)
    ctx = linear_ctx(X, y)
    model = exact_svm(ctx)
    w = explicit(model, ctx.W0, X)[0]
    alpha = model.A[0] * y                     # w = sum_i alpha_i y_i x_i
    w_ref, alpha_ref = slsqp_svm(X, y)
    assert naive.cosine(w, w_ref) > 1 - 1e-8
    assert np.linalg.norm(w - w_ref) <= 1e-8 * np.linalg.norm(w_ref)
    assert np.all(alpha >= 0)
    np.testing.assert_allclose(alpha, alpha_ref, rtol=1e-7, atol=1e-8 * alpha_ref.max())
    # duals recovered by NNLS on the columns y_i x_i with target SLSQP's w
    alpha_nnls, _ = nnls((y[:, None] * X).T, w_ref)
    np.testing.assert_allclose(alpha, alpha_nnls, rtol=1e-7, atol=1e-8 * alpha_ref.max())
    # KKT of the hard-margin problem: margins >= 1, = 1 on the support
    q = y * (X @ w)
    assert q.min() == pytest.approx(1.0, abs=1e-10)
    np.testing.assert_allclose(q[alpha > 1e-8 * alpha.max()], 1.0, atol=1e-10)


@pytest.mark.parametrize("n,d", [(30, 5), (8, 8), (2, 2)])
def test_exact_svm_matches_slsqp_when_n_ge_d(n, d, separable_data):
    X, y = separable_data(n, d, seed=n + d)
    ctx = linear_ctx(X, y)
    w = explicit(exact_svm(ctx), ctx.W0, X)[0]
    w_ref, _ = slsqp_svm(X, y)
    assert naive.cosine(w, w_ref) > 1 - 1e-8
    assert np.linalg.norm(w - w_ref) <= 1e-8 * np.linalg.norm(w_ref)


def test_exact_svm_one_dimensional_closed_form():
    """x = 1 (+1), x = -2 (-1): w >= 1 and 2w >= 1, so w = 1 and only point 0 is a support
    vector with alpha = 1."""
    X, y = np.array([[1.0], [-2.0]]), np.array([1.0, -1.0])
    model = exact_svm(linear_ctx(X, y))
    np.testing.assert_allclose(model.A[0] * y, [1.0, 0.0], atol=1e-14)
    np.testing.assert_allclose(explicit(model, np.zeros((1, 1)), X), [[1.0]], rtol=1e-14)


def test_exact_svm_on_a_subset():
    X, y = naive.gaussian_data(12, 30, seed=4)
    ctx = linear_ctx(X, y)
    index = np.array([0, 1, 3, 4, 6, 8, 9, 11])
    model = exact_svm(ctx, index)
    assert np.all(model.A[0, np.setdiff1d(np.arange(12), index)] == 0)
    w_ref, _ = slsqp_svm(X[index], y[index])
    assert naive.cosine(explicit(model, ctx.W0, X)[0], w_ref) > 1 - 1e-8


@pytest.mark.parametrize("kind", ["two-points", "moons", "xor"])
def test_exact_svm_rejects_non_separable_data(kind):
    if kind == "two-points":      # x = 1 labelled +1 and -1: nothing separates them
        X, y = np.array([[1.0], [1.0]]), np.array([1.0, -1.0])
    else:
        data = generate(kind, 60, 2, seed=0)
        X, y = data.X, data.y
    with pytest.raises(InputError, match="not linearly separable"):
        exact_svm(linear_ctx(X, y))


def test_exact_svm_is_for_the_linear_model_only():
    X, y = naive.gaussian_data(4, 6, seed=0)
    ctx = build_context(X, y, naive.relu_init(2, 6, 1e-3, 0), naive.output_weights(2), True)
    with pytest.raises(InputError, match="linear model only"):
        exact_svm(ctx)


# ------------------------------------------------------------------ GA step: formulas

@pytest.mark.parametrize("model", ["linear", "relu"])
@pytest.mark.parametrize("forget,scale", [([3], 1.0), ([3], 0.4), ([1, 5], 1.0),
                                          ([0, 2, 7], 1.7)])
def test_ga_step_matches_the_formula(model, forget, scale):
    """W- = W^ - c sum_l lam_l y_l dN(W^; x_l), sigma'(0) := 0, not rescaled."""
    is_relu = model == "relu"
    X, y = naive.gaussian_data(8, 40, seed=2)
    W0 = naive.relu_init(6, 40, 1e-3, 3) if is_relu else np.zeros((1, 40))
    v = naive.output_weights(6) if is_relu else np.ones(1)
    ctx = build_context(X, y, W0, v, is_relu)
    cert = certify(ctx, train(ctx, steps=100).params)
    W_hat = explicit(cert.model, W0, X)
    got = explicit(ga_step(ctx, cert, forget, scale), W0, X)
    expected = naive.ga_step(W_hat, X, y, v, is_relu, cert.lam, forget, scale)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14 * np.abs(W_hat).max())


@pytest.mark.parametrize("loss", ["exp", "logistic"])
def test_theory_step_size_turns_the_loss_ascent_into_the_ga_step(loss):
    """W^ + beta* grad_W l(y_l N(W^; x_l)) (gradient by central differences) equals the
    c = 1 step, with beta* = lam_l / |l'(q_l)| (docs/theory.md §3.6)."""
    X, y = naive.gaussian_data(8, 10, seed=6)
    ctx = linear_ctx(X, y)
    cert = certify(ctx, train(ctx, steps=200).params)
    l = int(np.argmax(cert.lam))
    W_hat = explicit(cert.model, ctx.W0, X)
    h = 1e-6
    grad = np.zeros_like(W_hat)
    for k in range(W_hat.shape[1]):
        E = np.zeros_like(W_hat)
        E[0, k] = h
        f = [naive.loss(naive.margins(W_hat + s * E, X[l:l + 1], y[l:l + 1], np.ones(1),
                                      False), loss)[0] for s in (1, -1)]
        grad[0, k] = (f[0] - f[1]) / (2 * h)
    ascent = W_hat + theory_step_size(cert, l, loss) * grad
    np.testing.assert_allclose(explicit(ga_step(ctx, cert, [l], 1.0), ctx.W0, X), ascent,
                               rtol=1e-7, atol=1e-8 * np.abs(W_hat).max())


# ------------------------------------------------------------------ linear, exact start

@pytest.fixture(scope="module")
def linear_exact():
    return prepare(Scenario(model="linear", start="exact"))


def forget_sets(prepared):
    """The default (largest lam) point, the two largest, and a point with lam = 0 or least."""
    order = np.argsort(-prepared.original.lam)
    return [default_forget(prepared), tuple(int(i) for i in order[:2]), (int(order[-1]),)]


def test_linear_exact_start_is_a_kkt_point(linear_exact):
    cert = linear_exact.original
    assert cert.eps_rel < 1e-10 and cert.delta < 1e-10 and cert.tau < 1e-12


@pytest.mark.parametrize("which", [0, 1, 2])
def test_linear_exact_ga_removes_the_term_exactly(linear_exact, which):
    """c = 1 from the exact SVM: eps_rel < 1e-10 on R, and each forgotten point's margin is
    q_l - c sum_{k in F} lam_k y_l y_k <x_k, x_l> (closed form)."""
    prepared = linear_exact
    forget = forget_sets(prepared)[which]
    comparison = compare(prepared, forget, 1.0)
    ga = comparison.methods["ga"]
    assert ga.certificate.eps_rel < 1e-10
    X, y = prepared.dataset.X, prepared.dataset.y
    lam = prepared.original.lam
    w_hat = explicit(prepared.original.model, prepared.ctx.W0, X)[0]
    for pos, l in enumerate(forget):
        q_l = y[l] * (w_hat @ X[l])
        expected = q_l - sum(lam[k] * y[l] * y[k] * (X[k] @ X[l]) for k in forget)
        assert ga.forget_margins[pos] == pytest.approx(expected, abs=1e-10)
        assert ga.certificate.margins[l] == pytest.approx(expected, abs=1e-10)


def test_linear_exact_eps_is_v_shaped_in_c(linear_exact):
    prepared = linear_exact
    forget = default_forget(prepared)
    retrained = retrain_model(prepared, forget)
    scales = np.arange(0.0, 2.0001, 0.25)
    eps = np.array([compare(prepared, forget, float(c), retrained=retrained,
                            methods=("ga",)).methods["ga"].certificate.eps for c in scales])
    assert scales[np.argmin(eps)] == 1.0
    assert eps[4] < 1e-10 * np.linalg.norm(explicit(prepared.original.model,
                                                    prepared.ctx.W0, prepared.dataset.X))
    assert np.all(np.diff(eps[:5]) < 0), eps
    assert np.all(np.diff(eps[4:]) > 0), eps
    # c = 0 is doing nothing: the certificate of W^ itself on R
    do_nothing = compare(prepared, forget, 1.0, retrained=retrained,
                         methods=("do_nothing",)).methods["do_nothing"].certificate.eps
    assert eps[0] == pytest.approx(do_nothing, rel=1e-9)


def test_linear_exact_ga_matches_exact_svm_on_r_when_d_is_large(linear_exact):
    """d = 1000 >> n = 40: the GA model is close to the true max-margin solution on R,
    here solved independently (the SVM dual by L-BFGS-B)."""
    res = compare(linear_exact, default_forget(linear_exact), 1.0)
    ctx, R = linear_exact.ctx, res.retain
    w_ref = naive.svm_dual(ctx.X[R], ctx.y[R])
    w_exact = naive.explicit(res.methods["exact"].model, ctx.W0, ctx.X)[0]
    w_ga = naive.explicit(res.methods["ga"].model, ctx.W0, ctx.X)[0]
    assert naive.cosine(w_exact, w_ref) > 1 - 1e-9
    assert res.methods["exact"].certificate.eps_rel < 1e-10
    assert res.methods["ga"].cosine_to_exact == pytest.approx(naive.cosine(w_ga, w_ref),
                                                              abs=1e-9)
    assert res.methods["ga"].cosine_to_exact > 0.99


# ------------------------------------------------------------------ two-layer claims (3.8)

@pytest.fixture(scope="module")
def relu_default():
    return {seed: prepare(Scenario(seed=seed)) for seed in range(5)}


def test_two_layer_trained_model_is_nearly_kkt(relu_default):
    """Scenario() (orthogonal data, n=40, d=1000, m=100, 500 normalized-GD steps)."""
    cert = relu_default[0].original
    assert cert.converged
    assert cert.eps_rel < 0.015, f"eps_rel = {cert.eps_rel:.4g}"


@pytest.mark.parametrize("seed", [1, 2])
def test_two_layer_eps_falls_with_training(relu_default, seed):
    """Other seeds sit near 0.015 after 500 steps (0.017, 0.015); GD converges to a KKT
    point in direction, so eps_rel must keep falling: below 0.015 after 2000 steps."""
    longer = prepare(Scenario(seed=seed, steps=2000)).original
    assert longer.converged
    assert longer.eps_rel < 0.6 * relu_default[seed].original.eps_rel
    assert longer.eps_rel < 0.015, f"seed {seed}: eps_rel = {longer.eps_rel:.4g}"


@pytest.mark.parametrize("which", ["default", "point 0"])
def test_two_layer_ga_halves_do_nothing_eps(relu_default, which):
    prepared = relu_default[0]
    forget = default_forget(prepared) if which == "default" else (0,)
    methods = compare(prepared, forget, 1.0).methods
    ga, nothing = methods["ga"].certificate, methods["do_nothing"].certificate
    assert ga.eps_rel < 0.5 * nothing.eps_rel, (ga.eps_rel, nothing.eps_rel)


def test_two_layer_c_one_beats_half_and_one_and_a_half(relu_default):
    wins = []
    for prepared in relu_default.values():
        forget = default_forget(prepared)
        retrained = retrain_model(prepared, forget)
        eps = {c: compare(prepared, forget, c, retrained=retrained,
                          methods=("ga",)).methods["ga"].certificate.eps
               for c in (0.5, 1.0, 1.5)}
        wins.append(eps[1.0] < min(eps[0.5], eps[1.5]))
    assert sum(wins) >= 3, wins


# ------------------------------------------------------------------ sequential forgetting

def small_problem(model, seed=0):
    is_relu = model == "relu"
    X, y = naive.gaussian_data(8, 40, seed)
    W0 = naive.relu_init(6, 40, 1e-3, seed + 1) if is_relu else np.zeros((1, 40))
    v = naive.output_weights(6) if is_relu else np.ones(1)
    ctx = build_context(X, y, W0, v, is_relu)
    return ctx, X, y, W0, v, train(ctx, steps=150).params


@pytest.mark.parametrize("model", ["linear", "relu"])
def test_sequential_ga_of_one_point_is_ga_step(model):
    ctx, *_, trained = small_problem(model)
    l = 4
    seq, certs = sequential_ga(ctx, trained, [l])
    one = ga_step(ctx, certify(ctx, trained), [l])
    assert len(certs) == 1
    assert seq.s0 == one.s0 and np.array_equal(seq.A, one.A)


@pytest.mark.parametrize("model", ["linear", "relu"])
def test_sequential_ga_of_two_points_is_recertify_then_step_twice(model):
    """By hand with the NumPy twin: rescale on S, lam by scipy nnls, step on l1; rescale on
    R1 = S minus l1, re-solve lam there, step on l2."""
    ctx, X, y, W0, v, trained = small_problem(model, seed=1)
    is_relu = model == "relu"
    l1, l2 = 2, 6
    seq, certs = sequential_ga(ctx, trained, [l1, l2], scale=1.0, kink_tol=0.03)
    first = naive.certificate(explicit(trained, W0, X), X, y, v, is_relu, kink_tol=0.03,
                              mu_bound=True)
    W1 = naive.ga_step(first["W"], X, y, v, is_relu, first["lam"], [l1], 1.0)
    R1 = [i for i in range(8) if i != l1]
    second = naive.certificate(W1, X, y, v, is_relu, index=R1, kink_tol=0.03, mu_bound=True)
    W2 = naive.ga_step(second["W"], X, y, v, is_relu, second["lam"], [l2], 1.0)
    np.testing.assert_allclose(explicit(seq, W0, X), W2, rtol=1e-7,
                               atol=1e-8 * np.abs(W2).max())
    np.testing.assert_array_equal(certs[1].index, R1)
    np.testing.assert_allclose(certs[1].lam, second["lam"], rtol=1e-7,
                               atol=1e-9 * second["lam"].max())


@pytest.mark.parametrize("model", ["linear", "relu"])
def test_compare_sequential_is_recertify_then_step_per_point(model):
    """compare(..., sequential=True) against the NumPy twin: for each point in turn, rescale
    on the current R, re-solve lam by scipy nnls there, step on the point."""
    prepared = prepare(Scenario(model=model, n_samples=8, dim=40, width=6, steps=150))
    ctx, forget = prepared.ctx, (5, 0, 3)
    X, y, v, is_relu = ctx.X, ctx.y, ctx.v, ctx.is_relu
    got = compare(prepared, forget, 1.0, sequential=True).methods["ga"].model
    W, R = naive.explicit(prepared.trained.params, ctx.W0, X), list(range(8))
    for l in forget:
        cert = naive.certificate(W, X, y, v, is_relu, index=R, kink_tol=0.03, mu_bound=True)
        W = naive.ga_step(cert["W"], X, y, v, is_relu, cert["lam"], [l], 1.0)
        R.remove(l)
    np.testing.assert_allclose(naive.explicit(got, ctx.W0, X), W, rtol=1e-7,
                               atol=1e-8 * np.abs(W).max())


# ------------------------------------------------------------------ retraining

@pytest.mark.parametrize("model", ["linear", "relu"])
def test_retrain_without_is_gd_on_r_from_the_same_init_rescaled(model):
    ctx, X, y, W0, v, _ = small_problem(model, seed=2)
    is_relu = model == "relu"
    forget = [0, 5]
    R = np.array([1, 2, 3, 4, 6, 7])
    retrained, _ = retrain_without(ctx, forget, steps=120)
    path, _ = naive.gd(X[R], y[R], W0, v, is_relu, "exp", True, 8.0, 120)
    W = path[-1] / naive.margins(path[-1], X[R], y[R], v, is_relu).min()
    assert np.all(retrained.A[:, forget] == 0)
    np.testing.assert_allclose(explicit(retrained, W0, X), W, rtol=1e-9,
                               atol=1e-12 * np.abs(W).max())


# ------------------------------------------------------------------ forget-set validation

@pytest.fixture(scope="module")
def small_prepared():
    return prepare(Scenario(n_samples=10, dim=60, width=10, steps=150))


@pytest.mark.parametrize("forget", [(10,), (-1,), (3, 12)])
def test_forget_index_out_of_range(small_prepared, forget):
    with pytest.raises(InputError, match="out of range: points are 0 to 9"):
        compare(small_prepared, forget)


def test_forgetting_every_point_of_a_class(small_prepared):
    y = small_prepared.ctx.y
    for label in (-1.0, 1.0):
        whole_class = tuple(int(i) for i in np.nonzero(y == label)[0])
        message = re.escape(f"removes every point of class {int(label):+d}")
        with pytest.raises(InputError, match=message):
            compare(small_prepared, whole_class)


def test_forget_index_listed_twice(small_prepared):
    with pytest.raises(InputError, match="listed twice"):
        check_forget((2, 2), small_prepared.ctx.y)


def test_forget_index_must_be_an_integer(small_prepared):
    with pytest.raises(InputError, match="must be integers"):
        check_forget((1.5,), small_prepared.ctx.y)


def test_ga_step_on_a_zero_lam_point_changes_nothing(separable_data):
    """A point off the support (lam = 0) is not in the stationarity sum: GA leaves W^."""
    X, y = separable_data(30, 5, seed=8)      # n > d: most points are off the support
    ctx = linear_ctx(X, y)
    cert = certify(ctx, exact_svm(ctx), active_tol=1e-6)   # lam = 0 off the margin
    zero = np.nonzero(cert.lam == 0)[0]
    assert zero.size > 0
    stepped = ga_step(ctx, cert, [int(zero[0])], 1.0)
    assert np.array_equal(stepped.A, cert.model.A)
    assert isinstance(stepped, GramModel)
