"""The quick reproduction (python -m core.cli reproduce --quick) and the figure builders.

The claims are checked on the reproduction's own output files, not on a fresh run.
"""
import json
import xml.etree.ElementTree as ET

import pandas as pd
import pytest

from core.cli import main
from core.sweeps.reproduce import FIGURES, QUICK
from core.sweeps.store import read_results

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    """One quick reproduction through the CLI, on every local core."""
    out = tmp_path_factory.mktemp("figs")
    assert main(["reproduce", "--out", str(out), "--quick"]) == 0
    return out


def test_writes_every_figure_csv_and_summary(quick):
    for stem in FIGURES:
        png = (quick / f"{stem}.png").read_bytes()
        assert png.startswith(PNG_MAGIC) and len(png) > 20_000, stem
        ET.fromstring((quick / f"{stem}.svg").read_text())          # well-formed SVG
        table = pd.read_csv(quick / f"{stem}.csv")
        assert len(table) > 0 and not table.columns.empty, stem
    for name in ("scaling_relu", "scaling_linear", "step_size_relu", "step_size_linear",
                 "generalization"):
        assert (quick / "data" / f"{name}.csv").exists()


def test_ga_beats_do_nothing_from_d_1000_on_two_layer(quick):
    rows = read_results(quick / "data" / "scaling_relu.csv")
    big = rows[rows["value"] >= 1000]
    assert set(big["value"]) == {d for d in QUICK.dims if d >= 1000}
    eps = big.pivot_table(index=["value", "seed"], columns="method", values="eps_rel")
    assert len(eps) == len([d for d in QUICK.dims if d >= 1000]) * QUICK.seeds
    assert (eps["ga"] < eps["do_nothing"]).all()


def test_step_size_minimum_near_one(quick):
    rows = read_results(quick / "data" / "step_size_relu.csv")
    ga = rows[rows["method"] == "ga"].groupby("value")["eps_rel"].mean()
    assert 0.8 <= ga.idxmin() <= 1.2
    linear = read_results(quick / "data" / "step_size_linear.csv")
    lin = linear[linear["method"] == "ga"].groupby("value")["eps_rel"].mean()
    assert lin.idxmin() == 1.0 and lin[1.0] < 1e-10


def test_generalization_curve_within_two_points_of_retrain(quick):
    curve = pd.read_csv(quick / "data" / "generalization.csv")
    acc = curve.pivot_table(index=["seed", "k"], columns="method", values="test_accuracy")
    assert (acc["ga"] - acc["retrain"]).abs().max() <= 0.02
    assert curve["k"].max() == QUICK.removals


def test_summary_states_claims_numbers_and_verdicts(quick):
    text = (quick / "summary.md").read_text()
    assert text.startswith("# Reproduction of the paper's claims")
    table = [line for line in text.splitlines() if line.startswith("| ") and "claim" not in line]
    assert len(table) >= 12
    assert all(any(v in line for v in ("held", "did not hold", "info")) for line in table)
    assert "beats doing nothing" in text and "minimum of ε_rel over c" in text
    for stem in FIGURES:
        assert f"({stem}.png)" in text


def test_rerun_resumes_every_sweep(quick, capsys):
    assert main(["reproduce", "--out", str(quick), "--quick", "--workers", "1"]) == 0
    err = capsys.readouterr().err
    n = len(QUICK.dims) * QUICK.seeds
    assert f"scaling_relu: {n} jobs ({n} resumed)" in err


# ---------------------------------------------------------------------------- builders

def _spec(chart):
    return json.loads(chart.to_json())


def test_metric_panel_notes_methods_that_are_zero_on_a_log_axis(quick):
    from ui import figures

    rows = read_results(quick / "data" / "scaling_linear.csv")
    panel = figures.metric_panel(rows, "tau")
    spec = _spec(panel)
    assert "do nothing and retrain: τ = 0" in spec["title"]["subtitle"]
    assert spec["layer"][0]["encoding"]["y"]["scale"]["type"] == "log"
    methods = {m for layer in spec["layer"] for m in
               pd.DataFrame(spec["datasets"][layer["data"]["name"]])["method"]}
    assert methods == {"ga"}
    figure = _spec(figures.scaling_figure(rows))
    assert any("τ = 0" in line for line in figure["title"]["subtitle"])


def test_figures_are_pure_functions_of_the_table(quick):
    from ui import figures

    rows = read_results(quick / "data" / "scaling_relu.csv")
    a, b = figures.scaling_figure(rows), figures.scaling_figure(rows.copy())
    assert a.to_json() == b.to_json()
