"""Tables and the JSON schema of results: one definition each, shared by CLI and app.

``comparison_to_dict`` is the CLI contract of docs/cli.md; ``points_frame`` and
``methods_frame`` are the per-point and per-method tables.
"""
import math

import numpy as np
import pandas as pd

METHOD_LABELS = {"ga": "GA (one step)", "do_nothing": "do nothing", "retrain": "retrain",
                 "exact": "exact SVM"}
CERTIFICATE_KEYS = ("eps", "eps_rel", "delta", "tau", "n_support")
# GA leaving retained points this far inside the unit margin (tau, a fraction of it) is not
# successful unlearning whatever eps does. The default demo gives tau ~ 0.02; d <= 100,
# where docs/theory.md §3.8 says the method fails, gives 0.3-0.45.
LARGE_TAU = 0.25


def ga_outcome(ga, do_nothing):
    """"better" (GA's eps_rel below doing nothing's, tau <= LARGE_TAU), "infeasible" (lower
    eps_rel but tau > LARGE_TAU) or "not better"; arguments are method rows or dicts.
    """
    if ga["eps_rel"] >= do_nothing["eps_rel"]:
        return "not better"
    return "infeasible" if ga["tau"] > LARGE_TAU else "better"


def _num(x):
    """A JSON-safe float (None for nan/inf)."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def certificate_dict(cert):
    """eps, eps_rel, delta, tau, n_support (+ kink pairs and solver status) of a certificate."""
    out = {k: _num(getattr(cert, k)) for k in CERTIFICATE_KEYS[:-1]}
    out["n_support"] = cert.n_support
    out["n_kink_pairs"] = cert.n_kink_pairs
    out["n_mu_violations"] = cert.n_mu_violations
    out["converged"] = bool(cert.converged)
    return out


def method_dict(result):
    """One method's entry of the contract's ``methods`` object."""
    out = certificate_dict(result.certificate)
    out["cosine_to_retrain"] = _num(result.cosine_to_retrain)
    if result.cosine_to_exact is not None:
        out["cosine_to_exact"] = _num(result.cosine_to_exact)
    out["forget_margins"] = [_num(q) for q in result.forget_margins]
    out["max_retained_margin_change"] = _num(result.max_retained_margin_change)
    if result.test_accuracy is not None:
        out["test_accuracy"] = _num(result.test_accuracy)
        out["test_agreement_with_retrain"] = _num(result.test_agreement)
    out["seconds"] = _num(result.seconds)
    return out


def comparison_to_dict(comparison):
    """The JSON object of ``python -m core.cli unlearn --json`` (docs/cli.md)."""
    prep = comparison.prepared
    sc, trained, gauge = prep.scenario, prep.trained, prep.gauge
    config = sc.to_dict()
    config.update(steps=sc.n_steps, forget=list(comparison.forget), scale=comparison.scale,
                  sequential=comparison.sequential)
    if trained is None:
        train = dict(steps=0, final_loss=None, min_margin=None, seconds=0.0, path="exact")
    else:
        h = trained.history
        train = dict(steps=int(h.steps[-1]), final_loss=_num(trained.final_loss),
                     log_final_loss=_num(h.log_loss[-1]), min_margin=_num(h.min_margin[-1]),
                     normalized_margin=_num(h.normalized_margin[-1]),
                     seconds=_num(trained.seconds), path=trained.path)
    return {
        "config": config,
        "data": dict(n=prep.dataset.n_samples, d=prep.dataset.dim, rho=_num(gauge.rho),
                     n_lt_d=bool(gauge.n_lt_d), regime=gauge.regime, verdict=gauge.verdict,
                     name=prep.dataset.name, n_test=0 if prep.dataset.X_test is None
                     else int(prep.dataset.X_test.shape[0])),
        "train": train,
        "original": certificate_dict(prep.original),
        "points": [dict(index=int(r.index), label=int(r.label), margin=_num(r.margin),
                        lam=_num(r.lam), support=bool(r.support))
                   for r in points_frame(prep).itertuples()],
        "forget": list(comparison.forget),
        "methods": {name: method_dict(res) for name, res in comparison.methods.items()},
    }


def points_frame(prepared, forget=()):
    """Per-point table: index, label, margin q_i, lam_i, support, kink pairs, forgotten."""
    cert = prepared.original
    forgotten = np.zeros(cert.lam.shape[0], dtype=bool)
    forgotten[list(forget)] = True
    return pd.DataFrame({
        "index": np.arange(cert.lam.shape[0]),
        "label": prepared.ctx.y.astype(int),
        "margin": cert.margins,
        "lam": cert.lam,
        "support": cert.support,
        "kink_pairs": cert.kink_pairs_per_point(),
        "forgotten": forgotten,
    })


def methods_frame(comparison):
    """One row per method: the certificate on R and the comparison metrics."""
    rows = []
    for name, res in comparison.methods.items():
        row = {"method": name, "label": METHOD_LABELS[name]}
        row.update(method_dict(res))
        row["forget_margins"] = ", ".join(f"{q:.3g}" for q in res.forget_margins)
        rows.append(row)
    return pd.DataFrame(rows)
