"""The regime dial's figure (present/regime_figures.py), the gauge's advice
(core/regime_advice.py) and both on the Data & training page, with the data form's lift
fields.

The figure's numbers are checked against pandas means of a hand-made frame; the advice's
rho against rho computed here from the Fourier features built by their formula.
"""
import json
import math

import numpy as np
import pandas as pd
import pytest

from core.compare import load_raw
from core.regime_advice import lift_advice
from core.scenario import Scenario
from core.transform import preprocess
from present.regime_figures import regime_dial_chart


def dial_frame():
    rows = []
    for b, rho, acc in ((0.1, 2.5, 0.5), (1.0, 38.0, 0.95), (math.inf, 70.0, 0.96)):
        for seed in (0, 1):
            rows.append(dict(bandwidth=b, seed=seed, rho=rho + seed, test_accuracy=acc,
                             eps_rel_ga=0.05 * (1 + seed) * (10 if b > 0.5 else 1),
                             eps_rel_do_nothing=0.2, ratio=np.nan, cosine_ga=0.99,
                             test_accuracy_ga=acc, trained_eps_rel=0.01))
    frame = pd.DataFrame(rows)
    frame["ratio"] = frame["eps_rel_ga"] / frame["eps_rel_do_nothing"]
    return frame


def _layers(spec):
    out = []
    for panel in spec.get("hconcat", spec.get("vconcat")):
        out += panel.get("layer", [panel])
    return out


def test_the_figure_draws_the_seed_means_marks_the_current_b_and_names_no_lift():
    frame = dial_frame()
    frame.attrs.update(lift=4000, data="digits")
    spec = regime_dial_chart(frame, current=0.1).to_dict()
    datasets = spec["datasets"]
    means = frame.groupby("bandwidth")["rho"].mean()
    drawn = [rows for rows in datasets.values() if rows and "mean" in rows[0]
             and rows[0].get("series", "").startswith("ρ")]
    got = {r["x"]: r["mean"] for rows in drawn for r in rows}
    assert got[0.1] == means[0.1] and got[1.0] == means[1.0]
    assert got[3.0] == means[math.inf]                  # no lift, right of the largest B
    axis = spec["hconcat"][-1]["layer"][0]["encoding"]["x"]["axis"]
    assert "'no lift'" in axis["labelExpr"] and axis["values"] == [0.1, 1.0, 3.0]
    rules = [datasets[layer["data"]["name"]] for layer in _layers(spec)
             if layer.get("mark", {}).get("type") == "rule" and "x" in layer["encoding"]
             and layer["mark"].get("color") == "#d62728"]
    assert rules and all(rows == [{"x": 0.1, "t": "current"}] for rows in rules)
    assert "D = 4000" in spec["title"]["subtitle"][0]


def test_the_presentation_figure_is_larger_and_marks_no_lift_as_current():
    frame = dial_frame()
    small, large = (regime_dial_chart(frame, presentation=p, current=math.inf).to_dict()
                    for p in (False, True))
    assert large["hconcat"][0]["width"] > small["hconcat"][0]["width"]
    assert large["config"]["axis"]["labelFontSize"] > small["config"]["axis"]["labelFontSize"]
    rules = [layer for layer in _layers(large) if layer.get("mark", {}).get("color") == "#d62728"
             and layer["mark"].get("type") == "rule"]
    assert all(large["datasets"][r["data"]["name"]][0]["x"] == 3.0 for r in rules)


def test_a_measure_without_values_is_not_in_the_legend():
    # data whose labels are independent of x have no test accuracy: nothing is drawn for
    # it, so the legend must not name it (the slide of the default demo did)
    frame = dial_frame()
    frame["test_accuracy"] = np.nan
    spec = regime_dial_chart(frame, presentation=True).to_dict()
    domains = [layer["encoding"]["color"]["scale"]["domain"] for layer in _layers(spec)
               if "color" in layer.get("encoding", {})]
    names = {name for domain in domains for name in domain}
    assert "GA's cosine to retrain" in names
    assert not any(name.startswith("test accuracy") for name in names)


def test_the_advice_measures_rho_of_the_lifted_data():
    sc = Scenario(data="breast_cancer")
    advice = lift_advice(sc, bandwidths=(1.0, 0.1), lift=2000)
    X, _ = preprocess(load_raw(sc).X, None, "standardize")
    n = X.shape[0]
    dists = [np.linalg.norm(X[i] - X[j]) for i in range(n) for j in range(i + 1, n)]
    rng = np.random.default_rng([sc.seed, 2])
    G = rng.standard_normal((2000, X.shape[1]))
    b = rng.uniform(0.0, 2.0 * math.pi, 2000)
    for B, rho, _ in advice.rows:
        Phi = np.sqrt(2.0 / 2000) * np.cos(X @ (G / (B * np.median(dists))).T + b)
        K = Phi @ Phi.T
        twin = n * np.max(np.abs(K - np.diag(np.diag(K)))) / np.min(np.diag(K))
        assert rho == pytest.approx(twin, rel=1e-6)
    assert advice.rows[1][1] < 10 < advice.rows[0][1]
    assert advice.bandwidth == 0.1 and "B ≈ 0.1 gives ρ ≈" in advice.sentence()


def test_no_advice_is_recommended_that_does_not_lower_rho():
    sc = Scenario(data="breast_cancer")
    advice = lift_advice(sc, bandwidths=(1.0,), lift=500, current_rho=1.5)
    assert advice.bandwidth is None and "No bandwidth tried" in advice.sentence()


# ------------------------------------------------------------------ the page

SMALL = dict(n_samples="16", steps="60", width="10", n_test="60")


def _widget(at, kind, name):
    from ui import state
    prefix = f"{state.PREFIX}w.{name}."
    return next(w for w in getattr(at, kind) if w.key and w.key.startswith(prefix))


def test_the_data_page_shows_the_advice_and_runs_the_dial(open_app, no_trouble):
    at = open_app("pages/2_data.py", data="breast_cancer", **SMALL)
    no_trouble(at)
    assert any("What would help" in c.value and "B ≈" in c.value for c in at.caption)
    charts = len(at.get("vega_lite_chart"))
    at.toggle(key="ux.regime.on").set_value(True).run()
    at.segmented_control(key="ux.regime.seeds").set_value(1).run()
    for _ in range(60):                     # a background job when it is estimated long
        no_trouble(at)
        specs = [json.loads(el.proto.spec) for el in at.get("vega_lite_chart")]
        dials = [s for s in specs if "regime dial" in json.dumps(s.get("title", ""))]
        if dials:
            break
        import time
        time.sleep(1)
        at.run()
    assert dials and len(specs) > charts
    subtitle = " ".join(dials[0]["title"]["subtitle"])
    assert "breast_cancer" in subtitle and "D = 1000" in subtitle
    assert any("Left out, did not train" in w.value for w in at.warning)  # no lift: dead ReLUs


def test_choosing_a_preset_shows_its_lift_and_the_fourier_fields(open_app, no_trouble):
    at = open_app("pages/2_data.py", **SMALL)
    _widget(at, "selectbox", "source").set_value("iris").run()
    no_trouble(at)
    assert _widget(at, "selectbox", "preprocess").value == "standardize"
    assert _widget(at, "number_input", "lift").value == 1000
    assert _widget(at, "radio", "lift_kind").value == "fourier"
    _widget(at, "number_input", "bandwidth").set_value(0.2).run()
    at.button(key="ux.train").click().run()
    no_trouble(at)
    sc = at.session_state["ux.scenario"]
    assert (sc.data, sc.lift, sc.lift_kind, sc.bandwidth) == ("iris", 1000, "fourier", 0.2)
    assert at.query_params["bandwidth"] == "0.2" and "lift" not in at.query_params
    _widget(at, "selectbox", "source").set_value("digits").run()
    assert _widget(at, "number_input", "lift").value == 0
    assert _widget(at, "selectbox", "preprocess").value == "unit_median_norm"


def test_picking_the_same_iris_class_twice_names_it(open_app):
    at = open_app("pages/2_data.py", data="iris", **SMALL)
    _widget(at, "selectbox", "class_1_iris").set_value(0).run()
    at.button(key="ux.train").click().run()
    assert any("not setosa (0) twice" in e.value.replace("\\", "") for e in at.error)
