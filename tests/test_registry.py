"""The Method registry (core/registry.py): built-ins declared once, users' own methods
registered from a file and run like any built-in, and the one palette."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core import registry
from core.errors import InputError
from core.registry import Method, MethodOutput, Param
from explorer.cli import main
from tests.helpers import settle
from tests.naive import BUILTIN_LABELS, BUILTIN_METHODS

ROOT = Path(__file__).resolve().parent.parent
HALF_STEP = ROOT / "examples" / "half_step.py"
TINY = ["--n-samples", "12", "--dim", "200", "--width", "10", "--steps", "150"]


@pytest.fixture
def clean_registry():
    """Unregister whatever a test registered from a file (the registry is process-wide)."""
    before = set(registry.names())
    yield
    for name in set(registry.names()) - before:
        registry.unregister(name)


def run_json(capsys, *args):
    assert main(["unlearn", *TINY, "--forget", "3", "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_builtins_in_display_order_with_their_labels():
    assert registry.names() == BUILTIN_METHODS
    assert {n: registry.label(n) for n in BUILTIN_METHODS} == BUILTIN_LABELS
    assert registry.names("relu") == tuple(m for m in BUILTIN_METHODS if m != "exact")
    assert registry.default_names("relu") == ("ga", "do_nothing", "retrain")
    assert registry.reference_name() == "retrain"


def test_half_step_file_equals_ga_at_half_scale(capsys, clean_registry):
    custom = run_json(capsys, "--method-file", str(HALF_STEP), "--methods", "ga,half_step")
    plain = run_json(capsys, "--methods", "ga", "--scale", "0.5")
    half, ga = custom["methods"]["half_step"], plain["methods"]["ga"]
    for key in ("eps", "eps_rel", "delta", "tau", "n_support", "cosine_to_retrain",
                "forget_margins", "max_retained_margin_change", "grad_evals"):
        assert half[key] == ga[key], key
    assert custom["methods"]["ga"]["eps_rel"] != ga["eps_rel"]     # c = 1 there
    assert list(custom["methods"]) == ["ga", "retrain", "half_step"]


def test_a_users_method_takes_checked_hyperparameters(capsys, clean_registry):
    def shrink(task, factor):
        from core.models import GramModel
        model = task.original.model
        return MethodOutput(GramModel(model.s0 * factor, model.A * factor), 0,
                            {"factor": factor})

    registry.register(Method("shrink", "shrink θ̂", shrink, models=("linear",),
                             params={"factor": Param(0.5, 0.0, 1.0, open_low=True)}),
                      source="test")
    out = run_json(capsys, "--model", "linear", "--methods", "shrink,do_nothing",
                   "--method-opts", '{"shrink": {"factor": 0.25}}')
    shrunk, nothing = out["methods"]["shrink"], out["methods"]["do_nothing"]
    assert shrunk["params"] == {"factor": 0.25}
    # theta -> 0.25 theta scales every margin by 0.25 (a linear model is 1-homogeneous)
    np.testing.assert_allclose(shrunk["forget_margins"],
                               [0.25 * q for q in nothing["forget_margins"]], rtol=1e-12)
    with pytest.raises(InputError, match="factor must be a finite number > 0 and <= 1"):
        registry.get("shrink").resolve_params({"factor": 2.0})
    assert main(["unlearn", *TINY, "--methods", "shrink"]) == 2      # relu: not supported
    assert "for the linear model only, not relu" in capsys.readouterr().err


@pytest.mark.parametrize("method,message", [
    (Method("ga", "mine", lambda task: None), "exists already"),
    (Method("Bad-Name", "x", lambda task: None), "lower-case letters"),
    (Method("all", "x", lambda task: None), "not 'all'"),
    (Method("ok_name", "x", lambda task: None, color="red"), "#rrggbb"),
    (Method("ok_name", "x", lambda task: None, models=("cnn",)), "models must be"),
    (Method("ok_name", "x", lambda task: None, params={"k": 3}), "core.registry.Param"),
    (Method("ok_name", " ", lambda task: None), "needs a label"),
])
def test_bad_registrations_are_refused(method, message):
    with pytest.raises(InputError, match=message):
        registry.register(method, source="test")
    assert "ok_name" not in registry.names()


@pytest.mark.parametrize("body,message", [
    (None, "does not exist"),
    ("raise RuntimeError('boom')\n", "failed: RuntimeError: boom"),
    ("x = 1\n", "registered no method"),
    ("from core.registry import Method, register\n"
     "register(Method('ga', 'again', print))\n", "exists already"),
])
def test_bad_method_files_give_one_clear_line(tmp_path, capsys, body, message,
                                              clean_registry):
    path = tmp_path / "mine.py"
    if body is not None:
        path.write_text(body)
    assert main(["unlearn", *TINY, "--method-file", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err and "Traceback" not in err


def test_a_runner_that_returns_the_wrong_type_is_named(capsys, clean_registry):
    registry.register(Method("broken", "broken", lambda task: task.original.model),
                      source="test")
    assert main(["unlearn", *TINY, "--methods", "broken"]) == 2
    assert "returned GramModel, not a core.registry.MethodOutput" in capsys.readouterr().err


def test_loading_a_file_twice_replaces_its_methods(clean_registry):
    assert registry.load_method_file(HALF_STEP) == ("half_step",)
    assert registry.load_method_file(HALF_STEP) == ("half_step",)
    assert registry.names().count("half_step") == 1


def test_one_palette_keyed_by_method(clean_registry):
    from present import palette

    declared = {"ga": "#d62728", "do_nothing": "#7f7f7f", "retrain": "#1f6fd1",
                "exact": "#2ca02c", "ga_steps": "#9467bd", "neggrad_plus": "#8c564b",
                "finetune": "#e377c2", "random_label": "#bcbd22", "newton": "#17becf"}
    assert palette.colors(BUILTIN_METHODS) == declared
    assert len(set(declared.values())) == len(declared)
    registry.register(Method("plain", "plain", print), source="test")
    spare = palette.color("plain")
    assert spare in palette.SPARE_COLORS and spare not in declared.values()
    # a method's colour does not depend on what else is drawn with it
    for chosen in (["plain"], ["ga", "plain"], list(BUILTIN_METHODS) + ["plain"]):
        scale = palette.scale(chosen).to_dict()
        assert dict(zip(scale["domain"], scale["range"]))["plain"] == spare


def test_python_m_core_cli_still_works_and_names_the_new_command():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-m", "core.cli", "unlearn", *TINY, "--json",
                          "--method-file", str(HALF_STEP), "--methods", "ga,half_step"],
                         cwd=ROOT, capture_output=True, text=True, env=env, check=True)
    assert "python -m explorer" in out.stderr
    assert set(json.loads(out.stdout)["methods"]) == {"ga", "half_step", "retrain"}


@pytest.fixture
def app_with_half_step(monkeypatch, clean_registry):
    """The app configured (environment) to load examples/half_step.py."""
    from explorer import method_files

    monkeypatch.setenv(method_files.ENV, str(HALF_STEP))
    monkeypatch.setattr(method_files, "_LOADED", {})
    yield
    method_files._LOADED.clear()


def test_the_app_loads_configured_method_files(app_with_half_step, open_app, no_trouble):
    at = open_app("pages/8_methods.py", n_samples=16, dim=160, width=16, steps=150)
    no_trouble(at)
    picker = next(w for w in at.multiselect if w.label == "methods")
    assert "half_step" in picker.options or "GA (half step)" in picker.options
    settle(picker.set_value(["ga", "half_step"]).run())
    no_trouble(at)
    shown = next(d.value for d in at.dataframe if "grad_evals" in d.value.columns)
    assert "GA (half step)" in set(shown["label"])


def test_a_bad_configured_method_file_is_one_warning(monkeypatch, tmp_path, open_app):
    from explorer import method_files

    bad = tmp_path / "bad.py"
    bad.write_text("raise ValueError('no')\n")
    monkeypatch.setenv(method_files.ENV, str(bad))
    monkeypatch.setattr(method_files, "_LOADED", {})
    at = open_app()
    assert not at.exception
    from present.text import as_text
    assert sum(as_text("'bad.py' failed: ValueError: no") in w.value for w in at.warning) == 1
