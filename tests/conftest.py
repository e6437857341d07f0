"""Fixtures shared by the test modules.

- ``fresh_caches`` (automatic): Streamlit's ``st.cache_data`` and ``st.cache_resource`` are
  process-global, so every test that may run the app starts with both cleared.
- ``open_app``: a new AppTest session of the app, opened with query parameters, optionally
  switched to a page; ``no_trouble``: asserts that a session shows no exception or error.
- ``shown(text)``: an alert's Markdown as a reader sees it (escapes resolved).
- ``separable_data``: inputs labelled by a random direction, separable through the origin.
- ``server``: ``streamlit run app.py`` on a free loopback port, for the real-browser tests;
  ``browser``: a headless Chromium for them (a skip without it, a failure in CI).
"""
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import chromium, settle, shown  # noqa: F401  (re-exported)

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"
APP_TIMEOUT = 120        # s per AppTest run: the first run may load the Numba cache


@pytest.fixture(autouse=True)
def fresh_caches():
    """Clear Streamlit's caches before each test (only once Streamlit has been imported)."""
    if "streamlit" in sys.modules:
        st = sys.modules["streamlit"]
        st.cache_data.clear()
        st.cache_resource.clear()
    if "ui.cached" in sys.modules:        # its index of results at hand, with the caches
        sys.modules["ui.cached"]._READY.clear()
    yield


def _open_app(page=None, **query):
    """A new session of the app with ``query`` parameters, run once; then ``page`` if given
    (a path relative to app.py, e.g. "pages/6_scaling.py")."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=APP_TIMEOUT)
    for key, value in query.items():
        at.query_params[key] = str(value)
    settle(at.run())
    return at if page is None else settle(at.switch_page(page).run())



def _no_trouble(at):
    """The session shows no exception and no error message."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


@pytest.fixture
def open_app():
    """``open_app(page=None, **query)`` -> a run AppTest session (see ``_open_app``)."""
    return _open_app


@pytest.fixture
def no_trouble():
    """``no_trouble(at)`` asserts that the session shows no exception or error."""
    return _no_trouble


def _separable_data(n, d, seed, min_cos=0.1):
    """n points x ~ N(0, I_d) with labels sign(<x, w*>) for a random w*, keeping only
    points with |cos(x, w*)| >= min_cos, so the data are separable through the origin with
    a margin. Returns (X, y)."""
    rng = np.random.default_rng(seed)
    w_star = rng.standard_normal(d)
    rows = []
    while len(rows) < n:
        x = rng.standard_normal(d)
        if abs(x @ w_star) >= min_cos * np.linalg.norm(x) * np.linalg.norm(w_star):
            rows.append(x)
    X = np.array(rows)
    return X, np.sign(X @ w_star)


@pytest.fixture
def separable_data():
    """``separable_data(n, d, seed, min_cos=0.1)`` -> (X, y) separable through the origin."""
    return _separable_data


# ---- the app served for the real-browser tests (tests/test_browser*.py) ----

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    """A headless `streamlit run app.py` on a free loopback port; stopped with SIGTERM."""
    port = free_port()
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1",
               NUMBA_CACHE_DIR=os.environ.get("NUMBA_CACHE_DIR", str(ROOT / ".numba_cache")))
    log = open(tmp_path / "server.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true",
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if urllib.request.urlopen(url + "/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            log.close()
            pytest.fail("the server did not start:\n" + (tmp_path / "server.log").read_text())
        time.sleep(0.2)
    yield url
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        code = proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        code = proc.wait()
    log.close()
    text = (tmp_path / "server.log").read_text()
    assert "Traceback" not in text, text
    assert code == 0, f"server exit code {code}:\n{text}"


@pytest.fixture
def browser():
    """A launched headless Chromium (``tests.helpers.chromium``), closed after the test."""
    with chromium() as launched:
        yield launched
