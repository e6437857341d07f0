"""The data view in the app: the Unlearn page's view switch and selectable data view, and
the Data & training page's picture of the data and the trained model's boundary.

The data view is a third view of the one selection of ``ui.state.picked`` (with the
margin-lambda plane and the points table of ``ui.points_table``): a click here picks the
point there, and a pick made there redraws this chart with it (its key changes with every
``state.set_picked``). Which view is shown is kept in ``ui.state`` and in the URL (view=).
"""
from functools import partial

import streamlit as st

from present import export, frames
from present.data_view import with_selection
from present.share import VIEWS
from present.text import as_text
from ui import cached, points_table, session, state, uploads, widgets

VIEW_LABELS = dict(zip(VIEWS, ("Margin–λ plane", "Data view")))
SWITCH_KEY = "ux.view_switch"
HOW_TO_PICK = ("Click a point to select it (the nearest one is taken), shift-click for "
               "several, double-click to clear; then **Forget selected**.")


def _take_view(key):
    """on_change of the switch: show that view, drawn with the current selection."""
    chosen = state.widget_state(key)
    state.put("view", chosen if chosen in VIEWS else state.get("view"))
    state.set_picked(state.get("pick"))


def view_switch():
    """The segmented control "Margin–λ plane" / "Data view"; returns the view to show."""
    st.segmented_control("View", list(VIEWS), default=state.get("view"), key=SWITCH_KEY,
                         required=True, format_func=VIEW_LABELS.get,
                         label_visibility="collapsed", on_change=_take_view,
                         args=(SWITCH_KEY,))
    return state.get("view")


def _take_pick(key, forget):
    """on_select of the data view: its selection (live points only) becomes the selection."""
    indices = tuple(i for i in widgets.selected_indices(state.widget_state(key))
                    if i not in forget)
    state.set_seen_pick("data", key, indices)
    state.set_picked(indices, "data")


def _sync(key, forget):
    """Take a selection that arrived without the callback (AppTest injects widget states)."""
    value = state.widget_state(key)
    if value is None:
        return
    seen = state.get("seen_data")
    before = seen.indices if seen and seen.key == key else ()
    if tuple(i for i in widgets.selected_indices(value) if i not in forget) != before:
        _take_pick(key, forget)


def downloads(spec, lines, name):
    """PNG, SVG and (when there are boundaries) CSV of the contour lines."""
    with st.container(horizontal=True, gap="small", vertical_alignment="center"):
        widgets.chart_downloads(spec, name)
        if len(lines):
            stem = export.file_stem(f"{name} boundaries")
            st.download_button("CSV", data=lambda: export.csv_bytes(lines),
                               file_name=f"{stem}.csv", mime="text/csv", on_click="ignore",
                               key=f"ux.dl.{stem}.csv", type="tertiary",
                               icon=":material/download:",
                               help="The decision boundaries' contour lines (one row a vertex)")


def unlearn_panel(prep, forget, presentation):
    """The selectable data view with Forget selected / Undo / Reset under it; returns the
    plane frame the points table shows (as ``points_table.plane_and_buttons`` does)."""
    points_table.sync()
    key = state.data_view_key()
    _sync(key, forget)
    key = state.data_view_key()                # a pick taken just now gives a new key
    sc = state.get("scenario")
    if forget:
        session.current_comparison()
    spec, lines, caption = cached.data_view(sc, forget, state.get("scale"), state.get("sequential"),
                                            presentation)
    widgets.chart(with_selection(spec, [i for i in state.get("pick") if i not in forget]),
                  "data view", key=key, on_select=partial(_take_pick, key, forget),
                  downloads=False)
    points_table.action_buttons(forget)
    downloads(spec, lines, "data view")
    st.caption(f"{caption} {HOW_TO_PICK}")
    return frames.plane_frame(prep, forget)


def trained_view(prep, presentation):
    """Data & training: the points and the trained model's decision boundary (2-D) or the
    projection on PC1 and the mean gradient; forgotten points marked."""
    spec, lines, caption = cached.data_view(state.get("scenario"), state.forget(),
                                            presentation=presentation, methods=False,
                                            title="The training data and the trained model")
    widgets.chart(spec, "data view", downloads=False)
    downloads(spec, lines, "data view")
    name = uploads.display_name(prep.scenario.data_file, prep.dataset.name)
    return f"Data: {as_text(name)}. {caption}"


@st.fragment
def picking_panel(prep, forget, view, presentation):
    """The left of the Unlearn page: the view switch, the plane or the data view with the
    action buttons, the points table and the index input, as a fragment: picking points
    reruns this panel only (``forget`` and ``view`` are those of the last full run). An
    action that changed what the rest of the page shows (a removal, Undo, Reset, another
    view) reruns the whole app."""
    if state.forget() != forget or state.get("view") != view:
        st.rerun(scope="app")
    if view_switch() == "data":
        plane = unlearn_panel(prep, forget, presentation)
    else:
        plane = points_table.plane_and_buttons(prep, forget, presentation)
    points_table.points_picker(plane)
