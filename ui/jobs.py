"""Long work as background jobs you can see and stop (docs/architecture.md §Jobs).

A job runs ``work(progress)`` in a daemon thread of the server (the Numba kernels release
the GIL, so every session stays live). ``progress(fraction, text=None)`` records how far it
got and raises ``core.errors.Cancelled`` once the user pressed Cancel or the browser session
is gone; the engine calls it between chunks of work (training steps, certificates, sweep
runs), so a job stops within one chunk.

The job objects live in the session (``ui.state.jobs``), one per *slot* (e.g. "train",
"compare"): reruns, toggles and page switches never touch them. The status bar
(``ui.job_status``, drawn by app.py at the top of every run; a job started later in a run
reruns the app) shows each running job with its progress, elapsed time, estimate and a
Cancel button; it polls as an ``st.fragment(run_every=...)`` while a job runs and reruns
the whole app once when one ends. ``collect`` (at session start) hands finished results to
their ``on_done`` callback in the script thread, which commits them to the session.

Work above the time limit (``max_seconds``: the environment variable UNLEARN_MAX_SECONDS,
else ``max_seconds`` in .streamlit/limits.toml, else 60 s) is not started until the user
confirms it: such a job waits in the "asking" state and the status bar asks.

Session end (``ui.job``): the job asks the runtime's session manager
(``runtime.get_instance().is_active_session``) between chunks, and cancels itself once the
session has been gone for SESSION_GRACE seconds (a reconnect within that time keeps it).
Without a runtime (AppTest, bare scripts) a job never cancels itself.
"""
import os
import threading
import time
import tomllib

import streamlit as st
from streamlit import runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from core.errors import InputError
from ui import state
from ui.cached import APP_DIR
from ui.job import Job, run_job

GRACE_SECONDS = 0.3     # a job finishing this fast (a cache hit) is used in the same run
QUICK_SECONDS = 2.0     # work estimated below this runs in the script (no job, no Cancel)
SPINNER_SECONDS = 0.5   # quick work estimated below this runs without a spinner
DETACH_SECONDS = 5.0    # work without an estimate is waited for this long, then detached
DEFAULT_MAX_SECONDS = 60.0
LIMITS_FILE = APP_DIR / ".streamlit" / "limits.toml"


def max_seconds():
    """Estimated seconds above which work waits for a confirmation (see the module doc)."""
    value = os.environ.get("UNLEARN_MAX_SECONDS")
    if value is None and LIMITS_FILE.is_file():
        with open(LIMITS_FILE, "rb") as fh:
            value = tomllib.load(fh).get("max_seconds")
    try:
        return float(value) if value is not None else DEFAULT_MAX_SECONDS
    except ValueError:
        return DEFAULT_MAX_SECONDS


def submit(slot, key, work, label, estimate=None, on_done=None):
    """Start ``work(progress)`` in the background in ``slot``; returns the Job.

    A running (or asking) job of the same slot and key is kept and returned; one with
    another key is cancelled: the newer request replaces it. Work estimated above
    ``max_seconds`` and not yet confirmed in this session waits in the "asking" state.
    """
    current = state.jobs().get(slot)
    if current is not None and current.status in ("running", "asking"):
        if current.key == key:
            return current
        current.cancel()
    job = Job(slot=slot, key=key, label=label, estimate=estimate, on_done=on_done,
              session_id=_session_id(), text=label, work=work, status="asking")
    state.jobs()[slot] = job
    if estimate is None or estimate <= max_seconds() or key in state.confirmed_work():
        _start(job)
    return job


def _session_id():
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None and runtime.exists() else None


def run_here(work, label, estimate=None):
    """``work(progress)`` in a worker thread while this run waits and draws its progress.

    Not kept across reruns (use ``run`` or ``start`` for that): a rerun, a page switch or
    the end of the session cancels it, and the script waits at most one chunk for it to
    stop, so no orphan keeps a core busy. Raises the work's InputError.
    """
    job = Job(slot="here", key=label, label=label, estimate=estimate,
              session_id=_session_id(), text=label, work=work)
    _start(job)
    bar = st.progress(0.0, text=label)
    try:
        while job.running:
            bar.progress(job.fraction, text=describe(job))
            job.thread.join(0.1)
    finally:
        job.cancel()                   # only matters when the script was interrupted
        job.thread.join()
    bar.empty()
    if job.status == "failed":
        raise job.error if isinstance(job.error, InputError) else InputError(
            f"{label} failed: {job.error}")
    if job.status == "cancelled":      # the session went away while it ran
        st.stop()
    return job.result


def _start(job):
    job.status, job.started = "running", time.monotonic()
    job.thread = threading.Thread(target=run_job, args=(job, job.work), daemon=True,
                                  name=f"job-{job.slot}")
    job.thread.start()


def confirm(slot):
    """Button callback: start the asking job of ``slot`` (and allow its key from now on)."""
    job = get(slot)
    if job is not None and job.status == "asking":
        state.confirmed_work().add(job.key)
        _start(job)


def get(slot):
    """The job of ``slot`` (running or finished and not yet collected), or None."""
    return state.jobs().get(slot)


def cancel(slot):
    """Button callback: ask the job of ``slot`` to stop at its next chunk."""
    job = get(slot)
    if job is not None and job.status == "asking":
        job.status, job.ended = "cancelled", time.monotonic()
    elif job is not None:
        job.cancel()


def running():
    """The running jobs of this session."""
    return [job for job in state.jobs().values() if job.running]


def collect():
    """Commit finished jobs that have an ``on_done`` (session start, every run).

    Success runs ``on_done(result)``; a failure or a cancel leaves the state as it was and
    says so once (``ui.state.notify``). Jobs without ``on_done`` stay for ``run``.
    """
    for slot, job in list(state.jobs().items()):
        if job.status in ("running", "asking") or job.on_done is None:
            continue
        del state.jobs()[slot]
        if job.status == "done":
            job.on_done(job.result)
        elif job.status == "failed":
            state.notify(f"{job.label} failed: {job.error} The previous state is kept.",
                         level="error")
        else:
            state.notify(f"{job.label} was cancelled after {job.elapsed():.1f} s; "
                         "the previous state is kept.", level="info")


def run(slot, key, work, label, estimate=None, waiting=None, stop=True):
    """``work(progress)``'s result, computed as a background job (slot, key).

    Work estimated under QUICK_SECONDS runs here, in the script. A job that ends within
    GRACE_SECONDS (cached work) is used in this run. Otherwise the app reruns (so that the
    status bar shows the new job) and the script stops here after a line saying what runs
    (``waiting``), while the status bar shows its progress, asks for a confirmation above
    the limit, and reruns the app when the job ends; the next call returns its result
    (kept in the slot until another key comes). A cancelled job says so and offers to
    start again; a failed one raises its InputError (again on every call with that key,
    without recomputing). With ``stop=False`` the script goes on: None means not ready.
    """
    job = get(slot)
    if (job is None or job.key != key) and estimate is not None and estimate <= QUICK_SECONDS:
        drop(slot)
        return _inline(work, waiting or label, estimate)
    if job is None or job.key != key:
        job = submit(slot, key, work, label, estimate)
        if job.thread is not None:
            job.thread.join(GRACE_SECONDS)
        if job.status in ("running", "asking"):
            st.rerun()          # the status bar (drawn before) shows it from the next run
    if job.status == "done":
        return job.result
    if job.status == "failed":
        if isinstance(job.error, InputError):
            raise job.error
        raise InputError(f"{label} failed: {job.error}")
    if job.status == "cancelled":
        st.info(f"{label} was cancelled; nothing was changed.", icon=":material/cancel:")
        st.button("Start again", key=f"ux.job.again.{slot}", on_click=drop, args=(slot,),
                  icon=":material/replay:")
    elif job.status == "asking":
        st.info(f"{label} waits for your confirmation (above).", icon=":material/schedule:")
    else:
        st.caption(f":material/hourglass_top: {waiting or label} (progress above)")
    if stop:
        st.stop()
    return None


def start(slot, key, work, label, estimate=None, on_done=None):
    """Start work whose result ``on_done(result)`` commits: in this run when quick (then
    its InputError is raised here; returns True), else as a background job (``submit``;
    the app reruns when it is new; returns False)."""
    if estimate is not None and estimate <= QUICK_SECONDS:
        drop(slot)
        on_done(_inline(work, label, estimate))
        return True
    before = get(slot)
    if submit(slot, key, work, label, estimate, on_done) is not before:
        st.rerun()              # the status bar (drawn before) shows it from the next run
    return False


def start_or_wait(slot, key, work, label, on_done, wait=None):
    """Work without an estimate (a sweep): start it as a job, and wait up to ``wait``
    seconds (DETACH_SECONDS) in this run with a progress bar. Done by then: ``on_done`` runs
    now and True is returned. Else the job goes on in the background (status bar, Cancel,
    ``on_done`` when it ends) and the app reruns. While a job of the slot runs, returns
    False at once. Raises its InputError when it failed within the wait."""
    current = get(slot)
    if current is not None and current.status in ("running", "asking"):
        if current.key != key:
            current.cancel()
        else:
            return False
    job = submit(slot, key, work, label, None, on_done)
    bar, deadline = st.progress(0.0, text=label), time.monotonic() + (wait or DETACH_SECONDS)
    while job.running and time.monotonic() < deadline:
        bar.progress(job.fraction, text=describe(job))
        job.thread.join(0.1)
    bar.empty()
    if job.running:
        st.rerun()              # from now on the status bar shows it
    drop(slot)
    if job.status == "failed":
        raise job.error if isinstance(job.error, InputError) else InputError(
            f"{label} failed: {job.error}")
    if job.status == "done":
        on_done(job.result)
    return job.status == "done"


def _no_progress(fraction, text=None):
    return None


def _inline(work, label, estimate):
    """Quick work in the script: with a spinner only when it may be noticed (st.spinner
    starts a thread, a real cost on every rerun that hits the caches)."""
    if estimate < SPINNER_SECONDS:
        return work(_no_progress)
    with st.spinner(label):
        return work(_no_progress)


def drop(slot):
    """Forget the job of ``slot`` (button callback; a running one is cancelled first)."""
    job = state.jobs().pop(slot, None)
    if job is not None:
        job.cancel()


def seconds_text(seconds):
    """'45 s', '12 min', '3.0 h'."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def describe(job):
    """'label: text · 12 s elapsed · about 30 s left'."""
    parts = [job.text or job.label, f"{seconds_text(job.elapsed())} elapsed"]
    left = job.remaining()
    if job.cancel_event.is_set():
        parts.append("stopping...")
    elif left is not None:
        parts.append(f"about {seconds_text(left)} left")
    return " · ".join(parts)
