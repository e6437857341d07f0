"""What a piece of work will cost on this machine: seconds and peak memory, before it runs.

The app asks before work over its limits (ui/jobs.py), so an estimate must count every
term that costs, each from a rate measured on this machine (``explorer.calibrate``, run by
the install step ``python -m explorer.warmup``; ``DEFAULT_RATES`` were measured on the
reference machine of docs/architecture.md §Budgets):

- data: normal draws for the generated points and the test set, n d + n_test d;
- the lift: its weights (d D draws) and the products (n + n_test) d D;
- the model's set-up: W_0 (m d draws), the Gram product K = X Xᵀ (n² d) and Z_0 (n d m);
- training: each step's multiply-adds (m n² in Gram space when n < d, 2 m n d otherwise)
  plus its n m loss and weight evaluations; the linear model's step (m = 1) reads all of
  K for little arithmetic, so it has its own rate per entry;
- a certificate: the ReLU net's solver grows like n^2.5 m, the linear model's like n²;
- the exact SVM: dual coordinate sweeps of n² each; the number of sweeps grows with n / d
  (measured: ~600 at n / d = 0.2, ~1,700 at 0.5) and reaches the solver's cap when n ≥ d,
  where the points are seldom separable; on lifted data, whose features are strongly
  correlated, nearly every point is a support vector, the solver's exact polishes are
  dense n³ solves, and the time grows like n³ D / 5000 for a lift of D > 5000 features
  (measured: 0.74 s at n = 600, D = 5,000; 3.8 s at 1,000, 8,000; 12 s at 1,500,
  12,000; 170 s at 2,500, 20,000);
- predictions on the test set: n_test d m multiply-adds per model;
- a comparison's output distances need an evaluation set: the test set, or (generated data
  without one) N_EVAL fresh points drawn and preprocessed with the data, which are drawn
  again for that, and their Gram products with X and W_0.

Memory counts the arrays these build (float64): data and test set (the raw and the
preprocessed copy), the lift, K, W_0, Z, the primal weights and the training snapshots.
"""
from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import NamedTuple

SVM_SWEEPS_MAX = 100_000      # core.unlearn.SVM_MAX_SWEEPS (the solver's cap)
N_EVAL = 1000                 # core.distances.N_EVAL (fresh points for output distances)
SNAPSHOT_BYTES = 40e6         # core.train keeps at most this much of training snapshots
RATES_FILE = "estimate_rates.json"


class Cost(NamedTuple):
    """Seconds and peak memory (MB) of a piece of work; None where unknown."""

    seconds: float | None = None
    memory_mb: float | None = None

    def __add__(self, other):
        """Work done one after the other: the seconds add, the memory is the larger."""
        def add(a, b):
            return None if a is None or b is None else a + b

        def peak(a, b):
            return a if b is None else b if a is None else max(a, b)

        return Cost(add(self.seconds, other.seconds), peak(self.memory_mb, other.memory_mb))


class Rates(NamedTuple):
    """Seconds per unit of work on this machine (one BLAS thread, warm Numba cache)."""

    draw: float = 1.6e-8          # one standard normal draw
    prep: float = 2.0e-8          # preprocessing, per entry of the data
    blas: float = 1.0e-10         # one multiply-add of a NumPy matrix product
    step: float = 3.6e-11         # one multiply-add of a ReLU GD step (Numba kernels)
    step_linear: float = 3.0e-10  # one entry of K read by a linear model's GD step
    loss: float = 4.0e-9          # one loss and weight evaluation (n m per step)
    cert_relu: float = 2.0e-9     # a ReLU certificate per n^2.5 m
    cert_linear: float = 4.0e-8   # a linear certificate per n²
    svm: float = 4.5e-11          # one coordinate update of the SVM's dual (n² a sweep)
    svm_lifted: float = 3.4e-9    # the SVM on lifted data, per n³ max(1, D / 5000)
    overhead: float = 0.005       # per piece of work


DEFAULT_RATES = Rates()


def rates_path():
    """Where ``explorer.calibrate`` keeps this machine's rates: beside the Numba cache."""
    return Path(os.environ.get("NUMBA_CACHE_DIR", ".numba_cache")) / RATES_FILE


def rates():
    """The rates measured on this machine (``explorer.calibrate``), else DEFAULT_RATES."""
    try:
        values = json.loads(rates_path().read_text())
        return Rates(**{k: float(v) for k, v in values.items() if k in Rates._fields})
    except (OSError, ValueError, TypeError):
        return DEFAULT_RATES


def svm_sweeps(n, d):
    """Expected dual sweeps of the exact SVM on n points in d dimensions (measured; the cap
    when n >= d, see the module doc).
    """
    if n >= d:
        return SVM_SWEEPS_MAX
    return min(300.0 * math.exp(3.5 * n / d), SVM_SWEEPS_MAX)


def mb(n_bytes):
    """Bytes as megabytes."""
    return n_bytes / 1e6


def data_cost(n, d_raw, n_test=0, lift=0, generated=True, r=None):
    """Drawing (or loading) the data and the test set, preprocessing, and the lift."""
    r = r or rates()
    rows = n + n_test
    seconds = (r.draw * rows * d_raw if generated else 0.0) + r.prep * rows * d_raw
    memory = 2 * 8 * rows * d_raw
    if lift:
        seconds += r.draw * d_raw * lift + r.blas * rows * d_raw * lift
        memory += 8 * (d_raw * lift + 2 * rows * lift)
    return Cost(seconds, mb(memory))


def model_cost(n, d, m, n_test=0, relu=True, r=None):
    """The model's set-up: W_0, the Gram product K = X Xᵀ and the pre-activations Z_0."""
    r = r or rates()
    m = m if relu else 1
    seconds = r.draw * m * d + r.blas * (n * n * d + n * d * m)
    memory = 8 * (m * d + 2 * n * n + 4 * n * m) + (16 * m * d if n >= d else 0)
    return Cost(seconds, mb(memory))


def training_cost(n, d, m, steps, relu=True, r=None):
    """``steps`` GD steps of the training kernels (Gram space when n < d)."""
    r = r or rates()
    m = m if relu else 1
    per_step = m * n * (n if n < d else 2 * d)
    rate = r.step if relu else r.step_linear
    seconds = steps * (rate * per_step + r.loss * n * m)
    return Cost(seconds, mb(min(SNAPSHOT_BYTES, 8 * 80 * m * n) + 8 * 4 * n * m))


def certificate_cost(n, m, relu=True, r=None):
    """One certificate of a model on n points (the NNLS/Clarke solver)."""
    r = r or rates()
    if relu:
        return Cost(r.cert_relu * n ** 2.5 * m, mb(8 * (3 * n * n + 2 * n * m)))
    return Cost(r.cert_linear * n * n, mb(8 * 3 * n * n))


def svm_cost(n, d, lifted=False, r=None):
    """The exact SVM's dual coordinate ascent on n points (``svm_sweeps``; n³ on lifted
    data).
    """
    r = r or rates()
    seconds = (r.svm_lifted * n ** 3 * max(1.0, d / 5000) if lifted
               else r.svm * n * n * svm_sweeps(n, d))
    return Cost(seconds, mb(8 * 2 * n * n))


def work_cost(shape, scenario, *, prepare=False, trainings=0, certificates=0, svms=0,
              predictions=0, evaluation=False, r=None):
    """The Cost of work on a scenario whose data have ``shape`` = (n, d_raw, n_test,
    generated): ``prepare`` (data, set-up, training or the SVM start, a certificate, the
    test predictions) plus ``trainings`` trainings, ``certificates`` certificates,
    ``svms`` exact SVMs, ``predictions`` predictions on the evaluation set and, with
    ``evaluation``, building that set (``N_EVAL`` fresh points when there is no test set).
    """
    r = r or rates()
    n, d_raw, n_test, generated = shape
    sc, relu = scenario, scenario.is_relu
    d = sc.lift or d_raw
    m = sc.width if relu else 1
    total = Cost(r.overhead, 0.0)
    if prepare:
        total = (total + data_cost(n, d_raw, n_test, sc.lift, generated, r)
                 + model_cost(n, d, m, n_test, relu, r))
        if sc.start == "exact":
            svms += 1
        else:
            trainings += 1
        certificates += 1
        predictions += 1 if n_test else 0
    n_eval = n_test or (N_EVAL if generated else 0)
    if evaluation and n_eval:
        if not n_test:              # fresh draws, preprocessed with the data, drawn again
            total = total + data_cost(n, d_raw, N_EVAL, sc.lift, generated, r)
        total = total + Cost(r.blas * n_eval * d * (n + m), mb(8 * n_eval * (d + n + m)))
    for count, part in ((trainings, training_cost(n, d, m, sc.n_steps, relu, r)),
                        (certificates, certificate_cost(n, m, relu, r)),
                        (svms, svm_cost(n, d, bool(sc.lift), r)),
                        (predictions, Cost(r.blas * n_eval * (n + m) * m, mb(8 * n_eval * m)))):
        if count:
            total = total + Cost(part.seconds * count, part.memory_mb)
    return total


def comparison_cost(shape, scenario, n_methods, exact=False, r=None):
    """A comparison of ``n_methods`` methods (core.compare.compare): retraining on R, a
    certificate and the evaluation outputs per method, the exact SVM when it runs.
    """
    return work_cost(shape, scenario, trainings=1, certificates=n_methods, svms=int(exact),
                     predictions=n_methods, evaluation=True, r=r)
