"""Real data in the paper's regime (issue 15): every preset trains with its defaults, the
Fourier lift puts digits and breast cancer in the regime where one GA step beats doing
nothing, links and forms set what the data fix, and the regime dial's sweep.

References: the margins of the trained models (> 0 is the definition of training), rho
recomputed here from the lifted rows by its formula, eps_rel ratios of the certificates
(their correctness is tests/test_kkt.py's), and hand-written expectations for links.
"""
import itertools
import json
import math

import numpy as np
import pytest

from core.compare import load_dataset, prepare
from core.data import PRESET_KINDS
from core.errors import InputError
from core.models import margins
from core.presets import CLASS_NAMES
from core.scenario import Scenario
from explorer.cli import main
from present.share import Shared, from_query, to_query

OFFERED_PAIRS = {kind: list(itertools.combinations(range(len(CLASS_NAMES[kind])), 2))
                 for kind in PRESET_KINDS}
REGIME_FLAGS = ["--preprocess", "standardize", "--lift", "4000", "--lift-kind", "fourier",
                "--bandwidth", "0.1"]


def rho_of(X):
    """rho = n max_{i != j} |<x_i, x_j>| / min_i ||x_i||^2, by a double loop."""
    n = X.shape[0]
    top = max(abs(float(X[i] @ X[j])) for i in range(n) for j in range(n) if i != j)
    return n * top / min(float(x @ x) for x in X)


@pytest.mark.parametrize("model", ["relu", "linear"])
@pytest.mark.parametrize("kind, classes", [(k, p) for k in PRESET_KINDS
                                           for p in OFFERED_PAIRS[k]])
def test_every_preset_trains_with_its_defaults(kind, classes, model):
    prep = prepare(Scenario(data=kind, classes=classes, model=model))
    assert np.all(margins(prep.ctx, prep.trained.params) > 0)


@pytest.mark.parametrize("argv", [["--data", "breast_cancer"],
                                  ["--data", "iris", "--classes", "1,2"],
                                  ["--data", "breast_cancer", "--model", "linear"]])
def test_the_reported_cli_runs_succeed(argv, capsys):
    assert main(["unlearn", *argv, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["train"]["min_margin"] > 0


@pytest.mark.parametrize("kind, classes, seed", [
    ("digits", "3,8", 0), ("digits", "3,8", 1), ("digits", "3,8", 2), ("digits", "1,7", 0),
    ("digits", "4,9", 0), ("breast_cancer", None, 0), ("breast_cancer", None, 1),
    ("breast_cancer", None, 2), ("breast_cancer", None, 3), ("breast_cancer", None, 4)])
def test_the_fourier_lift_puts_real_data_in_the_regime_where_ga_beats_doing_nothing(
        kind, classes, seed, capsys):
    """With standardize, D = 4000 and B = 0.1: rho < 10, and one GA step's eps_rel at most
    half of doing nothing's (forgetting the largest-lambda support vector)."""
    argv = ["unlearn", "--data", kind, "--seed", str(seed), *REGIME_FLAGS, "--json"]
    if classes:
        argv[3:3] = ["--classes", classes]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["data"]["rho"] < 10
    ga, nothing = out["methods"]["ga"]["eps_rel"], out["methods"]["do_nothing"]["eps_rel"]
    assert 2 * ga <= nothing
    sc = Scenario(data=kind, seed=seed, classes=None if classes is None else tuple(
        int(c) for c in classes.split(",")), preprocess="standardize", lift=4000,
        lift_kind="fourier", bandwidth=0.1)
    assert out["data"]["rho"] == pytest.approx(rho_of(load_dataset(sc).X), rel=1e-9)


def test_without_the_lift_ga_is_worse_than_doing_nothing_on_digits(capsys):
    """The failure the lift fixes: digits 3 vs 8 as pixels, rho ~ 70."""
    assert main(["unlearn", "--data", "digits", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["data"]["rho"] > 40
    assert out["methods"]["ga"]["eps_rel"] > out["methods"]["do_nothing"]["eps_rel"]


# ------------------------------------------------------------------ links and names

@pytest.mark.parametrize("kind", ["xor", "blobs", "moons"])
def test_a_2d_kind_opens_from_a_link_without_a_dim(kind):
    sc = from_query({"data": kind}).scenario
    assert sc.dim == 2 and to_query(Shared(sc)) == {"data": kind}
    assert load_dataset(sc).dim == 2


def test_a_dim_that_contradicts_a_2d_kind_gets_the_clear_message():
    with pytest.raises(InputError, match="xor data is 2-D: set dim=2 \\(got dim=1000\\)"):
        from_query({"data": "xor", "dim": "1000"})


def test_a_link_keeps_no_stale_dim_after_xor_becomes_digits():
    stale = Scenario(data="xor").replace(data="digits")
    assert "dim" not in to_query(Shared(stale)) and stale == Scenario(data="digits")


@pytest.mark.parametrize("scenario, query", [
    (Scenario(data="breast_cancer"), {"data": "breast_cancer"}),
    (Scenario(data="iris", lift=0), {"data": "iris", "lift": "0"}),
    (Scenario(data="iris", preprocess="as_is"), {"data": "iris", "preprocess": "as_is"}),
    (Scenario(lift=300, lift_kind="fourier", bandwidth=0.2),
     {"lift": "300", "lift_kind": "fourier", "bandwidth": "0.2"}),
])
def test_links_carry_only_what_the_data_do_not_fix_and_round_trip(scenario, query):
    assert to_query(Shared(scenario)) == query
    assert from_query(query).scenario == scenario


def test_preset_defaults_reach_the_scenario_and_yield_to_given_fields():
    iris = Scenario(data="iris")
    assert (iris.preprocess, iris.lift, iris.lift_kind, iris.bandwidth) == (
        "standardize", 1000, "fourier", 0.5)
    assert Scenario(data="iris", lift=0).lift_kind == "relu"
    assert Scenario(data="iris", lift=200).bandwidth == 0.5
    assert Scenario(data="digits").lift == 0 and Scenario().preprocess == "unit_median_norm"


@pytest.mark.parametrize("data", [[], {}, 3])
def test_a_data_kind_of_the_wrong_type_is_refused_clearly(data):
    """Found by the fuzz battery: a list crashed the preset defaults' lookup."""
    with pytest.raises(InputError, match="data must be one of"):
        Scenario.from_dict({"data": data})


def test_picking_setosa_twice_names_setosa(capsys):
    with pytest.raises(InputError, match="not setosa \\(0\\) twice"):
        Scenario(data="iris", classes=(0, 0)).validated()
    assert main(["unlearn", "--data", "iris", "--classes", "2,2"]) == 2
    assert "not virginica (2) twice" in capsys.readouterr().err


# ------------------------------------------------------------------ the regime dial

def test_the_regime_dial_measures_rho_and_both_methods_per_bandwidth():
    from core.sweeps.executors import make_executor
    from core.sweeps.regime import dial_table, run_dial

    sc = Scenario(data="breast_cancer", n_samples=20, steps=200, width=20, n_test=100)
    seen = []
    executor = make_executor(workers=1)
    try:
        dial = run_dial(sc, bandwidths=(0.1, 1.0), seeds=2, executor=executor,
                        progress=lambda done, total: seen.append((done, total)))
    finally:
        executor.close()
    frame = dial.frame
    assert seen[-1] == (6, 6) and dial.lift == 1000       # the preset's own Fourier lift
    assert sorted(set(frame["bandwidth"])) == [0.1, 1.0]       # no lift: dead ReLUs
    assert {(b, s) for b, s, _ in dial.failures} == {(math.inf, 0), (math.inf, 1)}
    for _, row in frame.iterrows():
        lifted = load_dataset(sc.replace(seed=int(row["seed"]), lift=dial.lift, lift_kind="fourier",
                                         bandwidth=float(row["bandwidth"])))
        assert row["rho"] == pytest.approx(rho_of(lifted.X), rel=1e-9)
        assert row["ratio"] == pytest.approx(row["eps_rel_ga"] / row["eps_rel_do_nothing"])
        assert 0.0 <= row["test_accuracy"] <= 1.0
    table = dial_table(frame).set_index("bandwidth")
    assert table.loc[0.1, "rho"] < table.loc[1.0, "rho"]
    assert table.loc[0.1, "n_seeds"] == 2
    assert table.loc[0.1, "rho_min"] <= table.loc[0.1, "rho"] <= table.loc[0.1, "rho_max"]
