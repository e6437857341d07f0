"""Step size: eps_rel, delta, tau and cosine to retrain of the GA step against c in [0, 2]
(the paper's figure), for the chosen point(s)."""
import numpy as np
import streamlit as st

from core.compare import default_forget
from core.errors import InputError
from present import charts
from present.text import fmt
from ui import cached, jobs, session, state, widgets

GRIDS = {"21 values (fast)": 21, "41 values": 41, "81 values (fine)": 81}

session.page_header("Step size: how large should the one GA step be?")
prep = session.require_prepared()
sc, pres = state.get("scenario"), state.get("presentation")

chosen = state.get("step_points")
if not chosen or any(i >= prep.dataset.n_samples for i in chosen):
    chosen = state.forget() or default_forget(prep)
key = state.widget_key("step_points")
pick, grid = st.columns([3, 1], vertical_alignment="bottom")
with pick:
    points = st.multiselect("points to forget (default: the Unlearn page's forget list)",
                            list(range(prep.dataset.n_samples)), default=list(chosen),
                            key=key, on_change=state.store_widget, args=("step_points", key),
                            format_func=lambda i: f"#{i} (λ = {prep.original.lam[i]:.3g})")
with grid:
    n_grid = GRIDS[st.selectbox("grid of c", list(GRIDS), index=1, key="ux.step_grid")]
if not points:
    st.info("Choose at least one point.", icon=":material/touch_app:")
    st.stop()

scales = tuple(np.linspace(0.0, 2.0, n_grid))
try:
    curve = jobs.result(       # a background job (ui.jobs): progress, Cancel, kept
        "step", cached.key_of(sc, tuple(points), scales),
        lambda progress: cached.step_curve(
            sc, tuple(points), scales,
            _progress=lambda f: progress(f, f"Sweeping c over [0, 2]: {f:.0%}")),
        "Retraining, then sweeping c over [0, 2]",
        cached.cost(sc, certificates=len(scales)))
    ref = cached.comparison(sc, tuple(points)).methods["retrain"]
except InputError as err:
    widgets.show_error(err, "Choose other points.")
    st.stop()

best = curve.loc[curve["eps_rel"].idxmin()]
at_one = curve.iloc[(curve["scale"] - 1.0).abs().argmin()]
reference = {"eps_rel": ref.certificate.eps_rel, "delta": ref.certificate.delta,
             "tau": ref.certificate.tau, "cosine_to_retrain": 1.0}
figure, numbers = st.columns([4, 1], gap="medium")
with figure:
    widgets.chart(cached.spec(charts.step_size, curve, reference, pres, width=900, height=165),
                  "step size curve")
with numbers:
    st.metric("c with the smallest ε_rel", f"{best['scale']:.2f}")
    st.metric("ε_rel at that c", fmt(best["eps_rel"]))
    st.metric("ε_rel at c = 1", fmt(at_one["eps_rel"]))
    st.metric("ε_rel at c = 0 (do nothing)", fmt(curve["eps_rel"].iloc[0]))
    st.metric("ε_rel of retraining", fmt(reference["eps_rel"]))
widgets.table(curve, "step size curve data", hide_index=True, height=240)
