"""The views of the talk page (``present.talk``) as Vega-Lite dicts over its named datasets.

The planes and the data view are the app's own Altair builders (``present.charts``,
``present.data_view``) re-pointed at the precomputed tables of ``present.talk_data``:
each layer reads a named dataset, Vega-Lite's own filters keep the rows of the picked
point (the ``pick`` selection, on the field ``forgot``) and of the slider's c (the ``c``
parameter), lookups join the trained and retrained positions, and the fixed domains of a
single state give way to domains fitted to the rows shown. The cards and the verdict are
text marks over the same filters. No JavaScript decides anything the spec can.
"""
import textwrap

from present import palette
from present.data_view import BOUNDARY_LABELS
from present.style import Style

PICK, C = "pick", "c"
PICKED = {"filter": {"param": PICK, "empty": False}}
AT_C = {"filter": f"abs(datum.c - {C}) < 1e-9"}
ANY_C = {"filter": f"datum.c < 0 || abs(datum.c - {C}) < 1e-9"}
LEVEL_COLORS = {"success": ("#e9f6ec", "#2e7d32"), "info": ("#e8f0fb", "#1f5fa8"),
                "warning": ("#fff3e0", "#b35c00"), "error": ("#fdecea", "#b3261e")}
# Numbers only: Vega-Lite 6 reads a nominal tooltip field of a nearest-point (Voronoi)
# selection from the wrong object and shows "undefined"; the label is -1 or +1 anyway.
NUMERIC_TOOLTIP = [{"field": "index", "type": "quantitative", "title": "point"},
                   {"field": "label", "type": "quantitative", "format": "+d"},
                   {"field": "margin", "type": "quantitative", "format": ".4f"},
                   {"field": "lam", "type": "quantitative", "format": ".4f", "title": "λ"},
                   {"field": "kink_pairs", "type": "quantitative", "title": "kink pairs"}]
STYLES = {"compact": Style(font=14, title=17, point=110, stroke=1.8, line=2.8, band=0.16),
          "large": Style(font=21, title=25, point=240, stroke=2.7, line=4.2, band=0.16)}


def csv_data(name, columns):
    """A reference to the named CSV dataset ``name`` with its numeric ``columns`` parsed."""
    return {"name": name, "format": {"type": "csv",
                                     "parse": {c: "number" for c in columns}}}


def split(spec, datasets):
    """An Altair chart's dict as a sub-view: its datasets moved into ``datasets``, its
    config and schema dropped; returns (view, params)."""
    spec = dict(spec)
    datasets.update(spec.pop("datasets", {}))
    for key in ("config", "$schema", "usermeta"):
        spec.pop(key, None)
    return spec, spec.pop("params", [])


def _refit(encoding, pad):
    """Scales fitted to the rows shown (the single-state builders fix their domains)."""
    for channel in ("x", "y"):
        if channel in encoding and "scale" in encoding[channel]:
            encoding[channel]["scale"] = {"nice": False, "zero": False, "padding": pad}


def plane_before(chart_dict, datasets, width, s):
    """The trained model's plane: a click picks the point to forget (nearest point), which
    then shows as a grey cross with its name; the zoom is left out (a drag would move the
    pick in a talk)."""
    view, params = split(chart_dict, datasets)
    view["width"] = width
    view["title"] = {**view["title"], "subtitle": ["click any point to forget it",
                                                   "support vectors sit at q = 1 (dashed)"]}
    points = next(layer for layer in view["layer"] if layer["mark"]["type"] == "point")
    points["encoding"]["opacity"] = {"condition": {"param": PICK, "value": 0.0,
                                                  "empty": False}, "value": 1.0}
    points["encoding"].pop("size", None)
    points["encoding"]["tooltip"] = NUMERIC_TOOLTIP
    points["mark"]["size"] = s.point
    xy = {k: {"field": f, "type": "quantitative"} for k, f in (("x", "margin"), ("y", "lam"))}
    cross = {"data": points["data"], "transform": [PICKED],
             "mark": {"type": "point", "shape": "cross", "filled": True, "color": "#333",
                      "size": s.point * 2.2, "clip": True}, "encoding": dict(xy)}
    tag = {"data": points["data"],
           "transform": [PICKED, {"calculate": "'forgotten #' + datum.index", "as": "tag"}],
           "mark": {"type": "text", "align": "left", "dx": s.font * 0.9, "dy": -s.font * 0.7,
                    "fontSize": s.font, "fontWeight": "bold", "color": "#222"},
           "encoding": {**xy, "text": {"field": "tag", "type": "nominal"}}}
    view["layer"] = view["layer"][:-1] + [cross, tag, points]   # the clickable layer on top
    return view, [p for p in params if p["name"] == PICK]


def arrow_angle(width, height, pad):
    """Transforms giving each arrow its screen angle (degrees, 0 = up, clockwise), as
    ``present.charts._arrow_angles`` does for one state: from the extents of the rows shown
    (q = 1 included, as the rule is drawn), on a plot of ``width`` x ``height`` pixels whose
    domains those extents fill up to ``pad`` pixels on each side (the scales' padding)."""
    fields = {"x": ("margin_before", "margin_after", "margin_retrain"),
              "y": ("lam_before", "lam_after", "lam_retrain")}
    ops = [{"op": op, "field": f, "as": f"{op}_{f}"}
           for axis in fields.values() for f in axis for op in ("min", "max")]
    ext = {f"{op}_{axis}": f"{op}({', '.join(f'datum.{op}_{f}' for f in names)}"
           + (", 1)" if axis == "x" else ")")
           for axis, names in fields.items() for op in ("min", "max")}
    sx = f"{width - 2 * pad} / max({ext['max_x']} - {ext['min_x']}, 1e-12)"
    sy = f"{height - 2 * pad} / max({ext['max_y']} - {ext['min_y']}, 1e-12)"
    return [{"joinaggregate": ops},
            {"calculate": f"atan2((datum.margin_after - datum.margin_before) * {sx}, "
                          f"(datum.lam_after - datum.lam_before) * {sy}) * 180 / PI",
             "as": "angle"}]


def plane_after(chart_dict, datasets, n_samples, plot):
    """The plane after one GA step, drawn from the ``after`` rows of the picked point and
    c, with the trained positions and the retrained ghosts joined by lookups.
    ``plot`` = (width, height, padding) pixels of the plot."""
    view, _ = split(chart_dict, datasets)
    width, height, pad = plot
    view.update(width=width, height=height)
    join = [PICKED, AT_C,
            {"lookup": "index", "from": {"data": {"name": "points"}, "key": "index",
                                         "fields": ["margin", "lam", "class"]},
             "as": ["margin_before", "lam_before", "class"]},
            {"calculate": f"datum.forgot * {n_samples} + datum.index", "as": "rkey"},
            {"lookup": "rkey", "from": {"data": csv_data("retrain", ("rkey", "margin_retrain",
                                                                      "lam_retrain")),
                                        "key": "rkey",
                                        "fields": ["margin_retrain", "lam_retrain"]}}]
    after = csv_data("after", ("forgot", "c", "index", "margin_after", "lam_after"))
    layers = []
    for layer in view["layer"]:
        encoding = layer["encoding"]
        if encoding.get("x", {}).get("field") == "q":
            layer = {**layer, "data": {"values": [{"q": 1.0}]}}     # always drawn: Vega's
        else:                                                       # domain includes q = 1
            angle = arrow_angle(width, height, pad) if "angle" in encoding else []
            layer = {**layer, "data": after, "transform": join + angle}
        _refit(layer["encoding"], pad)
        layers.append(layer)
    if not any(layer["encoding"].get("x", {}).get("field") == "q" for layer in layers):
        raise ValueError("plane_after changed: its q = 1 rule is gone")
    view["layer"] = layers
    view["title"] = {**view["title"], "text": "After one GA step: before → after",
                     "subtitle": "grey rings: the same points retrained from scratch"}
    return view


def data_view_2d(chart_dict, datasets, width):
    """The 2-D data view: the trained model's boundary and shading stay, the GA (at c) and
    retrained boundaries of the picked point come from the ``lines`` rows, the picked
    point is a cross with its name."""
    view, params = split(chart_dict, datasets)
    view["width"] = width
    shade, lines, live, gone, tags = view["layer"]
    assert [layer["mark"]["type"] for layer in view["layer"]] == \
        ["rect", "line", "point", "point", "text"], "data_view.chart changed its layers"
    names = " : ".join(f"datum.model == '{m}' ? '{t}'" for m, t in BOUNDARY_LABELS.items())
    lines = {**lines, "data": csv_data("lines", ("forgot", "c", "path", "order", "x", "y")),
             "transform": [{"calculate": f"{names} : datum.model", "as": "label"},
                           {"filter": {"or": [
                 {"field": "model", "equal": "do_nothing"},
                 {"and": [{"param": PICK, "empty": False},
                          {"or": [{"field": "model", "equal": "retrain"},
                                  AT_C["filter"]]}]}]}}]}
    points = {"name": "points"}
    live["encoding"]["tooltip"] = NUMERIC_TOOLTIP
    live = {**live, "data": points}
    live["encoding"]["opacity"] = {"condition": {"param": PICK, "value": 0.0, "empty": False},
                                   "value": 1.0}
    live["encoding"].pop("size", None)
    gone = {**gone, "data": points, "transform": [PICKED],
            "mark": {**gone["mark"], "shape": "cross"}}
    gone["encoding"].pop("shape", None)         # the picked point is the forgotten one
    gone["encoding"]["tooltip"] = live["encoding"]["tooltip"]
    tags = {**tags, "data": points,
            "transform": [PICKED, {"calculate": "'forgotten ' + datum.index", "as": "tag"}]}
    legend = {"title": None, "orient": "bottom", "direction": "vertical", "columns": 1,
              "symbolStrokeWidth": 3}
    for channel in ("color", "strokeDash"):     # three entries under a narrow panel
        lines["encoding"][channel]["legend"] = legend
    live["encoding"]["shape"]["legend"] = None  # the plane beside it names the shapes
    view["layer"] = [shade, lines, gone, tags, live]
    view["title"] = {"text": "The data: decision boundaries",
                     "subtitle": ["shading: the trained model's sides"]}
    return view, [p for p in params if p["name"] == PICK]


def cards(methods, s, width, height):
    """One card per method (GA at the slider's c): ε_rel, δ, τ and cosine to retrain of
    the picked point, from the ``cards`` rows (value and its display text)."""
    labels = [palette.label(m) for m in methods]
    inner = 0.08
    band = width / (len(methods) - inner) * (1 - inner)
    x = {"field": "label", "type": "nominal", "sort": labels, "axis": None,
         "scale": {"domain": labels, "paddingInner": inner, "paddingOuter": 0}}
    y = {"field": "row", "type": "quantitative", "axis": None,
         "scale": {"domain": [4.55, -0.75]}}
    color = {"field": "label", "type": "nominal", "legend": None,
             "scale": palette.scale(methods).to_dict()}
    frame = [{"method": m, "label": lab, "row": 0} for m, lab in zip(methods, labels)]
    rows = {"data": {"name": "cards"}, "transform": [PICKED, ANY_C]}
    return {
        "width": width, "height": height,
        "layer": [
            {"data": {"values": frame}, "mark": {"type": "rect", "fill": "#fbfcfd",
                                                 "strokeWidth": s.stroke * 1.3,
                                                 "cornerRadius": 10},
             "encoding": {"x": x, "y": {"value": 0}, "y2": {"value": "height"},
                          "stroke": color}},
            {"data": {"values": frame}, "mark": {"type": "text", "fontSize": s.title,
                                                 "fontWeight": "bold"},
             "encoding": {"x": x, "y": y, "text": {"field": "label"}, "color": color}},
            {**rows, "mark": {"type": "text", "align": "left", "dx": -band / 2 + s.font,
                              "fontSize": s.font + 1, "color": "#555"},
             "encoding": {"x": x, "y": y, "text": {"field": "name"}}},
            {**rows, "mark": {"type": "text", "align": "right", "dx": band / 2 - s.font,
                              "fontSize": s.font + 3, "fontWeight": "bold", "color": "#111"},
             "encoding": {"x": x, "y": y, "text": {"field": "text"},
                          "tooltip": [{"field": "label", "title": "method"},
                                      {"field": "name", "title": "metric"},
                                      {"field": "value", "type": "quantitative",
                                       "format": ".6g"}]}}]}


def wrap(sentence, width, s, bold=False):
    """Text broken into lines that fit ``width`` pixels at the verdict's font size."""
    per_char = 0.6 * (s.font + 2) if bold else 0.55 * (s.font + 1)
    return "\n".join(textwrap.wrap(sentence, max(int(width / per_char), 20)))


def verdict_height(s, summary_lines, sentence_lines):
    """Pixels the verdict panel needs for that many lines of summary and sentence."""
    head, body = (s.font + 2) * 1.3, (s.font + 1) * 1.35
    return 2 * s.font + head * (summary_lines + 0.6) + body * sentence_lines


def verdict(s, width, height):
    """The verdict of the picked point at c, on a panel coloured by its level, under the
    line on the forgotten point's margin (``summary``; both pre-wrapped by ``wrap``)."""
    rows = {"data": {"name": "verdicts"}, "transform": [PICKED, AT_C]}
    level = {"field": "level", "type": "nominal", "legend": None,
             "scale": {"domain": list(LEVEL_COLORS),
                       "range": [fill for fill, _ in LEVEL_COLORS.values()]}}
    edge = {**level, "scale": {"domain": list(LEVEL_COLORS),
                               "range": [line for _, line in LEVEL_COLORS.values()]}}
    pad, head, body = s.font, (s.font + 2) * 1.3, (s.font + 1) * 1.35
    below = {"calculate": f"{pad} + {head} * (1 + length(split(datum.summary, '\\n')))"
                          f" - {head * 0.4}", "as": "sentence_y"}
    return {
        "width": width, "height": height,
        "layer": [
            {**rows, "mark": {"type": "rect", "cornerRadius": 10, "strokeWidth": s.stroke},
             "encoding": {"x": {"value": 0}, "x2": {"value": "width"}, "y": {"value": 0},
                          "y2": {"value": "height"}, "fill": level, "stroke": edge}},
            {**rows, "mark": {"type": "text", "align": "left", "baseline": "top",
                              "lineBreak": "\n", "lineHeight": head,
                              "fontSize": s.font + 2, "fontWeight": "bold", "color": "#222"},
             "encoding": {"x": {"value": pad}, "y": {"value": pad},
                          "text": {"field": "summary"}}},
            {**rows, "transform": rows["transform"] + [below],
             "mark": {"type": "text", "align": "left", "baseline": "top", "lineBreak": "\n",
                      "lineHeight": body, "fontSize": s.font + 1, "color": "#222"},
             "encoding": {"x": {"value": pad},
                          "y": {"field": "sentence_y", "type": "quantitative", "scale": None},
                          "text": {"field": "sentence"}}}]}
