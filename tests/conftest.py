"""Fixtures shared by the test modules.

- ``fresh_caches`` (automatic): Streamlit's ``st.cache_data`` and ``st.cache_resource`` are
  process-global, so every test that may run the app starts with both cleared.
- ``open_app``: a new AppTest session of the app, opened with query parameters, optionally
  switched to a page; ``no_trouble``: asserts that a session shows no exception or error.
- ``shown(text)``: an alert's Markdown as a reader sees it (escapes resolved).
- ``separable_data``: inputs labelled by a random direction, separable through the origin.
"""
import re
import sys
from pathlib import Path

import numpy as np
import pytest

APP = Path(__file__).resolve().parent.parent / "app.py"
APP_TIMEOUT = 120        # s per AppTest run: the first run may load the Numba cache


@pytest.fixture(autouse=True)
def fresh_caches():
    """Clear Streamlit's caches before each test (only once Streamlit has been imported)."""
    if "streamlit" in sys.modules:
        st = sys.modules["streamlit"]
        st.cache_data.clear()
        st.cache_resource.clear()
    yield


def _open_app(page=None, **query):
    """A new session of the app with ``query`` parameters, run once; then ``page`` if given
    (a path relative to app.py, e.g. "pages/6_scaling.py")."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=APP_TIMEOUT)
    for key, value in query.items():
        at.query_params[key] = str(value)
    at.run()
    return at if page is None else at.switch_page(page).run()


def shown(text):
    """What a reader sees of Markdown text the app escaped with ``present.text.as_text``:
    backslash escapes resolved, word joiners dropped (for asserting on alert texts)."""
    return re.sub(r"\\(.)", r"\1", text).replace("\u2060", "")


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

