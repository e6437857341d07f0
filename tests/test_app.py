"""AppTest of the Streamlit app: every page, the widget paths against the engine, state.

Expected numbers come from calling the engine (core.compare) directly, never from the app.
A small scenario (n=16, d=160, m=16) keeps the whole file fast; the default one is used
only where the first load itself is under test.
"""
import io

import numpy as np
import pandas as pd
import pytest

from core.compare import compare, default_forget, prepare
from core.report import methods_frame
from core.scenario import Scenario
from present import share
from present.text import TAU_FLOOR, fmt
from tests.helpers import settle, shown
from tests.naive import BUILTIN_LABELS
from ui import state

PAGES = ["pages/1_overview.py", "pages/2_data.py", "pages/3_unlearn.py", "pages/4_kkt.py",
         "pages/5_step_size.py"]
SMALL = dict(n_samples=16, dim=160, width=16, steps=150)
NUMBERS = ["eps", "eps_rel", "delta", "tau", "n_support", "cosine_to_retrain",
           "max_retained_margin_change"]


def small_query(**extra):
    return {**{k: str(v) for k, v in SMALL.items()}, **extra}


def widget(at, kind, name):
    """The widget bound to ``name`` (keys carry a token that changes on every commit)."""
    prefix = f"{state.PREFIX}w.{name}."
    return next(w for w in getattr(at, kind) if w.key and w.key.startswith(prefix))


def card_values(at, method):
    """The first four values on a method's card (eps_rel, delta, tau, cosine to retrain);
    on the Unlearn page the cards are the only metrics, in display order."""
    values = [m.value for m in at.metric]
    per = 5 if any(m.proto.label == "test accuracy" for m in at.metric) else 4
    index = ["ga", "do_nothing", "retrain", "exact"].index(method)
    return values[index * per:index * per + 4]


def expected_cards(comparison, method):
    row = methods_frame(comparison).set_index("method").loc[method]
    return [fmt(row["eps_rel"]), fmt(row["delta"]), fmt(row["tau"]),
            fmt(row["cosine_to_retrain"], "f")]


def methods_table(at):
    """The full-precision methods table the Unlearn page shows (and offers as CSV)."""
    frames = [d.value for d in at.dataframe if "cosine_to_retrain" in d.value.columns]
    assert frames, "no methods table on the page"
    return frames[-1].set_index("method")


def assert_same_numbers(shown, comparison):
    expected = methods_frame(comparison).set_index("method")
    assert list(shown.index) == list(expected.index)
    for col in NUMBERS:
        want = expected[col].to_numpy(dtype=float)
        if col in ("tau", "delta"):   # gaps below TAU_FLOOR (rounding) show as 0
            want = np.where(np.abs(want) < TAU_FLOOR, 0.0, want)
        np.testing.assert_array_equal(shown[col].to_numpy(dtype=float), want, err_msg=col)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_from_a_fresh_session(page, open_app, no_trouble):
    at = open_app()
    at.switch_page(page).run()
    no_trouble(at)
    assert at.get("vega_lite_chart") or page == "pages/1_overview.py"


def test_first_load_shows_the_default_demo_forgotten(open_app, no_trouble):
    at = open_app()
    no_trouble(at)
    prep = prepare(Scenario())
    forget = default_forget(prep)
    assert at.session_state["ux.scenario"] == Scenario()
    assert at.session_state["ux.history"] == (forget,)
    assert at.query_params["forget"] == str(forget[0])
    comp = compare(prep, forget)
    assert card_values(at, "ga") == expected_cards(comp, "ga")
    assert_same_numbers(methods_table(at), comp)
    assert any("One GA step forgets" in s.value for s in at.success)


def test_training_through_the_widgets_matches_the_engine(open_app, no_trouble):
    at = open_app()
    at.switch_page("pages/2_data.py").run()
    widget(at, "number_input", "n_samples").set_value(SMALL["n_samples"])
    widget(at, "number_input", "dim").set_value(SMALL["dim"])
    widget(at, "number_input", "width").set_value(SMALL["width"])
    widget(at, "number_input", "steps_relu").set_value(SMALL["steps"])
    at.button(key="ux.train").click().run()
    no_trouble(at)
    scenario = Scenario(**SMALL)
    assert at.session_state["ux.scenario"] == scenario
    prep = prepare(scenario)
    shown = {m.proto.label: m.value for m in at.metric}
    assert shown["ε_rel on S"] == fmt(prep.original.eps_rel)
    assert shown["ρ"] == fmt(prep.gauge.rho)
    assert at.session_state["ux.history"] == (default_forget(prep),)
    at.switch_page("pages/3_unlearn.py").run()
    no_trouble(at)
    assert_same_numbers(methods_table(at), compare(prep, default_forget(prep)))


def test_chart_selection_and_forget_give_the_engine_numbers(open_app, no_trouble):
    at = open_app(**small_query(forget=""))
    no_trouble(at)
    assert at.session_state["ux.history"] == ()
    assert any("Forget selected" in i.value for i in at.info)
    at.session_state[state.PLANE_KEY.format(at.session_state[state.NONCE])] = {
        "selection": {"pick": [{"index": 4}, {"index": 9}]}}
    at.run()
    assert at.button(key="ux.forget").label == "Forget selected (2)"
    at.button(key="ux.forget").click().run()
    no_trouble(at)
    assert at.session_state["ux.history"] == ((4, 9),)
    assert at.query_params["forget"] == "4+9"          # one action of two points
    comp = compare(prepare(Scenario(**SMALL)), (4, 9))
    assert_same_numbers(methods_table(at), comp)
    assert card_values(at, "retrain") == expected_cards(comp, "retrain")
    history = next(d.value for d in at.dataframe if "forgot" in d.value.columns)
    assert history["forgot"].tolist() == ["4, 9"]
    assert history["GA ε_rel"].iloc[0] == comp.methods["ga"].certificate.eps_rel


def test_a_malformed_selection_is_ignored(open_app, no_trouble):
    at = open_app(**small_query(forget=""))
    at.session_state[state.PLANE_KEY.format(at.session_state[state.NONCE])] = {
        "selection": {"pick": {}}}
    at.run()
    no_trouble(at)
    assert at.button(key="ux.forget").disabled


def test_undo_and_reset(open_app, no_trouble):
    at = open_app(**small_query(forget="2,5"))
    assert at.session_state["ux.history"] == ((2,), (5,))
    at.button(key="ux.undo").click().run()
    assert at.session_state["ux.history"] == ((2,),)
    assert_same_numbers(methods_table(at), compare(prepare(Scenario(**SMALL)), (2,)))
    at.button(key="ux.reset").click().run()
    no_trouble(at)
    assert at.session_state["ux.history"] == ()
    assert at.query_params["forget"] == ""


def test_state_survives_page_switches(open_app, no_trouble):
    at = open_app(**small_query(forget="3,7", c="0.5"))
    for page in PAGES:
        at.switch_page(page).run()
        no_trouble(at)
    at.switch_page("pages/3_unlearn.py").run()
    assert at.session_state["ux.scenario"] == Scenario(**SMALL)
    assert at.session_state["ux.history"] == ((3,), (7,))
    assert at.query_params["forget"] == "3,7" and at.query_params["c"] == "0.5"
    comp = compare(prepare(Scenario(**SMALL)), (3, 7), scale=0.5)
    assert_same_numbers(methods_table(at), comp)


def test_query_parameters_restore_a_linear_scenario(open_app, no_trouble):
    at = open_app(model="linear", n_samples="12", dim="90", forget="1,6")
    no_trouble(at)
    scenario = Scenario(model="linear", n_samples=12, dim=90)
    assert at.session_state["ux.scenario"] == scenario
    comp = compare(prepare(scenario), (1, 6))
    assert "exact" in methods_table(at).index
    assert_same_numbers(methods_table(at), comp)


def test_a_bad_link_falls_back_to_the_default_with_a_warning(open_app):
    at = open_app(n_samples="many")
    assert not at.exception
    assert any("n_samples" in shown(w.value) for w in at.warning)
    assert at.session_state["ux.scenario"] == Scenario()


def test_a_bad_upload_shows_an_error_and_keeps_the_state(open_app):
    at = open_app(**small_query(forget="3"))
    at.switch_page("pages/2_data.py").run()
    widget(at, "selectbox", "source").set_value("upload").run()
    assert at.button(key="ux.train").disabled
    bad = b"a,b,label\n1,2,x\n3,oops,y\n"
    widget(at, "file_uploader", "upload").set_value(("bad.csv", bad, "text/csv")).run()
    assert not at.exception
    assert any("not numeric" in e.value for e in at.error)
    assert at.session_state["ux.scenario"] == Scenario(**SMALL)
    assert at.session_state["ux.history"] == ((3,),)
    assert at.button(key="ux.train").disabled


def test_a_good_upload_trains_on_the_file(tmp_path, open_app, no_trouble):
    rng = np.random.default_rng(5)
    X, y = rng.standard_normal((14, 120)) / np.sqrt(120), np.repeat([0, 1], 7)
    buffer = io.BytesIO()
    np.savez(buffer, X=X, y=y)
    at = open_app(**small_query())
    at.switch_page("pages/2_data.py").run()
    widget(at, "selectbox", "source").set_value("upload").run()
    widget(at, "file_uploader", "upload").set_value(
        ("points.npz", buffer.getvalue(), "application/octet-stream")).run()
    at.button(key="ux.train").click().run()
    no_trouble(at)
    scenario = at.session_state["ux.scenario"]
    assert scenario.data_file.startswith(".uploads/") and scenario.data_file.endswith(".npz")
    assert at.query_params["data_file"] == scenario.data_file


def test_non_separable_data_keep_the_previous_state(open_app):
    at = open_app(**small_query(forget="3"))
    at.switch_page("pages/2_data.py").run()
    widget(at, "selectbox", "source").set_value("moons").run()
    widget(at, "radio", "model").set_value("linear").run()
    at.button(key="ux.train").click().run()
    assert not at.exception
    assert any("does not separate" in e.value for e in at.error)
    assert at.session_state["ux.scenario"] == Scenario(**SMALL)
    assert at.session_state["ux.history"] == ((3,),)


def test_scenario_file_round_trip_is_bit_identical(open_app, no_trouble):
    shared = share.Shared(Scenario(**SMALL, seed=3), ((2,), (6, 1)), 0.75, False)
    text = share.to_json(shared)
    assert share.from_json(text) == shared
    at = open_app()
    settle(widget(at, "file_uploader", "scenario_file").set_value(
        ("scenario.json", text.encode(), "application/json")).run())
    no_trouble(at)
    assert at.session_state["ux.scenario"] == shared.scenario
    assert at.session_state["ux.history"] == shared.history
    comp = compare(prepare(shared.scenario), (2, 6, 1), scale=0.75)
    assert_same_numbers(methods_table(at), comp)
    reloaded = share.from_json(share.to_json(share.from_json(text)))
    again = compare(prepare(reloaded.scenario), reloaded.forget, scale=reloaded.scale)
    pd.testing.assert_frame_equal(methods_frame(comp).drop(columns="seconds"),
                                  methods_frame(again).drop(columns="seconds"))


def test_a_bad_scenario_file_keeps_the_state(open_app):
    at = open_app(**small_query(forget="3"))
    widget(at, "file_uploader", "scenario_file").set_value(
        ("scenario.json", b'{"scenario": {"width": 1}}', "application/json")).run()
    assert not at.exception
    assert any("width" in e.value for e in at.error)
    assert at.session_state["ux.scenario"] == Scenario(**SMALL)
    assert at.session_state["ux.history"] == ((3,),)


def test_forgetting_a_whole_class_is_refused_with_a_message(open_app):
    prep = prepare(Scenario(**SMALL))
    negatives = [int(i) for i in np.nonzero(prep.ctx.y < 0)[0]]
    at = open_app(**small_query(forget=""))
    at.session_state[state.PLANE_KEY.format(at.session_state[state.NONCE])] = {
        "selection": {"pick": [{"index": i} for i in negatives]}}
    at.run()
    at.button(key="ux.forget").click().run()
    assert not at.exception
    assert any("every point of class" in e.value for e in at.error)
    assert at.session_state["ux.history"] == ()


def test_the_step_size_page_matches_the_engine_sweep(open_app, no_trouble):
    from core.compare import scale_curve
    at = open_app(**small_query(forget="4"))
    at.switch_page("pages/5_step_size.py").run()
    no_trouble(at)
    shown = next(d.value for d in at.dataframe if "scale" in d.value.columns)
    expected = scale_curve(prepare(Scenario(**SMALL)), (4,), np.linspace(0.0, 2.0, 41))
    pd.testing.assert_frame_equal(shown.reset_index(drop=True), expected)


def test_the_overview_button_opens_the_default_demo(open_app, no_trouble):
    at = open_app(**small_query(forget="3"))
    at.switch_page("pages/1_overview.py").run()
    at.button(key="ux.open_demo").click().run()
    no_trouble(at)
    prep = prepare(Scenario())
    assert at.session_state["ux.scenario"] == Scenario()
    assert at.session_state["ux.history"] == (default_forget(prep),)
    assert_same_numbers(methods_table(at), compare(prep, default_forget(prep)))


def test_unconverged_certificates_are_flagged_on_the_page(open_app, no_trouble):
    """2-D XOR (n >= d, lambda not unique): each method whose dual recovery stopped short
    gets a warning saying eps is an upper bound; converged ones get none."""
    scenario = Scenario(data="xor", dim=2, n_samples=60)
    at = open_app(data="xor", dim="2", n_samples="60", forget="0")
    no_trouble(at)
    comp = compare(prepare(scenario), (0,))
    unconverged = [name for name, res in comp.methods.items() if not res.certificate.converged]
    assert unconverged, "the scenario should exercise the warning"
    warned = [shown(w.value) for w in at.warning if w.value.startswith("Certificate of")]
    assert len(warned) == 1 and "upper bound" in warned[0]
    named = warned[0].split(":")[0]
    for name, label in BUILTIN_LABELS.items():
        if name in comp.methods:
            assert (label in named) == (name in unconverged), (label, named)
