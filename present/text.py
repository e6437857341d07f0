"""Words and number formats the pages show (pure, no Streamlit)."""
import math
import re

import pandas as pd

from core.report import OUTSIDE_BETTER, ga_outcome

CARD_METRICS = (("eps_rel", "ε_rel"), ("delta", "δ"), ("tau", "τ"),
                ("cosine_to_retrain", "cos to retrain"))
METRIC_HELP = {
    "eps_rel": "Stationarity residual ‖θ − Σ_R λ_i y_i ∂N(θ; x_i)‖ divided by ‖θ‖: "
               "0 means an exact KKT point of the max-margin problem on the retained data.",
    "delta": "Complementary slackness: max over R of λ_i (q_i − 1).",
    "tau": "Feasibility slack: max(0, 1 − min over R of q_i) (our reading of the paper's τ).",
    "cosine_to_retrain": "Cosine between the flattened parameters and those of the model "
                         "retrained from scratch on R.",
    "test_accuracy": "Accuracy on the held-out test set.",
}


# Every ASCII punctuation character may be backslash-escaped in CommonMark; escaping all of
# them turns off emphasis, links and images ([t](u), ![t](u)), HTML, code, math ($) and
# Streamlit's :colour[...] and :material/...: directives at once.
_MARKDOWN_PUNCTUATION = {ord(c): "\\" + c for c in "\\`*_{}[]()#+-.!|<>~$:&=\"'/@%^;?,"}
# GitHub's autolink literals (http://..., www...., name@host.org) are found in the text after
# the escapes are read, so escaping does not stop them (checked in Chromium with Streamlit
# 1.67); an invisible word joiner inside each trigger does.
_JOINER = "\u2060"
_AUTOLINK = re.compile(r"(?i)(://|www\.|@)")


def as_text(value):
    """``value`` as literal text inside Markdown (st.markdown, st.warning, captions...):
    every Markdown-active character escaped, autolink triggers broken by a word joiner,
    line breaks kept as spaces.

    The one helper for text that comes from a user (link values, file names, CSV headers
    and labels, scenario-file strings, a method file's labels): it is shown, never run.
    """
    text = " ".join(str(value).split())
    text = _AUTOLINK.sub(lambda m: m.group(0)[0] + _JOINER + m.group(0)[1:], text)
    return text.translate(_MARKDOWN_PUNCTUATION)


def fmt(value, kind="g"):
    """A metric for a card: 3 significant digits; cosines and accuracies with 4 decimals."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    if kind == "f":
        return f"{value:.4f}"
    return f"{value:.2g}" if 0 < abs(value) < 1e-4 else f"{value:.3g}"


def certificate_flag(row):
    """Words for next to ε on a method's card when its certificate is not trustworthy as
    shown (None when it is): the dual recovery did not converge (ε is an upper bound), or
    the Clarke bound μ ≤ λ is violated (``row``: a ``core.report.methods_frame`` row)."""
    notes = []
    if not bool(row.get("converged", True)):
        notes.append("not converged: ε is an upper bound")
    violations = int(row.get("n_mu_violations", 0) or 0)
    if violations:
        notes.append(f"μ ≤ λ violated at {violations} kink pair{'s' if violations > 1 else ''}"
                     ": not a Clarke certificate")
    return "; ".join(notes) or None


TAU_FLOOR = 1e-12      # a gap (τ, δ, 1 − cos, a margin change) below this is rounding: 0
# Columns that measure a gap from an exact value: rounding makes them 1e-16 where 0 is meant
# (retrain's 1 − cos = 1.11e-16, τ = 2.2e-16); ε is left alone (1e-14 is a finding there).
ROUNDED_TO_ZERO = ("tau", "τ", "delta", "δ", "one_minus_cosine", "1 − cos",
                   "max_retained_margin_change", "disagreement")
# Display titles of the raw column names of the engine's tables (the CSV keeps the raw names).
COLUMN_TITLES = {
    "index": "point", "lam": "λ", "margin": "margin q",
    "margin_after_ga": "margin after GA", "lam_after_ga": "λ after GA",
    "kink_pairs": "kink pairs", "kink_pairs_after_ga": "kink pairs after GA",
    "eps": "ε", "eps_rel": "ε_rel", "delta": "δ", "tau": "τ", "n_support": "support",
    "n_kink_pairs": "kink pairs", "n_mu_violations": "μ > λ pairs",
    "cosine_to_retrain": "cos to retrain", "cosine_to_exact": "cos to exact",
    "one_minus_cosine": "1 − cos to retrain", "forget_margins": "forgotten margins",
    "forget_margin": "forgotten margin", "max_retained_margin_change": "max |Δq| on R",
    "test_accuracy": "test accuracy", "test_agreement_with_retrain": "agrees with retrain",
    "test_agreement": "agrees with retrain", "seconds": "seconds",
    "grad_evals": "gradients", "params": "hyperparameters", "scale": "c",
    "log_lr": "log LR", "p_member": "P(member)", "s": "statistic s", "auc": "AUC",
}


def column_title(name):
    """The display title of a raw column name (the name itself when it has none)."""
    return COLUMN_TITLES.get(str(name), str(name))


def is_rounding_gap(column):
    """Whether a column measures a gap that rounding leaves at 1e-16 instead of 0."""
    return any(key in str(column) for key in ROUNDED_TO_ZERO)


def shown(metric, value):
    """A metric's value as displayed: a gap (τ, δ, 1 − cos) below TAU_FLOOR is 0."""
    if is_rounding_gap(metric) and value is not None and 0 < abs(value) < TAU_FLOOR:
        return 0.0
    return value


def tidy(frame):
    """A results table as displayed: gaps (τ, δ, 1 − cos...) below TAU_FLOOR as 0 and
    ``removed = -1`` (the k = 0 row, nothing removed yet) empty."""
    out = frame.copy()
    for col in out.columns:
        if is_rounding_gap(col) and pd.api.types.is_float_dtype(out[col]):
            out[col] = out[col].mask(out[col].abs() < TAU_FLOOR, 0.0)
    if "removed" in out.columns and pd.api.types.is_integer_dtype(out["removed"]):
        out["removed"] = out["removed"].astype("Int64").mask(out["removed"] < 0)
    return out


def number_formats(frame, digits=4):
    """printf formats by column: integers as integers, floats with ``digits`` significant
    digits (for st.column_config.NumberColumn)."""
    return {col: "%d" if pd.api.types.is_integer_dtype(frame[col]) else f"%.{digits}g"
            for col in frame.columns
            if pd.api.types.is_numeric_dtype(frame[col]) and not pd.api.types.is_bool_dtype(
                frame[col])}


def card_format(metric):
    """The format kind of a card metric."""
    return "f" if metric in ("cosine_to_retrain", "test_accuracy") else "g"


def verdict(methods, scale=1.0, forgotten_lam=None, regime=None):
    """(level, sentence) judging the GA step against doing nothing and retraining.

    ``methods`` is ``core.report.methods_frame`` indexed by method name; ``forgotten_lam``
    the dual variables of the forgotten points. level is "success" when GA beats doing
    nothing (``core.report.ga_outcome``), "info" when only non-support points were
    forgotten or GA beat doing nothing outside the theory regime (``regime`` "outside":
    what was measured, not a success of the theory), else "warning".
    """
    ga, nothing = methods.loc["ga"], methods.loc["do_nothing"]
    if forgotten_lam is not None and max(forgotten_lam, default=0.0) <= 0.0:
        return "info", ("Only points with λ = 0 (not support vectors) were forgotten: the GA "
                        "step is zero, and the model is already a KKT point without them, "
                        "as retraining confirms. Forget a support vector to see the step work.")
    gain = nothing["eps_rel"] / max(ga["eps_rel"], 1e-300)
    cos = ga["cosine_to_retrain"]
    step = "One GA step" + ("" if scale == 1.0 else f" (c = {scale:g})")
    outcome = ga_outcome(ga, nothing, regime)
    if outcome == "better outside regime":
        return "info", (f"{step}: ε_rel {fmt(ga['eps_rel'])} against {fmt(nothing['eps_rel'])} "
                        f"for doing nothing, cosine to retrain {fmt(cos, 'f')}. "
                        f"{OUTSIDE_BETTER} (see the regime gauge on Data & training).")
    if outcome == "infeasible":
        return "warning", (f"{step} lowers ε_rel ({fmt(ga['eps_rel'])} vs "
                           f"{fmt(nothing['eps_rel'])} for doing nothing) but pushes retained "
                           f"points inside the margin: τ = {fmt(ga['tau'])} (retraining: "
                           f"{fmt(methods.loc['retrain', 'tau'])}), so this is not successful "
                           "unlearning — the theory needs n < d and nearly orthogonal data "
                           "(see the regime gauge on Data & training).")
    if outcome == "better":
        times = "to round-off" if ga["eps_rel"] < 1e-10 else f"{gain:.1f}× lower"
        return "success", (f"{step} forgets: ε_rel falls from {fmt(nothing['eps_rel'])} "
                           f"(do nothing) to {fmt(ga['eps_rel'])} ({times}), and the model "
                           f"points where retraining does (cosine {fmt(cos, 'f')}).")
    return "warning", (f"{step} does not beat doing nothing here: ε_rel {fmt(ga['eps_rel'])} vs "
                       f"{fmt(nothing['eps_rel'])} — the theory needs n < d and nearly "
                       "orthogonal data (see the regime gauge on Data & training).")


def plane_summary(forgotten, limit=2):
    """Subtitle lines on what happened to the forgotten points
    (``present.frames.forgotten_frame``)."""
    lines = [f"forgotten #{r.index}: margin {r.margin_before:.3f} → {r.margin_after:.3f} "
             f"(retrain {r.margin_retrain:.3f})" for r in forgotten.head(limit).itertuples()]
    if len(forgotten) > limit:
        lines[-1] += f", and {len(forgotten) - limit} more"
    return lines + ["grey rings: the same points retrained from scratch"]
