"""AppTest of the Scaling and Generalization pages: each runs from a fresh session, and a
tiny run through the widgets gives the same rows as the engine (core.sweeps.run,
core.sweeps.generalization) called directly."""
import pandas as pd
import pytest

from core.compare import prepare
from core.scenario import Scenario
from core.sweeps.generalization import forgetting_curve, random_forget_order
from core.sweeps.run import run_sweep
from core.sweeps.spec import SweepSpec
from tests.helpers import settle

SCALING, GENERALIZATION = "pages/6_scaling.py", "pages/7_generalization.py"
SMALL = dict(n_samples=16, dim=160, width=16, steps=150)


def shown_table(at, column):
    frames = [d.value for d in at.dataframe if column in d.value.columns]
    assert frames, f"no table with {column}"
    return frames[-1].reset_index(drop=True)


@pytest.mark.parametrize("path", [SCALING, GENERALIZATION])
def test_page_runs_from_a_fresh_session(path, open_app, no_trouble):
    at = open_app(path)
    no_trouble(at)
    # a first visit runs the page's default sweep, so the figures are there at once
    assert at.get("vega_lite_chart") and at.dataframe and not at.info


def test_a_tiny_sweep_through_the_widgets_gives_the_engine_rows(open_app, no_trouble):
    at = open_app(SCALING, **SMALL)
    at.radio(key="ux.sweep.model").set_value("linear")
    at.selectbox(key="ux.sweep.param").set_value("dim")
    at.text_input(key="ux.sweep.values").set_value("40, 160")
    at.number_input(key="ux.sweep.seeds").set_value(2)
    at.toggle(key="ux.sweep.own").set_value(True)
    settle(at.button(key="ux.sweep.run").click().run())
    no_trouble(at)
    shown = shown_table(at, "eps_rel")
    spec = SweepSpec(Scenario(model="linear", **SMALL), "dim", (40, 160), 2)
    expected = run_sweep(spec).frame
    pd.testing.assert_frame_equal(shown.drop(columns="seconds"),
                                  expected.drop(columns="seconds"), check_dtype=False)
    assert len(at.get("vega_lite_chart")) == 3      # certificates, cosine, regime gauge
    panel = " ".join(m.value for m in at.markdown)
    assert "What the paper states" in panel and "not the paper's numbers" in panel
    at.switch_page(GENERALIZATION).run()
    at.switch_page(SCALING).run()                    # the result survives page switches
    assert shown_table(at, "eps_rel").drop(columns="seconds").equals(
        shown.drop(columns="seconds"))


def test_a_bad_value_list_is_one_error(open_app):
    at = open_app(SCALING)
    at.text_input(key="ux.sweep.values").set_value("50,,100")
    settle(at.button(key="ux.sweep.run").click().run())
    assert not at.exception and "empty entry" in at.error[0].value


def test_forgetting_chosen_points_through_the_widgets_gives_the_engine_curve(open_app, no_trouble):
    at = open_app(GENERALIZATION)
    for key, value in (("n", 20), ("dim", 300), ("points", "3, 7, 11")):
        widget = at.text_input(key=f"ux.curve.{key}") if key == "points" \
            else at.number_input(key=f"ux.curve.{key}")
        widget.set_value(value)
    settle(at.button(key="ux.curve.run").click().run())
    no_trouble(at)
    shown = shown_table(at, "test_accuracy")
    prepared = prepare(Scenario(data="mixture", n_samples=20, dim=300))
    expected = forgetting_curve(prepared, (3, 7, 11))
    cols = ["k", "removed", "method", "test_accuracy", "test_agreement", "eps_rel"]
    # the page shows k = 0's removed = -1 (nothing removed yet) as an empty cell
    expected["removed"] = expected["removed"].astype(float).mask(expected["k"] == 0)
    pd.testing.assert_frame_equal(shown[cols], expected[cols], check_dtype=False)
    assert at.get("vega_lite_chart") and len(at.metric) == 4


def test_random_points_over_seeds(open_app, no_trouble):
    at = open_app(GENERALIZATION)
    at.number_input(key="ux.curve.n").set_value(20)
    at.number_input(key="ux.curve.dim").set_value(300)
    at.number_input(key="ux.curve.k").set_value(3)
    at.number_input(key="ux.curve.seeds").set_value(2)
    settle(at.button(key="ux.curve.run").click().run())
    no_trouble(at)
    shown = shown_table(at, "test_accuracy")
    assert sorted(shown["seed"].unique()) == [0, 1] and shown["k"].max() == 3
    prepared = prepare(Scenario(data="mixture", n_samples=20, dim=300, seed=1))
    expected = forgetting_curve(prepared, random_forget_order(prepared.ctx.y, 3, 1))
    got = shown[shown["seed"] == 1].reset_index(drop=True)
    assert got["test_accuracy"].tolist() == expected["test_accuracy"].tolist()
