"""Methods: every unlearning method's quality against its cost on the current forget list,
and a LiRA-style membership audit of the forgotten point (docs/theory.md §3.7)."""
import streamlit as st

from core import registry
from core.compare import default_forget
from core.errors import InputError
from present import methods_view
from present.palette import label
from ui import cached, evidence_panel, jobs, session, state, widgets

SHADOW_CHOICES = (4, 8, 16, 32, 64)

session.page_header("Methods: quality against cost, and a membership audit")
prep = session.require_prepared()
sc, pres = state.get("scenario"), state.get("presentation")
forget = tuple(state.forget() or default_forget(prep))
usable = list(registry.names(sc.model))
st.caption(f"Forgetting {', '.join(f'#{i}' for i in forget)} (the Unlearn page's forget "
           "list). Every method starts from the certified model θ̂ (min margin 1) and is "
           "certified on R without rescaling; cost counts per-sample gradient evaluations.")

key = state.widget_key("method_page")
chosen = st.multiselect("methods", usable, format_func=label, key=key,
                        default=[m for m in state.get("method_page") or usable if m in usable],
                        on_change=state.store_widget, args=("method_page", key))
if not chosen:
    st.info("Choose at least one method.", icon=":material/touch_app:")
    st.stop()
chosen = registry.ordered(chosen)
params = widgets.method_params_editor(chosen)
params_json = cached.params_key({m: p for m, p in params.items() if m in chosen})

try:       # a job like every other (ui.jobs): progress and Cancel in the status bar
    comp = jobs.result(
        "methods", cached.key_of(sc, forget, list(chosen), params_json),
        lambda progress: cached.methods_comparison(sc, forget, chosen, params_json,
                                                   _progress=progress),
        "Running and certifying the methods", cached.cost(sc, certificates=len(chosen)))
except InputError as err:
    widgets.show_error(err, "Change the hyperparameters or the methods.")
    st.stop()

quality = st.container()              # drawn after the evidence, which gives its floor band
found = evidence_panel.show(sc, forget, comp, params_json, pres)
with quality:
    frame = methods_view.quality_frame(comp, found.floor if found else None)
    if frame["grad_evals"].notna().any():       # exact alone has no gradient count
        widgets.chart(cached.spec(methods_view.quality_cost_chart, frame, pres),
                      "methods quality against cost")
    shown = frame.drop(columns=[c for c in frame if c == "method" or "_floor_" in c])
    widgets.table(shown, "methods quality and cost", hide_index=True,
                  column_config={c: st.column_config.NumberColumn(format="%.4g")
                                 for c in shown.select_dtypes("number").columns})

st.markdown("#### Membership audit (LiRA-style shadows)")
toggle, size = st.columns([1, 3], vertical_alignment="bottom")
mia_on = toggle.toggle("run the audit", value=state.get("mia_on"), key="ux.mp.mia_toggle")
shadows = size.select_slider("shadow pairs K (2K trainings per forgotten point)",
                             SHADOW_CHOICES, value=state.get("mia_shadows"), key="ux.mp.shadows")
state.put("mia_on", bool(mia_on))
state.put("mia_shadows", int(shadows))
st.caption("K shadow models are trained with the forgotten point (IN) and K without (OUT), "
           "on fresh draws of the target's distribution (uploaded data: random halves of the "
           "other points). The statistic s is the point's margin over the root mean square of "
           "the retained margins; Gaussians fitted to IN and OUT give each method's log "
           "likelihood ratio and p_member. Do nothing should look like a member, retraining "
           "like a non-member.")
if not mia_on:
    st.stop()
try:
    audit = jobs.result(
        "audit", cached.key_of(sc, forget, list(chosen), params_json, shadows),
        lambda progress: cached.mia_audit(sc, forget, chosen, params_json, shadows,
                                          _progress=progress),
        "Membership audit", cached.cost(sc, trainings=2 * shadows * len(forget)))
except InputError as err:
    widgets.show_error(err, "Use fewer shadows or other data.")
    st.stop()

point = 0
if len(forget) > 1:
    point = st.selectbox("forgotten point", range(len(forget)),
                         format_func=lambda i: f"#{forget[i]}", key="ux.mp.mia_point")
shadow_frame, curves, audited = methods_view.audit_frames(audit, comp, point)
st.info(methods_view.audit_verdict(audit), icon=":material/policy:")
widgets.chart(cached.spec(methods_view.mia_distribution_chart, shadow_frame, curves, audited,
                          pres), "membership audit distributions")
widgets.chart(cached.spec(methods_view.p_member_chart, audited, pres), "membership p_member")
widgets.table(audited.drop(columns="method"), "membership audit", hide_index=True,
              column_config={c: st.column_config.NumberColumn(format="%.4g", help=h)
                             for c, h in methods_view.AUDIT_HELP.items()})
