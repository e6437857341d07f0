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
from core.registry import default_names
from core.scenario import Scenario
from present import share
from present.text import as_text
from ui import cached, jobs, slides_panel, state, uploads
from ui.job import Status
from ui.widgets import show_error

_ROUTED = threading.local()     # set while app.py runs the current page (per script thread)
_WARM = threading.Event()       # the kernels are loaded in this process (no spinner needed)
_WARM_LOCK = threading.Lock()   # one session loads them; the others wait
# The app's pages, in the order of the bar: (key, script, title, icon); the Overview reads
# first and Unlearn is the landing page (app.py builds the navigation from this list).
PAGE_LIST = (("overview", "pages/1_overview.py", "Overview", ":material/info:"),
             ("unlearn", "pages/3_unlearn.py", "Unlearn", ":material/ads_click:"),
             ("data", "pages/2_data.py", "Data & training", ":material/model_training:"),
             ("kkt", "pages/4_kkt.py", "KKT inspector", ":material/grid_on:"),
             ("step", "pages/5_step_size.py", "Step size", ":material/tune:"),
             ("scaling", "pages/6_scaling.py", "Scaling", ":material/trending_down:"),
             ("generalization", "pages/7_generalization.py", "Generalization",
              ":material/verified:"),
             ("methods", "pages/8_methods.py", "Methods", ":material/compare_arrows:"))
PAGES = {key: script for key, script, _, _ in PAGE_LIST}
LANDING = "unlearn"


def navigation():
    """The app's pages as st.Page objects, in the order of the bar (the landing page is
    Unlearn)."""
    return [st.Page(script, title=title, icon=icon, default=key == LANDING)
            for key, script, title, icon in PAGE_LIST]
BASE_CSS = """<style>
[data-testid="stMainBlockContainer"] { padding-top: 4.4rem; padding-bottom: 2rem; }
[data-testid="stMetricValue"] { font-size: 1.8rem; }
[data-testid="stMainBlockContainer"] h3 { padding: 0.2rem 0 0 0; }
[class*="st-key-card_"] [data-testid="stMetricValue"] { font-size: 1.55rem; }
[class*="st-key-card_"] { gap: 0.35rem; }
.st-key-jobbar { position: fixed; bottom: 0; left: 0; right: 0; z-index: 999;
  background: var(--background-color, #fff); padding: 0 4rem; gap: 0.3rem;
  box-shadow: 0 -2px 8px rgba(0, 0, 0, 0.12); }
.st-key-jobbar:has(*) { padding-top: 0.5rem; padding-bottom: 0.5rem; }
.st-key-cards_table table { font-size: 1.05rem; }
.st-key-cards_table td, .st-key-cards_table th { white-space: nowrap; padding: 0.3rem 0.6rem; }
</style>"""
PRESENTATION_CSS = """<style>
html { font-size: 18px; }
[class*="st-key-card_"] [data-testid="stMetricValue"] { font-size: 1.7rem; }
</style>"""
NOTICE = {"error": (st.error, ":material/error:"), "info": (st.info, ":material/info:"),
          "success": (st.success, ":material/check_circle:")}


def start_session(warm_up, method_files=None):
    """Router work on every run: the link's state on a new session, finished jobs
    committed, the Numba warm-up (``warm_up()``, once per process: app.py passes
    ``explorer.warmup.warm_up``, an entry point above this layer), the current model, the
    default forget set, and a valid forget list. ``method_files``: what loading the user's
    method files gave (``explorer.method_files.Loaded``); its errors are shown."""
    message = state.init()
    if message:
        st.warning(as_text(message), icon=":material/link_off:")   # quotes the link
    for error in getattr(method_files, "errors", ()):
        st.warning(as_text(error), icon=":material/extension_off:")
    uploads.remember(state.data_files())
    jobs.collect()
    if any(not job.seen_running for job in jobs.running()):
        st.rerun()          # a job started while committing another: let the status bar poll
    if not _WARM.is_set():
        with st.spinner("Loading the compiled kernels (first start of the server "
                        "only)..."), _WARM_LOCK:
            if not _WARM.is_set():
                warm_up()
                _WARM.set()
    prep = _current_model()
    if prep is None:        # the linked scenario trains (or waits for a confirmation):
        state.sync_url()    # the pages draw what needs no model (``require_prepared``)
        return
    if state.get("history") is None:
        state.set_history((default_forget(prep),))
    try:
        cached.checked(state.get("scenario"), state.forget())
    except InputError as err:
        show_error(err, "The forget list was reset to the default point.")
        state.set_history((default_forget(prep),))
    state.sync_url()


def _current_model():
    """The committed scenario's Prepared; a scenario this session has not trained yet (a
    link, a loaded file) is trained as the "link" job, after a confirmation above the limit
    (a link alone never starts such work). Declined, cancelled or failing: the default demo.
    """
    sc = state.get("scenario")
    if state.was_trained(cached.key_of(sc)) or cached.is_ready(sc):
        state.mark_trained(cached.key_of(sc))         # another session trained it: reuse
        return cached.prepared(sc)
    job = jobs.get("link")
    if job is not None and job.key == cached.key_of(sc) and job.status is Status.CANCELLED:
        jobs.drop("link")
        state.load(share.Shared(Scenario()))
        state.notify("The linked or loaded scenario was not trained (cancelled); showing "
                     "the default demo.", level="info")
        sc = state.get("scenario")
    try:
        prep = jobs.result("link", cached.key_of(sc), cached.training_work(sc),
                           "Training the linked scenario", cached.cost(sc, prepare=True, result=()),
                           stop=False,
                           show=False)
        if prep is None:
            return None
    except InputError as err:
        jobs.drop("link")
        show_error(err, "The link's scenario could not be trained; showing the default demo.")
        state.commit(Scenario())
        sc = state.get("scenario")
        prep = cached.prepared(sc)
    state.mark_trained(cached.key_of(sc))
    return prep


def train_then(scenario, label, apply):
    """Train ``scenario`` as the "train" job, then ``apply(prep)``, which makes it current
    and returns the message to show (its InputError keeps the state as it was); the
    comparison on the new state is started next (the Unlearn page then finds it running
    or done). Reruns the app (the status bar shows the job, or the page the new state)."""
    def done(prep):
        try:
            message = apply(prep)
        except InputError as err:
            state.notify(f"{err} The current state is kept.", level="error")
            return
        state.mark_trained(cached.key_of(scenario))
        if message:
            state.notify(message)
        start_comparison()

    jobs.start("train", cached.key_of(scenario), cached.training_work(scenario), label,
               cached.cost(scenario, prepare=True), on_done=done, wait=jobs.QUICK_WAIT)
    st.rerun()


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
    """The current scenario's Prepared, or an error with a way out (then the page stops);
    while the linked scenario trains or waits for a confirmation, a line saying so (the
    page stops there, under its header)."""
    sc = state.get("scenario")
    if not state.was_trained(cached.key_of(sc)):
        job = jobs.get("link")
        if job is not None and job.status is Status.ASKING:
            st.info("Training the linked scenario waits for your confirmation (above).",
                    icon=":material/schedule:")
        else:
            st.caption(":material/hourglass_top: Training the linked scenario (progress "
                       "above); this page shows it when it is done.")
        st.stop()
    try:
        return cached.prepared(sc)
    except InputError as err:
        show_error(err)
        st.page_link(PAGES["data"], label="Change the settings on Data & training")
        st.stop()


def _comparison_work():
    """(key, work, cost) of the comparison on the current state."""
    sc, forget, scale, seq = (state.get("scenario"), state.forget(), state.get("scale"),
                              state.get("sequential"))
    return (cached.key_of(sc, forget, scale, seq),
            lambda progress: cached.comparison(sc, forget, scale, seq, _progress=progress),
            cached.cost(sc, comparison=len(default_names(sc.model)),
                        result=("comparison", forget, scale, seq)))


def start_comparison():
    """Start the comparison on the current state in the background (after training)."""
    if state.forget():
        jobs.start("compare", *_comparison_work()[:2], "Comparing the methods",
                   _comparison_work()[2])


def current_comparison(waiting="Retraining without the forgotten points..."):
    """The methods on the current forget list, or an error with a way out (the page stops).

    Computed as the "compare" job (retraining, then each method's certificate, with staged
    progress and Cancel); the page stops here until it ends.
    """
    key, work, cost = _comparison_work()
    try:
        return jobs.result("compare", key, work, "Comparing the methods", cost, waiting=waiting)
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
    mid.toggle("Presentation", value=state.get("presentation"), key=key,
               on_change=state.store_widget, args=("presentation", key),
               help="Larger fonts and thicker marks for talks.")
    with right.popover("Share / save", icon=":material/share:", width="stretch"):
        # the file's text now, in the script thread: a callable would run at click time,
        # without this session's state (the download was empty)
        st.download_button("Download scenario", data=share.to_json(state.shared()),
                           file_name="scenario.json", mime="application/json",
                           on_click="ignore", key="ux.dl.scenario",
                           icon=":material/download:")
        slides_panel.download_button()
        slides_panel.talk_button()
        upload = st.file_uploader("Load a scenario file", type=["json"],
                                  key=state.widget_key("scenario_file"))
        st.caption("The link in the address bar reopens this exact state in any browser "
                   "connected to this server.")
    if upload is not None:
        _load_scenario_file(upload)
    notice = state.pop_notice()
    if notice:
        alert, icon = NOTICE.get(notice.level, NOTICE["success"])
        alert(as_text(notice.message), icon=icon)    # may quote a file name or an error
    st.html(BASE_CSS + (PRESENTATION_CSS if state.get("presentation") else ""))
    if caption:
        st.caption(caption)


def _load_scenario_file(upload):
    """A scenario file: checked, then trained as the "train" job before it replaces the
    state (after a confirmation above the limits); a bad file leaves the state as it was."""
    def handle():
        shared = share.from_json(upload.getvalue())
        if state.was_trained(cached.key_of(shared.scenario)):
            cached.checked(shared.scenario, shared.forget)
        return shared

    shared, err, fresh = state.once_per_upload("scenario", upload.file_id, handle)
    if err is not None:
        show_error(err, "The current state is kept.")
    elif fresh:
        def load(prep):
            cached.checked(shared.scenario, shared.forget)
            state.load(shared)
            return (f"Loaded {upload.name}: forgetting "
                    f"{list(shared.forget) or 'nothing'}.")

        train_then(shared.scenario, "Training the loaded scenario", load)
