"""What a new user saw on the way to a talk (issue 20's minor items), checked on the pages:
the KKT inspector's maps mark the forgotten points as its caption says, the plane's labels
sit clear of other points, the player's λ axis follows the frame.

Expected values come from the engine or from the charts' own data, never from the page's
code paths under test.
"""
import json

SMALL = dict(n_samples=16, dim=160, width=16, steps=150)


def chart_specs(at):
    return [json.loads(el.proto.spec) for el in at.get("vega_lite_chart")]


def rules_in(spec):
    """Dashed rule layers anywhere in a (composed) spec."""
    found = []
    for key in ("layer", "hconcat", "vconcat", "concat"):
        for part in spec.get(key, []):
            found += rules_in(part)
    mark = spec.get("mark")
    if isinstance(mark, dict) and mark.get("type") == "rule" and mark.get("strokeDash"):
        found.append(spec)
    return found


def test_the_kkt_maps_mark_forgotten_points_in_both_maps(open_app, no_trouble):
    at = open_app("pages/4_kkt.py", **SMALL)
    no_trouble(at)
    maps = next(s for s in chart_specs(at) if "hconcat" in s)
    before, after = maps["hconcat"]
    assert rules_in(before) and rules_in(after)
    caption = next(c.value for c in at.caption if "neuron-point pair" in c.value)
    assert "both maps" in caption and "dashed" in caption


def test_a_rejected_upload_after_a_good_one_turns_train_off(open_app, no_trouble):
    """Issue 20: after three.csv was rejected, Train retrained the previous file; the pages
    called the file by its stored hash and the messages 'uploaded CSV'."""
    import io

    import numpy as np

    from tests.helpers import shown
    from ui import state

    def widget(at, kind, name):
        prefix = f"{state.PREFIX}w.{name}."
        return next(w for w in getattr(at, kind) if w.key and w.key.startswith(prefix))

    rng = np.random.default_rng(5)
    X, y = rng.standard_normal((14, 120)) / np.sqrt(120), np.repeat([0, 1], 7)
    buffer = io.BytesIO()
    np.savez(buffer, X=X, y=y)
    at = open_app("pages/2_data.py", **SMALL)
    widget(at, "selectbox", "source").set_value("upload").run()
    widget(at, "file_uploader", "upload").set_value(
        ("points.npz", buffer.getvalue(), "application/octet-stream")).run()
    no_trouble(at)
    assert not at.button(key="ux.train").disabled
    assert any(shown(c.value) == "Data file: points.npz" for c in at.caption)
    three = b"a,b,label\n1,2,x\n3,4,y\n5,6,z\n"
    widget(at, "file_uploader", "upload").set_value(("three.csv", three, "text/csv")).run()
    errors = [shown(e.value) for e in at.error]
    assert len(errors) == 1 and "three.csv" in errors[0] and "uploaded CSV" not in errors[0]
    assert at.button(key="ux.train").disabled


def chart_rows(el):
    """Every dataset row of a chart element (Arrow datasets of the spec)."""
    import pyarrow as pa
    rows = []
    for ds in el.proto.datasets:
        rows += pa.ipc.open_stream(ds.data.data).read_all().to_pylist()
    return rows


def test_the_exact_svm_is_drawn_on_the_methods_chart(open_app, no_trouble):
    """Issue 20: with the linear model "exact SVM" was selected but never drawn (it has no
    gradient count); it is drawn at "solver"."""
    at = open_app("pages/8_methods.py", model="linear", n_samples=12, dim=90)
    no_trouble(at)
    quality = next(el for el in at.get("vega_lite_chart")
                   if "gradient evaluations" in el.proto.spec)
    drawn = {row.get("method") for row in chart_rows(quality)}
    assert {"exact", "ga", "retrain"} <= drawn
    assert "'solver'" in quality.proto.spec


def walk(spec):
    """Every unit spec inside a composed Vega-Lite spec."""
    yield spec
    for key in ("layer", "hconcat", "vconcat", "concat"):
        for part in spec.get(key, []):
            yield from walk(part)


def test_the_players_lambda_axis_reads_every_frame_and_its_step_sits_above_the_points():
    """Issue 20: the λ axis was fixed at 0-120 while λ < 20 in most frames, and "step 51 of
    500" was drawn over the points."""
    from core.scenario import Scenario
    from ui import player

    spec, frames = player.player_chart(Scenario(**SMALL), False)
    units = list(walk(spec))
    lam = next(u for u in units if u.get("encoding", {}).get("y", {}).get("field") == "lam")
    assert lam["encoding"]["y"]["scale"]["type"] == "symlog"
    lams = [float(v) for f in frames for v in f["points"]["lam"]]
    small = sum(v < 0.2 * max(lams) for v in lams) / len(lams)
    assert small > 0.5                    # most λ are small next to the run's largest
    note = next(u for u in units if u.get("encoding", {}).get("text", {}).get("field")
                == "note")
    assert note["encoding"]["y"]["value"] < 0                      # above the plot area
