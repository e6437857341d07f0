"""Data & training: every setting of the engine, uploads, training with progress, the
training curves, a 2-D view of the data and the theory-regime gauge."""
import streamlit as st

from ui import cached, charts, forms, state, widgets
from ui.text import fmt

widgets.page_header("Data & training")
settings, results = st.columns([1, 2.3], gap="medium")
with settings, st.container(border=True):
    draft, ready = forms.scenario_editor(state.draft())
    state.set_draft(draft)
    if st.button("Train", type="primary", icon=":material/model_training:", key="ux.train",
                 disabled=not ready, width="stretch"):
        forms.train(draft)

prep = widgets.require_prepared()
sc, pres = state.scenario(), state.presentation()
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
    widgets.certificate_notes({"trained model on S": original})
    if trained is not None:
        with st.spinner("Certifying the training snapshots..."):
            curves = cached.training_curves(sc)
        for col, field in zip(st.columns(3, gap="small"), charts.TRAINING_PANELS):
            with col:
                widgets.chart(charts.training_curve(curves, field, pres, height=150),
                              f"training {field}")
    else:
        st.info("Started from the exact max-margin SVM: there is no training run to show.")

view, note = st.columns([2, 1], gap="large")
with view:
    points, regions = cached.projection(sc)
    widgets.chart(charts.data_view(points, regions, pres), "data view")
with note:
    st.caption(f"Data: {prep.dataset.name}. Filled marks are support vectors (λ > 0). "
               "High-dimensional data are shown on their first two principal components; "
               "for 2-D data the shading is the side the trained model assigns.")
