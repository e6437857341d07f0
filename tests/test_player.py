"""The training player: log-spaced snapshots, each frame the model a plain NumPy GD reaches
at that step, certificates only once separating, and the GIF export frame by frame."""
import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from core.compare import prepare
from core.models import build_context, weights
from core.replay import training_frames
from core.scenario import Scenario
from core.train import record_schedule, train
from tests import naive
from ui import player

APP = "../app.py"
ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("steps", [2, 10, 500, 2000, 200_000])
def test_recorded_steps_are_log_spaced_from_0_to_the_last(steps):
    r = record_schedule(steps)
    assert r[0] == 0 and r[-1] == steps and np.all(np.diff(r) > 0)
    if steps >= 500:
        assert 50 <= len(r) <= 100          # about 50-100 frames for a player
        gaps = np.diff(np.log(r[1:]))
        # log-spaced: the late ratios are all about the same, (steps)^(1/79)
        assert np.allclose(gaps[-10:], np.log(steps) / 79, rtol=0.3)


def test_each_frame_is_the_numpy_gd_model_at_its_step():
    X, y = naive.gaussian_data(8, 40, 1)
    W0, v = naive.relu_init(6, 40, 1e-3, 2), naive.output_weights(6)
    ctx = build_context(X, y, W0, v, True)
    run = train(ctx, steps=60)
    path, _ = naive.gd(X, y, W0, v, True, "exp", True, 8.0, 60)

    class Prep:                     # the two fields training_frames reads
        trained, scenario = run, Scenario(n_samples=8, dim=40, width=6, steps=60)
    Prep.ctx = ctx
    frames = training_frames(Prep)
    assert [f.step for f in frames] == list(record_schedule(60))
    for f in frames:
        W = weights(ctx, f.model)
        assert np.linalg.norm(W - path[f.step]) <= 1e-9 * np.linalg.norm(path[f.step])
        separates = naive.margins(path[f.step], X, y, v, True).min() > 0
        assert (f.certificate is not None) == separates


@pytest.fixture(scope="module")
def small():
    sc = Scenario(n_samples=12, dim=120, width=10, steps=40)
    return sc, prepare(sc)


def test_frame_specs_and_gif_have_one_frame_per_snapshot(small):
    sc, prep = small
    specs = player.frame_specs(sc, False)
    assert len(specs) == len(prep.trained.history.steps)
    gif = player.gif_bytes(sc, False)
    with Image.open(io.BytesIO(gif)) as img:
        assert img.format == "GIF" and img.n_frames == len(specs)


def test_the_player_steps_plays_and_pauses():
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("pages/2_data.py").run()
    at.toggle(key="ux.player.on").set_value(True).run()
    assert not at.exception
    scrub = [s for s in at.slider if s.key.startswith("ux.player.scrub")]
    assert scrub[0].value == 1
    at.button(key="ux.player.step").click().run()
    assert [s.value for s in at.slider if s.key.startswith("ux.player.scrub")] == [2]
    at.button(key="ux.player.play").click().run()
    assert at.button(key="ux.player.play").label == "Pause"
    at.button(key="ux.player.play").click().run()
    assert at.button(key="ux.player.play").label == "Play"
    assert not at.exception


def test_the_app_config_turns_off_streamlits_gc_after_every_run(tmp_path):
    """Play's frame rate needs it (benchmarks/bench_player.py): Streamlit's own parser, reading
    the config beside app.py, must see ``runner.postScriptGC = false`` (a misspelt hidden
    option would be ignored silently)."""
    probe = ("from streamlit import config\n"
             f"config._main_script_path = {str(ROOT / 'app.py')!r}\n"
             "config.get_config_options(force_reparse=True)\n"
             "print(config.get_option('runner.postScriptGC'))\n")
    out = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True,
                         text=True, timeout=60, env={**os.environ, "HOME": str(tmp_path)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[-1] == "False"
