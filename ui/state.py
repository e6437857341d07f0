"""Session state: the only module that reads or writes ``st.session_state``
(docs/architecture.md §Layers).

What a session remembers: the committed ``Scenario``, the removal history (a tuple of
actions, each a tuple of point indices; ``None`` until the default forget set is chosen),
the GA multiplier c and the sequential flag, the presentation toggle, the draft of the
Data & training form, and a few widget bookkeeping values. Everything here survives page
switches; the scenario and history also live in the URL (``sync_url``), so a copied link
reopens the same state in a new browser.

Keys are prefixed with ``ux.``; other modules append their own section at the end.
"""
import streamlit as st

from core.errors import InputError
from core.scenario import Scenario
from present import share

PREFIX = "ux."
NONCE = "ux.plane_nonce"
PLANE_KEY = "ux.plane.{}"          # key of the selectable margin-lambda chart, by nonce


def _get(name, default=None):
    return st.session_state.get(PREFIX + name, default)


def _set(name, value):
    st.session_state[PREFIX + name] = value


# ------------------------------------------------------------------ session start and URL

def init():
    """Once per session: defaults, then the state of the link it was opened with.

    Returns a message when the link's parameters were invalid (the defaults are used).
    The session is complete with the defaults before the link is read, so a link that
    fails in any way leaves a working default session for every later rerun and page.
    """
    if _get("ready"):
        return None
    _set("token", 0)
    st.session_state[NONCE] = 0
    _start(share.Shared(Scenario()), None)
    _set("ready", True)
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
    _set("scale", shared_state.scale)
    _set("sequential", shared_state.sequential)
    _set("view", shared_state.view)


def shared():
    """The shareable part of the state (``present.share.Shared``)."""
    return share.Shared(scenario(), history() or (), scale(), sequential(), view=view())


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
    _set("scale", float(shared_state.scale))
    _set("sequential", bool(shared_state.sequential))


# ------------------------------------------------------------------ scenario and history

def scenario():
    """The committed (trained) scenario."""
    return _get("scenario")


def commit(new_scenario, history=None):
    """Make ``new_scenario`` current with a history (None: the default forget set).

    Forms re-read their values from it and chart selections are cleared.
    """
    _set("scenario", new_scenario)
    _set("history", None if history is None else tuple(tuple(a) for a in history))
    _set("draft", new_scenario.to_dict())
    _set("step_points", None)
    _set("token", _get("token", 0) + 1)
    clear_selection()


def history():
    """Tuple of removal actions (tuples of indices), or None before the default is chosen."""
    return _get("history")


def forget():
    """The forget list: all removed points in order."""
    return tuple(i for action in (history() or ()) for i in action)


def set_history(actions):
    _set("history", tuple(tuple(int(i) for i in a) for a in actions))


def add_action(indices):
    """Append one removal action (indices not yet forgotten, in the given order)."""
    done = set(forget())
    new = tuple(int(i) for i in indices if int(i) not in done)
    if new:
        set_history((history() or ()) + (new,))
    return new


def undo():
    """Drop the last removal action."""
    set_history((history() or ())[:-1])


def reset():
    """Forget nothing."""
    set_history(())


# ------------------------------------------------------------------ settings bound to widgets

def scale():
    return float(_get("scale", 1.0))


def sequential():
    return bool(_get("sequential", False))


def presentation():
    return bool(_get("presentation", False))


def step_points():
    """Points chosen on the Step size page (None: the forget list)."""
    return _get("step_points")


def widget_key(name):
    """Key of the widget bound to setting ``name``; changes when a scenario is committed."""
    return f"{PREFIX}w.{name}.{_get('token', 0)}"


def store_widget(name, key):
    """on_change callback: copy the value of widget ``key`` into setting ``name``."""
    _set(name, st.session_state[key])


def draft():
    """Scenario fields being edited on Data & training (a dict)."""
    return dict(_get("draft") or scenario().to_dict())


def set_draft(values):
    _set("draft", dict(values))


# ------------------------------------------------------------------ chart selection, uploads

def plane_key():
    """Key of the selectable chart; a new key clears the selection in the browser."""
    return PLANE_KEY.format(st.session_state.get(NONCE, 0))


def clear_selection():
    """Pick nothing: new keys for the plane and the points table (``set_picked``)."""
    set_picked(())


def once_per_upload(slot, file_id, handle):
    """Run ``handle()`` once per uploaded file in ``slot``; keep its outcome for reruns.

    Returns (result, error, fresh): ``handle``'s value or the InputError it raised, and
    whether it ran on this call.
    """
    kept = _get(f"upload.{slot}")
    if kept is not None and kept[0] == file_id:
        return kept[1], kept[2], False
    try:
        kept = (file_id, handle(), None)
    except InputError as err:
        kept = (file_id, None, err)
    _set(f"upload.{slot}", kept)
    return kept[1], kept[2], True


def notify(message, level="success"):
    """Keep a message ("success" or "error") to show once on the next run."""
    _set("notice", (level, message))


def pop_notice():
    """(level, message) of the kept message, or None; it is shown once."""
    notice = _get("notice")
    _set("notice", None)
    return notice


# ---- sweeps: Scaling and Generalization pages ----
# The last result of each page (a core.sweeps.run.SweepResult, or a generalization run as
# (settings dict, curve DataFrame, failure messages)), kept across page switches.

def sweep_result():
    """The Scaling page's last ``core.sweeps.run.SweepResult`` (None before the first run)."""
    return _get("sweeps.scaling")


def set_sweep_result(result):
    _set("sweeps.scaling", result)


def curve_result():
    """The Generalization page's last run: (settings, curve frame, failures) or None."""
    return _get("sweeps.generalization")


def set_curve_result(settings, curve, failures=()):
    _set("sweeps.generalization", (dict(settings), curve, tuple(failures)))


# ---- jobs: long work running in the background (ui/jobs.py) ----
# One ui.jobs.Job per slot ("train", "compare", ...), mutated in place by ui.jobs; kept
# across reruns and page switches, dropped with the session.

def jobs():
    """The session's background jobs by slot (a dict that ui.jobs updates)."""
    if PREFIX + "jobs" not in st.session_state:
        st.session_state[PREFIX + "jobs"] = {}
    return st.session_state[PREFIX + "jobs"]


def confirmed_work():
    """Keys of the work the user agreed to start above the time limit (a set)."""
    if PREFIX + "confirmed" not in st.session_state:
        st.session_state[PREFIX + "confirmed"] = set()
    return st.session_state[PREFIX + "confirmed"]


# ---- picking: the one selection of the plane, the points table and the index input ----
# The canonical selection lives here. A chart's selection cannot be set from Python, so a
# change made elsewhere gives the plane a new key and a seed (the selection it is drawn
# with); likewise for the table. The logic is in ui/points_table.py.

TABLE_NONCE = "ux.points_nonce"
TABLE_KEY = "ux.points.{}"          # key of the points table, by nonce


def picked():
    """The selected point indices (in picking order)."""
    return tuple(_get("pick", ()))


def set_picked(indices, source=None):
    """Make ``indices`` the selection; redraw (new key, new seed) every view but ``source``
    ("plane" or "table"), which already shows it."""
    indices = tuple(int(i) for i in indices)
    _set("pick", indices)
    if source != "plane":
        st.session_state[NONCE] = st.session_state.get(NONCE, 0) + 1
        _set("pick.plane_seed", indices)
    if source != "table":
        st.session_state[TABLE_NONCE] = st.session_state.get(TABLE_NONCE, 0) + 1
        _set("pick.table_seed", indices)


def plane_seed():
    """The selection the plane's current key was drawn with."""
    return tuple(_get("pick.plane_seed", ()))


def table_seed():
    """The selection the points table's current key was drawn with."""
    return tuple(_get("pick.table_seed", ()))


def table_key():
    """Key of the points table; a new key redraws its row selection from ``table_seed``."""
    return TABLE_KEY.format(st.session_state.get(TABLE_NONCE, 0))


def widget_state(key):
    """The value Streamlit keeps for widget ``key`` (None before it was drawn)."""
    return st.session_state.get(key)


def seen_pick(view):
    """(key, indices) of the last selection taken from ``view`` ("plane" or "table")."""
    return _get(f"pick.seen.{view}")


def set_seen_pick(view, key, indices):
    _set(f"pick.seen.{view}", (key, tuple(indices)))


# ------------------------------------------------------------------ training player

def _player():
    """(scenario it belongs to, frame, playing); a new scenario starts at frame 0."""
    saved = _get("player")
    if not saved or saved[0] != scenario():
        return (scenario(), 0, False)
    return saved


def player_frame():
    """The player's current frame (0-based)."""
    return _player()[1]


def player_playing():
    """Whether the player advances by itself."""
    return _player()[2]


def set_player(frame, playing):
    """Move the player to ``frame``; play or pause."""
    _set("player", (scenario(), int(frame), bool(playing)))


def trained():
    """Job keys (``ui.cached.key_of``) of the scenarios this session trained or confirmed."""
    if PREFIX + "trained" not in st.session_state:
        st.session_state[PREFIX + "trained"] = set()
    return st.session_state[PREFIX + "trained"]


# ---- data view: which view the Unlearn page shows (URL view=), the data view's key ----
# The data view is a third view of the selection of ``picked`` (see the picking section):
# its key changes with every ``set_picked`` (which bumps the plane's or the table's nonce,
# or both), so it is redrawn with the new selection as its seed.

def view():
    """The Unlearn page's view: "plane" (margin-lambda) or "data" (``present.share.VIEWS``)."""
    return _get("view") or share.VIEWS[0]


def set_view(name):
    _set("view", name if name in share.VIEWS else share.VIEWS[0])


def data_view_key():
    """Key of the selectable data view; a new key redraws it from ``picked``."""
    return (f"{PREFIX}dataview.{st.session_state.get(NONCE, 0)}."
            f"{st.session_state.get(TABLE_NONCE, 0)}")


# ---- methods: the Methods page and the Unlearn page's method picker (issue 8) ----
# The methods chosen on the Methods page (a tuple of core.registry names), their
# hyperparameters ({method: {name: value}}), the audit toggle and K, and the extra baselines
# shown as cards on the Unlearn page.

def page_methods(default):
    """Methods chosen on the Methods page (``default`` until the user picks)."""
    return tuple(_get("methods.page", default))


def method_params():
    """{method: {hyperparameter: value}} set on the Methods page."""
    return dict(_get("methods.params") or {})


def set_method_params(params):
    _set("methods.params", {k: dict(v) for k, v in params.items() if v})


def mia_settings():
    """(audit on, K shadow pairs) of the Methods page."""
    return bool(_get("methods.mia", False)), int(_get("methods.shadows", 16))


def set_mia_settings(on, shadows):
    _set("methods.mia", bool(on))
    _set("methods.shadows", int(shadows))


def card_methods():
    """Extra baselines shown as cards on the Unlearn page (GA and the references always)."""
    return tuple(_get("methods.cards", ()))


# ---- uploads in use (ui/uploads.py deletes the others) ----

def data_files():
    """The uploaded data files this session uses: its scenario's, its draft's and a
    checked upload not trained yet (paths relative to the app)."""
    files = {scenario().data_file if scenario() else None, draft().get("data_file")}
    kept = _get("upload.data")
    if kept is not None and isinstance(kept[1], tuple) and kept[1]:
        files.add(kept[1][0])
    return {f for f in files if isinstance(f, str) and f}


def set_widget_value(key, value):
    """Preset the value of widget ``key`` before it is drawn in this run (a widget that
    follows the state, like the player's scrubber during Play)."""
    st.session_state[key] = value
