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
    out["margin_distance_to_retrain"] = _num(result.margin_distance_to_retrain)
    out["test_disagreement"] = _num(result.test_disagreement)
    out["kl_to_retrain"] = _num(result.kl_to_retrain)
    return out


def measures(result):
    """A method's distances to the reference retrain, by the floor's measure names."""
    return dict(cosine_to_retrain=result.cosine_to_retrain,
                eps_rel=result.certificate.eps_rel,
                margin_distance_to_retrain=result.margin_distance_to_retrain,
                test_disagreement=result.test_disagreement,
                kl_to_retrain=result.kl_to_retrain)


FLOOR_NOTE = {True: "linear model: W_0 = 0 and GD are deterministic, every retraining is "
                    "the same model (the max-margin solution is unique), so the floor is 0",
              False: "K retrainings on R from W_0 of other seeds, against the reference "
                     "retrain; eps_rel also counts the reference's own"}


def floor_dict(floor):
    """The top-level ``floor`` object: k, {mean, min, max} per measure, unique, note."""
    out = {"k": floor.k}
    for measure in floor.values:
        out[measure] = {key: _num(v) for key, v in floor.summary(measure).items()}
    out.update(unique=floor.unique, note=FLOOR_NOTE[floor.unique],
               seconds=_num(floor.seconds))
    return out


def floor_verdict(floor, result):
    """{within_floor, floor_ratio}: inside retraining's range on every measure, and each
    distance over the floor's largest (null: the floor is 0 and the distance is not).
    """
    within, ratios = floor.verdict(measures(result))
    return {"within_floor": bool(within),
            "floor_ratio": {m: _num(r) for m, r in ratios.items()}}


def ulira_dict(ulira, name):
    """``methods.<name>.ulira``: auc, auc_low, auc_high, tpr_at_1fpr, k (target pairs per
    side), shadows (pairs fitted); ``error`` instead when too few pairs were usable.
    """
    if name in ulira.failed:
        return {"error": ulira.failed[name], "k": ulira.k}
    a = ulira.attacks[name]
    return dict(auc=_num(a.auc), auc_low=_num(a.auc_low), auc_high=_num(a.auc_high),
                tpr_at_1fpr=_num(a.tpr_at_1fpr), k=a.k, shadows=a.shadows)


def evidence_entries(name, res, floor=None, ulira=None, relearn=None):
    """The optional keys of one method: within_floor and floor_ratio, ulira,
    relearn_steps and relearn_reached.
    """
    out = {}
    if floor is not None:
        out.update(floor_verdict(floor, res))
    if ulira is not None:
        out["ulira"] = ulira_dict(ulira, name)
    if relearn is not None:
        out.update(relearn_steps=relearn[name].steps, relearn_reached=relearn[name].reached)
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
               out_std=[_num(st.fit_out[1]) for st in shadows], shadows=audit.n_shadows,
               shadows_in=[st.n_in for st in shadows], shadows_out=[st.n_out for st in shadows])
    if res.auc is not None:
        out.update(auc=_num(res.auc), auc_retained=_num(res.auc_retained))
    return out


def mia_verdict(p_member):
    """One sentence from {method: largest p_member over the forgotten points}: which models
    still look like they hold a forgotten point (p_member > 0.5) and which look like models
    that never saw it.
    """
    members = [label(n) for n, p in p_member.items() if p is not None and p > 0.5]
    others = [label(n) for n, p in p_member.items() if p is not None and p <= 0.5]
    if not members:
        return ("Every method's model looks like one trained without the forgotten points "
                "(p_member ≤ 0.5).")
    if not others:
        return "Every method's model still looks like one trained with the forgotten points."
    return (f"{', '.join(members)} still look{'s' if len(members) == 1 else ''} like a model "
            f"trained with the forgotten points; {', '.join(others)} like one trained "
            "without them.")


def format_params(params):
    """{'k': 10, 'eta': 0.25} -> 'k=10, eta=0.25' (a table cell)."""
    return ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                     for k, v in params.items())


def comparison_to_dict(comparison, audit=None, floor=None, ulira=None, relearn=None):
    """The JSON object of ``python -m explorer unlearn --json`` (docs/cli.md); with a
    core.mia.Audit each method gains ``mia`` (``mia_dict``); with a core.floor.Floor the
    object gains ``floor`` and each method ``within_floor`` and ``floor_ratio``; with a
    core.ulira.Ulira each method gains ``ulira``; with core.relearn's results,
    ``relearn_steps`` and ``relearn_reached``.
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
        "outputs": {"set": comparison.output_set, "n": comparison.n_outputs},
        **({} if floor is None else {"floor": floor_dict(floor)}),
        "methods": {name: dict(method_dict(res), **({} if audit is None else
                                                     {"mia": mia_dict(audit, name)}),
                               **evidence_entries(name, res, floor, ulira, relearn))
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


def methods_frame(comparison, floor=None, ulira=None, relearn=None):
    """One row per method: the certificate on R and the comparison metrics; with the
    evidence of forgetting (core.floor, core.ulira, core.relearn) also ``within_floor``,
    ``floor_ratio`` (the largest distance over the floor's), ``ulira_auc`` with
    ``ulira_low``/``ulira_high`` and ``ulira_tpr``, and ``relearn_steps``.
    """
    rows = []
    for name, res in comparison.methods.items():
        row = {"method": name, "label": label(name)}
        row.update(method_dict(res))
        row["forget_margins"] = ", ".join(f"{q:.3g}" for q in res.forget_margins)
        row["params"] = format_params(res.params)
        row.update(evidence_row(evidence_entries(name, res, floor, ulira, relearn)))
        rows.append(row)
    import pandas as pd

    return pd.DataFrame(rows)


def evidence_row(entries):
    """``evidence_entries`` as flat table cells."""
    row = {}
    if "within_floor" in entries:
        ratios = [r for r in entries["floor_ratio"].values()]
        row["within_floor"] = entries["within_floor"]
        row["floor_ratio"] = (float("inf") if any(r is None for r in ratios)
                              else max(ratios, default=float("nan")))
    if "ulira" in entries:
        u = entries["ulira"]
        row.update(ulira_auc=u.get("auc"), ulira_low=u.get("auc_low"),
                   ulira_high=u.get("auc_high"), ulira_tpr=u.get("tpr_at_1fpr"))
    if "relearn_steps" in entries:
        row["relearn_steps"] = entries["relearn_steps"]
        row["relearn_reached"] = entries["relearn_reached"]
    return row
