"""The random-feature lifts (core/lift.py): the Fourier features against a NumPy twin of
the formula and against the Gaussian kernel they approximate, the bandwidth's unit, the
ReLU lift's zero rows, and the lift's fields through the scenario, the CLI and its JSON.

Expected values come from plain NumPy/Python written from the formulas (the twin, the
kernel exp(-||x - x'||^2 / 2 sigma^2), a double loop for the median distance), never from
the code under test.
"""
import itertools
import json
import math

import numpy as np
import pytest

from core.compare import load_dataset, prepare
from core.data import make_dataset
from core.errors import InputError
from core.lift import (
    bandwidth_sigma,
    fourier_features,
    fourier_matrix,
    lift_rows,
    median_distance,
)
from core.scenario import Scenario
from core.transform import apply
from explorer.cli import main


def points(n=7, d=5, seed=0):
    return np.random.default_rng(seed).normal(size=(n, d))


def twin_median_distance(X):
    return float(np.median([math.dist(a, b) for a, b in itertools.combinations(X, 2)]))


def test_median_distance_is_the_median_over_pairs():
    X = points(9, 4)
    assert median_distance(X) == pytest.approx(twin_median_distance(X), rel=1e-14)
    assert bandwidth_sigma(X, 0.3) == pytest.approx(0.3 * twin_median_distance(X), rel=1e-14)


def test_fourier_features_match_a_numpy_twin_of_the_formula():
    """phi(x) = sqrt(2/D) cos(W x + b), W ~ N(0, sigma^-2 I), b ~ U[0, 2 pi), both from
    default_rng([seed, 2]) (W first), sigma = B * median distance of the training rows."""
    X, T = points(8, 5, 1), points(3, 5, 2)
    D, B, seed = 64, 0.4, 7
    sigma = B * twin_median_distance(X)
    rng = np.random.default_rng([seed, 2])
    W = rng.standard_normal((D, 5)) / sigma
    b = rng.uniform(0.0, 2.0 * math.pi, D)
    twin = [[math.sqrt(2.0 / D) * math.cos(float(W[k] @ x) + b[k]) for k in range(D)]
            for x in X]
    twin_test = [[math.sqrt(2.0 / D) * math.cos(float(W[k] @ x) + b[k]) for k in range(D)]
                 for x in T]
    lifted, lifted_test, got_sigma = lift_rows(X, T, D, "fourier", B, seed)
    assert got_sigma == pytest.approx(sigma, rel=1e-14)
    np.testing.assert_allclose(lifted, twin, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(lifted_test, twin_test, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("bandwidth", [0.3, 1.0])
def test_the_fourier_gram_approaches_the_gaussian_kernel_as_D_grows(bandwidth):
    """max |<phi(x_i), phi(x_j)> - exp(-||x_i - x_j||^2 / 2 sigma^2)| shrinks like 1/sqrt(D)."""
    X = points(6, 3, 3)
    sigma = bandwidth * twin_median_distance(X)
    kernel = np.array([[math.exp(-math.dist(a, b) ** 2 / (2 * sigma ** 2)) for b in X]
                       for a in X])
    errors = []
    for D in (250, 4000, 64000):
        W, b = fourier_matrix(3, D, sigma, seed=5)
        Phi = fourier_features(X, W, b)
        errors.append(np.abs(Phi @ Phi.T - kernel).max())
    assert errors[2] < errors[1] < errors[0]
    assert errors[2] < 0.03 and errors[0] > 2 * errors[2]


def test_a_small_bandwidth_makes_distinct_points_nearly_orthogonal():
    X = points(20, 6, 4)
    lifted, _, _ = lift_rows(X, None, 20000, "fourier", 0.05, 0)
    K = lifted @ lifted.T
    off = np.abs(K - np.diag(np.diag(K)))
    assert off.max() < 0.05 and np.all(np.abs(np.diag(K) - 1) < 0.05)


def test_identical_points_give_the_fourier_lift_no_length_scale():
    X = np.array([[1.0, 2.0]] * 4 + [[0.0, 1.0]])
    with pytest.raises(InputError, match="median distance 0"):
        lift_rows(X, None, 10, "fourier", 1.0, 0)


def test_a_relu_lift_that_zeroes_a_point_is_refused_with_its_index():
    """issue 19 crash 4: lift=1 left most rows zero and divided by a zero median norm."""
    X = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0], [0.5, 0.5]])
    R = np.random.default_rng([0, 2]).standard_normal((1, 2))
    zero = [i for i, x in enumerate(X) if max(0.0, float(R[0] @ x)) == 0.0]
    assert zero, "the seed must zero some point for this test"
    with pytest.raises(InputError, match=f"maps {len(zero)} of 4 points \\(point {zero[0]} "
                                         "first\\) to zero"):
        lift_rows(X, None, 1, "relu", 1.0, 0)


def test_apply_records_the_lift_and_its_sigma():
    X, T = points(10, 4, 5), points(4, 4, 6)
    y = np.where(np.arange(10) % 2, 1.0, -1.0)
    out = apply(make_dataset(X, y, T, np.ones(4)), "unit_median_norm", 300, seed=2,
                lift_kind="fourier", bandwidth=0.2)
    scaled = X / np.median(np.linalg.norm(X, axis=1))
    assert out.scaling.sigma == pytest.approx(0.2 * twin_median_distance(scaled), rel=1e-12)
    assert (out.scaling.lift, out.scaling.lift_kind, out.scaling.bandwidth) == (300, "fourier",
                                                                                0.2)
    assert out.dim == 300 and out.X_test.shape == (4, 300)


def test_the_scenario_and_the_cli_json_carry_lift_kind_bandwidth_and_sigma(capsys):
    sc = Scenario(n_samples=12, dim=30, width=10, steps=100, lift=500, lift_kind="fourier",
                  bandwidth=0.3)
    assert sc.to_dict()["lift_kind"] == "fourier" and sc.to_dict()["bandwidth"] == 0.3
    ds = load_dataset(sc)
    assert ds.dim == 500 and np.allclose(np.einsum("ij,ij->i", ds.X, ds.X), 1.0, atol=0.15)
    assert main(["unlearn", "--n-samples", "12", "--dim", "30", "--width", "10", "--steps",
                 "100", "--lift", "500", "--lift-kind", "fourier", "--bandwidth", "0.3",
                 "--json"]) == 0
    data = json.loads(capsys.readouterr().out)["data"]
    raw = load_dataset(Scenario(n_samples=12, dim=30, preprocess="unit_median_norm")).X
    assert (data["lift"], data["lift_kind"], data["bandwidth"]) == (500, "fourier", 0.3)
    assert data["sigma"] == pytest.approx(0.3 * twin_median_distance(raw), rel=1e-12)
    assert data["d"] == 500


@pytest.mark.parametrize("argv, message", [
    (["--bandwidth", "0.1"], "bandwidth=0.1 is the Fourier lift's: set lift_kind=fourier"),
    (["--lift-kind", "fourier"], "lift_kind=fourier needs a lift D >= 1"),
    (["--lift", "100", "--lift-kind", "fourier", "--bandwidth", "0"],
     "bandwidth must be a finite number from 0.001 to 1000, not 0.0"),
    (["--lift", "100", "--lift-kind", "fourier", "--bandwidth", "nan"],
     "bandwidth must be a finite number"),
])
def test_bad_lift_options_exit_2_with_one_line(argv, message, capsys):
    assert main(["unlearn", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


@pytest.mark.parametrize("values, message", [
    ({"lift_kind": "gauss", "lift": 10}, "lift_kind must be one of relu, fourier"),
    ({"lift": 10, "lift_kind": "fourier", "bandwidth": "0.5"},
     "bandwidth must be a finite number from 0.001 to 1000, not '0.5'"),
    ({"lift": 10, "lift_kind": "fourier", "bandwidth": 5000.0}, "not 5000.0"),
])
def test_bad_lift_fields_of_a_scenario_file_are_refused(values, message):
    with pytest.raises(InputError, match=message):
        Scenario.from_dict(values)


def test_a_lifted_run_is_bit_identical_twice():
    sc = Scenario(n_samples=10, dim=20, width=10, steps=50, lift=200, lift_kind="fourier",
                  bandwidth=0.5)
    a, b = prepare(sc), prepare(sc)
    assert a.dataset.X.tobytes() == b.dataset.X.tobytes()
    assert a.trained.params.A.tobytes() == b.trained.params.A.tobytes()
