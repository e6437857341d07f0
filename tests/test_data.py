"""Tests for core.data (generators, validation, regime gauge) and core.io (CSV / npz).

Expected values come from the definitions in docs/theory.md §4, not from runs of the code.
"""
import io
import math

import numpy as np
import pandas as pd
import pytest

from core.data import (
    GENERATORS,
    Dataset,
    blobs,
    generate,
    make_dataset,
    mixture,
    moons,
    orthogonal,
    regime_gauge,
    regime_gauge_from_gram,
    xor,
)
from core.errors import InputError
from core.io import load_csv, load_file, load_npz

SMALL = {"orthogonal": 50, "mixture": 50, "blobs": 2, "moons": 2, "xor": 2}  # dim per kind


def separating_directions(X, y, n_angles=3600):
    """Unit vectors w = (cos a, sin a) on a grid with y_i <w, x_i> > 0 for every i."""
    angles = np.linspace(0.0, 2 * np.pi, n_angles, endpoint=False)
    W = np.column_stack([np.cos(angles), np.sin(angles)])
    return W[((y[:, None] * (X @ W.T)) > 0).all(axis=0)]


# ---------------------------------------------------------------------------- generators

@pytest.mark.parametrize("kind", sorted(GENERATORS))
@pytest.mark.parametrize("n_samples", [2, 3, 41])
def test_generator_shapes_dtype_layout_labels(kind, n_samples):
    data = generate(kind, n_samples, SMALL[kind], seed=1, n_test=7)
    assert isinstance(data, Dataset)
    assert data.X.shape == (n_samples, SMALL[kind]) and data.y.shape == (n_samples,)
    assert (data.n_samples, data.dim) == data.X.shape
    for arr in (data.X, data.y):
        assert arr.dtype == np.float64 and arr.flags.c_contiguous
    assert np.isfinite(data.X).all()
    assert set(np.unique(data.y)) == {-1.0, 1.0}
    assert data.has_test == (kind == "mixture")


@pytest.mark.parametrize("kind", sorted(GENERATORS))
def test_generators_are_deterministic_in_the_seed(kind):
    first, again = (generate(kind, 30, SMALL[kind], seed=5) for _ in range(2))
    other = generate(kind, 30, SMALL[kind], seed=6)
    assert first.X.tobytes() == again.X.tobytes() and first.y.tobytes() == again.y.tobytes()
    assert not np.array_equal(first.X, other.X)
    if first.has_test:
        assert first.X_test.tobytes() == again.X_test.tobytes()


@pytest.mark.parametrize("n_samples", [2, 7, 40])
def test_labels_are_balanced(n_samples):
    y = orthogonal(n_samples, 10, seed=3).y
    assert (y == 1).sum() == math.ceil(n_samples / 2)
    assert (y == -1).sum() == n_samples // 2


def test_orthogonal_squared_norms_average_one():
    # ||x||^2 ~ chi2_d / d: mean 1, std of the average sqrt(2 / d / n) = 0.003
    X = orthogonal(200, 1000, seed=0).X
    assert abs(np.mean(np.sum(X**2, axis=1)) - 1.0) < 0.05


def test_mixture_separates_along_mu_on_the_test_set():
    data = mixture(2000, 1000, seed=0, mu_norm=4.0, n_test=2000)
    assert data.X_test.shape == (2000, 1000) and data.y_test.shape == (2000,)
    # sqrt(d) (mean_+ - mean_-) = 2 mu + N(0, (2/1000) I_d): squared norm ~ 64 + 2
    class_means = [data.X[data.y == label].mean(axis=0) for label in (1.0, -1.0)]
    mean_gap = (class_means[0] - class_means[1]) * math.sqrt(1000)
    assert abs(np.linalg.norm(mean_gap) - math.sqrt(66.0)) < 0.3
    # margin mu_norm / sqrt(d) vs noise 1 / sqrt(d) along mu: accuracy Phi(4) ~ 0.99997
    mu_hat = mean_gap / np.linalg.norm(mean_gap)
    accuracy = np.mean(np.sign(data.X_test @ mu_hat) == data.y_test)
    assert accuracy > 0.95


def test_mixture_without_test_set():
    assert not mixture(10, 5, seed=0, n_test=0).has_test


def test_blobs_are_separable_through_the_origin():
    data = blobs(200, seed=0)
    assert len(separating_directions(data.X, data.y)) > 0


def test_moons_are_not_separable_through_the_origin():
    data = moons(200, seed=0)
    assert len(separating_directions(data.X, data.y)) == 0
    assert np.linalg.norm(data.X.mean(axis=0)) < 0.15  # centred at the origin


def test_xor_labels_are_the_sign_of_the_product_with_a_gap():
    data = xor(300, seed=0)
    np.testing.assert_array_equal(data.y, np.sign(data.X[:, 0] * data.X[:, 1]))
    assert np.abs(data.X).min() >= 0.1 and np.abs(data.X).max() <= 1.0


# ---------------------------------------------------------------------------- regime gauge

def rho_by_double_loop(X):
    n = len(X)
    overlap = max((abs(X[i] @ X[j]) for i in range(n) for j in range(n) if i != j), default=0.0)
    return n * overlap / min(x @ x for x in X) if n > 1 else 0.0


@pytest.mark.parametrize("n_samples, dim", [(2, 3), (9, 4), (25, 300)])
def test_regime_gauge_matches_double_loop(n_samples, dim):
    X = np.random.default_rng(n_samples).standard_normal((n_samples, dim))
    gauge = regime_gauge(X)
    assert gauge.rho == pytest.approx(rho_by_double_loop(X), rel=1e-12)
    assert gauge.n_lt_d == (n_samples < dim)
    assert regime_gauge_from_gram(X @ X.T, dim) == gauge


def test_regime_gauge_single_point_is_zero():
    assert regime_gauge(np.ones((1, 3))).rho == 0.0


def test_regime_gauge_on_2d_toy_is_outside_the_theory():
    gauge = regime_gauge(blobs(50, seed=0).X)
    assert gauge.rho > 1 and not gauge.n_lt_d and not gauge.near_orthogonal
    assert gauge.verdict.startswith("Outside the theory regime") and "n >= d" in gauge.verdict


def test_regime_gauge_on_high_dimensional_orthogonal_data_is_in_the_theory():
    # max over 190 pairs of N(0, 1/d) overlaps ~ 3 / sqrt(d) = 0.0095, so rho ~ 20 * 0.0095 = 0.19
    gauge = regime_gauge(orthogonal(20, 100_000, seed=0).X)
    assert gauge.rho < 1 and gauge.n_lt_d and gauge.near_orthogonal
    assert gauge.verdict.startswith("Theory regime")


# ---------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("kwargs, message", [
    ({"n_samples": 1}, "n_samples must be at least 2"),
    ({"dim": 0}, "dim must be at least 1"),
    ({"n_samples": 5001}, "n_samples must be at most"),
    ({"dim": 100_001}, "dim must be at most"),
    ({"n_samples": 1000, "dim": 60_000}, "n_samples\\*dim"),
    ({"n_test": 100_001, "dim": 2}, "n_test must be at most"),
    ({"n_test": -1}, "n_test must be at least 0"),
    ({"mu_norm": float("nan")}, "mu_norm"),
    ({"mu_norm": -1.0}, "mu_norm"),
])
def test_generate_rejects_bad_parameters(kwargs, message):
    params = {"kind": "mixture", "n_samples": 10, "dim": 5, "seed": 0, **kwargs}
    with pytest.raises(InputError, match=message):
        generate(**params)


def test_unknown_generator_lists_valid_names():
    with pytest.raises(InputError, match="orthogonal, mixture, blobs, moons, xor"):
        generate("spiral", 10, 2, seed=0)


@pytest.mark.parametrize("kind", ["blobs", "moons", "xor"])
def test_2d_toys_reject_other_dims(kind):
    with pytest.raises(InputError, match=f"{kind} data is 2-D: set dim=2"):
        generate(kind, 10, 3, seed=0)


def test_make_dataset_rejects_one_class_only():
    with pytest.raises(InputError, match="one class only"):
        make_dataset(np.zeros((3, 2)), np.ones(3))


def test_make_dataset_rejects_nan_in_X():
    X = np.ones((3, 2))
    X[1, 0] = np.nan
    with pytest.raises(InputError, match="X contains NaN or inf"):
        make_dataset(X, [1, -1, 1])


def test_make_dataset_rejects_labels_other_than_plus_minus_one():
    with pytest.raises(InputError, match="-1 and \\+1"):
        make_dataset(np.ones((3, 2)), [0, 1, 1])


def test_make_dataset_rejects_mismatched_test_dim():
    with pytest.raises(InputError, match="X_test has dim 3"):
        make_dataset(np.ones((2, 2)), [1, -1], np.ones((4, 3)), np.ones(4))


# ---------------------------------------------------------------------------- files

def pets_frame():
    return pd.DataFrame({"f1": [0.5, -1.0, 2.0, 3.5], "f2": [1, 2, 3, 4],
                         "label": ["dog", "cat", "cat", "dog"]})


def test_csv_round_trip_from_file_and_bytes(tmp_path):
    path = tmp_path / "pets.csv"
    pets_frame().to_csv(path, index=False)
    expected_X = np.array([[0.5, 1], [-1.0, 2], [2.0, 3], [3.5, 4]])
    expected_y = np.array([1.0, -1.0, -1.0, 1.0])  # "cat" < "dog": cat -> -1, dog -> +1
    for source, name in [(path, "pets.csv"), (str(path), "pets.csv"),
                         (path.read_bytes(), "uploaded CSV"),
                         (io.StringIO(path.read_text()), "uploaded CSV")]:
        data = load_csv(source)
        np.testing.assert_array_equal(data.X, expected_X)
        np.testing.assert_array_equal(data.y, expected_y)
        assert data.name == name and data.X.flags.c_contiguous


def test_csv_label_column_choice():
    text = b"a,b,c\n1,5,0\n2,6,1\n1,7,0\n"
    last = load_csv(text)  # no y/label column: the last one
    np.testing.assert_array_equal(last.y, [-1.0, 1.0, -1.0])
    chosen = load_csv(text, label_column="a")
    np.testing.assert_array_equal(chosen.X, [[5, 0], [6, 1], [7, 0]])
    np.testing.assert_array_equal(chosen.y, [-1.0, 1.0, -1.0])
    with pytest.raises(InputError, match="'zzz' not found; columns are: 'a', 'b', 'c'"):
        load_csv(text, label_column="zzz")


def test_csv_with_inf_is_rejected():
    with pytest.raises(InputError, match="File 'uploaded CSV' has 'inf' in row 2, column 'f1'"):
        load_csv(b"f1,y\n1.0,a\ninf,b\n")


def test_csv_with_non_numeric_feature_is_rejected():
    with pytest.raises(InputError, match="Feature column 'colour' of 'uploaded CSV' is not "
                                         "numeric: row 1 holds 'red'"):
        load_csv(b"f1,colour,y\n1,red,0\n2,blue,1\n")


def test_csv_label_column_with_three_values_is_rejected():
    with pytest.raises(InputError, match=r"Label column 'y' of 'uploaded CSV' has 3 distinct "
                                         r"values \('a', 'b', 'c'\)"):
        load_csv(b"f1,y\n1,a\n2,b\n3,c\n")


@pytest.mark.parametrize("content, message", [(b"", "is empty"), (b"f1,y\n", "no data rows"),
                                              (b"y\n0\n1\n", "no feature columns")])
def test_csv_empty_or_featureless_is_rejected(content, message):
    with pytest.raises(InputError, match=message):
        load_csv(content)


def npz_bytes(**arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def test_npz_round_trip_with_test_set(tmp_path):
    rng = np.random.default_rng(0)
    X, X_test = rng.standard_normal((6, 3)), rng.standard_normal((4, 3))
    y, y_test = np.array([0, 1, 1, 0, 1, 0]), np.array([1, 1, 0, 1])
    path = tmp_path / "set.npz"
    path.write_bytes(npz_bytes(X=X, y=y, X_test=X_test, y_test=y_test))
    for source in (path, path.read_bytes()):
        data = load_npz(source)
        np.testing.assert_array_equal(data.X, X)
        np.testing.assert_array_equal(data.X_test, X_test)
        np.testing.assert_array_equal(data.y, 2.0 * y - 1.0)  # 0 -> -1, 1 -> +1
        np.testing.assert_array_equal(data.y_test, 2.0 * y_test - 1.0)


def test_npz_plus_minus_one_labels_are_kept():
    y = np.array([1.0, -1.0, 1.0])
    np.testing.assert_array_equal(load_npz(npz_bytes(X=np.eye(3), y=y)).y, y)


def test_malformed_npz_is_rejected():
    with pytest.raises(InputError, match="Could not read 'uploaded npz' as .npz"):
        load_npz(np.random.default_rng(0).bytes(200))


def test_npz_missing_y_is_rejected():
    with pytest.raises(InputError, match="missing array 'y'"):
        load_npz(npz_bytes(X=np.eye(2)))


def test_load_file_dispatches_on_suffix(tmp_path):
    upload = io.BytesIO(npz_bytes(X=np.eye(2), y=np.array([1, -1])))
    upload.name = "mine.npz"
    assert load_file(upload).name == "mine.npz"
    path = tmp_path / "pets.CSV"
    pets_frame().to_csv(path, index=False)
    assert load_file(path).n_samples == 4
    with pytest.raises(InputError, match="file type '.txt' for notes.txt: use .csv or .npz"):
        load_file(tmp_path / "notes.txt")
