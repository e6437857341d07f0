"""Long work as background jobs you can see and stop: the app's one way to run work
(docs/architecture.md §Jobs).

Every computation a page or a button asks for runs as a ``ui.job.Job``: ``fn(progress)`` in
a daemon thread of the server (the Numba kernels release the GIL, so every session stays
live). ``progress(fraction, text=None)`` records how far it got and raises
``core.errors.Cancelled`` once the user pressed Cancel or the browser session is gone; the
engine calls it between chunks (training steps, certificates, sweep runs, shadow models),
so a job stops within one chunk, and a closed tab stops any work, quick or long.

The API:

- ``result(slot, key, fn, label, cost)``: the value a page needs. The job of ``slot`` for
  ``key`` (the inputs) is started if new and waited for up to QUICK_WAIT seconds; done in
  that time (a cache hit, quick work), its value is used in this run. Otherwise the page
  stops with a line saying what runs, while the status bar shows its progress and Cancel,
  and reruns the app when it ends; the next call returns the value (kept in the slot until
  another key comes).
- ``start(slot, key, fn, label, cost, on_done)``: work whose value ``on_done`` commits (a
  training from the form, a sweep), in the script thread once it ends (``collect``).
- ``cancel``, ``confirm``, ``drop`` (button callbacks), ``get``, ``running``, ``collect``.

The jobs live in the session (``ui.state``), one per *slot*: reruns, toggles and page
switches never touch them. Work above the time limit (``max_seconds``: UNLEARN_MAX_SECONDS,
else ``max_seconds`` in .streamlit/limits.toml, else 60 s) or the memory limit
(``max_memory_mb``: UNLEARN_MAX_MB, else ``max_memory_mb`` there, else 2048 MB) waits in
the ASKING state until the user confirms it in the status bar (``ui.job_status``).
"""
import os
import tomllib
from pathlib import Path

import streamlit as st
from streamlit import runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from core.errors import InputError
from present.text import as_text
from ui import state
from ui.job import Cost, Job, Status, Work

QUICK_WAIT = 1.0        # seconds a run waits for a new job before the status bar takes over
DEFAULT_MAX_SECONDS = 60.0
DEFAULT_MAX_MB = 2048.0
LIMITS_FILE = Path(__file__).resolve().parent.parent / ".streamlit" / "limits.toml"


def _limit(env, key, default):
    value = os.environ.get(env)
    if value is None and LIMITS_FILE.is_file():
        with open(LIMITS_FILE, "rb") as fh:
            value = tomllib.load(fh).get(key)
    try:
        return float(value) if value is not None else default
    except (TypeError, ValueError):
        return default


def max_seconds():
    """Estimated seconds above which work waits for a confirmation (see the module doc)."""
    return _limit("UNLEARN_MAX_SECONDS", "max_seconds", DEFAULT_MAX_SECONDS)


def max_memory_mb():
    """Estimated peak memory (MB) above which work waits for a confirmation."""
    return _limit("UNLEARN_MAX_MB", "max_memory_mb", DEFAULT_MAX_MB)


def over_limit(cost):
    """Why ``cost`` needs a confirmation ("" when it does not)."""
    cost = cost or Cost()
    reasons = []
    if cost.seconds is not None and cost.seconds > max_seconds():
        reasons.append(f"about {seconds_text(cost.seconds)}, more than its limit of "
                       f"{seconds_text(max_seconds())}")
    if cost.memory_mb is not None and cost.memory_mb > max_memory_mb():
        reasons.append(f"about {cost.memory_mb:,.0f} MB of memory, more than its limit of "
                       f"{max_memory_mb():,.0f} MB")
    return " and ".join(reasons)


def _session_id():
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None and runtime.exists() else None


def get(slot):
    """The job of ``slot`` (active, or ended and not yet collected), or None."""
    return state.job(slot)


def start(slot, key, fn, label, cost=None, on_done=None, wait=0.0):
    """Start ``fn(progress)`` as the job of ``slot``; returns the Job.

    An active job of the same slot and key is kept and returned; one with another key is
    cancelled (the newer request replaces it). Work over a limit (``over_limit``) and not
    confirmed in this session waits in the ASKING state. With ``wait`` > 0 the call waits
    that long, and a job that ended by then is committed now (``collect``).
    """
    current = get(slot)
    if current is not None and current.status.active:
        if current.key == key:
            return current
        current.cancel()
    job = Job(Work(slot, key, label, fn, cost or Cost(), on_done), _session_id())
    state.put_job(slot, job)
    if not over_limit(job.work.cost) or state.is_confirmed(_scope(key)):
        job.start()
        if wait > 0 and job.wait(wait) is not Status.RUNNING and on_done is not None:
            collect()
    return job


def result(slot, key, fn, label, cost=None, waiting=None, stop=True, show=True):
    """``fn(progress)``'s value for the inputs ``key``, computed as the job of ``slot``.

    New work is started and waited for up to QUICK_WAIT seconds. Done: its value is
    returned (now and on every later call with this key). Failed: its InputError is
    raised (again on later calls, without recomputing). Otherwise the page says what runs
    (``waiting``), waiting for a confirmation, or cancelled (with Start again), and stops
    there (``stop=False``: goes on, and None means not ready); a job started in this run
    reruns the app so that the status bar shows it. ``show=False`` draws nothing (the
    caller says it elsewhere).
    """
    job = get(slot)
    fresh = job is None or job.key != key
    if fresh:
        job = start(slot, key, fn, label, cost)
        job.wait(QUICK_WAIT)
    if not job.status.active:
        job.seen_ended = True           # this run shows how it ended: no rerun for that
    if job.status is Status.DONE:
        return job.result
    if job.status is Status.FAILED:
        raise job.error if isinstance(job.error, InputError) else InputError(
            f"{label} failed: {job.error}")
    if job.status.active and fresh:
        st.rerun()                      # the status bar, drawn before, shows it from now on
    if show:
        _say_why_not_ready(slot, job.status, as_text(label), as_text(waiting or label))
    if stop:
        st.stop()
    return None


def _say_why_not_ready(slot, status, label, waiting):
    """The page's line for a job that has no value yet: cancelled, asking or running."""
    if status is Status.CANCELLED:
        st.info(f"{label} was cancelled; nothing was changed.", icon=":material/cancel:")
        st.button("Start again", key=f"ux.job.again.{slot}", on_click=drop, args=(slot,),
                  icon=":material/replay:")
    elif status is Status.ASKING:
        st.info(f"{label} waits for your confirmation (above).", icon=":material/schedule:")
    else:
        st.caption(f":material/hourglass_top: {waiting} (progress above)")


def _scope(key):
    """What a confirmation covers: the key's scenario (``ui.cached.WorkKey``), else the key."""
    return getattr(key, "scope", key)


def confirm(slot):
    """Button callback: start the asking job of ``slot``; from now on, work on the same
    scenario does not ask again (the comparison after a confirmed training, say)."""
    job = get(slot)
    if job is not None and job.status is Status.ASKING:
        state.confirm_work(_scope(job.key))
        job.start()


def cancel(slot):
    """Button callback: ask the job of ``slot`` to stop at its next chunk."""
    job = get(slot)
    if job is not None:
        job.cancel()


def drop(slot):
    """Forget the job of ``slot`` (button callback; an active one is cancelled first)."""
    job = state.pop_job(slot)
    if job is not None:
        job.cancel()


def running():
    """The running jobs of this session."""
    return [job for job in state.all_jobs() if job.status is Status.RUNNING]


def collect():
    """Commit ended jobs that have an ``on_done`` (session start, every run).

    Success runs ``on_done(result)``; a failure or a cancel leaves the state as it was and
    says so once (``ui.state.notify``). Jobs without ``on_done`` stay for ``result``.
    """
    for job in state.all_jobs():
        if job.status.active or job.work.on_done is None:
            continue
        state.pop_job(job.slot)
        if job.status is Status.DONE:
            job.work.on_done(job.result)
        elif job.status is Status.FAILED:
            state.notify(f"{job.label} failed: {job.error} The previous state is kept.",
                         level="error")
        else:
            state.notify(f"{job.label} was cancelled after {job.elapsed():.1f} s; "
                         "the previous state is kept.", level="info")


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
    if job.cancelling:
        parts.append("stopping...")
    elif left is not None:
        parts.append(f"about {seconds_text(left)} left")
    return " · ".join(parts)
