"""AppTest of picking points (plane, points table, index input), of links that keep how
removals were grouped, and of shared values the app must refuse with its state kept.

Expected numbers come from the engine (core.compare) called directly. Widget states are
injected the way a browser would leave them (AppTest calls no selection callbacks; the
page takes a changed state on its next run).
"""
import io
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from core.compare import compare, prepare
from core.report import methods_frame
from core.scenario import Scenario
from present import share
from tests.helpers import settle, shown
from ui import state

APP = Path(__file__).resolve().parent.parent / "app.py"
SMALL = dict(n_samples=16, dim=160, width=16, steps=150)


def app(**query):
    at = AppTest.from_file(str(APP), default_timeout=120)
    for k, v in {**{k: str(v) for k, v in SMALL.items()}, **query}.items():
        at.query_params[k] = str(v)
    return at.run()


def no_trouble(at):
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def pick_in_table(at, rows):
    at.session_state[state.TABLE_KEY.format(at.session_state[state.TABLE_NONCE])] = {
        "selection": {"rows": list(rows), "columns": [], "cells": []}}
    return at.run()


def pick_on_plane(at, indices):
    at.session_state[state.PLANE_KEY.format(at.session_state[state.NONCE])] = {
        "selection": {"pick": [{"index": i} for i in indices]}}
    return at.run()


def type_indices(at, text):
    at.text_input(key="ux.forget_index").input(text)
    return at.button(key="ux.forget_typed").click().run()


def shown_methods(at):
    frame = next(d.value for d in at.dataframe if "cosine_to_retrain" in d.value.columns)
    return frame.set_index("method")


def assert_engine_numbers(at, forget):
    expected = methods_frame(compare(prepare(Scenario(**SMALL)), forget)).set_index("method")
    shown = shown_methods(at)
    for col in ("eps_rel", "delta", "tau", "cosine_to_retrain"):
        np.testing.assert_array_equal(shown[col].to_numpy(float), expected[col].to_numpy(float))


def test_rows_picked_in_the_table_are_forgotten_as_one_action():
    at = app(forget="")
    pick_in_table(at, [6, 2])
    no_trouble(at)
    assert at.session_state["ux.pick"] == (6, 2)
    assert at.button(key="ux.forget").label == "Forget selected (2)"
    at.button(key="ux.forget").click().run()
    no_trouble(at)
    assert at.session_state["ux.history"] == ((6, 2),)
    assert at.query_params["forget"] == "6+2"
    assert at.session_state["ux.pick"] == ()
    assert_engine_numbers(at, (6, 2))


def test_a_plane_pick_shows_in_the_table_and_a_table_pick_on_the_plane():
    at = app(forget="")
    table_key = state.TABLE_KEY.format(at.session_state[state.TABLE_NONCE])
    pick_on_plane(at, [4, 9])
    assert at.session_state["ux.pick"] == (4, 9)
    # the table is redrawn (new key) with the plane's selection as its default
    assert state.TABLE_KEY.format(at.session_state[state.TABLE_NONCE]) != table_key
    assert at.session_state["ux.pick_table_seed"] == (4, 9)
    plane_key = state.PLANE_KEY.format(at.session_state[state.NONCE])
    pick_in_table(at, [4, 9, 11])
    assert at.session_state["ux.pick"] == (4, 9, 11)
    assert state.PLANE_KEY.format(at.session_state[state.NONCE]) != plane_key
    assert at.session_state["ux.pick_plane_seed"] == (4, 9, 11)
    no_trouble(at)


def test_typed_indices_are_forgotten_as_one_action():
    at = app(forget="3")
    type_indices(at, "15, 7")
    no_trouble(at)
    assert at.session_state["ux.history"] == ((3,), (15, 7))
    assert at.query_params["forget"] == "3,15+7"
    assert_engine_numbers(at, (3, 15, 7))


@pytest.mark.parametrize("text, message", [("15 x", "not a list of point indices"),
                                           ("99", "out of range"),
                                           ("3", "already forgotten")])
def test_bad_typed_indices_are_refused_and_the_state_kept(text, message):
    at = app(forget="3")
    type_indices(at, text)
    assert not at.exception
    assert any(message in e.value for e in at.error), [e.value for e in at.error]
    assert at.session_state["ux.history"] == ((3,),)


def test_a_link_restores_grouped_removals_and_writes_them_back():
    at = app(forget="15+2,4")
    no_trouble(at)
    assert at.session_state["ux.history"] == ((15, 2), (4,))
    assert at.query_params["forget"] == "15+2,4"
    history = next(d.value for d in at.dataframe if "forgot" in d.value.columns)
    assert history["forgot"].tolist() == ["15, 2", "4"]
    at.button(key="ux.undo").click().run()
    assert at.session_state["ux.history"] == ((15, 2),)
    assert at.query_params["forget"] == "15+2"
    assert_engine_numbers(at, (15, 2))


@pytest.mark.parametrize("value, history", [("3,8", ((3,), (8,))),          # older links
                                            ("15 2,4", ((15, 2), (4,)))])   # '+' decoded
def test_older_and_decoded_links_still_open(value, history):
    at = app(forget=value)
    no_trouble(at)
    assert at.session_state["ux.history"] == history


@pytest.mark.parametrize("c", ["1e308", "-3"])
def test_an_out_of_range_c_in_a_link_is_refused(c):
    at = app(c=c, forget="3")
    assert not at.exception
    assert any("c (the step-size multiplier)" in shown(w.value) for w in at.warning)
    assert at.session_state["ux.scale"] == 1.0
    assert at.session_state["ux.scenario"] == Scenario()
    assert not any(m.value == "n/a" for m in at.metric)


@pytest.mark.parametrize("change, message", [({"scale": 1e300}, "c (the step-size multiplier)"),
                                             ({"scale": -3}, "c (the step-size multiplier)"),
                                             ({"history": [[1, 1]]}, "listed twice")])
def test_a_bad_scenario_file_is_refused_with_the_state_kept(change, message):
    at = app(forget="3")
    good = json.loads(share.to_json(share.Shared(Scenario(**SMALL), ((2,),), 1.0, False)))
    text = json.dumps({**good, **change}).encode()
    key = next(w.key for w in at.get("file_uploader")
               if w.key.startswith(f"{state.PREFIX}w.scenario_file."))
    at.file_uploader(key=key).set_value(("scenario.json", text, "application/json")).run()
    assert not at.exception
    assert any(message in shown(e.value) for e in at.error), [e.value for e in at.error]
    assert at.session_state["ux.history"] == ((3,),)
    assert at.session_state["ux.scale"] == 1.0


def test_an_unnormalized_csv_with_labels_3_and_7_trains_and_forgets():
    """Rows N(0, 1) in d = 200 (norm ~14): the app's preprocessing must make the default
    ReLU training work, and labels {3, 7} map to -1/+1."""
    rng = np.random.default_rng(11)
    X = rng.standard_normal((30, 200))
    y = np.repeat([3, 7], 15)
    buffer = io.StringIO()
    np.savetxt(buffer, np.column_stack([X, y]), delimiter=",",
               header=",".join([f"x{j}" for j in range(200)] + ["label"]), comments="")
    at = app()
    at.switch_page("pages/2_data.py").run()
    source = next(w for w in at.selectbox if w.key and w.key.startswith(f"{state.PREFIX}w.source."))
    source.set_value("upload").run()
    upload = next(w for w in at.get("file_uploader")
                  if w.key and w.key.startswith(f"{state.PREFIX}w.upload."))
    at.file_uploader(key=upload.key).set_value(
        ("points.csv", buffer.getvalue().encode(), "text/csv")).run()
    at.button(key="ux.train").click().run()
    no_trouble(at)
    scenario = at.session_state["ux.scenario"]
    assert scenario.data_file and scenario.model == "relu"
    at.switch_page("pages/3_unlearn.py").run()
    type_indices(at, "4")
    no_trouble(at)
    assert at.session_state["ux.history"][-1] == (4,)
    assert not any(m.value == "n/a" for m in at.metric)


def test_an_unconverged_certificate_is_flagged_next_to_eps_on_its_card():
    """2-D XOR (n >= d, lambda not unique): the card of each method whose dual recovery
    stopped short says so under ε_rel; the others say nothing."""
    scenario = Scenario(data="xor", dim=2, n_samples=60)
    at = AppTest.from_file(str(APP), default_timeout=120)
    for k, v in (("data", "xor"), ("dim", "2"), ("n_samples", "60"), ("forget", "0")):
        at.query_params[k] = v
    settle(at.run())
    assert not at.exception
    comp = compare(prepare(scenario), (0,))
    unconverged = [n for n, r in comp.methods.items() if not r.certificate.converged]
    assert unconverged, "the scenario should exercise the flag"
    flags = [c.value for c in at.caption if "ε is an upper bound" in c.value]
    assert len(flags) == len(unconverged)
