"""One set of validation rules (core/validate.py), and the same refusal at every entry point:
Scenario.from_dict, the URL (present.share.from_query), the scenario file (present.share.from_json)
and the CLI (exit code 2, one line on stderr).
"""
import json

import pytest

from core import validate
from core.errors import InputError
from core.options import DEFAULT_KINK_TOL
from core.scenario import Scenario
from explorer.cli import build_parser, main, scenario_from_args
from present import share
from tests.helpers import shown

# ------------------------------------------------------------------ the rules, one test each


@pytest.mark.parametrize("c", [1e308, -3.0, float("nan"), float("inf"), 10.5])
def test_scale_out_of_range(c):
    with pytest.raises(InputError, match=r"c \(the step-size multiplier\) must be a finite "
                                         r"number >= 0 and at most 10"):
        validate.check_scale(c)


@pytest.mark.parametrize("c", [0.0, 1.0, 10.0])
def test_scale_in_range(c):
    assert validate.check_scale(c) == c


@pytest.mark.parametrize("lr", [0.0, -1.0, float("nan"), 1e7, True])
def test_lr_out_of_range(lr):
    with pytest.raises(InputError, match="lr must be a positive finite number at most 1e"):
        validate.check_lr(lr)


@pytest.mark.parametrize("kappa", [-0.01, 1.0, float("inf")])
def test_kink_tol_out_of_range(kappa):
    with pytest.raises(InputError, match="kink_tol must be a finite number >= 0 and below 1"):
        validate.check_kink_tol(kappa)


@pytest.mark.parametrize("steps", [0, 200_001, 2.5, True])
def test_steps_out_of_range(steps):
    with pytest.raises(InputError, match="steps must be an integer from 1 to 200000"):
        validate.check_steps(steps)


@pytest.mark.parametrize("width", [1, 5001])
def test_width_out_of_range(width):
    with pytest.raises(InputError, match="width must be an integer from 2 to 5000"):
        validate.check_width(width)


@pytest.mark.parametrize("lift", [-1, 20_001, 1.5])
def test_lift_out_of_range(lift):
    with pytest.raises(InputError, match=r"lift must be an integer from 0 to 20000 \(0 = no"):
        validate.check_lift(lift)


@pytest.mark.parametrize("values, message", [((1, 1), "forget index 1 is listed twice"),
                                             ((-2,), "forget indices must be integers >= 0"),
                                             ((1.5,), "forget indices must be integers")])
def test_bad_index_lists(values, message):
    with pytest.raises(InputError, match=message):
        validate.check_indices(values)


def test_int_lists_are_parsed_or_quoted():
    assert validate.parse_int_list(" 3, 8 ", "classes") == (3, 8)
    with pytest.raises(InputError, match="classes='3,x' must be integers separated by commas"):
        validate.parse_int_list("3,x", "classes")


@pytest.mark.parametrize("field, value, message", [
    ("preprocess", "log", "preprocess must be one of unit_median_norm, as_is"),
    ("data", "mnist", "data must be one of orthogonal"),
    ("n_samples", 6000, "n_samples must be an integer from 2 to 5000"),
    ("mu_norm", -1.0, "mu_norm must be a finite number >= 0"),
    ("active_tol", float("nan"), "active_tol must be a finite number >= 0"),
    ("init_scale", 0.0, "init_scale must be a positive finite number")])
def test_scenario_fields_out_of_range(field, value, message):
    with pytest.raises(InputError, match=message):
        Scenario.from_dict({field: value})


# ------------------------------------------------------------------ every entry point

@pytest.mark.parametrize("params, message", [
    ({"c": "1e308"}, "c \\(the step-size multiplier\\) must be a finite number >= 0"),
    ({"c": "-3"}, "c \\(the step-size multiplier\\) must be a finite number >= 0"),
    ({"lift": "-5"}, "lift must be an integer from 0"),
    ({"preprocess": "zscore"}, "preprocess must be one of"),
    ({"data": "digits", "classes": "3,x"}, "The link's classes='3,x' must be integers"),
    ({"data": "digits", "classes": "3,3"}, "classes must be two different labels"),
    ({"kink_tol": "1.5"}, "kink_tol must be a finite number >= 0 and below 1"),
    ({"forget": "4,4"}, "forget index 4 is listed twice")])
def test_the_url_refuses_out_of_range_values(params, message):
    with pytest.raises(InputError, match=message):
        share.from_query(params)


def test_the_url_round_trips_the_new_fields():
    shared = share.Shared(Scenario(data="digits", classes=(4, 9), lift=500,
                                   preprocess="standardize", n_samples=30), ((1, 2),), 2.5)
    query = share.to_query(shared)
    assert query["classes"] == "4,9" and query["lift"] == "500"
    back = share.from_query(query)
    assert back.scenario == shared.scenario and back.scale == 2.5


@pytest.mark.parametrize("body, message", [
    ({"scenario": {}, "scale": 1e300}, "c \\(the step-size multiplier\\) must be a finite"),
    ({"scenario": {}, "scale": -3}, "c \\(the step-size multiplier\\) must be a finite"),
    ({"scenario": {"lift": -1}}, "lift must be an integer from 0"),
    ({"scenario": {"classes": [3, 8]}}, "classes is for the presets"),
    ({"scenario": {}, "history": [[1], [1]]}, "forget index 1 is listed twice")])
def test_the_scenario_file_refuses_out_of_range_values(body, message):
    with pytest.raises(InputError, match=message):
        share.from_json(json.dumps(body))


def test_the_scenario_file_round_trips_a_preset():
    shared = share.Shared(Scenario(data="iris", classes=(0, 2), n_samples=20))
    assert share.from_json(share.to_json(shared)) == shared


@pytest.mark.parametrize("argv, message", [
    (["--scale", "1e308"], "c (the step-size multiplier) must be a finite number"),
    (["--scale", "-3"], "c (the step-size multiplier) must be a finite number"),
    (["--lift", "-1"], "lift must be an integer from 0"),
    (["--data", "digits", "--classes", "3,x"], "--classes='3,x' must be integers"),
    (["--kink-tol", "1"], "kink_tol must be a finite number >= 0 and below 1"),
    (["--lr", "0"], "lr must be a positive finite number"),
    (["--steps", "0"], "steps must be an integer from 1"),
    (["--forget", "3", "3"], "forget index 3 is listed twice")])
def test_the_cli_exits_with_2_and_one_line(capsys, argv, message):
    assert main(["unlearn", "--n-samples", "10", "--dim", "50", "--width", "10",
                 *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


def test_the_cli_refuses_an_unknown_preprocessing_with_2():
    with pytest.raises(SystemExit) as stop:
        build_parser().parse_args(["unlearn", "--preprocess", "zscore"])
    assert stop.value.code == 2


# ------------------------------------------------------------------ one source per default

def test_cli_defaults_are_the_scenario_defaults():
    assert scenario_from_args(build_parser().parse_args(["unlearn"])) == Scenario()
    toy = scenario_from_args(build_parser().parse_args(["unlearn", "--data", "moons"]))
    assert toy == Scenario(data="moons", dim=2)


def test_kink_tol_default_is_the_certificates():
    assert Scenario().kink_tol == DEFAULT_KINK_TOL


@pytest.mark.parametrize("c", ["1e308", "-3"])
def test_the_app_refuses_an_out_of_range_c_in_the_link(open_app, c):
    at = open_app(c=c)
    assert not at.exception
    assert any("c (the step-size multiplier) must be a finite number" in shown(w.value)
               for w in at.warning)
    assert at.session_state["ux.scenario"] == Scenario()
