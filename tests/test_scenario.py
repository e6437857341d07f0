"""Scenario -> prepare -> compare: validation of every bad input (one test each),
determinism, and the failure regime (docs/theory.md §3.8, 4, 5).
"""
import dataclasses
import json

import numpy as np
import pytest

from core.compare import compare, default_forget, prepare
from core.errors import InputError
from core.report import comparison_to_dict
from core.scenario import Scenario


def strip_seconds(obj):
    """The JSON dict without wall times (the only thing allowed to differ between runs)."""
    if isinstance(obj, dict):
        return {k: strip_seconds(v) for k, v in obj.items() if k != "seconds"}
    if isinstance(obj, list):
        return [strip_seconds(v) for v in obj]
    return obj


# ------------------------------------------------------------------ determinism

@pytest.mark.parametrize("scenario", [
    Scenario(),
    Scenario(model="linear", data="mixture", n_samples=30, dim=300, n_test=200, seed=3),
    Scenario(model="relu", loss="logistic", optimizer="plain", lr=2.0, n_samples=12, dim=80,
             width=20, steps=300, seed=7)], ids=["default", "linear-mixture", "relu-plain"])
def test_same_scenario_twice_is_bit_identical(scenario):
    runs = []
    for _ in range(2):
        prepared = prepare(scenario)
        forget = default_forget(prepared)
        runs.append(compare(prepared, forget + ((forget[0] + 1) % scenario.n_samples,), 1.0))
    a, b = runs
    assert a.forget == b.forget
    assert a.prepared.dataset.X.tobytes() == b.prepared.dataset.X.tobytes()
    assert a.prepared.trained.params.A.tobytes() == b.prepared.trained.params.A.tobytes()
    assert a.prepared.original.lam.tobytes() == b.prepared.original.lam.tobytes()
    assert set(a.methods) == set(b.methods)
    for name in a.methods:
        ma, mb = a.methods[name].model, b.methods[name].model
        assert ma.s0 == mb.s0 and ma.A.tobytes() == mb.A.tobytes(), name
        ca, cb = a.methods[name].certificate, b.methods[name].certificate
        assert ca.lam.tobytes() == cb.lam.tobytes() and ca.mu.tobytes() == cb.mu.tobytes()
    assert strip_seconds(comparison_to_dict(a)) == strip_seconds(comparison_to_dict(b))


# ------------------------------------------------------------------ failure regime

def test_two_dimensional_data_is_outside_the_theory_regime():
    prepared = prepare(Scenario(data="blobs", dim=2))
    X = prepared.dataset.X
    n = X.shape[0]
    K = X @ X.T
    off = np.abs(K - np.diag(np.diag(K)))
    rho = n * off.max() / np.diag(K).min()          # docs/theory.md §4, computed here
    assert rho > 1
    assert prepared.gauge.rho == pytest.approx(rho, rel=1e-12)
    assert prepared.gauge.n_lt_d is False
    assert prepared.gauge.regime == "outside"
    assert prepared.gauge.verdict.startswith("Outside the theory regime")


def test_high_dimensional_data_is_not_outside():
    prepared = prepare(Scenario(n_samples=10, dim=2000, width=10, steps=50))
    assert prepared.gauge.n_lt_d is True and prepared.gauge.regime != "outside"


# ------------------------------------------------------------------ scenario fields

def test_defaults_are_the_design_defaults():
    sc = Scenario()
    assert (sc.model, sc.data, sc.n_samples, sc.dim, sc.width) == ("relu", "orthogonal", 40,
                                                                   1000, 100)
    assert (sc.loss, sc.optimizer, sc.lr, sc.init_scale, sc.kink_tol) == ("exp", "normalized",
                                                                          8.0, 1e-3, 0.03)
    assert sc.n_steps == 500 and Scenario(model="linear").n_steps == 2000
    assert Scenario(steps=7).n_steps == 7


def test_round_trip_through_a_dict():
    sc = Scenario(model="linear", seed=4, active_tol=0.1)
    assert Scenario.from_dict(sc.to_dict()) == sc
    assert hash(Scenario.from_dict(sc.to_dict())) == hash(sc)


def test_round_trip_of_the_data_fields_through_json():
    sc = Scenario(data="digits", classes=(4, 9), lift=300, preprocess="unit_rows")
    back = Scenario.from_dict(json.loads(json.dumps(sc.to_dict())))
    assert back == sc and hash(back) == hash(sc) and back.classes == (4, 9)


def test_unknown_scenario_field():
    with pytest.raises(InputError, match="Unknown scenario fields: colour"):
        Scenario.from_dict({"colour": "red"})


def test_replace_validates():
    with pytest.raises(InputError, match="kink_tol must be a finite number >= 0 and below 1"):
        Scenario().replace(kink_tol=1.0)


def test_exact_start_is_linear_only():
    with pytest.raises(InputError, match="start='exact' is for the linear model only"):
        prepare(Scenario(model="relu", start="exact"))


def test_linear_model_ignores_width():
    prepared = prepare(Scenario(model="linear", width=0, n_samples=8, dim=50, steps=50))
    assert prepared.ctx.width == 1


# ------------------------------------------------------------------ bad input, one test each

def test_n_samples_below_two():
    with pytest.raises(InputError, match="n_samples must be an integer from 2"):
        prepare(Scenario(n_samples=1))


@pytest.mark.parametrize("dim", [0, -2])
def test_dim_below_one(dim):
    with pytest.raises(InputError, match="dim must be an integer from 1"):
        prepare(Scenario(dim=dim))


@pytest.mark.parametrize("width", [0, -1, 1])
def test_width_too_small_for_relu(width):
    with pytest.raises(InputError, match="width must be an integer from 2"):
        prepare(Scenario(model="relu", width=width))


@pytest.mark.parametrize("lr", [0.0, -8.0, float("nan")])
def test_lr_not_positive(lr):
    with pytest.raises(InputError, match="lr must be a positive finite number"):
        prepare(Scenario(lr=lr))


@pytest.mark.parametrize("steps", [0, -1])
def test_steps_below_one(steps):
    with pytest.raises(InputError, match="steps must be an integer from 1"):
        prepare(Scenario(steps=steps))


def _inf_matrix():
    X = np.ones((4, 3))
    X[2, 1] = np.inf
    return X


BAD_NPZ = {"one_class": (dict(X=np.eye(3), y=np.ones(3)),
                         r"Array 'y' of 'one_class.npz' has 1 distinct value \('1'\); it "
                         "needs exactly 2"),
           "inf": (dict(X=_inf_matrix(), y=np.array([1.0, -1.0, 1.0, -1.0])),
                   "Array 'X' of 'inf.npz' has 'inf' in row 3, column 1")}
BAD_CSV = {"nan": ("a,b,y\n1.0,nan,1\n2.0,3.0,-1\n0.5,1.0,1\n",
                   "File 'nan.csv' has 'nan' in row 1, column 'b'"),
           "text": ("a,b,y\n1.0,red,1\n2.0,blue,-1\n",
                    "Feature column 'b' of 'text.csv' is not numeric: row 1 holds 'red'"),
           "three": ("a,b,label\n1.0,0.0,cat\n0.0,1.0,dog\n1.0,1.0,cow\n",
                     "Label column 'label' of 'three.csv' has 3 distinct values")}


@pytest.mark.parametrize("case", sorted(BAD_NPZ))
def test_bad_npz_file(tmp_path, case):
    arrays, message = BAD_NPZ[case]
    path = tmp_path / f"{case}.npz"
    np.savez(path, **arrays)
    with pytest.raises(InputError, match=message):
        prepare(Scenario(data_file=str(path)))


@pytest.mark.parametrize("case", sorted(BAD_CSV))
def test_bad_csv_file(tmp_path, case):
    text, message = BAD_CSV[case]
    path = tmp_path / f"{case}.csv"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        prepare(Scenario(data_file=str(path)))


@pytest.mark.parametrize("data", ["moons", "xor"])
def test_non_separable_data_with_the_linear_model(data):
    with pytest.raises(InputError, match="does not separate the data"):
        prepare(Scenario(data=data, dim=2, model="linear"))


def test_toy_data_needs_dim_two():
    with pytest.raises(InputError, match="blobs data is 2-D: set dim=2"):
        prepare(Scenario(data="blobs", dim=5))


def test_a_file_scenario_runs_end_to_end(tmp_path):
    """A valid CSV (labels 'a'/'b' mapped to -1/+1) goes through prepare and compare."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((10, 30))
    labels = np.where(np.arange(10) % 2 == 0, "a", "b")
    path = tmp_path / "ok.csv"
    lines = [",".join([f"f{k}" for k in range(30)] + ["y"])]
    lines += [",".join([repr(float(x)) for x in row] + [lab]) for row, lab in zip(X, labels)]
    path.write_text("\n".join(lines) + "\n")
    prepared = prepare(Scenario(model="linear", data_file=str(path), steps=200,
                                preprocess="as_is"))
    np.testing.assert_array_equal(prepared.dataset.X, X)
    assert prepared.dataset.label_names == ("a", "b")
    np.testing.assert_array_equal(prepared.dataset.y, np.where(labels == "b", 1.0, -1.0))
    assert compare(prepared, (0,)).methods["ga"].certificate.converged


def test_scenario_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Scenario().seed = 3
