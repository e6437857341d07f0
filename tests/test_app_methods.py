"""AppTest of the Methods page and the Unlearn page's method picker (issue 8): the numbers
shown against the engine called directly (core.compare, core.mia), and the widgets' paths.
"""
from pathlib import Path

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from core import mia
from core.compare import compare, default_forget, prepare
from core.scenario import Scenario
from tests.conftest import shown
from tests.naive import BUILTIN_LABELS as METHOD_LABELS
from tests.naive import BUILTIN_METHODS as METHODS

APP = Path(__file__).resolve().parent.parent / "app.py"
SMALL = dict(n_samples=16, dim=160, width=16, steps=150)


@pytest.fixture(autouse=True)
def fresh_caches():
    st.cache_data.clear()
    st.cache_resource.clear()
    mia._CACHE.clear()
    yield


def open_page(page="pages/8_methods.py"):
    at = AppTest.from_file(str(APP), default_timeout=120)
    for k, v in SMALL.items():
        at.query_params[k] = str(v)
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


@pytest.fixture(scope="module")
def engine():
    prepared = prepare(Scenario(**SMALL))
    forget = default_forget(prepared)
    usable = tuple(m for m in METHODS if m != "exact")
    return prepared, forget, compare(prepared, forget, methods=usable)


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
    at.number_input(key="ux.mp.ga_steps.k").set_value(3).run()
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
    at.toggle(key="ux.mp.mia_toggle").set_value(True).run()
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


def test_unlearn_page_method_picker_adds_cards():
    at = open_page("pages/3_unlearn.py")
    picker = next(w for w in at.multiselect if w.label == "more methods on the cards")
    picker.set_value(["newton", "ga_steps"]).run()
    assert not at.exception, [e.value for e in at.exception]
    labels = [shown(m.value) for m in at.markdown if m.value.startswith("**")]
    assert labels[:3] == ["**GA (one step)**", "**GA (k steps)**", "**Newton step**"]
    assert "**do nothing**" in labels and "**retrain**" in labels
