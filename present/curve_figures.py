"""Figures of one kind of sweep each: eps against the GA step size c, test accuracy while
forgetting points one after another, and the regime gauge against d.

Pure Altair builders (DataFrame in, chart out) on the helpers of ``present.figures``; the
Scaling and Generalization pages and ``python -m explorer reproduce`` draw with them.
"""
import altair as alt
import pandas as pd

from core.data import APPROX_OVERLAP
from present.figures import (
    K_LABELS,
    MODEL_LABELS,
    PARAM_TITLES,
    REGION_COLORS,
    _layer,
    _log_ok,
    _mean_band,
    _n_seeds,
    _x_scale,
    _y_axis,
    _y_scale,
    aggregate,
    log_ticks,
    method_color,
    seeds_note,
)
from present.style import METRIC_TITLES, finish, style


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
                color=method_color(methods)))
        layers += _mean_band(agg, x, methods, s, y_scale, y_axis=y_axis,
                             raw=ga[ga[metric] > 0], metric=metric)
        best = agg.loc[[agg["mean"].idxmin()]]
        c_min = float(best["value"].iloc[0])
        layers.append(alt.Chart(best).mark_point(size=s.point * 2.5, color="#d62728",
                                                 filled=True, opacity=1).encode(
            x="value:Q", y=alt.Y("mean:Q", scale=y_scale)))
        panels.append(_layer(layers).properties(width=width, height=height, title=alt.Title(
            MODEL_LABELS[model], subtitle=f"big dot: the minimum, at c = {c_min:g}")))
    head = f"{METRIC_TITLES.get(metric, metric)} of one GA step against its size c"
    sub = (f"dashed: c = 1, the paper's step; dotted: do nothing and retrain (they do not "
           f"depend on c); {seeds_note(frame)}")
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
        band = metric != "test_accuracy"      # accuracy bands of seeds overlap: dots instead
        lo, hi = float(agg["lo"].min()), float(agg["hi"].max())
        pad = max(0.1 * (hi - lo), 0.005)
        y_dom = [max(0.0, lo - pad), min(1.0, hi + pad)]
        layers = _mean_band(agg, x, methods, s, alt.Scale(domain=y_dom, nice=False),
                            y_axis=alt.Axis(format=".1%"), band=band,
                            raw=None if band else curve, metric=metric)
        panels.append(_layer(layers).properties(width=width, height=height, title=head))
    n_test = curve.attrs.get("n_test")
    sub = (f"mixture data, {n_test or 'held-out'} test points; a random training point removed"
           f" at each step; lines: mean over {_n_seeds(curve)} seeds; dots (left): each "
           "seed; band (right): min–max")
    chart = alt.hconcat(*panels, spacing=36).properties(title=alt.Title(
        title or "Generalization while forgetting points one after another", subtitle=sub))
    return finish(chart, s)


def regime_figure(frame, n_samples, presentation=False, width=520, height=280,
                  approx_overlap=APPROX_OVERLAP):
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
    dots = alt.Chart(df[["value", "rho"]]).mark_circle(size=max(s.point * 0.3, 12), opacity=0.5,
                                     color="#222").encode(
        x=alt.X("value:Q", scale=x_scale), y=alt.Y("rho:Q", scale=y_scale))
    line = alt.Chart(agg).mark_line(color="#222", strokeWidth=s.line,
                                    point=alt.OverlayMarkDef(size=s.point, color="#222")
                                    ).encode(
        x=alt.X("value:Q", scale=x_scale), y=alt.Y("mean:Q", scale=y_scale),
        tooltip=[alt.Tooltip("value:Q", title="d"),
                 alt.Tooltip("mean:Q", title="ρ", format=".3g")])
    chart = alt.layer(rect, band, dots, line).properties(
        width=width, height=height,
        title=alt.Title("Where the theory applies: the regime gauge ρ against d",
                        subtitle=f"ρ = n·max|⟨x_i, x_j⟩| / min‖x_i‖², n = {n_samples}; "
                                 f"line: mean over {_n_seeds(df)} seeds, "
                                 "dots: each seed, band: min–max"))
    return finish(chart, s)
