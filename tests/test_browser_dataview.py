"""Real-browser test of the data view: on 2-D XOR, pick a point in the data view (Chromium,
Playwright), forget it, and check the URL, the Forget button and the forgotten label.

Uses the ``server`` and ``browser`` fixtures (tests/conftest.py); skips where Chromium
or Playwright is missing (fails in CI). Saves a screenshot under test-artifacts/.
"""
import pytest

from core.compare import default_forget, prepare
from core.scenario import Scenario
from tests.test_browser import (
    ARTIFACTS,
    mark_centres,
    open_app,
    settled,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

QUERY = "/?data=xor&dim=2&view=data"
TEXTS_JS = """(chart) => {
    const el = document.querySelectorAll('[data-testid="stVegaLiteChart"]')[chart];
    return Array.from(el.querySelectorAll('g.mark-text.role-mark text'), t => t.textContent);
}"""
TITLE_JS = """(chart) => {
    const el = document.querySelectorAll('[data-testid="stVegaLiteChart"]')[chart];
    return Array.from(el.querySelectorAll('g.role-title text'), t => t.textContent).join(' ');
}"""


def test_pick_a_point_in_the_data_view_and_forget_it(server, browser):  # noqa: F811
    from playwright.sync_api import expect

    prep = prepare(Scenario(data="xor", dim=2))
    first = default_forget(prep)[0]
    # the live point farthest from the others: its mark is easy to hit
    X = prep.dataset.X
    gaps = [min(float(((X[i] - X[j]) ** 2).sum()) for j in range(len(X)) if j != i)
            for i in range(len(X))]
    clicked = max((i for i in range(len(X)) if i != first), key=lambda i: gaps[i])
    ARTIFACTS.mkdir(exist_ok=True)
    page = open_app(browser, server + QUERY, height=1000)
    settled(page)
    assert "Decision boundaries" in page.evaluate(TITLE_JS, 0)
    assert f"forgotten {first}" in page.evaluate(TEXTS_JS, 0)
    centres = mark_centres(page)            # chart 0: the data view
    assert clicked in centres, f"point {clicked} not found in the data view"
    # the pick goes to the nearest point (a Voronoi layer takes the clicks)
    page.mouse.click(*centres[clicked][:2])
    forget = page.get_by_role("button", name="Forget selected (1)")
    expect(forget).to_be_enabled(timeout=30_000)
    forget.click()
    expect(page.get_by_role("button", name="Forget selected (0)")).to_be_disabled(
        timeout=60_000)
    page.wait_for_function(
        """([text]) => { const el = document.querySelector(
             '[data-testid="stVegaLiteChart"]');
           return Array.from(el.querySelectorAll('g.mark-text.role-mark text'),
                             t => t.textContent).includes(text); }""",
        arg=[f"forgotten {clicked}"], timeout=60_000)
    assert f"forget={first}%2C{clicked}" in page.url or \
        f"forget={first},{clicked}" in page.url
    assert "view=data" in page.url
    settled(page)
    page.screenshot(path=str(ARTIFACTS / "dataview_after_forget.png"))
