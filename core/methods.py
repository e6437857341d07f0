"""The unlearning baselines people compare against (docs/theory.md §3.7), one function each.

Every method starts from the certified model theta^ (the trained model rescaled to min margin
1 on S, ``cert.model``), the same start as the one GA step of core/unlearn.py, and its result
is never rescaled (docs/theory.md §3.6): tau then measures how far a method pushed retained
points inside the unit margin, and all methods are compared at one scale. At theta^ the
losses l(q_i) are O(1), so fixed step sizes mean the same thing on every data set; on the
trained model itself (margins ~ log of the step count) they would vanish.

Each function returns a ``core.registry.MethodOutput``: the model (a GramModel,
W = s0 W_0 + A X), its cost
in per-sample gradient evaluations (machine-independent) and its hyperparameters.
"""
import math

import numpy as np

from core.errors import InputError
from core.kernels import gd_rule, gram_data, log_loss_slopes, primal_data
from core.method_kernels import weighted_gd_gram, weighted_gd_primal
from core.method_types import MethodOutput
from core.models import GramModel, norm, preacts
from core.options import (
    ETA_GAIN,
    FINETUNE_K,
    GA_STEPS_K,
    LOSSES,
    NEGGRAD_ALPHA,
    NEGGRAD_ETA_GAIN,
    NEGGRAD_K,
    NEWTON_DAMPING,
    OPTIMIZERS,
)
from core.train import LOSS_CODES, PATHS
from core.unlearn import retained_index
from core.validate import MAX_STEPS, check_choice, check_integer, check_positive

DIVERGED = 1e100         # |A| beyond this (from O(1) at theta^): the iteration diverged
RCOND = 1e-10            # newton: eigenvalues below RCOND * max are treated as 0 (pinv)


def weighted_gd(ctx, model, coef, *, y=None, loss="exp", normalized=False, lr=1.0, steps=1,
                path="auto", name="gradient descent"):
    """theta <- theta - lr grad J / Z for ``steps`` steps, J = sum_i c_i l(q_i(theta)).

    Z = sum_i |c_i| l(q_i) when ``normalized`` (the training optimizer's rule), else 1.
    Runs in Gram space when n < d (``path="auto"``), primal otherwise; same iterates.

    Parameters
    ----------
    ctx : GramContext
    model : GramModel, the start
    coef : array (n,), signed coefficients c_i (0 leaves a point out)
    y : array (n,) or None; labels the loss uses (ctx.y if None)
    name : str, the method named in the InputError raised when the iterates diverge

    Returns
    -------
    GramModel
    """
    check_choice("path", path, PATHS)
    check_choice("loss", loss, LOSSES)
    n, d = ctx.X.shape
    y = ctx.y if y is None else np.ascontiguousarray(y, dtype=np.float64)
    A = np.array(model.A, dtype=np.float64, order="C", copy=True)
    coef = np.ascontiguousarray(coef, dtype=np.float64)
    rule = gd_rule(y, ctx.v, ctx.is_relu, LOSS_CODES[loss], normalized, lr)
    if (n < d) if path == "auto" else path == "gram":
        data = gram_data(ctx.K, model.s0 * ctx.Z0t, model.s0 ** 2 * ctx.w0_row_sq.sum())
        weighted_gd_gram(data, rule, coef, A, int(steps))
    else:
        W = np.ascontiguousarray(model.s0 * ctx.W0 + model.A @ ctx.X)
        weighted_gd_primal(primal_data(ctx.X, W), rule, coef, A, int(steps))
    if not np.all(np.isfinite(A)) or np.abs(A).max() > DIVERGED:
        raise InputError(f"{name} diverged (the ascent on the forget loss ran away): use a "
                         "smaller step size or fewer steps k.")
    return GramModel(model.s0, A)


def _check_steps(k):
    check_integer("k", k, 1, MAX_STEPS)


def default_eta(ctx, model, forget, gain=ETA_GAIN):
    """eta = gain / mean_F ||grad_theta q_l||², ||grad q_l||² = sum_j v_j² sigma'_jl K_ll."""
    Zt = preacts(ctx, model)[:, list(forget)]
    slopes = (Zt > 0.0) if ctx.is_relu else np.ones_like(Zt)
    sq = (ctx.v ** 2) @ slopes * np.diag(ctx.K)[list(forget)]
    return gain / max(float(np.mean(sq)), 1e-300)


def _eta(ctx, cert, forget, eta, gain=ETA_GAIN):
    if eta is None:
        return default_eta(ctx, cert.model, forget, gain)
    check_positive("eta", eta)
    return float(eta)


def ga_steps(ctx, cert, forget, *, loss="exp", k=GA_STEPS_K, eta=None):
    """NegGrad: k steps theta <- theta + eta grad L_F(theta) from theta^, L_F = sum_F l(q_l).

    Defaults (k = 10, eta = ``default_eta``) take the forgotten point's margin from 1 to the
    retrained model's order on the default demos. Cost k |F| gradients.
    """
    _check_steps(k)
    eta = _eta(ctx, cert, forget, eta)
    coef = np.zeros(ctx.n_samples)
    coef[list(forget)] = -1.0
    model = weighted_gd(ctx, cert.model, coef, loss=loss, lr=eta, steps=k, name="ga_steps")
    return MethodOutput(model, int(k) * len(forget), dict(k=int(k), eta=eta))


def neggrad_plus(ctx, cert, forget, *, loss="exp", k=NEGGRAD_K, eta=None,
                 alpha=NEGGRAD_ALPHA):
    """NegGrad+ (Kurmanji et al. 2023): k steps of GD on alpha mean_R l - (1 - alpha) mean_F l
    from theta^, the mean losses weighted as in the paper (coefficients alpha / |R| on R and
    -(1 - alpha) / |F| on F).

    Defaults (core/options.py): alpha = 0.9, k = 10 and eta = NEGGRAD_ETA_GAIN / ||grad
    q_F||², which bring q_l to the retrained order on the default ReLU demo. Cost k n
    gradients.
    """
    _check_steps(k)
    eta = _eta(ctx, cert, forget, eta, NEGGRAD_ETA_GAIN)
    if not isinstance(alpha, (int, float)) or not 0.0 < alpha < 1.0:
        raise InputError(f"alpha must be a number strictly between 0 and 1, not {alpha!r}.")
    forget = list(forget)
    coef = np.full(ctx.n_samples, float(alpha) / (ctx.n_samples - len(forget)))
    coef[forget] = -(1.0 - alpha) / len(forget)
    model = weighted_gd(ctx, cert.model, coef, loss=loss, lr=eta, steps=k, name="neggrad_plus")
    return MethodOutput(model, int(k) * ctx.n_samples,
                        dict(k=int(k), eta=eta, alpha=float(alpha)))


def finetune(ctx, cert, forget, *, loss="exp", optimizer="normalized", lr=8.0, k=FINETUNE_K):
    """k steps of the training optimizer on L_R = (1/|R|) sum_R l(q_i) from theta^.

    Cost k |R| gradients.
    """
    _check_steps(k)
    check_positive("lr", lr)
    check_choice("optimizer", optimizer, OPTIMIZERS)
    retain = retained_index(ctx.n_samples, forget)
    coef = np.zeros(ctx.n_samples)
    coef[retain] = 1.0 / retain.shape[0]
    model = weighted_gd(ctx, cert.model, coef, loss=loss, normalized=optimizer == "normalized",
                        lr=lr, steps=k, name="finetune")
    return MethodOutput(model, int(k) * retain.shape[0],
                        dict(k=int(k), lr=float(lr), optimizer=optimizer))


def random_label(ctx, cert, forget, *, loss="exp", optimizer="normalized", lr=8.0,
                 k=FINETUNE_K):
    """k steps of the training optimizer on (1/n)(L_R + L_F with y_F flipped) from theta^.

    Cost k n gradients.
    """
    _check_steps(k)
    check_positive("lr", lr)
    check_choice("optimizer", optimizer, OPTIMIZERS)
    y = ctx.y.copy()
    y[list(forget)] *= -1.0
    coef = np.full(ctx.n_samples, 1.0 / ctx.n_samples)
    model = weighted_gd(ctx, cert.model, coef, y=y, loss=loss,
                        normalized=optimizer == "normalized", lr=lr, steps=k,
                        name="random_label")
    return MethodOutput(model, int(k) * ctx.n_samples,
                        dict(k=int(k), lr=float(lr), optimizer=optimizer))


def loss_derivatives(q, loss="exp"):
    """(l'(q), l''(q)): (-e^{-q}, e^{-q}) or (-1/(1+e^q), e^q/(1+e^q)²), stable forms.

    |l'| comes from the training kernels' ``log_loss_slopes`` (one definition of the loss);
    l'' = |l'| for exp and |l'| sigma(q) = |l'| / (1 + e^{-q}) for logistic.
    """
    q = np.ascontiguousarray(q, dtype=np.float64)
    log_slope = np.empty_like(q)
    log_loss_slopes(q, LOSS_CODES[loss], log_slope)
    if loss == "exp":
        return -np.exp(log_slope), np.exp(log_slope)
    return -np.exp(log_slope), np.exp(log_slope - np.logaddexp(0.0, -q))


def gradient_gram(ctx, Zt):
    """(M, S): M_ik = <g_i, g_k>, g_i = grad_theta q_i, and S_ji = v_j sigma'(Zt_ji).

    g_i has rows y_i S_ji x_i, so M = (y yᵀ) * K * (Sᵀ S); O(n² m), no p x p matrix.
    """
    S = ctx.v[:, None] * ((Zt > 0.0) if ctx.is_relu else np.ones_like(Zt))
    return np.outer(ctx.y, ctx.y) * ctx.K * (S.T @ S), S


def l2_weight(ctx, cert, loss="exp"):
    """gamma* = sum_i |l'(q_i)| q_i / ||theta^||²: the L2 weight at which theta^ is stationary
    for sum_i l(q_i) + gamma/2 ||theta||² along theta^ (Euler: <grad q_i, theta> = q_i for
    1-homogeneous models), i.e. the regularized problem of Guo et al. (2020) that theta^
    solves best.
    """
    slope = -loss_derivatives(cert.margins, loss)[0]
    return float(np.sum(slope * cert.margins) / max(norm(ctx, cert.model) ** 2, 1e-300))


def newton(ctx, cert, forget, *, loss="exp", damping=NEWTON_DAMPING):
    """theta- = theta^ + (H_R + gamma I)^+ grad_theta sum_F l(q_l(theta^)), H_R = sum_R l'' g gᵀ.

    With B = [sqrt(l''_i) g_i]_{i in R}, H_R = B Bᵀ and N = Bᵀ B = D^½ M_RR D^½ (|R| x |R|):
    gamma = 0: H⁺ b = B N⁺² Bᵀ b; gamma > 0: (H + gamma I)⁻¹ b = (b - B (N + gamma I)⁻¹ Bᵀ b)
    / gamma. ``damping`` None takes gamma = ``l2_weight`` (Guo et al.'s Newton step of the L2-
    regularized loss). Undamped, only the part of b = sum_F l'(q_l) g_l inside span{g_i : i
    in R} survives: in the high-dimensional regime g_l is nearly orthogonal to that span
    and the step is small (docs/theory.md §3.7). Cost n gradients; O(n² m + n³).
    """
    auto = damping is None
    damping = l2_weight(ctx, cert, loss) if auto else damping
    if not isinstance(damping, (int, float)) or not math.isfinite(damping) or damping < 0:
        raise InputError(f"damping must be a finite number >= 0, not {damping!r}.")
    model = cert.model
    forget = list(forget)
    retain = retained_index(ctx.n_samples, forget)
    M, S = gradient_gram(ctx, preacts(ctx, model))
    slope_F = loss_derivatives(cert.margins[forget], loss)[0]
    root_h = np.sqrt(loss_derivatives(cert.margins[retain], loss)[1])
    r = root_h * (M[np.ix_(retain, forget)] @ slope_F)            # Bᵀ b
    evals, Q = np.linalg.eigh(root_h[:, None] * M[np.ix_(retain, retain)] * root_h[None, :])
    w = np.zeros(ctx.n_samples)                                    # step = sum_i w_i g_i
    if damping == 0:
        keep = evals > RCOND * max(evals.max(), 0.0)
        Qk = Q[:, keep]
        w[retain] = root_h * (Qk @ ((Qk.T @ r) / evals[keep] ** 2))
    else:
        w[retain] = -root_h * (Q @ ((Q.T @ r) / (evals + damping))) / damping
        w[forget] += slope_F / damping
    A = model.A + S * (w * ctx.y)[None, :]
    params = dict(damping=float(damping)) | (dict(damping_rule="auto") if auto else {})
    return MethodOutput(GramModel(model.s0, A), ctx.n_samples, params)
