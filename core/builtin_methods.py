"""The built-in methods in display order (docs/theory.md §3.6-3.7), which core/registry.py
registers first.

Each is a ``core.method_types.Method``: the runner adapts the engine's function (one GA
step in core/unlearn.py, the baselines of core/methods.py, retraining, the exact SVM) to a
``Task``. Adding a method is one more ``Method`` here, or a ``register`` call in a user's
file. The runners import the engine when they run, so that declaring the methods (for a
``--help`` text, say) loads no kernels.
"""
from core.method_types import Method, MethodOutput, Param
from core.options import (
    ETA_GAIN,
    FINETUNE_K,
    GA_STEPS_K,
    NEGGRAD_ALPHA,
    NEGGRAD_ETA_GAIN,
    NEGGRAD_K,
    NEWTON_DAMPING,
)

MAX_K = 10_000


def steps(default):
    """The step count k of an iterative method."""
    return Param(default, 1, MAX_K, integer=True, label="steps k")


def eta(gain):
    """The step size η of an ascent, computed from ‖∇q_F‖² unless given."""
    return Param(None, 0.0, 100.0, open_low=True, label="step η", auto=f"{gain:g} / ‖∇q_F‖²")


LR = Param(None, 0.0, 1e6, open_low=True, label="learning rate", auto="the training lr")


def run_ga(task):
    """θ⁻ = θ̂ − c Σ_{l∈F} λ_l y_l ∇N(θ̂; x_l) (sequential: one point at a time, re-certified)."""
    from core.unlearn import ga_step, sequential_ga

    n_forget = len(task.forget)
    if task.sequential:     # a certificate on each intermediate R (the first on S is shared)
        model, _ = sequential_ga(task.ctx, task.original.model, task.forget, task.scale,
                                 task.kink_tol, task.active_tol)
        evals = n_forget + sum(task.ctx.n_samples - t for t in range(1, n_forget))
    else:
        model, evals = ga_step(task.ctx, task.original, task.forget, task.scale), n_forget
    return MethodOutput(model, evals, dict(scale=float(task.scale),
                                           sequential=bool(task.sequential)))


def run_ga_steps(task, k, eta):
    """NegGrad: k ascent steps on L_F (core.methods.ga_steps)."""
    from core.methods import ga_steps

    return ga_steps(task.ctx, task.original, task.forget, loss=task.loss, k=k, eta=eta)


def run_neggrad_plus(task, k, eta, alpha):
    """NegGrad+: k steps on α·mean_R ℓ − (1 − α)·mean_F ℓ (core.methods.neggrad_plus)."""
    from core.methods import neggrad_plus

    return neggrad_plus(task.ctx, task.original, task.forget, loss=task.loss, k=k, eta=eta,
                        alpha=alpha)


def _tuned(name):
    def run(task, k, lr):
        from core import methods

        return getattr(methods, name)(task.ctx, task.original, task.forget, loss=task.loss,
                  optimizer=task.optimizer, lr=task.lr if lr is None else lr, k=k)
    run.__doc__ = f"{name} with the training optimizer (core.methods.{name})."
    return run


def run_newton(task, damping):
    """θ̂ + (H_R + γI)⁺ ∇ Σ_F ℓ (core.methods.newton)."""
    from core.methods import newton

    return newton(task.ctx, task.original, task.forget, loss=task.loss, damping=damping)


def run_do_nothing(task):
    """θ̂ itself: the baseline every method must beat."""
    return MethodOutput(task.original.model, 0, {}, seconds=0.0)


def run_retrain(task):
    """GD from the same W₀ with the same settings on R, rescaled (the reference)."""
    params = dict(steps=task.steps, lr=float(task.lr), optimizer=task.optimizer)
    evals = task.steps * len(task.retain)
    if task.retrained is not None:
        model, seconds = task.retrained
        return MethodOutput(model, evals, params, seconds=seconds)
    from core.unlearn import retrain_without

    model, _ = retrain_without(task.ctx, task.forget, loss=task.loss, optimizer=task.optimizer,
                               lr=task.lr, steps=task.steps)
    return MethodOutput(model, evals, params)


def run_exact(task):
    """The hard-margin SVM on R (a dual solver: no gradient count)."""
    from core.unlearn import exact_svm

    return MethodOutput(exact_svm(task.ctx, task.retain), None, {})


BUILTINS = (
    Method("ga", "GA (one step)", run_ga, color="#d62728", default=True,
           description="one gradient-ascent step of the theory size, times c"),
    Method("ga_steps", "GA (k steps)", run_ga_steps, color="#9467bd",
           params=dict(k=steps(GA_STEPS_K), eta=eta(ETA_GAIN)),
           description=f"NegGrad: k ascent steps on the forget loss (eta = {ETA_GAIN:g} / "
                       "||grad q_F||² unless given)"),
    Method("neggrad_plus", "NegGrad+", run_neggrad_plus, color="#8c564b",
           params=dict(k=steps(NEGGRAD_K), eta=eta(NEGGRAD_ETA_GAIN),
                       alpha=Param(NEGGRAD_ALPHA, 0.0, 1.0, label="α (weight of the retained "
                                   "loss)", open_low=True, open_high=True)),
           description="descent on alpha mean_R l - (1 - alpha) mean_F l (Kurmanji et al.)"),
    Method("finetune", "fine-tune on R", _tuned("finetune"), color="#e377c2",
           params=dict(k=steps(FINETUNE_K), lr=LR),
           description="k steps of the training optimizer on the retained loss"),
    Method("random_label", "random labels", _tuned("random_label"), color="#bcbd22",
           params=dict(k=steps(FINETUNE_K), lr=LR),
           description="k steps of the training optimizer with the forgotten labels flipped"),
    Method("newton", "Newton step", run_newton, color="#17becf",
           params=dict(damping=Param(NEWTON_DAMPING, 0.0, 1e6, label="damping γ",
                                     auto="γ* = Σ|ℓ'(q_i)| q_i / ‖θ̂‖², Guo et al.'s L2")),
           description="an influence / certified-removal step (H_R + gamma I)^+ grad l_F, "
                       "gamma by default the L2 weight theta^ is optimal for (Guo et al.)"),
    Method("do_nothing", "do nothing", run_do_nothing, color="#7f7f7f", default=True,
           description="the trained model, rescaled: the baseline"),
    Method("retrain", "retrain", run_retrain, color="#1f6fd1", default=True, reference=True,
           description="GD from the same initialisation on R: the reference"),
    Method("exact", "exact SVM", run_exact, color="#2ca02c", models=("linear",), default=True,
           description="the hard-margin SVM on R: the true max-margin solution"),
)
