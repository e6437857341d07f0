"""Session start and routing: what runs before and around every page.

app.py calls ``start_session`` (the link's state, finished background jobs committed, the
Numba warm-up, the current model) and ``run_routed``; every page starts with
``page_header`` and gets the current model and comparison from ``require_prepared`` and
``current_comparison``. Long work goes through ``ui.jobs``; widgets live in ``ui.widgets``.
"""
import runpy
import threading

import streamlit as st

from core.compare import default_forget
from core.errors import InputError
from core.scenario import Scenario
from present import share
from ui import cached, jobs, state, uploads
from ui import slides_panel as slides_view
from ui.widgets import show_error

_ROUTED = threading.local()     # set while app.py runs the current page (per script thread)
_WARM = threading.Event()       # the kernels are loaded in this process (no spinner needed)
_WARM_LOCK = threading.Lock()   # one session loads them; the others wait
PAGES = {"overview": "pages/1_overview.py", "data": "pages/2_data.py",
         "unlearn": "pages/3_unlearn.py", "kkt": "pages/4_kkt.py",
         "step": "pages/5_step_size.py"}
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
NOTICE = {"error": (st.error, ":material/error:"), "info": (st.info, ":material/info:"),
          "success": (st.success, ":material/check_circle:")}


def start_session(warm_up):
    """Router work on every run: the link's state on a new session, finished jobs
    committed, the Numba warm-up (``warm_up()``, once per process: app.py passes
    ``explorer.warmup.warm_up``, an entry point above this layer), the current model, the
    default forget set, and a valid forget list."""
    message = state.init()
    if message:
        st.warning(message, icon=":material/link_off:")
    uploads.remember(state.data_files())
    jobs.collect()
    if any(not job.polled for job in jobs.running()):
        st.rerun()          # a job started while committing another: let the status bar poll
    if not _WARM.is_set():
        with st.spinner("Loading the compiled kernels (first start of the server "
                        "only)..."), _WARM_LOCK:
            if not _WARM.is_set():
                warm_up()
                _WARM.set()
    prep = _current_model()
    if state.history() is None:
        state.set_history((default_forget(prep),))
    try:
        cached.checked(state.scenario(), state.forget())
    except InputError as err:
        show_error(err, "The forget list was reset to the default point.")
        state.set_history((default_forget(prep),))
    state.sync_url()


def _current_model():
    """The committed scenario's Prepared; a scenario this session has not trained yet (a
    link, a loaded file) is trained as the "link" job, after a confirmation above the limit
    (a link alone never starts such work). Declined, cancelled or failing: the default demo.
    """
    sc = state.scenario()
    if cached.key_of(sc) in state.trained():
        return cached.prepared(sc)
    job = jobs.get("link")
    if job is not None and job.key == cached.key_of(sc) and job.status == "cancelled":
        jobs.drop("link")
        state.load(share.Shared(Scenario()))
        state.notify("The linked or loaded scenario was not trained (cancelled); showing "
                     "the default demo.", level="info")
        sc = state.scenario()
    try:
        prep = train_as_job("link", sc, "Training the linked scenario")
    except InputError as err:
        jobs.drop("link")
        show_error(err, "The link's scenario could not be trained; showing the default demo.")
        state.commit(Scenario())
        sc = state.scenario()
        prep = cached.prepared(sc)
    state.trained().add(cached.key_of(sc))
    return prep


def train_as_job(slot, scenario, label):
    """``cached.prepared(scenario)`` through ``jobs.run``: inline when quick, else a job
    with progress, estimate and Cancel (the script stops until it ends)."""
    def work(progress):
        return cached.prepared(scenario, _progress=cached.training_progress(progress))

    return jobs.run(slot, cached.key_of(scenario), work, label,
                    estimate=cached.estimate(scenario))


def commit_when_trained(scenario, history, label):
    """Train ``scenario`` (in this run when quick, else as the "train" job), then make it
    current with ``history``. True when that already happened (the caller reruns)."""
    def commit(prep):
        state.commit(scenario, history)
        state.trained().add(cached.key_of(scenario))

    def work(progress):
        return cached.prepared(scenario, _progress=cached.training_progress(progress))

    return jobs.start("train", cached.key_of(scenario), work, label,
                      cached.estimate(scenario), on_done=commit)


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


def _comparison_job():
    """(slot, key, work, label, estimate) of the comparison on the current state."""
    sc, forget, scale, seq = (state.scenario(), state.forget(), state.scale(),
                              state.sequential())
    return ("compare", cached.key_of(sc, forget, scale, seq),
            lambda progress: cached.comparison(sc, forget, scale, seq, _progress=progress),
            "Comparing the methods", cached.estimate(sc, certificates=3))


def prefetch_comparison():
    """Start the comparison on the current state in the background unless it is quick
    (after training: the Unlearn page then finds it running or done)."""
    slot, key, work, label, estimate = _comparison_job()
    if estimate > jobs.QUICK_SECONDS:
        jobs.submit(slot, key, work, label, estimate)


def current_comparison(spinner="Retraining without the forgotten points..."):
    """The methods on the current forget list, or an error with a way out (the page stops).

    Computed as the "compare" job (retraining, then each method's certificate, with staged
    progress and Cancel) unless it is quick; the page stops here until it ends.
    """
    slot, key, work, label, estimate = _comparison_job()
    try:
        return jobs.run(slot, key, work, label, estimate=estimate, waiting=spinner)
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
        st.download_button("Download scenario", data=lambda: share.to_json(state.shared()),
                           file_name="scenario.json", mime="application/json",
                           on_click="ignore", key="ux.dl.scenario",
                           icon=":material/download:")
        slides_view.download_button()
        slides_view.talk_button()
        upload = st.file_uploader("Load a scenario file", type=["json"],
                                  key=state.widget_key("scenario_file"))
        st.caption("The link in the address bar reopens this exact state in any browser "
                   "connected to this server.")
    if upload is not None:
        _load_scenario_file(upload)
    notice = state.pop_notice()
    if notice:
        alert, icon = NOTICE.get(notice[0], NOTICE["success"])
        alert(notice[1], icon=icon)
    st.html(BASE_CSS + (PRESENTATION_CSS if state.presentation() else ""))
    if caption:
        st.caption(caption)


def _load_scenario_file(upload):
    """A scenario file: checked and trained before it replaces the state (quick ones at
    once; longer ones when the "link" job ends, after a confirmation above the limit)."""
    def handle():
        shared = share.from_json(upload.getvalue())
        if cached.estimate(shared.scenario) <= jobs.QUICK_SECONDS:
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
