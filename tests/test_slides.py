"""The slide deck (``python -m explorer slides``): every file is there at 16:9 full HD, the
PDF has a 16:9 page a slide, slides.md is one section a slide, and the captions carry the
numbers that other commands report for the same scenario (other processes, the same
scenario options): ``unlearn --json`` for the methods, ``sweep --vary scale`` over the
Step size page's grid for the best c, and ``unlearn`` per seed for the d-sweep's means.
"""
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from present import slides
from present.slide_builders import BREAK_DIMS, BREAK_SEEDS, title_slide
from present.slides import SLIDE_PX, num

ROOT = Path(__file__).resolve().parent.parent
OPTIONS = ["--n-samples", "16", "--dim", "300", "--width", "20", "--steps", "150",
           "--seed", "3"]
STEMS = ("01-title", "02-data", "03-plane-before", "04-plane-after", "05-methods",
         "06-step-size", "07-how-forgotten", "08-regime-dial", "09-where-it-breaks")
SVG = "{http://www.w3.org/2000/svg}"


def _cli(*args):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-m", "explorer", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def deck(tmp_path_factory):
    out = tmp_path_factory.mktemp("deck")
    run = _cli("slides", "--out", str(out), *OPTIONS)
    assert run.returncode == 0, run.stderr
    reference = _cli("unlearn", "--json", *OPTIONS)
    assert reference.returncode == 0, reference.stderr
    return out, json.loads(reference.stdout)


def svg_texts(path):
    """Every text element's content in an SVG file."""
    return [t.text or "" for t in ET.parse(path).getroot().iter(f"{SVG}text")]


def test_every_slide_is_a_full_hd_png_and_an_svg(deck):
    out, _ = deck
    for stem in STEMS:
        with Image.open(out / f"{stem}.png") as img:
            assert img.size == SLIDE_PX
            assert img.size[0] / img.size[1] == pytest.approx(16 / 9)
            # not a blank canvas: the chart was drawn
            assert len(set(img.convert("L").resize((64, 36)).tobytes())) > 3
        root = ET.parse(out / f"{stem}.svg").getroot()
        assert root.tag.endswith("svg") and float(root.get("width")) > 0


def test_the_pdf_has_a_16_9_page_a_slide(deck):
    out, _ = deck
    data = (out / "deck.pdf").read_bytes()
    assert data.startswith(b"%PDF")
    pages = re.findall(rb"/Type\s*/Page\b", data)
    assert len(pages) == len(STEMS)
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", data)
    assert len(boxes) == len(STEMS)
    for w, h in boxes:
        assert float(w) / float(h) == pytest.approx(16 / 9)
        assert float(w) == pytest.approx(13.333 * 72, rel=1e-3)     # a 16:9 deck's page


def test_slides_md_is_one_section_a_slide_with_a_note(deck):
    out, _ = deck
    text = (out / "slides.md").read_text()
    front, *sections = text.split("\n---\n")
    assert front.startswith("---\nmarp: true")
    sections = [s for s in sections if "![" in s]
    assert len(sections) == len(STEMS)
    for stem, section in zip(STEMS, sections):
        assert f"]({stem}.png)" in section
        assert re.search(r"<!--.+-->", section, re.S), stem     # the speaker note


def test_captions_carry_the_cli_numbers(deck):
    out, ref = deck
    text = (out / "slides.md").read_text()
    methods, original = ref["methods"], ref["original"]
    (forgotten,) = ref["forget"]
    lam = next(p["lam"] for p in ref["points"] if p["index"] == forgotten)
    expected = [f"ε_rel {num(methods['ga']['eps_rel'])} vs "
                f"{num(methods['do_nothing']['eps_rel'])} doing nothing",
                f"cosine to retrain {num(methods['ga']['cosine_to_retrain'])}",
                f"trained ε_rel = {num(original['eps_rel'])}",
                f"{original['n_support']} support vectors",
                f"λ of the forgotten point: {num(lam)}",
                f"forgotten: point {forgotten}",
                f"d = {ref['data']['d']}; regime gauge ρ = {num(ref['data']['rho'])}"]
    for phrase in expected:
        assert phrase in text, phrase


def test_the_step_slide_names_the_best_c_of_the_step_size_pages_grid(deck, tmp_path):
    """The Step size page's default grid is np.linspace(0, 2, 41); a sweep over it (another
    code path: core/sweeps, one process) gives the same minimum as the slide's caption."""
    out, _ = deck
    grid = np.linspace(0.0, 2.0, 41)
    run = _cli("sweep", "--vary", "scale", "--values", ",".join(repr(float(c)) for c in grid),
               "--methods", "ga", "--seeds", "1", "--workers", "1", "--out",
               str(tmp_path / "c.csv"), *OPTIONS)
    assert run.returncode == 0, run.stderr
    rows = pd.read_csv(tmp_path / "c.csv")
    ga = rows[rows["method"] == "ga"].set_index("value")["eps_rel"]
    best = ga.idxmin()
    caption = (out / "slides.md").read_text()
    assert f"ε_rel is smallest at c = {best:.2f} ({num(ga[best])})" in caption


def test_the_break_slide_means_are_the_cli_runs_averaged(deck):
    """Mean over BREAK_SEEDS seeds of GA's and doing nothing's eps_rel at the smallest and
    the largest d, each seed from its own ``unlearn --json`` process."""
    out, _ = deck
    means = {}
    for d in (BREAK_DIMS[0], BREAK_DIMS[-1]):
        runs = []
        for k in range(BREAK_SEEDS):
            options = [o for o in OPTIONS]
            options[options.index("--seed") + 1] = str(3 + k)
            options[options.index("--dim") + 1] = str(d)
            run = _cli("unlearn", "--json", *options)
            assert run.returncode == 0, run.stderr
            runs.append(json.loads(run.stdout)["methods"])
        means[d] = {m: float(np.mean([r[m]["eps_rel"] for r in runs]))
                    for m in ("ga", "do_nothing")}
    lo, hi = BREAK_DIMS[0], BREAK_DIMS[-1]
    expected = (f"Mean of {BREAK_SEEDS} seeds: GA ε_rel {num(means[lo]['ga'])} at d = {lo} "
                f"(doing nothing {num(means[lo]['do_nothing'])}), {num(means[hi]['ga'])} at "
                f"d = {hi} (doing nothing {num(means[hi]['do_nothing'])})")
    assert expected in (out / "slides.md").read_text()


def test_log_axes_read_well(deck):
    """The methods slide: no "0k" or "0.000001"-style labels, and the cost axis counts
    1, 10, 100, 1k; the break slide: a titled y axis with a tick in the top half-decade of
    what it draws; no bars anywhere on a log scale."""
    out, _ = deck
    texts = svg_texts(out / "05-methods.svg")
    assert "0k" not in texts and not any(re.fullmatch(r"0\.0000\d+", t) for t in texts)
    assert {"1", "10", "100"} <= set(texts)
    assert "0: the reference" in texts                       # retrain's 1 - cos, not 1e-16
    assert "mark-rect" not in (out / "05-methods.svg").read_text()  # lollipops, no bars
    texts = svg_texts(out / "09-where-it-breaks.svg")
    assert "ε_rel on the retained points (log)" in texts
    ticks = [float(t.replace("e-", "E-")) for t in texts if re.fullmatch(r"[\d.]+(e-\d+)?", t)]
    data = re.search(r"GA ε_rel ([\d.]+) at d = 20 \(doing nothing ([\d.]+)\)",
                     (out / "slides.md").read_text())
    assert max(ticks) > 0.5 * max(float(data.group(1)), float(data.group(2)))


def test_the_data_slide_marks_the_forgotten_point(deck):
    out, ref = deck
    (forgotten,) = ref["forget"]
    assert f"forgotten {forgotten}" in svg_texts(out / "02-data.svg")


def test_the_break_slide_legend_is_as_strong_as_its_lines():
    from present.figures import method_color

    legend = method_color(["ga"]).to_dict()["legend"]
    assert legend["symbolOpacity"] == 1


def _color_scales(spec):
    """Every colour (or stroke/fill) scale with a domain and a range in a chart's dict."""
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key in ("color", "stroke", "fill") and isinstance(value, dict) and \
                    isinstance(value.get("scale"), dict) and "range" in value["scale"]:
                yield value["scale"]
            yield from _color_scales(value)
    elif isinstance(spec, list):
        for value in spec:
            yield from _color_scales(value)


def test_the_methods_keep_their_registered_colours(monkeypatch):
    """Every method on the methods slide has the colour its registry entry declares (the
    app's cards and figures read the same entry)."""
    from core import registry
    from core.scenario import Scenario
    from present.slide_builders import methods_slide

    monkeypatch.setattr(slides, "SLIDES", [methods_slide])
    ((_, slide),) = slides.build_deck(Scenario(n_samples=12, dim=200, width=10, steps=50))
    own = {registry.get(m).label: registry.get(m).color for m in registry.names("relu")}
    scales = list(_color_scales(slide.chart.to_dict(validate=False)))
    assert scales
    for scale in scales:
        assert dict(zip(scale["domain"], scale["range"])) == {
            label: own[label] for label in scale["domain"]}
    assert set(scales[0]["domain"]) == set(own)


def test_a_slide_is_one_more_builder_in_the_list(monkeypatch):
    """The deck's order is present.slides.SLIDES: a builder added there is a numbered file."""
    from core.scenario import Scenario

    def extra(deck):
        return title_slide(deck).__class__("extra", "Extra", "caption", "note",
                                           title_slide(deck).chart)

    monkeypatch.setattr(slides, "SLIDES", [title_slide, extra])
    built = slides.build_deck(Scenario(n_samples=12, dim=200, width=10, steps=50))
    assert [stem for stem, _ in built] == ["01-title", "02-extra"]


def test_a_bad_scenario_is_one_line_and_exit_2(tmp_path):
    run = _cli("slides", "--out", str(tmp_path), "--n-samples", "1")
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1 and "n_samples" in run.stderr
    assert not any(tmp_path.iterdir())


def test_the_forgetting_slide_carries_the_attack_and_relearning_of_the_cli(deck):
    """"How forgotten is it?" on the deck: the U-LiRA AUCs and relearning counts in its
    caption are those of ``unlearn --ulira 8 --relearn`` run in another process."""
    from present.slide_builders import ULIRA_K

    out, _ = deck
    run = _cli("unlearn", "--json", "--methods", "all", "--ulira", str(ULIRA_K), "--relearn",
               *OPTIONS)
    assert run.returncode == 0, run.stderr
    methods = json.loads(run.stdout)["methods"]
    text = (out / "slides.md").read_text()
    assert (f"GA {num(methods['ga']['ulira']['auc'])}, doing nothing "
            f"{num(methods['do_nothing']['ulira']['auc'])}, retrain "
            f"{num(methods['retrain']['ulira']['auc'])}") in text
    assert (f"GA {methods['ga']['relearn_steps']}, retrain "
            f"{methods['retrain']['relearn_steps']}") in text


def test_the_regime_slide_names_rho_at_both_ends_of_the_dial(deck):
    """The dial's caption gives rho at the smallest B and without a lift; without a lift
    that is the regime gauge of the scenario itself (the CLI's data.rho), averaged over the
    dial's seeds (the first of which is the scenario's)."""
    out, ref = deck
    text = (out / "slides.md").read_text()
    section = next(s for s in text.split("\n---\n") if "08-regime-dial" in s)
    assert "B = 0.05: ρ " in section and "no lift: ρ " in section
