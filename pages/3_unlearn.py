"""Unlearn (the centrepiece): click points of the margin-lambda plane or of the data view,
forget them, and compare one GA step with doing nothing, retraining and (linear) the exact
solution."""
import streamlit as st

from core.registry import label
from present import charts, frames, methods_view
from present.text import number_formats, plane_summary, verdict
from ui import cached, data_panel, evidence_panel, history, jobs, session, state, widgets

session.page_header("Unlearn with one gradient-ascent step")
prep = session.require_prepared()
sc, forget, pres = state.get("scenario"), state.forget(), state.get("presentation")

left, right = st.columns([1.1, 1], gap="medium")
with left:
    data_panel.picking_panel(prep, forget, state.get("view"), pres)

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
        st.info("Click a point of the plane (shift-click for several), pick rows of the "
                "points table or type indices, then press **Forget selected**.",
                icon=":material/touch_app:")
        st.stop()
    comp = session.current_comparison()
    methods = cached.card_methods(sc, forget, state.get("scale"), state.get("sequential"),
                                  widgets.method_picker(sc.model))
    floor = evidence_panel.card_floor(sc, forget, comp)
    if floor is not None:                  # each card's verdict against retraining's floor
        methods = methods_view.floor_columns(methods, floor)
    widgets.method_cards(methods, has_test=prep.dataset.has_test)
    widgets.certificate_notes({label(res.name): res.certificate
                               for res in comp.methods.values()})
    level, sentence = verdict(methods, state.get("scale"), prep.original.lam[list(forget)],
                              prep.gauge.regime)
    {"success": st.success, "info": st.info, "warning": st.warning}[level](sentence)

after, hist = st.columns([1.1, 1], gap="medium")
with after:
    widgets.chart(cached.spec(charts.plane_after, frames.after_frame(comp), pres,
                              subtitle=plane_summary(frames.forgotten_frame(comp))),
                  "plane after forgetting")
with hist:
    st.markdown("**History of removals**")
    steps = (state.get("history"), state.get("scale"), state.get("sequential"))
    removals = jobs.result("history", cached.key_of(sc, *steps),
                           lambda progress: history.history_table(sc, *steps, _progress=progress),
                           "Measuring each removal", history.history_cost(sc, *steps),
                           stop=False)
    if removals is not None:
        widgets.table(removals, "history of removals", hide_index=True,
                      column_config={c: st.column_config.NumberColumn(format="%.3g") for c in
                                     ("GA ε_rel", "nothing ε_rel", "GA τ")}
                      | {"GA cos": st.column_config.NumberColumn(
                          format="%.4f", help="GA's cosine to retraining")})

with st.expander("Every number of the methods (full precision; CSV)"):
    table = methods.reset_index()
    widgets.table(table, "methods", hide_index=True, titles={"label": "method"},
                  column_config={"method": None} | {
                      c: st.column_config.NumberColumn(format=f)
                      for c, f in number_formats(table).items()})
