"""Pure Altair builders for sweeps and reproduction: DataFrame in, chart out.

The Scaling and Generalization pages and ``python -m core.cli reproduce`` draw with these
same functions, so a figure in a talk is the figure in the app. No Streamlit here.
Inputs are the raw tables of ``core.sweeps.run`` (one row per value, seed and method) and
``core.sweeps.generalization`` (one row per removal k, seed and method); the builders aggregate
over seeds themselves: the line is the mean, the band spans min to max over seeds.
"""
import math

import altair as alt
import pandas as pd

from core.report import METHOD_LABELS
from ui.style import METHOD_COLORS, METRIC_TITLES, finish, style

MODEL_LABELS = {"linear": "linear model", "relu": "two-layer ReLU net"}
PARAM_TITLES = {"dim": "input dimension d", "n_samples": "training points n",
                "width": "hidden neurons m", "scale": "c (multiple of the theory step size)",
                "mu_norm": "mixture mean norm ‖μ‖", "kink_tol": "kink tolerance κ"}
REGION_COLORS = ["#cdebd3", "#fbeec1", "#e6e6e6"]      # theory, approximate, outside
LOG_METRICS = ("eps", "eps_rel", "delta", "tau", "seconds")
LOG_PARAMS = ("dim", "n_samples", "width")


def _method_scale(methods):
    return alt.Scale(domain=[METHOD_LABELS[m] for m in methods],
                     range=[METHOD_COLORS[m] for m in methods])


def _method_color(methods):
    return alt.Color("label:N", title=None, sort=[METHOD_LABELS[m] for m in methods],
                     scale=_method_scale(methods),
                     legend=alt.Legend(symbolType="stroke", symbolStrokeWidth=4))


def aggregate(frame, x, metric, by=("method",)):
    """Mean, min and max of ``metric`` over seeds for each (by..., x); drops NaN.

    GA's rows come last, so that its line is drawn on top.
    """
    df = frame.dropna(subset=[metric])
    keys = list(by) + [x]
    g = df.groupby(keys, sort=False)[metric]
    out = pd.concat([g.mean().rename("mean"), g.min().rename("lo"), g.max().rename("hi"),
                     g.size().rename("n_seeds")], axis=1).reset_index()
    if "method" in out:
        out["label"] = out["method"].map(METHOD_LABELS)
        out = out.sort_values("method", key=lambda m: m == "ga", kind="stable")
    return out


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


def _y_scale(log_y, values=None):
    """Log scale fitted to ``values`` (padded by a factor 1.4, not rounded out to whole
    decades), or a linear scale without zero."""
    if not log_y:
        return alt.Scale(zero=False)
    vals = [v for v in (values if values is not None else []) if v > 0]
    if not vals:
        return alt.Scale(type="log")
    return alt.Scale(type="log", domain=[min(vals) / 1.4, max(vals) * 1.4], nice=False)


def _y_axis(log_y, values=None):
    """Axis for a y scale; on a log scale ticks at ``log_ticks`` of the values drawn."""
    if not log_y:
        return alt.Axis()
    vals = [v for v in (values if values is not None else []) if v > 0]
    if not vals:
        return alt.Axis(labelExpr=LOG_LABELS)
    return alt.Axis(labelExpr=LOG_LABELS, values=log_ticks(min(vals), max(vals)))


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


def _mean_band(agg, x_enc, methods, s, y_scale, y_title=None, y_axis=None, band=True):
    """Layers: a min-max band (optional) and a mean line with points, coloured by method."""
    axis = y_axis if y_axis is not None else alt.Axis()
    layers = []
    if band:
        # the band's colour is its own field: Vega-Lite would merge (and hide) the legends
        layers.append(alt.Chart(agg.assign(band=agg["label"])).mark_area(
            opacity=s.band).encode(
            x=x_enc, fill=alt.Fill("band:N", scale=_method_scale(methods), legend=None),
            y=alt.Y("lo:Q", scale=y_scale, title=y_title, axis=axis), y2="hi:Q"))
    layers.append(alt.Chart(agg).mark_line(
        strokeWidth=s.line, point=alt.OverlayMarkDef(size=s.point)).encode(
        x=x_enc, color=_method_color(methods),
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
                 rule=None):
    """One panel: ``metric`` against the swept value, mean line and min-max band per method.

    ``frame`` is a ``core.sweeps.run`` table of one parameter (and one model). Log axes where
    the values span a decade or more (x: d, n, m; y: eps, delta, tau); on a log y-axis,
    a method whose values are all zero (delta, tau: below 1e-12, rounding) is not drawn,
    and a note says so: appended to ``notes`` if given (a figure's subtitle), else the
    panel's subtitle. ``rule`` = (x, label) draws a labelled dashed vertical line.
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
        zero = [METHOD_LABELS[m] for m in methods
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
    layers = _mean_band(agg, x, methods, s, _y_scale(log_y, drawn),
                        y_axis=_y_axis(log_y, drawn))
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
    sub = [subtitle or f"line: mean over {_n_seeds(frame)} seeds, band: min–max"] + notes
    chart = alt.hconcat(*panels, spacing=28).properties(title=alt.Title(head, subtitle=sub))
    return finish(chart, s)


def by_model_figure(frame, metric="cosine_to_retrain", methods=("ga", "do_nothing"),
                    presentation=False, width=380, height=260, title=None, subtitle=None):
    """``metric`` against the swept value, one panel per model (frames concatenated)."""
    s = style(presentation)
    models = [m for m in ("linear", "relu") if m in set(frame["model"])]
    notes = []
    panels = [metric_panel(frame[frame["model"] == m], metric, methods, width=width,
                           height=height, sizes=s, title=MODEL_LABELS[m], notes=notes)
              for m in models]
    param = str(frame["param"].iloc[0])
    head = title or f"{METRIC_TITLES.get(metric, metric)} against " \
                    f"{PARAM_TITLES.get(param, param)}"
    sub = [subtitle or f"line: mean over {_n_seeds(frame)} seeds, band: min–max"] + notes
    chart = alt.hconcat(*panels, spacing=36).properties(title=alt.Title(head, subtitle=sub))
    return finish(chart.resolve_scale(y="independent"), s)


def step_size_figure(frame, metric="eps_rel", presentation=False, width=380, height=260):
    """The paper's step-size figure: ``metric`` of GA against c, one panel per model.

    ``frame`` is a ``scale`` sweep (both models concatenated). Dashed grey: c = 1; red
    dot: the minimum of the mean; dotted, labelled: do nothing and retrain (they do not
    depend on c).
    """
    s = style(presentation)
    models = [m for m in ("linear", "relu") if m in set(frame["model"])]
    methods = ["ga", "do_nothing", "retrain"]
    panels = []
    for model in models:
        df = frame[frame["model"] == model]
        ga = df[df["method"] == "ga"]
        agg = aggregate(ga[ga[metric] > 0], "value", metric)
        levels = aggregate(df[df["method"].isin(methods[1:]) & (df[metric] > 0)],
                           "value", metric)
        levels = levels.groupby(["method", "label"], as_index=False)["mean"].mean()
        drawn = list(agg["lo"]) + list(agg["hi"]) + list(levels["mean"])
        log_y = _log_ok(drawn)
        y_scale, y_axis = _y_scale(log_y, drawn), _y_axis(log_y, drawn)
        x = alt.X("value:Q", title=PARAM_TITLES["scale"], scale=_x_scale(frame["value"], False),
                  axis=alt.Axis(values=[v / 2 for v in range(0, 2 * int(frame["value"].max()) + 1)]
                                if frame["value"].max() <= 4 else alt.Undefined))
        layers = [alt.Chart(pd.DataFrame({"c": [1.0]})).mark_rule(
            strokeDash=[6, 4], color="#555", strokeWidth=1.5).encode(x="c:Q")]
        if len(levels):
            layers.append(alt.Chart(levels).mark_rule(
                strokeDash=[2, 3], strokeWidth=s.line * 0.8).encode(
                y=alt.Y("mean:Q", scale=y_scale, axis=y_axis, title=None),
                color=_method_color(methods)))
        layers += _mean_band(agg, x, methods, s, y_scale, y_axis=y_axis)
        best = agg.loc[[agg["mean"].idxmin()]]
        c_min = float(best["value"].iloc[0])
        layers.append(alt.Chart(best).mark_point(size=s.point * 2.5, color="#d62728",
                                                 filled=True, opacity=1).encode(
            x="value:Q", y=alt.Y("mean:Q", scale=y_scale)))
        panels.append(_layer(layers).properties(width=width, height=height, title=alt.Title(
            MODEL_LABELS[model], subtitle=f"big dot: the minimum, at c = {c_min:g}")))
    head = f"{METRIC_TITLES.get(metric, metric)} of one GA step against its size c"
    sub = (f"dashed: c = 1, the paper's step; dotted: do nothing and retrain (they do not "
           f"depend on c); line: mean over {_n_seeds(frame)} seeds, band: min–max")
    chart = alt.hconcat(*panels, spacing=36).properties(title=alt.Title(head, subtitle=sub))
    return finish(chart.resolve_scale(y="independent"), s)


def forgetting_figure(curve, presentation=False, width=380, height=260, title=None):
    """Test accuracy and agreement with retrain while forgetting k = 0..K points one after
    another (``core.sweeps.generalization`` rows, several seeds): GA vs retrain vs do nothing."""
    s = style(presentation)
    methods = ["ga", "retrain", "do_nothing"]
    x = alt.X("k:Q", title="points forgotten so far (k)", axis=alt.Axis(tickMinStep=1),
              scale=alt.Scale(zero=True, nice=False))
    panels = []
    for metric, head in (("test_accuracy", "test accuracy"),
                         ("test_agreement", "test predictions equal to retrain's")):
        agg = aggregate(curve, "k", metric)
        band = metric != "test_accuracy"      # accuracy bands of seeds overlap: lines only
        lo, hi = (float(agg["lo"].min()), float(agg["hi"].max())) if band \
            else (float(agg["mean"].min()), float(agg["mean"].max()))
        pad = max(0.1 * (hi - lo), 0.005)
        y_dom = [max(0.0, lo - pad), min(1.0, hi + pad)]
        layers = _mean_band(agg, x, methods, s, alt.Scale(domain=y_dom, nice=False),
                            y_axis=alt.Axis(format=".1%"), band=band)
        panels.append(_layer(layers).properties(width=width, height=height, title=head))
    n_test = curve.attrs.get("n_test")
    sub = (f"mixture data, {n_test or 'held-out'} test points; a random training point removed"
           f" at each step; lines: mean over {_n_seeds(curve)} seeds, band (right): min–max")
    chart = alt.hconcat(*panels, spacing=36).properties(title=alt.Title(
        title or "Generalization while forgetting points one after another", subtitle=sub))
    return finish(chart, s)


def regime_figure(frame, n_samples, presentation=False, width=520, height=280,
                  approx_overlap=0.2):
    """The regime gauge rho = n max|<x_i, x_j>| / min ||x_i||² against d, with its regions.

    Green: rho < 1 (the theory's near-orthogonality); yellow: rho >= 1 but small overlaps
    (rho / n < ``approx_overlap``), where the result holds approximately; grey: d <= n.
    ``frame`` is a ``dim`` sweep; rho is the same for every method of a run.
    """
    s = style(presentation)
    df = frame.drop_duplicates(["model", "value", "seed"]) if "model" in frame \
        else frame.drop_duplicates(["value", "seed"])
    agg = aggregate(df.assign(method="ga"), "value", "rho", by=())
    d_lo, d_hi = float(agg["value"].min()) / 1.5, float(agg["value"].max()) * 1.5
    r_lo = min(float(agg["lo"].min()) / 2, 0.5)
    r_hi = max(float(agg["hi"].max()), approx_overlap * n_samples) * 1.5
    x_scale = alt.Scale(type="log", domain=[d_lo, d_hi], nice=False)
    y_scale = alt.Scale(type="log", domain=[r_lo, r_hi], nice=False)
    regions = pd.DataFrame([
        dict(x=max(d_lo, n_samples), x2=d_hi, y=r_lo, y2=1.0, region="theory: ρ < 1"),
        dict(x=max(d_lo, n_samples), x2=d_hi, y=1.0, y2=approx_overlap * n_samples,
             region=f"approximate: small overlaps (ρ < {approx_overlap:g}·n)"),
        dict(x=d_lo, x2=max(d_lo, n_samples), y=r_lo, y2=r_hi, region="outside: n ≥ d")])
    regions = regions[regions.x2 > regions.x]
    region_color = alt.Color("region:N", title=None, sort=list(regions.region),
                             scale=alt.Scale(domain=list(regions.region),
                                             range=REGION_COLORS[:len(regions)]))
    ticks = sorted(set(float(v) for v in agg["value"]))
    x_axis = alt.Axis(values=ticks if len(ticks) <= 7 else log_ticks(ticks[0], ticks[-1]),
                      labelExpr=K_LABELS)
    rect = alt.Chart(regions).mark_rect(opacity=0.8).encode(
        x=alt.X("x:Q", scale=x_scale, title=PARAM_TITLES["dim"], axis=x_axis), x2="x2:Q",
        y=alt.Y("y:Q", scale=y_scale, title="ρ (regime gauge)"), y2="y2:Q", color=region_color)
    band = alt.Chart(agg).mark_area(opacity=0.25, color="#333").encode(
        x=alt.X("value:Q", scale=x_scale), y=alt.Y("lo:Q", scale=y_scale), y2="hi:Q")
    line = alt.Chart(agg).mark_line(color="#222", strokeWidth=s.line,
                                    point=alt.OverlayMarkDef(size=s.point, color="#222")
                                    ).encode(
        x=alt.X("value:Q", scale=x_scale), y=alt.Y("mean:Q", scale=y_scale),
        tooltip=[alt.Tooltip("value:Q", title="d"),
                 alt.Tooltip("mean:Q", title="ρ", format=".3g")])
    chart = alt.layer(rect, band, line).properties(
        width=width, height=height,
        title=alt.Title("Where the theory applies: the regime gauge ρ against d",
                        subtitle=f"ρ = n·max|⟨x_i, x_j⟩| / min‖x_i‖², n = {n_samples}; "
                                 f"mean over {_n_seeds(df)} seeds"))
    return finish(chart, s)


def figure_bytes(chart, fmt="png", scale=2):
    """PNG (at ``scale``x) or SVG bytes of a chart, offline via vl-convert."""
    import vl_convert as vlc

    spec = chart.to_json()
    if fmt == "png":
        return vlc.vegalite_to_png(spec, scale=scale)
    if fmt == "svg":
        return vlc.vegalite_to_svg(spec).encode()
    raise ValueError(f"format must be png or svg, not {fmt!r}")


def save_figure(chart, stem, formats=("png", "svg"), scale=2):
    """Write ``<stem>.png`` and ``<stem>.svg``; returns the paths."""
    from pathlib import Path

    paths = []
    for fmt in formats:
        path = Path(f"{stem}.{fmt}")
        path.write_bytes(figure_bytes(chart, fmt, scale))
        paths.append(path)
    return paths
