"""The data view: the training points where they live, and how forgetting moves the classifier.

2-D data: the points in their coordinates and the decision boundaries N(θ; x) = 0 of the
trained model, of the model after one GA step and of the retrained model (smooth lines
from ``core.boundary``), with the side one model assigns lightly shaded. Higher-dimensional
data: the points projected on PC1 and the trained model's mean input gradient
(``core.boundary.projection_plane``), sized by λ, filled by how much one GA step changed
their margin. Both carry the point selection of the margin-λ plane (``present.charts.PICK`` on
the ``index`` field), so the pages treat a click in either the same way.

Pure: frames and Altair charts, no Streamlit.
"""
from dataclasses import dataclass

import altair as alt
import numpy as np
import pandas as pd

from core.boundary import GRID, decision_boundaries, projection_plane
from core.report import points_frame
from present.charts import CLASS_COLORS, CLASS_DOMAIN, PICK, pick_selection
from present.frames import CLASS_NAMES, STATUS
from present.palette import color as method_color
from present.style import finish, style

BOUNDARY_LABELS = {"do_nothing": "trained", "ga": "after one GA step",
                   "retrain": "retrained without F"}
BOUNDARY_COLORS = {"do_nothing": "#555555", "ga": method_color("ga"),
                   "retrain": "#2ca02c"}       # not retrain's blue: it is a class colour here
BOUNDARY_DASH = {"do_nothing": [7, 4], "ga": [1, 0], "retrain": [2, 3]}
SHADES = ["#e6eefa", "#fdf0e4"]                # pale CLASS_COLORS, opaque: no seams
LEGEND_TITLE = "decision boundary N(θ; x) = 0"
STATUS_SHAPES = ["circle", "diamond", "cross"]
MARGIN_CHANGE = "margin change by the GA step"
LINE_COLUMNS = ["model", "label", "path", "order", "x", "y"]
HEIGHTS = {True: 560, False: 480}             # 2-D data view, projection
SHADE_COLUMNS = ["x", "x2", "y", "y2", "class"]
SHAPES_NOTE = ("Circles are support vectors (λ > 0), diamonds the other points, crosses the "
               "forgotten points.")


@dataclass(frozen=True, eq=False)
class DataView:
    """What the data view draws: points, boundary lines, shading, axis titles, caption."""

    points: pd.DataFrame        # one row per training point
    lines: pd.DataFrame         # model, label, path, order, x, y (empty for projections)
    shade: pd.DataFrame         # x, x2, y, y2, class rectangles (empty for projections)
    axes: tuple                 # short axis titles
    caption: str                # what the axes, lines, colours and sizes are
    is_2d: bool


def view_models(comparison=None, prepared=None):
    """{name: GramModel} to draw: the trained model, then GA and retrain when there is a
    comparison (a forget set)."""
    if comparison is None:
        return {"do_nothing": prepared.original.model}
    return {name: comparison.methods[name].model for name in BOUNDARY_LABELS}


def lines_frame(bounds):
    """Long table of the level-0 polylines: one row per vertex, ``path`` numbers the lines of
    a model and ``order`` the vertices along each (the CSV export of the view)."""
    parts = []
    for name, lines in bounds.lines.items():
        for path, line in enumerate(lines):
            parts.append(pd.DataFrame({"model": name, "label": BOUNDARY_LABELS[name],
                                       "path": path, "order": np.arange(len(line)),
                                       "x": line[:, 0], "y": line[:, 1]}))
    return pd.concat(parts, ignore_index=True)[LINE_COLUMNS] if parts else \
        pd.DataFrame(columns=LINE_COLUMNS)


def shade_frame(gx, gy, values):
    """Rectangles covering the grid, one per run of equal sign along a row, by class (the side
    N > 0 is y = +1). Each node is the centre of its cell."""
    hx, hy = (gx[1] - gx[0]) / 2, (gy[1] - gy[0]) / 2
    rows = []
    for r, row in enumerate(values > 0):
        cuts = np.flatnonzero(np.diff(row.astype(np.int8))) + 1
        for lo, hi in zip(np.r_[0, cuts], np.r_[cuts, row.size]):
            rows.append((gx[lo] - hx, gx[hi - 1] + hx, gy[r] - hy, gy[r] + hy,
                         CLASS_NAMES[1] if row[lo] else CLASS_NAMES[-1]))
    return pd.DataFrame(rows, columns=SHADE_COLUMNS)


def _points(prepared, uv, forget, comparison):
    df = points_frame(prepared, forget)
    df["class"] = df["label"].map(CLASS_NAMES)
    df["status"] = np.where(df["forgotten"], STATUS[2],
                            np.where(df["support"], STATUS[0], STATUS[1]))
    df["x"], df["y"] = uv[:, 0], uv[:, 1]
    if comparison is not None:
        df["margin_after_ga"] = comparison.methods["ga"].certificate.margins
        df["margin_retrain"] = comparison.methods["retrain"].certificate.margins
        df["margin_change"] = df["margin_after_ga"] - df["margin"]
    return df


def _caption_2d(has_comparison, shaded):
    if not has_comparison:
        return ("Line: the trained model's decision boundary N(θ; x) = 0; shading: the side "
                f"it assigns to each label. {SHAPES_NOTE}")
    return ("Lines: decision boundaries N(θ; x) = 0 of the trained model (dashed grey), after "
            "one GA step (red) and retrained without the forgotten points F (dotted green). "
            f"Shading: the side the model {BOUNDARY_LABELS[shaded]} assigns. {SHAPES_NOTE}")


def _caption_projection(names, has_comparison):
    fill = (f"fill: the {MARGIN_CHANGE} (q after − q before; red: nearer the boundary)"
            if has_comparison else "fill: label")
    return (f"Horizontal axis: {names[0]}. Vertical axis: {names[1]}. Ring colour: label; "
            f"size: λ_i of the trained model; {fill}. {SHAPES_NOTE}")


def data_view(prepared, comparison=None, forget=(), resolution=GRID, shaded="ga"):
    """The frames of the data view (``DataView``).

    ``comparison``: the methods on the forget set (None: the trained model only, with the
    points ``forget`` marked); ``shaded``: the model whose sides are shaded (2-D; the
    trained model when there is no comparison).
    """
    ctx = prepared.ctx
    forget = tuple(comparison.forget) if comparison is not None else tuple(forget)
    has = comparison is not None
    if ctx.X.shape[1] == 2:
        models = view_models(comparison, prepared)
        shaded = shaded if shaded in models else "do_nothing"
        bounds = decision_boundaries(ctx, models, resolution=resolution)
        return DataView(_points(prepared, ctx.X, forget, comparison), lines_frame(bounds),
                        shade_frame(bounds.gx, bounds.gy, bounds.values[shaded]),
                        bounds.plane.titles, _caption_2d(has, shaded), True)
    if ctx.X.shape[1] == 1:
        uv = np.column_stack([ctx.X[:, 0], np.zeros(ctx.n_samples)])
        names, titles = ("x1, the data's only coordinate", "none (1-D data)"), ("x1", "")
    else:
        plane = projection_plane(ctx, prepared.original.model)
        uv, names, titles = plane.coordinates(ctx.X), plane.names, plane.titles
    return DataView(_points(prepared, uv, forget, comparison),
                    pd.DataFrame(columns=LINE_COLUMNS), pd.DataFrame(columns=SHADE_COLUMNS),
                    titles, _caption_projection(names, has), False)


def _stacked(**kwargs):
    """A legend below the plot listing its entries one under the other: several of them
    then sit side by side in the chart's width (listed in one row each, they overflowed
    it and were cut, at 1280 px in presentation mode and on a phone)."""
    return alt.Legend(orient="bottom", direction="vertical", **kwargs)


def _class(channel="color", legend=True):
    return getattr(alt, channel.capitalize())(
        "class:N", scale=alt.Scale(domain=CLASS_DOMAIN, range=CLASS_COLORS),
        legend=_stacked(title=None) if legend else None)


def _tooltip(df):
    tips = [alt.Tooltip("index:Q", title="point"), alt.Tooltip("class:N", title="label"),
            alt.Tooltip("margin:Q", format=".4f"), alt.Tooltip("lam:Q", title="λ", format=".4f"),
            alt.Tooltip("status:N")]
    if "margin_after_ga" in df:
        tips += [alt.Tooltip("margin_after_ga:Q", title="margin after GA", format=".4f"),
                 alt.Tooltip("margin_retrain:Q", title="margin retrained", format=".4f")]
    return tips


def _domain(values, pad=0.04):
    lo, hi = float(np.min(values)), float(np.max(values))
    span = hi - lo if hi > lo else 1.0
    return [lo - pad * span, hi + pad * span]


def _point_layers(view, s, xs, ys, fill, size=None, selected=(), ring_legend=False):
    """Selectable live points (larger when picked unless ``size`` is given), forgotten
    crosses and their labels. ``selected`` seeds the selection; ``ring_legend`` names the
    ring colours (the labels) when the fill shows something else."""
    df = view.points
    seed = [{"index": int(i)} for i in selected]
    pick = pick_selection(seed or alt.Undefined)
    x = alt.X("x:Q", title=view.axes[0], scale=xs)
    y = alt.Y("y:Q", title=view.axes[1], scale=ys)
    shape = alt.Shape("status:N", scale=alt.Scale(domain=list(STATUS), range=STATUS_SHAPES),
                      legend=_stacked(title=None, symbolFillColor="#666",
                                      symbolStrokeColor="#666"))
    size = size or alt.condition(pick, alt.value(s.point * 1.8), alt.value(s.point),
                                 empty=False)
    ring = alt.Stroke("class:N", scale=alt.Scale(domain=CLASS_DOMAIN, range=CLASS_COLORS),
                      legend=_stacked(title=None, symbolFillColor="white")
                      if ring_legend else None)
    live = (alt.Chart(df[~df["forgotten"]])
            .mark_point(filled=True, strokeWidth=s.stroke)
            .encode(x=x, y=y, fill=fill, stroke=ring, shape=shape,
                    size=size, opacity=alt.condition(pick, alt.value(1.0), alt.value(0.3)),
                    tooltip=_tooltip(df))
            .add_params(pick))
    gone_df = df[df["forgotten"]].assign(tag=lambda d: "forgotten " + d["index"].astype(str))
    gone = (alt.Chart(gone_df).mark_point(filled=True, color="#222", size=s.point * 1.6,
                                          strokeWidth=s.stroke * 1.6, opacity=0.9)
            .encode(x=x, y=y, shape=shape, tooltip=_tooltip(df)))
    labels = (alt.Chart(gone_df).mark_text(dx=s.font * 0.8, dy=-s.font * 0.7, align="left",
                                           fontSize=s.font, fontWeight="bold", color="#222")
              .encode(x=x, y=y, text="tag:N"))
    return [live, gone, labels]


def _boundary_layers(view, s, xs, ys):
    names = [n for n in BOUNDARY_LABELS if n in set(view.lines["model"])]
    labels = [BOUNDARY_LABELS[n] for n in names]
    legend = alt.Legend(title=LEGEND_TITLE, orient="top", symbolStrokeWidth=s.line,
                        symbolSize=s.point * 3, titleLimit=600, columns=2)
    color = alt.Color("label:N", sort=labels, legend=legend,
                      scale=alt.Scale(domain=labels, range=[BOUNDARY_COLORS[n] for n in names]))
    dash = alt.StrokeDash("label:N", sort=labels, legend=legend,
                          scale=alt.Scale(domain=labels, range=[BOUNDARY_DASH[n] for n in names]))
    shade = (alt.Chart(view.shade).mark_rect(strokeWidth=0.6)
             .encode(x=alt.X("x:Q", scale=xs), x2="x2:Q", y=alt.Y("y:Q", scale=ys), y2="y2:Q",
                     fill=alt.Fill("class:N", scale=alt.Scale(domain=CLASS_DOMAIN, range=SHADES),
                                   legend=None),
                     stroke=alt.Stroke("class:N", scale=alt.Scale(domain=CLASS_DOMAIN,
                                                                  range=SHADES), legend=None)))
    lines = (alt.Chart(view.lines).mark_line(strokeWidth=s.line, clip=True)
             .encode(x=alt.X("x:Q", scale=xs), y=alt.Y("y:Q", scale=ys), color=color,
                     strokeDash=dash, detail=["model:N", "path:Q"], order="order:Q",
                     tooltip=[alt.Tooltip("label:N", title=LEGEND_TITLE)]))
    return [shade, lines]


def chart(view, presentation=False, height=None, title=None, selected=()):
    """The data view as one layered chart with the point selection ``PICK`` (seeded with
    ``selected``; see also ``with_selection``). ``height`` is the whole chart's (the app
    fits title and legends in it); by default tall enough for a square-ish 2-D plot."""
    s = style(presentation)
    df = view.points
    height = height or HEIGHTS[view.is_2d] + (60 if presentation else 0)
    if view.is_2d:
        xs = alt.Scale(domain=[float(view.shade["x"].min()), float(view.shade["x2"].max())],
                       nice=False, zero=False)
        ys = alt.Scale(domain=[float(view.shade["y"].min()), float(view.shade["y2"].max())],
                       nice=False, zero=False)
        layers = _boundary_layers(view, s, xs, ys) + _point_layers(
            view, s, xs, ys, _class("fill"), selected=selected)
        subtitle = "the lines are where each model's output changes sign"
        default = "Decision boundaries in data space"
    else:
        xs = alt.Scale(domain=_domain(df["x"]), nice=False, zero=False)
        ys = alt.Scale(domain=_domain(df["y"]), nice=False, zero=False)
        fill = _class("fill")
        if "margin_change" in df:        # scaled on the retained points (forgotten: crosses)
            top = max(float(df.loc[~df["forgotten"], "margin_change"].abs().max()), 1e-12)
            fill = alt.Fill("margin_change:Q", title=MARGIN_CHANGE,
                            scale=alt.Scale(scheme="redblue", domain=[-top, top]),
                            legend=alt.Legend(orient="top", gradientLength=160,
                                              format=".2g", titleLimit=400))
        size = alt.Size("lam:Q", title="λ_i", scale=alt.Scale(range=[s.point * 0.4,
                                                                     s.point * 3.5]),
                        legend=_stacked(tickCount=3))
        layers = _point_layers(view, s, xs, ys, fill, size, selected,
                               ring_legend="margin_change" in df)
        subtitle = "the points on two directions that show the classifier (see caption)"
        default = "Data projected on PC1 and the mean gradient"
    out = alt.layer(*layers).resolve_scale(fill="independent", stroke="independent")
    out = out.properties(height=height, title=alt.Title(title or default, subtitle=subtitle),
                         usermeta={"embedOptions": {"renderer": "svg"}})
    return finish(out, s)


def with_selection(spec, selected):
    """A Vega-Lite dict of ``chart`` with its point selection set to ``selected`` (so one
    finished spec serves every selection)."""
    params = [dict(p, value=[{"index": int(i)} for i in selected]) if p["name"] == PICK
              else p for p in spec.get("params", [])]
    if not selected:
        params = [{k: v for k, v in p.items() if not (p["name"] == PICK and k == "value")}
                  for p in params]
    return {**spec, "params": params}
