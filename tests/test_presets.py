"""Presets from scikit-learn's bundled data (core/presets.py): offline, seeded, balanced,
with the class mapping checked against the bundled arrays themselves.
"""
import io
import json
import socket
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image
from sklearn.datasets import load_breast_cancer, load_digits

from core.compare import prepare
from core.errors import InputError
from core.presets import load_preset, preset_images
from core.scenario import Scenario
from explorer.cli import main
from tests.helpers import shown
from ui.data_summary import TILE, digit_grid_png


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network disabled in this test")
    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def _rows_of(X_all, rows):
    """Index in X_all of every row of `rows` (the bundled data have a few duplicates)."""
    return [int(np.flatnonzero((X_all == r).all(axis=1))[0]) for r in rows]


@pytest.mark.parametrize("kind", ["digits", "breast_cancer", "iris"])
def test_presets_load_without_network(no_network, kind):
    ds = load_preset(kind, n_samples=20, seed=0)
    assert ds.n_samples == 20 and np.all(np.isfinite(ds.X))


def test_digits_map_the_smaller_class_to_minus_one():
    bunch = load_digits()
    ds = load_preset("digits", (8, 3), n_samples=30, seed=2)
    assert ds.label_names == ("3", "8")
    idx = _rows_of(bunch.data, ds.X)
    targets = bunch.target[idx]
    assert set(targets) == {3, 8}
    np.testing.assert_array_equal(ds.y, np.where(targets == 8, 1.0, -1.0))


def test_iris_and_breast_cancer_classes_and_names():
    iris = load_preset("iris", (2, 1), n_samples=20, seed=0)
    assert iris.label_names == ("versicolor", "virginica") and iris.dim == 4
    cancer = load_preset("breast_cancer", n_samples=20, seed=0)
    assert cancer.label_names == ("malignant", "benign") and cancer.dim == 30
    bunch = load_breast_cancer()
    targets = bunch.target[_rows_of(bunch.data, cancer.X)]
    np.testing.assert_array_equal(cancer.y, np.where(targets == 1, 1.0, -1.0))


@pytest.mark.parametrize("n", [10, 11, 40])
def test_subsample_is_balanced_seeded_and_disjoint_from_the_test_set(n):
    a = load_preset("digits", None, n_samples=n, seed=5)
    b = load_preset("digits", None, n_samples=n, seed=5)
    c = load_preset("digits", None, n_samples=n, seed=6)
    assert a.X.tobytes() == b.X.tobytes() and a.y.tobytes() == b.y.tobytes()
    assert a.X.tobytes() != c.X.tobytes()
    assert int(np.sum(a.y == 1)) == n - n // 2 and int(np.sum(a.y == -1)) == n // 2
    bunch = load_digits()
    n_both = int(np.sum(np.isin(bunch.target, (3, 8))))
    assert a.n_samples + a.X_test.shape[0] == n_both          # every other 3 and 8 is test
    train_rows = {r.tobytes() for r in a.X}
    assert not any(r.tobytes() in train_rows for r in a.X_test if
                   np.sum((bunch.data == r).all(axis=1)) == 1)


def test_test_set_size_is_capped_by_n_test():
    ds = load_preset("iris", (0, 1), n_samples=20, seed=0, n_test=7)
    assert ds.X_test.shape[0] == 7
    assert load_preset("iris", (0, 1), n_samples=20, seed=0, n_test=0).X_test is None


@pytest.mark.parametrize("classes, message", [
    ((3, 3), "classes must be two different labels, not 3 twice"),
    ((3, 11), "class 11 does not exist: choose from 0, 1, 2"),
    ((3,), "classes must be two class labels like 3,8")])
def test_bad_classes_are_refused(classes, message):
    with pytest.raises(InputError, match=message):
        Scenario(data="digits", classes=classes).validated()


def test_too_many_points_for_a_class_is_refused():
    with pytest.raises(InputError, match="n_samples=360 needs 180 points of class 8, which "
                                         "has 174: use n_samples <= 348"):
        load_preset("digits", None, n_samples=360)


def test_classes_are_for_presets_only():
    with pytest.raises(InputError, match="classes is for the presets"):
        Scenario(classes=(3, 8)).validated()


def test_images_are_the_training_points_in_order():
    ds = load_preset("digits", (4, 9), n_samples=12, seed=1)
    images = preset_images("digits", (4, 9), n_samples=12, seed=1)
    np.testing.assert_array_equal(images.reshape(12, 64), ds.X)


def test_digit_grid_is_a_png_of_the_right_size():
    images = np.random.default_rng(0).uniform(0, 16, (23, 8, 8))
    y = np.where(np.arange(23) % 2, 1.0, -1.0)
    png = Image.open(io.BytesIO(digit_grid_png(images, y, {3}, columns=10)))
    cell_w, cell_h = 8 * TILE + 8, 8 * TILE + 8
    assert png.size == (10 * cell_w, 3 * cell_h)
    red = np.array(png)[cell_h // 2, 3 * cell_w + 1]
    assert tuple(red) == (214, 39, 40)      # the forgotten point's frame


def test_digits_scenario_end_to_end_and_its_json(capsys):
    assert main(["unlearn", "--data", "digits", "--classes", "3,8", "--n-samples", "20",
                 "--steps", "100", "--lift", "300", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)["data"]
    assert (data["dataset"], data["classes"], data["n"], data["d"]) == ("digits", [3, 8], 20,
                                                                        300)
    assert data["labels"] == {"-1": "3", "+1": "8"} and data["lift"] == 300
    assert data["n_test"] == 357 - 20


def test_a_preset_scenario_prepares():
    prep = prepare(Scenario(data="iris", classes=(0, 2), n_samples=20, steps=100,
                            preprocess="standardize", lift=0))
    assert prep.dataset.dim == 4 and prep.dataset.label_names == ("setosa", "virginica")


def test_sklearn_is_imported_only_when_a_preset_is_used():
    code = ("import sys; import explorer.cli, core.compare, core.scenario; "
            "print('sklearn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def _widget(at, kind, name):
    from ui import state
    prefix = f"{state.PREFIX}w.{name}."
    return next(w for w in getattr(at, kind) if w.key and w.key.startswith(prefix))


def test_the_data_page_shows_a_digits_link_with_labels_and_images(open_app, no_trouble):
    at = open_app("pages/2_data.py", data="digits", classes="4,9", n_samples="20",
                  steps="100", forget="3")
    no_trouble(at)
    text = " ".join(shown(m.value) for m in at.markdown)
    assert "**Data** digits (classes 4 vs 9). **Labels** -1 = 4, +1 = 9." in text
    assert len(at.get("image")) == 1
    assert _widget(at, "selectbox", "source").value == "digits"
    assert _widget(at, "selectbox", "preprocess").value == "unit_median_norm"


def test_the_form_trains_a_lifted_digits_preset(open_app, no_trouble):
    at = open_app("pages/2_data.py", n_samples="20", steps="100", width="20")
    _widget(at, "selectbox", "source").set_value("digits").run()
    _widget(at, "selectbox", "class_1_digits").set_value(9).run()
    _widget(at, "selectbox", "preprocess").set_value("standardize").run()
    _widget(at, "number_input", "lift").set_value(500).run()
    at.button(key="ux.train").click().run()
    no_trouble(at)
    scenario = at.session_state["ux.scenario"]
    assert (scenario.data, scenario.classes, scenario.preprocess, scenario.lift) == (
        "digits", (3, 9), "standardize", 500)
    assert at.query_params["classes"] == "3,9" and at.query_params["lift"] == "500"
