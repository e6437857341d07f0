"""The Methods page's tables and charts: quality against cost of every unlearning method, and
the membership audit (IN/OUT distributions of the forgotten point's statistic, p_member).

Frames from core objects, then pure Altair builders over those frames (no Streamlit here).
"""
import altair as alt
import numpy as np
import pandas as pd

from core.registry import reference_name
from core.report import format_params, methods_frame, mia_verdict
from present.figures import method_color
from present.palette import label
from present.style import finish, style

QUALITY = {"eps_rel": ("ε_rel on R", "stationarity on R (lower is better)"),
           "one_minus_cosine": ("1 − cosine to retrain", "distance to retrain (lower is better)"),
           "forget_margin": ("margin of x_l", "forgotten point's margin (retrain's is the aim)"),
           "test_accuracy": ("test accuracy", "test accuracy")}
COST_TITLE = "gradient evaluations (log; 0 at 1)"
COST_TICKS = [1, 10, 100, 1_000, 10_000, 100_000]


def quality_frame(comparison, floor=None):
    """One row per method: the quality metrics, cost (grad_evals, seconds) and params; with a
    core.floor.Floor, its verdict (``floor_columns``) and the floor's range of ε_rel and
    1 − cosine (columns ``<metric>_floor_min``/``_max``, the band of the quality axis)."""
    table = methods_frame(comparison)
    out = pd.DataFrame({
        "method": table["method"], "label": table["label"], "eps_rel": table["eps_rel"],
        "one_minus_cosine": 1.0 - table["cosine_to_retrain"],
        "forget_margin": [float(np.mean(r.forget_margins))
                          for r in comparison.methods.values()],
        "tau": table["tau"], "grad_evals": table["grad_evals"], "seconds": table["seconds"],
        "params": [format_params(r.params) for r in comparison.methods.values()]})
    if "test_accuracy" in table:
        out.insert(5, "test_accuracy", table["test_accuracy"])
    if floor is not None:
        cos = floor.values["cosine_to_retrain"]
        bands = dict(eps_rel=floor.values["eps_rel"], one_minus_cosine=1.0 - cos)
        for metric, values in bands.items():
            out[f"{metric}_floor_min"], out[f"{metric}_floor_max"] = values.min(), values.max()
        out = floor_columns(out.assign(**{c: table[c] for c in FLOOR_INPUTS if c in table}),
                            floor).drop(columns=[c for c in FLOOR_INPUTS if c in table])
    return out


FLOOR_INPUTS = ("cosine_to_retrain", "margin_distance_to_retrain", "test_disagreement",
                "kl_to_retrain")
FLOOR_NAMES = {"cosine_to_retrain": "1 − cos", "eps_rel": "ε_rel",
               "margin_distance_to_retrain": "retained margins",
               "test_disagreement": "test disagreement", "kl_to_retrain": "KL"}


def floor_columns(frame, floor):
    """``frame`` (rows of core.report.methods_frame) with each method's floor verdict:
    ``within_floor``, ``floor_ratio`` (its largest distance over the floor's largest) and
    ``floor_worst`` (which measure that is)."""
    within, ratio, worst = [], [], []
    for _, row in frame.iterrows():
        measured = {m: row[m] for m in FLOOR_NAMES if m in row and pd.notna(row[m])}
        ok, ratios = floor.verdict(measured)
        top = max(ratios, key=ratios.get, default=None)
        within.append(ok)
        ratio.append(ratios.get(top, float("nan")))
        worst.append(top or "")
    return frame.assign(within_floor=within, floor_ratio=ratio, floor_worst=worst)


EVIDENCE_COLUMNS = {"label": "method", "within_floor": "within floor",
                    "floor_ratio": "× floor (largest)", "floor_worst": "farthest on",
                    "test_disagreement": "test disagreement", "kl_to_retrain": "KL to retrain",
                    "ulira_auc": "U-LiRA AUC", "ulira_low": "AUC low", "ulira_high": "AUC high",
                    "ulira_tpr": "TPR @ 1% FPR", "relearn_steps": "relearning steps",
                    "relearn_reached": "back within the cap"}


def evidence_table(comparison, evidence):
    """One row per method: the floor's verdict, output distances, U-LiRA and relearning
    (``core.report.methods_frame`` with the evidence), with readable column names."""
    table = methods_frame(comparison, evidence.floor, evidence.ulira, evidence.relearn)
    if evidence.floor is not None:
        table = floor_columns(table.drop(columns=["within_floor", "floor_ratio"]),
                              evidence.floor)
        table["floor_worst"] = table["floor_worst"].map(lambda m: FLOOR_NAMES.get(m, m))
    if "relearn_steps" in table:       # the cap: "1000+" would be text; say it in a column
        table["relearn_steps"] = table["relearn_steps"].astype(int)
    cols = [c for c in EVIDENCE_COLUMNS if c in table]
    return table[cols].rename(columns=EVIDENCE_COLUMNS)


def floor_sentence(row):
    """One line for a method's card: within retraining's floor, or outside by how much."""
    if "within_floor" not in row or pd.isna(row.get("floor_ratio")):
        return None
    if row.get("method", row.name) == reference_name():
        return "the reference: retraining's floor is measured around it"
    if bool(row["within_floor"]):
        return "within retraining's floor: as close as another retraining"
    what, ratio = FLOOR_NAMES.get(row["floor_worst"], row["floor_worst"]), row["floor_ratio"]
    if not np.isfinite(ratio):
        return f"outside: retraining's floor is 0 (one max-margin solution), {what} is not"
    return f"outside retraining's floor: {what} {ratio:.3g}× its largest"


def quality_cost_chart(frame, presentation=False, width=240, height=200):
    """One panel per quality metric: the metric against grad_evals (log), a point a method."""
    s = style(presentation)
    data = frame[frame["grad_evals"].notna()].copy()
    data["cost"] = np.maximum(data["grad_evals"].astype(float), 1.0)
    methods = list(data["method"])
    panels = []
    for metric, (axis, title) in QUALITY.items():
        if metric not in data or data[metric].isna().all():
            continue
        base = alt.Chart(data).encode(
            x=alt.X("cost:Q", scale=alt.Scale(type="log"), title=COST_TITLE,
                    axis=alt.Axis(values=[t for t in COST_TICKS
                                          if t <= 1.5 * float(data["cost"].max())],
                                  format="~s")),
            y=alt.Y(f"{metric}:Q", title=axis, scale=alt.Scale(zero=False)),
            color=method_color(methods),
            tooltip=["label", alt.Tooltip(f"{metric}:Q", format=".4g"), "grad_evals",
                     alt.Tooltip("seconds:Q", format=".3g"), "params"])
        layers = [base.mark_point(filled=True, size=s.point),
                  base.mark_text(dx=8, align="left", fontSize=s.font - 2).encode(text="label:N")]
        if f"{metric}_floor_min" in data:        # retraining's noise floor on this axis
            band = data.head(1)[[f"{metric}_floor_min", f"{metric}_floor_max"]]
            layers.insert(0, alt.Chart(band).mark_rect(color="#d9dde3", opacity=0.8).encode(
                y=alt.Y(f"{metric}_floor_min:Q"), y2=f"{metric}_floor_max:Q"))
            title = [title, "grey: retraining's floor"]
        panels.append(alt.layer(*layers).properties(width=width, height=height, title=title))
    return finish(alt.hconcat(*panels), s) if panels else None


def audit_frames(audit, comparison, point=0):
    """(shadows, curves, methods) frames of forgotten point ``point`` (its place in F)."""
    st = audit.shadows[point]
    shadows = pd.DataFrame({"kind": ["IN (trained with x_l)"] * st.s_in.size
                            + ["OUT (trained without)"] * st.s_out.size,
                            "s": np.concatenate([st.s_in, st.s_out])})
    methods = pd.DataFrame([dict(method=name, label=label(name), s=res.s[point],
                                 log_lr=res.log_lr[point], p_member=res.p_member[point],
                                 auc=res.auc) for name, res in audit.methods.items()])
    finite = methods["s"][np.isfinite(methods["s"])]
    lo = min(shadows["s"].min(), finite.min() if finite.size else 0.0)
    hi = max(shadows["s"].max(), finite.max() if finite.size else 1.0)
    grid = np.linspace(lo - 0.1 * (hi - lo + 1e-9), hi + 0.1 * (hi - lo + 1e-9), 400)
    curves = []
    for kind, (mean, std) in (("IN (trained with x_l)", st.fit_in),
                              ("OUT (trained without)", st.fit_out)):
        density = np.exp(-0.5 * ((grid - mean) / std) ** 2) / (std * np.sqrt(2 * np.pi))
        curves.append(pd.DataFrame({"kind": kind, "s": grid, "density": density}))
    return shadows, pd.concat(curves, ignore_index=True), methods


AUDIT_HELP = {
    "s": "The forgotten point's margin over the root mean square of the retained margins "
         "(about 1 for a member that is a support vector, about 0 or below otherwise).",
    "log_lr": "log N(s; IN) − log N(s; OUT): how much likelier s is under the shadows trained "
              "with the point. Large negative values (−10⁴) mean s lies hundreds of IN "
              "standard deviations away: the IN shadows agree to 1%, so nothing like a member.",
    "p_member": "1 / (1 + e^−log_lr): the audit's probability that the point is still a member.",
    "auc": "Population AUC: the share of fresh points of the same distribution whose margin "
           "is below the forgotten point's (1: it scores like a training point; low: like a "
           "point the model never saw). Generated data only."}


def audit_verdict(audit):
    """The audit's one-line verdict (core.report.mia_verdict), with its K."""
    largest = {name: float(np.max(res.p_member)) for name, res in audit.methods.items()}
    used = min(min(st.n_in, st.n_out) for st in audit.shadows)
    return (f"{mia_verdict(largest)} ({audit.n_shadows} shadow pairs, {used} or more of each "
            "kind used.)")


KIND_SCALE = alt.Scale(domain=["IN (trained with x_l)", "OUT (trained without)"],
                       range=["#d95f02", "#1b9e77"])


def mia_distribution_chart(shadows, curves, methods, presentation=False, width=760, height=240):
    """Fitted IN and OUT Gaussians of s = q_l / min_T q, the shadows as ticks, each method's
    s as a labelled rule."""
    s = style(presentation)
    names = list(methods["method"])
    peak = float(curves["density"].max())
    curve = alt.Chart(curves).mark_line(strokeWidth=s.line).encode(
        x=alt.X("s:Q", title="normalized margin s of the forgotten point"),
        y=alt.Y("density:Q", title="density of s (Gaussian fit)", scale=alt.Scale(type="sqrt")),
        color=alt.Color("kind:N", title=None, scale=KIND_SCALE))
    ticks = alt.Chart(shadows.assign(density=0.0)).mark_tick(
        thickness=2, size=14, opacity=0.7, orient="vertical").encode(
        x="s:Q", y="density:Q", color=alt.Color("kind:N", scale=KIND_SCALE, legend=None))
    shown = methods[np.isfinite(methods["s"])].sort_values("s").reset_index(drop=True)
    shown = shown.assign(level=peak * (0.95 - 0.12 * (shown.index % 5)) ** 2)
    rules = alt.Chart(shown).mark_rule(strokeWidth=s.stroke, strokeDash=[5, 3]).encode(
        x="s:Q", color=method_color(names).legend(None),
        tooltip=["label", alt.Tooltip("s:Q", format=".4g"),
                 alt.Tooltip("p_member:Q", format=".3g")])
    text = alt.Chart(shown).mark_text(align="left", dx=4, fontSize=s.font - 2).encode(
        x="s:Q", y=alt.Y("level:Q"), text="label:N", color=method_color(names).legend(None))
    chart = (curve + ticks + rules + text).resolve_scale(color="independent")
    return finish(chart.properties(width=width, height=height), s)


def p_member_chart(methods, presentation=False, width=760, height=200):
    """p_member = 1 / (1 + e^{-log_lr}) per method, with the 0.5 line."""
    s = style(presentation)
    names = list(methods["method"])
    bars = alt.Chart(methods).mark_bar().encode(
        y=alt.Y("label:N", sort=[label(m) for m in names], title=None),
        x=alt.X("p_member:Q", scale=alt.Scale(domain=[0, 1.08]),
                axis=alt.Axis(values=[0, 0.25, 0.5, 0.75, 1.0]),
                title="p_member (LiRA: is the forgotten point still a member?)"),
        color=method_color(names).legend(None),
        tooltip=["label", alt.Tooltip("p_member:Q", format=".3g"),
                 alt.Tooltip("log_lr:Q", format=".4g")])
    values = alt.Chart(methods).mark_text(align="left", dx=4, fontSize=s.font - 1).encode(
        y=alt.Y("label:N", sort=[label(m) for m in names]), x="p_member:Q",
        text=alt.Text("p_member:Q", format=".3f"))
    half = alt.Chart(pd.DataFrame({"x": [0.5]})).mark_rule(strokeDash=[3, 3]).encode(x="x:Q")
    return finish((bars + values + half).properties(width=width, height=height), s)
