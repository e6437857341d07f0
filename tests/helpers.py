"""Helpers the app tests share (plain functions; the fixtures are in conftest.py)."""
import os
import re
import shutil
import time
from contextlib import contextmanager

import pytest

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


# ------------------------------------------------------------------ the real browser

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync", "--disable-quic"]


def chromium_path():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def require_browser():
    """Chromium's path and the playwright module, or a skip (a failure in CI)."""
    in_ci = os.environ.get("CI", "").lower() == "true"
    path = chromium_path()
    try:
        import playwright.sync_api  # noqa: F401  (only whether it imports)
    except ImportError:
        path = None if not in_ci else pytest.fail("CI=true but the playwright package is "
                                                  "missing: pip install -r requirements-dev.txt")
    if path is None:
        if in_ci:
            pytest.fail("CI=true but Chromium is missing: apt-get install chromium")
        pytest.skip("no Chromium on this machine (apt-get install chromium) or no playwright; "
                    "CI runs this test")
    return path


@contextmanager
def chromium():
    """A launched headless Chromium (Playwright), closed on exit; a skip where Chromium or
    Playwright is missing (a failure in CI). The ``browser`` fixture of conftest.py."""
    path = require_browser()
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
