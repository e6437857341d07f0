"""Pure Altair builders for sweeps and reproduction: DataFrame in, chart out (metrics
against a swept value here; step size, forgetting curves and the regime gauge in
``present.curve_figures``).

The Scaling and Generalization pages and ``python -m explorer reproduce`` draw with these
same functions, so a figure in a talk is the figure in the app. No Streamlit here.
Inputs are the raw tables of ``core.sweeps.run`` (one row per value, seed and method) and
``core.sweeps.generalization`` (one row per removal k, seed and method); the builders aggregate
over seeds themselves (``core.sweeps.stats.summarize``): the line is the mean, the band
spans min to max over seeds, and a dot marks each seed's value.
"""
import math

import altair as alt
import pandas as pd

from core.sweeps.stats import summarize
from present import export, palette
from present.palette import label
from present.style import METRIC_TITLES, finish, style

MODEL_LABELS = {"linear": "linear model", "relu": "two-layer ReLU net"}
PARAM_TITLES = {"dim": "input dimension d", "n_samples": "training points n",
                "width": "hidden neurons m", "scale": "c (multiple of the theory step size)",
                "mu_norm": "mixture mean norm ‖μ‖", "kink_tol": "kink tolerance κ",
                "bandwidth": "bandwidth B (σ = B · median distance)"}
REGION_COLORS = ["#cdebd3", "#fbeec1", "#e6e6e6"]      # theory, approximate, outside
LOG_METRICS = ("eps", "eps_rel", "delta", "tau", "seconds")
LOG_PARAMS = ("dim", "n_samples", "width", "bandwidth")


def method_color(methods, symbol="stroke"):
    """The colour channel of the methods' labels, in the one palette (present.palette);
    the legend's marks look like the chart's: a line ("stroke") or a dot ("circle")."""
    legend = (alt.Legend(symbolType="stroke", symbolStrokeWidth=4, symbolOpacity=1)
              if symbol == "stroke" else   # opaque: pale seed dots share this legend
              alt.Legend(symbolType=symbol, symbolOpacity=1, symbolStrokeWidth=0))
    return alt.Color("label:N", title=None, sort=[label(m) for m in methods],
                     scale=palette.scale(methods), legend=legend)


def aggregate(frame, x, metric, by=("method",)):
    """Mean, min and max of ``metric`` over seeds for each (by..., x), NaN left out, as
    columns mean, lo, hi, n_seeds (``core.sweeps.stats.summarize``).

    GA's rows come last, so that its line is drawn on top.
    """
    df = frame.dropna(subset=[metric])
    out = summarize(df, by=list(by) + [x], metrics=[metric]).rename(
        columns={metric: "mean", f"{metric}_min": "lo", f"{metric}_max": "hi"})
    if "method" in out:
        out["label"] = out["method"].map(label)
        out = out.sort_values("method", key=lambda m: m == "ga", kind="stable")
    return out


def _seed_points(raw, x_enc, metric, methods, s, y_scale):
    """One small dot per seed and value: the spread the mean line hides."""
    x_field = x_enc.to_dict()["field"]
    df = raw.dropna(subset=[metric])[[x_field, metric, "method"]]     # only what is drawn
    df = df.assign(label=df["method"].map(label)).drop(columns="method")
    return alt.Chart(df).mark_circle(size=max(s.point * 0.3, 12), opacity=0.45).encode(
        x=x_enc, y=alt.Y(f"{metric}:Q", scale=y_scale),
        color=method_color(methods))        # the same legend as the lines': merged into one


def _log_ok(values):
    values = [v for v in values if v > 0]
    return len(values) >= 2 and max(values) / min(values) >= 10


def _x_scale(values, log):
    """Log or linear x scale fitted to the data (a little padding, no rounding out)."""
    lo, hi = float(min(values)), float(max(values))
    if log:
        return alt.Scale(type="log", domain=[lo / 1.25, hi * 1.25], nice=False)
    pad = 0.04 * (hi - lo) if hi > lo else 0.5
    return alt.Scale(domain=[lo - pad, hi + pad], nice=False, zero=False)


LOG_LABELS = ("datum.value >= 0.01 ? format(datum.value, '~g') "
              ": format(datum.value, '.0e')")


def log_ticks(lo, hi):
    """Tick values for a log axis from lo to hi: 1-2-5 steps over three decades or less,
    every decade up to eight, every other decade beyond."""
    a, b = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    if b - a <= 3:
        ticks = [m * 10.0 ** e for e in range(a, b + 1) for m in (1, 2, 5)]
    else:
        step = 1 if b - a <= 8 else 2
        ticks = [10.0 ** e for e in range(b, a - 1, -step)]
    return sorted(t for t in ticks if lo / 1.001 <= t <= hi * 1.001)


LOG_PAD = 1.4          # a log y domain reaches this factor beyond the values drawn


def _y_scale(log_y, values=None):
    """Log scale fitted to ``values`` (padded by a factor 1.4, not rounded out to whole
    decades), or a linear scale without zero."""
    if not log_y:
        return alt.Scale(zero=False)
    vals = [v for v in (values if values is not None else []) if v > 0]
    if not vals:
        return alt.Scale(type="log")
    return alt.Scale(type="log", domain=[min(vals) / LOG_PAD, max(vals) * LOG_PAD],
                     nice=False)


def _y_axis(log_y, values=None):
    """Axis for a y scale; on a log scale ticks at ``log_ticks`` over the whole padded
    domain of ``_y_scale`` (a tick above the largest value when there is room for one)."""
    if not log_y:
        return alt.Axis()
    vals = [v for v in (values if values is not None else []) if v > 0]
    if not vals:
        return alt.Axis(labelExpr=LOG_LABELS)
    return alt.Axis(labelExpr=LOG_LABELS,
                    values=log_ticks(min(vals) / LOG_PAD, max(vals) * LOG_PAD))


K_LABELS = ("datum.value >= 1000 ? format(datum.value / 1000, '~g') + 'k' "
            ": format(datum.value, '~g')")


def _x_axis(values, log):
    """On a log axis, ticks at the swept values (up to 7 of them) or at 1-2-5 steps,
    labelled 50, 100, 1k, 10k; the default axis otherwise."""
    u = sorted(set(float(v) for v in values))
    if not log:
        return alt.Axis(grid=True)
    ticks = u if len(u) <= 7 else log_ticks(u[0], u[-1])
    return alt.Axis(grid=True, values=ticks, labelExpr=K_LABELS)


def _mean_band(agg, x_enc, methods, s, y_scale, y_title=None, y_axis=None, band=True,
               raw=None, metric=None):
    """Layers: a min-max band (optional), each seed's value as a dot (when ``raw`` rows
    and their ``metric`` are given) and a mean line with points, coloured by method."""
    axis = y_axis if y_axis is not None else alt.Axis()
    layers = []
    if band:
        # the band's colour is its own field: Vega-Lite would merge (and hide) the legends
        layers.append(alt.Chart(agg.assign(band=agg["label"])).mark_area(
            opacity=s.band).encode(
            x=x_enc, fill=alt.Fill("band:N", scale=palette.scale(methods), legend=None),
            y=alt.Y("lo:Q", scale=y_scale, title=y_title, axis=axis), y2="hi:Q"))
    if raw is not None:
        layers.append(_seed_points(raw, x_enc, metric, methods, s, y_scale))
    layers.append(alt.Chart(agg).mark_line(
        strokeWidth=s.line, point=alt.OverlayMarkDef(size=s.point)).encode(
        x=x_enc, color=method_color(methods),
        y=alt.Y("mean:Q", scale=y_scale, title=y_title, axis=axis),
        tooltip=[alt.Tooltip("label:N", title="method"), x_enc.to_dict()["field"] + ":Q",
                 alt.Tooltip("mean:Q", format=".4g"), alt.Tooltip("lo:Q", format=".4g"),
                 alt.Tooltip("hi:Q", format=".4g"), "n_seeds:Q"]))
    return layers


def _layer(layers):
    """Layers with independent fill and colour legends (the bands' fill has none; merged,
    Vega-Lite would hide the lines' legend too)."""
    return alt.layer(*layers).resolve_legend(fill="independent")


ZERO_BELOW = {"delta": 1e-12, "tau": 1e-12}   # rounding noise of exactly-zero slacks


def metric_panel(frame, metric, methods=("ga", "do_nothing", "retrain"), presentation=False,
                 width=300, height=240, title=None, log_y=None, sizes=None, notes=None,
                 rule=None, y_title=None):
    """One panel: ``metric`` against the swept value, mean line and min-max band per method.

    ``frame`` is a ``core.sweeps.run`` table of one parameter (and one model). Log axes where
    the values span a decade or more (x: d, n, m; y: eps, delta, tau); on a log y-axis,
    a method whose values are all zero (delta, tau: below 1e-12, rounding) is not drawn,
    and a note says so: appended to ``notes`` if given (a figure's subtitle), else the
    panel's subtitle. ``rule`` = (x, label) draws a labelled dashed vertical line;
    ``y_title`` titles the y axis (default: none, the panel title names the metric).
    """
    s = sizes or style(presentation)
    param = str(frame["param"].iloc[0])
    methods = [m for m in methods if m in set(frame["method"])]
    df = frame[frame["method"].isin(methods)]
    if log_y is None:
        log_y = metric in LOG_METRICS and _log_ok(df[metric].dropna())
    note = None
    if log_y:
        floor = ZERO_BELOW.get(metric, 0.0)
        zero = [label(m) for m in methods
                if not (df.loc[df["method"] == m, metric] > floor).any()]
        if zero:
            note = (f"{' and '.join(zero)}: {metric_symbol(metric)} = 0"
                    + (" (to rounding)" if floor else "") + ", not drawn on the log axis")
        df = df[df[metric] > floor]
    agg = aggregate(df, "value", metric)
    log_x = param in LOG_PARAMS and _log_ok(frame["value"])
    x = alt.X("value:Q", title=PARAM_TITLES.get(param, param),
              scale=_x_scale(frame["value"], log_x), axis=_x_axis(frame["value"], log_x))
    drawn = list(agg["lo"]) + list(agg["hi"])
    layers = _mean_band(agg, x, methods, s, _y_scale(log_y, drawn), y_title=y_title,
                        y_axis=_y_axis(log_y, drawn), raw=df, metric=metric)
    if rule is not None:
        mark = alt.Chart(pd.DataFrame({"value": [float(rule[0])], "text": [rule[1]]}))
        layers.insert(0, mark.mark_rule(strokeDash=[6, 4], color="#555", strokeWidth=1.5)
                      .encode(x="value:Q"))
        layers.append(mark.mark_text(align="left", baseline="top", dx=4, dy=4, color="#555",
                                     fontSize=s.font - 2)
                      .encode(x="value:Q", y=alt.value(0), text="text:N"))
    head = title or METRIC_TITLES.get(metric, metric)
    if notes is not None and note:
        notes.append(note)
    t = alt.Title(head, subtitle=note) if note and notes is None else alt.Title(head)
    return _layer(layers).properties(width=width, height=height, title=t)


def metric_symbol(metric):
    return METRIC_TITLES.get(metric, metric).split(" ")[0]


def _n_seeds(frame):
    return int(frame["seed"].nunique()) if "seed" in frame else 1


def scaling_figure(frame, metrics=("eps_rel", "delta", "tau"),
                   methods=("ga", "do_nothing", "retrain"), presentation=False, width=300,
                   height=240, title=None, subtitle=None, rule=None):
    """Panels of ``metrics`` against the swept value (one model), side by side; ``rule``
    = (x, label) marks a value in every panel (e.g. n = d)."""
    s = style(presentation)
    model = str(frame["model"].iloc[0])
    param = str(frame["param"].iloc[0])
    notes = []
    panels = [metric_panel(frame, m, methods, width=width, height=height, sizes=s,
                           notes=notes, rule=rule) for m in metrics]
    head = title or f"{MODEL_LABELS.get(model, model)}: certificates against " \
                    f"{PARAM_TITLES.get(param, param)}"
    sub = [subtitle or seeds_note(frame)] + notes
    chart = alt.hconcat(*panels, spacing=28).properties(title=alt.Title(head, subtitle=sub))
    return finish(chart, s)


def by_model_figure(frame, metric="cosine_to_retrain", methods=("ga", "do_nothing"),
                    presentation=False, width=380, height=260, title=None, subtitle=None):
    """``metric`` against the swept value, one panel per model (frames concatenated)."""
    models = [m for m in ("linear", "relu") if m in set(frame["model"])]
    return panels_figure({MODEL_LABELS[m]: frame[frame["model"] == m] for m in models},
                         metric, methods, presentation, width, height, title, subtitle)


def panels_figure(frames, metric, methods=("ga", "do_nothing"), presentation=False,
                  width=380, height=260, title=None, subtitle=None):
    """``metric`` against the swept value, one panel per (panel title -> sweep table)."""
    s = style(presentation)
    notes = []
    panels = [metric_panel(f, metric, methods, width=width, height=height, sizes=s,
                           title=head, notes=notes) for head, f in frames.items()]
    first = next(iter(frames.values()))
    param = str(first["param"].iloc[0])
    head = title or f"{METRIC_TITLES.get(metric, metric)} against " \
                    f"{PARAM_TITLES.get(param, param)}"
    sub = [subtitle or seeds_note(first)] + notes
    chart = alt.hconcat(*panels, spacing=36).properties(title=alt.Title(head, subtitle=sub))
    return finish(chart.resolve_scale(y="independent"), s)


def seeds_note(frame):
    """'line: mean over 5 seeds, dots: each seed, band: min–max'."""
    return f"line: mean over {_n_seeds(frame)} seeds, dots: each seed, band: min–max"


def spec_json(chart):
    """The chart's Vega-Lite JSON, serialized once and without schema validation (the
    builders here make valid specs; validation costs more than the drawing)."""
    return chart.to_json(validate=False)


def save_figure(chart, stem, scale=2):
    """Write ``<stem>.svg`` and ``<stem>.png``: the chart is serialized and rendered once
    (to SVG), and the PNG converted from that SVG. Returns the paths."""
    from pathlib import Path

    svg = export.svg_text(spec_json(chart))
    svg_path, png_path = Path(f"{stem}.svg"), Path(f"{stem}.png")
    svg_path.write_text(svg)
    png_path.write_bytes(export.svg_png_bytes(svg, scale=scale))
    return [png_path, svg_path]
