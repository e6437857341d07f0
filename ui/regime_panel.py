"""Data & training: the regime gauge's advice and the regime dial (docs/theory.md §4).

``advice`` says, under the gauge, which Fourier bandwidth would bring the data into the
regime (``core.regime_advice``, measured on the data, no training). ``dial`` runs the
regime dial (``core.sweeps.regime``) as a background job with progress and Cancel
(``dial_job``, the one function that talks to ``ui.jobs``) and draws
``present.regime_figures.regime_dial_chart`` with the current B marked.
"""
import streamlit as st

from core.estimate import Cost
from core.presets import CLASS_NAMES, preset_classes
from core.regime_advice import lift_advice
from core.sweeps.executors import make_executor
from core.sweeps.regime import (
    DIAL_BANDWIDTHS,
    DIAL_SEEDS,
    current_bandwidth,
    dial_lift,
    dial_specs,
    dial_table,
    run_dial,
)
from core.transform import PREPROCESS_LABELS
from present.regime_figures import regime_dial_chart
from present.text import as_text
from ui import cached, jobs, uploads, widgets

DIAL_HELP = ("Sweeps the Fourier lift's bandwidth B (σ = B · median distance) on these data, "
             "with the same preprocessing, model and training, and the data without a lift: "
             "for each B and seed it trains, forgets the support vector with the largest λ "
             "and measures GA, doing nothing and retraining.")


@st.cache_data(max_entries=32, hash_funcs=cached.HASH, show_spinner=False)
def _advice(scenario, rho):
    return lift_advice(scenario, raw=cached._dataset(scenario), current_rho=rho)


def advice(scenario, gauge):
    """One line under the gauge when rho >= 1: the measured effect of a Fourier lift."""
    if gauge.rho < 1:
        return
    found = _advice(scenario, float(gauge.rho))
    if found is not None:
        st.caption(f":material/tune: **What would help.** {found.sentence()}")


def dial_job(scenario, seeds):
    """The regime dial of ``scenario`` as a ``ui.jobs`` job (slot "regime_dial"): its
    ``core.sweeps.regime.Dial``, or None while it runs (the status bar shows progress)."""
    specs = dial_specs(scenario, DIAL_BANDWIDTHS, seeds)
    runs = [spec.scenario_for(v, spec.base.seed) for spec in specs for v in spec.values]
    seconds = seeds * sum(cached.cost(sc, certificates=3, trainings=2).seconds for sc in runs)

    def work(progress):
        executor = make_executor()
        try:
            return run_dial(scenario, DIAL_BANDWIDTHS, seeds, executor, progress=lambda d, t:
                            progress(d / t, f"Regime dial: {d} of {t} runs"))
        finally:
            executor.close()

    return jobs.result("regime_dial", cached.key_of(scenario, seeds), work, "Regime dial",
                       Cost(seconds=seconds), waiting="Running the regime dial", stop=False)


def failures_text(failures):
    """'Left out, did not train: no lift, seeds 0, 1 (The trained model does not separate
    the data: ...).' grouped by B, each with its first message's first sentence."""
    groups = {}
    for b, seed, message in failures:
        groups.setdefault(b, []).append((seed, message))
    parts = []
    for b, runs in groups.items():
        where = "no lift" if b == float("inf") else f"B = {b:g}"
        seeds = ", ".join(str(seed) for seed, _ in runs)
        first = runs[0][1].split(". ")[0].rstrip(".")
        parts.append(f"{where}, seed{'s' if len(runs) > 1 else ''} {seeds} ({first})")
    return "Left out, did not train: " + as_text("; ".join(parts)) + "."


def dial(scenario, presentation):
    """The toggle, and once on, the dial's figure, its table and downloads."""
    if not st.toggle("Regime dial: sweep the Fourier bandwidth B", key="ux.regime.on",
                     help=DIAL_HELP):
        return
    seeds = st.segmented_control("seeds", (1, 3, 5), default=DIAL_SEEDS, key="ux.regime.seeds",
                                 help="Each seed draws another subsample, W₀ and lift.") \
        or DIAL_SEEDS
    name = uploads.display_name(scenario.data_file, scenario.data)
    if scenario.is_preset:
        low, high = preset_classes(scenario.data, scenario.classes)
        name = f"{name} {CLASS_NAMES[scenario.data][low]} vs {CLASS_NAMES[scenario.data][high]}"
    name = f"{name}, {PREPROCESS_LABELS[scenario.preprocess]}"
    if scenario.data_file:          # the jobs load the file from any working directory
        scenario = scenario.replace(data_file=str(cached.APP_DIR / scenario.data_file))
    result = dial_job(scenario, int(seeds))
    if result is None:
        return
    frame = result.frame
    frame.attrs.update(lift=dial_lift(scenario), data=name)
    widgets.chart(cached.spec(regime_dial_chart, frame, presentation,          # fits 1280 px
                              current_bandwidth(scenario), width=290 if presentation else None),
                  "regime dial")
    st.caption("Small B: nearly orthogonal lifted points, so one GA step approaches the "
               "paper's guarantee (ρ falls, GA's ε_rel drops below doing nothing's); large "
               "B: the lifted model generalizes (test accuracy rises). Dashed red: these "
               "settings' B (\"no lift\" when there is none).")
    if result.failures:
        st.warning(failures_text(result.failures), icon=":material/warning:")
    with st.expander("The dial's numbers (mean, min and max over seeds)"):
        widgets.table(dial_table(frame), "regime dial", hide_index=True)
