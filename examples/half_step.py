"""An unlearning method of your own: one GA step at c = 0.5 (half the paper's step).

Register it with ``python -m explorer unlearn --method-file examples/half_step.py
--methods ga,half_step``, or for the app with UNLEARN_METHOD_FILES=examples/half_step.py.
It then gets the cards, the certificate on R, the floor and the audits like a built-in.
"""
from core.registry import Method, MethodOutput, register
from core.unlearn import ga_step


def half_step(task):
    """θ⁻ = θ̂ − ½ Σ_{l∈F} λ_l y_l ∇N(θ̂; x_l): one gradient evaluation per forgotten point."""
    model = ga_step(task.ctx, task.original, task.forget, scale=0.5)
    return MethodOutput(model, grad_evals=len(task.forget), params={"scale": 0.5})


register(Method("half_step", "GA (half step)", half_step, color="#ff7f0e",
                description="one GA step at c = 0.5"))
