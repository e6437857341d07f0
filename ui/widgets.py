"""Streamlit pieces the pages share: session start, page header, charts and tables with
downloads, method cards, errors.

Pages read widgets, call ``ui.cached`` and draw with these; state goes through ``ui.state``.
"""
import runpy
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import altair as alt
import streamlit as st

from core.compare import default_forget
from core.errors import InputError
from core.kkt import STATUS_TEXT
from core.scenario import Scenario
from ui import cached, export, share, slides_view, state, text
from ui.charts import PICK

_ROUTED = threading.local()     # set while app.py runs the current page (per script thread)
PAGES = {"overview": "pages/1_overview.py", "data": "pages/2_data.py",
         "unlearn": "pages/3_unlearn.py", "kkt": "pages/4_kkt.py",
         "step": "pages/5_step_size.py"}
EXPORT_WIDTH = 760          # pixels of single-view charts in PNG/SVG exports
BASE_CSS = """<style>
[data-testid="stMainBlockContainer"] { padding-top: 4.4rem; padding-bottom: 2rem; }
[data-testid="stMetricValue"] { font-size: 1.8rem; }
[data-testid="stMainBlockContainer"] h3 { padding: 0.2rem 0 0 0; }
[class*="st-key-card_"] [data-testid="stMetricValue"] { font-size: 1.55rem; }
[class*="st-key-card_"] { gap: 0.35rem; }
.st-key-cards4 [data-testid="stMetricValue"] { font-size: 1.2rem !important; }
.st-key-cards4 [class*="st-key-card_"] { padding: 0.7rem; }
.st-key-cards4 [class*="st-key-card_"] strong { font-size: 0.85rem; }
.st-key-cards4 [data-testid="stMetricLabel"] p { font-size: 0.75rem; }
</style>"""
PRESENTATION_CSS = """<style>
html { font-size: 18px; }
[class*="st-key-card_"] [data-testid="stMetricValue"] { font-size: 1.7rem; }
</style>"""


def selected_indices(event, param=PICK):
    """Point indices selected in a chart event; [] for no, empty or malformed selections.

    Works on Streamlit's VegaLiteState and on the plain dict AppTest injects; the empty
    selection arrives as ``{}`` (docs/architecture.md §Platform).
    """
    try:
        points = event["selection"][param]
    except (KeyError, TypeError, AttributeError):
        return []
    if not isinstance(points, (list, tuple)):
        return []
    out = []
    for point in points:
        try:
            index = int(point["index"])
        except (KeyError, TypeError, ValueError):
            continue
        if index not in out:
            out.append(index)
    return out


def show_error(err, action=""):
    """An engine error as an alert: its message (what is wrong and what to change)."""
    st.error(f"{err} {action}".strip(), icon=":material/error:")


def run_with_progress(work, label):
    """``work(progress)`` in a worker thread while a progress bar follows it.

    ``progress(fraction, text=None)`` only records numbers, so the cached engine calls
    inside ``work`` emit no Streamlit elements (which the caches would try to replay);
    the Numba kernels release the GIL, so other sessions stay live. Exceptions (InputError)
    are re-raised here.
    """
    seen = {"fraction": 0.0, "text": label}

    def progress(fraction, text=None):
        seen["fraction"] = min(max(float(fraction), 0.0), 1.0)
        seen["text"] = text or label

    bar = st.progress(0.0, text=label)
    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(work, progress)
        while not future.done():
            bar.progress(seen["fraction"], text=seen["text"])
            time.sleep(0.1)
    bar.empty()
    return future.result()


def start_session():
    """Router work on every run: the link's state on a new session, the Numba warm-up,
    the default forget set, and a valid forget list."""
    message = state.init()
    if message:
        st.warning(message, icon=":material/link_off:")
    with st.spinner("Loading the compiled kernels (first start of the server only)..."):
        cached.warm_up()
    try:
        with st.spinner("Training the model..."):
            prep = cached.prepared(state.scenario())
    except InputError as err:
        show_error(err, "The link's scenario could not be trained; showing the default demo.")
        state.commit(Scenario())
        prep = cached.prepared(state.scenario())
    if state.history() is None:
        state.set_history((default_forget(prep),))
    try:
        cached.checked(state.scenario(), state.forget())
    except InputError as err:
        show_error(err, "The forget list was reset to the default point.")
        state.set_history((default_forget(prep),))
    state.sync_url()


def run_routed(page):
    """app.py's last step: run the page, marked as reached through the router."""
    _ROUTED.active = True
    try:
        page.run()
    finally:
        _ROUTED.active = False


def require_router():
    """Run app.py (router, session start) if Streamlit ran this page without it, then stop.

    With a pages/ folder, the first script run of a fresh server goes through Streamlit's
    folder navigation, which runs a linked page (e.g. /data) by itself; app.py's
    st.navigation turns that mode off for the rest of the process. AppTest resets it on
    every run.
    """
    if getattr(_ROUTED, "active", False):
        return
    runpy.run_path(str(cached.APP_DIR / "app.py"), run_name="__main__")
    st.stop()


def require_prepared():
    """The current scenario's Prepared, or an error with a way out (then the page stops)."""
    try:
        return cached.prepared(state.scenario())
    except InputError as err:
        show_error(err)
        st.page_link(PAGES["data"], label="Change the settings on Data & training")
        st.stop()


def current_comparison(spinner="Retraining without the forgotten points..."):
    """The methods on the current forget list, or an error with a way out (the page stops)."""
    try:
        with st.spinner(spinner):
            return cached.comparison(state.scenario(), state.forget(), state.scale(),
                                     state.sequential())
    except InputError as err:
        show_error(err, "Undo the last removal or forget other points.")
        st.stop()


def page_header(title, caption=None):
    """Title row with the presentation toggle and the Share / save popover (every page
    starts with it; it also makes sure the router ran)."""
    require_router()
    left, mid, right = st.columns([5, 1.3, 1.3], vertical_alignment="center")
    left.markdown(f"### {title}")
    key = state.widget_key("presentation")
    mid.toggle("Presentation", value=state.presentation(), key=key, on_change=state.store_widget,
               args=("presentation", key), help="Larger fonts and thicker marks for talks.")
    with right.popover("Share / save", icon=":material/share:", width="stretch"):
        st.download_button("Download scenario", data=share.to_json(state.shared()),
                           file_name="scenario.json", mime="application/json",
                           on_click="ignore", key="ux.dl.scenario",
                           icon=":material/download:")
        slides_view.download_button()
        upload = st.file_uploader("Load a scenario file", type=["json"],
                                  key=state.widget_key("scenario_file"))
        st.caption("The link in the address bar reopens this exact state in any browser "
                   "connected to this server.")
    if upload is not None:
        _load_scenario_file(upload)
    notice = state.pop_notice()
    if notice and notice[0] == "error":
        st.error(notice[1], icon=":material/error:")
    elif notice:
        st.success(notice[1], icon=":material/check_circle:")
    st.html(BASE_CSS + (PRESENTATION_CSS if state.presentation() else ""))
    if caption:
        st.caption(caption)


def _load_scenario_file(upload):
    def handle():
        shared = share.from_json(upload.getvalue())
        with st.spinner("Training the loaded scenario..."):
            cached.prepared(shared.scenario)
        cached.checked(shared.scenario, shared.forget)
        return shared

    shared, err, fresh = state.once_per_upload("scenario", upload.file_id, handle)
    if err is not None:
        show_error(err, "The current state is kept.")
    elif fresh:
        state.load(shared)
        state.notify(f"Loaded {upload.name}: forgetting {list(shared.forget) or 'nothing'}.")
        st.rerun()


def _export_chart(chart):
    if isinstance(chart, (alt.Chart, alt.LayerChart)) and chart.width is alt.Undefined:
        return chart.properties(width=EXPORT_WIDTH)
    return chart


def chart(chart, name, key=None, on_select="ignore", downloads=True):
    """st.altair_chart plus PNG and SVG downloads (unless ``downloads`` is False: then draw
    them with ``chart_downloads`` where they should go)."""
    stretch = isinstance(chart, (alt.Chart, alt.LayerChart))
    event = st.altair_chart(chart, key=key, on_select=on_select, theme=None,
                            width="stretch" if stretch else "content")
    if downloads:
        with st.container(horizontal=True, gap="small"):
            chart_downloads(chart, name)
    return event


def chart_downloads(chart, name):
    """PNG and SVG download buttons of a chart, rendered by vl-convert only on click."""
    spec = _export_chart(chart).to_json(validate=False)
    stem = export.file_stem(name)
    st.download_button("PNG", data=lambda: export.png_bytes(spec), file_name=f"{stem}.png",
                       mime="image/png", on_click="ignore", key=f"ux.dl.{stem}.png",
                       type="tertiary", icon=":material/download:")
    st.download_button("SVG", data=lambda: export.svg_text(spec), file_name=f"{stem}.svg",
                       mime="image/svg+xml", on_click="ignore", key=f"ux.dl.{stem}.svg",
                       type="tertiary", icon=":material/download:")


def certificate_notes(certificates):
    """One warning naming the certificates whose dual recovery did not converge, and what
    their eps means (``core.kkt.STATUS_TEXT``). ``certificates``: {label: Certificate}."""
    stopped = {label: cert for label, cert in certificates.items() if not cert.converged}
    if stopped:
        statuses = sorted({STATUS_TEXT[cert.status] for cert in stopped.values()})
        st.warning(f"Certificate of {', '.join(stopped)}: {'; '.join(statuses)}. Typical when "
                   "n ≥ d: the data are low-dimensional and λ is not unique.",
                   icon=":material/warning:")


def table(df, name, **kwargs):
    """st.dataframe plus a CSV download."""
    st.dataframe(df, **kwargs)
    stem = export.file_stem(name)
    st.download_button("CSV", data=export.csv_bytes(df), file_name=f"{stem}.csv",
                       mime="text/csv", on_click="ignore", key=f"ux.dl.{stem}.csv",
                       type="tertiary", icon=":material/download:")


def method_cards(methods, has_test=False):
    """One bordered card per method (side by side): eps_rel, delta, tau, cosine to retrain
    (and test accuracy where there is a test set). ``methods``: methods_frame by name."""
    metrics = list(text.CARD_METRICS) + ([("test_accuracy", "test accuracy")] if has_test else [])
    row_box = st.container(key=f"cards{len(methods)}")
    for col, (name, row) in zip(row_box.columns(len(methods), gap="small"), methods.iterrows()):
        with col.container(border=True, key=f"card_{name}", height="stretch"):
            st.markdown(f"**{row['label']}**")
            for metric, label in metrics:
                st.metric(label, text.fmt(row.get(metric), text.card_format(metric)),
                          help=text.METRIC_HELP[metric])


def bound_slider(name, label, low, high, step, help=None):
    """A slider bound to setting ``name`` of ``ui.state`` (kept across pages)."""
    key = state.widget_key(name)
    return st.slider(label, low, high, value=getattr(state, name)(), step=step, key=key,
                     on_change=state.store_widget, args=(name, key), help=help)


def bound_toggle(name, label, help=None):
    """A toggle bound to setting ``name`` of ``ui.state``."""
    key = state.widget_key(name)
    return st.toggle(label, value=getattr(state, name)(), key=key,
                     on_change=state.store_widget, args=(name, key), help=help)
