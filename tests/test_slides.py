"""The slide deck (``python -m explorer slides``): every file is there at 16:9 full HD, and the
captions carry the numbers that ``python -m explorer unlearn --json`` reports for the same
scenario (two processes, the same scenario options)."""
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PIL import Image

from present.slides import SLIDE_PX, num

ROOT = Path(__file__).resolve().parent.parent
OPTIONS = ["--n-samples", "16", "--dim", "300", "--width", "20", "--steps", "150",
           "--seed", "3"]
STEMS = ("01-title", "02-data", "03-plane-before", "04-plane-after", "05-methods",
         "06-step-size", "07-where-it-breaks")


def _cli(*args):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-m", "explorer", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def deck(tmp_path_factory):
    out = tmp_path_factory.mktemp("deck")
    run = _cli("slides", "--out", str(out), *OPTIONS)
    assert run.returncode == 0, run.stderr
    reference = _cli("unlearn", "--json", *OPTIONS)
    assert reference.returncode == 0, reference.stderr
    return out, json.loads(reference.stdout)


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


def test_slides_md_lists_every_slide_in_order(deck):
    out, _ = deck
    text = (out / "slides.md").read_text()
    positions = [text.index(f"({stem}.png)") for stem in STEMS]
    assert positions == sorted(positions)


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


def test_a_bad_scenario_is_one_line_and_exit_2(tmp_path):
    run = _cli("slides", "--out", str(tmp_path), "--n-samples", "1")
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1 and "n_samples" in run.stderr
    assert not any(tmp_path.iterdir())
