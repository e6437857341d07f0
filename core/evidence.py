"""Is it really forgotten? The three audits of a comparison in one call, and the long table
the "how forgotten is it?" figure draws (docs/theory.md §3.9).

``gather`` runs retraining's floor (core/floor.py), U-LiRA (core/ulira.py) and relearning
(core/relearn.py) on a Comparison, each optional, with one progress callback over all of
them. ``forgetting_frame`` turns a comparison and its evidence into one row per method and
measure: the value, the floor's min, mean and max where there is a floor, and the interval
of the U-LiRA AUC.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.registry import label, reference_name

# the figure's measures, in panel order: (column, title, what a floor means for it)
FIGURE_MEASURES = (("one_minus_cosine", "1 − cosine to retrain"),
                   ("eps_rel", "ε_rel on R"),
                   ("margin_distance_to_retrain", "max change of a retained margin vs retrain"),
                   ("test_disagreement", "test disagreement with retrain"),
                   ("ulira_auc", "U-LiRA AUC (0.5: like retraining)"),
                   ("relearn_steps", "relearning steps (retrain's: reference)"))
FRAME_COLUMNS = ("method", "label", "measure", "title", "value", "low", "high", "floor_min",
                 "floor_mean", "floor_max", "reached")


@dataclass(frozen=True, eq=False)
class Evidence:
    """What was asked for: a core.floor.Floor, a core.ulira.Ulira, {method: Relearned}."""

    floor: object = None
    ulira: object = None
    relearn: dict | None = None


def gather(comparison, floor_k=None, ulira_k=None, relearn=False, method_params=None,
           progress=None):
    """Evidence of ``comparison``: the floor with ``floor_k`` retrainings, U-LiRA with
    ``ulira_k`` pairs of each kind (with the comparison's methods and ``method_params``),
    relearning when ``relearn``; each skipped when None/False.

    ``progress(fraction, text)`` between units of work (it may raise core.errors.Cancelled).
    """
    from core.floor import floor_for
    from core.relearn import relearn as run_relearn
    from core.ulira import ulira as run_ulira

    stages = [s for s, on in (("floor", floor_k), ("ulira", ulira_k), ("relearn", relearn))
              if on]
    report = progress or (lambda fraction, text=None: None)

    def stage(i, text):
        return lambda done, total: report((i + done / max(total, 1)) / len(stages),
                                          f"{text}: {done} of {total}")

    out = {}
    for i, name in enumerate(stages):
        if name == "floor":
            out[name] = floor_for(comparison, floor_k, stage(i, "Retraining's floor"))
        elif name == "ulira":
            out[name] = run_ulira(comparison.prepared, comparison.forget,
                                  tuple(comparison.methods), ulira_k, method_params,
                                  comparison.scale, comparison.sequential,
                                  stage(i, "U-LiRA pairs"))
        else:
            out[name] = run_relearn(comparison, progress=stage(i, "Relearning, method"))
    return Evidence(**out)


def _floor_cells(floor, measure):
    if floor is None:
        return dict(floor_min=np.nan, floor_mean=np.nan, floor_max=np.nan)
    key = "cosine_to_retrain" if measure == "one_minus_cosine" else measure
    values = floor.values.get(key)
    if values is None:
        return dict(floor_min=np.nan, floor_mean=np.nan, floor_max=np.nan)
    values = 1.0 - values if measure == "one_minus_cosine" else values
    return dict(floor_min=float(values.min()), floor_mean=float(values.mean()),
                floor_max=float(values.max()))


def forgetting_frame(comparison, evidence):
    """One row per (method, measure) of FIGURE_MEASURES that was measured: ``value``; the
    floor's min/mean/max (distances); ``low``/``high`` (the U-LiRA AUC's interval);
    ``reached`` (relearning: False when the cap was hit). For relearning the "floor" is
    retraining's own count.
    """
    import pandas as pd  # tables only here

    rows = []
    ref = reference_name()
    for name, res in comparison.methods.items():
        values = dict(one_minus_cosine=1.0 - res.cosine_to_retrain,
                      eps_rel=res.certificate.eps_rel,
                      margin_distance_to_retrain=res.margin_distance_to_retrain,
                      test_disagreement=res.test_disagreement)
        for measure, title in FIGURE_MEASURES[:4]:
            if values[measure] is None:
                continue
            rows.append(dict(method=name, label=label(name), measure=measure, title=title,
                             value=float(values[measure]), low=np.nan, high=np.nan,
                             reached=True, **_floor_cells(evidence.floor, measure)))
        if evidence.ulira is not None and name in evidence.ulira.attacks:
            a = evidence.ulira.attacks[name]
            rows.append(dict(method=name, label=label(name), measure="ulira_auc",
                             title=FIGURE_MEASURES[4][1], value=a.auc, low=a.auc_low,
                             high=a.auc_high, reached=True, floor_min=np.nan,
                             floor_mean=np.nan, floor_max=np.nan))
        if evidence.relearn is not None:
            steps, ref_steps = evidence.relearn[name], evidence.relearn[ref].steps
            rows.append(dict(method=name, label=label(name), measure="relearn_steps",
                             title=FIGURE_MEASURES[5][1], value=float(steps.steps),
                             low=np.nan, high=np.nan, reached=steps.reached,
                             floor_min=float(ref_steps), floor_mean=float(ref_steps),
                             floor_max=float(ref_steps)))
    return pd.DataFrame(rows, columns=list(FRAME_COLUMNS))
