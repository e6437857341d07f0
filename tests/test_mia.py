"""core.mia: the Gaussian fit, log_lr and AUC against SciPy, the shadows' seeding, caching and
data sizes, and the audit of the default demo (do nothing looks like a member, retrain not).
"""
import inspect
import re

import numpy as np
import pytest
from scipy.special import expit
from scipy.stats import mannwhitneyu, norm

from core import memo, mia, report
from core.compare import compare, default_forget, prepare
from core.errors import Cancelled, InputError
from core.scenario import Scenario


def test_gaussian_fit_and_log_lr_match_scipy():
    rng = np.random.default_rng(0)
    s_in, s_out = rng.normal(1.0, 0.02, 16), rng.normal(0.1, 0.3, 16)
    fit_in, fit_out = mia.gaussian_fit(s_in), mia.gaussian_fit(s_out)
    np.testing.assert_allclose(fit_in, norm.fit(s_in), rtol=1e-12)
    np.testing.assert_allclose(fit_out, norm.fit(s_out), rtol=1e-12)
    s = np.array([-0.5, 0.2, 0.95, 1.0, 1.3])
    log_lr, p = mia.log_likelihood_ratio(s, fit_in, fit_out)
    want = norm.logpdf(s, *norm.fit(s_in)) - norm.logpdf(s, *norm.fit(s_out))
    np.testing.assert_allclose(log_lr, want, rtol=1e-10)
    np.testing.assert_allclose(p, expit(want), rtol=1e-12, atol=1e-300)


def test_gaussian_fit_of_equal_values_keeps_a_positive_deviation():
    mean, std = mia.gaussian_fit([1.0, 1.0, 1.0])
    assert mean == 1.0 and std > 0
    assert np.isfinite(mia.log_likelihood_ratio(0.5, (mean, std), (0.0, 1.0))[0])


def test_auc_matches_mann_whitney():
    rng = np.random.default_rng(1)
    members, others = rng.normal(0.5, 1, 7), np.append(rng.normal(0, 1, 30), 0.0)
    members[0] = 0.0                                          # one tie
    want = mannwhitneyu(members, others).statistic / (members.size * others.size)
    assert mia.auc(members, others) == pytest.approx(want, rel=1e-12)


def test_statistic_is_the_margin_over_the_reference_rms_and_never_nan():
    """s = q_l / sqrt(mean_T q²): finite also when a reference margin is <= 0 (the audit's
    defect 4: q_l / min_T q was NaN there)."""
    q = np.array([0.5, 2.0, 4.0, -1.0, 0.0])
    assert mia.statistic(q, 0, [1, 2]) == pytest.approx(0.5 / np.sqrt(10.0))
    assert mia.statistic(q, 0, [1, 3]) == pytest.approx(0.5 / np.sqrt(2.5))
    assert mia.statistic(q, 0, [4]) == 0.0                   # a model that outputs nothing
    assert mia.statistic(-q, 1, [2]) == pytest.approx(-0.5)


@pytest.fixture(scope="module")
def demo():
    prepared = prepare(Scenario())
    forget = default_forget(prepared)
    comparison = compare(prepared, forget, methods=("ga", "newton", "do_nothing", "retrain"))
    calls = []
    audit = mia.audit(comparison, progress=lambda done, total: calls.append((done, total)))
    return prepared, comparison, audit, calls


def test_default_demo_do_nothing_is_a_member_and_retrain_is_not(demo):
    """Measured (K = 16, seed 0, point 5): IN s = 0.999 +- 0.007, OUT -0.04 +- 0.12;
    do nothing s = 0.979, log_lr 33; retrain s = -0.25, log_lr -1.7e4; GA s = -0.15."""
    _, _, audit, _ = demo
    p = {name: res.p_member[0] for name, res in audit.methods.items()}
    assert p["do_nothing"] > 0.99 and p["retrain"] < 0.01 and p["ga"] < 0.01
    assert audit.methods["do_nothing"].log_lr[0] > audit.methods["ga"].log_lr[0]
    (st,) = audit.shadows
    assert st.fresh and st.subset_size == 39 and st.s_in.size == st.s_out.size == 16
    assert st.n_in == st.n_out == st.requested == 16
    assert 0.98 < st.fit_in[0] < 1.05 and st.fit_in[1] < 0.05
    assert -0.3 < st.fit_out[0] < 0.3 and st.fit_out[1] > 3 * st.fit_in[1]
    # population level: the forgotten point's margin against 500 fresh points
    assert audit.methods["do_nothing"].auc > 0.95 and audit.methods["retrain"].auc < 0.3
    assert audit.methods["retrain"].auc_retained > 0.95     # R are still members


def test_undamped_newton_in_high_dimension_stays_a_member(demo):
    """The undamped Newton step barely moves q_l when d >> n (docs/theory.md §3.7)."""
    prepared, comparison, _, _ = demo
    undamped = compare(prepared, comparison.forget, methods=("newton",),
                       method_params={"newton": {"damping": 0.0}})
    assert mia.audit(undamped).methods["newton"].p_member[0] > 0.9


def test_shadows_report_progress_and_are_cached(demo):
    prepared, comparison, audit, calls = demo
    assert calls[-1] == (16, 16) and [c[0] for c in calls] == list(range(1, 17))
    again = mia.shadow_stats(prepared, comparison.forget, progress=lambda *a: 1 / 0)
    assert again[0] is audit.shadows[0]                      # no shadow trained again
    memo.clear_all()                                         # the cache the tests can clear
    seen = []
    mia.shadow_stats(prepared, comparison.forget, n_shadows=2,
                     progress=lambda done, total: seen.append(done))
    assert seen == [1, 2]


def test_shadows_run_on_the_shared_executors_and_stop_when_cancelled(monkeypatch):
    """run_pairs uses core.sweeps.executors (no pool of its own), returns results in item
    order, and a progress callback that raises stops it (Cancel)."""
    made = []
    real = mia.make_executor

    def spy(**kwargs):
        made.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(mia, "make_executor", spy)
    assert mia.run_pairs(lambda x: x * x, range(6)) == [0, 1, 4, 9, 16, 25]
    assert made and "ThreadPoolExecutor" not in inspect.getsource(mia)
    calls = []

    def cancel(done, total):
        calls.append(done)
        raise Cancelled("stop")

    with pytest.raises(Cancelled):
        mia.run_pairs(lambda x: x, range(50), progress=cancel)
    assert calls == [1]


def test_shadows_that_do_not_separate_are_left_out_and_counted(demo, monkeypatch):
    """A shadow whose training failed is not used, and the audit says how many were."""
    prepared, comparison, _, _ = demo
    real = mia.shadow_pair

    def failing(prep, index, k, x_raw=None):
        s_in, s_out, size = real(prep, index, k, x_raw)
        return (None if k == 0 else s_in), (None if k in (1, 2) else s_out), size

    monkeypatch.setattr(mia, "shadow_pair", failing)
    audit = mia.audit(comparison, n_shadows=5)
    (st,) = audit.shadows
    assert (st.n_in, st.n_out, st.requested) == (4, 3, 5)
    out = report.mia_dict(audit, "ga")
    assert out["shadows"] == 5 and out["shadows_in"] == [4] and out["shadows_out"] == [3]
    assert all(np.isfinite(res.s).all() for res in audit.methods.values())
    monkeypatch.setattr(mia, "shadow_pair", lambda prep, index, k, x_raw=None:
                        (None, None, 39))
    with pytest.raises(InputError, match="only 0 IN and 0 OUT of 3"):
        mia.audit(comparison, n_shadows=3)


def test_shadows_are_seeded(demo):
    prepared, comparison, audit, _ = demo
    s_in, s_out, size = mia.shadow_pair(prepared, comparison.forget[0], 3)
    assert size == 39
    assert s_in in audit.shadows[0].s_in and s_out in audit.shadows[0].s_out


def test_uploaded_data_use_random_halves_of_the_other_points(tmp_path):
    rng = np.random.default_rng(5)
    X = rng.standard_normal((21, 400)) / 20.0
    y = np.where(np.arange(21) % 2 == 0, 1.0, -1.0)
    np.savez(tmp_path / "d.npz", X=X, y=y)
    prepared = prepare(Scenario(model="linear", data_file=str(tmp_path / "d.npz"),
                                steps=300))
    comparison = compare(prepared, (4,), methods=("do_nothing", "retrain"))
    audit = mia.audit(comparison, n_shadows=4)
    (st,) = audit.shadows
    assert not st.fresh and st.subset_size == 10 and st.s_in.size == 4
    assert audit.methods["do_nothing"].auc is None
    assert audit.methods["do_nothing"].p_member[0] > audit.methods["retrain"].p_member[0]


def test_too_few_shadows_is_an_input_error(demo):
    prepared, comparison, _, _ = demo
    with pytest.raises(InputError, match=re.escape("shadows must be an integer from 2")):
        mia.audit(comparison, n_shadows=1)


def test_fresh_margins_are_the_primal_margins_of_fresh_points(demo):
    """Gram form of the fresh points' margins against W written out (tests/naive.py)."""
    from core.distances import fresh_points
    from core.models import weights
    from tests import naive

    prepared, comparison, _, _ = demo
    ctx = prepared.ctx
    got = mia.fresh_margins(prepared, {"ga": comparison.methods["ga"].model})["ga"]
    X, y = fresh_points(prepared, mia.N_FRESH, mia.fresh_seed(prepared.scenario))
    W = weights(ctx, comparison.methods["ga"].model)
    want = naive.margins(W, X, y, ctx.v, True)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


@pytest.fixture(scope="module")
def mixture():
    prepared = prepare(Scenario(data="mixture", seed=5))
    comparison = compare(prepared, default_forget(prepared), methods=("ga", "retrain"))
    return prepared, comparison


def _direction(X, y):
    m = (y[:, None] * X).mean(axis=0)
    return m / np.linalg.norm(m)


def test_mixture_shadows_and_fresh_points_share_the_targets_mean(mixture):
    """The audit's defect 1: on mixture data the shadows and the fresh non-members were drawn
    with new seeds, each with its own mean mu (cosine to the target's -0.002). Now both come
    from the target's distribution: their class-mean direction is the target's test set's."""
    from core.distances import fresh_points

    prepared, _ = mixture
    target = _direction(prepared.dataset.X_test, prepared.dataset.y_test)
    X, y = fresh_points(prepared, 500, mia.fresh_seed(prepared.scenario))
    assert _direction(X, y) @ target > 0.8
    rows = [mia.pair_dataset(prepared, (3,), mia.shadow_seed(prepared.scenario, k))
            for k in range(8)]
    X = np.vstack([d.X[:size] for d, size in rows])
    y = np.concatenate([d.y[:size] for d, size in rows])
    assert _direction(X, y) @ target > 0.8


def test_mixture_population_auc_matches_genuine_non_members(mixture):
    """The population AUC against fresh points equals the AUC against the target's own test
    set (genuine non-members, margins from W written out), to sampling error; the audit
    reported 0.872 against 0.256 for GA before the fix."""
    from core.models import weights
    from tests import naive

    prepared, comparison = mixture
    audit = mia.audit(comparison, n_shadows=4)
    data = prepared.dataset
    for name, res in comparison.methods.items():
        q_test = naive.margins(weights(prepared.ctx, res.model), data.X_test, data.y_test,
                               prepared.ctx.v, True)
        q = res.certificate.margins
        want = mannwhitneyu(q[comparison.retain], q_test).statistic / (
            comparison.retain.size * q_test.size)
        assert audit.methods[name].auc_retained == pytest.approx(want, abs=0.05)
        share = np.mean(q_test < q[comparison.forget[0]])
        assert audit.methods[name].auc == pytest.approx(share, abs=0.06)
