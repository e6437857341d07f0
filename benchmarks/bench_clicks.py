"""Clicks in a real browser: how long until the page has settled, and the server's CPU.

On the default demo in headless Chromium: select a point of the plane, press Forget
selected, move the c slider by one step; each time until the rerun's output is drawn (no
element marked stale) and the page shows the new state. The server's CPU is its own
process time (/proc, user + system), so another load on the machine does not count; the
opening of a session is measured the same way. With ``--before DIR`` (an older tree, e.g.
``mkdir DIR && git archive <commit> | tar -x -C DIR``) both trees are measured in turn,
each with its own server, ROUNDS times.

    python benchmarks/bench_clicks.py [--before DIR] [--rounds N]   # last_run_clicks.txt
"""
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "last_run_clicks.txt"
TICKS = os.sysconf("SC_CLK_TCK")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--no-first-run",
        "--disable-sync", "--disable-quic"]
SETTLED = ("() => !document.querySelector('[data-stale=\"true\"]') && !document.querySelector("
           "'.st-key-jobbar [data-testid=\"stProgress\"]')")
POINTS = (10, 12, 14, 16, 18, 20, 22, 24, 26)
CENTRES = """() => { const out = {};
    const el = document.querySelectorAll('[data-testid="stVegaLiteChart"]')[0];
    for (const m of el.querySelectorAll('g.mark-symbol.role-mark > path')) {
        const d = m.__data__ && m.__data__.datum; if (!d || d.index === undefined) continue;
        const r = m.getBoundingClientRect(); out[d.index] = [r.x + r.width / 2, r.y + r.height / 2];
    } return out; }"""


def cpu(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def serve(tree):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1",
               NUMBA_CACHE_DIR=str(Path(tree) / ".numba_cache"))
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py",
                             "--server.port", str(port), "--server.headless", "true",
                             "--server.fileWatcherType", "none"], cwd=tree, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if urllib.request.urlopen(url + "/_stcore/health", timeout=2).read() == b"ok":
                return proc, url
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not start")


def timed(page, action, ready):
    """Seconds from ``action()`` until ``ready`` holds and no element is stale."""
    start = time.perf_counter()
    action()
    page.wait_for_function(ready, timeout=60_000) if isinstance(ready, str) else ready()
    page.wait_for_function(SETTLED, timeout=60_000)
    return time.perf_counter() - start


def measure(tree, rounds):
    from playwright.sync_api import sync_playwright

    proc, url = serve(tree)
    rows = {"open session (server CPU s)": [], "select (s)": [], "forget (s)": [],
            "c slider (s)": [], "select (server CPU s)": [],
            "forget (server CPU s)": [], "select + forget (server CPU s)": []}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                        args=ARGS)
            for k in range(rounds + 1):                 # round 0 warms the caches
                page = browser.new_page(viewport={"width": 1440, "height": 1000})
                before = cpu(proc.pid)
                page.goto(url)
                page.get_by_test_id("stVegaLiteChart").first.locator(
                    "g.mark-symbol.role-mark path").first.wait_for(timeout=120_000)
                page.wait_for_function(SETTLED)
                page.wait_for_timeout(1500)             # the session's first jobs end
                opened = cpu(proc.pid) - before
                page.add_style_tag(content="#vg-tooltip-element{pointer-events:none}")
                centres = {int(i): v for i, v in page.evaluate(CENTRES).items()}
                point = POINTS[k]            # live points of the default demo (5 is gone)
                before = cpu(proc.pid)
                select = timed(page, lambda page=page, at=centres[point]: page.mouse.click(*at),
                               f"() => document.body.innerText.includes('Selected: {point}.')")
                selected = cpu(proc.pid) - before
                forget = timed(page, lambda page=page: page.get_by_role(
                    "button", name="Forget selected (1)").click(),
                    "() => document.body.innerText.includes('Selected: nothing')")
                clicks = cpu(proc.pid) - before
                slider = page.get_by_role("slider").first
                slider.focus()
                card = page.locator(".st-key-card_ga [data-testid='stMetricValue']").first
                shown = card.inner_text()
                slider_time = timed(page, lambda s=slider: s.press("ArrowRight"),
                                    "() => { const e = document.querySelector("
                                    "\".st-key-card_ga [data-testid='stMetricValue']\");"
                                    f" return e && e.innerText !== {shown!r}; }}")
                if k:
                    values = (opened, select, forget, slider_time, selected, clicks - selected,
                              clicks)
                    for key, value in zip(rows, values):
                        rows[key].append(value)
                page.close()
            browser.close()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    return {key: statistics.median(values) for key, values in rows.items()}


def main(argv):
    rounds = int(argv[argv.index("--rounds") + 1]) if "--rounds" in argv else 5
    trees = {"now": str(ROOT)}
    if "--before" in argv:
        trees = {"before": argv[argv.index("--before") + 1], **trees}
    found = {name: measure(tree, rounds) for name, tree in trees.items()}
    lines = [f"# bench_clicks {time.strftime('%Y-%m-%d %H:%M')}: default demo, Chromium "
             f"1440x1000, median of {rounds} rounds (a new session each)",
             f"{'':34s}" + "".join(f"{name:>10s}" for name in found)]
    for key in next(iter(found.values())):
        lines.append(f"{key:34s}" + "".join(f"{found[n][key]:10.3f}" for n in found))
    OUT.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1:])
