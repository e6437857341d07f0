"""Generalization: on Gaussian-mixture data, forget K points one after another (sequential
GA, re-certified before each step) and follow test accuracy and agreement with
retraining after each removal (core.sweeps.generalization)."""
import streamlit as st

from core.errors import InputError
from core.scenario import Scenario
from core.sweeps.executors import make_executor
from core.sweeps.generalization import forgetting_curve, forgetting_curves
from ui import cached, figures, state, widgets

widgets.page_header(
    "Generalization: does forgetting cost test accuracy?",
    "Mixture data x = (y μ + ξ)/√d. After each removal k the GA model (one step per point), "
    "the model retrained without the k points, and the untouched model are tested on "
    "held-out points.")
pres = state.presentation()

with st.form("ux.curve_form", border=True):
    c1, c2, c3, c4, c5 = st.columns(5)
    model = c1.radio("model", ["relu", "linear"], horizontal=True, key="ux.curve.model",
                     format_func=figures.MODEL_LABELS.get)
    n = c2.number_input("training points n", 4, 400, 40, key="ux.curve.n")
    dim = c3.number_input("dimension d", 2, 20000, 1000, key="ux.curve.dim")
    mu = c4.number_input("mean norm ‖μ‖", 0.0, 50.0, 4.0, step=0.5, key="ux.curve.mu")
    scale = c5.number_input("step multiplier c", 0.0, 3.0, 1.0, step=0.1,
                           key="ux.curve.scale")
    c6, c7, c8 = st.columns([1, 1, 3])
    k = c6.number_input("points to forget K", 1, 100, 10, key="ux.curve.k")
    seeds = c7.number_input("seeds (random points)", 1, 10, 3, key="ux.curve.seeds")
    chosen = c8.text_input("or these points, in order (indices, seed 0 only)", "",
                           placeholder="e.g. 3, 17, 8", key="ux.curve.points")
    run = st.form_submit_button("Forget and measure", type="primary",
                                icon=":material/play_arrow:", key="ux.curve.run")

if run or state.curve_result() is None:     # first visit: the default curve, at once
    try:
        base = Scenario(model=model, data="mixture", n_samples=int(n), dim=int(dim),
                        mu_norm=float(mu)).validated()
        order = tuple(int(t) for t in chosen.replace(",", " ").split()) if chosen.strip() \
            else None
    except ValueError:
        widgets.show_error(InputError("The points must be whole numbers, e.g. 3, 17, 8."))
        st.stop()
    except InputError as err:
        widgets.show_error(err)
        st.stop()
    settings = dict(model=model, n=int(n), dim=int(dim), mu_norm=float(mu), scale=float(scale),
                    k=len(order) if order else int(k), seeds=1 if order else int(seeds),
                    points=order)

    def work(progress):
        if order:                       # the chosen points on the seed-0 data
            prepared = cached.prepared(base)
            curve = forgetting_curve(prepared, order, float(scale),
                                     progress=lambda i, total: progress(i / total))
            return curve.assign(seed=base.seed), []
        executor = make_executor()
        try:
            curve, failed = forgetting_curves(
                base, int(k), float(scale), int(seeds), executor,
                progress=lambda i, total: progress(i / total, f"{i} of {total} seeds done"))
        finally:
            executor.close()
        return curve, [f"seed {seed}: {message}" for seed, message in failed]

    try:
        curve, failures = widgets.run_with_progress(work, "Training, then forgetting...")
    except InputError as err:
        widgets.show_error(err)
        st.stop()
    curve.attrs.setdefault("n_test", base.n_test)
    state.set_curve_result(settings, curve, failures)

result = state.curve_result()
if result is None:
    st.info("Set the data and how many points to forget, then run. From a terminal, "
            "`python -m core.cli reproduce --out figs --quick` draws this figure with the "
            "paper's other claims.", icon=":material/science:")
    st.stop()

settings, curve, failures = result
for message in failures:
    st.warning(message, icon=":material/warning:")
acc = curve.pivot_table(index=["seed", "k"], columns="method", values="test_accuracy")
last = int(curve["k"].max())
gap = float((acc["ga"] - acc["retrain"]).abs().max())
cols = st.columns(4)
cols[0].metric("test accuracy before", f"{acc.xs(0, level='k')['ga'].mean():.1%}")
cols[1].metric(f"GA after {last} removals", f"{acc.xs(last, level='k')['ga'].mean():.1%}")
cols[2].metric(f"retrain after {last}", f"{acc.xs(last, level='k')['retrain'].mean():.1%}")
cols[3].metric("largest |GA − retrain|", f"{gap:.3f}",
               help="Over every removal k and seed; the paper's claim: equal to retraining.")
widgets.chart(figures.forgetting_figure(curve, presentation=pres, width=480),
              "generalization curve")
widgets.table(curve, "generalization curve data", hide_index=True, height=260)
