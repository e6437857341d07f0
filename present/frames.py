"""The tables the charts draw, derived from core results (pure: no Streamlit).

Every function takes core objects (``Prepared``, ``Comparison``, ``Dataset``) and returns a
``pandas.DataFrame`` whose columns are the fields ``present.charts`` encodes.
"""
import numpy as np
import pandas as pd

from core.models import preacts
from core.registry import label
from core.report import points_frame

CLASS_NAMES = {-1: "y = -1", 1: "y = +1"}
STATUS = ("support vector", "other point", "forgotten")
ACTIVATION_STATES = ("active", "kink band", "inactive", "switched on", "switched off")


def _class(labels):
    return pd.Series(np.asarray(labels, dtype=int)).map(CLASS_NAMES).to_numpy()


def plane_frame(prepared, forget=()):
    """Per point of S: index, label, class, margin q_i, lam_i, support, kink pairs, status."""
    df = points_frame(prepared, forget)
    df["class"] = _class(df["label"])
    df["status"] = np.where(df["forgotten"], STATUS[2],
                            np.where(df["support"], STATUS[0], STATUS[1]))
    return df


def after_frame(comparison):
    """Per retained point: (q, lam) before, after the GA step, and after retraining."""
    orig = comparison.prepared.original
    ga = comparison.methods["ga"].certificate
    rt = comparison.methods["retrain"].certificate
    idx = comparison.retain
    y = comparison.prepared.ctx.y[idx]
    return pd.DataFrame({
        "index": idx, "label": y.astype(int), "class": _class(y),
        "margin_before": orig.margins[idx], "lam_before": orig.lam[idx],
        "margin_after": ga.margins[idx], "lam_after": ga.lam[idx],
        "margin_retrain": rt.margins[idx], "lam_retrain": rt.lam[idx],
    })


def forgotten_frame(comparison):
    """Per forgotten point: its margin before, after the GA step and after retraining."""
    forget = list(comparison.forget)
    prep = comparison.prepared
    return pd.DataFrame({
        "index": forget, "label": prep.ctx.y[forget].astype(int),
        "lam_before": prep.original.lam[forget],
        "margin_before": prep.original.margins[forget],
        "margin_after": comparison.methods["ga"].certificate.margins[forget],
        "margin_retrain": comparison.methods["retrain"].certificate.margins[forget],
    })


def _states(Zt, kink):
    state = np.where(Zt > 0, ACTIVATION_STATES[0], ACTIVATION_STATES[2]).astype(object)
    state[kink] = ACTIVATION_STATES[1]
    return state


def activation_frame(comparison):
    """Long table over neuron j x point i: activation state before and after the GA step.

    Before: the trained model (certified on S); after: the GA model (certified on R).
    ``flipped`` marks pairs whose ReLU switched (sign of <w_j, x_i> changed).
    """
    prep = comparison.prepared
    ga = comparison.methods["ga"].certificate
    z0 = preacts(prep.ctx, prep.original.model)
    z1 = preacts(prep.ctx, ga.model)
    before, after = _states(z0, prep.original.kink), _states(z1, ga.kink)
    on, off = (z0 <= 0) & (z1 > 0), (z0 > 0) & (z1 <= 0)
    after[on], after[off] = ACTIVATION_STATES[3], ACTIVATION_STATES[4]
    m, n = z0.shape
    jj, ii = np.meshgrid(np.arange(m), np.arange(n), indexing="ij")
    forgotten = np.zeros(n, dtype=bool)
    forgotten[list(comparison.forget)] = True
    return pd.DataFrame({
        "neuron": jj.ravel(), "point": ii.ravel(),
        "before": before.ravel(), "after": after.ravel(),
        "flipped": (on | off).ravel(), "forgotten": np.broadcast_to(forgotten, (m, n)).ravel(),
        "z_before": z0.ravel(), "z_after": z1.ravel(),
    })


def residual_frame(comparison):
    """Long table: stationarity residual ||r_j|| per neuron for the trained model (on S)
    and for every method (on R)."""
    m = comparison.prepared.original.residual_per_neuron.shape[0]
    parts = [("trained (on S)", comparison.prepared.original)]
    parts += [(f"{label(k)} (on R)", r.certificate) for k, r in comparison.methods.items()]
    return pd.concat([pd.DataFrame({"neuron": np.arange(m), "model": name,
                                    "residual": cert.residual_per_neuron}) for name, cert in parts],
                     ignore_index=True)


def point_table(comparison):
    """Per point: label, margin and lam before and after the GA step, support, kink pairs,
    forgotten."""
    df = points_frame(comparison.prepared, comparison.forget)
    ga = comparison.methods["ga"].certificate
    df.insert(4, "margin_after_ga", ga.margins)
    df.insert(5, "lam_after_ga", ga.lam)
    df["kink_pairs_after_ga"] = ga.kink_pairs_per_point()
    return df
