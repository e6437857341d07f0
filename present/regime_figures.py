"""The regime dial as one figure: the Fourier bandwidth B against the paper's regime (rho,
and whether one GA step beats doing nothing) and against generalization (test accuracy,
GA's cosine to retrain). Pure Altair (DataFrame in, chart out): the Data & training page,
``python -m explorer reproduce`` and a slide draw with ``regime_dial_chart``.

The input is ``core.sweeps.regime.dial_frame`` (one row per bandwidth and seed; B = inf is
the data without a lift, drawn at the right end of the axis as "no lift").
"""
import math

import altair as alt
import pandas as pd

from present import palette
from present.figures import LOG_LABELS, _layer, log_ticks
from present.style import finish, style

SERIES = {
    "rho": ("ρ (regime gauge)", "#222222"),
    "eps_rel_ga": (palette.label("ga"), palette.color("ga")),
    "eps_rel_do_nothing": (palette.label("do_nothing"), palette.color("do_nothing")),
    "test_accuracy": ("test accuracy (trained model)", "#6a3d9a"),
    "cosine_ga": ("GA's cosine to retrain", palette.color("ga")),
}
PANELS = (("the regime gauge ρ", ("rho",), True),
          ("ε_rel on R after forgetting", ("eps_rel_ga", "eps_rel_do_nothing"), True),
          ("generalization", ("test_accuracy", "cosine_ga"), False))
NO_LIFT_LABEL = "no lift"


def _positions(frame):
    """x of each row: B, and for B = inf a place right of the largest B (no lift)."""
    finite = frame.loc[frame["bandwidth"].map(math.isfinite), "bandwidth"]
    top = float(finite.max()) if len(finite) else 1.0
    inf_x = float(f"{top * 3:.3g}")
    return frame["bandwidth"].where(frame["bandwidth"].map(math.isfinite), inf_x), inf_x


def _x_domain(x, inf_x, current_x):
    """From the smallest B to the largest position drawn (no lift only when it is)."""
    top = max([float(v) for v in x] + ([current_x] if current_x is not None else []))
    return [min(float(v) for v in x) / 1.4, (inf_x if top >= inf_x else top) * 1.4]


def _long(frame, measures, x):
    """Rows (x, seed, series, value, finite) for ``measures`` (NaN left out)."""
    parts = []
    for m in measures:
        if m not in frame:
            continue
        part = pd.DataFrame({"x": x, "seed": frame["seed"], "value": frame[m],
                             "series": SERIES[m][0],
                             "finite": frame["bandwidth"].map(math.isfinite)})
        parts.append(part.dropna(subset=["value"]))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["x", "seed", "value", "series", "finite"])


def _summary(long):
    grouped = long.groupby(["series", "x", "finite"], sort=False)["value"]
    return pd.concat([grouped.mean().rename("mean"), grouped.min().rename("lo"),
                      grouped.max().rename("hi"), grouped.size().rename("n_seeds")],
                     axis=1).reset_index()


def _panel(frame, title, measures, log_y, x_enc, s, width, height, current_x, inf_x):
    long = _long(frame, measures, x_enc["x"])
    drawn = [m for m in measures if m in frame and frame[m].notna().any()]   # the legend's
    names = [SERIES[m][0] for m in drawn]
    series_scale = alt.Scale(domain=names, range=[SERIES[m][1] for m in drawn])
    color = alt.Color("series:N", title=None, sort=names, scale=series_scale,
                      legend=alt.Legend(symbolType="stroke", symbolStrokeWidth=4,
                                        symbolOpacity=1))
    if not len(long):
        note = alt.Chart(pd.DataFrame({"t": ["no test set: nothing to draw"]})).mark_text(
            fontSize=s.font, color="#777").encode(text="t:N")
        return note.properties(width=width, height=height, title=title)
    agg = _summary(long)
    values = [v for v in list(agg["lo"]) + list(agg["hi"]) if v > 0]
    if log_y and values:
        lo, hi = min(values) / 1.5, max(values) * 1.5
        if "rho" in measures:
            lo, hi = min(lo, 0.5), max(hi, 2.0)
        y_scale = alt.Scale(type="log", domain=[lo, hi], nice=False)
        y_axis = alt.Axis(labelExpr=LOG_LABELS, values=log_ticks(lo, hi), title=None)
    else:
        lo = min(list(agg["lo"]) + [1.0])
        y_scale = alt.Scale(domain=[max(0.0, lo - 0.05), 1.0], nice=False)
        y_axis = alt.Axis(format=".2~f", title=None)
    y = alt.Y("mean:Q", scale=y_scale, axis=y_axis)
    finite, inf = agg[agg["finite"]], agg[~agg["finite"]]
    layers = []
    if current_x is not None:
        mark = alt.Chart(pd.DataFrame({"x": [current_x], "t": ["current"]}))
        layers.append(mark.mark_rule(color="#d62728", strokeDash=[6, 4], strokeWidth=2)
                      .encode(x=x_enc["enc"]))
        right = current_x >= inf_x            # at the right end: the label goes left
        # above the plot area: inside it, the label would cover a point at the same x
        layers.append(mark.mark_text(align="right" if right else "left", baseline="bottom",
                                     dx=-4 if right else 4, dy=-2,
                                     color="#d62728", fontSize=s.font - 1)
                      .encode(x=x_enc["enc"], y=alt.value(0), text="t:N"))
    if "rho" in measures:
        rule = alt.Chart(pd.DataFrame({"y": [1.0], "t": ["ρ = 1: the paper's regime below"]}))
        layers.append(rule.mark_rule(color="#2ca02c", strokeDash=[4, 3], strokeWidth=1.5)
                      .encode(y=alt.Y("y:Q", scale=y_scale)))
        layers.append(rule.mark_text(align="left", baseline="top", dx=4, dy=3,
                                     color="#2ca02c", fontSize=s.font - 1)
                      .encode(x=alt.value(0), y=alt.Y("y:Q", scale=y_scale), text="t:N"))
    layers.append(alt.Chart(finite).mark_area(opacity=s.band).encode(
        x=x_enc["enc"], y=alt.Y("lo:Q", scale=y_scale, axis=y_axis), y2="hi:Q",
        fill=alt.Fill("series:N", scale=series_scale, legend=None)))
    layers.append(alt.Chart(long).mark_circle(size=max(s.point * 0.3, 12), opacity=0.45)
                  .encode(x=x_enc["enc"], y=alt.Y("value:Q", scale=y_scale), color=color))
    tooltip = [alt.Tooltip("series:N", title="measure"), alt.Tooltip("x:Q", title="B"),
               alt.Tooltip("mean:Q", format=".4g"), alt.Tooltip("lo:Q", format=".4g"),
               alt.Tooltip("hi:Q", format=".4g"), "n_seeds:Q"]
    layers.append(alt.Chart(finite).mark_line(
        strokeWidth=s.line, point=alt.OverlayMarkDef(size=s.point)).encode(
        x=x_enc["enc"], y=y, color=color, tooltip=tooltip))
    if len(inf):
        layers.append(alt.Chart(inf).mark_rule(strokeWidth=s.line).encode(
            x=x_enc["enc"], y=alt.Y("lo:Q", scale=y_scale), y2="hi:Q", color=color))
        layers.append(alt.Chart(inf).mark_point(size=s.point * 1.6, filled=True, shape="square",
                                                opacity=1).encode(
            x=x_enc["enc"], y=y, color=color, tooltip=tooltip))
    return _layer(layers).properties(width=width, height=height, title=title)


def regime_dial_chart(frame, presentation=False, current=None, width=None, height=None,
                      stacked=False):
    """ρ, ε_rel of GA and of doing nothing, test accuracy and GA's cosine to retrain
    against the Fourier bandwidth B (log axis; the data without a lift at the right), three
    panels side by side (``stacked``: one above the other, for a narrow column).

    Parameters
    ----------
    frame : ``core.sweeps.regime.dial_frame`` rows (bandwidth, seed and the measures);
        ``frame.attrs`` may carry ``lift`` (D), ``data`` (a name) and ``note`` (e.g. the
        runs that did not train) for the subtitle
    presentation : bool, the large look of talks and slides
    current : float or None, the B to mark (math.inf: the data without a lift)
    width, height : of each panel (default: to fit a 16:9 slide in presentation)
    """
    s = style(presentation)
    width = width or (560 if stacked else 470 if presentation else 330)
    height = height or (150 if stacked else 330 if presentation else 230)
    x, inf_x = _positions(frame)
    current_x = None if current is None else (inf_x if not math.isfinite(current)
                                              else float(current))
    ticks = sorted(set(float(v) for v in x) | ({current_x} if current_x else set()))
    labels = (f"datum.value == {inf_x!r} ? '{NO_LIFT_LABEL}' : format(datum.value, '~g')")
    scale = alt.Scale(type="log", domain=_x_domain(x, inf_x, current_x), nice=False)
    enc = alt.X("x:Q", scale=scale, title="bandwidth B (σ = B · median distance)",
                axis=alt.Axis(values=ticks, labelExpr=labels, grid=True))
    panels = []
    for k, (title, measures, log_y) in enumerate(PANELS):
        last = k == len(PANELS) - 1 or not stacked
        x_enc = {"x": x, "enc": enc if last else alt.X(
            "x:Q", scale=scale, title=None,
            axis=alt.Axis(values=ticks, labelExpr=labels, grid=True))}
        panels.append(_panel(frame, title, measures, log_y, x_enc, s, width, height,
                             current_x, inf_x))
    n_seeds = int(frame["seed"].nunique()) if len(frame) else 0
    lift = frame.attrs.get("lift")
    data = frame.attrs.get("data")
    sub = [(f"{data}; " if data else "") + "random Fourier features"
           + (f", D = {lift}" if lift else ""),
           "small B: nearly orthogonal points (ρ = n·max|⟨x_i, x_j⟩| / min‖x_i‖² falls); "
           "large B: the model generalizes",
           f"line: mean over {n_seeds} seeds, band: min–max, dots: each seed"
           + ("; dashed red: the current B" if current_x is not None else "")]
    if frame.attrs.get("note"):
        sub.append(frame.attrs["note"])
    concat = alt.vconcat if stacked else alt.hconcat
    chart = concat(*panels, spacing=18 if stacked else 30).properties(title=alt.Title(
        "The regime dial: the paper's regime against generalization", subtitle=sub))
    return finish(chart.resolve_scale(color="independent", fill="independent"), s)
