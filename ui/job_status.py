"""The status bar of background jobs, on top of every page (``ui.jobs`` runs them).

Each running job of the session: a progress bar with what it does, the time elapsed and
left, and a Cancel button, in a bar pinned to the bottom of the window (so a job that
starts or ends never moves the page under the pointer); each job waiting for a
confirmation (over the time or memory limit): the question with Start anyway / Don't
start. While a job runs the bar is an
``st.fragment(run_every=POLL_SECONDS)``; it reruns the whole app once a job ends (so that
``ui.jobs.collect`` commits its result and the page uses it) or starts (so that the bar
polls it). app.py draws it at the top of every run.
"""
import streamlit as st

from present.text import as_text
from ui import state
from ui.job import Status
from ui.jobs import cancel, confirm, describe, over_limit, running

POLL_SECONDS = 0.5      # refresh while a job runs


def _question(job):
    with st.container(border=True):
        st.warning(f"**{as_text(job.label)}** would take {over_limit(job.work.cost)} on this "
                   "server. Start it?", icon=":material/schedule:")
        with st.container(horizontal=True, gap="small"):
            st.button("Start anyway", key=f"ux.jobbar.confirm.{job.slot}", on_click=confirm,
                      args=(job.slot,), type="primary", icon=":material/play_arrow:")
            st.button("Don't start", key=f"ux.jobbar.cancel.{job.slot}", on_click=cancel,
                      args=(job.slot,), icon=":material/block:")


def _progress_line(job):
    bar, button = st.columns([6, 1], vertical_alignment="center")
    bar.progress(job.fraction, text=describe(job))
    button.button("Cancel", key=f"ux.jobbar.cancel.{job.slot}", on_click=cancel,
                  args=(job.slot,), disabled=job.cancelling,
                  icon=":material/cancel:", width="stretch")


def _body():
    jobs = state.all_jobs()
    ended = [job for job in jobs if not job.status.active and not job.seen_ended]
    for job in ended:
        job.seen_ended = True
    if ended or any(job.status is Status.RUNNING and not job.seen_running for job in jobs):
        st.rerun()              # a job ended (show or commit it) or started (poll it)
    for job in jobs:
        if job.status is Status.ASKING:
            _question(job)
        elif job.status is Status.RUNNING:
            _progress_line(job)


def status_bar():
    """Every running job of the session with progress and Cancel, and every job waiting for
    a confirmation with its question (app.py draws it on every run, at the top).

    While a job runs this is a fragment that refreshes itself every POLL_SECONDS and reruns
    the app once the job ends; otherwise it does not poll.
    """
    for job in state.all_jobs():
        job.seen_ended = job.seen_ended or not job.status.active
        job.seen_running = job.seen_running or job.status is Status.RUNNING
    every = POLL_SECONDS if running() else None
    with st.container(key="jobbar"):       # pinned to the window's bottom (ui.session CSS)
        st.fragment(_body, run_every=every)()
