"""Generalization: on Gaussian-mixture data, forget K points one after another (sequential
GA, re-certified before each step) and follow test accuracy and agreement with
retraining after each removal (core.sweeps.generalization)."""
import streamlit as st

from core.errors import InputError
from core.scenario import Scenario
from core.sweeps.generalization import forgetting_curve, forgetting_curves
from present import curve_figures, figures, text
from ui import cached, session, state, state_schema, sweep_panel, widgets

session.page_header(
    "Generalization: does forgetting cost test accuracy?",
    "Mixture data x = (y μ + ξ)/√d. After each removal k the GA model (one step per point), "
    "the model retrained without the k points, and the untouched model are tested on "
    "held-out points.")
pres = state.get("presentation")

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

def build():
    """(scenario, chosen points or None, settings) from the form."""
    base = Scenario(model=model, data="mixture", n_samples=int(n), dim=int(dim),
                    mu_norm=float(mu)).validated()
    try:
        order = tuple(int(t) for t in chosen.replace(",", " ").split()) or None
    except ValueError:
        raise InputError("The points must be whole numbers, e.g. 3, 17, 8.") from None
    settings = dict(model=model, n=int(n), dim=int(dim), mu_norm=float(mu), scale=float(scale),
                    k=len(order) if order else int(k), seeds=1 if order else int(seeds),
                    points=order)
    return base, order, settings


def work(inputs, executor, progress):
    base, order, _ = inputs
    if order:                       # the chosen points on the seed-0 data
        curve = forgetting_curve(cached.prepared(base), order, float(scale),
                                 progress=lambda i, total: progress(i / total))
        curve, failed = curve.assign(seed=base.seed), []
    else:
        curve, failed = forgetting_curves(
            base, int(k), float(scale), int(seeds), executor,
            progress=lambda i, total: progress(i / total, f"{i} of {total} seeds done"))
    curve.attrs.setdefault("n_test", base.n_test)
    return curve, [f"seed {seed}: {message}" for seed, message in failed]


result = sweep_panel.run_sweep_flow(
    run, lambda: state.get("sweep_generalization"), build, work,
    lambda inputs, res: state.put("sweep_generalization", state_schema.CurveRun(inputs[2], *res)),
    "Training, then forgetting...")
settings, curve, failures = result
for message in failures:
    st.warning(text.as_text(message), icon=":material/warning:")
acc = curve.pivot_table(index=["seed", "k"], columns="method", values="test_accuracy")
last = int(curve["k"].max())
gap = float((acc["ga"] - acc["retrain"]).abs().max())
cols = st.columns(4)
cols[0].metric("test accuracy before", f"{acc.xs(0, level='k')['ga'].mean():.1%}")
cols[1].metric(f"GA after {last} removals", f"{acc.xs(last, level='k')['ga'].mean():.1%}")
cols[2].metric(f"retrain after {last}", f"{acc.xs(last, level='k')['retrain'].mean():.1%}")
cols[3].metric("largest |GA − retrain|", f"{gap:.3f}",
               help="Over every removal k and seed; the paper's claim: equal to retraining.")
widgets.chart(cached.spec(curve_figures.forgetting_figure, curve, presentation=pres, width=480),
              "generalization curve")
table = text.tidy(curve)
widgets.table(table, "generalization curve data", hide_index=True, height=260,
              column_config={c: st.column_config.NumberColumn(format=f)
                             for c, f in text.number_formats(table).items()})
