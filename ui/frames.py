"""The tables the charts draw, derived from core results (pure: no Streamlit).

Every function takes core objects (``Prepared``, ``Comparison``, ``Dataset``) and returns a
``pandas.DataFrame`` whose columns are the fields ``ui.charts`` encodes.
"""
import numpy as np
import pandas as pd

from core.models import forward, preacts, weights
from core.report import METHOD_LABELS, points_frame

CLASS_NAMES = {-1: "y = -1", 1: "y = +1"}
STATUS = ("support vector", "other point", "forgotten")
ACTIVATION_STATES = ("active", "kink band", "inactive", "switched on", "switched off")
MAX_PCA_POINTS = 2000


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
    parts += [(f"{METHOD_LABELS[k]} (on R)", r.certificate) for k, r in comparison.methods.items()]
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


def projection_frame(dataset, support=None, seed=0):
    """2-D view of the training points: the raw coordinates when d <= 2, else the first two
    principal components (from the centred Gram matrix; at most 2000 points, seeded).

    ``attrs["axes"]`` holds the axis titles, ``attrs["explained"]`` the variance shares.
    """
    X, y = dataset.X, dataset.y
    index = np.arange(X.shape[0])
    if X.shape[0] > MAX_PCA_POINTS:
        index = np.sort(np.random.default_rng(seed).choice(index, MAX_PCA_POINTS, replace=False))
    Xs = X[index]
    if X.shape[1] <= 2:
        coords = np.column_stack([Xs[:, 0], Xs[:, 1] if X.shape[1] == 2 else np.zeros(len(index))])
        axes, explained = ("x1", "x2" if X.shape[1] == 2 else "(none)"), None
    else:
        C = Xs - Xs.mean(axis=0)
        evals, evecs = np.linalg.eigh(C @ C.T)
        top = np.argsort(evals)[::-1][:2]
        coords = evecs[:, top] * np.sqrt(np.maximum(evals[top], 0.0))
        total = max(float(np.sum(C * C)), 1e-300)
        explained = tuple(float(v) / total for v in evals[top])
        axes = tuple(f"PC{k + 1} ({e:.0%} of variance)" for k, e in enumerate(explained))
    sup = np.zeros(len(index), bool) if support is None else np.asarray(support)[index]
    df = pd.DataFrame({"index": index, "label": y[index].astype(int), "class": _class(y[index]),
                       "x": coords[:, 0], "y": coords[:, 1],
                       "status": np.where(sup, STATUS[0], STATUS[1])})
    df.attrs.update(axes=axes, explained=explained)
    return df


def region_frame(prepared, model=None, steps=70):
    """Sign of N(W; x) on a grid over 2-D data (the decision regions), else an empty frame."""
    X = prepared.dataset.X
    if X.shape[1] != 2:
        return pd.DataFrame(columns=["x", "y", "x2", "y2", "class"])
    model = prepared.original.model if model is None else model
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = 0.08 * (hi - lo)
    gx = np.linspace(lo[0] - pad[0], hi[0] + pad[0], steps + 1)
    gy = np.linspace(lo[1] - pad[1], hi[1] + pad[1], steps + 1)
    cx, cy = np.meshgrid((gx[:-1] + gx[1:]) / 2, (gy[:-1] + gy[1:]) / 2)
    out = forward(weights(prepared.ctx, model), np.column_stack([cx.ravel(), cy.ravel()]),
                  prepared.ctx.v, prepared.ctx.is_relu)
    x0, y0 = np.meshgrid(gx[:-1], gy[:-1])
    x1, y1 = np.meshgrid(gx[1:], gy[1:])
    return pd.DataFrame({"x": x0.ravel(), "y": y0.ravel(), "x2": x1.ravel(), "y2": y1.ravel(),
                         "class": np.where(out > 0, CLASS_NAMES[1], CLASS_NAMES[-1])})
