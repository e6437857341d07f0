"""The figure "How forgotten is it?" (docs/theory.md §3.9): methods on one axis, each
measure of forgetting as a small multiple with retraining's floor as a band, U-LiRA's AUC
with its interval and 0.5 marked, relearning against retraining's count.

``forgetting_figure(frame)`` is a pure builder over ``core.evidence.forgetting_frame`` (one
row per method and measure), used by the Methods page, ``python -m explorer reproduce`` and
the slides. No Streamlit here.
"""
import math

import altair as alt
import numpy as np
import pandas as pd

from core.evidence import FIGURE_MEASURES, forgetting_frame
from present import palette
from present.style import finish, style

__all__ = ["forgetting_figure", "forgetting_frame", "caption"]
BAND = "#d9dde3"
MIN_TICK_GAP = 0.14      # symlog axes: ticks closer than this share of the width are dropped


def _panel(rows, measure, title, order, s, width, height, first):
    """One small multiple: a dot per method, the floor's band and mean line, and for the
    AUC the interval and the 0.5 line."""
    methods = list(dict.fromkeys(rows["method"]))
    y = alt.Y("label:N", sort=order, title=None,
              axis=alt.Axis(labels=first, ticks=first, domain=False, labelLimit=200,
                            labelPadding=8))
    color = alt.Color("label:N", scale=palette.scale(methods), legend=None)
    values = rows["value"].to_numpy(float)
    layers = []
    if measure == "ulira_auc":
        x = alt.X("value:Q", title="AUC", scale=alt.Scale(domain=[0, 1]),
                  axis=alt.Axis(values=[0, 0.25, 0.5, 0.75, 1], format=".2~f"))
        half = pd.DataFrame({"value": [0.5]})
        layers.append(alt.Chart(half).mark_rule(strokeDash=[5, 3], color="#555",
                                                strokeWidth=s.stroke).encode(x="value:Q"))
        layers.append(alt.Chart(rows).mark_rule(strokeWidth=s.line).encode(
            y=y, x=alt.X("low:Q", scale=alt.Scale(domain=[0, 1])), x2="high:Q", color=color))
    else:
        x = alt.X("value:Q", title=None, scale=_scale(rows, measure), axis=_axis(rows, measure))
        floor = rows.dropna(subset=["floor_min"]).head(1)
        if not floor.empty and measure != "relearn_steps":
            layers.append(alt.Chart(floor).mark_rect(color=BAND, opacity=0.8).encode(
                x=alt.X("floor_min:Q", scale=_scale(rows, measure)), x2="floor_max:Q"))
        if not floor.empty:
            layers.append(alt.Chart(floor).mark_rule(
                color="#6b7280", strokeDash=[4, 3] if measure == "relearn_steps" else [],
                strokeWidth=s.stroke).encode(x="floor_mean:Q"))
    tooltip = ["label:N", alt.Tooltip("value:Q", format=".4g")]
    dots = alt.Chart(rows).mark_point(filled=True, size=s.point, opacity=1).encode(
        y=y, x=x, color=color, shape=alt.Shape("reached:N", legend=None, scale=alt.Scale(
            domain=[True, False], range=["circle", "triangle-right"])), tooltip=tooltip)
    layers.append(dots)
    sub = _subtitle(rows, measure, values)
    return alt.layer(*layers).properties(
        width=width, height=height, title=alt.Title(title, subtitle=sub,
                                                    fontSize=s.font + 1,
                                                    subtitleFontSize=s.font - 2))


def _scale(rows, measure):
    """Symlog for distances spanning decades (0 stays drawable), linear otherwise."""
    if measure in ("ulira_auc",):
        return alt.Scale(domain=[0, 1])
    vals = np.r_[rows["value"].to_numpy(float), rows["floor_max"].dropna().to_numpy(float)]
    positive = vals[vals > 0]
    if measure == "relearn_steps" or positive.size < 2 or positive.max() / positive.min() < 30:
        return alt.Scale(zero=True, nice=True)
    floor = rows["floor_max"].dropna()
    constant = float(floor.iloc[0]) if len(floor) and floor.iloc[0] > 0 else positive.min()
    return alt.Scale(type="symlog", constant=max(constant, 1e-12), zero=True, nice=False,
                     domain=[0, float(positive.max()) * 1.15])


def _axis(rows, measure):
    """Few ticks: 0 and the powers of ten on a symlog axis, about four otherwise."""
    scale = _scale(rows, measure).to_dict()
    if scale.get("type") != "symlog":
        return alt.Axis(tickCount=4, format="~g")
    top, c = scale["domain"][1], scale["constant"]
    low = math.floor(math.log10(c))
    kept, end = [0.0], math.log1p(top / c)
    for tick in (10.0 ** k for k in range(low, math.floor(math.log10(top)) + 1)):
        if (math.log1p(tick / c) - math.log1p(kept[-1] / c)) / end >= MIN_TICK_GAP:
            kept.append(tick)          # labels closer than that would overlap
    return alt.Axis(values=kept, format="~g")


def _subtitle(rows, measure, values):
    floor = rows.dropna(subset=["floor_min"]).head(1)
    if measure == "ulira_auc":
        return "bar: 95% interval; dashed: 0.5"
    if measure == "relearn_steps":
        capped = int((~rows["reached"].astype(bool)).sum())
        text = "dashed: retrain's count"
        return [text, f"▸ {capped} not back within the cap"] if capped else text
    if floor.empty:
        return "no floor measured"
    r = floor.iloc[0]
    if r["floor_max"] == 0:
        return "floor: 0 (every retraining is the same model)"
    return f"band: floor {_num(r['floor_min'])}–{_num(r['floor_max'])}"


def _num(x):
    return "0" if x == 0 else (f"{x:.2g}" if abs(x) < 0.01 or abs(x) >= 100 else f"{x:.3g}")


def forgetting_figure(frame, presentation=False, width=None, height=None, title=None,
                      note=None):
    """"How forgotten is it?": one panel per measure in ``frame`` (FIGURE_MEASURES order),
    methods down the side in the order of the frame; ``note`` is a first subtitle line (the
    setting); None for an empty frame."""
    if frame is None or frame.empty:
        return None
    s = style(presentation)
    order = list(dict.fromkeys(frame["label"]))
    measures = [(m, t) for m, t in FIGURE_MEASURES if m in set(frame["measure"])]
    per_row = 3 if len(measures) > 4 else len(measures)
    width = width or (250 if presentation else 215)
    height = height or max(len(order) * (30 if presentation else 22), 120)
    panels = [_panel(frame[frame["measure"] == m], m, t, order, s, width, height,
                     first=i % per_row == 0) for i, (m, t) in enumerate(measures)]
    rows = [alt.hconcat(*panels[i:i + per_row], spacing=18)
            for i in range(0, len(panels), per_row)]
    chart = alt.vconcat(*rows, spacing=24) if len(rows) > 1 else rows[0]
    chart = chart.properties(title=alt.Title(title or "How forgotten is it?",
                                             subtitle=([note] if note else []) + caption(frame)))
    return finish(chart, s)


def caption(frame):
    """The subtitle lines: what the band, the AUC and the counts mean, with K's."""
    lines = ["grey band: retraining's noise floor (retrains from other seeds, min–max; line: "
             "mean)", "inside the band: as close to the reference retrain as another "
             "retraining is"]
    if "ulira_auc" in set(frame["measure"]):
        lines.append("U-LiRA: can an attacker tell the unlearned model from a retrained one?"
                     " 0.5: no; 1: the point is still visible")
    if "relearn_steps" in set(frame["measure"]):
        lines.append("relearning: GD steps until the forgotten margin is back; far below "
                     "retrain's count: hidden, not removed")
    return lines
