"""explorer.api, the Python API of docs/api.md: every example of the page runs; its numbers
are the command line's JSON (another process) and, for the GA step, a NumPy twin of
theta^ - c sum_l lam_l y_l grad N(theta^; x_l); audits dispatch by kind; bad input is one
InputError sentence; importing ``explorer`` loads no Numba.
"""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core import registry
from core.errors import InputError
from explorer import api
from tests import naive

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "api.md"
ENV = dict(os.environ, OPENBLAS_NUM_THREADS="1", PYTHONPATH=str(ROOT))


@pytest.fixture
def own_registry(monkeypatch):
    """The registry as it is, restored after the test (the examples register methods)."""
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    monkeypatch.setattr(registry, "_SOURCES", dict(registry._SOURCES))


@pytest.fixture(scope="module")
def run():
    return api.train()


def doc_blocks():
    """The fenced python blocks of docs/api.md, in order."""
    return re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


def test_every_example_of_the_page_runs(tmp_path, monkeypatch, own_registry, capsys):
    """The blocks run in order in one namespace, from a folder holding examples/."""
    blocks = doc_blocks()
    assert len(blocks) >= 10
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    monkeypatch.chdir(tmp_path)
    namespace = {}
    for k, block in enumerate(blocks):
        exec(compile(block, f"docs/api.md block {k + 1}", "exec"), namespace)
    out = capsys.readouterr().out
    assert "n_samples must be" in out and "('half_step',)" in out
    assert (tmp_path / "data_view_xor.svg").stat().st_size > 1000
    assert (tmp_path / "plane_after_xor.svg").read_text().startswith("<svg")
    assert namespace["seen"][-1] == (500, 500)        # the progress block's last report


def test_the_readme_example_runs(own_registry):
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"),
                        flags=re.S)
    assert len(blocks) == 1
    namespace = {}
    exec(compile(blocks[0], "README.md", "exec"), namespace)
    assert namespace["result"].names[0] == "ga"


def test_the_readme_and_architecture_link_the_page():
    assert "docs/api.md" in (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(api.md)" in (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")


def without_times(record):
    """The JSON without its wall times (the only fields that differ between two runs)."""
    if isinstance(record, dict):
        return {k: without_times(v) for k, v in record.items() if k != "seconds"}
    if isinstance(record, list):
        return [without_times(v) for v in record]
    return record


def test_numbers_are_the_command_lines(run, own_registry):
    """result.to_dict() equals `python -m explorer unlearn --json` of the same scenario,
    forget list, methods and hyperparameters, run in another process (floats via JSON)."""
    result = run.forget([5, 12], methods="all", scale=0.7, params={"ga_steps": {"k": 4}})
    cli = subprocess.run([sys.executable, "-m", "explorer", "unlearn", "--forget", "5", "12",
                          "--methods", "all", "--scale", "0.7", "--method-opts",
                          '{"ga_steps": {"k": 4}}', "--json"],
                         cwd=ROOT, env=ENV, capture_output=True, text=True, check=True)
    ours = json.loads(json.dumps(result.to_dict()))
    assert without_times(ours) == without_times(json.loads(cli.stdout))


def test_ga_step_is_the_formula(run):
    """W- = W^ - c sum_F lam_l y_l grad N(W^; x_l) (tests/naive.py) at c = 0.5, two points."""
    result = run.forget([3, 7], methods=("ga",), scale=0.5)
    ctx, cert = run.prepared.ctx, run.certificate
    W_hat = naive.explicit(cert.model, ctx.W0, ctx.X)
    want = naive.ga_step(W_hat, ctx.X, ctx.y, ctx.v, True, cert.lam, [3, 7], 0.5)
    got = naive.explicit(result["ga"].model, ctx.W0, ctx.X)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14 * np.abs(want).max())
    assert result.forget == (3, 7) and result.names == ("ga", "retrain")


def test_default_forget_and_one_retrain_per_forget_list(run, monkeypatch):
    calls = []
    real = api.retrain_model
    monkeypatch.setattr(api, "retrain_model", lambda *a: calls.append(a[1]) or real(*a))
    run = api.Run(run.prepared)                  # no retrain done yet
    lam = run.certificate.lam
    first = run.forget(methods=("ga",), scale=0.9)
    assert first.forget == (int(np.argmax(lam)),) == run.default_forget()
    run.forget(first.forget, methods=("do_nothing",))
    run.forget(np.int64(first.forget[0]), methods="ga")
    run.forget([np.int32(first.forget[0])], methods="ga")
    assert calls == [first.forget]


def test_audits_dispatch_by_kind_and_are_kept(run, monkeypatch):
    """A new kind is one entry of AUDITS; a report is computed once per kind and options."""
    result = run.forget(5)
    calls = []

    def probe(res, size=1):
        calls.append(size)
        return api.AuditReport("probe", size, res.table()[["method"]],
                               {"size": lambda presentation=False: size})

    monkeypatch.setitem(api.AUDITS, "probe", probe)
    assert "probe" in api.audit_kinds() and api.audit_kinds()[0] == "membership"
    first = result.audit("probe", size=3)
    assert result.audit("probe", size=3) is first and calls == [3]
    assert result.audit("probe", size=4).raw == 4 and calls == [3, 4]
    assert result.audit("probe", size=1) is result.audit("probe") and calls == [3, 4, 1]
    assert first.chart() == 3 and first.chart_names == ("size",)
    assert list(first.table()["method"]) == list(result.names)


def test_membership_audit_report(run):
    result = run.forget(5, methods=("ga",))
    report = result.audit("membership", shadows=4)
    table = report.table()
    assert list(table["method"]) == ["ga", "retrain"]
    np.testing.assert_array_equal(table["p_member"], [report.raw.methods[m].p_member[0]
                                                      for m in table["method"]])
    assert report.chart_names == ("p_member", "distribution")
    spec = report.chart("distribution", point=5).to_dict()
    assert spec["layer"] or spec
    assert result.to_dict()["methods"]["ga"]["mia"]["shadows"] == 4


@pytest.mark.parametrize("call,message", [
    (lambda r: api.scenario(colour="red"), "Unknown scenario fields: colour"),
    (lambda r: api.train(n_samples=1), "n_samples"),
    (lambda r: api.scenario(base="relu"), "base must be a Scenario"),
    (lambda r: r.forget(40), "40"),
    (lambda r: r.forget(2.5), "points must be a point index or a list of them, not 2.5"),
    (lambda r: r.forget([2.5]), "2.5"),
    (lambda r: r.forget(5, methods="ga,nope"), "Unknown method 'nope'"),
    (lambda r: r.forget(5, params={"newton": {"damping": 1}}), "not run"),
    (lambda r: r.forget(5, methods=("do_nothing",)).plane_after(), "add ga"),
    (lambda r: r.forget(5, methods=("ga",)).data_view(), "add do_nothing"),
    (lambda r: r.forget(5)["newton"], "was not run here"),
    (lambda r: r.forget(5).audit("floor"), "Unknown audit 'floor'"),
    (lambda r: r.forget(5).audit("membership", shadows=1), "shadows"),
    (lambda r: r.forget(5).audit("membership", k=3), "takes shadows, progress, not 'k'"),
    (lambda r: api.open_shared("?n_samples=x"), "n_samples='x'"),
    (lambda r: api.open_shared("missing.json"), "does not exist"),
])
def test_bad_input_is_one_input_error(run, call, message):
    with pytest.raises(InputError, match=re.escape(message)):
        call(run)


def test_charts_are_the_apps(run):
    """Vega-Lite specs of every chart; presentation mode enlarges the fonts."""
    result = run.forget(5, methods="all")
    for chart in (run.plane(), run.data_view(), result.plane(), result.plane_after(),
                  result.quality(), result.data_view()):
        spec = chart.to_dict()
        assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/")
    small = result.plane_after().to_dict()["config"]["axis"]["labelFontSize"]
    large = result.plane_after(presentation=True).to_dict()["config"]["axis"]["labelFontSize"]
    assert large > small
    rows = [row for data in result.plane().to_dict()["datasets"].values() for row in data]
    assert {row["index"] for row in rows if row.get("forgotten")} == {5}


def test_importing_explorer_loads_no_numba():
    """`import explorer` and `python -m explorer --help` stay light; explorer.api is lazy."""
    probe = ("import sys, explorer; heavy = [m for m in ('numba', 'altair', 'pandas', "
             "'core.compare', 'explorer.api') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=ENV,
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    helped = subprocess.run([sys.executable, "-X", "importtime", "-m", "explorer", "--help"],
                            cwd=ROOT, env=ENV, capture_output=True, text=True)
    assert helped.returncode == 0 and "unlearn" in helped.stdout
    loaded = {line.split("|")[-1].strip() for line in helped.stderr.splitlines()}
    assert "numba" not in loaded and "explorer.api" not in loaded
    import explorer
    assert explorer.api is api
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        explorer.nope  # noqa: B018
