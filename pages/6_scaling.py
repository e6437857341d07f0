"""Scaling: one parameter over values and seeds, every method per run (core.sweeps.run), with
the certificates against it, the CSV, and the same figures as `python -m explorer reproduce`."""
import streamlit as st

from core.errors import InputError
from core.scenario import Scenario
from core.sweeps.run import run_sweep
from core.sweeps.spec import PARAMS, SweepSpec, parse_values
from present import curve_figures, figures, text
from ui import cached, session, state, sweep_panel, widgets

DEFAULTS = {"dim": "50,100,200,500,1000,2000", "n_samples": "10,20,40,80",
            "width": "20,50,100,200", "scale": "0,0.5,0.8,0.9,1,1.1,1.2,1.5,2",
            "mu_norm": "1,2,4,8", "kink_tol": "0,0.01,0.03,0.1"}
MAX_JOBS = 400          # bigger sweeps belong on the command line (or a cluster)

session.page_header(
    "Scaling: where does the one-step result hold?",
    "Each run trains, forgets the support vector with the largest λ by one GA step and "
    "measures every method; the line is the mean over seeds, the dots each seed, the band "
    "min to max.")
pres = state.get("presentation")

with st.form("ux.sweep_form", border=True):
    c1, c2, c3, c4 = st.columns([1, 1.2, 2.6, 0.8])
    model = c1.radio("model", ["relu", "linear"], horizontal=True, key="ux.sweep.model",
                     format_func=figures.MODEL_LABELS.get)
    param = c2.selectbox("vary", list(PARAMS), format_func=figures.PARAM_TITLES.get,
                         key="ux.sweep.param",
                         help="mu_norm needs mixture data; width and kink_tol the ReLU net.")
    values = c3.text_input("values (comma-separated; empty: a default list)", "",
                           placeholder=DEFAULTS["dim"], key="ux.sweep.values")
    seeds = c4.number_input("seeds", 1, 20, 3, key="ux.sweep.seeds")
    own = st.toggle("start from the current scenario (Data & training) instead of the "
                    "defaults (n = 40, d = 1000, m = 100)", False, key="ux.sweep.own")
    run = st.form_submit_button("Run the sweep", type="primary", icon=":material/play_arrow:",
                                key="ux.sweep.run")


def build():
    """The sweep the form describes (the defaults on the first visit)."""
    base = state.get("scenario") if own else Scenario()
    base = base.replace(model=model, start="trained") if model == "relu" \
        else base.replace(model=model)
    if param == "mu_norm" and base.data != "mixture":
        base = base.replace(data="mixture")
    spec = SweepSpec(base, param, parse_values(values or DEFAULTS[param], param),
                     int(seeds)).validated()
    if len(spec.jobs()) > MAX_JOBS:
        raise InputError(f"{len(spec.jobs())} runs is more than this page runs "
                         f"({MAX_JOBS}): use python -m explorer sweep.")
    return spec


def work(spec, executor, progress):
    return run_sweep(spec, executor=executor, progress=lambda done, total, _: progress(
        done / total, f"{done} of {total} runs done on {executor.describe()}"))


result = sweep_panel.run_sweep_flow(run, lambda: state.get("sweep_scaling"), build, work,
                                   lambda spec, res: state.put("sweep_scaling", res),
                                   "Starting the sweep...")
spec, frame = result.spec, result.frame
for failure in result.failures:
    st.warning(text.as_text(f"Run {failure.job.describe()} failed: {failure.error}"),
               icon=":material/warning:")
if frame.empty:
    st.stop()
st.caption(f"{len(frame)} rows from {result.n_jobs} runs of the {spec.base.model} model "
           f"in {result.seconds:.1f} s.")
name = f"sweep {spec.base.model} {spec.param}"
width = 270 if pres else 320      # three panels side by side fit 1280 px
if spec.param == "scale":
    widgets.chart(cached.spec(curve_figures.step_size_figure, frame, presentation=pres),
                  name + " eps")
else:
    widgets.chart(cached.spec(figures.scaling_figure, frame, presentation=pres, width=width),
                  name + " certificates")
    extra = ("test_accuracy",) if frame["test_accuracy"].notna().any() else ()
    both = cached.spec(figures.scaling_figure, frame,
                       metrics=("cosine_to_retrain", "forget_margin") + extra,
                       methods=("ga", "do_nothing", "retrain"), presentation=pres, width=width,
                       title="Closeness to retraining and the forgotten point")
    widgets.chart(both, name + " cosine")
    if spec.param == "dim":
        widgets.chart(cached.spec(curve_figures.regime_figure, frame, spec.base.n_samples,
                                  presentation=pres),
                      name + " regime")
sweep_panel.claims_panel(spec, frame)
table = text.tidy(frame)
widgets.table(table, name, hide_index=True, height=260,
              column_config={c: st.column_config.NumberColumn(format=f)
                             for c, f in text.number_formats(table).items()})
