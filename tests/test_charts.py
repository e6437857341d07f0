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
from core.report import methods_frame
from core.scenario import Scenario
from present import charts, export, frames, share
from present.style import METRIC_TITLES
from present.text import verdict
from tests import naive

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
    assert param["select"]["on"].startswith("click[")
    assert f"<= {charts.PICK_RADIUS_PX:g}]" in param["select"]["on"]
    selectable = [selectable_layer(spec)]
    assert selectable[0]["encoding"]["opacity"]["condition"]["param"] == charts.PICK
    enc = fields(selectable[0])
    assert enc["x"] == "margin" and enc["y"] == "lam" and enc["color"] == "class"
    assert enc["shape"] == "status"
    assert {"index", "margin", "lam", "class", "kink_pairs"} <= set(tooltip_fields(selectable[0]))
    assert spec["usermeta"]["embedOptions"]["renderer"] == "svg"


def test_plane_draws_forgotten_points_grey_with_their_labels(comparison):
    df = frames.plane_frame(comparison.prepared, comparison.forget)
    spec = charts.margin_lambda_plane(df).to_dict()
    data = spec["datasets"]
    selectable = selectable_layer(spec)
    drawn = {row["index"]: row for row in data[selectable["data"]["name"]]}
    assert set(drawn) == set(range(SMALL.n_samples))
    assert all(drawn[i]["forgotten"] for i in comparison.forget)
    assert selectable["encoding"]["color"]["condition"]["value"] == charts.FORGOTTEN_COLOR
    text = next(l for l in layers(spec) if l["mark"]["type"] == "text")
    assert set(comparison.forget) <= {row["index"] for row in data[text["data"]["name"]]}
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
    titles = [p["title"].split(":")[0] for p in panels]
    assert titles == [METRIC_TITLES[f] for f in charts.STEP_PANELS]
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
    res = charts.residuals(frames.residual_frame(comparison)).to_dict()
    assert fields(res) == {"x": "neuron", "y": "residual", "color": "model"}


def explicit_preacts(comparison):
    """<w_j, x_i> (m x n) before and after the GA step, from W = s0 W0 + A X written out."""
    prep = comparison.prepared
    ctx = prep.ctx
    before = naive.explicit(prep.original.model, ctx.W0, ctx.X) @ ctx.X.T
    after = naive.explicit(comparison.methods["ga"].model, ctx.W0, ctx.X) @ ctx.X.T
    return before, after


def test_activation_maps_draw_the_pairs_the_ga_step_switched(comparison):
    """The after-map's data marks exactly the (neuron, point) pairs whose ReLU the GA step
    switched on or off, recomputed here from the explicit weights."""
    z0, z1 = explicit_preacts(comparison)
    clear = np.minimum(np.abs(z0), np.abs(z1)) > 1e-9 * np.abs(z0).max()  # no rounding ties
    expected = {"switched on": (z0 <= 0) & (z1 > 0), "switched off": (z0 > 0) & (z1 <= 0)}
    assert expected["switched on"].any() and expected["switched off"].any()   # a real case
    spec = charts.activation_maps(frames.activation_frame(comparison)).to_dict()
    colored = [v for v in spec["hconcat"] for v in layers(v)
               if v.get("encoding", {}).get("color", {}).get("field") == "after"]
    assert len(colored) == 1 and "switched on" in colored[0]["encoding"]["color"]["scale"]["domain"]
    rows = pd.DataFrame(spec["datasets"][colored[0]["data"]["name"]])
    drawn = np.zeros(z0.shape, dtype=object)
    drawn[rows["neuron"], rows["point"]] = rows["after"]
    for state, where in expected.items():
        np.testing.assert_array_equal((drawn == state)[clear], where[clear], err_msg=state)


def test_activation_frame_flags_switched_pairs(comparison):
    z0, z1 = explicit_preacts(comparison)
    acts = frames.activation_frame(comparison).set_index(["neuron", "point"]).sort_index()
    np.testing.assert_allclose(acts["z_before"].to_numpy().reshape(z0.shape), z0,
                               atol=1e-12 * np.abs(z0).max())
    np.testing.assert_allclose(acts["z_after"].to_numpy().reshape(z1.shape), z1,
                               atol=1e-12 * np.abs(z1).max())
    np.testing.assert_array_equal(acts["flipped"].to_numpy().reshape(z0.shape),
                                  (z0 > 0) != (z1 > 0))


def test_metric_panel_draws_the_mean_and_spread_of_a_known_table():
    """A sweep table built by hand: the mean line and the min-max band are the numbers
    computed here, per method and value."""
    from present import figures

    eps = {("ga", 100): [0.1, 0.2, 0.6], ("ga", 1000): [0.01, 0.02, 0.03],
           ("do_nothing", 100): [0.3, 0.3, 0.3], ("do_nothing", 1000): [0.2, 0.1, 0.3]}
    frame = pd.DataFrame([dict(model="relu", param="dim", value=d, seed=k, method=m,
                               eps_rel=e)
                          for (m, d), values in eps.items() for k, e in enumerate(values)])
    spec = json.loads(figures.metric_panel(frame, "eps_rel", methods=("ga", "do_nothing"))
                      .to_json())
    lines = [v for v in layers(spec) if v["mark"] == "line" or v["mark"].get("type") == "line"]
    assert len(lines) == 1
    drawn = pd.DataFrame(spec["datasets"][lines[0]["data"]["name"]])
    labels = {"ga": figures.label("ga"), "do_nothing": figures.label("do_nothing")}
    for (m, d), values in eps.items():
        row = drawn[(drawn["label"] == labels[m]) & (drawn["value"] == d)]
        assert len(row) == 1, (m, d)
        assert row["mean"].item() == pytest.approx(np.mean(values), rel=1e-12)
        assert (row["lo"].item(), row["hi"].item()) == (min(values), max(values))
    assert len(drawn) == len(eps)


def test_presentation_mode_uses_larger_fonts_and_marks(comparison):
    df = frames.plane_frame(comparison.prepared, comparison.forget)
    normal = charts.margin_lambda_plane(df).to_dict()
    big = charts.margin_lambda_plane(df, presentation=True).to_dict()
    assert big["config"]["axis"]["labelFontSize"] > normal["config"]["axis"]["labelFontSize"]
    assert selectable_layer(big)["mark"]["size"] > selectable_layer(normal)["mark"]["size"]


def test_exports_render_png_svg_and_csv(comparison):
    chart = charts.residuals(frames.residual_frame(comparison)).properties(width=400)
    assert export.png_bytes(chart.to_json(), scale=1)[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in export.svg_text(chart.to_json())[:200]
    assert export.csv_bytes(pd.DataFrame({"a": [1.5]})) == b"a\n1.5\n"
    assert export.file_stem("Margin-λ plane!") == "margin-plane"


@pytest.mark.parametrize("ga_eps, ga_tau, level, words", [
    (0.02, 0.01, "success", "5.0× lower"),       # 0.1 / 0.02
    (1e-12, 0.0, "success", "to round-off"),
    (0.1, 0.01, "warning", "does not beat"),     # equal is not better
    (0.3, 0.01, "warning", "does not beat"),
    (0.02, 0.5, "warning", "not successful"),    # lower eps_rel, but tau > LARGE_TAU
])
def test_verdict_on_constructed_method_tables(ga_eps, ga_tau, level, words):
    """Tables whose answer is known: do nothing has eps_rel 0.1, retrain 0.01."""
    methods = pd.DataFrame({"eps_rel": [ga_eps, 0.1, 0.01], "tau": [ga_tau, 0.0, 0.0],
                            "cosine_to_retrain": [0.99, 0.97, 1.0]},
                           index=pd.Index(["ga", "do_nothing", "retrain"], name="method"))
    got_level, sentence = verdict(methods)
    assert (got_level, words in sentence) == (level, True), sentence


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
    code = ("import sys; import ui, present.charts, present.frames, present.share, "
            "present.text, present.export; "
            "assert 'streamlit' not in sys.modules, 'streamlit imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_verdict_explains_forgetting_a_non_support_point(comparison):
    methods = methods_frame(comparison).set_index("method")
    level, sentence = verdict(methods, forgotten_lam=[0.0])
    assert level == "info" and "λ = 0" in sentence


# ---- picking (ui/points_table.py), grouped links (present/share.py), display rules
# (present/text.py)

def compiled_marks(spec):
    """The Vega marks vl-convert compiles a Vega-Lite spec to (what the browser runs)."""
    import vl_convert
    vega = vl_convert.vegalite_to_vega(json.dumps(spec))
    vega = json.loads(vega) if isinstance(vega, str) else vega
    return vega["marks"]


def test_plane_picks_the_nearest_point_zooms_and_labels_take_no_clicks(comparison):
    df = frames.plane_frame(comparison.prepared, comparison.forget)
    spec = charts.margin_lambda_plane(df, selected=(1, 2)).to_dict()
    params = {p["name"]: p for p in spec["params"]}
    assert params[charts.PICK]["select"]["nearest"] is True
    assert params[charts.PICK]["value"] == [{"index": 1}, {"index": 2}]
    assert params[charts.ZOOM]["bind"] == "scales"
    assert layers(spec)[-1] is selectable_layer(spec)       # on top: it takes the clicks
    marks = compiled_marks(spec)
    texts = [m for m in marks if m["type"] == "text"]
    assert texts and all(m.get("interactive") is False for m in texts)
    voronoi = [m for m in marks if m["type"] == "path" and "voronoi" in m["name"]]
    assert voronoi and marks.index(voronoi[0]) == len(marks) - 1
    assert all(m.get("clip") for m in marks if m["type"] in ("symbol", "text"))


def test_plane_marks_shrink_as_the_plane_fills():
    from present.style import style
    s = style()
    sizes = [charts.plane_point_size(n, s) for n in (10, 40, 400, 5000)]
    assert sizes == sorted(sizes, reverse=True)
    assert sizes[0] == 0.8 * s.point and sizes[-1] == 0.2 * s.point
    assert sizes[2] == pytest.approx(s.point * (30 / 400) ** 0.5)


@pytest.mark.parametrize("history, text", [(((15, 18), (34,)), "15+18,34"),
                                           (((3,), (8,)), "3,8"), ((), "")])
def test_the_link_keeps_how_removals_were_grouped(history, text):
    assert share.history_to_text(history) == text
    assert share.history_from_text(text) == history
    shared = share.Shared(Scenario(), history, 0.5, False)
    assert share.from_query(share.to_query(shared)) == shared


def test_older_flat_links_and_decoded_plus_signs_still_parse():
    assert share.history_from_text("3,8") == ((3,), (8,))
    assert share.history_from_text("15 18,34") == ((15, 18), (34,))
    assert share.history_from_text(" 15 + 18 , , 34 ") == ((15, 18), (34,))


@pytest.mark.parametrize("text, message", [("3,x", "must be point indices"),
                                           ("3+-1", "must be point indices"),
                                           ("3+3", "listed twice")])
def test_bad_grouped_links_are_refused(text, message):
    with pytest.raises(InputError, match=message):
        share.history_from_text(text)


def test_typed_indices_and_table_rows_parse():
    from ui.points_table import parse_indices, table_rows
    assert parse_indices("15 18") == (15, 18)
    assert parse_indices(" 15,18;  3+4 ") == (15, 18, 3, 4)
    assert parse_indices("7 7") == (7,)
    for bad in ("", "seven", "1.5", "-2"):
        with pytest.raises(InputError, match="not a list of point indices"):
            parse_indices(bad)
    assert table_rows({"selection": {"rows": [2, 0], "columns": []}}) == (2, 0)
    assert table_rows({"selection": {}}) == table_rows(None) == ()


def test_points_table_rows_are_the_point_indices(comparison):
    from ui.points_table import TABLE_COLUMNS, table_frame
    df = frames.plane_frame(comparison.prepared, comparison.forget)
    table = table_frame(df.sample(frac=1.0, random_state=0))
    assert table["point"].tolist() == list(range(SMALL.n_samples))
    assert list(table.columns) == list(TABLE_COLUMNS.values())
    np.testing.assert_array_equal(table["λ"], comparison.prepared.original.lam)


def test_certificate_flag_names_what_is_wrong():
    from present.text import certificate_flag
    assert certificate_flag({"converged": True, "n_mu_violations": 0}) is None
    assert "upper bound" in certificate_flag({"converged": False, "n_mu_violations": 0})
    both = certificate_flag({"converged": False, "n_mu_violations": 3})
    assert "upper bound" in both and "μ ≤ λ violated at 3 kink pairs" in both


def test_tables_show_rounding_tau_as_zero_integers_as_integers_and_no_minus_one():
    from present.text import number_formats, shown, tidy
    frame = pd.DataFrame({"k": [0, 1], "removed": [-1, 7], "tau": [1e-16, 0.25],
                          "GA τ": [-1e-13, 1e-12], "n_kink_pairs": [15190, 3],
                          "eps_rel": [0.5, 1e-20], "converged": [True, False]})
    out = tidy(frame)
    assert out["tau"].tolist() == [0.0, 0.25] and out["GA τ"].tolist() == [0.0, 1e-12]
    assert out["removed"].isna().tolist() == [True, False] and out["removed"][1] == 7
    assert out["eps_rel"].tolist() == [0.5, 1e-20]         # only tau is floored
    formats = number_formats(out)
    assert formats["n_kink_pairs"] == "%d" and formats["removed"] == "%d"
    assert formats["tau"] == "%.4g" and "converged" not in formats
    assert shown("tau", 3e-17) == 0.0 and shown("eps_rel", 3e-17) == 3e-17
