"""Real-browser check of background jobs: Cancel stops a long training and the server's CPU
drops; closing the tab does too (after the session grace); a big link asks before it
starts any work (the server stays idle).

Reuses the server fixture and helpers of tests/test_browser.py (skips without Chromium or
Playwright, fails in CI). CPU is the server process's own user+system time (/proc), so
other load on the machine does not count.
"""
import os
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.helpers import chromium
from tests.test_browser import settled

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LONG_LINK = "/?steps=200000&width=3000"     # the default demo, wider and longer: a minute
BIG_LINK = "/?steps=200000&n_samples=5000&dim=10000&width=5000"
TICKS = os.sysconf("SC_CLK_TCK")


@pytest.fixture
def unlimited(monkeypatch):
    """No work limit for the server started after it (the long job must not ask)."""
    monkeypatch.setenv("UNLEARN_MAX_SECONDS", "1e9")


@contextmanager
def browser_page(height=900):
    """A headless Chromium page, 1280 px wide; the browser is closed on exit."""
    with chromium() as browser:
        yield browser.new_page(viewport={"width": 1280, "height": height})


def server_pid(url):
    """The pid of the `streamlit run` serving ``url`` (found by its --server.port)."""
    port = url.rsplit(":", 1)[1]
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            args = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"streamlit" in b" ".join(args) and port.encode() in args:
            return int(proc.name)
    raise AssertionError(f"no server process on port {port}")


def cpu_seconds(pid):
    """User + system CPU seconds of a process so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def cores_used(pid, seconds=2.0):
    """Mean number of cores the process used over the next ``seconds``."""
    before, start = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    return (cpu_seconds(pid) - before) / (time.monotonic() - start)


def test_cancel_stops_a_long_job_and_the_server_cpu_drops(unlimited, server):  # noqa: F811
    from playwright.sync_api import expect
    pid = server_pid(server)
    with browser_page() as page:
        page.goto(server + LONG_LINK)
        cancel = page.get_by_role("button", name="Cancel")
        cancel.wait_for(timeout=180_000)
        expect(page.get_by_test_id("stProgress").first).to_be_visible()
        busy = cores_used(pid)
        cancel.click()
        expect(page.get_by_text("showing the default demo")).to_be_visible(timeout=60_000)
        page.get_by_test_id("stVegaLiteChart").first.wait_for(timeout=120_000)
        idle = cores_used(pid)
    # the job keeps about one core busy on an idle machine (less when others load it)
    assert busy > 0.15, f"the job did not keep a core busy ({busy:.2f} cores)"
    assert idle < 0.3 * busy, f"CPU did not drop after Cancel: {busy:.2f} -> {idle:.2f} cores"


def test_a_big_link_asks_and_starts_no_work(server):  # noqa: F811
    from playwright.sync_api import expect
    pid = server_pid(server)
    with browser_page() as page:
        page.goto(server + BIG_LINK)
        expect(page.get_by_role("button", name="Start anyway")).to_be_visible(timeout=180_000)
        used = cores_used(pid)
        page.get_by_role("button", name="Don't start").click()
        page.get_by_test_id("stVegaLiteChart").first.wait_for(timeout=120_000)
    assert used < 0.3, f"the server worked while asking ({used:.2f} cores)"


def test_closing_the_tab_cancels_its_job(unlimited, server):  # noqa: F811
    from playwright.sync_api import expect

    from ui.job import SESSION_GRACE
    pid = server_pid(server)
    with browser_page() as page:
        page.goto(server + LONG_LINK)
        page.get_by_role("button", name="Cancel").wait_for(timeout=180_000)
        expect(page.get_by_test_id("stProgress").first).to_be_visible()
        busy = cores_used(pid)
        page.close()
    time.sleep(SESSION_GRACE + 3)           # the job notices between chunks after the grace
    idle = cores_used(pid)
    assert busy > 0.15, f"the job did not keep a core busy ({busy:.2f} cores)"
    assert idle < 0.3 * busy, f"CPU did not drop after the tab closed: {busy:.2f} -> {idle:.2f}"


def test_a_toggle_and_a_page_switch_during_training_keep_it(server):  # noqa: F811
    """Train n=400, d=20000, m=300, then toggle Presentation and switch page while it runs:
    the new model is committed when it ends (before: the old model came back)."""
    from playwright.sync_api import expect
    with browser_page(height=1000) as page:
        page.goto(server + "/data")
        for label, value in (("points n", "400"), ("dimension d", "20000"),
                             ("hidden neurons m", "300")):
            if label == "hidden neurons m":
                page.get_by_role("tab", name="Model").click()
            field = page.get_by_label(label)
            field.wait_for(timeout=180_000)
            field.fill(value)
            field.press("Enter")
            settled(page)
        page.get_by_role("button", name="Train", exact=True).click()
        page.get_by_role("button", name="Cancel").wait_for(timeout=120_000)
        page.get_by_text("Presentation").click()
        page.get_by_role("link", name="Overview").click()
        expect(page.get_by_text("Trained in")).to_be_visible(timeout=600_000)
        assert "n_samples=400" in page.url and "width=300" in page.url
