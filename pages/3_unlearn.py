"""Unlearn (the centrepiece): click points of the margin-lambda plane, forget them, and
compare one GA step with doing nothing, retraining and (linear) the exact solution."""
import streamlit as st

from core.errors import InputError
from core.report import METHOD_LABELS, methods_frame
from ui import cached, charts, frames, state, widgets
from ui.text import plane_summary, verdict


def forget_picked(picked):
    """Button callback: forget the selected points, so the page then runs only once."""
    try:
        cached.checked(state.scenario(), state.forget() + picked)
    except InputError as err:
        state.notify(f"{err} Nothing was forgotten.", level="error")
        return
    state.add_action(picked)
    state.clear_selection()


def then_clear_selection(action):
    """Button callback: undo or reset, and drop the chart's selection."""
    action()
    state.clear_selection()


widgets.page_header("Unlearn with one gradient-ascent step")
prep = widgets.require_prepared()
sc, forget, pres = state.scenario(), state.forget(), state.presentation()

left, right = st.columns([1.1, 1], gap="medium")
with left:
    plane = charts.margin_lambda_plane(frames.plane_frame(prep, forget), pres, 430 if pres else 380)
    event = widgets.chart(plane, "margin-lambda plane", key=state.plane_key(), on_select="rerun",
                          downloads=False)
    picked = [i for i in widgets.selected_indices(event) if i not in forget]
    with st.container(horizontal=True, gap="small", vertical_alignment="center"):
        st.button(f"Forget selected ({len(picked)})", type="primary", disabled=not picked,
                  key="ux.forget", icon=":material/auto_fix_high:", on_click=forget_picked,
                  args=(tuple(picked),))
        st.button("Undo", disabled=not forget, key="ux.undo", icon=":material/undo:",
                  on_click=then_clear_selection, args=(state.undo,))
        st.button("Reset", disabled=not forget, key="ux.reset", icon=":material/restart_alt:",
                  on_click=then_clear_selection, args=(state.reset,))
        widgets.chart_downloads(plane, "margin-lambda plane")
    st.caption("Click a point to select it, shift-click for several, double-click to clear; "
               "then **Forget selected**.")

with right:
    c1, c2 = st.columns([2, 1], vertical_alignment="bottom")
    with c1:
        widgets.bound_slider("scale", "step size multiplier c (1 = the theory step)", 0.0, 2.0,
                             0.05, help="θ⁻ = θ̂ − c Σ_l λ_l y_l ∇N(θ̂; x_l)")
    with c2:
        widgets.bound_toggle("sequential", "sequential",
                             help="Re-certify on the current retained set before each point's "
                                  "step (sequential forgetting).")
    if not forget:
        st.info("Click a point of the plane (shift-click for several), then press "
                "**Forget selected**.", icon=":material/touch_app:")
        st.stop()
    comp = widgets.current_comparison()
    methods = methods_frame(comp).set_index("method")
    widgets.method_cards(methods, has_test=prep.dataset.has_test)
    widgets.certificate_notes({METHOD_LABELS[res.name]: res.certificate
                               for res in comp.methods.values()})
    level, sentence = verdict(methods, state.scale(), prep.original.lam[list(forget)])
    {"success": st.success, "info": st.info, "warning": st.warning}[level](sentence)

after, hist = st.columns([1.1, 1], gap="medium")
with after:
    widgets.chart(charts.plane_after(frames.after_frame(comp), pres,
                                     subtitle=plane_summary(frames.forgotten_frame(comp))),
                  "plane after forgetting")
with hist:
    st.markdown("**History of removals**")
    with st.spinner("Measuring each removal..."):
        history = cached.history_table(sc, state.history(), state.scale(), state.sequential())
    widgets.table(history, "history of removals", hide_index=True,
                  column_config={c: st.column_config.NumberColumn(format="%.3g") for c in
                                 ("GA ε_rel", "nothing ε_rel", "GA τ")}
                  | {"GA cos": st.column_config.NumberColumn(format="%.4f",
                                                             help="GA's cosine to retraining")})
    numeric = methods.select_dtypes("number").columns
    widgets.table(methods.reset_index(), "methods", hide_index=True,
                  column_config={c: st.column_config.NumberColumn(format="%.4g") for c in numeric})
