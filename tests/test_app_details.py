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
