"""Random-feature lifts (docs/theory.md §4): ReLU features and random Fourier features.

Both map the preprocessed rows x (d) to D features with a matrix drawn from
``default_rng([seed, 2])`` (a stream apart from the data's and W_0's), so a lift is a pure
function of the data, D, the kind, the bandwidth and the seed; the test rows get the same
map.

* ``relu``: phi(x) = ReLU(R x) / sqrt(D), R (D, d) i.i.d. N(0, 1). Its inner products follow
  the arc-cosine kernel, whose cosine is never below the inputs' (it does not make points
  more orthogonal).
* ``fourier``: phi(x) = sqrt(2 / D) cos(W x + b), W (D, d) i.i.d. N(0, sigma^-2),
  b_k ~ U[0, 2 pi), so that <phi(x), phi(x')> -> exp(-||x - x'||^2 / (2 sigma^2)) as D grows
  (Rahimi & Recht 2007). sigma = B * median_{i<j} ||x_i - x_j|| of the training rows, B the
  ``bandwidth`` dial: as B shrinks, distinct points become nearly orthogonal (rho falls)
  and the model generalizes less (docs/theory.md §4).
"""
import math

import numpy as np

from core.errors import InputError

LIFT_KINDS = ("relu", "fourier")
DEFAULT_LIFT_KIND = LIFT_KINDS[0]
DEFAULT_BANDWIDTH = 1.0       # B = 1: sigma = the median distance (the median heuristic)
MEDIAN_POINTS = 1000          # the median distance uses at most this many training rows
LIFT_KIND_LABELS = {"relu": "ReLU features ReLU(Rx)/√D",
                    "fourier": "Fourier features √(2/D) cos(Wx + b)"}


def _rng(seed):
    return np.random.default_rng([seed, 2])


def relu_matrix(dim, D, seed):
    """R (D, dim), entries N(0, 1) from default_rng([seed, 2])."""
    return _rng(seed).standard_normal((D, dim))


def relu_features(X, R):
    """ReLU(X R^T) / sqrt(D): the ReLU feature map of every row."""
    return np.ascontiguousarray(np.maximum(X @ R.T, 0.0) / math.sqrt(R.shape[0]))


def median_distance(X, seed=0):
    """median_{i<j} ||x_i - x_j|| over the rows of X (n >= 2).

    Above MEDIAN_POINTS rows, over a seeded subset of that many rows (default_rng([seed, 4]))
    so the cost stays O(MEDIAN_POINTS^2 d). Distances come from differences, not from the
    Gram matrix, so near-duplicates are not lost to cancellation.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.shape[0] > MEDIAN_POINTS:
        keep = np.random.default_rng([seed, 4]).choice(X.shape[0], MEDIAN_POINTS, replace=False)
        X = X[np.sort(keep)]
    n = X.shape[0]
    dists = np.concatenate([np.sqrt(np.einsum("ij,ij->i", X[i + 1:] - X[i], X[i + 1:] - X[i]))
                            for i in range(n - 1)])
    return float(np.median(dists))


def bandwidth_sigma(X, bandwidth, seed=0, where="the data"):
    """sigma = B * median_{i<j} ||x_i - x_j||; refuses data whose median distance is 0."""
    median = median_distance(X, seed)
    if not (median > 0 and math.isfinite(median)):
        raise InputError(f"{where}: more than half of the pairs of points are identical, so "
                         "the Fourier lift has no length scale (median distance 0): remove "
                         "the duplicates or use the ReLU lift.")
    return bandwidth * median


def fourier_matrix(dim, D, sigma, seed):
    """(W (D, dim) with entries N(0, sigma^-2), b (D,) uniform in [0, 2 pi)), both from
    default_rng([seed, 2]).
    """
    rng = _rng(seed)
    W = rng.standard_normal((D, dim)) / sigma
    b = rng.uniform(0.0, 2.0 * math.pi, D)
    return W, b


def fourier_features(X, W, b):
    """sqrt(2 / D) cos(X W^T + b): the random Fourier feature map of every row."""
    Z = X @ W.T
    Z += b
    np.cos(Z, out=Z)
    Z *= math.sqrt(2.0 / W.shape[0])
    return np.ascontiguousarray(Z)


def lift_rows(X, X_test, D, kind, bandwidth, seed, where="the data"):
    """(X', X_test', sigma): both sets through one lift of kind ``kind`` to D features.

    sigma is the Fourier bandwidth in the data's units (None for the ReLU lift). Raises
    InputError when the ReLU lift maps a training point to zero (D too small).
    """
    if kind == "fourier":
        sigma = bandwidth_sigma(X, bandwidth, seed, where)
        W, b = fourier_matrix(X.shape[1], D, sigma, seed)
        return (fourier_features(X, W, b),
                None if X_test is None else fourier_features(X_test, W, b), sigma)
    R = relu_matrix(X.shape[1], D, seed)
    lifted = relu_features(X, R)
    zero = np.flatnonzero(~lifted.any(axis=1))
    if zero.size:
        raise InputError(f"The ReLU lift to D={D} maps {zero.size} of {X.shape[0]} points "
                         f"(point {int(zero[0])} first) to zero (every ReLU(Rx) is 0): use a "
                         "larger D or the Fourier lift.")
    return lifted, None if X_test is None else relu_features(X_test, R), None
