"""The one preprocessing pipeline (core/transform.py), the learning rate's unit, the
real-data failure of issue 7 and the non-separation diagnosis (core/diagnose.py).

Expected values come from NumPy twins written from the formulas, the arc-cosine kernel,
SciPy's LP and hand-built models, never from the code under test.
"""
import math
import re

import numpy as np
import pandas as pd
import pytest

from core.compare import compare, context_for, load_dataset, prepare
from core.data import make_dataset
from core.diagnose import (
    dead_relus,
    format_margin,
    linearly_separable,
    margin_rising,
    not_separating_message,
)
from core.errors import InputError
from core.lift import relu_features as lift
from core.lift import relu_matrix as lift_matrix
from core.models import GramModel, margins
from core.scenario import Scenario
from core.train import TrainHistory
from core.transform import PREPROCESS, apply, preprocess
from explorer.cli import main
from tests.helpers import shown


def rng_data(n=12, d=7, seed=0, scale=5.0):
    rng = np.random.default_rng(seed)
    return rng.normal(3.0, scale, (n, d)), rng.normal(3.0, scale, (5, d))


# ------------------------------------------------------------------ preprocessing twins

def test_unit_median_norm_divides_by_the_training_median_norm():
    X, T = rng_data()
    median = np.median([math.sqrt(sum(v * v for v in row)) for row in X])
    Xp, Tp = preprocess(X, T, "unit_median_norm")
    np.testing.assert_allclose(Xp, X / median, rtol=1e-14)
    np.testing.assert_allclose(Tp, T / median, rtol=1e-14)   # training statistics
    assert np.median(np.linalg.norm(Xp, axis=1)) == pytest.approx(1.0, rel=1e-14)


def test_unit_rows_gives_every_row_norm_one():
    X, T = rng_data()
    Xp, Tp = preprocess(X, T, "unit_rows")
    np.testing.assert_allclose(np.linalg.norm(Xp, axis=1), 1.0, rtol=1e-14)
    np.testing.assert_allclose(Tp * np.linalg.norm(T, axis=1)[:, None], T, rtol=1e-13)


def test_standardize_uses_training_means_and_deviations_then_unit_median_norm():
    X, T = rng_data()
    X[:, 2] = 4.0                                   # a constant column becomes 0
    mean = X.sum(axis=0) / X.shape[0]
    std = np.sqrt(((X - mean) ** 2).sum(axis=0) / X.shape[0])
    std[2] = 1.0
    Z, Zt = (X - mean) / std, (T - mean) / std
    median = np.median(np.linalg.norm(Z, axis=1))
    Xp, Tp = preprocess(X, T, "standardize")
    np.testing.assert_allclose(Xp, Z / median, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(Tp, Zt / median, rtol=1e-12, atol=1e-15)
    assert np.all(Xp[:, 2] == 0.0)


def test_as_is_changes_nothing_and_hands_the_kernels_a_writeable_copy():
    """A read-only input (a cached or memory-mapped array) would make Numba compile the
    training kernel a second time, for read-only arrays."""
    X, T = rng_data()
    X.flags.writeable = False
    Xp, Tp = preprocess(X, T, "as_is")
    assert np.array_equal(Xp, X) and np.array_equal(Tp, T)
    assert Xp.flags.writeable and Xp.flags.c_contiguous and Xp is not X


def test_unknown_preprocessing_is_refused():
    with pytest.raises(InputError, match="preprocess must be one of unit_median_norm"):
        preprocess(np.eye(3), None, "log")


def test_zero_rows_cannot_be_scaled():
    with pytest.raises(InputError, match="has a zero row \\(point 1\\)"):
        preprocess(np.array([[1.0, 0.0], [0.0, 0.0]]), None, "unit_rows")
    with pytest.raises(InputError, match="more than half of the points are zero vectors"):
        preprocess(np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 0.0]]), None)


# ------------------------------------------------------------------ random-feature lift

def test_lift_matches_a_numpy_twin():
    X, _ = rng_data(n=6, d=5)
    D, seed = 300, 4
    R = np.random.default_rng([seed, 2]).standard_normal((D, 5))
    twin = np.array([[max(0.0, float(r @ x)) for r in R] for x in X]) / math.sqrt(D)
    np.testing.assert_allclose(lift(X, lift_matrix(5, D, seed)), twin, rtol=1e-12)


def test_lift_inner_products_approach_the_arc_cosine_kernel():
    """<phi(x), phi(x')> -> |x||x'| (sin t + (pi - t) cos t) / (2 pi) as D grows."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((4, 20))
    Phi = lift(X, lift_matrix(20, 200_000, 0))
    norms = np.linalg.norm(X, axis=1)
    cos = np.clip(X @ X.T / np.outer(norms, norms), -1, 1)
    t = np.arccos(cos)
    kernel = np.outer(norms, norms) * (np.sin(t) + (math.pi - t) * cos) / (2 * math.pi)
    np.testing.assert_allclose(Phi @ Phi.T, kernel, rtol=0.02, atol=0.02 * norms.max() ** 2)


def test_apply_scales_then_lifts_the_test_set_with_the_same_map():
    X, T = rng_data(n=10, d=6)
    y = np.where(np.arange(10) % 2, 1.0, -1.0)
    ds = make_dataset(X, y, T, np.ones(5), name="raw", label_names=("a", "b"))
    out = apply(ds, "unit_median_norm", 50, seed=3)
    median = np.median(np.linalg.norm(X, axis=1))
    R = np.random.default_rng([3, 2]).standard_normal((50, 6))
    np.testing.assert_allclose(out.X, np.maximum(X / median @ R.T, 0) / math.sqrt(50),
                               rtol=1e-12)
    np.testing.assert_allclose(out.X_test, np.maximum(T / median @ R.T, 0) / math.sqrt(50),
                               rtol=1e-12)
    assert out.dim == 50 and out.label_names == ("a", "b") and "lifted to D=50" in out.name


def test_the_lift_reaches_the_scenario_and_its_json(tmp_path):
    prep = prepare(Scenario(n_samples=10, dim=30, width=10, steps=100, lift=400))
    assert prep.dataset.dim == 400 and prep.gauge.n_lt_d


# ------------------------------------------------------------------ the default demo

def test_the_default_generated_data_are_only_rescaled_by_their_median_norm():
    """Unit median norm divides x ~ N(0, I/d) by a number within 1% of 1."""
    raw = load_dataset(Scenario(preprocess="as_is"))
    scaled = load_dataset(Scenario())
    ratio = scaled.X / raw.X
    assert np.allclose(ratio, ratio[0, 0], rtol=1e-12) and abs(ratio[0, 0] - 1) < 0.01


def test_scaling_the_data_does_not_change_the_linear_run():
    """eta = lr / median ||x||^2: GD on X and on 10 X give the same predictor up to 10."""
    base = Scenario(model="linear", n_samples=12, dim=40, steps=300, preprocess="as_is")
    ds = load_dataset(base)
    runs = []
    for s in (1.0, 10.0):
        big = make_dataset(s * ds.X, ds.y)
        prep = prepare(base, dataset=big)
        runs.append((margins(prep.ctx, prep.trained.params), prep.original.eps_rel))
    np.testing.assert_allclose(runs[1][0], runs[0][0], rtol=1e-8)
    assert runs[1][1] == pytest.approx(runs[0][1], rel=1e-7)


# ------------------------------------------------------------------ issue 7: real data

def _write_gaussian(tmp_path, labels, suffix):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 200))
    side = rng.choice([0, 1], 30)
    y = np.where(side == 0, labels[0], labels[1])
    path = tmp_path / f"gauss{suffix}"
    if suffix == ".npz":
        np.savez(path, X=X, y=y)
    else:
        frame = pd.DataFrame(X, columns=[f"f{k}" for k in range(200)])
        frame["y"] = y
        frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("labels, suffix", [((-1, 1), ".csv"), ((0, 1), ".csv"),
                                            ((3, 7), ".csv"), ((3, 7), ".npz")])
def test_unnormalized_gaussian_data_train_and_ga_beats_doing_nothing(tmp_path, labels, suffix):
    """30 x 200 N(0, 1) rows (||x||^2 ~ 200) failed with 'min margin -0' before scaling."""
    path = _write_gaussian(tmp_path, labels, suffix)
    prep = prepare(Scenario(data_file=str(path)))
    assert prep.dataset.label_names == labels
    methods = compare(prep, (0,)).methods
    assert methods["ga"].certificate.eps_rel < 0.7 * methods["do_nothing"].certificate.eps_rel


@pytest.mark.parametrize("preprocess_kind", PREPROCESS)
def test_every_preprocessing_trains_the_unnormalized_data(tmp_path, preprocess_kind):
    path = _write_gaussian(tmp_path, (3, 7), ".csv")
    prep = prepare(Scenario(data_file=str(path), preprocess=preprocess_kind))
    assert np.all(margins(prep.ctx, prep.trained.params) > 0)


def test_the_cli_trains_the_unnormalized_csv_and_names_the_labels(tmp_path, capsys):
    path = _write_gaussian(tmp_path, (3, 7), ".csv")
    assert main(["unlearn", "--data-file", str(path), "--forget", "0"]) == 0
    out = capsys.readouterr().out
    assert "labels -1 = 3, +1 = 7, preprocess unit_median_norm" in out
    assert not re.search(r"-0(?![.\d])", out)
    ratio = float(re.search(r"GA eps_rel is ([\d.]+) x do-nothing's", out).group(1))
    assert ratio < 0.7


# ------------------------------------------------------------------ diagnosis

def test_margins_are_never_printed_as_minus_zero():
    assert format_margin(-0.0) == "0"
    assert format_margin(-1e-5) == "-1e-05" and format_margin(0.25) == "0.25"


def test_linear_separability_agrees_with_an_exact_construction():
    X = np.array([[1.0, 0.2], [0.8, -0.1], [-1.0, 0.3], [-0.7, -0.4]])
    y = np.array([1.0, 1.0, -1.0, -1.0])          # separated by w = (1, 0)
    assert linearly_separable(X @ X.T, y) is True
    y_bad = np.array([1.0, -1.0, 1.0, -1.0])
    X_bad = np.array([[1.0, 0.0], [2.0, 0.0], [-1.0, 0.0], [-2.0, 0.0]])  # same ray, both signs
    assert linearly_separable(X_bad @ X_bad.T, y_bad) is False


def test_dead_relus_are_counted_from_the_preactivations():
    X = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]])
    ds = make_dataset(X, np.array([1.0, -1.0, 1.0]))
    sc = Scenario(n_samples=3, dim=2, width=2, preprocess="as_is")
    ctx = context_for(sc, ds)
    # W = A X with rows w_0 = x_0 and w_1 = x_1: no neuron is active on x_2 = (-1, -1)
    model = GramModel(0.0, np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]))
    assert dead_relus(ctx, model) == (1, 0)


def _history(min_margin):
    k = len(min_margin)
    return TrainHistory(steps=np.arange(k), log_loss=np.zeros(k),
                        min_margin=np.asarray(min_margin, dtype=float),
                        param_norm=np.ones(k), snapshots=None)


def test_margin_rising_reads_the_end_of_the_history():
    assert margin_rising(_history([-3, -2, -1, -0.5, -0.2, -0.1, -0.05, -0.01]))
    assert not margin_rising(_history([-3, -2, -1, -0.5, -0.5, -0.5, -0.5, -0.5]))


def test_non_separable_data_get_a_measured_reason():
    with pytest.raises(InputError) as err:
        prepare(Scenario(data="moons", dim=2, model="linear"))
    text = str(err.value)
    assert "does not separate the data" in text and "-0" not in text
    assert "not linearly separable through the origin (the LP is infeasible)" in text
    assert "more steps will not help" in text


def test_separable_data_and_a_rising_margin_say_more_steps_help():
    X = np.array([[1.0, 0.2], [0.8, -0.1], [-1.0, 0.3], [-0.7, -0.4]])
    ds = make_dataset(X, np.array([1.0, 1.0, -1.0, -1.0]))
    sc = Scenario(model="linear", n_samples=4, dim=2, preprocess="as_is")
    ctx = context_for(sc, ds)
    model = GramModel(0.0, np.array([[0.0, 0.0, 0.0, 1.0]]))   # w = x_3: some q_i < 0
    text = not_separating_message(ctx, model, _history([-3, -2, -1, -0.5, -0.2, -0.1]))
    assert "4 of 4 points have margin <= 0 (min margin -0.78)" in text
    assert "linearly separable through the origin (an LP found" in text
    assert "still rising at the last step: more steps should help" in text


def test_the_app_trains_an_unnormalized_upload_with_labels_3_and_7(tmp_path, open_app,
                                                                     no_trouble):
    from ui import state

    def widget(at, kind, name):
        prefix = f"{state.PREFIX}w.{name}."
        return next(w for w in getattr(at, kind) if w.key and w.key.startswith(prefix))

    path = _write_gaussian(tmp_path, (3, 7), ".csv")
    at = open_app("pages/2_data.py", n_samples="10", dim="50", width="10", steps="50")
    widget(at, "selectbox", "source").set_value("upload").run()
    widget(at, "file_uploader", "upload").set_value(
        ("gauss.csv", path.read_bytes(), "text/csv")).run()
    at.button(key="ux.train").click().run()
    no_trouble(at)
    assert at.session_state["ux.scenario"].data_file.endswith(".csv")
    text = " ".join(shown(m.value) for m in at.markdown)
    assert "**Labels** -1 = 3, +1 = 7. **Preprocessing** rows scaled to unit median norm" in text
