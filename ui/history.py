"""The Unlearn page's history of removals: for each removal action, GA's certificate and
cosine to retraining against doing nothing's, on the forget set up to that action.
"""
import pandas as pd
import streamlit as st

from core import compare as engine
from core.errors import InputError
from ui import cached
from ui.job import Cost


def history_row(scenario, forget, scale=1.0, sequential=False):
    """eps_rel of GA and of doing nothing, and GA's cosine to retrain, for one forget set.

    Reuses the comparison's certificates when the page has computed it (``is_ready``),
    else certifies GA and doing nothing.
    """
    forget, scale, sequential = tuple(forget), float(scale), bool(sequential)
    done = cached.is_ready(scenario, "comparison", forget, scale, sequential)
    return _history_row(scenario, forget, scale, sequential, _done=done)


@st.cache_data(max_entries=256, hash_funcs=cached.HASH, show_spinner=False)
def _history_row(scenario, forget, scale, sequential, _done=False):
    forget = cached.checked(scenario, forget)
    if _done:
        res = cached.comparison(scenario, forget, scale, sequential).methods
    else:
        res = engine.compare(cached.prepared(scenario), forget, scale=scale, sequential=sequential,
                             retrained=cached.retrained(scenario, forget),
                             methods=("ga", "do_nothing")).methods
    return dict(ga_eps_rel=res["ga"].certificate.eps_rel,
                do_nothing_eps_rel=res["do_nothing"].certificate.eps_rel,
                ga_cosine_to_retrain=res["ga"].cosine_to_retrain,
                ga_tau=res["ga"].certificate.tau)


def history_cost(scenario, history, scale=1.0, sequential=False):
    """The cost of ``history_table``: a retraining and two certificates for each removal
    whose comparison is not at hand (``is_ready``)."""
    done, missing = (), 0
    for action in history or ():
        done += tuple(action)
        missing += not cached.is_ready(scenario, "comparison", done, float(scale), bool(sequential))
    if not missing:
        return Cost(0.0, 0.0)
    return cached.cost(scenario, certificates=2 * missing, trainings=missing)


def history_table(scenario, history, scale=1.0, sequential=False, _progress=None):
    """One row per removal action: its points, their lam, and GA's eps_rel, tau and cosine
    to retrain against doing nothing's eps_rel for the forget set up to that action
    (NaN where retraining that set fails); ``_progress(fraction, text)`` after each."""
    lam = cached.prepared(scenario).original.lam
    rows, done = [], ()
    for k, action in enumerate(history or (), start=1):
        if _progress is not None:
            _progress((k - 1) / len(history), f"Measuring removal {k} of {len(history)}")
        done += tuple(action)
        try:
            row = history_row(scenario, done, scale, sequential)
        except InputError:
            row = dict.fromkeys(("ga_eps_rel", "do_nothing_eps_rel", "ga_tau",
                                 "ga_cosine_to_retrain"), float("nan"))
        rows.append({"#": k, "forgot": ", ".join(map(str, action)),
                     "λ before": ", ".join(f"{lam[i]:.3g}" for i in action),
                     "GA ε_rel": row["ga_eps_rel"], "nothing ε_rel": row["do_nothing_eps_rel"],
                     "GA τ": row["ga_tau"], "GA cos": row["ga_cosine_to_retrain"]})
    return pd.DataFrame(rows, columns=["#", "forgot", "λ before", "GA ε_rel", "nothing ε_rel",
                                       "GA τ", "GA cos"])
