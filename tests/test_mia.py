"""core.mia: the Gaussian fit, log_lr and AUC against SciPy, the shadows' seeding, caching and
data sizes, and the audit of the default demo (do nothing looks like a member, retrain not).
"""
import re

import numpy as np
import pytest
from scipy.special import expit
from scipy.stats import mannwhitneyu, norm

from core import mia
from core.compare import compare, default_forget, prepare
from core.errors import InputError
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


def test_normalized_margin_uses_the_reference_set():
    q = np.array([0.5, 2.0, 4.0, -1.0])
    assert mia.normalized_margin(q, 0, [1, 2]) == pytest.approx(0.25)
    assert np.isnan(mia.normalized_margin(q, 0, [1, 3]))      # min over T <= 0


@pytest.fixture(scope="module")
def demo():
    prepared = prepare(Scenario())
    forget = default_forget(prepared)
    comparison = compare(prepared, forget, methods=("ga", "newton", "do_nothing", "retrain"))
    calls = []
    audit = mia.audit(comparison, progress=lambda done, total: calls.append((done, total)))
    return prepared, comparison, audit, calls


def test_default_demo_do_nothing_is_a_member_and_retrain_is_not(demo):
    """Measured (K = 16, seed 0, point 5): IN s = 1.018 +- 0.008, OUT -0.04 +- 0.12;
    do nothing s = 0.997, log_lr 34; retrain s = -0.26, log_lr -1.3e4; GA s = -0.16."""
    _, _, audit, _ = demo
    p = {name: res.p_member[0] for name, res in audit.methods.items()}
    assert p["do_nothing"] > 0.99 and p["retrain"] < 0.01 and p["ga"] < 0.01
    assert audit.methods["do_nothing"].log_lr[0] > audit.methods["ga"].log_lr[0]
    (st,) = audit.shadows
    assert st.fresh and st.subset_size == 39 and st.s_in.size == st.s_out.size == 16
    assert 0.98 < st.fit_in[0] < 1.05 and st.fit_in[1] < 0.05
    assert -0.3 < st.fit_out[0] < 0.3 and st.fit_out[1] > 3 * st.fit_in[1]
    # population level: the forgotten point's margin against 500 fresh points
    assert audit.methods["do_nothing"].auc > 0.95 and audit.methods["retrain"].auc < 0.3
    assert audit.methods["retrain"].auc_retained > 0.95     # R are still members


def test_newton_in_high_dimension_stays_a_member(demo):
    """The undamped Newton step barely moves q_l when d >> n (docs/theory.md §3.7)."""
    assert demo[2].methods["newton"].p_member[0] > 0.9


def test_shadows_report_progress_and_are_cached(demo):
    prepared, comparison, audit, calls = demo
    assert calls[-1] == (16, 16) and [c[0] for c in calls] == list(range(1, 17))
    again = mia.shadow_stats(prepared, comparison.forget, progress=lambda *a: 1 / 0)
    assert again[0] is audit.shadows[0]                      # no shadow trained again


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
    from core.compare import load_dataset, load_raw
    from core.data import generate, make_dataset
    from core.models import weights
    from tests import naive

    prepared, comparison, _, _ = demo
    sc, ctx = prepared.scenario, prepared.ctx
    got = mia.fresh_margins(prepared, {"ga": comparison.methods["ga"].model})["ga"]
    raw = load_raw(sc)
    fresh = generate(sc.data, mia.N_FRESH, sc.dim, mia.fresh_seed(sc), n_test=0)
    data = load_dataset(sc, make_dataset(raw.X, raw.y, fresh.X, fresh.y))
    W = weights(ctx, comparison.methods["ga"].model)
    want = naive.margins(W, data.X_test, data.y_test, ctx.v, True)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
