"""``unlearn --methods ... --mia``: method choice, hyperparameters, the audit in the JSON and
the text, and bad options (exit code 2, one line on stderr), run in-process through main().
"""
import json

import pytest

from explorer.cli import main
from tests.naive import BUILTIN_METHODS as METHODS
from tests.naive import DEFAULT_METHODS

OLD_KEYS = {"eps", "eps_rel", "delta", "tau", "n_support", "cosine_to_retrain",
            "forget_margins", "max_retained_margin_change", "seconds"}
SMALL = ("--n-samples", "20", "--dim", "300", "--width", "20", "--steps", "200")


def run(capsys, *args):
    code = main(["unlearn", *SMALL, *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def run_json(capsys, *args):
    code, out, err = run(capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)


def test_default_methods_are_unchanged_and_gain_cost_and_params(capsys):
    methods = run_json(capsys)["methods"]
    assert tuple(methods) == tuple(m for m in DEFAULT_METHODS if m != "exact")
    for entry in methods.values():
        assert OLD_KEYS <= set(entry) and "mia" not in entry
    assert methods["ga"]["grad_evals"] == 1
    assert methods["ga"]["params"] == {"scale": 1.0, "sequential": False}
    assert methods["retrain"]["grad_evals"] == 200 * 19


def test_all_methods_linear_include_exact(capsys):
    methods = run_json(capsys, "--model", "linear", "--methods", "all")["methods"]
    assert tuple(methods) == METHODS
    assert methods["exact"]["grad_evals"] is None
    assert methods["newton"]["params"]["damping_rule"] == "auto"
    assert methods["newton"]["params"]["damping"] > 0


def test_shortcuts_apply_to_every_method_with_that_hyperparameter(capsys):
    methods = run_json(capsys, "--methods", "ga_steps,finetune,newton", "--k", "5",
                       "--damping", "0.5")["methods"]
    assert methods["ga_steps"]["params"]["k"] == 5 and methods["ga_steps"]["grad_evals"] == 5
    assert methods["finetune"]["params"]["k"] == 5
    assert methods["finetune"]["grad_evals"] == 5 * 19
    assert methods["newton"]["params"] == {"damping": 0.5}


def test_method_opts_override_shortcuts(capsys):
    opts = json.dumps({"ga_steps": {"k": 3, "eta": 0.1}, "neggrad_plus": {"alpha": 0.95}})
    methods = run_json(capsys, "--methods", "ga_steps,neggrad_plus", "--k", "7",
                       "--method-opts", opts)["methods"]
    assert methods["ga_steps"]["params"] == {"k": 3, "eta": 0.1}
    assert methods["neggrad_plus"]["params"]["k"] == 7
    assert methods["neggrad_plus"]["params"]["alpha"] == 0.95


def test_mia_adds_the_audit_to_every_method(capsys):
    methods = run_json(capsys, "--methods", "ga,do_nothing,retrain", "--mia",
                       "--shadows", "4")["methods"]
    for entry in methods.values():
        mia = entry["mia"]
        assert {"log_lr", "p_member", "in_mean", "in_std", "out_mean", "out_std", "auc",
                "auc_retained"} <= set(mia)
        assert len(mia["p_member"]) == 1 and mia["shadows"] == 4
    assert methods["do_nothing"]["mia"]["p_member"][0] > methods["retrain"]["mia"]["p_member"][0]


def test_text_report_shows_cost_and_audit(capsys):
    code, out, _ = run(capsys, "--methods", "ga,newton,do_nothing", "--mia", "--shadows", "3")
    assert code == 0
    assert "grad_evals" in out and "Newton step" in out
    assert "membership audit (3 shadow pairs" in out and "p_member" in out
    assert "large negative: far from every IN shadow" in out        # log_lr explained
    verdict = next(line for line in out.splitlines() if line.startswith(" verdict: "))
    assert verdict.startswith(" verdict: do nothing still looks like a model trained with")
    assert "GA (one step)" in verdict and "Newton step" in verdict   # ... the others not


@pytest.mark.parametrize("args, message", [
    (("--methods", "ga,sgd"), "Unknown method 'sgd'"),
    (("--methods", ","), "--methods is empty"),
    (("--method-opts", "{k: 1}"), "--method-opts is not valid JSON"),
    (("--method-opts", "[1]"), "--method-opts must be a JSON object of objects"),
    (("--methods", "ga_steps", "--method-opts", '{"ga_steps": {"beta": 1}}'),
     "ga_steps has no hyperparameter 'beta'"),
    (("--method-opts", '{"newton": {"damping": 1}}'), "Hyperparameters given for 'newton'"),
    (("--method-opts", '{"ga": {"scale": 1}}'), "ga has no hyperparameters here"),
    (("--methods", "newton", "--damping", "-1"), "damping must be a finite number >= 0"),
    (("--mia", "--shadows", "1"), "shadows must be an integer from 2"),
])
def test_bad_method_options_exit_2_with_one_line(capsys, args, message):
    code, out, err = run(capsys, *args)
    assert code == 2 and out == ""
    assert err.startswith("error: ") and message in err and err.count("\n") == 1
