"""Sharing a state: URL query parameters and the "Download scenario" JSON (pure, no Streamlit).

A shared state is a validated ``Scenario``, the removal history (a tuple of actions, each a
tuple of point indices, in order), the GA multiplier c and the sequential flag. The URL
carries the scenario fields that differ from the defaults of its data (a preset sets some,
a 2-D toy sets dim=2, so ``?data=xor`` is a whole link), ``forget=15+18,34`` (the removal
actions in order, ``history_to_text``) and ``c`` / ``seq``
when not default, and ``view=data`` when the Unlearn page shows the data view; the JSON
carries everything but the view. Floats are written with ``repr``, so both
round-trip bit for bit.
"""
import json
import re
from dataclasses import dataclass, fields

from core.errors import InputError
from core.scenario import Scenario
from core.validate import (
    MAX_DIGITS,
    check_indices,
    check_scale,
    parse_float,
    parse_int,
    parse_int_list,
)

FORMAT = "unlearning-explorer/scenario"
VIEWS = ("plane", "data")           # the Unlearn page: margin-lambda plane or data view
VERSION = 1
OPTIONAL_TYPES = {"steps": int, "active_tol": float, "data_file": str, "classes": tuple,
                  "dim": int, "preprocess": str, "lift": int,
                  "lift_kind": str, "bandwidth": float}
FIELD_TYPES = {f.name: OPTIONAL_TYPES.get(f.name, type(f.default)) for f in fields(Scenario)}
FLAGS = {"1": True, "true": True, "0": False, "false": False}
_INDEX = re.compile(rf"[0-9]{{1,{MAX_DIGITS}}}")


@dataclass(frozen=True)
class Shared:
    """Everything a link or a scenario file restores."""

    scenario: Scenario
    history: tuple = ()
    scale: float = 1.0
    sequential: bool = False
    view: str = "plane"             # the Unlearn page's view (VIEWS); only in the URL

    @property
    def forget(self):
        """The forget list: every action's points, in removal order."""
        return tuple(i for action in self.history for i in action)


def _text(value):
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return repr(float(value)) if isinstance(value, float) else str(value)


def _parse(name, text, kind):
    what = f"The link's {name}"
    if kind is tuple:
        return parse_int_list(text, what)
    if kind is float:
        return parse_float(text, what)
    return parse_int(text, what) if kind is int else str(text)


def _flag(params, name):
    """A link's on/off value: 1/true or 0/false (absent: off)."""
    text = str(params.get(name, "0")).strip().lower()
    if text not in FLAGS:
        raise InputError(f"The link's {name}={text[:40]!r} must be 1 (on) or 0 (off).")
    return FLAGS[text]


def history_to_text(history):
    """The link's ``forget`` value: actions separated by ',', an action's points by '+'
    (((15, 18), (34,)) -> '15+18,34')."""
    return ",".join("+".join(str(i) for i in action) for action in history)


def history_from_text(text):
    """The history of a link's ``forget`` value ('15+18,34' -> ((15, 18), (34,))).

    A '+' may arrive decoded as a space; the flat form '3,8' of older links gives one
    action per point. Raises InputError quoting the value.
    """
    groups = [g.replace("+", " ").split() for g in str(text).split(",")]
    groups = [g for g in groups if g]
    # ASCII digits only: str.isdigit() also holds for '²' and '፪', which int() refuses
    if not all(_INDEX.fullmatch(p) for g in groups for p in g):
        raise InputError(f"The link's forget={str(text)[:40]!r} must be point indices like "
                         "3,8 (or 15+18,34 for removals made together).")
    history = tuple(tuple(int(p) for p in g) for g in groups)
    check_indices(i for action in history for i in action)
    return history


# dropped first when they follow from the others (a preset's defaults, a lift of 0)
DERIVED_FIELDS = ("bandwidth", "lift_kind", "lift", "preprocess", "dim")


def scenario_fields(scenario):
    """The fewest fields that give back ``scenario`` through ``Scenario(**fields)``: those
    that differ from the defaults, without the ones its data or its other fields imply."""
    base = Scenario()
    out = {f: getattr(scenario, f) for f in FIELD_TYPES
           if f in DERIVED_FIELDS or getattr(scenario, f) != getattr(base, f)}
    for name in DERIVED_FIELDS:
        if name in out:
            rest = {k: v for k, v in out.items() if k != name}
            if Scenario(**rest) == scenario:
                out = rest
    return out


def to_query(shared):
    """Query parameters (str -> str) of a shared state: only what differs from the defaults
    of its data (a preset's, ``core.scenario.data_defaults``; dim is left out where the
    data fix it: 2-D toys, presets and files)."""
    out = {f: _text(v) for f, v in scenario_fields(shared.scenario).items()}
    if shared.forget:
        out["forget"] = history_to_text(shared.history)
    if shared.scale != 1.0:
        out["c"] = _text(shared.scale)
    if shared.sequential:
        out["seq"] = "1"
    if shared.view != VIEWS[0]:
        out["view"] = shared.view
    return out


def _view(params):
    """The link's view= (the Unlearn page's margin-lambda plane or data view)."""
    view = params.get("view", VIEWS[0])
    if view not in VIEWS:
        raise InputError(f"The link's view={view!r} must be one of {', '.join(VIEWS)}.")
    return view


def from_query(params):
    """Shared state from query parameters (a mapping of str to str); unknown keys are ignored.

    ``forget`` holds the history (``history_from_text``).
    Raises InputError naming the bad parameter.
    """
    values = {k: _parse(k, params[k], FIELD_TYPES[k]) for k in FIELD_TYPES if k in params}
    scenario = Scenario.from_dict(values)
    history = history_from_text(params.get("forget", ""))
    scale = check_scale(_parse("c", params["c"], float)) if "c" in params else 1.0
    return Shared(scenario, history, scale, _flag(params, "seq"), _view(params))


def to_json(shared):
    """The "Download scenario" file: scenario, history, c and the sequential flag."""
    return json.dumps({"format": FORMAT, "version": VERSION,
                       "scenario": shared.scenario.to_dict(),
                       "forget": list(shared.forget),
                       "history": [list(a) for a in shared.history],
                       "scale": float(shared.scale), "sequential": bool(shared.sequential)},
                      indent=2)


def from_json(text):
    """Shared state from a scenario file written by ``to_json`` (or just a scenario dict).

    Raises InputError when the file is not such JSON or a value is invalid.
    """
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as err:     # JSONDecodeError, bad bytes, 5000 digits
        reason = str(err).splitlines()[0][:80] if str(err) else type(err).__name__
        raise InputError(f"The scenario file is not valid JSON ({reason}): use a file from "
                         "'Download scenario'.") from None
    if not isinstance(data, dict):
        raise InputError("The scenario file must hold a JSON object: use a file from "
                         "'Download scenario'.")
    if data.get("format", FORMAT) != FORMAT:
        raise InputError(f"The file's format is {str(data.get('format'))[:40]!r}, "
                         f"not {FORMAT!r}.")
    scenario = Scenario.from_dict(data.get("scenario", {}))
    history = data.get("history")
    if history is None:
        forget = data.get("forget", [])
        history = [[i] for i in forget] if isinstance(forget, list) else forget
    if not isinstance(history, list) or not all(isinstance(a, list) for a in history):
        raise InputError("The file's history must be a list of lists of point indices, "
                         "like [[15, 18], [34]].")
    history = tuple(tuple(action) for action in history)
    check_indices(i for action in history for i in action)     # integers, none twice
    scale = check_scale(data.get("scale", 1.0))
    sequential = data.get("sequential", False)
    if not isinstance(sequential, bool):
        raise InputError(f"The file's sequential must be true or false, not "
                         f"{str(sequential)[:40]!r}.")
    return Shared(scenario, history, scale, sequential)
