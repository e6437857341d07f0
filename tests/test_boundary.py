"""The data view: grid kernel, decision-boundary contours, projection axes, frames, charts,
and the Unlearn page's view switch (AppTest).

References are independent: the model is evaluated in primal space with explicit W by the
NumPy twins of tests/naive.py, principal components by ``numpy.linalg.svd``, the input
gradient by finite differences of N.
"""
import json

import numpy as np
import pyarrow as pa
import pytest

from core import boundary
from core.boundary_kernels import grid_outputs
from core.compare import compare, default_forget, prepare
from core.errors import InputError
from core.models import GramModel, weights
from core.scenario import Scenario
from present import charts, data_view, share
from tests import naive
from ui import data_panel, state

XOR = Scenario(data="xor", dim=2)                     # the default 2-D sizes: n=40, m=100
HIGH = Scenario(n_samples=12, dim=120, width=12, steps=150)
DATA_TITLE = "Decision boundaries in data space"


@pytest.fixture(scope="module")
def xor_comparison():
    prep = prepare(XOR)
    return compare(prep, default_forget(prep))


@pytest.fixture(scope="module")
def high_comparison():
    prep = prepare(HIGH)
    return compare(prep, default_forget(prep))


def twin_grid(s0, A, W0, X, v, is_relu, basis, gx, gy):
    """N on the grid o + u e_1 + t e_2, with explicit W = s0 W0 + A X and explicit points."""
    W = s0 * W0 + A @ X
    uu, tt = np.meshgrid(gx, gy)
    P = basis[0] + uu.ravel()[:, None] * basis[1] + tt.ravel()[:, None] * basis[2]
    return naive.forward(W, P, v, is_relu).reshape(uu.shape)


# ------------------------------------------------------------------ kernel

@pytest.mark.parametrize("is_relu", [True, False])
def test_grid_kernel_matches_the_primal_numpy_twin(is_relu):
    rng = np.random.default_rng(3)
    n, d, m = 7, 5, (6 if is_relu else 1)
    X, W0 = rng.standard_normal((n, d)), rng.standard_normal((m, d))
    v = naive.output_weights(m) if is_relu else np.ones(1)
    s0, A = np.array([0.7, -1.3]), rng.standard_normal((2, m, n))
    basis = rng.standard_normal((3, d))                       # any origin and directions
    gx, gy = np.linspace(-2.0, 1.5, 31), np.linspace(-1.0, 2.5, 23)
    out = np.empty((2, gy.size, gx.size))
    grid_outputs(s0, A, np.ascontiguousarray(W0 @ basis.T), np.ascontiguousarray(X @ basis.T),
                 v, is_relu, gx, gy, out)
    for k in range(2):
        want = twin_grid(s0[k], A[k], W0, X, v, is_relu, basis, gx, gy)
        np.testing.assert_allclose(out[k], want, rtol=1e-12, atol=1e-12)


def test_the_grid_kernel_compiles_one_signature(xor_comparison):
    """Every caller passes contiguous float64 and a bool: one compiled specialization."""
    boundary.decision_boundaries(xor_comparison.prepared.ctx,
                                 {"ga": xor_comparison.methods["ga"].model})
    prep = prepare(Scenario(model="linear", data="blobs", dim=2, n_samples=30, steps=300))
    boundary.decision_boundaries(prep.ctx, {"do_nothing": prep.original.model})
    assert len(grid_outputs.signatures) == 1


def test_grid_values_match_the_twin_for_the_trained_model(xor_comparison):
    prep = xor_comparison.prepared
    ctx, model = prep.ctx, prep.original.model
    plane = boundary.coordinate_plane(2)
    gx, gy, Z = boundary.grid_values(ctx, [model], plane, (-1.0, 1.0), (-0.5, 0.7), 57)
    want = twin_grid(model.s0, model.A, ctx.W0, ctx.X, ctx.v, True,
                     np.vstack([np.zeros(2), np.eye(2)]), gx, gy)
    np.testing.assert_allclose(Z[0], want, rtol=1e-10, atol=1e-12)


# ------------------------------------------------------------------ contours

def _segments_distance(points, lines):
    """Distance of each point to the nearest segment of the polylines."""
    a = np.vstack([ln[:-1] for ln in lines])
    b = np.vstack([ln[1:] for ln in lines])
    ab = b - a
    t = np.clip(np.einsum("psk,sk->ps", points[:, None, :] - a[None], ab)
                / np.maximum(np.einsum("sk,sk->s", ab, ab), 1e-300), 0.0, 1.0)
    nearest = a[None] + t[..., None] * ab[None]
    return np.sqrt(((points[:, None, :] - nearest) ** 2).sum(axis=2)).min(axis=1)


@pytest.mark.parametrize("name", ["do_nothing", "ga", "retrain"])
def test_level_zero_contour_lies_where_a_fine_numpy_grid_changes_sign(xor_comparison, name):
    prep = xor_comparison.prepared
    ctx = prep.ctx
    model = xor_comparison.methods[name].model
    bounds = boundary.decision_boundaries(ctx, {name: model}, resolution=200)
    lines = bounds.lines[name]
    assert lines, "no decision boundary found"
    cell = np.hypot(bounds.gx[1] - bounds.gx[0], bounds.gy[1] - bounds.gy[0])
    # an independent evaluation on a 4x finer grid over the same box
    fx = np.linspace(bounds.gx[0], bounds.gx[-1], 797)
    fy = np.linspace(bounds.gy[0], bounds.gy[-1], 797)
    uu, tt = np.meshgrid(fx, fy)
    pos = naive.forward(weights(ctx, model), np.column_stack([uu.ravel(), tt.ravel()]),
                        ctx.v, True).reshape(uu.shape) > 0
    # midpoints of the fine grid's edges where the sign changes
    hx = np.argwhere(pos[:, 1:] != pos[:, :-1])
    hy = np.argwhere(pos[1:, :] != pos[:-1, :])
    changes = np.vstack([np.column_stack([(fx[hx[:, 1]] + fx[hx[:, 1] + 1]) / 2, fy[hx[:, 0]]]),
                         np.column_stack([fx[hy[:, 1]], (fy[hy[:, 0]] + fy[hy[:, 0] + 1]) / 2])])
    # every sign change is within one coarse cell of the contour ...
    assert _segments_distance(changes, lines).max() <= cell
    # ... and every contour vertex within one coarse cell of a sign change
    vertices = np.vstack(lines)
    gaps = np.sqrt(((vertices[:, None, :] - changes[None]) ** 2).sum(axis=2)).min(axis=1)
    assert gaps.max() <= cell


def test_a_linear_models_contour_is_exactly_its_line():
    """N is linear, so marching squares' interpolation is exact: <w, p> = 0 at every vertex."""
    prep = prepare(Scenario(model="linear", data="blobs", dim=2, n_samples=30, steps=300))
    bounds = boundary.decision_boundaries(prep.ctx, {"do_nothing": prep.original.model})
    w = weights(prep.ctx, prep.original.model)[0]
    vertices = np.vstack(bounds.lines["do_nothing"])
    assert len(vertices) >= 200
    assert np.abs(vertices @ w).max() <= 1e-9 * np.linalg.norm(w)


def test_decision_boundaries_default_grid_is_at_least_200_a_side(xor_comparison):
    bounds = boundary.decision_boundaries(xor_comparison.prepared.ctx,
                                          {"ga": xor_comparison.methods["ga"].model})
    assert bounds.values["ga"].shape[0] >= 200 and bounds.values["ga"].shape[1] >= 200


# ------------------------------------------------------------------ projection plane

def test_projection_axes_are_orthonormal_pc1_and_the_orthogonalized_mean_gradient(
        high_comparison):
    prep = high_comparison.prepared
    ctx, model = prep.ctx, prep.original.model
    plane = boundary.projection_plane(ctx, model)
    np.testing.assert_allclose(plane.axes @ plane.axes.T, np.eye(2), atol=1e-12)
    pc1 = np.linalg.svd(ctx.X - ctx.X.mean(axis=0))[2][0]
    assert abs(abs(plane.axes[0] @ pc1) - 1.0) < 1e-10
    # mean input gradient by central differences of the primal model (kinks are measure 0)
    W, h = weights(ctx, model), 1e-6
    eye = np.eye(ctx.X.shape[1])
    g = np.mean([[(naive.forward(W, (x + h * e)[None], ctx.v, True)[0]
                   - naive.forward(W, (x - h * e)[None], ctx.v, True)[0]) / (2 * h)
                  for e in eye] for x in ctx.X], axis=0)
    r = g - (g @ plane.axes[0]) * plane.axes[0]
    assert plane.axes[1] @ r / np.linalg.norm(r) > 1 - 1e-6


def test_the_lanczos_path_gives_the_same_first_component(monkeypatch):
    X = np.random.default_rng(1).standard_normal((30, 12)) * np.linspace(3, 1, 12)
    dense = boundary.first_principal_component(X)
    monkeypatch.setattr(boundary, "EIGH_LIMIT", 1)
    np.testing.assert_allclose(boundary.first_principal_component(X), dense, atol=1e-8)


def test_the_projection_caption_names_both_axes(high_comparison):
    view = data_view.data_view(high_comparison.prepared, high_comparison)
    assert not view.is_2d
    assert boundary.PC_NAME in view.caption and boundary.GRADIENT_NAME in view.caption
    assert view.caption.index("Horizontal axis: " + boundary.PC_NAME) >= 0
    assert "orthogonalized against PC1" in view.caption


def test_a_gradient_parallel_to_pc1_falls_back_to_a_named_coordinate_axis():
    """The linear model on points along one line: the mean gradient is w, parallel to PC1."""
    from core.models import build_context
    X = np.outer(np.array([1.0, 2.0, -1.5, -3.0]), np.array([0.6, 0.8, 0.0]))
    ctx = build_context(X, np.array([1.0, 1.0, -1.0, -1.0]), np.zeros((1, 3)), np.ones(1), False)
    model = GramModel(0.0, np.array([[1.0, 0.0, 0.0, 0.0]]))        # w = x_0, along the line
    plane = boundary.projection_plane(ctx, model)
    np.testing.assert_allclose(plane.axes @ plane.axes.T, np.eye(2), atol=1e-12)
    assert "parallel to PC1 or zero" in plane.names[1] and plane.titles[1].startswith("x3")


# ------------------------------------------------------------------ bad input

def test_resolution_must_be_an_integer_in_range(xor_comparison):
    ctx, model = xor_comparison.prepared.ctx, xor_comparison.methods["ga"].model
    for bad in (1, 2.5, True, boundary.MAX_GRID + 1):
        with pytest.raises(InputError, match="grid resolution must be an integer from 2"):
            boundary.decision_boundaries(ctx, {"ga": model}, resolution=bad)


def test_padding_must_be_finite_and_not_negative(xor_comparison):
    ctx, model = xor_comparison.prepared.ctx, xor_comparison.methods["ga"].model
    with pytest.raises(InputError, match="padding must be a finite number >= 0"):
        boundary.decision_boundaries(ctx, {"ga": model}, pad=-0.1)


def test_no_models_is_refused(xor_comparison):
    with pytest.raises(InputError, match="at least one model"):
        boundary.decision_boundaries(xor_comparison.prepared.ctx, {})


def test_the_coordinate_plane_is_for_2d_data_only():
    with pytest.raises(InputError, match="coordinate plane is for 2-D data, not dim=3"):
        boundary.coordinate_plane(3)


def test_a_plane_of_another_dimension_is_refused(high_comparison):
    ctx = high_comparison.prepared.ctx
    with pytest.raises(InputError, match="plane lives in 2 dimensions, the data in 120"):
        boundary.grid_values(ctx, [high_comparison.prepared.original.model],
                             boundary.coordinate_plane(2), (0, 1), (0, 1), 10)


def test_identical_points_have_no_principal_component():
    with pytest.raises(InputError, match="no principal component"):
        boundary.first_principal_component(np.ones((5, 4)))


def test_one_dimensional_data_has_no_projection_plane():
    from core.models import build_context
    ctx = build_context(np.array([[1.0], [-2.0]]), np.array([1.0, -1.0]), np.zeros((1, 1)),
                        np.ones(1), False)
    with pytest.raises(InputError, match="at least 2 input dimensions, not dim=1"):
        boundary.projection_plane(ctx, GramModel(0.0, np.array([[1.0, 0.0]])))


# ------------------------------------------------------------------ frames and charts

def test_shading_covers_every_row_and_follows_the_sign():
    gx, gy = np.linspace(0, 1, 11), np.linspace(0, 2, 5)
    Z = np.add.outer(gy, -2 * gx)                                  # N > 0 left of x = y/2
    df = data_view.shade_frame(gx, gy, Z)
    for r in range(gy.size):
        row = df[np.isclose(df["y"], gy[r] - 0.25)].sort_values("x")
        assert np.isclose(row["x"].iloc[0], -0.05) and np.isclose(row["x2"].iloc[-1], 1.05)
        np.testing.assert_allclose(row["x"].to_numpy()[1:], row["x2"].to_numpy()[:-1])
        for _, rect in row.iterrows():
            inside = (gx > rect["x"]) & (gx < rect["x2"])
            sign = Z[r, inside] > 0
            assert sign.all() == (rect["class"] == "y = +1") and (sign.all() or not sign.any())


def test_lines_frame_orders_the_vertices_of_every_path(xor_comparison):
    view = data_view.data_view(xor_comparison.prepared, xor_comparison)
    lines = view.lines
    assert set(lines["model"]) == {"do_nothing", "ga", "retrain"}
    for _, path in lines.groupby(["model", "path"]):
        assert (np.diff(path["order"].to_numpy()) == 1).all() and path["order"].iloc[0] == 0


def _layers(spec):
    return spec.get("layer", [spec])


def test_2d_chart_has_the_pick_selection_and_labelled_boundaries(xor_comparison):
    forget = xor_comparison.forget
    view = data_view.data_view(xor_comparison.prepared, xor_comparison)
    spec = data_view.chart(view, selected=(5,)).to_dict()
    param = spec["params"][0]
    assert param["name"] == charts.PICK and param["select"]["fields"] == ["index"]
    assert param["value"] == [{"index": 5}]
    line = next(l for l in _layers(spec) if l["mark"]["type"] == "line")
    assert line["encoding"]["color"]["legend"]["title"] == data_view.LEGEND_TITLE
    assert "decision boundary" in data_view.LEGEND_TITLE
    assert [d["field"] for d in line["encoding"]["detail"]] == ["model", "path"]
    assert line["encoding"]["order"]["field"] == "order"
    text = next(l for l in _layers(spec) if l["mark"]["type"] == "text")
    rows = spec["datasets"][text["data"]["name"]]
    assert [r["tag"] for r in rows] == [f"forgotten {i}" for i in forget]
    live = next(l for l in _layers(spec) if l.get("name") in param["views"])
    assert all(not r["forgotten"] for r in spec["datasets"][live["data"]["name"]])


def test_with_selection_sets_and_clears_the_seed_of_a_finished_spec(xor_comparison):
    spec = data_view.chart(data_view.data_view(xor_comparison.prepared)).to_dict()
    assert "value" not in spec["params"][0]
    seeded = data_view.with_selection(spec, (7, 3))
    assert seeded["params"][0]["value"] == [{"index": 7}, {"index": 3}]
    assert "value" not in data_view.with_selection(seeded, ())["params"][0]
    assert "value" not in spec["params"][0]                       # the original is kept


def test_projection_chart_sizes_by_lambda_and_fills_by_margin_change(high_comparison):
    view = data_view.data_view(high_comparison.prepared, high_comparison)
    spec = data_view.chart(view, presentation=True).to_dict()
    assert not any(l["mark"]["type"] == "line" for l in _layers(spec))
    live = next(l for l in _layers(spec) if l.get("name") in spec["params"][0]["views"])
    assert live["encoding"]["size"]["field"] == "lam"
    assert live["encoding"]["fill"]["field"] == "margin_change"
    pts = view.points.set_index("index")
    ga = high_comparison.methods["ga"].certificate.margins
    np.testing.assert_allclose(pts["margin_change"], ga - high_comparison.prepared.original.margins)


def test_the_data_page_view_draws_only_the_trained_boundary():
    prep = prepare(XOR)
    view = data_view.data_view(prep)
    assert set(view.lines["model"]) == {"do_nothing"}
    assert "trained model's decision boundary" in view.caption


# ------------------------------------------------------------------ the page (AppTest)

def _charts(at):
    """Each chart's spec, with the datasets Streamlit moved out (Arrow) put back."""
    out = []
    for el in at.get("vega_lite_chart"):
        spec = json.loads(el.proto.spec)
        spec["datasets"] = {d.name: pa.ipc.open_stream(d.data.data).read_pandas()
                            for d in el.proto.datasets}
        out.append(spec)
    return out


def _title(spec):
    title = spec.get("title", "")
    return title.get("text", "") if isinstance(title, dict) else title


def _titles(at):
    return [_title(spec) for spec in _charts(at)]


def test_the_unlearn_page_switches_views_and_shares_the_selection(open_app):
    at = open_app(data="xor", dim=2)
    assert not at.exception, [e.value for e in at.exception]
    assert any(t.startswith("Margin-λ plane") for t in _titles(at))
    at.button_group(key=data_panel.SWITCH_KEY).set_value("data").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(t.startswith(DATA_TITLE) for t in _titles(at))
    assert at.query_params["view"] == ["data"] or at.query_params["view"] == "data"
    view = next(s for s in _charts(at) if _title(s).startswith(DATA_TITLE))
    assert view["params"][0]["name"] == charts.PICK
    # pick a point in the data view: the Forget button and the plane follow
    prep = prepare(XOR)
    forget = default_forget(prep)
    point = next(i for i in range(prep.dataset.n_samples) if i not in forget)
    key = state_key(at)
    at.session_state[key] = {"selection": {charts.PICK: [{"index": point}]}}
    at.run()
    assert at.button(key="ux.forget").label == "Forget selected (1)"
    at.button_group(key=data_panel.SWITCH_KEY).set_value("plane").run()
    plane = next(s for s in _charts(at) if s["title"]["text"].startswith("Margin-λ plane"))
    pick = next(p for p in plane["params"] if p["name"] == charts.PICK)
    assert pick["value"] == [{"index": point}]
    at.button_group(key=data_panel.SWITCH_KEY).set_value("data").run()
    at.button(key="ux.forget").click().run()
    assert not at.exception, [e.value for e in at.exception]
    view = next(s for s in _charts(at) if _title(s).startswith(DATA_TITLE))
    text = next(l for l in view["layer"] if l["mark"]["type"] == "text")
    assert f"forgotten {point}" in list(view["datasets"][text["data"]["name"]]["tag"])


def state_key(at):
    """The data view's current chart key (``ui.state.data_view_key``) in an AppTest."""
    return (f"{state.PREFIX}dataview.{at.session_state[state.NONCE]}."
            f"{at.session_state[state.TABLE_NONCE]}")


def test_the_data_page_draws_the_smooth_boundary(open_app):
    at = open_app("pages/2_data.py", data="xor", dim=2)
    assert not at.exception, [e.value for e in at.exception]
    spec = next(s for s in _charts(at)
                if _title(s).startswith("The training data and the trained model"))
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert "line" in marks and "rect" in marks
    line = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "line")
    assert set(spec["datasets"][line["data"]["name"]]["model"]) == {"do_nothing"}


# ------------------------------------------------------------------ URL state

def test_the_view_round_trips_through_the_link():
    shared = share.Shared(Scenario(), ((3,),), view="data")
    query = share.to_query(shared)
    assert query["view"] == "data"
    assert share.from_query(query).view == "data"
    assert "view" not in share.to_query(share.Shared(Scenario()))
    assert share.from_query({}).view == "plane"


def test_an_unknown_view_in_the_link_is_refused():
    with pytest.raises(InputError, match="The link's view='map' must be one of plane, data"):
        share.from_query({"view": "map"})
