"""Session state: the only module that reads or writes ``st.session_state``
(docs/architecture.md §Layers).

What a session remembers is declared once, in ``SCHEMA`` (ui/state_schema.py): a name, a
type and a default per field. ``get(name)`` reads a field, ``put(name, value)`` checks the
value against its type and stores it; values are immutable (tuples, frozensets, read-only
mappings, named tuples, frozen dataclasses), so nothing handed out can be edited in place.
The functions below are the actions with rules (commit a scenario, add a removal, pick
points, keep a job...). The scenario, history, c, the sequential flag and the view also live
in the URL (``sync_url``), so a copied link reopens the same state in a new browser.

Keys in ``st.session_state`` are the field names prefixed with ``ux.``; widgets bound to a
field use ``widget_key(name)`` (it changes when a scenario is committed, so forms re-read).
"""
from types import MappingProxyType

import streamlit as st

from core.errors import InputError
from core.scenario import Scenario
from present import share
from ui.state_schema import SCHEMA, Notice, Player, SeenPick, Upload

PREFIX = "ux."
NONCE = "ux.plane_nonce"
PLANE_KEY = "ux.plane.{}"          # key of the selectable margin-lambda chart, by nonce
TABLE_NONCE = "ux.table_nonce"
TABLE_KEY = "ux.points.{}"          # key of the points table, by nonce


def get(name):
    """The value of field ``name`` (its default when never set)."""
    return st.session_state.get(PREFIX + name, SCHEMA[name].default)


def put(name, value):
    """Store field ``name``; lists become tuples, dicts read-only mappings, ints floats
    where the field is a float. Raises TypeError for a value of another type (a bug)."""
    field = SCHEMA[name]
    if isinstance(value, list):
        value = tuple(value)
    elif isinstance(value, dict):
        value = MappingProxyType(dict(value))
    elif field.kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, field.kind):
        raise TypeError(f"state field {name!r} takes {field.kind}, not {type(value)}")
    st.session_state[PREFIX + name] = value


# ------------------------------------------------------------------ session start and URL

def init():
    """Once per session: defaults, then the state of the link it was opened with.

    Returns a message when the link's parameters were invalid (the defaults are used).
    The session is complete with the defaults before the link is read, so a link that
    fails in any way leaves a working default session for every later rerun and page.
    """
    if get("ready"):
        return None
    _start(share.Shared(Scenario()), None)
    put("ready", True)
    params = {k: st.query_params[k] for k in st.query_params}
    if not params:
        return None
    try:
        shared = share.from_query(params)
    except InputError as err:
        return f"{err} The link's settings were ignored; showing the default demo."
    _start(shared, shared.history if "forget" in params else None)
    return None


def _start(shared_state, history):
    """The session's scenario, history (None: the default forget set), c, flag and view."""
    commit(shared_state.scenario, history)
    put("scale", float(shared_state.scale))
    put("sequential", bool(shared_state.sequential))
    put("view", shared_state.view)


def shared():
    """The shareable part of the state (``present.share.Shared``)."""
    return share.Shared(get("scenario"), get("history") or (), get("scale"),
                        get("sequential"), view=get("view"))


def sync_url():
    """Write the state into the URL (page switches drop query parameters)."""
    wanted = share.to_query(shared())
    wanted["forget"] = wanted.get("forget", "")
    current = {k: st.query_params[k] for k in st.query_params}
    if current != wanted:
        st.query_params.from_dict(wanted)


def load(shared_state):
    """Replace scenario, history, c and the sequential flag (a loaded file or the demo)."""
    commit(shared_state.scenario, shared_state.history)
    put("scale", float(shared_state.scale))
    put("sequential", bool(shared_state.sequential))


# ------------------------------------------------------------------ scenario and history

def commit(new_scenario, history=None):
    """Make ``new_scenario`` current with a history (None: the default forget set).

    Forms re-read their values from it and chart selections are cleared.
    """
    put("scenario", new_scenario)
    put("history", None if history is None else tuple(tuple(a) for a in history))
    put("draft", new_scenario.to_dict())
    put("step_points", None)
    put("token", get("token") + 1)
    clear_selection()


def forget():
    """The forget list: all removed points in order."""
    return tuple(i for action in (get("history") or ()) for i in action)


def set_history(actions):
    """Replace the removal actions."""
    put("history", tuple(tuple(int(i) for i in a) for a in actions))


def add_action(indices):
    """Append one removal action (indices not yet forgotten, in the given order)."""
    done = set(forget())
    new = tuple(int(i) for i in indices if int(i) not in done)
    if new:
        set_history((get("history") or ()) + (new,))
    return new


def undo():
    """Drop the last removal action."""
    set_history((get("history") or ())[:-1])


def reset():
    """Forget nothing."""
    set_history(())


def draft():
    """The Data & training form's fields (a new dict: edit and ``put`` it back)."""
    return dict(get("draft") or get("scenario").to_dict())


# ------------------------------------------------------------------ widgets bound to fields

def widget_key(name):
    """Key of the widget bound to ``name``; changes when a scenario is committed."""
    return f"{PREFIX}w.{name}.{get('token')}"


def store_widget(name, key):
    """on_change callback: copy the value of widget ``key`` into field ``name``."""
    put(name, st.session_state[key])


def widget_state(key):
    """The value Streamlit keeps for widget ``key`` (None before it was drawn)."""
    return st.session_state.get(key)


def set_widget_value(key, value):
    """Preset the value of widget ``key`` before it is drawn in this run (a widget that
    follows the state, like the player's scrubber during Play)."""
    st.session_state[key] = value


def once_per_upload(slot, file_id, handle):
    """Run ``handle()`` once per uploaded file in ``slot`` ("data" or "scenario"); keep its
    outcome for reruns. Returns (value, error, fresh): ``handle``'s value or the InputError
    it raised, and whether it ran on this call."""
    name = f"upload_{slot}"
    kept = get(name)
    if kept is not None and kept.file_id == file_id:
        return kept.value, kept.error, False
    try:
        kept = Upload(file_id, handle(), None)
    except InputError as err:
        kept = Upload(file_id, None, err)
    put(name, kept)
    return kept.value, kept.error, True


def notify(message, level="success"):
    """Keep a message ("success", "info" or "error") to show once on the next run."""
    put("notice", Notice(level, message))


def pop_notice():
    """The kept ``Notice``, or None; it is shown once."""
    notice = get("notice")
    put("notice", None)
    return notice


# ------------------------------------------------------------------ jobs (ui/jobs.py)

def job(slot):
    """The job of ``slot``, or None."""
    return get("jobs").get(slot)


def all_jobs():
    """Every job of the session (a tuple)."""
    return tuple(get("jobs").values())


def put_job(slot, value):
    """Keep ``value`` (a ui.job.Job) as the job of ``slot``."""
    put("jobs", {**get("jobs"), slot: value})


def pop_job(slot):
    """Remove and return the job of ``slot`` (None if there is none)."""
    jobs = dict(get("jobs"))
    found = jobs.pop(slot, None)
    put("jobs", jobs)
    return found


def confirm_work(key):
    """Remember that the user agreed to start the work ``key`` above the limits."""
    put("confirmed", get("confirmed") | {key})


def is_confirmed(key):
    return key in get("confirmed")


def mark_trained(key):
    """Remember that this session trained (or confirmed) the scenario of job key ``key``."""
    put("trained", get("trained") | {key})


def was_trained(key):
    return key in get("trained")


# ---- picking: the one selection of the plane, the points table and the index input ----
# A chart's selection cannot be set from Python, so a change made elsewhere gives the plane
# a new key and a seed (the selection it is drawn with); likewise for the table. The logic
# is in ui/points_table.py.

def plane_key():
    """Key of the selectable chart; a new key clears the selection in the browser."""
    return PLANE_KEY.format(get("plane_nonce"))


def table_key():
    """Key of the points table; a new key redraws its row selection from its seed."""
    return TABLE_KEY.format(get("table_nonce"))


def data_view_key():
    """Key of the selectable data view: new with every ``set_picked`` (it bumps the plane's
    or the table's nonce, or both), so it is redrawn with the new selection."""
    return f"{PREFIX}dataview.{get('plane_nonce')}.{get('table_nonce')}"


def clear_selection():
    """Pick nothing: new keys for the plane and the points table (``set_picked``)."""
    set_picked(())


def set_picked(indices, source=None):
    """Make ``indices`` the selection; redraw (new key, new seed) every view but ``source``
    ("plane" or "table"), which already shows it."""
    indices = tuple(int(i) for i in indices)
    put("pick", indices)
    if source != "plane":
        put("plane_nonce", get("plane_nonce") + 1)
        put("pick_plane_seed", indices)
    if source != "table":
        put("table_nonce", get("table_nonce") + 1)
        put("pick_table_seed", indices)


def set_seen_pick(view, key, indices):
    """Remember the selection taken from ``view`` ("plane", "table" or "data") with its key."""
    put(f"seen_{view}", SeenPick(key, tuple(indices)))


# ------------------------------------------------------------------ the training player

def player():
    """The player's state for the current scenario (a new scenario starts at frame 0)."""
    saved = get("player")
    if saved is None or saved.scenario != get("scenario"):
        return Player(get("scenario"), 0, False)
    return saved


def set_player(frame, playing):
    """Move the player to ``frame``; play or pause."""
    put("player", Player(get("scenario"), int(frame), bool(playing)))


# ------------------------------------------------------------------ uploads in use

def data_files():
    """The uploaded data files this session uses: its scenario's, its draft's and a
    checked upload not trained yet (paths relative to the app)."""
    scenario = get("scenario")
    files = {scenario.data_file if scenario else None, draft().get("data_file")}
    kept = get("upload_data")
    if kept is not None and isinstance(kept.value, tuple) and kept.value:
        files.add(kept.value[0])
    return {f for f in files if isinstance(f, str) and f}
