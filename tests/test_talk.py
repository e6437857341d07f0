"""The offline talk page (``python -m explorer talk``): its numbers are the numbers of
``python -m explorer unlearn --json --forget l --scale c`` (another process, the same
scenario options), and it needs nothing outside the file.

The browser half (the page opened with every network request blocked, two clicks, the
slider) is tests/test_browser_talk.py.
"""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from present.text import fmt, shown

ROOT = Path(__file__).resolve().parent.parent
OPTIONS = ["--n-samples", "16", "--dim", "300", "--width", "20", "--steps", "150",
           "--seed", "3"]
CARD_METRICS = ("eps_rel", "delta", "tau", "cosine_to_retrain")


def cli(*args):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-m", "explorer", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)


def payload_of(html):
    """The page's JSON payload (the <script type="application/json"> element)."""
    found = re.search(r'<script type="application/json" id="talk-data">(.*?)</script>', html,
                      re.S)
    return json.loads(found.group(1).replace("<\\/", "</"))


def csv_rows(text):
    head, *rows = text.strip().split("\n")
    names = head.split(",")
    return [dict(zip(names, (float(v) for v in row.split(",")))) for row in rows]


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    out = tmp_path_factory.mktemp("talk") / "demo.html"
    run = cli("talk", "--out", str(out), *OPTIONS)
    assert run.returncode == 0, run.stderr
    html = out.read_text(encoding="utf-8")
    return html, payload_of(html), run.stdout


@pytest.fixture(scope="module")
def reference(page):
    """CLI JSON of two points (the page's default and another) at c = 1 and c = 0.25."""
    _, payload, _ = page
    default = payload["default_point"]
    other = (default + 5) % 16
    out = {}
    for point in (default, other):
        for c in (1.0, 0.25):
            run = cli("unlearn", "--json", "--forget", str(point), "--scale", str(c), *OPTIONS)
            assert run.returncode == 0, run.stderr
            out[point, c] = json.loads(run.stdout)
    return out


def cards_of(payload, point, c):
    """{(method, metric): card row} shown for ``point`` at ``c`` (GA's at c, the others
    whatever c is)."""
    return {(r["method"], r["metric"]): r for r in payload["datasets"]["cards"]
            if r["forgot"] == point and (r["c"] == c or (r["c"] < 0 and r["method"] != "ga"))}


def test_cards_equal_the_cli_json(page, reference):
    _, payload, _ = page
    for (point, c), ref in reference.items():
        cards = cards_of(payload, point, c)
        assert {m for m, _ in cards} == set(ref["methods"]) == {"ga", "do_nothing", "retrain"}
        for method, values in ref["methods"].items():
            for metric in CARD_METRICS:
                row = cards[method, metric]
                assert row["value"] == values[metric], (point, c, method, metric)
                assert row["text"] == fmt(shown(metric, values[metric]),
                                          "f" if metric == "cosine_to_retrain" else "g")


def test_the_trained_plane_equals_the_cli_points(page, reference):
    _, payload, _ = page
    ref = next(iter(reference.values()))["points"]
    points = {p["index"]: p for p in payload["datasets"]["points"]}
    assert len(points) == len(ref) == 16
    for p in ref:
        mine = points[p["index"]]
        assert (mine["margin"], mine["lam"], mine["label"], mine["support"]) == \
            (p["margin"], p["lam"], p["label"], p["support"])


def test_after_rows_carry_the_cli_margins(page, reference):
    """The after plane's rows: the retained points' margins after GA and after retraining
    change by what the CLI reports as max_retained_margin_change (to the 9 significant
    digits the page keeps of each coordinate),
    and the forgotten point's line gives its margins before, after GA and retrained."""
    _, payload, _ = page
    data = payload["datasets"]
    before = {p["index"]: p["margin"] for p in data["points"]}
    after, retrain = csv_rows(data["after"]), csv_rows(data["retrain"])
    for (point, c), ref in reference.items():
        rows = [r for r in after if r["forgot"] == point and r["c"] == c]
        assert sorted(int(r["index"]) for r in rows) == [i for i in range(16) if i != point]
        change = max(abs(r["margin_after"] - before[int(r["index"])]) for r in rows)
        assert change == pytest.approx(ref["methods"]["ga"]["max_retained_margin_change"],
                                       abs=1e-8)    # coordinates keep 9 digits (q ~ 1)
        ghosts = [r for r in retrain if int(r["rkey"]) // 16 == point]
        change = max(abs(r["margin_retrain"] - before[int(r["rkey"]) % 16]) for r in ghosts)
        assert change == pytest.approx(
            ref["methods"]["retrain"]["max_retained_margin_change"], abs=1e-8)
        (verdict,) = [v for v in data["verdicts"] if v["forgot"] == point and v["c"] == c]
        q = ref["points"][point]["margin"]
        ga, rt = (ref["methods"][m]["forget_margins"][0] for m in ("ga", "retrain"))
        assert verdict["summary"].replace("\n", " ") == (   # wrapped to fit its panel
            f"forgotten #{point}: margin {q:.3f} → {ga:.3f} (retrain {rt:.3f})")
        assert fmt(ref["methods"]["ga"]["eps_rel"]) in verdict["sentence"].replace("\n", " ")


def test_every_point_and_every_c_is_there(page):
    _, payload, stdout = page
    scales = [k / 4 for k in range(9)]
    assert payload["scales"] == scales
    verdicts = {(v["forgot"], v["c"]) for v in payload["datasets"]["verdicts"]}
    assert verdicts == {(p, c) for p in range(16) for c in scales}
    assert "16 points x 9 values of c" in stdout


def test_the_page_needs_nothing_outside_the_file(page):
    html, payload, _ = page
    assert all("src" not in tag for tag in re.findall(r"<script[^>]*>", html))
    outside = re.sub(r"<script[^>]*>.*?</script>", "", html, flags=re.S)   # the markup
    assert not re.search(r"<(img|iframe|link|object|embed)\b", outside, re.I)
    assert not re.search(r"@import|url\(", outside, re.I)
    assert "window.vegaEmbed" in html                       # the bundle is inline
    assert html.count("</script>") == html.count("<script")  # nothing closes a script early
    for spec in payload["specs"].values():
        assert not any(isinstance(v, str) and v.startswith("http") for v in _data_urls(spec))


def _data_urls(spec):
    """Every ``url`` of a data source anywhere in the spec."""
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key == "url":
                yield value
            else:
                yield from _data_urls(value)
    elif isinstance(spec, list):
        for value in spec:
            yield from _data_urls(value)


def test_a_bad_out_folder_is_one_line_and_exit_2(tmp_path):
    run = cli("talk", "--out", str(tmp_path / "missing" / "demo.html"), *OPTIONS)
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1 and "--out" in run.stderr


def test_the_share_popover_builds_the_page_as_a_job_then_offers_it(open_app, no_trouble):
    """Share / save → Build interactive page runs the "talk" job (ui.jobs); when it is done
    the popover offers the file, whose cards are the engine's for the scenario."""
    from core.compare import compare, prepare
    from core.scenario import Scenario
    from ui import state
    from ui.job import Status

    link = dict(n_samples=12, dim=200, width=12, steps=100)
    at = open_app(**link)
    no_trouble(at)
    at.button(key="ux.talk.build").click().run()
    job = at.session_state[state.PREFIX + "jobs"]["talk"]
    assert job.wait(300) is Status.DONE, job.error
    at.run()
    no_trouble(at)
    assert "Download interactive page" in [b.proto.label for b in at.get("download_button")]
    payload = payload_of(job.result.decode("utf-8"))
    point = payload["default_point"]
    engine = compare(prepare(Scenario(**link)), (point,))
    for method, res in engine.methods.items():
        card = cards_of(payload, point, 1.0)[method, "eps_rel"]
        assert card["value"] == res.certificate.eps_rel


def test_a_point_that_cannot_be_forgotten_alone_says_why():
    """n = 3 (two labels of one class, one of the other): the lone point's verdict, at every
    c, is the message ``unlearn --forget`` exits with (another process)."""
    from core.compare import prepare
    from core.scenario import Scenario
    from present.talk_data import TALK_SCALES, precompute

    options = ["--n-samples", "3", "--dim", "50", "--width", "8", "--steps", "100"]
    data = precompute(prepare(Scenario(n_samples=3, dim=50, width=8, steps=100)))
    (lone,) = data.failed
    run = cli("unlearn", "--forget", str(lone), *options)
    assert run.returncode == 2
    verdicts = data.tables["verdicts"]
    rows = verdicts[verdicts["forgot"] == lone]
    assert sorted(rows["c"]) == list(TALK_SCALES)
    assert set(rows["level"]) == {"error"}
    assert {f"error: {s}\n" for s in rows["sentence"]} == {run.stderr}
    assert data.default_point != lone
