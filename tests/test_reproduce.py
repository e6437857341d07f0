"""The quick reproduction (python -m explorer reproduce --quick) and its figures.

The claims are checked on the reproduction's own output files, not on a fresh run.
"""
import json
import xml.etree.ElementTree as ET

import pandas as pd
import pytest

from core.sweeps.reproduce import QUICK, sweep_specs
from core.sweeps.store import read_results
from explorer.cli import main
from present.reproduce_figures import FIGURES

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
    for name in list(sweep_specs(QUICK)) + ["generalization"]:
        assert (quick / "data" / f"{name}.csv").exists(), name


def test_png_is_the_svg_drawn_once(quick):
    """Same picture: the PNG (2x) has twice the SVG's width and height."""
    import struct

    png = (quick / "regime.png").read_bytes()
    width, height = struct.unpack(">II", png[16:24])
    root = ET.fromstring((quick / "regime.svg").read_text())
    assert (width, height) == (2 * int(float(root.get("width"))),
                               2 * int(float(root.get("height"))))


def test_ga_beats_do_nothing_from_d_1000_on_two_layer(quick):
    rows = read_results(quick / "data" / "scaling_relu.csv")
    big = rows[rows["value"] >= 1000]
    eps = big.pivot_table(index=["value", "seed"], columns="method", values="eps_rel")
    assert len(eps) == len([d for d in QUICK.dims if d >= 1000]) * QUICK.seeds
    assert (eps["ga"] < eps["do_nothing"]).all()


def test_train_until_picks_the_first_step_count_below_the_target(quick):
    rows = read_results(quick / "data" / "scaling_relu.csv")
    runs = rows[rows["method"] == "ga"]
    assert set(runs["steps"]) <= set(QUICK.relu_steps)
    below = runs["trained_eps_rel"] < QUICK.eps_target
    capped = runs["steps"] == max(QUICK.relu_steps)
    assert (below | capped).all()          # stopped at the target, or at the cap


def test_both_forget_choices(quick):
    point0 = read_results(quick / "data" / "scaling_relu_point0.csv")
    assert set(point0["forget"]) == {"0"}
    largest = read_results(quick / "data" / "scaling_relu.csv")
    assert set(largest["forget"]) != {"0"}


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


def test_cost_figure_draws_every_method_with_a_cost(quick):
    from present.figures import label
    from present.reproduce_figures import cost_figure

    rows = read_results(quick / "data" / "methods_cost.csv")
    spec = _spec(cost_figure(rows))
    dots = pd.DataFrame(spec["datasets"][spec["layer"][0]["data"]["name"]])
    costly = rows[rows["grad_evals"] > 0]
    assert {"ga", "retrain"} <= set(costly["method"])
    assert sorted(dots["label"]) == sorted(costly["method"].map(label))
    assert spec["layer"][0]["encoding"]["x"]["scale"]["type"] == "log"
    assert "do nothing: no gradient evaluations" in " ".join(spec["title"]["subtitle"])
    table = pd.read_csv(quick / "methods_cost.csv")
    assert set(table["method"]) == set(rows["method"])


def test_summary_keeps_paper_and_measurements_apart(quick):
    text = (quick / "summary.md").read_text()
    paper, measured = text.split("## What the paper states")[1].split("## What we measure")
    paper, reading = paper.split("## Our reading (not in the abstract)")
    assert "1/√d" not in paper and "ρ < 1" not in paper   # our reading, not the abstract's
    assert "O(1/√d)" in reading and "ρ < 1" in reading and "by construction" in reading
    assert "δ and τ of GA fall with d" in paper           # tested where they can fail
    assert "How forgotten is it?" in measured and "U-LiRA" in measured
    assert "Indicative only" in text                      # 3 seeds
    assert paper.count("> “") == 3                        # the abstract's three statements
    rows = [row for row in paper.splitlines() if row.startswith("| ") and "tested" not in row]
    assert len(rows) == len({c.key for c in _claims(quick)})
    for line in rows:
        assert any(v in line for v in ("held", "did not hold", "than 1/√d")), line
    beats = [row for row in rows if "beats doing nothing" in row]
    assert len(beats) == 2 and all("d=1000: " in row and "[" in row for row in beats)
    assert "paper: ≈" not in text and "(paper" not in text  # no number attributed to it
    assert "not the paper's numbers" in measured
    assert "Per-seed sensitivity" in measured and "| seed 0 |" in measured
    for stem in FIGURES:
        assert f"({stem}.png)" in text


def test_the_regime_dial_runs_on_digits_and_breast_cancer(quick):
    """The dial's figure numbers are the mean over the raw rows in data/, and on both data
    sets the Fourier lift at B = 0.1 brings rho below 10 and GA below doing nothing."""
    text = (quick / "summary.md").read_text().split("## What we measure")[1]
    for kind, shown in (("digits", "digits 3 vs 8"), ("breast_cancer", "breast_cancer")):
        assert f"Regime dial on {shown}, standardized: Fourier lift D = 4000" in text
        raw = read_results(quick / "data" / f"regime_dial_{kind}.csv")
        at = raw[raw["value"] == 0.1]
        table = pd.read_csv(quick / f"regime_dial_{kind}.csv").set_index("bandwidth")
        rho = at.drop_duplicates("seed")["rho"]
        assert table.loc[0.1, "rho"] == pytest.approx(rho.mean(), rel=1e-12) and rho.max() < 10
        ga = at[at["method"] == "ga"].set_index("seed")["eps_rel"]
        nothing = at[at["method"] == "do_nothing"].set_index("seed")["eps_rel"]
        assert (ga < nothing).all()
        assert list(table.index[:5]) == [0.05, 0.1, 0.2, 0.5, 1.0]


def _claims(out):
    """The claims tested on the reproduction's own CSVs."""
    from core.sweeps.claims import paper_claims

    frames = {name: read_results(out / "data" / f"{name}.csv") for name in sweep_specs(QUICK)}
    frames["generalization"] = pd.read_csv(out / "data" / "generalization.csv")
    return paper_claims(frames, QUICK)


def test_rerun_resumes_every_sweep(quick, capsys):
    assert main(["reproduce", "--out", str(quick), "--quick", "--workers", "1"]) == 0
    err = capsys.readouterr().err
    n = len(QUICK.dims) * QUICK.seeds
    assert f"scaling_relu: {n} jobs ({n} resumed)" in err
    verdicts = [line for line in err.splitlines() if line[:1].isdigit() and ". [" in line]
    assert verdicts and all(", indicative]" in line for line in verdicts)   # 3 seeds


# ---------------------------------------------------------------------------- builders

def _spec(chart):
    return json.loads(chart.to_json())


def test_metric_panel_notes_methods_that_are_zero_on_a_log_axis(quick):
    from present import figures

    rows = read_results(quick / "data" / "scaling_linear.csv")
    panel = figures.metric_panel(rows, "tau")
    spec = _spec(panel)
    assert "do nothing and retrain: τ = 0" in spec["title"]["subtitle"]
    assert spec["layer"][0]["encoding"]["y"]["scale"]["type"] == "log"
    drawn = [pd.DataFrame(spec["datasets"][layer["data"]["name"]]) for layer in spec["layer"]]
    assert {m for d in drawn if "label" in d for m in d["label"]} == {"GA (one step)"}
    figure = _spec(figures.scaling_figure(rows))
    assert any("τ = 0" in line for line in figure["title"]["subtitle"])


def test_every_seed_is_a_dot(quick):
    from present import figures

    rows = read_results(quick / "data" / "scaling_relu.csv")
    spec = _spec(figures.metric_panel(rows, "eps_rel"))
    dots = [layer for layer in spec["layer"] if layer["mark"]["type"] == "circle"]
    assert len(dots) == 1
    data = pd.DataFrame(spec["datasets"][dots[0]["data"]["name"]])
    expected = rows[rows["method"].isin(["ga", "do_nothing", "retrain"])]
    assert len(data) == len(expected)
    assert sorted(data["eps_rel"]) == sorted(expected["eps_rel"])
