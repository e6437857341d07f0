"""Player benchmark: frames per second of the training player's Play in a real browser.

Run from the repository root (about a minute; needs Chromium and Playwright):

    .venv/bin/python benchmarks/bench_player.py [--seconds 6] [--chromium /usr/bin/chromium]

For each server setting it starts ``streamlit run app.py`` on a free port (headless, the
repository's .streamlit/config.toml), opens Data & training at the default scenario, turns
on "Watch the training run", clicks Play and records, inside the page, every change of the
frame label ("step k of N") that the chart's SVG shows (a MutationObserver stamps each with
``performance.now()``, so sampling adds no lag). It prints the distinct frames shown, the
frames per second between the first and the last advance, the frames skipped (labels that
never reached the screen) and whether the chart's SVG was ever replaced (a re-embedded Vega
view) instead of updated in place. Settings, in one run so they share the machine's load:

- ``config.toml``: as the app ships (``runner.postScriptGC = false``);
- ``postScriptGC=true``: Streamlit's default, a full ``gc.collect(2)`` after every script
  run, fragment reruns included (the "before" figure).

Each server trains the default scenario and builds the player's frames once, at first load
(about a second, before the clock starts); Play itself only reads the cached frames. The
shipped setting's screenshot is saved to test-artifacts/player.png.
"""
import argparse
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--no-first-run",
        "--disable-sync", "--disable-quic"]
SETTINGS = {"config.toml": [], "postScriptGC=true": ["--runner.postScriptGC", "true"]}
LABELS = """() => Array.from(document.querySelectorAll('[data-testid=stVegaLiteChart] text'))
    .map(t => t.textContent).filter(s => s.startsWith('step '))[0] || ''"""
OBSERVE = """(labels) => {
  window.__frames = []; window.__svgs = new WeakSet(); window.__newSvg = 0;
  const read = eval(labels);
  const note = () => {
    const svg = document.querySelector('[data-testid=stVegaLiteChart] svg');
    if (svg && !window.__svgs.has(svg)) { window.__svgs.add(svg); window.__newSvg++; }
    const t = read(), f = window.__frames;
    if (t && (!f.length || f[f.length - 1][1] !== t)) f.push([performance.now(), t]);
  };
  note(); window.__newSvg = 0;
  new MutationObserver(note).observe(document.body,
      {subtree: true, childList: true, characterData: true});
}"""


def free_port():
    """A TCP port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port, extra, log):
    """``streamlit run app.py`` on port (own process group), once healthy."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1",
               NUMBA_CACHE_DIR=os.environ.get("NUMBA_CACHE_DIR", str(ROOT / ".numba_cache")))
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("streamlit")), "run", "app.py",
         "--server.port", str(port), "--server.headless", "true", *extra],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(url + "/_stcore/health", timeout=2).read() == b"ok":
                return proc, url
        except OSError:
            time.sleep(0.3)
    stop_server(proc)
    raise RuntimeError(f"streamlit did not start on port {port}")


def stop_server(proc):
    """SIGTERM the server's process group; SIGKILL it if it is not gone in 10 s."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def play(browser, url, seconds, screenshot=None):
    """(frame labels with their times in s, new SVGs) during ``seconds`` of Play."""
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    page.goto(url + "/data", timeout=120000)
    page.get_by_text("Watch the training run").wait_for(timeout=120000)
    page.get_by_text("Watch the training run").click()
    page.get_by_role("button", name="Play").wait_for(timeout=120000)
    page.wait_for_function(LABELS, timeout=120000)
    time.sleep(1.0)
    page.evaluate(OBSERVE, LABELS)
    page.get_by_role("button", name="Play").click()
    time.sleep(seconds)
    frames = [(t / 1000, label) for t, label in page.evaluate("() => window.__frames")]
    new_svgs = page.evaluate("() => window.__newSvg")
    if screenshot:
        page.screenshot(path=str(screenshot), full_page=True)
    page.close()
    return frames, new_svgs


def summary(frames, new_svgs, all_labels):
    """One line: distinct frames, fps, skipped frames, re-embeds."""
    shown = [label for _, label in frames]
    if len(frames) < 3:
        return f"{len(frames)} distinct frames: too few to time"
    # fps between the first advance and the last frame (Play's first frame needs a full rerun)
    fps = (len(frames) - 2) / (frames[-1][0] - frames[1][0])
    first, last = all_labels.index(shown[0]), all_labels.index(shown[-1])
    skipped = [label for label in all_labels[first:last + 1] if label not in shown]
    return (f"{len(frames)} distinct frames ({shown[0]!r} -> {shown[-1]!r}), "
            f"{fps:.1f} frames/s, {len(skipped)} frames skipped {skipped[:4]}, "
            f"{new_svgs} SVGs re-created")


def all_frame_labels():
    """Every frame's label at the default scenario, in order (from the cached specs)."""
    sys.path.insert(0, str(ROOT))
    import logging
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    from core.scenario import Scenario
    from ui import player
    _, frames = player.player_chart(Scenario(), False)
    return [f["label"]["note"].iloc[0] for f in frames]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=6.0)
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    a = ap.parse_args()
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from playwright.sync_api import sync_playwright

    from ui.player import FRAME_SECONDS
    labels = all_frame_labels()
    print(f"# bench_player ({time.strftime('%Y-%m-%d %H:%M')}), Chromium headless")
    print(f"training player, default scenario: {len(labels)} frames, "
          f"run_every={FRAME_SECONDS} s, {a.seconds:g} s of Play per setting")
    shot = ROOT / "test-artifacts" / "player.png"
    shot.parent.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=a.chromium, headless=True, args=ARGS)
        try:
            for name, extra in SETTINGS.items():
                with open(ROOT / "test-artifacts" / "bench_player_server.log", "w") as log:
                    proc, url = start_server(free_port(), extra, log)
                    try:
                        frames, new_svgs = play(browser, url, a.seconds,
                                                shot if not extra else None)
                    finally:
                        stop_server(proc)
                print(f"{name:>18}: {summary(frames, new_svgs, labels)}")
        finally:
            browser.close()


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
