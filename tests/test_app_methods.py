"""AppTest of the Methods page and the Unlearn page's method picker (issue 8): the numbers
shown against the engine called directly (core.compare, core.mia), and the widgets' paths.
"""
import json
from pathlib import Path

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from core import memo, mia
from core.compare import compare, default_forget, prepare
from core.scenario import Scenario
from present.text import as_text, fmt
from tests.helpers import settle
from tests.naive import BUILTIN_LABELS as METHOD_LABELS
from tests.naive import BUILTIN_METHODS as METHODS

APP = Path(__file__).resolve().parent.parent / "app.py"
SMALL = dict(n_samples=16, dim=160, width=16, steps=150)


@pytest.fixture(autouse=True)
def fresh_caches():
    st.cache_data.clear()
    st.cache_resource.clear()
    memo.clear_all()
    yield


def open_page(page="pages/8_methods.py"):
    at = AppTest.from_file(str(APP), default_timeout=120)
    for k, v in SMALL.items():
        at.query_params[k] = str(v)
    settle(at.run())
    settle(at.switch_page(page).run())
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


@pytest.fixture(scope="module")
def engine():
    prepared = prepare(Scenario(**SMALL))
    forget = default_forget(prepared)
    usable = tuple(m for m in METHODS if m != "exact")
    return prepared, forget, compare(prepared, forget, methods=usable)


def table_proto(at, column):
    """The proto of the page's dataframe that has ``column``."""
    return next(df.proto for df in at.dataframe if column in df.value.columns)


def table_of(at, column):
    """The page's dataframe that has ``column``."""
    return next(df.value for df in at.dataframe if column in df.value.columns)


def test_methods_page_table_matches_the_engine(engine):
    _, _, comp = engine
    at = open_page()
    shown = table_of(at, "grad_evals").set_index("label")
    assert list(shown.index) == [METHOD_LABELS[m] for m in comp.methods]
    for name, res in comp.methods.items():
        row = shown.loc[METHOD_LABELS[name]]
        assert row["eps_rel"] == pytest.approx(res.certificate.eps_rel, rel=1e-9)
        assert row["one_minus_cosine"] == pytest.approx(1 - res.cosine_to_retrain, abs=1e-12)
        assert row["grad_evals"] == res.grad_evals
    assert len(at.get("vega_lite_chart")) == 1          # quality against cost


def test_methods_page_hyperparameters_reach_the_engine(engine):
    prepared, forget, _ = engine
    at = open_page()
    settle(at.number_input(key="ux.mp.ga_steps.k").set_value(3).run())
    assert not at.exception and not at.error
    want = compare(prepared, forget, methods=("ga_steps",),
                   method_params={"ga_steps": {"k": 3}}).methods["ga_steps"]
    row = table_of(at, "grad_evals").set_index("label").loc[METHOD_LABELS["ga_steps"]]
    assert row["grad_evals"] == 3 and row["params"].startswith("k=3")
    assert row["eps_rel"] == pytest.approx(want.certificate.eps_rel, rel=1e-9)


def test_methods_page_audit_matches_core_mia(engine):
    _, _, comp = engine
    at = open_page()
    at.select_slider(key="ux.mp.shadows").set_value(4)
    settle(at.toggle(key="ux.mp.mia_toggle").set_value(True).run())
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    audit = mia.audit(comp, n_shadows=4)
    shown = table_of(at, "p_member").set_index("label")
    for name, res in audit.methods.items():
        assert shown.loc[METHOD_LABELS[name], "p_member"] == pytest.approx(
            res.p_member[0], rel=1e-9, abs=1e-300)
    assert shown.loc["do nothing", "p_member"] > shown.loc["retrain", "p_member"]
    assert len(at.get("vega_lite_chart")) == 3          # + distributions and p_member
    assert np.isfinite(shown["s"]).all()
    verdict = next(i.value for i in at.info if "shadow pairs" in i.value)
    assert verdict.startswith("do nothing still looks like a model trained with")
    config = json.loads(table_proto(at, "p_member").columns)    # each column explained
    assert "hundreds of IN standard deviations" in config["log_lr"]["help"]
    assert "fresh points" in config["auc"]["help"]


def test_methods_page_evidence_matches_the_engine(engine):
    """"How forgotten is it?": the floor, U-LiRA and relearning shown are the engine's."""
    from core.evidence import gather

    prepared, forget, comp = engine
    at = open_page()
    at.select_slider(key="ux.mp.floor_k").set_value(4)
    at.select_slider(key="ux.mp.ulira_k").set_value(4)
    at.toggle(key="ux.mp.evidence").set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    found = gather(comp, 4, 4, True)
    shown = table_of(at, "U-LiRA AUC").set_index("method")
    for name in comp.methods:
        row = shown.loc[METHOD_LABELS[name]]
        assert row["U-LiRA AUC"] == pytest.approx(found.ulira.attacks[name].auc)
        assert row["relearning steps"] == found.relearn[name].steps
        assert bool(row["within floor"]) == found.floor.verdict({
            "cosine_to_retrain": comp.methods[name].cosine_to_retrain,
            "eps_rel": comp.methods[name].certificate.eps_rel,
            "margin_distance_to_retrain": comp.methods[name].margin_distance_to_retrain,
            "test_disagreement": comp.methods[name].test_disagreement,
            "kl_to_retrain": comp.methods[name].kl_to_retrain})[0]
    assert shown.loc["retrain", "within floor"]
    assert len(at.get("vega_lite_chart")) == 2          # quality (with its band) + figure


def test_unlearn_page_method_picker_adds_methods_as_one_readable_table():
    """Up to three methods are cards; more become one table of the cards' numbers, in
    display order, each value formatted as on a card (issue 20: eight cards were too
    narrow to read)."""
    at = open_page("pages/3_unlearn.py")
    assert [m.value for m in at.markdown if m.value.startswith("**")][:3] == [
        f"**{as_text(label)}**" for label in ("GA (one step)", "do nothing", "retrain")]
    picker = next(w for w in at.multiselect if w.label == "more methods on the cards")
    settle(picker.set_value(["newton", "ga_steps"]).run())
    assert not at.exception, [e.value for e in at.exception]
    shown = at.table[0].value
    assert list(shown.index) == ["GA (one step)", "GA (k steps)", "Newton step", "do nothing",
                                 "retrain"]
    prep = prepare(Scenario(**SMALL))
    comp = compare(prep, default_forget(prep), methods=("ga", "ga_steps", "newton"))
    for name, label in (("ga", "GA (one step)"), ("newton", "Newton step")):
        cert = comp.methods[name].certificate
        assert shown.loc[label, "ε_rel"] == fmt(cert.eps_rel)
        assert shown.loc[label, "cos to retrain"] == fmt(comp.methods[name].cosine_to_retrain,
                                                         "f")
    floor = shown["against the floor"]                       # retraining's floor, per row
    assert floor["retrain"].startswith("the reference: retraining")
    assert all("retraining" in f and "floor" in f for f in floor)
    assert shown.loc["Newton step", "as used"].startswith("damping")   # Newton's γ
