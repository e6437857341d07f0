"""Picking points on the Unlearn page: the margin-lambda plane, a points table and a
"forget by index" input, sharing one selection (``ui.state.picked``).

Mouse users click the plane (shift-click for several; the wheel zooms, a drag pans);
keyboard and touch users select rows of the table or type indices. A change made in one
view redraws the other with the new selection (a chart's selection cannot be set from
Python: the plane gets a new key and draws the selection as its initial value).
"""
import re
from functools import partial

import streamlit as st

from core.errors import InputError
from present import charts, frames
from ui import cached, state, widgets

TABLE_COLUMNS = {"index": "point", "label": "label", "margin": "margin q", "lam": "λ",
                 "support": "support", "forgotten": "forgotten"}
TABLE_HELP = ("Select rows (click, or focus the table and press space) to pick points; "
              "click a column title to sort.")


def table_frame(plane):
    """The points table: one row per point in index order (a row's position is its index)."""
    return plane.sort_values("index")[list(TABLE_COLUMNS)].rename(columns=TABLE_COLUMNS)


def parse_indices(text):
    """'15 18', '15, 18' or '15+18' -> (15, 18); InputError quoting the text otherwise."""
    parts = [p for p in re.split(r"[\s,;+]+", str(text).strip()) if p]
    if not parts or not all(p.isdigit() for p in parts):
        raise InputError(f"{str(text).strip()!r} is not a list of point indices: type numbers "
                         "like 15 18.")
    return tuple(dict.fromkeys(int(p) for p in parts))


def table_rows(value):
    """Row positions of a dataframe selection state; () for none or malformed states."""
    try:
        rows = value["selection"]["rows"]
    except (KeyError, TypeError, AttributeError):
        return ()
    return tuple(int(r) for r in rows) if isinstance(rows, (list, tuple)) else ()


# ------------------------------------------------------------------ selection sync

def _take_plane(key):
    """on_select of the plane: its selection becomes the selection."""
    indices = tuple(widgets.selected_indices(state.widget_state(key)))
    state.set_seen_pick("plane", key, indices)
    state.set_picked(indices, "plane")


def _take_table(key):
    """on_select of the points table: the selected rows become the selection."""
    rows = table_rows(state.widget_state(key))
    state.set_seen_pick("table", key, rows)
    state.set_picked(rows, "table")


def sync():
    """Take a view's selection that changed without its callback (AppTest injects widget
    states without calling callbacks). A view not taken from yet under its current key
    still shows its seed: its first state counts as unchanged when it is empty or the seed
    (the table reports its default selection, the plane nothing until it is clicked)."""
    for view, key, read, take, seed in (
            ("plane", state.plane_key(), widgets.selected_indices, _take_plane,
             state.get("pick_plane_seed")),
            ("table", state.table_key(), table_rows, _take_table, state.get("pick_table_seed"))):
        value = state.widget_state(key)
        if value is None:
            continue
        seen = state.get(f"seen_{view}")
        unchanged = [seen.indices] if seen and seen.key == key else [(), seed]
        if set(read(value)) not in [set(u) for u in unchanged]:
            take(key)


# ------------------------------------------------------------------ actions (callbacks)

def forget_points(points, source):
    """Forget ``points`` as one action (InputError -> a message; nothing forgotten);
    ``source`` is "selected" or "typed" (typed removals are confirmed by a message)."""
    try:
        cached.checked(state.get("scenario"), state.forget() + tuple(points))
    except InputError as err:
        state.notify(f"{err} Nothing was forgotten.", level="error")
        return
    state.add_action(points)
    state.clear_selection()
    if source == "typed":           # no chart change under the keyboard: say what happened
        state.notify(f"Forgot point{'s' if len(points) > 1 else ''} "
                     f"{', '.join(map(str, points))}.")


def _forget_typed():
    """on_click of the index form: forget the typed indices."""
    text = state.widget_state("ux.forget_index") or ""
    try:
        points = parse_indices(text)
    except InputError as err:
        state.notify(f"{err} Nothing was forgotten.", level="error")
        return
    done = [i for i in points if i in state.forget()]
    if done:
        state.notify(f"Point{'s' if len(done) > 1 else ''} {', '.join(map(str, done))} "
                     "already forgotten: nothing was forgotten.", level="error")
        return
    forget_points(points, "typed")


def _then_clear(action):
    action()
    state.clear_selection()


def _reset_view():
    """A new key for the plane only: the zoom resets, the selection stays."""
    state.set_picked(state.get("pick"), "table")


# ------------------------------------------------------------------ the panel

def action_buttons(forget):
    """Forget selected / Undo / Reset in a row (under the plane or the data view); returns
    the selected points not yet forgotten."""
    picked = [i for i in state.get("pick") if i not in forget]
    with st.container(horizontal=True, gap="small", vertical_alignment="center"):
        st.button(f"Forget selected ({len(picked)})", type="primary", disabled=not picked,
                  key="ux.forget", icon=":material/auto_fix_high:", on_click=forget_points,
                  args=(tuple(picked), "selected"))
        st.button("Undo", disabled=not forget, key="ux.undo", icon=":material/undo:",
                  on_click=_then_clear, args=(state.undo,))
        st.button("Reset", disabled=not forget, key="ux.reset", icon=":material/restart_alt:",
                  on_click=_then_clear, args=(state.reset,))
    return picked


def plane_and_buttons(prep, forget, presentation):
    """The selectable plane with Forget selected / Undo / Reset / Reset view under it."""
    sync()
    df = frames.plane_frame(prep, forget)
    plane = cached.spec(charts.margin_lambda_plane, df, presentation,
                        430 if presentation else 380, selected=state.get("pick_plane_seed"))
    key = state.plane_key()
    widgets.chart(plane, "margin-lambda plane", key=key, on_select=partial(_take_plane, key),
                  downloads=False, selection_mode=[charts.PICK])
    picked = action_buttons(forget)
    with st.container(horizontal=True, gap="small", vertical_alignment="center"):
        st.button("Reset view", key="ux.reset_view", icon=":material/zoom_out_map:",
                  type="tertiary", on_click=_reset_view, help="Zoom back out.")
        widgets.chart_downloads(plane, "margin-lambda plane")
    st.caption(f"**Selected:** {', '.join(map(str, picked)) or 'nothing'}. Click a point to "
               "select it, shift-click for several, double-click to clear; the wheel zooms, "
               "a drag pans. Or pick rows of the points table, or type indices below.")
    return df


def points_picker(df, height=250):
    """The points table (row selection kept in sync with the plane) and the index input."""
    key = state.table_key()
    seed = [int(i) for i in state.get("pick_table_seed")]
    st.dataframe(table_frame(df), key=key, on_select=partial(_take_table, key),
                 selection_mode="multi-row", hide_index=True, height=height,
                 selection_default={"selection": {"rows": seed, "columns": []}},
                 column_config={"margin q": st.column_config.NumberColumn(format="%.4f"),
                                "λ": st.column_config.NumberColumn(format="%.4f")})
    st.caption(TABLE_HELP)
    with st.form("ux.forget_form", clear_on_submit=True, border=False):
        left, right = st.columns([3, 1], vertical_alignment="bottom")
        left.text_input("Forget by index", key="ux.forget_index", placeholder="e.g. 15 18",
                        help="Point indices separated by spaces or commas; Enter forgets "
                             "them as one removal.")
        right.form_submit_button("Forget", on_click=_forget_typed, key="ux.forget_typed",
                                 icon=":material/keyboard:", width="stretch")

