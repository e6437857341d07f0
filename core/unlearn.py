"""Unlearning methods (docs/theory.md §3.6-3.7): one scaled GA step, sequential GA, retraining
on the retained set, and the exact hard-margin SVM (linear model).
"""
import numpy as np

from core.errors import InputError
from core.kernels import log_loss_slopes
from core.kkt import certify
from core.models import GramModel, embed, preacts, rescale_to_unit_margin
from core.nnls_kernels import NNLS_CONVERGED, NNLS_UNBOUNDED, nnls_gram, solver_options
from core.options import DEFAULT_KINK_TOL
from core.train import LOSS_CODES, train
from core.validate import check_indices

SVM_TOL = 1e-12
SVM_MAX_SWEEPS = 100_000


def retained_index(n_samples, forget):
    """R = S minus F, sorted."""
    keep = np.ones(n_samples, dtype=bool)
    keep[np.asarray(forget, dtype=np.int64)] = False
    return np.nonzero(keep)[0]


def check_forget(forget, y):
    """Validated forget list (tuple of ints, in the given order).

    Raises InputError for an index out of range, a repeated index, or a forget set that
    removes every point of a class (the retained problem would have one class).
    """
    n = y.shape[0]
    out = check_indices(forget, n)       # integers in range, none repeated (core/validate.py)
    kept = y[retained_index(n, out)]
    for label in (-1.0, 1.0):
        if not np.any(kept == label):
            raise InputError(f"Forgetting {len(out)} points removes every point of class "
                             f"{int(label):+d}: keep at least one point of each class.")
    return tuple(out)


def ga_step(ctx, cert, forget, scale=1.0):
    """W- = W^ - c sum_{l in F} lam_l y_l dN(W^; x_l), W^ the certified (rescaled) model.

    With the theory step size beta* = lam_l / |l'(q_l)| the GA step on l(y_l N(W^; x_l))
    is exactly this: it removes x_l's term from the stationarity sum (docs/theory.md §3.6).
    sigma'(0) := 0. The result is never rescaled.
    """
    model = cert.model
    Zt = preacts(ctx, model)
    A = model.A.copy()
    for l in forget:
        slope = (Zt[:, l] > 0.0) if ctx.is_relu else np.ones(ctx.width)
        A[:, l] -= scale * cert.lam[l] * ctx.y[l] * ctx.v * slope
    return GramModel(model.s0, A)


def theory_step_size(cert, index, loss="exp"):
    """beta* = lam_l / |l'(q_l)| for point l of the certified model (docs/theory.md §3.6).

    |l'| comes from the training kernels' ``log_loss_slopes`` (one definition of the loss).
    """
    log_slope = np.empty(1)
    log_loss_slopes(np.array([cert.margins[index]]), LOSS_CODES[loss], log_slope)
    return float(cert.lam[index] * np.exp(-log_slope[0]))


def sequential_ga_steps(ctx, model, forget, scale=1.0, kink_tol=DEFAULT_KINK_TOL,
                        active_tol=None):
    """GA one point at a time: rescale and re-certify on the current R before each step.

    Yields (certificate used, model after the step) for each point of ``forget`` in order.
    """
    current, retained = model, list(range(ctx.n_samples))
    for l in forget:
        cert = certify(ctx, current, retained, kink_tol=kink_tol, active_tol=active_tol)
        current = ga_step(ctx, cert, [l], scale)
        retained.remove(l)
        yield cert, current


def sequential_ga(ctx, model, forget, scale=1.0, kink_tol=DEFAULT_KINK_TOL, active_tol=None):
    """The final (unrescaled) model of ``sequential_ga_steps`` and the certificate used
    before each step.
    """
    current, certs = model, []
    for cert, after in sequential_ga_steps(ctx, model, forget, scale, kink_tol, active_tol):
        certs.append(cert)
        current = after
    return current, certs


def retrain_without(ctx, forget, **train_options):
    """GD from the same W_0 with the same settings on R, written over all n columns and
    rescaled to min margin 1 on R. Returns (model, TrainedModel on R).
    """
    index = retained_index(ctx.n_samples, check_forget(forget, ctx.y))
    trained = train(ctx.subset(index), **train_options)
    model = embed(trained.params, index, ctx.n_samples)
    model, _ = rescale_to_unit_margin(ctx, model, index)
    return model, trained


def exact_svm(ctx, index=None):
    """w = sum_i alpha_i y_i x_i, alpha = argmax sum alpha - 1/2 ||w||², alpha >= 0.

    Hard-margin SVM without bias on the points ``index`` (linear model only), by dual
    coordinate ascent alpha_i <- max(0, alpha_i + (1 - y_i <w, x_i>) / ||x_i||²) (the
    coordinate descent of ``nnls_gram`` on G = diag(y) K diag(y), h = 1) with an exact
    polish on the support. Raises InputError if the points are not separable.
    """
    if ctx.is_relu:
        raise InputError("The exact max-margin solution is for the linear model only.")
    index = np.arange(ctx.n_samples) if index is None else np.asarray(index)
    y = ctx.y[index]
    G = np.ascontiguousarray(y[:, None] * ctx.K[np.ix_(index, index)] * y[None, :])
    options = solver_options(SVM_TOL, SVM_MAX_SWEEPS, check_unbounded=True)
    result = nnls_gram(G, np.ones(index.shape[0]), options)
    alpha, status = result.x, result.status
    if status == NNLS_UNBOUNDED:
        raise InputError("The data are not linearly separable through the origin, so the "
                         "max-margin problem has no solution: use separable data or n < d.")
    if status != NNLS_CONVERGED:
        raise InputError("The exact SVM solver did not converge (the data are nearly "
                         "non-separable or badly conditioned): use n < d or fewer points.")
    A = np.zeros((1, ctx.n_samples))
    A[0, index] = alpha * y
    return GramModel(0.0, A)
