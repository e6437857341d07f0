"""Helpers the app tests share (plain functions; the fixtures are in conftest.py)."""
import re
import time

APP_TIMEOUT = 120        # s per AppTest run: the first run may load the Numba cache


def settle(at, timeout=APP_TIMEOUT):
    """Wait for the session's background jobs and rerun, until none is active and the last
    run saw each end: what the status bar does in a browser (AppTest does not run its
    timer). Returns ``at``."""
    deadline = time.monotonic() + timeout
    while True:
        jobs = at.session_state["ux.jobs"] if "ux.jobs" in at.session_state else {}
        active = [job for job in jobs.values() if job.status.active]
        asking = [job for job in active if job.status.value == "asking"]
        # a job that ended after the status bar was drawn: the bar's poll reruns the app
        unseen = [job for job in jobs.values() if not job.status.active and not job.seen_ended]
        if not (active or unseen) or asking or time.monotonic() > deadline:
            return at
        for job in active:
            job.wait(max(deadline - time.monotonic(), 0.0))
        at.run()


def shown(text):
    """What a reader sees of Markdown text the app escaped with ``present.text.as_text``:
    backslash escapes resolved, word joiners dropped (for asserting on alert texts)."""
    return re.sub(r"\\(.)", r"\1", text).replace("\u2060", "")
