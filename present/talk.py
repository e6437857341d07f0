"""The talk kit's interactive page: one HTML file that opens from disk with the network off.

``python -m explorer talk --out demo.html`` and the app's *Share / save → Download
interactive page* both call ``make_page``. The engine precomputes, for every training
point, what the app shows after forgetting it (``present.talk_data``: one retraining and
a GA step for each c of the slider, every one certified); the page only looks rows up.

What is inside the file, and how:

- **The charts** are the app's Vega-Lite specs (``present.charts.margin_lambda_plane``,
  ``plane_after``, ``present.data_view.chart``), re-pointed at the precomputed tables by
  ``present.talk_views``. Clicking a point is the planes' own ``pick`` point selection;
  the step size c is a Vega-Lite parameter bound to a range input; every view keeps its
  rows with Vega-Lite filters on both, and joins positions with lookups. There is no
  hand-written JavaScript for the interaction.
- **The JavaScript bundle** (Vega, Vega-Lite, vega-embed and their dependencies, about
  0.9 MB) comes from ``vl_convert.javascript_bundle()``: vl-convert-python ships these
  libraries inside its wheel (they are what it renders PNG and SVG with), and the call
  returns them as one plain script that sets ``window.vegaEmbed``. It is pasted into a
  ``<script>`` element, so nothing is fetched: no CDN, no fonts (system sans-serif).
  Bundling takes vl-convert 5-10 s, so the first build keeps the script in ``.cache/``.
- **The data** are one JSON object in a ``<script type="application/json">`` element:
  the named datasets (large tables as CSV text) and two specs, one laid out for 1280×720
  and one for 1920×1080 and up. A few lines of script choose the spec for the window
  (layout only), keeping the picked point and c when a resize switches between them.
"""
import contextlib
import html
import json
import os
import time
from functools import lru_cache
from pathlib import Path

import altair as alt
import pandas as pd

from core.compare import compare, prepare
from present import charts, data_view
from present import talk_views as tv
from present.slide_builders import scenario_line
from present.style import finish
from present.talk_data import TALK_SCALES, precompute

TEMPLATE = Path(__file__).with_name("talk_template.html")
BUNDLE_DIR = Path(__file__).resolve().parent.parent / ".cache"
BUNDLE_END = "window.vegaLite=__default1;"     # how vl-convert's bundle ends (a whole file)
LARGE_SCREEN = (1700, 940)          # innerWidth, innerHeight from which the large spec is used
# (width, height) factors of the large spec over the compact one (1280x720 -> 1920x1080)
LAYOUTS = {"compact": (1.0, 1.0), "large": (1.5, 1.85)}
PLANE = (520, 270, 12)              # compact plane plots: width, height, scale padding (px)
PAGE_TITLE = "Forgetting one training point with one gradient-ascent step"
COORDINATE_DIGITS = "%.9g"          # plane coordinates in the CSV tables (cards: exact)
# every view keeps its own colours and legends (classes, methods, levels, boundaries)
INDEPENDENT = {"scale": {k: "independent" for k in ("color", "fill", "stroke", "shape",
                                                    "strokeDash", "size", "opacity")},
               "legend": {k: "independent" for k in ("color", "fill", "stroke", "shape",
                                                     "strokeDash", "size")}}


@lru_cache(maxsize=1)
def javascript_bundle():
    """Vega, Vega-Lite and vega-embed as one script (see the module docstring).

    vl-convert bundles them on each call (5-10 s), so the script is kept in ``BUNDLE_DIR``
    under the vl-convert version that made it (in memory only when that is not writable).
    """
    from importlib.metadata import version

    import vl_convert

    path = BUNDLE_DIR / f"vega-bundle-{version('vl-convert-python')}.js"
    with contextlib.suppress(OSError):    # no kept bundle: build one
        kept = path.read_text(encoding="utf-8")
        if kept.rstrip().endswith(BUNDLE_END):
            return kept
    bundle = vl_convert.javascript_bundle()
    with contextlib.suppress(OSError):    # a read-only install builds it every time
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.part")
        partial.write_text(bundle, encoding="utf-8")
        partial.replace(path)           # atomic: a concurrent build reads all or nothing
    return bundle


def widths(data, factor):
    """(plane width, cards width, verdict width) in pixels of a layout."""
    is_2d = data.prepared.ctx.X.shape[1] == 2
    w = int(PLANE[0] * factor * (0.62 if is_2d else 1.0))     # 2-D: a third panel
    views = 3 if is_2d else 2
    total = views * w + (views - 1) * 90 * factor + 70 * factor
    cards = int(len(data.methods) * 200 * factor)
    return w, cards, int(max(total - cards - 60 * factor, 340 * factor))


def page_spec(data, layout, text_lines=(1, 3)):
    """The Vega-Lite spec of one layout ("compact": 1280×720; "large": 1920×1080) over the
    datasets of ``page_datasets`` (referenced by name) plus its own small inline ones.
    ``text_lines``: the most lines of the verdict's summary and sentence; a longer verdict
    takes its height from the planes."""
    (factor, tall), presentation = LAYOUTS[layout], layout == "large"
    s = tv.STYLES[layout]
    prep, default = data.prepared, data.default_point
    w, card_w, verdict_w = widths(data, factor)
    card_h = int(150 * tall)
    bottom_h = max(card_h, int(tv.verdict_height(s, *text_lines)))
    h, pad = int(PLANE[1] * tall) - (bottom_h - card_h), int(PLANE[2] * factor)
    is_2d = prep.ctx.X.shape[1] == 2
    datasets = {}
    before = charts.margin_lambda_plane(data.tables["points"], presentation=presentation,
                                        height=h, title="Trained model: click a point",
                                        selected=(default,))
    before, picks = tv.plane_before(before.to_dict(validate=False), datasets, w, s)
    sample = _sample_after(data)
    after = tv.plane_after(charts.plane_after(sample, presentation=presentation,
                                              height=h).to_dict(validate=False),
                           datasets, prep.ctx.n_samples, (w, h, pad))
    row = [before, after]
    if is_2d:
        view = data_view.data_view(prep, _default_comparison(data), shaded="do_nothing")
        chart = data_view.chart(view, presentation=presentation, height=h,
                                selected=(default,))
        dv, more = tv.data_view_2d(chart.to_dict(validate=False), datasets, w)
        row.append(dv)
        picks += more
    bottom = [tv.cards(data.methods, s, card_w, bottom_h), tv.verdict(s, verdict_w, bottom_h)]
    config = finish(alt.Chart(pd.DataFrame()), s).to_dict(validate=False)["config"]
    if is_2d:
        config["legend"]["columns"] = 3
    return {"$schema": alt.SCHEMA_URL, "config": config, "padding": int(8 * factor),
            "params": _params(picks, default) + [_c_param(data.scales)],
            "vconcat": [{"hconcat": row, "spacing": int((24 if is_2d else 40) * factor),
                         "resolve": INDEPENDENT},
                        {"hconcat": bottom, "spacing": int(30 * factor),
                         "resolve": INDEPENDENT}], "resolve": INDEPENDENT,
            "spacing": int(18 * factor), "datasets": datasets}


def _params(picks, default):
    """One ``pick`` selection over every view that defines it: a click picks the nearest
    point (one at a time; it cannot be cleared, something is always forgotten)."""
    views = [v for p in picks for v in p.get("views", [])]
    return [{"name": tv.PICK, "views": views, "value": [{"forgot": int(default)}],
             "select": {"type": "point", "fields": ["forgot"], "on": "click",
                        "nearest": True, "toggle": False, "clear": False}}]


def _c_param(scales):
    step = scales[1] - scales[0]
    return {"name": tv.C, "value": 1.0,
            "bind": {"input": "range", "min": min(scales), "max": max(scales), "step": step,
                     "name": "step size c (1 = the paper's step) ", "element": "#c-slider"}}


def _sample_after(data):
    """The after frame of the default point at c = 1: the builder's encodings and look."""
    t = data.tables
    rows = t["after"][(t["after"]["forgot"] == data.default_point) & (t["after"]["c"] == 1.0)]
    pts = t["points"].set_index("index")
    n = data.prepared.ctx.n_samples
    rt = t["retrain"].set_index("rkey")
    keys = data.default_point * n + rows["index"]
    return pd.DataFrame({
        "index": rows["index"].to_numpy(), "class": pts.loc[rows["index"], "class"].to_numpy(),
        "label": pts.loc[rows["index"], "label"].to_numpy(),
        "margin_before": pts.loc[rows["index"], "margin"].to_numpy(),
        "lam_before": pts.loc[rows["index"], "lam"].to_numpy(),
        "margin_after": rows["margin_after"].to_numpy(), "lam_after": rows["lam_after"].to_numpy(),
        "margin_retrain": rt.loc[keys, "margin_retrain"].to_numpy(),
        "lam_retrain": rt.loc[keys, "lam_retrain"].to_numpy()})


def _default_comparison(data):
    return compare(data.prepared, (data.default_point,))


def page_datasets(data, width):
    """The named datasets every layout reads: small tables as records (exact floats),
    large ones as CSV text (coordinates to 9 significant digits)."""
    t = data.tables
    s = tv.STYLES["compact"]        # the large layout is 1.5x in both width and font
    verdicts = t["verdicts"].assign(
        sentence=[tv.wrap(v, width, s) for v in t["verdicts"]["sentence"]],
        summary=[tv.wrap(v, width, s, bold=True) for v in t["verdicts"]["summary"]])
    out = {"points": t["points"].to_dict(orient="records"),
           "cards": t["cards"].to_dict(orient="records"),
           "verdicts": verdicts.to_dict(orient="records")}
    for name in ("after", "retrain"):
        out[name] = t[name].to_csv(index=False, float_format=COORDINATE_DIGITS)
    if "lines" in t:        # only drawn, never shown as numbers: 5 digits are sub-pixel
        out["lines"] = t["lines"].drop(columns="label").to_csv(index=False, float_format="%.5g")
    return out


def page_html(data):
    """The whole page (str): template, payload, bundle."""
    sc = data.prepared.scenario
    datasets = page_datasets(data, widths(data, 1.0)[2] - 2 * tv.STYLES["compact"].font)
    lines = tuple(max(v[key].count("\n") + 1 for v in datasets["verdicts"])
                  for key in ("summary", "sentence"))
    specs = {name: page_spec(data, name, lines) for name in LAYOUTS}
    payload = {"specs": specs, "large": list(LARGE_SCREEN), "datasets": datasets,
               "scales": list(data.scales), "default_point": data.default_point,
               "failed": {str(k): v for k, v in data.failed.items()}}
    text = json.dumps(payload, allow_nan=False, separators=(",", ":"))
    text = text.replace("</", "<\\/").replace("<!--", "<\\!--")   # stays inside <script>
    scenario = (f"{scenario_line(sc)} · ρ = {data.prepared.gauge.rho:.3g} "
                f"({data.prepared.gauge.regime}) · precomputed by the engine, offline")
    page = TEMPLATE.read_text(encoding="utf-8")
    page = page.replace("%%TITLE%%", html.escape(PAGE_TITLE))
    page = page.replace("%%SCENARIO%%", html.escape(scenario))
    head, rest = page.split("%%PAYLOAD%%")
    middle, tail = rest.split("%%BUNDLE%%")
    return "".join([head, text, middle, javascript_bundle(), tail])


def make_page(scenario, progress=None, prepared=None, scales=TALK_SCALES):
    """(html text, seconds, TalkData) of the page for ``scenario`` (trained here unless
    ``prepared`` is given); ``progress(fraction, text)`` as in ``present.talk_data``."""
    start = time.perf_counter()
    prep = prepared if prepared is not None else prepare(scenario)
    data = precompute(prep, scales, progress=progress)
    return page_html(data), time.perf_counter() - start, data
