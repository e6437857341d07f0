"""The talk page in a real browser with the network off: the file of ``python -m explorer
talk`` at the default size opens from disk while every request that is not file: or data:
is aborted (and recorded: there must be none), draws without a script error and without
scrollbars at 1280×720, and two clicks and the c slider change the cards to the numbers
of ``python -m explorer unlearn --json`` for those points (another process).

Skips without Chromium or Playwright (fails in CI), like tests/test_browser.py.
"""
import json

import pytest

from present.text import fmt, shown
from tests.test_talk import cli, payload_of

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MAX_BYTES = 8_000_000           # the budget at the default size
CARDS = """() => { const out = {};
  for (const el of document.querySelectorAll('g.mark-text.role-mark text')) {
    const d = el.__data__ && el.__data__.datum;
    if (d && d.metric && el.textContent === d.text) out[d.method + '/' + d.metric] = d.text; }
  return out; }"""
POINT = """(pid) => {      // the clickable mark of training point pid on the trained plane
  for (const el of document.querySelectorAll('g.mark-symbol.role-mark path')) {
    const d = el.__data__ && el.__data__.datum;
    if (d && d.forgot === pid && d.status !== undefined && el.getAttribute('opacity') !== '0')
      return el; }
  return null; }"""
SLIDE = """(c) => { const s = document.querySelector('#c-slider input[type=range]');
  s.value = c; s.dispatchEvent(new Event('input', {bubbles: true})); }"""


@pytest.fixture(scope="module")
def talk_file(tmp_path_factory):
    out = tmp_path_factory.mktemp("talk") / "demo.html"
    run = cli("talk", "--out", str(out))
    assert run.returncode == 0, run.stderr
    return out


def expected_cards(point, c):
    """{method/metric: text} of the app's cards for ``point`` at ``c``, from the CLI."""
    run = cli("unlearn", "--json", "--forget", str(point), "--scale", str(c))
    assert run.returncode == 0, run.stderr
    methods = json.loads(run.stdout)["methods"]
    return {f"{m}/{k}": fmt(shown(k, v[k]), "f" if k == "cosine_to_retrain" else "g")
            for m, v in methods.items() for k in ("eps_rel", "delta", "tau",
                                                  "cosine_to_retrain")}


def open_offline(browser, path, width, height):
    """The page opened from disk with every other request aborted; (page, blocked, errors)."""
    page = browser.new_page(viewport={"width": width, "height": height})
    blocked, errors = [], []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    def route(request_route):
        if request_route.request.url.startswith(("file:", "data:")):
            request_route.continue_()
        else:
            blocked.append(request_route.request.url)
            request_route.abort()

    page.route("**/*", route)
    page.goto(path.as_uri())
    page.wait_for_function("() => document.body.dataset.ready", timeout=60_000)
    return page, blocked, errors


def scroll_size(page):
    return page.evaluate("() => [document.documentElement.scrollWidth, "
                         "document.documentElement.scrollHeight, innerWidth, innerHeight]")


def click_point(page, point):
    mark = page.evaluate_handle(POINT, point).as_element()
    assert mark is not None, f"point {point} is not drawn"
    box = mark.bounding_box()
    # the layer that finds the nearest point lies on top: click where the mark is
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_function("(p) => { const s = talkView.data('pick_store'); "
                           "return s.length && s[0].values[0] === p; }", arg=point)


def test_offline_page_clicks_and_slider_show_the_cli_numbers(talk_file, browser):
    size = talk_file.stat().st_size
    assert size < MAX_BYTES, f"{size / 1e6:.1f} MB at the default size"
    payload = payload_of(talk_file.read_text(encoding="utf-8"))
    default = payload["default_point"]
    first, second = (default + 7) % 40, (default + 19) % 40
    page, blocked, errors = open_offline(browser, talk_file, 1280, 720)
    assert page.evaluate("() => document.body.dataset.ready") == "compact"
    width, height, inner_w, inner_h = scroll_size(page)
    assert (width, height) == (inner_w, inner_h), "scrollbars at 1280x720"
    assert page.evaluate(CARDS) == expected_cards(default, 1.0)
    for point in (first, second):
        click_point(page, point)
        assert page.evaluate(CARDS) == expected_cards(point, 1.0), point
    page.evaluate(SLIDE, 0.25)
    page.wait_for_function("() => talkView.signal('c') === 0.25")
    assert page.evaluate(CARDS) == expected_cards(second, 0.25)
    assert blocked == [] and errors == []

    page, blocked, errors = open_offline(browser, talk_file, 1920, 1080)
    assert page.evaluate("() => document.body.dataset.ready") == "large"
    width, height, inner_w, inner_h = scroll_size(page)
    assert (width, height) == (inner_w, inner_h), "scrollbars at 1920x1080"
    assert page.evaluate(CARDS) == expected_cards(default, 1.0)
    assert blocked == [] and errors == []
