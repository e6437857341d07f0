"""Chart builders, frames, exports, sharing and selection parsing, without a server.

Specs are checked through ``to_dict()`` (which also validates them against the Vega-Lite
schema): the selection parameter, the encoded fields and the tooltips.
"""
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from core.compare import compare, default_forget, prepare, scale_curve, training_curves
from core.errors import InputError
from core.report import LARGE_TAU, methods_frame
from core.scenario import Scenario
from ui import charts, export, frames, share
from ui.style import METRIC_TITLES
from ui.text import verdict

SMALL = Scenario(n_samples=12, dim=120, width=12, steps=150)


@pytest.fixture(scope="module")
def comparison():
    prep = prepare(SMALL)
    return compare(prep, (default_forget(prep)[0], 3 if default_forget(prep)[0] != 3 else 4))


def layers(spec):
    return spec.get("layer", [spec])


def fields(layer):
    return {ch: enc.get("field") for ch, enc in layer.get("encoding", {}).items()
            if isinstance(enc, dict)}


def selectable_layer(spec):
    """The layer the top-level point selection is bound to (Altair lifts params up)."""
    views = [v for p in spec.get("params", []) for v in p.get("views", [])]
    found = [l for l in layers(spec) if l.get("name") in views]
    assert len(found) == 1
    return found[0]


def tooltip_fields(layer):
    return [t["field"] for t in layer["encoding"].get("tooltip", [])]


def test_plane_carries_the_point_selection_fields_and_tooltips(comparison):
    df = frames.plane_frame(comparison.prepared, comparison.forget)
    spec = charts.margin_lambda_plane(df).to_dict()
    param = spec["params"][0]
    assert param["name"] == charts.PICK
    assert param["select"]["type"] == "point" and param["select"]["fields"] == ["index"]
    assert param["select"]["on"] == "click"
    selectable = [selectable_layer(spec)]
    assert selectable[0]["encoding"]["opacity"]["condition"]["param"] == charts.PICK
    enc = fields(selectable[0])
    assert enc["x"] == "margin" and enc["y"] == "lam" and enc["color"] == "class"
    assert enc["shape"] == "status"
    assert {"index", "margin", "lam", "class", "kink_pairs"} <= set(tooltip_fields(selectable[0]))
    assert spec["usermeta"]["embedOptions"]["renderer"] == "svg"


def test_plane_keeps_forgotten_points_out_of_the_selection(comparison):
    df = frames.plane_frame(comparison.prepared, comparison.forget)
    spec = charts.margin_lambda_plane(df).to_dict()
    data = spec["datasets"]
    selectable = selectable_layer(spec)
    picked = {row["index"] for row in data[selectable["data"]["name"]]}
    assert picked == set(range(SMALL.n_samples)) - set(comparison.forget)
    assert df.loc[list(comparison.forget), "status"].eq("forgotten").all()


def test_after_plane_draws_arrows_heads_and_ghosts(comparison):
    df = frames.after_frame(comparison)
    assert set(df["index"]) == set(range(SMALL.n_samples)) - set(comparison.forget)
    ga = comparison.methods["ga"].certificate
    np.testing.assert_array_equal(df["margin_after"], ga.margins[comparison.retain])
    spec = charts.plane_after(df).to_dict()
    encs = [fields(l) for l in layers(spec)]
    assert {"x": "margin_before", "y": "lam_before", "x2": "margin_after", "y2": "lam_after",
            "color": "class"} in encs
    assert any(e.get("x") == "margin_retrain" and e.get("y") == "lam_retrain" for e in encs)
    heads = next(l for l in layers(spec) if l["mark"].get("shape") == "triangle")
    assert heads["encoding"]["angle"]["field"] == "angle"
    assert "margin_retrain" in tooltip_fields(heads)


def test_arrow_angles_point_along_the_move():
    df = pd.DataFrame({"margin_before": [0.0, 0.0, 0.0], "lam_before": [0.0, 0.0, 0.0],
                       "margin_after": [1.0, 0.0, -1.0], "lam_after": [0.0, 1.0, 0.0]})
    angles = charts._arrow_angles(df, [0, 1], [0, 1], aspect=1.0)
    np.testing.assert_allclose(angles, [90.0, 0.0, -90.0])


def test_step_size_chart_marks_the_minimum_and_c_equal_one(comparison):
    curve = scale_curve(comparison.prepared, comparison.forget, np.linspace(0, 2, 9))
    spec = charts.step_size(curve, {"eps_rel": 0.01}).to_dict()
    text = json.dumps(spec)
    c_min = curve.loc[curve["eps_rel"].idxmin(), "scale"]
    assert f"minimum at c = {c_min:.2f}" in text
    assert "c = 1 (theory)" in text
    panels = [p for row in spec["vconcat"] for p in row["hconcat"]]
    assert [p["title"].split(":")[0] for p in panels] == [METRIC_TITLES[f] for f in charts.STEP_PANELS]
    for panel, field in zip(panels, charts.STEP_PANELS):
        line = next(l for l in panel["layer"] if l["mark"]["type"] == "line")
        assert fields(line) == {"x": "scale", "y": field}
        assert field in tooltip_fields(line)


def test_other_builders_encode_their_fields(comparison):
    prep = comparison.prepared
    curves = training_curves(prep)
    for field in ("log_loss", "normalized_margin", "eps_rel"):
        spec = charts.training_curve(curves, field).to_dict()
        assert fields(spec) == {"x": "step", "y": field}
        assert field in tooltip_fields(spec)
    acts = frames.activation_frame(comparison)
    assert len(acts) == SMALL.width * SMALL.n_samples
    maps = charts.activation_maps(acts).to_dict()
    assert "switched on" in json.dumps(maps)
    res = charts.residuals(frames.residual_frame(comparison)).to_dict()
    assert fields(res) == {"x": "neuron", "y": "residual", "color": "model"}
    view = charts.data_view(frames.projection_frame(prep.dataset, prep.original.support))
    points = fields(layers(view.to_dict())[-1])
    assert {"x": "x", "y": "y", "stroke": "class"}.items() <= points.items()


def test_activation_frame_flags_switched_pairs(comparison):
    acts = frames.activation_frame(comparison)
    switched = (acts["z_before"] > 0) != (acts["z_after"] > 0)
    np.testing.assert_array_equal(acts["flipped"], switched)
    assert acts.loc[switched, "after"].isin(["switched on", "switched off"]).all()


def test_projection_is_the_pca_of_the_data():
    prep = prepare(SMALL)
    df = frames.projection_frame(prep.dataset)
    X = prep.dataset.X - prep.dataset.X.mean(axis=0)
    U, S, _ = np.linalg.svd(X, full_matrices=False)
    np.testing.assert_allclose(np.abs(df["x"]), np.abs(U[:, 0] * S[0]), atol=1e-10)
    assert df.attrs["axes"][0].startswith("PC1")


def test_presentation_mode_uses_larger_fonts_and_marks(comparison):
    df = frames.plane_frame(comparison.prepared, comparison.forget)
    normal = charts.margin_lambda_plane(df).to_dict()
    big = charts.margin_lambda_plane(df, presentation=True).to_dict()
    assert big["config"]["axis"]["labelFontSize"] > normal["config"]["axis"]["labelFontSize"]
    size = lambda spec: selectable_layer(spec)["mark"]["size"]
    assert size(big) > size(normal)


def test_exports_render_png_svg_and_csv(comparison):
    chart = charts.residuals(frames.residual_frame(comparison)).properties(width=400)
    assert export.png_bytes(chart.to_json(), scale=1)[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in export.svg_text(chart.to_json())[:200]
    assert export.csv_bytes(pd.DataFrame({"a": [1.5]})) == b"a\n1.5\n"
    assert export.file_stem("Margin-λ plane!") == "margin-plane"


def test_verdict_says_whether_ga_beats_doing_nothing(comparison):
    methods = methods_frame(comparison).set_index("method")
    level, sentence = verdict(methods)
    better = methods.loc["ga", "eps_rel"] < methods.loc["do_nothing", "eps_rel"]
    feasible = methods.loc["ga", "tau"] <= LARGE_TAU
    assert level == ("success" if better and feasible else "warning")
    assert "ε_rel" in sentence


def test_verdict_warns_when_ga_breaks_feasibility(comparison):
    """Lower eps_rel is not success when tau is large: (eps, delta, tau) all count."""
    methods = methods_frame(comparison).set_index("method")
    methods.loc["ga", "eps_rel"] = 0.5 * methods.loc["do_nothing", "eps_rel"]
    methods.loc["ga", "tau"] = 0.8
    level, sentence = verdict(methods)
    assert level == "warning" and "τ = 0.8" in sentence and "not successful" in sentence
    methods.loc["ga", "tau"] = 0.01
    assert verdict(methods)[0] == "success"


def test_url_round_trip_is_exact():
    shared = share.Shared(Scenario(model="linear", lr=0.1 + 0.2, kink_tol=0.05, seed=7),
                          ((3,), (8,)), 0.35000000000000003, True)
    query = share.to_query(shared)
    assert query["forget"] == "3,8" and query["model"] == "linear" and "n_samples" not in query
    assert share.from_query(query) == shared


@pytest.mark.parametrize("params, match", [
    ({"n_samples": "many"}, "n_samples"), ({"forget": "3,x"}, "forget"),
    ({"model": "cnn"}, "model"), ({"c": "nan"}, "c"), ({"width": "1"}, "width")])
def test_bad_links_raise_input_errors(params, match):
    with pytest.raises(InputError, match=match):
        share.from_query(params)


def test_json_round_trip_and_bad_files():
    shared = share.Shared(Scenario(data="mixture", mu_norm=3.5), ((1, 2), (5,)), 1.25)
    assert share.from_json(share.to_json(shared)) == shared
    with pytest.raises(InputError, match="not valid JSON"):
        share.from_json(b"{nope")
    with pytest.raises(InputError, match="Unknown scenario fields"):
        share.from_json('{"scenario": {"depth": 3}}')


def test_selected_indices_accepts_every_event_shape():
    from ui.widgets import selected_indices
    assert selected_indices({"selection": {"pick": [{"index": 4}, {"index": 9}]}}) == [4, 9]
    assert selected_indices({"selection": {"pick": {}}}) == []
    assert selected_indices({"selection": {}}) == []
    assert selected_indices(None) == []
    assert selected_indices({"selection": {"pick": [{"vgsid": 1}, {"index": "7"}]}}) == [7]


def test_pure_ui_modules_do_not_import_streamlit():
    code = ("import sys; import ui, ui.charts, ui.frames, ui.share, ui.text, ui.export; "
            "assert 'streamlit' not in sys.modules, 'streamlit imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_verdict_explains_forgetting_a_non_support_point(comparison):
    methods = methods_frame(comparison).set_index("method")
    level, sentence = verdict(methods, forgotten_lam=[0.0])
    assert level == "info" and "λ = 0" in sentence


def test_regions_cover_2d_data_with_the_model_sign():
    prep = prepare(Scenario(data="blobs", dim=2, n_samples=30))
    regions = frames.region_frame(prep, steps=20)
    assert len(regions) == 400 and set(regions["class"]) == set(frames.CLASS_NAMES.values())
    assert frames.region_frame(prepare(SMALL)).empty
