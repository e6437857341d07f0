"""KKT inspector: the certificate point by point and neuron by neuron, before and after
the GA step."""
import streamlit as st

from core.errors import InputError
from present import charts, frames
from present.text import fmt
from ui import cached, forms, session, state, widgets

session.page_header("KKT inspector")
prep = session.require_prepared()
sc, forget, pres = state.get("scenario"), state.forget(), state.get("presentation")
if not forget:
    st.info("Nothing is forgotten yet: the tables show the trained model only. "
            "Forget points on the Unlearn page to see what the step changes.",
            icon=":material/touch_app:")
    st.page_link(session.PAGES["unlearn"], label="Go to Unlearn", icon=":material/arrow_forward:")
    st.stop()

comp = session.current_comparison("Certifying...")
ga = comp.methods["ga"].certificate

top = st.columns([1, 1, 1, 1, 2.2], vertical_alignment="bottom")
top[0].metric("forgotten", ", ".join(map(str, forget)))
top[1].metric("kink pairs before", f"{prep.original.n_kink_pairs}")
top[2].metric("kink pairs after GA", f"{ga.n_kink_pairs}")
top[3].metric("ε_rel after GA", fmt(ga.eps_rel))
with top[4]:
    kappa = st.slider("kink band κ (re-certifies)", 0.0, 0.2, sc.kink_tol, 0.005,
                      key=state.widget_key("kappa"), help=forms.KAPPA_HELP)
    if kappa != sc.kink_tol:
        try:       # a background job (ui.jobs), committed when it ends
            new, history = sc.replace(kink_tol=kappa), state.get("history")
            session.train_then(new, "Re-certifying with the new κ",
                               lambda prep: state.commit(new, history))
        except InputError as err:
            widgets.show_error(err, "κ is unchanged.")

if prep.ctx.is_relu:
    acts = frames.activation_frame(comp)
    flipped = int(acts["flipped"].sum())
    st.caption(f"Each cell is a neuron-point pair (j, i): active (σ' = 1), in the kink band "
               f"(|cos(w_j, x_i)| ≤ κ = {sc.kink_tol:g}) or inactive. The GA step switched "
               f"{flipped} of {len(acts)} pairs (red: on, purple: off); a dashed line marks "
               "the column of each forgotten point in both maps.")
    widgets.chart(cached.spec(charts.activation_maps, acts, pres), "activation maps")
else:
    st.info("The linear model has no neurons: activation maps are for the two-layer ReLU net.")

table, resid = st.columns([1.2, 1], gap="medium")
with table:
    st.markdown("**Per point: the trained model and after one GA step**")
    widgets.table(frames.point_table(comp), "kkt per point", hide_index=True, height=360,
                  column_config={c: st.column_config.NumberColumn(format="%.4f") for c in
                                 ("margin", "lam", "margin_after_ga", "lam_after_ga")})
with resid:
    widgets.chart(cached.spec(charts.residuals, frames.residual_frame(comp), pres),
                  "residual per neuron")
