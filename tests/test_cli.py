"""``python -m explorer unlearn``: the JSON contract of docs/cli.md, the failure-regime
report, and bad options (exit code 2, one line on stderr, no traceback). Run as a user
runs it: a subprocess with the documented environment.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.compare import compare, prepare
from core.scenario import Scenario
from tests import naive

REPO = Path(__file__).resolve().parent.parent
CERT_KEYS = {"eps", "eps_rel", "delta", "tau", "n_support"}
METHOD_KEYS = CERT_KEYS | {"cosine_to_retrain", "forget_margins", "max_retained_margin_change",
                           "seconds"}


def run_cli(*args):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1",
               NUMBA_CACHE_DIR=os.environ.get("NUMBA_CACHE_DIR", str(REPO / ".numba_cache")))
    return subprocess.run([sys.executable, "-m", "explorer", "unlearn", *args], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=120)


def run_json(*args):
    proc = run_cli(*args, "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def relu_json():
    return run_json("--model", "relu", "--forget", "3")


@pytest.fixture(scope="module")
def linear_json():
    return run_json("--model", "linear", "--n-samples", "20", "--dim", "300", "--forget", "2",
                    "5")


@pytest.fixture(scope="module")
def mixture_json():
    return run_json("--model", "relu", "--data", "mixture", "--n-samples", "20", "--dim", "300",
                    "--width", "20", "--n-test", "150", "--steps", "200")


def is_number(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool) and np.isfinite(x)


def check_contract(out, n, forget):
    assert {"config", "data", "train", "original", "points", "forget", "methods"} <= set(out)
    assert {"n", "d", "rho"} <= set(out["data"]) and out["data"]["n"] == n
    assert {"steps", "final_loss", "min_margin", "seconds"} <= set(out["train"])
    assert all(is_number(out["train"][k]) for k in ("steps", "final_loss", "min_margin"))
    assert CERT_KEYS <= set(out["original"])
    assert all(is_number(out["original"][k]) for k in CERT_KEYS)
    assert [p["index"] for p in out["points"]] == list(range(n))
    for p in out["points"]:
        assert {"index", "label", "margin", "lam", "support"} <= set(p)
        assert p["label"] in (-1, 1) and p["lam"] >= 0 and isinstance(p["support"], bool)
    assert sum(p["support"] for p in out["points"]) == out["original"]["n_support"]
    assert out["forget"] == forget and out["config"]["forget"] == forget
    assert {"ga", "do_nothing", "retrain"} <= set(out["methods"])
    for name, method in out["methods"].items():
        assert METHOD_KEYS <= set(method), name
        assert all(is_number(method[k]) for k in METHOD_KEYS - {"forget_margins"}), name
        assert len(method["forget_margins"]) == len(forget)
    assert out["methods"]["retrain"]["cosine_to_retrain"] == pytest.approx(1.0, abs=1e-12)


def test_relu_json_contract(relu_json):
    out = relu_json
    check_contract(out, 40, [3])
    assert set(out["methods"]) == {"ga", "do_nothing", "retrain"}
    assert all("cosine_to_exact" not in m and "test_accuracy" not in m
               for m in out["methods"].values())
    assert out["config"]["model"] == "relu" and out["config"]["steps"] == 500
    assert out["data"]["d"] == 1000 and out["train"]["steps"] == 500


def test_relu_json_numbers_are_the_library_numbers(relu_json):
    """The CLI runs the same scenario as prepare + compare in this process, bit for bit."""
    comparison = compare(prepare(Scenario()), (3,), 1.0)
    out = relu_json
    assert out["original"]["eps"] == comparison.prepared.original.eps
    for name, res in comparison.methods.items():
        assert out["methods"][name]["eps"] == res.certificate.eps
        assert out["methods"][name]["forget_margins"] == res.forget_margins.tolist()
    lam = [p["lam"] for p in out["points"]]
    assert lam == comparison.prepared.original.lam.tolist()


def test_linear_json_adds_the_exact_svm(linear_json):
    out = linear_json
    check_contract(out, 20, [2, 5])
    assert set(out["methods"]) == {"ga", "do_nothing", "retrain", "exact"}
    assert out["config"]["steps"] == 2000
    # the exact SVM on R solved here (SciPy), independently of the engine
    prepared = prepare(Scenario(model="linear", n_samples=20, dim=300))
    ctx = prepared.ctx
    R = [i for i in range(20) if i not in (2, 5)]
    w_svm = naive.svm_dual(ctx.X[R], ctx.y[R])
    margins = ctx.y * (ctx.X @ w_svm)
    assert out["methods"]["exact"]["forget_margins"] == pytest.approx(margins[[2, 5]],
                                                                      rel=1e-7)
    for name, res in compare(prepared, (2, 5), 1.0).methods.items():
        w = naive.explicit(res.model, ctx.W0, ctx.X)[0]
        assert out["methods"][name]["cosine_to_exact"] == pytest.approx(
            naive.cosine(w, w_svm), abs=1e-9), name
    assert out["methods"]["do_nothing"]["cosine_to_exact"] < 0.999     # not trivially 1


def test_mixture_json_adds_test_accuracy(mixture_json):
    out = mixture_json
    forget = out["forget"]
    check_contract(out, 20, forget)
    assert len(forget) == 1
    lam = [p["lam"] for p in out["points"]]
    assert forget[0] == int(np.argmax(lam))       # the default: largest-lam support vector
    for name, method in out["methods"].items():
        assert 0.0 <= method["test_accuracy"] <= 1.0, name
    assert "exact" not in out["methods"]


def test_two_dimensional_data_json_says_outside():
    out = run_json("--data", "blobs")
    assert out["data"]["d"] == 2
    assert out["data"]["rho"] > 1
    assert out["data"]["n_lt_d"] is False
    assert out["data"]["regime"] == "outside"


def test_two_dimensional_data_text_says_outside():
    proc = run_cli("--data", "blobs", "--dim", "2")
    assert proc.returncode == 0, proc.stderr
    assert "Outside the theory regime" in proc.stdout


@pytest.mark.parametrize("args,message", [
    (["--model", "cnn"], "invalid choice: 'cnn'"),
    (["--n-samples", "abc"], "invalid int value: 'abc'"),
    (["--n-samples", "1"], "n_samples must be an integer from 2"),
    (["--lr", "0"], "lr must be a positive finite number"),
    (["--forget", "40"], "forget index 40 is out of range: points are 0 to 39"),
    (["--model", "linear", "--data", "moons"], "does not separate the data"),
    (["--data-file", "/nonexistent/data.csv"], "Could not read 'data.csv'"),
    (["--start", "exact"], "start='exact' is for the linear model only"),
], ids=["choice", "type", "n_samples", "lr", "forget", "non-separable", "missing-file",
        "exact-relu"])
def test_bad_options_exit_2_with_one_line(args, message):
    proc = run_cli(*args)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ") and message in lines[0]
    assert proc.stdout == ""


def test_missing_subcommand_exits_2():
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, "-m", "explorer"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
