"""Is it really forgotten? (docs/theory.md §3.9) in the app: the Methods page's section
(retraining's noise floor, U-LiRA, relearning, and the figure) and the floor behind the
Unlearn page's cards.

The work runs through ``ui.jobs.result`` (slot and key; progress, Cancel and the time left
in the status bar) in the two small functions ``evidence`` and
``card_floor``; the engine caches every result (core.memo), so a rerun, a page switch or a
second session asking for the same work gets it at once.
"""
import json

import streamlit as st

from core.errors import InputError
from present import forgetting_figures, methods_view
from present.text import number_formats
from ui import cached, jobs, state, widgets

FLOOR_CHOICES = (2, 4, 8, 16, 32)
ULIRA_CHOICES = (4, 8, 16, 32, 64)
WORKERS = 2              # the audits run on two threads (core.mia.WORKERS)


def _cost(scenario, trainings):
    """``trainings`` trainings with a certificate each, on WORKERS threads."""
    one = cached.cost(scenario)
    return one._replace(seconds=one.seconds * trainings / WORKERS)


def evidence(scenario, forget, comparison, params_json, floor_k, ulira_k, relearn):
    """core.evidence.gather of ``comparison`` as the "evidence" job; None while it runs."""
    from core.evidence import gather

    methods = list(comparison.methods)
    key = cached.key_of(scenario, forget, methods, params_json, floor_k, ulira_k, relearn)
    params = {k: v for k, v in json.loads(params_json).items() if k in methods}
    return jobs.result("evidence", key, lambda progress: gather(
        comparison, floor_k, ulira_k, relearn, params, progress), "How forgotten is it?",
        _cost(scenario, (floor_k or 0) + 6 * (ulira_k or 0)),
        waiting="Measuring how forgotten the points are", stop=False)


def card_floor(scenario, forget, comparison, k=8):
    """Retraining's floor behind the Unlearn cards (the "floor" job); None while it runs."""
    from core.floor import floor_for

    key = cached.key_of(scenario, forget, k)
    return jobs.result("floor", key, lambda progress: floor_for(
        comparison, k, lambda done, total: progress(done / total, f"Retraining {done} of "
                                                                    f"{total} (floor)")),
        "Retraining's floor", _cost(scenario, k), stop=False)


def controls():
    """The section's switches, kept in ui.state: (on, floor K, U-LiRA K, relearning)."""
    on, floor_k, ulira_k, relearn = (state.get(name) for name in
                                      ("evidence_on", "floor_k", "ulira_k", "relearn"))
    cols = st.columns([1.2, 2, 2, 1.4], vertical_alignment="bottom")
    on = cols[0].toggle("measure it", value=on, key="ux.mp.evidence")
    floor_k = cols[1].select_slider("floor: retrainings K", FLOOR_CHOICES, key="ux.mp.floor_k",
                                    value=floor_k if floor_k in FLOOR_CHOICES else 8)
    ulira_k = cols[2].select_slider("U-LiRA: pairs K of each kind", ULIRA_CHOICES,
                                    key="ux.mp.ulira_k",
                                    value=ulira_k if ulira_k in ULIRA_CHOICES else 8)
    relearn = cols[3].toggle("relearning", value=relearn, key="ux.mp.relearn")
    for name, value in zip(("evidence_on", "floor_k", "ulira_k", "relearn"),
                           (bool(on), int(floor_k), int(ulira_k), bool(relearn))):
        state.put(name, value)
    return on, floor_k, ulira_k, relearn


def show(scenario, forget, comparison, params_json, presentation):
    """The Methods page's section: controls, the job, the figure and its table; returns the
    Evidence (None when off, running or failed) so the page can draw the floor's band."""
    st.markdown("#### How forgotten is it?")
    on, floor_k, ulira_k, relearn = controls()
    st.caption("**Floor**: K retrainings from other seeds are as valid as the reference; a "
               "method inside their range is as close to it as another retraining. **U-LiRA** "
               "(Hayes et al. 2024): 2K pairs, each a model trained with the point and "
               "unlearned by the method, and one retrained without it; the attacker's AUC is "
               "0.5 when it cannot tell them apart. **Relearning**: GD steps on the forgotten "
               "points and 10 retained ones until their margins are back.")
    if not on:
        return None
    try:
        found = evidence(scenario, forget, comparison, params_json, floor_k, ulira_k, relearn)
    except InputError as err:
        widgets.show_error(err, "Use fewer pairs or other data.")
        return None
    if found is None:
        return None
    frame = forgetting_figures.forgetting_frame(comparison, found)
    widgets.chart(cached.spec(forgetting_figures.forgetting_figure, frame, presentation),
                  "how forgotten is it")
    table = methods_view.evidence_table(comparison, found)
    widgets.table(table, "how forgotten is it", hide_index=True,
                  column_config={c: st.column_config.NumberColumn(format=f)
                                 for c, f in number_formats(table).items()})
    return found
