"""The flow the Scaling and Generalization pages share, and the Scaling page's claims panel.

``run_sweep_flow``: on a click, or on the first visit (nothing stored yet), build the run's
inputs from the widgets, run the work on every local core with a progress bar (a background
job with Cancel: ``ui.jobs.start``), and store
the result (``ui.state``); a bad input is one error and the page keeps its last result.
``claims_panel``: what the paper states (the abstract's words) and what this sweep
measures, kept apart (``core.sweeps.claims``, ``core.sweeps.stats``).
"""
import streamlit as st

from core.errors import InputError
from core.sweeps.claims import ABSTRACT_MIXTURE, ABSTRACT_RETRAIN, ABSTRACT_SUCCESS, HIGH_DIM
from core.sweeps.executors import make_executor
from core.sweeps.stats import falls_with, paired_difference, per_seed
from ui import jobs, widgets


def run_sweep_flow(clicked, stored, build, work, save, label):
    """The stored result after running ``work`` when ``clicked`` or nothing is stored.

    Parameters
    ----------
    clicked : bool, the form's run button
    stored : callable() -> the page's stored result or None
    build : callable() -> the run's inputs from the widgets (may raise InputError)
    work : callable(inputs, executor, progress) -> result (may raise InputError)
    save : callable(inputs, result), stores the result (``ui.state``)
    label : str, the progress bar's first text
    """
    current = jobs.get(label)
    busy = current is not None and current.status.active
    if (clicked or stored() is None) and not (busy and not clicked):
        def in_background(inputs, progress):
            executor = make_executor()
            try:
                return work(inputs, executor, progress)
            finally:
                executor.close()

        try:       # a background job (ui.jobs: progress and Cancel, kept on reruns)
            inputs = build()
            job = jobs.start(label, repr(inputs), lambda p: in_background(inputs, p), label,
                             on_done=lambda result: save(inputs, result), wait=jobs.QUICK_WAIT)
        except InputError as err:
            widgets.show_error(err)
            st.stop()
        if job.status.active:
            st.rerun()          # the status bar shows it from now on
    if stored() is None:
        st.caption(f":material/hourglass_top: {label} (progress above)")
        st.stop()
    return stored()


def _fmt(x):
    return f"{x:.3g}"


def claims_panel(spec, frame):
    """What the paper states, and what this sweep measures (a d-sweep of the two-layer net
    or the linear model with two seeds or more gets the decay and "beats" rules)."""
    with st.expander("What the paper states, and what this sweep measures", expanded=False):
        st.markdown("**What the paper states** (its abstract, quoted; no numbers):\n\n"
                    f"- {ABSTRACT_SUCCESS}\n- {ABSTRACT_RETRAIN}\n- {ABSTRACT_MIXTURE}")
        st.markdown(f"**What this sweep measures** ({spec.base.model}, {spec.param} over "
                    f"{', '.join(f'{v:g}' for v in spec.values)}, {spec.seeds} seeds, "
                    f"n = {spec.base.n_samples}): measurements of this project, not the "
                    "paper's numbers.")
        if spec.param != "dim" or spec.seeds < 2 or len(spec.values) < 3:
            st.caption("The rules (ε_rel falls with d; GA beats doing nothing) need a sweep "
                       "over d with 3 values or more and 2 seeds or more.")
            return
        fall = falls_with(per_seed(frame, "eps_rel", "ga"))
        lines = [f"- ε_rel of GA falls with d: Spearman ρ = {_fmt(fall.rho)} (rule: ≤ −0.8, "
                 f"and no rise beyond the seeds' spread) — "
                 f"**{'holds' if fall.held else 'does not hold'}** here."]
        ga, dn = per_seed(frame, "eps_rel", "ga"), per_seed(frame, "eps_rel", "do_nothing")
        for d in [d for d in ga.index if d >= HIGH_DIM]:
            p = paired_difference(ga.loc[d], dn.loc[d])
            lines.append(f"- d = {d:g}: ε_rel GA − do nothing {_fmt(p.mean)}, 95% interval "
                         f"[{_fmt(p.low)}, {_fmt(p.high)}]: GA "
                         f"{'beats' if p.held else 'does not clearly beat'} doing nothing.")
        regime = frame.drop_duplicates(["value", "seed"])
        outside = int((regime["rho"] >= 1).sum())
        lines.append(f"- {outside} of {len(regime)} runs have ρ ≥ 1: outside the regime "
                     "where the paper's guarantee applies, these are measurements only.")
        st.markdown("\n".join(lines))
        if spec.seeds < 5:
            st.caption(f"{spec.seeds} seeds: indicative; the full reproduction "
                       "(python -m explorer reproduce) uses 10.")
