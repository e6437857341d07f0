"""Tables and the JSON schema of results: one definition each, shared by CLI and app.

``comparison_to_dict`` is the CLI contract of docs/cli.md; ``points_frame`` and
``methods_frame`` are the per-point and per-method tables.
"""
import math

import numpy as np

from core.registry import label
from core.transform import data_record

CERTIFICATE_KEYS = ("eps", "eps_rel", "delta", "tau", "n_support")
# GA leaving retained points this far inside the unit margin (tau, a fraction of it) is not
# successful unlearning whatever eps does. The default demo gives tau ~ 0.02; d <= 100,
# where docs/theory.md §3.8 says the method fails, gives 0.3-0.45.
LARGE_TAU = 0.25


OUTSIDE_BETTER = ("GA was better than doing nothing here, outside the regime where the "
                  "paper's guarantee applies")


def ga_outcome(ga, do_nothing, regime=None):
    """"better" (GA's eps_rel below doing nothing's, tau <= LARGE_TAU), "better outside
    regime" (the same where the regime gauge says "outside": a measurement, not a success
    of the theory), "infeasible" (lower eps_rel but tau > LARGE_TAU) or "not better";
    ``ga`` and ``do_nothing`` are method rows or dicts, ``regime`` the gauge's regime.
    """
    if ga["eps_rel"] >= do_nothing["eps_rel"]:
        return "not better"
    if ga["tau"] > LARGE_TAU:
        return "infeasible"
    return "better outside regime" if regime == "outside" else "better"


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


def certificate_caveat(cert):
    """Why a certificate's eps is not the exact Clarke certificate's, or "" when it is.

    ``cert`` is a ``certificate_dict`` (or a row of ``methods_frame``): the solver stopped
    before its optimum (eps is an upper bound), or mu_ji > lam_i on some kink pairs (the
    unbounded option: eps can be below the true certificate's).
    """
    notes = []
    if not cert["converged"]:
        notes.append("not converged: eps is an upper bound")
    if cert["n_mu_violations"]:
        notes.append(f"mu > lambda on {cert['n_mu_violations']} kink pairs: eps may be "
                     "below the certificate's")
    return "; ".join(notes)


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
    out["grad_evals"] = result.grad_evals
    out["params"] = dict(result.params)
    return out


def mia_dict(audit, name):
    """``methods.<name>.mia`` of the contract: per forgotten point (lists in forget order)
    log_lr, p_member and the shadows' IN/OUT fits; ``auc`` (forget set vs fresh points) and
    ``auc_retained`` with generated data.
    """
    res, shadows = audit.methods[name], audit.shadows
    out = dict(s=[_num(x) for x in res.s], log_lr=[_num(x) for x in res.log_lr],
               p_member=[_num(x) for x in res.p_member],
               in_mean=[_num(st.fit_in[0]) for st in shadows],
               in_std=[_num(st.fit_in[1]) for st in shadows],
               out_mean=[_num(st.fit_out[0]) for st in shadows],
               out_std=[_num(st.fit_out[1]) for st in shadows], shadows=audit.n_shadows)
    if res.auc is not None:
        out.update(auc=_num(res.auc), auc_retained=_num(res.auc_retained))
    return out


def format_params(params):
    """{'k': 10, 'eta': 0.25} -> 'k=10, eta=0.25' (a table cell)."""
    return ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                     for k, v in params.items())


def comparison_to_dict(comparison, audit=None):
    """The JSON object of ``python -m explorer unlearn --json`` (docs/cli.md); with a
    core.mia.Audit each method gains ``mia`` (``mia_dict``).
    """
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
                     else int(prep.dataset.X_test.shape[0]), **data_record(sc, prep.dataset)),
        "train": train,
        "original": certificate_dict(prep.original),
        "points": [dict(index=i, label=int(label), margin=_num(q), lam=_num(lam),
                        support=bool(s)) for i, (label, q, lam, s) in enumerate(zip(
                            prep.ctx.y, prep.original.margins, prep.original.lam,
                            prep.original.support))],
        "forget": list(comparison.forget),
        "methods": {name: dict(method_dict(res), **({} if audit is None else
                                                     {"mia": mia_dict(audit, name)}))
                    for name, res in comparison.methods.items()},
    }


def points_frame(prepared, forget=()):
    """Per-point table: index, label, margin q_i, lam_i, support, kink pairs, forgotten."""
    cert = prepared.original
    forgotten = np.zeros(cert.lam.shape[0], dtype=bool)
    forgotten[list(forget)] = True
    import pandas as pd  # tables only: the CLI's JSON path never loads pandas

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
        row = {"method": name, "label": label(name)}
        row.update(method_dict(res))
        row["forget_margins"] = ", ".join(f"{q:.3g}" for q in res.forget_margins)
        row["params"] = format_params(res.params)
        rows.append(row)
    import pandas as pd

    return pd.DataFrame(rows)
