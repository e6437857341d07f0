"""Data & training: every setting of the engine, uploads, training with progress, the
training curves, a 2-D view of the data, the theory-regime gauge with its advice, and the
regime dial."""
import streamlit as st

from present import charts
from present.text import fmt
from ui import (
    cached,
    data_panel,
    data_summary,
    forms,
    jobs,
    player,
    regime_panel,
    session,
    state,
    widgets,
)

session.page_header("Data & training")
settings, results = st.columns([1, 2.3], gap="medium")
with settings, st.container(border=True):
    draft, ready = forms.scenario_editor(state.draft())
    state.put("draft", draft)
    if st.button("Train", type="primary", icon=":material/model_training:", key="ux.train",
                 disabled=not ready, width="stretch"):
        forms.train(draft)

prep = session.require_prepared()
sc, pres = state.get("scenario"), state.get("presentation")
trained, original, gauge = prep.trained, prep.original, prep.gauge
with results:
    cols = st.columns(5)
    cols[0].metric("n / d", f"{prep.dataset.n_samples} / {prep.dataset.dim}",
                   help="training points / input dimension")
    cols[1].metric("ρ", fmt(gauge.rho), help="ρ = n · max_{i≠j} |⟨x_i, x_j⟩| / min_i ‖x_i‖²; "
                                             "the points are nearly orthogonal when ρ ≪ 1.")
    cols[2].metric("support vectors", f"{original.n_support}")
    cols[3].metric("ε_rel on S", fmt(original.eps_rel),
                   help="How far the trained model is from a KKT point of the max-margin "
                        "problem on all training points.")
    cols[4].metric("time", f"{prep.seconds:.2f} s", help="Data, training and the certificate.")
    alert = {"theory": st.success, "approximate": st.info, "outside": st.warning}[gauge.regime]
    alert(f"**Theory-regime gauge.** {gauge.verdict}")
    regime_panel.advice(sc, gauge)
    widgets.certificate_notes({"trained model on S": original})
    if trained is None:
        st.info("Started from the exact max-margin SVM: there is no training run to show.")
    else:                          # a background job when long (ui.jobs); None until done
        curves = jobs.result(
            "curves", cached.key_of(sc), lambda progress: cached.training_curves(
                sc, _progress=progress), "Certifying the training snapshots",
            cached.cost(sc, certificates=12), stop=False)
        for col, field in zip(st.columns(3, gap="small") if curves is not None else (),
                              charts.TRAINING_PANELS):
            with col:
                widgets.chart(cached.spec(charts.training_curve, curves, field, pres),
                              f"training {field}")

if trained is not None and st.toggle("Watch the training run", key="ux.player.on",
                                    help="Replay the recorded GD steps: loss, margin and "
                                         "the margin–λ plane forming, frame by frame."):
    player.show(sc, pres)

view, note = st.columns([2, 1], gap="large")
with view:
    about = data_panel.trained_view(prep, pres)
with note:
    st.caption(about)
    data_summary.show(prep, sc, state.forget())

regime_panel.dial(sc, pres)
