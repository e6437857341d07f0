"""The work estimate (core/estimate.py) against measured runs, and its terms.

The measured side is the CPU time of the work in this process, after the kernels are
loaded (so neither another process's load on the machine nor the first call's dispatch
counts); the rule of issue 19 is "within 3x either way". Cases are chosen where the work
takes a noticeable fraction of a second, so rounding and timer resolution do not decide
the ratio; benchmarks/bench_estimate.py runs the same check up to minutes of work.
"""
import time

import pytest

from core import estimate
from core.compare import compare, default_forget, prepare
from core.estimate import Cost, comparison_cost, work_cost
from core.pipeline import data_shape
from core.registry import default_names
from core.scenario import Scenario


@pytest.fixture(scope="module", autouse=True)
def warm():
    from explorer.warmup import warm_up
    warm_up()


def cpu(fn):
    start = time.process_time()
    value = fn()
    return value, time.process_time() - start


@pytest.mark.parametrize("fields", [
    dict(n_samples=200, width=200, dim=2000),                         # certificate-bound
    dict(n_samples=300, width=60, dim=600, steps=2000),               # training-bound
    dict(model="linear", start="exact", n_samples=1500, dim=6000),    # the exact SVM
    dict(data="mixture", n_samples=100, dim=500, n_test=40000, steps=50),   # a test set
], ids=["relu-cert", "relu-train", "linear-svm", "test-set"])
def test_the_estimate_is_within_3x_of_the_measured_cpu_time(fields):
    sc = Scenario(**fields)
    shape = data_shape(sc)
    prep, spent = cpu(lambda: prepare(sc))
    est = work_cost(shape, sc, prepare=True).seconds
    assert spent > 0.1, "a case must do measurable work"
    assert 1 / 3 <= est / spent <= 3, (est, spent)
    forget = default_forget(prep)
    _, spent = cpu(lambda: compare(prep, forget))
    est = comparison_cost(shape, sc, len(default_names(sc.model)), exact=not sc.is_relu)
    assert 1 / 3 <= est.seconds / spent <= 3, (est.seconds, spent)


def test_each_term_grows_as_documented():
    r = estimate.DEFAULT_RATES
    sc = Scenario(n_samples=400, width=300, dim=20000)
    base = work_cost((400, 20000, 0, True), sc, prepare=True, r=r).seconds
    assert work_cost((800, 20000, 0, True), sc.replace(n_samples=800), prepare=True,
                     r=r).seconds > base
    assert work_cost((400, 20000, 0, True), sc.replace(width=600), prepare=True,
                     r=r).seconds > base
    assert work_cost((400, 20000, 0, True), sc.replace(steps=1000), prepare=True,
                     r=r).seconds > base
    assert work_cost((400, 20000, 5000, True), sc, prepare=True, r=r).seconds > base
    # the certificate: n^2.5 m for the ReLU net
    one = estimate.certificate_cost(400, 300, r=r).seconds
    assert estimate.certificate_cost(800, 300, r=r).seconds == pytest.approx(one * 2 ** 2.5)
    # the exact SVM: the solver's cap when n >= d; lifted data grow like n^3
    assert estimate.svm_sweeps(2000, 1000) == estimate.SVM_SWEEPS_MAX
    assert estimate.svm_sweeps(400, 2000) < estimate.svm_sweeps(1000, 2000)
    lifted = estimate.svm_cost(1000, 5000, lifted=True, r=r).seconds
    assert estimate.svm_cost(2000, 5000, lifted=True, r=r).seconds == pytest.approx(8 * lifted)


def test_costs_add_up_seconds_and_keep_the_peak_memory():
    assert Cost(1.0, 100.0) + Cost(2.0, 50.0) == Cost(3.0, 100.0)
    assert Cost(1.0, None) + Cost(2.0, 50.0) == Cost(3.0, 50.0)
    assert (Cost(None, 1.0) + Cost(2.0, 5.0)).seconds is None


def test_issue_19s_three_examples_are_no_longer_taken_for_quick_work():
    """Estimated 1.1-5 s and 0.08 s before, measured 18-180 s and 880 MB."""
    big_lift = Scenario(model="linear", data="mixture", n_samples=2500, dim=2500,
                        lift=20000, steps=1, n_test=2500)
    shape = data_shape(big_lift)
    total = (work_cost(shape, big_lift, prepare=True)
             + comparison_cost(shape, big_lift, 4, exact=True))
    assert total.seconds > 60 and total.memory_mb > 1000
    exact = Scenario(model="linear", start="exact", n_samples=5000, dim=10000)
    assert work_cost(data_shape(exact), exact, prepare=True).seconds > 5
    test_set = Scenario(data="mixture", n_test=100000, dim=500)
    cost = work_cost(data_shape(test_set), test_set, prepare=True)
    assert cost.seconds > 0.3 and cost.memory_mb > 400


def test_calibrated_rates_are_read_back(tmp_path, monkeypatch):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    assert estimate.rates() == estimate.DEFAULT_RATES            # nothing measured yet
    (tmp_path / estimate.RATES_FILE).write_text('{"draw": 1e-7, "unknown": 3}')
    assert estimate.rates().draw == 1e-7
    assert estimate.rates().blas == estimate.DEFAULT_RATES.blas
