"""Text from a user is shown, never run (issue 19): link values, file names, CSV headers and
labels, scenario-file strings and a method file's labels go through
``present.text.as_text`` wherever the app renders Markdown.

AppTest feeds Markdown images and links through each input and checks that no element of
the page carries them unescaped (and that the escaped text is there: shown, not dropped);
the real-browser test checks, in Chromium with Streamlit's own renderer, that no ``<img>``
or ``<a>`` comes from them and that the page fetched nothing they name.
"""
import json
import re

import pytest

from core import registry
from core.registry import Method, MethodOutput
from present.text import as_text
from tests.helpers import settle
from tests.test_browser import ARTIFACTS
from tests.test_registry import clean_registry  # noqa: F401
from ui import uploads

IMAGE = "![t](http://127.0.0.1:9/track.png)"
LINK = "[log in again](http://evil.example/p)"
PAYLOADS = (IMAGE, LINK, "<img src=x onerror=alert(1)>", "https://evil.example/bare",
            "www.evil.example", "me@evil.example", ":red[big] :material/home: $x^2$")
NAME_SAFE = "![t](x.png) [log in](https:evil.example)"      # no '/': a file name cannot hold it
ESCAPED = re.compile(r"\\[!\[\]()<>:/@.$]")


def texts(at):
    """Every Markdown string the session shows: bodies of markdown, captions, alerts,
    metric and widget labels."""
    out = [e.value for kind in ("markdown", "caption", "warning", "error", "info", "success")
           for e in getattr(at, kind)]
    out += [e.label for e in at.metric]
    out += [w.label for kind in ("number_input", "radio", "selectbox", "multiselect",
                                 "toggle", "button") for w in getattr(at, kind)]
    return out


def assert_shown_as_text(at, payload):
    """The payload appears only escaped, and it does appear (shown, not dropped)."""
    shown = texts(at)
    raw = [t for t in shown if payload in t]
    assert not raw, raw
    assert any(as_text(payload) in t for t in shown), (as_text(payload), shown)


# ---------------------------------------------------------------- the helper itself

@pytest.mark.parametrize("payload", PAYLOADS)
def test_as_text_escapes_every_markdown_trigger(payload):
    out = as_text(payload)
    unescaped = re.sub(r"\\.", "", out)          # drop every escaped character
    assert not re.search(r"[!\[\]()<>:$@*_`]", unescaped), out
    assert "://" not in out and "www." not in out.lower()
    assert re.sub(r"\\(.)", r"\1", out).replace("\u2060", "") == payload   # same text shown


def test_as_text_keeps_plain_words_and_joins_lines():
    assert as_text("cat dog 12") == "cat dog 12"
    assert as_text("two\nlines\t here") == "two lines here"


# ---------------------------------------------------------------- link values

@pytest.mark.slow
@pytest.mark.parametrize("field", ["model", "data", "loss", "preprocess", "data_file",
                                   "forget", "classes"])
@pytest.mark.parametrize("payload", [IMAGE, LINK])
def test_link_values_are_shown_as_text(open_app, field, payload):
    query = {field: payload, "data": "digits"} if field == "classes" else {field: payload}
    at = open_app(**query)
    assert not at.exception
    alerts = [e.value for e in list(at.warning) + list(at.error)]
    assert len(alerts) == 1 and "default demo" in alerts[0], alerts
    assert_shown_as_text(at, payload)


# ------------------------------------------------- stored: an upload's name and labels

@pytest.fixture
def stored_upload():
    """A CSV uploaded as NAME_SAFE.csv whose labels are a Markdown image and link,
    stored like the Data & training page stores it; its app-relative path."""

    n = 12                      # x_i = e_i: orthogonal, separable whatever the labels
    rows = "\n".join(",".join("1" if j == i else "0" for j in range(n))
                     + f",{IMAGE if i % 2 else LINK}" for i in range(n))
    data = (",".join(f"a{j}" for j in range(n)) + f",label\n{rows}\n").encode()
    path, _ = uploads.store_upload(f"{NAME_SAFE}.csv", data)
    return path


@pytest.mark.slow
def test_a_shared_upload_link_shows_its_name_and_labels_as_text(open_app, stored_upload):
    at = open_app(page="pages/2_data.py", data_file=stored_upload)
    assert not at.exception and not at.error, [e.value for e in at.error]
    for payload in (NAME_SAFE, IMAGE, LINK):
        assert_shown_as_text(at, payload)


@pytest.mark.slow
def test_an_uploaded_files_name_and_bad_header_are_shown_as_text(open_app):
    at = open_app(page="pages/2_data.py")
    next(s for s in at.selectbox if s.label == "Data").set_value("upload").run()
    bad = f"x,{IMAGE},y\n1,a,0\n2,b,1\n".encode()
    at.file_uploader[-1].set_value((f"{NAME_SAFE}.csv", bad, "text/csv")).run()
    assert not at.exception
    assert len(at.error) == 1 and "is not numeric" in at.error[0].value
    assert_shown_as_text(at, IMAGE)                 # the header, quoted by the error
    good = b"x,y\n1,0\n-1,1\n2,0\n"
    at.file_uploader[-1].set_value((f"{NAME_SAFE}.csv", good, "text/csv")).run()
    assert not at.exception and not at.error
    assert_shown_as_text(at, f"{NAME_SAFE}.csv")   # the name, in the success message


# ---------------------------------------------------------------- scenario files

@pytest.mark.slow
def test_a_scenario_files_strings_and_name_are_shown_as_text(open_app):
    at = open_app()
    uploader = next(u for u in at.file_uploader if u.label == "Load a scenario file")
    body = json.dumps({"scenario": {"model": LINK, "data": IMAGE}}).encode()
    uploader.set_value((f"{NAME_SAFE}.json", body, "application/json")).run()
    assert not at.exception
    assert len(at.error) == 1 and "model must be one of" in at.error[0].value
    assert_shown_as_text(at, LINK)
    good = json.dumps({"scenario": {}, "history": [[3]]}).encode()
    uploader = next(u for u in at.file_uploader if u.label == "Load a scenario file")
    uploader.set_value((f"{NAME_SAFE} 2.json", good, "application/json")).run()
    assert not at.exception
    assert any("Loaded" in s.value for s in at.success), [s.value for s in at.success]
    assert_shown_as_text(at, f"{NAME_SAFE} 2.json")


# ---------------------------------------------------------------- a method file's labels

@pytest.mark.slow
def test_a_method_files_label_is_shown_as_text(open_app, clean_registry):  # noqa: F811
    def keep(task):
        return MethodOutput(task.original.model, 0, {})

    registry.register(Method("mine", IMAGE, keep), source="test")
    at = open_app()
    settle(next(m for m in at.multiselect if m.label == "more methods on the cards")
           .set_value(["mine"]).run())
    assert not at.exception
    # four methods: the cards' numbers are one table, whose cells are text, not Markdown
    assert IMAGE in list(at.table[0].value.index)
    assert not [m.value for m in at.markdown if IMAGE in m.value]


# ---------------------------------------------------------------- the real renderer

FROM_PAYLOADS = """() => {
    const main = document.querySelector('[data-testid="stMain"]');
    const bad = (u) => u && (u.includes('evil.example') || u.includes('127.0.0.1:9/')
                             || u.endsWith('x.png'));
    return [...main.querySelectorAll('img[src], a[href]')]
        .map(e => e.getAttribute('src') || e.getAttribute('href')).filter(bad);
}"""


@pytest.mark.browser
@pytest.mark.slow
def test_chromium_draws_no_image_or_link_from_user_text(server, stored_upload):  # noqa: F811
    """Streamlit's own Markdown renderer, in Chromium: a linked model/data value and a
    shared upload's name and labels give no <img> or <a>, and nothing is fetched."""
    from urllib.parse import quote

    from tests.test_browser_jobs import browser_page

    fetched = []
    ARTIFACTS.mkdir(exist_ok=True)
    with browser_page(height=1400) as page:
        page.on("request", lambda r: fetched.append(r.url))
        for path, words in ((f"/?model={quote(IMAGE)}", "default demo"),
                            (f"/?data={quote(LINK)}", "default demo"),
                            (f"/data?data_file={quote(stored_upload)}", "Labels")):
            page.goto(server + path)
            page.get_by_text(words).first.wait_for(timeout=180_000)
            page.wait_for_timeout(500)
            assert page.evaluate(FROM_PAYLOADS) == [], path
            shown = page.inner_text('[data-testid="stMain"]').replace("\u2060", "")
            for payload in ((IMAGE,) if "model" in path else (LINK,) if "data=" in path
                            else (NAME_SAFE, IMAGE, LINK)):
                assert payload in shown, (path, payload)      # shown as the text it is
        page.screenshot(path=str(ARTIFACTS / "injection_data_page.png"), full_page=True)
    elsewhere = [u for u in fetched if not u.startswith(server)]   # the app's own: fine
    assert [u for u in elsewhere if "evil.example" in u or "127.0.0.1:9/" in u] == []
    assert not [u for u in fetched if u.endswith("x.png")]
