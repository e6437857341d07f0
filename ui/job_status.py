"""The status bar of background jobs, on top of every page (``ui.jobs`` runs them).

Each running job of the session: a progress bar with what it does, the time elapsed and
left, and a Cancel button; each job waiting for a confirmation (above the work limit): the
question with Start anyway / Don't start. While a job runs the bar is an
``st.fragment(run_every=POLL_SECONDS)``; it reruns the whole app once a job ends (so that
``ui.jobs.collect`` commits its result) or starts (so that the bar polls it). app.py draws
it at the top of every run.
"""
import streamlit as st

from ui import state
from ui.jobs import cancel, confirm, describe, max_seconds, running, seconds_text

POLL_SECONDS = 0.5      # refresh while a job runs


def _question(job):
    with st.container(border=True):
        st.warning(f"**{job.label}** would take about {seconds_text(job.estimate)} on this "
                   f"server, more than its limit of {seconds_text(max_seconds())}. Start it?",
                   icon=":material/schedule:")
        with st.container(horizontal=True, gap="small"):
            st.button("Start anyway", key=f"ux.jobbar.confirm.{job.slot}", on_click=confirm,
                      args=(job.slot,), type="primary", icon=":material/play_arrow:")
            st.button("Don't start", key=f"ux.jobbar.cancel.{job.slot}", on_click=cancel,
                      args=(job.slot,), icon=":material/block:")


def _progress_line(job):
    bar, button = st.columns([6, 1], vertical_alignment="center")
    bar.progress(job.fraction, text=describe(job))
    button.button("Cancel", key=f"ux.jobbar.cancel.{job.slot}", on_click=cancel,
                  args=(job.slot,), disabled=job.cancel_event.is_set(),
                  icon=":material/cancel:", width="stretch")


def _body():
    ended = [job for job in state.jobs().values()
             if job.status not in ("running", "asking") and not job.announced]
    for job in ended:
        job.announced = True
    if ended or any(job.running and not job.polled for job in state.jobs().values()):
        st.rerun()              # a job ended (show or commit it) or started (poll it)
    for job in list(state.jobs().values()):
        if job.status == "asking":
            _question(job)
        elif job.running:
            _progress_line(job)


def status_bar():
    """Every running job of the session with progress and Cancel, and every job waiting for
    a confirmation with its question (app.py draws it on every run, at the top).

    While a job runs this is a fragment that refreshes itself every POLL_SECONDS and reruns
    the app once the job ends; otherwise it does not poll.
    """
    for job in state.jobs().values():
        job.announced = job.announced or job.status not in ("running", "asking")
        job.polled = job.polled or job.running
    every = POLL_SECONDS if running() else None
    st.fragment(_body, run_every=every)()
