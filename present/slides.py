"""A slide deck of one scenario, for talks: 16:9 PNGs (1920×1080) with their SVGs and a
``slides.md`` that lists them with captions carrying the measured numbers.

``build_deck`` measures everything once (the same engine calls and chart builders as the
app, in the Presentation look) and ``write_deck`` / ``deck_zip`` render it. The command
``python -m explorer slides --out DIR`` and the app's *Download slides* button both call
these. No Streamlit here.
"""
import io
import math
import re
import time
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

import altair as alt
import pandas as pd

from core.compare import compare, default_forget, prepare, scale_curve
from core.errors import InputError
from present import charts, data_view, export, figures, frames, palette
from present.palette import label
from present.style import FONT, finish, style

SLIDE_PX = (1920, 1080)            # 16:9, full HD
CONTENT_PX = (1840, 1010)          # the chart is fitted into this box, centred
SLIDE_TITLE_PX = 34                # chart-space pixels; the PNG is rendered at about 2x
CAPTION_PX = 22
SCALES = tuple(c / 10 for c in range(0, 21))        # c in [0, 2] for the step-size slide
BREAK_DIMS = (20, 50, 100, 200, 500, 1000, 2000)    # the "where it breaks" sweep over d


@dataclass(frozen=True)
class Slide:
    """One slide: a file stem, a title, a one-line caption with numbers, and its chart."""

    stem: str
    title: str
    caption: str
    chart: object


def num(x):
    """The one number format of captions (3 significant digits), shared with the tests."""
    return "n/a" if x is None else f"{float(x):.3g}"


def scenario_line(sc):
    """The scenario in one line: model, data, sizes, training."""
    model = "two-layer ReLU net" if sc.is_relu else "linear model"
    width = f", m = {sc.width}" if sc.is_relu else ""
    data = f"file {Path(sc.data_file).name}" if sc.data_file else f"{sc.data} data"
    return (f"{model}, {data}, n = {sc.n_samples}, d = {sc.dim}{width}; "
            f"{sc.optimizer} GD, {sc.n_steps} steps, seed {sc.seed}")


def build_deck(scenario, forget=None, scale=1.0, progress=None):
    """Measure the scenario once and build every slide (charts in the Presentation look).

    Parameters
    ----------
    scenario : core.scenario.Scenario
    forget : sequence of point indices, or None for the largest-lambda support vector
    scale : float, c of the GA step
    progress : callable(fraction, text) or None

    Returns
    -------
    list of Slide
    """
    def step(fraction, text):
        if progress is not None:
            progress(fraction, text)

    step(0.0, "Training and certifying...")
    prep = prepare(scenario)
    forget = tuple(forget) if forget else default_forget(prep)
    step(0.2, "Comparing the methods...")    # every method for the model: a few ms each
    comp = compare(prep, forget, scale=scale, methods="all")
    step(0.4, "Sweeping the step size c...")
    curve = scale_curve(prep, forget, SCALES, retrained=(comp.methods["retrain"].model, 0.0))
    step(0.6, "Sweeping the dimension d...")
    breaks = _break_rows(scenario)
    step(0.9, "Drawing the slides...")
    slides = [_title_slide(scenario, prep, forget),
              _data_slide(scenario, prep),
              _before_slide(prep, forget),
              _after_slide(comp, scale),
              _methods_slide(comp),
              _step_slide(curve),
              _break_slide(breaks, scenario)]
    step(1.0, "Done")
    return slides


def _titled(chart, title, caption, width=None):
    """The chart with the slide's title and caption as its (large) title block, and for
    single views (the planes and the data view, which fill their container in the app)
    a width that fills the slide."""
    chart = chart.copy()
    if width is not None:
        chart.width = width
        # the app's charts fill a narrower container: fewer x ticks, none overlapping
        chart = chart.configure_axisX(tickCount=10, labelOverlap="greedy")
    chart.title = alt.Title(title, subtitle=[caption], fontSize=SLIDE_TITLE_PX,
                            subtitleFontSize=CAPTION_PX, anchor="start", offset=18,
                            subtitleColor="#333")
    return chart


def _title_slide(sc, prep, forget):
    lines = ["Forgetting a training point with one gradient-ascent step",
             scenario_line(sc),
             f"forgotten: point{'s' if len(forget) > 1 else ''} "
             f"{', '.join(str(i) for i in forget)}",
             "Melamed, Yehudai, Vardi (2025): Provable Unlearning with Gradient Ascent "
             "on Two-Layer ReLU Neural Networks"]
    sizes, weights = (46, 28, 28, 21), ("bold", "normal", "normal", "normal")
    layers = [alt.Chart(pd.DataFrame({"text": [t]})).mark_text(
        align="left", baseline="middle", font=FONT, color="#222", fontSize=size,
        fontWeight=weight).encode(x=alt.value(10), y=alt.value(70 + 90 * k), text="text:N")
        for k, (t, size, weight) in enumerate(zip(lines, sizes, weights))]
    chart = alt.layer(*layers).properties(width=1000, height=400)
    caption = (f"{scenario_line(sc)}; {lines[2]}; trained ε_rel = "
               f"{num(prep.original.eps_rel)}, {prep.original.n_support} support vectors")
    return Slide("01-title", "Machine unlearning, measured", caption,
                 finish(chart, style(True)).configure_view(stroke=None))


def _data_slide(sc, prep):
    chart = data_view.chart(data_view.data_view(prep), presentation=True, height=420)
    g = prep.gauge
    caption = (f"n = {prep.dataset.n_samples} points in d = {prep.dataset.dim}; "
               f"regime gauge ρ = {num(g.rho)} ({g.regime})")
    return Slide("02-data", "The data", caption,
                 _titled(chart, "The data", caption, width=900))


def _before_slide(prep, forget):
    chart = charts.margin_lambda_plane(frames.plane_frame(prep, forget), presentation=True,
                                       height=420)
    lam = prep.original.lam
    caption = (f"Trained model: ε_rel = {num(prep.original.eps_rel)} on all "
               f"{prep.dataset.n_samples} points, {prep.original.n_support} support vectors; "
               f"λ of the forgotten point{'s' if len(forget) > 1 else ''}: "
               f"{', '.join(num(lam[i]) for i in forget)}")
    title = "Before: margin and dual variable λ of every point"
    return Slide("03-plane-before", title, caption, _titled(chart, title, caption, width=1100))


def _after_slide(comp, scale):
    chart = charts.plane_after(frames.after_frame(comp), presentation=True, height=420)
    m = comp.methods
    caption = (f"One GA step (c = {scale:g}): ε_rel {num(m['ga'].certificate.eps_rel)} vs "
               f"{num(m['do_nothing'].certificate.eps_rel)} doing nothing; cosine to "
               f"retrain {num(m['ga'].cosine_to_retrain)}")
    title = "After forgetting: each point's move, retrained positions as ghosts"
    return Slide("04-plane-after", title, caption, _titled(chart, title, caption, width=1100))


def method_rows(comp):
    """One row per method: eps_rel, 1 - cosine to retrain (floored for the log axis)."""
    rows = []
    for name, res in comp.methods.items():
        rows.append(dict(method=name, label=label(name),
                         eps_rel=res.certificate.eps_rel,
                         distance=max(1.0 - res.cosine_to_retrain, 1e-6),
                         cosine=res.cosine_to_retrain,
                         grad_evals=getattr(res, "grad_evals", None)))
    return pd.DataFrame(rows)


def _methods_slide(comp):
    s = style(True)
    df = method_rows(comp)
    names = list(df["method"])
    color = alt.Color("label:N", sort=list(df["label"]), legend=None,
                      scale=palette.scale(names))
    y = alt.Y("label:N", sort=list(df["label"]), title=None)

    def bars(field, head):
        # bars on a log axis need a finite base: a decade below the smallest value
        base = 10 ** math.floor(math.log10(df[field].min()) - 1)
        return alt.Chart(df).mark_bar(height=34).encode(
            x=alt.X(f"{field}:Q", scale=alt.Scale(type="log", domainMin=base), title=head),
            x2=alt.datum(base), y=y, color=color,
            tooltip=[alt.Tooltip("label:N"), alt.Tooltip(f"{field}:Q", format=".3g")],
        ).properties(width=420, height=max(300, 64 * len(df)))

    cost = alt.Chart(df.dropna(subset=["grad_evals"])).mark_bar(height=34).encode(
        x=alt.X("grad_evals:Q", scale=alt.Scale(type="symlog"),
                axis=alt.Axis(values=[0, 1, 10, 100, 1000, 10000], format="~s"),
                title="cost: per-sample gradients (log)"), y=y, color=color,
    ).properties(width=300, height=max(300, 64 * len(df)))
    chart = alt.hconcat(bars("eps_rel", "ε_rel on the retained points (log)"),
                        bars("distance", "1 − cosine to retrain (log)"),
                        cost.encode(y=alt.Y("label:N", sort=list(df["label"]), axis=None)),
                        spacing=30)
    rows = df.set_index("method")
    caption = (f"One GA step: ε_rel {num(rows.loc['ga', 'eps_rel'])} for "
               f"{_evals(rows.loc['ga', 'grad_evals'])}; doing nothing "
               f"{num(rows.loc['do_nothing', 'eps_rel'])}; retraining "
               f"{num(rows.loc['retrain', 'eps_rel'])} for "
               f"{_evals(rows.loc['retrain', 'grad_evals'])}")
    title = "The methods side by side: quality and cost (smaller is better)"
    return Slide("05-methods", title, caption, _titled(finish(chart, s), title, caption))


def _evals(x):
    """A count of per-sample gradients, in words."""
    if x is None or x != x:
        return "n/a"
    return f"{int(x):,} gradient" + ("" if int(x) == 1 else "s")


def _step_slide(curve):
    chart = charts.step_size(curve, None, presentation=True, width=820, height=150)
    best = curve.loc[curve["eps_rel"].idxmin()]
    at_one = curve.iloc[(curve["scale"] - 1.0).abs().argmin()]
    caption = (f"ε_rel is smallest at c = {best['scale']:.2g} ({num(best['eps_rel'])}); "
               f"at c = 1, the paper's step: {num(at_one['eps_rel'])}; at c = 0 (nothing): "
               f"{num(curve['eps_rel'].iloc[0])}")
    title = "How large should the step be? ε against c"
    return Slide("06-step-size", title, caption, _titled(chart, title, caption))


def break_scenario(sc):
    """The scenario the d-sweep varies: the given one, or the default generator's data
    at the same n when its data are a file or 2-D (their d cannot change)."""
    if sc.data_file or sc.data not in ("orthogonal", "mixture"):
        return replace(sc, data="orthogonal", data_file=None)
    return sc


def _break_rows(sc):
    """eps_rel of GA, doing nothing and retraining against d (one seed): sweep rows."""
    base = break_scenario(sc)
    rows = []
    for d in BREAK_DIMS:
        try:
            prep = prepare(replace(base, dim=d))
            comp = compare(prep, default_forget(prep), methods=("ga", "do_nothing", "retrain"))
        except InputError:          # e.g. not separable at small d: that is the point
            continue
        for name, res in comp.methods.items():
            rows.append(dict(model=base.model, param="dim", value=d, seed=base.seed,
                             method=name, eps_rel=res.certificate.eps_rel))
    return pd.DataFrame(rows)


def _break_slide(rows, sc):
    s = style(True)
    title = "Where the result breaks: ε_rel against the dimension d"
    if rows.empty:
        caption = "No dimension in the sweep gave separable data."
        chart = alt.Chart(pd.DataFrame({"t": [caption]})).mark_text().encode(text="t:N")
        return Slide("07-where-it-breaks", title, caption, _titled(chart, title, caption))
    panel = figures.metric_panel(rows, "eps_rel", presentation=True, width=820, height=360,
                                 title=" ", rule=(sc.n_samples, "d = n"))
    ga = rows[rows["method"] == "ga"].set_index("value")["eps_rel"]
    dn = rows[rows["method"] == "do_nothing"].set_index("value")["eps_rel"]
    lo, hi = ga.index.min(), ga.index.max()
    caption = (f"GA ε_rel {num(ga[lo])} at d = {lo} (doing nothing {num(dn[lo])}) down to "
               f"{num(ga[hi])} at d = {hi} (doing nothing {num(dn[hi])}); n = {sc.n_samples}"
               + ("" if break_scenario(sc) == sc else ", orthogonal data"))
    return Slide("07-where-it-breaks", title, caption, _titled(finish(panel, s), title, caption))


def slide_png(chart):
    """The chart rendered into a white 1920×1080 PNG, fitted and centred."""
    from PIL import Image

    spec = chart.to_json(validate=False)
    svg = export.svg_text(spec)
    w, h = (float(v) for v in re.search(r'width="([\d.]+)" height="([\d.]+)"', svg).groups())
    scale = min(CONTENT_PX[0] / w, CONTENT_PX[1] / h)
    img = Image.open(io.BytesIO(export.png_bytes(spec, scale=scale))).convert("RGB")
    canvas = Image.new("RGB", SLIDE_PX, "white")
    canvas.paste(img, ((SLIDE_PX[0] - img.width) // 2, (SLIDE_PX[1] - img.height) // 2))
    out = io.BytesIO()
    canvas.save(out, format="PNG", optimize=True)
    return out.getvalue(), svg


def slides_markdown(slides, scenario):
    """``slides.md``: every slide's picture and caption, in order."""
    lines = ["# Slides: forgetting with one gradient-ascent step", "",
             f"Scenario: {scenario_line(scenario)}", ""]
    for k, sl in enumerate(slides, 1):
        lines += [f"## {k}. {sl.title}", "", f"![{sl.title}]({sl.stem}.png)", "",
                  sl.caption, ""]
    return "\n".join(lines)


def render(slides, scenario, progress=None):
    """{file name: bytes} of the deck: NN-name.png, NN-name.svg per slide and slides.md."""
    files = {}
    for k, sl in enumerate(slides):
        png, svg = slide_png(sl.chart)
        files[f"{sl.stem}.png"], files[f"{sl.stem}.svg"] = png, svg.encode("utf-8")
        if progress is not None:
            progress((k + 1) / len(slides), f"Rendered {sl.stem}")
    files["slides.md"] = slides_markdown(slides, scenario).encode("utf-8")
    return files


def write_deck(files, out_dir):
    """Write the rendered files into ``out_dir`` (created); returns their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in files.items():
        (out / name).write_bytes(data)
        paths.append(out / name)
    return paths


def deck_zip(files):
    """The rendered files as one ZIP archive (bytes), for a download button."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(f"slides/{name}", data)
    return buf.getvalue()


def make_deck(scenario, forget=None, scale=1.0, progress=None):
    """build_deck then render: ({file name: bytes}, seconds)."""
    start = time.perf_counter()
    slides = build_deck(scenario, forget, scale,
                        None if progress is None else (lambda f, t: progress(0.7 * f, t)))
    files = render(slides, scenario,
                   None if progress is None else (lambda f, t: progress(0.7 + 0.3 * f, t)))
    return files, time.perf_counter() - start
