"""Is it really forgotten? in the reproduction: the default demo's evidence (retraining's
floor, U-LiRA, relearning; core/evidence.py) as the table of the "forgetting" figure, and
its line among the measurements of summary.md (docs/theory.md §3.9).
"""
from __future__ import annotations

from core import registry
from core.scenario import Scenario
from core.sweeps.claims import Claim, fmt

SHORT = {"one_minus_cosine": "1 − cos", "eps_rel": "ε_rel",
         "margin_distance_to_retrain": "retained margins", "test_disagreement": "test "
         "disagreement"}


def forgetting_evidence(plan):
    """"How forgotten is it?" on the default demo (the largest-λ support vector forgotten):
    every method of the cost sweep with retraining's floor, U-LiRA and relearning
    (core.evidence), as the figure's long table.
    """
    from core.compare import compare, default_forget, prepare
    from core.evidence import forgetting_frame, gather

    prepared = prepare(Scenario())
    methods = [m for m in plan.cost_methods or registry.names()
               if registry.get(m).supports(prepared.scenario.model)]
    comparison = compare(prepared, default_forget(prepared), methods=tuple(methods))
    return forgetting_frame(comparison, gather(comparison, plan.floor_k, plan.ulira_k, True))


def forgetting_measurement(frame, plan):
    """"How forgotten is it?" per method (core.evidence.forgetting_frame): inside
    retraining's floor or not, U-LiRA's AUC with its interval, relearning steps.
    """
    parts = []
    for _, rows in frame.groupby("method", sort=False):
        by = rows.set_index("measure")
        dist = by.loc[by.index.isin(("one_minus_cosine", "eps_rel",
                                     "margin_distance_to_retrain", "test_disagreement"))]
        over = (dist["value"] / dist["floor_max"]).where(dist["floor_max"] > 0)
        inside = bool((dist["value"] <= dist["floor_max"] * (1 + 1e-9) + 1e-15).all())
        text = "inside the floor" if inside else (
            f"outside the floor ({SHORT[over.idxmax()]} {fmt(over.max())}×)"
            if over.notna().any() else "outside the floor (0)")
        if "ulira_auc" in by.index:
            u = by.loc["ulira_auc"]
            text += f", U-LiRA {fmt(u['value'])} [{fmt(u['low'])}, {fmt(u['high'])}]"
        if "relearn_steps" in by.index:
            r = by.loc["relearn_steps"]
            text += f", relearning {int(r['value'])}{'' if r['reached'] else '+'} steps"
        parts.append(f"{rows['label'].iloc[0]}: {text}")
    return Claim("forgetting", f"How forgotten is it? Default demo (n = 40, d = 1000, m = 100, "
                 f"seed 0, largest-λ point): floor of {plan.floor_k} retrainings, U-LiRA "
                 f"with {plan.ulira_k} shadow and {plan.ulira_k} target pairs", "",
                 "; ".join(parts), None)
