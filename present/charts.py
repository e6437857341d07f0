"""Pure Altair builders: DataFrame in, chart out (no Streamlit; testable from a spec).

Every builder takes ``presentation`` (larger fonts, thicker marks for talks) and returns a
configured top-level chart, so that the app and ``present.export`` (PNG/SVG) draw the same thing.
The frames come from ``present.frames`` or ``core.compare``.
"""
import math

import altair as alt
import numpy as np
import pandas as pd

from present.frames import ACTIVATION_STATES, CLASS_NAMES, STATUS
from present.style import METRIC_TITLES, finish, style

PICK = "pick"                       # name of the point selection on the margin-lambda plane
ZOOM = "zoom"                       # its zoom-and-pan interval, bound to the scales
FORGOTTEN_COLOR = "#444"
CLASS_DOMAIN = [CLASS_NAMES[-1], CLASS_NAMES[1]]
CLASS_COLORS = ["#1f6fd1", "#e8710a"]
STATUS_SHAPES = ["circle", "diamond", "cross"]
ACTIVATION_COLORS = ["#3b7dd8", "#f2c14e", "#e9ecef", "#d62728", "#7b2cbf"]
STEP_PANELS = ("eps_rel", "delta", "tau", "cosine_to_retrain")   # the Step size page


PICK_RADIUS_PX = 14                 # a click picks the nearest point within this distance


def pick_selection(value=alt.Undefined, radius=PICK_RADIUS_PX):
    """The point selection PICK: a click takes the nearest point (a Voronoi layer, so every
    point is hit where it is drawn), but only within ``radius`` pixels of it.

    The filter is what keeps a drag a pan: dragging moves the plot with the pointer, so the
    same Voronoi cell is under it at the press and the release, and the browser's click that
    ends the drag would otherwise pick that cell's point; a drag starting on empty space
    stays farther than ``radius`` from every point and selects nothing (nor does a click far
    from every point). Shift-click toggles; double-click clears.
    """
    near = (f"event.item && event.item.isVoronoi && sqrt(pow(x() - event.item.datum.x, 2) "
            f"+ pow(y() - event.item.datum.y, 2)) <= {float(radius):g}")
    # the event selector as a string: Altair checks an event-stream object against the
    # schema on every chart built (0.2 s a plane), a string not at all
    return alt.selection_point(name=PICK, fields=["index"], on=f"click[{near}]",
                               clear="dblclick", nearest=True, value=value)


def _class_color(legend=True):
    return alt.Color("class:N", scale=alt.Scale(domain=CLASS_DOMAIN, range=CLASS_COLORS),
                     legend=alt.Legend(title=None, symbolOpacity=1) if legend else None)


def _padded(values, frac=0.08, floor=1e-3):
    """[lo, hi] of the values, padded by ``frac`` of the range (at least ``floor``)."""
    lo, hi = float(min(values)), float(max(values))
    pad = max(frac * (hi - lo), floor)
    return [lo - pad, hi + pad]


def _uncluttered(df, xdom, ydom, height, font, offset, radius, aspect=1.5):
    """Mask of points whose index label can be drawn: its box (``font`` px tall, 0.6 font
    per digit, at ``offset`` = (dx, dy) px from its point) overlaps no label placed before
    it (largest lam first) and covers no other point (a point under a label would take the
    clicks meant for the label's point). Pixels of an assumed plot of ``height`` x
    ``aspect * height``; ``radius`` is a point's radius in px."""
    px = (df["margin"].to_numpy() - xdom[0]) / (xdom[1] - xdom[0]) * aspect * height
    py = (ydom[1] - df["lam"].to_numpy()) / (ydom[1] - ydom[0]) * height
    digits = np.array([len(str(int(i))) for i in df["index"]])
    left = px + offset[0] - 0.3 * font * digits          # the text is centred at dx, dy
    right = px + offset[0] + 0.3 * font * digits
    top, bottom = py + offset[1] - 0.5 * font, py + offset[1] + 0.5 * font
    keep, placed = np.zeros(len(df), dtype=bool), []
    for k in np.argsort(-df["lam"].to_numpy(), kind="stable"):
        others = np.arange(len(df)) != k
        covered = ((px > left[k] - radius) & (px < right[k] + radius)
                   & (py > top[k] - radius) & (py < bottom[k] + radius) & others)
        if covered.any() or any(left[k] < r and right[k] > lo and top[k] < b and bottom[k] > t
                                for lo, r, t, b in placed):
            continue
        keep[k] = True
        placed.append((left[k], right[k], top[k], bottom[k]))
    return list(keep)


def _unit_margin_rule(s, scale):
    """The dashed line q = 1 where support vectors sit."""
    return (alt.Chart(pd.DataFrame({"q": [1.0]}))
            .mark_rule(strokeDash=[5, 4], color="#999", strokeWidth=s.stroke, clip=True)
            .encode(x=alt.X("q:Q", scale=scale)))


def plane_point_size(n_points, s):
    """Mark area for ``n_points`` on the plane: smaller marks as the plane fills up."""
    return s.point * min(0.8, max(0.2, math.sqrt(30.0 / max(n_points, 1))))


def margin_lambda_plane(df, presentation=False, height=380, title=None, selected=()):
    """The margin-lambda plane of the trained model, with a clickable point selection.

    x: margin q_i, y: lam_i, colour: label; filled marks are support vectors, hollow
    diamonds other points, grey crosses forgotten points (they keep their index label).
    A click picks the point nearest to the pointer (so every point is hit where it is
    drawn, even under a neighbour), shift-click several, double-click clears; the wheel
    zooms and a drag pans (double-click also resets the view). ``selected`` seeds the
    selection (the canonical one of ``ui.state``, shown after the chart's key changed).
    Needs columns index, class, margin, lam, support, status, kink_pairs, forgotten
    (``present.frames.plane_frame``).
    """
    s = style(presentation)
    seed = [{"index": int(i)} for i in selected]
    pick = pick_selection(seed or alt.Undefined)
    zoom = alt.selection_interval(name=ZOOM, bind="scales")
    xdom, ydom = _padded(df["margin"]), _padded(df["lam"])
    xs = alt.Scale(domain=xdom, nice=False)
    x = alt.X("margin:Q", title="margin q_i = y_i N(θ; x_i)", scale=xs)
    y = alt.Y("lam:Q", title="λ_i (dual variable)", scale=alt.Scale(domain=ydom, nice=False))
    tooltip = [alt.Tooltip("index:Q", title="point"), alt.Tooltip("class:N", title="label"),
               alt.Tooltip("margin:Q", format=".4f"),
               alt.Tooltip("lam:Q", title="λ", format=".4f"),
               alt.Tooltip("status:N"), alt.Tooltip("kink_pairs:Q", title="kink pairs")]
    shape = alt.Shape("status:N", scale=alt.Scale(domain=list(STATUS), range=STATUS_SHAPES),
                      legend=alt.Legend(title=None, symbolFillColor="#666",
                                        symbolStrokeColor="#666"))
    size = plane_point_size(len(df), s)
    fill = 0.9 if len(df) <= 100 else 0.55       # overlaps stay visible in a dense band
    gone = "datum.forgotten"
    points = (alt.Chart(df).mark_point(filled=True, strokeWidth=s.stroke, size=size, clip=True)
              .encode(x=x, y=y, shape=shape,
                      color=alt.condition(gone, alt.value(FORGOTTEN_COLOR), _class_color()),
                      stroke=alt.condition(gone, alt.value(FORGOTTEN_COLOR),
                                           _class_color(legend=False)),
                      fillOpacity=alt.condition("datum.support || datum.forgotten",
                                                alt.value(fill), alt.value(0.0)),
                      opacity=alt.condition(pick, alt.value(1.0), alt.value(0.25)),
                      size=alt.condition(pick, alt.value(size * 1.8), alt.value(size), empty=False),
                      tooltip=tooltip)
              .add_params(pick, zoom))
    live = df[~df["forgotten"]]
    offset = (s.font * 0.7, -s.font * 0.55)
    keep = _uncluttered(live, xdom, ydom, height, s.font - 2, offset,
                        radius=math.sqrt(size / math.pi))
    labelled = pd.concat([df[df["forgotten"]], live[keep]])
    labels = (alt.Chart(labelled).mark_text(dx=offset[0], dy=offset[1],
                                            fontSize=s.font - 2, clip=True)
              .encode(x=x, y=y, text="index:Q",
                      color=alt.condition(gone, alt.value(FORGOTTEN_COLOR), alt.value("#666"))))
    layers = [labels, points]             # the selectable layer on top: it takes the clicks
    if xdom[0] <= 1.0 <= xdom[1]:
        layers.insert(0, _unit_margin_rule(s, xs))
    chart = alt.layer(*layers).properties(
        height=height, title=alt.Title(title or "Margin-λ plane of the trained model",
                                       subtitle=["support vectors sit at q = 1 (dashed)",
                                                 "wheel zooms, drag pans, double-click resets"]),
        usermeta={"embedOptions": {"renderer": "svg"}})
    return finish(chart, s)


def _arrow_angles(df, xdom, ydom, aspect):
    """Screen angle (degrees, 0 = up, clockwise) of each before->after arrow."""
    sx = aspect / (xdom[1] - xdom[0])
    sy = 1.0 / (ydom[1] - ydom[0])
    return [math.degrees(math.atan2((x1 - x0) * sx, (y1 - y0) * sy))
            for x0, y0, x1, y1 in zip(df["margin_before"], df["lam_before"],
                                      df["margin_after"], df["lam_after"])]


def plane_after(df, presentation=False, height=380, aspect=1.6, subtitle=None):
    """The plane after forgetting: arrows from each retained point's position before to
    after the GA step; grey rings where retraining from scratch puts it.

    Needs ``present.frames.after_frame`` columns.
    """
    s = style(presentation)
    xdom = _padded(pd.concat([df["margin_before"], df["margin_after"], df["margin_retrain"]]))
    ydom = _padded(pd.concat([df["lam_before"], df["lam_after"], df["lam_retrain"]]))
    df = df.assign(angle=_arrow_angles(df, xdom, ydom, aspect))
    xs, ys = alt.Scale(domain=xdom, nice=False), alt.Scale(domain=ydom, nice=False)
    tooltip = [alt.Tooltip("index:Q", title="point"), alt.Tooltip("class:N", title="label"),
               alt.Tooltip("margin_before:Q", format=".4f"),
               alt.Tooltip("margin_after:Q", title="margin after GA", format=".4f"),
               alt.Tooltip("margin_retrain:Q", format=".4f"),
               alt.Tooltip("lam_before:Q", title="λ before", format=".4f"),
               alt.Tooltip("lam_after:Q", title="λ after GA", format=".4f"),
               alt.Tooltip("lam_retrain:Q", title="λ retrain", format=".4f")]
    base = alt.Chart(df)
    ghosts = base.mark_point(shape="circle", filled=False, color="#888", opacity=0.9,
                             size=s.point * 2.2, strokeWidth=s.stroke).encode(
        x=alt.X("margin_retrain:Q", scale=xs, title="margin q_i"),
        y=alt.Y("lam_retrain:Q", scale=ys, title="λ_i"), tooltip=tooltip)
    arrows = base.mark_rule(strokeWidth=s.stroke, opacity=0.75).encode(
        x=alt.X("margin_before:Q", scale=xs), y=alt.Y("lam_before:Q", scale=ys),
        x2="margin_after:Q", y2="lam_after:Q", color=_class_color())
    starts = base.mark_circle(size=s.point * 0.35, opacity=0.6).encode(
        x=alt.X("margin_before:Q", scale=xs), y=alt.Y("lam_before:Q", scale=ys),
        color=_class_color())
    heads = base.mark_point(shape="triangle", filled=True, size=s.point * 1.1, opacity=1.0).encode(
        x=alt.X("margin_after:Q", scale=xs), y=alt.Y("lam_after:Q", scale=ys),
        angle=alt.Angle("angle:Q", scale=None), color=_class_color(), tooltip=tooltip)
    layers = [ghosts, arrows, starts, heads]
    if xdom[0] <= 1.0 <= xdom[1]:
        layers.insert(0, _unit_margin_rule(s, xs))
    chart = alt.layer(*layers).properties(
        height=height, title=alt.Title(
            "After one GA step: before → after" if presentation else
            "After forgetting: retained points, before → after one GA step",
            subtitle=subtitle or "grey rings: the same points after retraining from scratch"),
        usermeta={"embedOptions": {"renderer": "svg"}})
    return finish(chart, s)


TRAINING_PANELS = {"log_loss": ("log L", "(training loss)"),
                   "normalized_margin": ("normalized", "min margin"),
                   "eps_rel": ("ε_rel of the", "certificate on S")}


def training_curve(df, field, presentation=False, height=None):
    """One training curve over GD steps (``core.compare.training_curves``): log L, the
    normalized min margin, or eps_rel of the model certified on S (log scale, only at the
    certified snapshots). ``height`` of the whole chart (Streamlit fits title and axes
    into it): 170 px, 260 px in presentation mode (two-line titles, larger fonts)."""
    s = style(presentation)
    height = height or (260 if presentation else 170)
    log = field == "eps_rel"
    data = df.dropna(subset=[field])
    chart = (alt.Chart(data)
             .mark_line(strokeWidth=s.line, point=alt.OverlayMarkDef(size=s.point * 0.4))
             .encode(x=alt.X("step:Q", title="GD step",
                             axis=alt.Axis(tickCount=3, format="~s", labelOverlap="greedy")),
                     y=alt.Y(f"{field}:Q", title=None,
                             scale=alt.Scale(type="log") if log else alt.Scale(zero=False)),
                     tooltip=[alt.Tooltip("step:Q"), alt.Tooltip(f"{field}:Q", format=".4g")])
             .properties(height=height, title=_panel_title(TRAINING_PANELS[field], s,
                                                           presentation)))
    return finish(chart, s)


def _panel_title(lines, s, presentation):
    """A small panel's title: one line, or two in presentation mode (a third of the page
    is too narrow for one line of the larger font)."""
    if presentation:
        return alt.Title(list(lines), fontSize=s.font + 2)
    return " ".join(lines)


def _heatmap(df, field, title, s, width, height):
    color = alt.Color(f"{field}:N", scale=alt.Scale(domain=list(ACTIVATION_STATES),
                                                    range=ACTIVATION_COLORS),
                      legend=alt.Legend(title=None))
    n, m = int(df["point"].max()) + 1, int(df["neuron"].max()) + 1
    return (alt.Chart(df).transform_calculate(point_end="datum.point + 1",
                                              neuron_end="datum.neuron + 1")
            .mark_rect(strokeWidth=0).encode(
        x=alt.X("point:Q", title="training point i", scale=alt.Scale(domain=[0, n], nice=False)),
        x2="point_end:Q",
        y=alt.Y("neuron:Q", title="neuron j", scale=alt.Scale(domain=[0, m], nice=False,
                                                               reverse=True)),
        y2="neuron_end:Q",
        color=color,
        tooltip=["neuron:Q", "point:Q", f"{field}:N",
                 alt.Tooltip("z_before:Q", format=".3g"), alt.Tooltip("z_after:Q", format=".3g")])
        .properties(width=width, height=height, title=title))


def activation_maps(df, presentation=False, width=1100, height=330):
    """Neuron x point maps of the ReLU states before and after the GA step; pairs that switched
    are red (on) or purple (off); a dashed line runs down the column of each forgotten point,
    in both maps (``present.frames.activation_frame``)."""
    s = style(presentation)
    w = int(width / 2) - 70
    panels = [_heatmap(df, "before", "Before: trained model", s, w, height),
              _heatmap(df, "after", "After one GA step", s, w, height)]
    gone = df[df["forgotten"] & (df["neuron"] == 0)]
    if len(gone):
        column = (alt.Chart(gone).transform_calculate(mid="datum.point + 0.5")
                  .mark_rule(color="black", strokeWidth=s.stroke, strokeDash=[3, 2], opacity=0.7)
                  .encode(x="mid:Q"))
        panels = [alt.layer(panel, column) for panel in panels]
    return finish(alt.hconcat(*panels).resolve_scale(color="shared"), s)


def residuals(df, presentation=False, height=300):
    """Stationarity residual ||r_j|| per neuron, one line per model
    (``present.frames.residual_frame``)."""
    s = style(presentation)
    chart = alt.Chart(df.assign(residual=df["residual"].clip(lower=1e-16))).mark_line(
        strokeWidth=s.line * 0.7, opacity=0.85).encode(
        x=alt.X("neuron:Q", title="neuron j"),
        y=alt.Y("residual:Q", title="‖r_j‖ (log scale)",
                scale=alt.Scale(type="log"), axis=alt.Axis(tickCount=5, format=".0e")),
        color=alt.Color("model:N", sort=None, legend=alt.Legend(title=None, columns=2)),
        tooltip=["neuron:Q", "model:N", alt.Tooltip("residual:Q", format=".3g")]).properties(
        # the app fits title and legend into the height: keep room for the larger fonts
        height=int(height * 1.35) if presentation else height,
        title=alt.Title("Stationarity residual per neuron",
                                       subtitle="where ‖r_j‖ sits, model by model"))
    return finish(chart, s)


def step_size(df, reference=None, presentation=False, width=1100, height=210):
    """eps_rel, delta, tau and cosine to retrain of the GA step against c, in a 2x2 grid
    (``core.compare.scale_curve``). The minimum of eps_rel is marked (red), c = 1 is the
    dashed line, and ``reference`` (dict metric -> value, e.g. retrain's) a dotted level."""
    s = style(presentation)
    c_min = float(df.loc[df["eps_rel"].idxmin(), "scale"])
    w = int(width / 2) - 70
    marks = pd.DataFrame({"scale": [1.0, c_min], "what": ["c = 1 (theory)", "minimum of ε_rel"]})
    panels = []
    for field, title in ((f, METRIC_TITLES[f]) for f in STEP_PANELS):
        y = alt.Y(f"{field}:Q", title=title.split(" ")[0], scale=alt.Scale(zero=False))
        line = alt.Chart(df).mark_line(strokeWidth=s.line, color="#1f6fd1",
                                       point=alt.OverlayMarkDef(size=s.point * 0.35)).encode(
            x=alt.X("scale:Q", title="c (multiple of the theory step size)"), y=y,
            tooltip=[alt.Tooltip("scale:Q", title="c"), alt.Tooltip(f"{field}:Q", format=".4g")])
        rules = alt.Chart(marks).mark_rule(strokeWidth=s.stroke).encode(
            x="scale:Q", strokeDash=alt.condition("datum.what == 'c = 1 (theory)'",
                                                  alt.value([6, 4]), alt.value([1, 0])),
            color=alt.Color("what:N", scale=alt.Scale(range=["#777", "#d62728"]),
                            legend=alt.Legend(title=None)))
        layers = [rules, line]
        if field == "eps_rel":
            best = df.loc[[df["eps_rel"].idxmin()]]
            layers.append(alt.Chart(best).mark_point(size=s.point * 2.4, color="#d62728",
                                                     filled=True).encode(x="scale:Q", y=y))
            title = f"{title}: minimum at c = {c_min:.2f}"
        if reference and reference.get(field) is not None:
            layers.append(alt.Chart(pd.DataFrame({"v": [reference[field]]})).mark_rule(
                strokeDash=[2, 3], color="#2ca02c", strokeWidth=s.stroke).encode(y="v:Q"))
        panels.append(alt.layer(*layers).properties(width=w, height=height, title=title))
    chart = alt.vconcat(alt.hconcat(*panels[:2]), alt.hconcat(*panels[2:])).properties(
        title=alt.Title("One GA step against its size c",
                        subtitle="dashed: c = 1, the theory step; red: the minimum of ε_rel; "
                                 "dotted green: retraining from scratch"))
    return finish(chart, s)
