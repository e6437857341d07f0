"""Overview: the story in five sentences, the definitions, the default demo one click away."""
import streamlit as st

from core.scenario import Scenario
from present import share
from ui import session, state

session.page_header("One gradient-ascent step forgets a training point")

story, terms = st.columns([1, 1.3], gap="large")
with story:
    st.markdown(
        "Gradient descent on a linear model or a two-layer ReLU net converges in direction "
        "to a **KKT point of the max-margin problem**: θ = Σᵢ λᵢ yᵢ ∂N(θ; xᵢ), one dual weight "
        "λᵢ ≥ 0 per training point. "
        "To forget point *l*, take **one gradient-ascent step** on its loss, sized to remove "
        "exactly its term: θ⁻ = θ̂ − c·λₗ yₗ ∇N(θ̂; xₗ), with c = 1 the paper's step. "
        "When the data are high-dimensional and nearly orthogonal (n < d), θ⁻ is an "
        "**approximate KKT point of the problem without *l***, close to retraining from "
        "scratch, for the cost of one gradient. "
        "This app measures that claim with a certificate (ε, δ, τ) and sets the step beside "
        "doing nothing, retraining and, for the linear model, the exact max-margin solution. "
        "It also shows where the claim breaks: n ≥ d, 2-D data, a step size far from c = 1.")
    st.caption("Melamed, Yehudai, Vardi (2025), *Provable Unlearning with Gradient Ascent on "
               "Two-Layer ReLU Neural Networks*.")
    if st.button("Open the default demo", type="primary", icon=":material/play_arrow:",
                 key="ux.open_demo"):
        state.load(share.Shared(Scenario(), None))
        st.switch_page(session.PAGES["unlearn"])
    st.markdown(
        "**How to use it.** On **Unlearn**, click points of the margin-λ plane (shift-click "
        "for several) and press *Forget selected*; the cards compare the methods. "
        "**KKT inspector** shows what the step did to each neuron, **Step size** varies c, "
        "**Data & training** changes the data, the model and the optimizer. "
        "The address bar's link reproduces what you see.")

TERMS = [
    ("λ (lambda)", "How much each point holds the model up; λᵢ > 0 marks a support vector, "
     "which sits at margin qᵢ = yᵢ N(θ; xᵢ) = 1. Found by non-negative least squares.",
     r"\theta = \textstyle\sum_i \lambda_i y_i\, \partial N(\theta; x_i),\ \lambda \ge 0"),
    ("ε (eps)", "Stationarity: how far θ is from the λ-weighted sum of the gradients; "
     "ε_rel = ε / ‖θ‖.",
     r"\small \varepsilon = \big\|\theta - \textstyle\sum_{i\in R} \lambda_i y_i\, "
     r"\partial N(\theta; x_i)\big\|"),
    ("δ (delta)", "Complementary slackness: whether the points that carry weight sit on "
     "the margin.", r"\delta = \max\big(0,\ \max_{i\in R} \lambda_i (q_i - 1)\big)"),
    ("τ (tau)", "Feasibility slack: how far the worst retained point falls inside the "
     "margin (our reading of the paper's τ).", r"\tau = \max\big(0,\ 1 - \min_{i\in R} q_i\big)"),
]
with terms:
    st.markdown("**The certificate of a model θ on the retained points R**")
    # two cards a row; one in presentation mode, where the larger formulas need the width
    per_row = 1 if state.get("presentation") else 2
    for start in range(0, len(TERMS), per_row):
        row = TERMS[start:start + per_row]
        for col, (name, words, formula) in zip(st.columns(per_row, gap="small"), row):
            with col.container(border=True, height="stretch"):
                st.markdown(f"**{name}**: {words}")
                st.latex(formula)
    with st.container(border=True):
        st.markdown("**κ (kappa)**, the kink band: ReLU has no derivative at 0, so pairs with "
                    "|cos(w_j, x_i)| ≤ κ may use any slope in [0, 1] (Clarke). Without it a "
                    "perfectly trained net shows ε_rel ≈ 0.18; the default is "
                    f"κ = {Scenario().kink_tol:g}.")
