"""Preprocessing's units in the JSON and on the Data page, values the model's arithmetic
cannot hold (issue 19 crash 4: ZeroDivisionError in train_options), and the measured hint
when training does not separate the data (issue 20 item 6).

Expected values come from NumPy written from the formulas (median norms, column means and
deviations), hand-built files and independent trainings of the suggested settings.
"""
import json

import numpy as np
import pandas as pd
import pytest

from core.compare import prepare
from core.data import make_dataset
from core.errors import InputError
from core.models import margins
from core.scenario import Scenario
from core.transform import apply, preprocess_with_record, step_scale
from explorer.cli import main
from present.share import from_json, from_query

# ------------------------------------------------------------------ units

def test_the_json_reports_the_scale_and_centring_preprocessing_applied(tmp_path, capsys):
    rng = np.random.default_rng(0)
    X = rng.normal(1.0, 3.0, (30, 200))
    y = np.where(rng.random(30) < 0.5, 3, 7)
    frame = pd.DataFrame(X, columns=[f"f{k}" for k in range(200)])
    frame["y"] = y
    path = tmp_path / "big.csv"
    frame.to_csv(path, index=False)
    assert main(["unlearn", "--data-file", str(path), "--preprocess", "standardize",
                 "--json"]) == 0
    data = json.loads(capsys.readouterr().out)["data"]
    loaded = pd.read_csv(path).drop(columns="y").to_numpy()
    Z = (loaded - loaded.mean(axis=0)) / loaded.std(axis=0)
    assert data["scale"] == pytest.approx(np.median(np.linalg.norm(Z, axis=1)), rel=1e-12)
    assert data["centred"] is True and data["standardized"] is True
    assert main(["unlearn", "--data-file", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)["data"]
    assert data["scale"] == pytest.approx(np.median(np.linalg.norm(loaded, axis=1)), rel=1e-12)
    assert data["centred"] is False and data["sigma"] is None and data["lift_kind"] == "relu"
    assert data["bandwidth"] == 1.0 and data["lift"] == 0


@pytest.mark.parametrize("kind, scale, centred", [("as_is", 1.0, False),
                                                  ("unit_rows", None, False)])
def test_units_of_the_other_preprocessings(kind, scale, centred):
    X = np.random.default_rng(1).normal(size=(6, 4))
    _, _, rec = preprocess_with_record(X, None, kind)
    assert (rec.scale, rec.centred) == (scale, centred)


def test_the_data_page_states_the_units(open_app, no_trouble):
    at = open_app("pages/2_data.py", data="digits", n_samples="20", steps="100", width="20")
    no_trouble(at)
    text = " ".join(m.value for m in at.markdown)
    from sklearn.datasets import load_digits  # the page's number, computed here

    from core.presets import balanced_subsample
    digits = load_digits()
    train, _ = balanced_subsample(digits.target, (3, 8), 20, 0)
    median = np.median(np.linalg.norm(digits.data[train], axis=1))
    assert f"**Units** rows divided by {median:.4g}:" in text


# ------------------------------------------------------------------ issue 19 crash 4

def _csv(tmp_path, rows, name="huge.csv"):
    path = tmp_path / name
    path.write_text("a,b,y\n" + "\n".join(rows) + "\n")
    return str(path)


@pytest.mark.parametrize("rows", [["-1e308,-1e308,0", "1,1,1"], ["-1e308,0,0", "1,1,1", "2,1,0"]])
def test_a_csv_with_a_row_of_minus_1e308_gives_a_clear_error(tmp_path, rows):
    """It overflowed the median norm to inf, scaled every row to 0 and divided lr by 0."""
    with pytest.raises(InputError, match="1e\\+308"):
        prepare(Scenario(data_file=_csv(tmp_path, rows)))


@pytest.mark.parametrize("X, message", [
    ([[-1e308, -1e308], [1.0, 1.0]], "point 1 is 1e\\+308 times shorter than the longest point "
                                     "\\(row 0, column 0 holds -1e\\+308\\)"),
    ([[-1e308, 0.0], [1.0, 1.0], [2.0, 1.0]], "row 0, column 0 holds -1e\\+308"),
    ([[1e200, 0.0], [1.0, 1.0], [2.0, 1.0], [1.0, 3.0]], "squared norms overflow float64"),
])
def test_the_scaling_refuses_rows_the_model_cannot_hold(X, message):
    """The same at the scaling itself, whatever loaded the rows (a file, an array)."""
    y = np.where(np.arange(len(X)) % 2, 1.0, -1.0)
    with pytest.raises(InputError, match=message):
        apply(make_dataset(np.array(X), y), "unit_median_norm")


def test_a_column_whose_deviation_overflows_cannot_be_standardized():
    X = np.array([[-1e308, 0.0], [1e308, 1.0], [1.0, 2.0], [2.0, 1.0]])
    with pytest.raises(InputError, match="column 0 cannot be standardized"):
        apply(make_dataset(X, np.array([-1.0, 1.0, -1.0, 1.0])), "standardize")


def test_subnormal_rows_and_test_rows_they_blow_up_are_refused():
    """Found by the fuzz battery: training rows ~1e-321 scaled the test rows to inf."""
    X = np.array([[1.255e-321], [-1.319e-321], [6.403e-321], [1.047e-321]])
    y = np.array([1.0, -1.0, -1.0, 1.0])
    data = make_dataset(X, y, np.array([[1.3], [0.9]]), np.array([1.0, -1.0]))
    with pytest.raises(InputError, match="below float64's normal range"):
        apply(data, "unit_median_norm")
    small = make_dataset(np.full((4, 1), 1e-300) * y[:, None], y, np.array([[1e10]]),
                         np.array([1.0]))
    with pytest.raises(InputError, match="test point 0 overflows float64 once divided"):
        apply(small, "unit_median_norm")


@pytest.mark.parametrize("scale", [1e-170, 1e170])
def test_a_learning_rate_unit_outside_float64_is_refused(scale):
    """(median norm)^2 underflowed to 0 and lr / 0 raised ZeroDivisionError."""
    with pytest.raises(InputError, match="learning rate's unit"):
        step_scale(scale * np.eye(3))


def test_data_without_a_scale_are_refused_before_the_learning_rate():
    with pytest.raises(InputError, match="median norm 0"):
        step_scale(np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 0.0]]))


def test_lift_1_from_a_link_a_scenario_file_and_the_cli(capsys):
    message = "The ReLU lift to D=1 maps"
    with pytest.raises(InputError, match=message):
        prepare(from_query({"lift": "1"}).scenario)
    with pytest.raises(InputError, match=message):
        prepare(from_json(json.dumps({"scenario": {"lift": 1}})).scenario)
    assert main(["unlearn", "--lift", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {message}") and err.count("\n") == 1


def test_the_csv_of_minus_1e308_exits_2_in_the_cli(tmp_path, capsys):
    assert main(["unlearn", "--data-file", _csv(tmp_path, ["-1e308,-1e308,0", "1,1,1"])]) == 2
    err = capsys.readouterr().err
    assert "1e+308" in err and err.count("\n") == 1


def test_the_app_shows_one_message_for_lift_1_and_stays_usable(open_app):
    at = open_app(lift="1")
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.error) == 1 and "The ReLU lift to D=1 maps" in at.error[0].value.replace("\\", "")
    at.switch_page("pages/2_data.py").run()
    assert not at.exception and not at.error


# ------------------------------------------------------------------ issue 20 item 6

def _cat_dog(tmp_path):
    """60 x 50 values ~ 100 +- 30 with labels cat/dog (the reported file)."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(100.0, 30.0, (60, 50)), columns=[f"f{k}" for k in range(50)])
    frame["label"] = np.where(rng.random(60) < 0.5, "cat", "dog")
    path = tmp_path / "catdog.csv"
    frame.to_csv(path, index=False)
    return str(path)


def test_own_data_that_standardize_trains_get_that_hint_from_a_measurement(tmp_path):
    path = _cat_dog(tmp_path)
    with pytest.raises(InputError) as err:
        prepare(Scenario(data_file=path))
    text = str(err.value)
    assert "does not separate the data" in text
    # the hint is a measurement: the same training with standardize separates, and its
    # min margin is the one quoted
    prep = prepare(Scenario(data_file=path, preprocess="standardize"))
    q = float(np.min(margins(prep.ctx, prep.trained.params)))
    assert q > 0 and f"preprocess=standardize (min margin {q:.3g})" in text
    assert "Measured by training again with one change" in text


def test_the_hint_names_nothing_that_does_not_train(tmp_path):
    """moons are not separable through the origin by a linear model, whatever the scaling:
    every preprocessing is tried and said not to separate, the lift is what separates."""
    with pytest.raises(InputError) as err:
        prepare(Scenario(data="moons", model="linear"))
    text = str(err.value)
    for kind in ("standardize", "unit_rows", "as_is"):
        assert f"preprocess={kind} (" not in text
    assert "lift=1000 lift_kind=fourier bandwidth=0.5 (min margin" in text


def test_overlapping_classes_in_raw_units_get_the_sharper_lift_from_a_measurement(tmp_path):
    """Two classes that overlap, in mixed units (grams, a ratio ~0.003): no preprocessing
    separates them and the presets' lift (B = 0.5) leaves too small a margin for the
    default steps; the sharper lift B = 0.1 does, and the hint quotes its measured margin."""
    rng = np.random.default_rng(7)
    y = rng.integers(0, 2, 80)
    frame = pd.DataFrame({"weight (g)": rng.normal(2000 + 300 * y, 250),
                          "ratio": rng.normal(0.003 - 0.001 * y, 0.0015),
                          "temp": rng.normal(50, 10, 80), "score": rng.normal(-7 + 2 * y, 3),
                          "label": np.where(y == 1, "cat", "dog")})
    path = tmp_path / "overlap.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(InputError) as err:
        prepare(Scenario(data_file=str(path)))
    text = str(err.value)
    sharper = Scenario(data_file=str(path), preprocess="standardize", lift=1000,
                       lift_kind="fourier", bandwidth=0.1)
    prep = prepare(sharper)
    q = float(np.min(margins(prep.ctx, prep.trained.params)))
    assert q > 0
    assert f"lift=1000 lift_kind=fourier bandwidth=0.1 (min margin {q:.3g})" in text
    assert "bandwidth=0.5 (min margin" not in text
