"""What the paper states, tested on a reproduction's own rows; what we measure, reported.

Three kinds of statement, never mixed (docs/theory.md §3.8):

* ``paper_claims``: the statements of the paper's abstract, quoted, each tested by a rule
  written here (``core.sweeps.stats``) whose verdict matches the statement's words, where
  it can fail (the linear model's ε = 0 at c = 1 cannot when n < d: δ and τ are tested);
* ``core.sweeps.readings.our_reading``: what we read into the paper beyond its abstract
  (the O(1/√d) rate, the regime ρ < 1, the linear results that hold by construction),
  tested or reported, and never counted as the paper's;
* ``measurements``: this project's measured bands (mean, min-max over seeds), with their
  settings, and no verdict. No number here is attributed to the paper.

Frames are the sweeps of ``core.sweeps.reproduce.sweep_specs`` (one row per value, seed
and method) and the forgetting curves of ``core.sweeps.generalization``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from core.sweeps.stats import falls_with, paired_difference, per_seed, summarize

HIGH_DIM = 1000              # "high dimensional": the d >= HIGH_DIM end of the sweeps
RATE_FROM_DIM = 200          # the 1/sqrt(d) fit uses d >= this (n = 40 is not << d below)
C_WINDOW = (0.8, 1.2)        # two-layer: where the minimum of mean eps_rel over c must fall
EXACT_EPS = 1e-10            # linear, c = 1: the forgotten term is removed exactly
ACCURACY_MARGIN = 0.02       # "preserves generalization": GA - retrain within +-this
FORGETS = {"": "the largest-λ support vector", "_point0": "point 0"}
SYMBOLS = {"eps_rel": "ε_rel", "delta": "δ", "tau": "τ"}
NEEDED_METHODS = ("ga", "do_nothing", "retrain")   # the rules compare GA with these


def with_needed_methods(methods):
    """``methods`` plus the ones the claims' rules need (``NEEDED_METHODS``), which a
    reproduction runs whatever ``--methods`` says.
    """
    return tuple(dict.fromkeys(NEEDED_METHODS + tuple(methods)))

ABSTRACT_SUCCESS = ("“for both linear models and two-layer neural networks with high "
                    "dimensional data, a properly scaled gradient-ascent step satisfies this "
                    "criterion [(ε, δ, τ)-successful unlearning]”")
ABSTRACT_RETRAIN = ("“[the step] yields a model that closely approximates the retrained "
                    "solution on the retained data”")
ABSTRACT_MIXTURE = ("“gradient ascent performs successful unlearning while still preserving "
                    "generalization in a synthetic Gaussian-mixture setting”")


@dataclass(frozen=True)
class Claim:
    """A tested statement (``held`` True/False) or a measurement (``held`` None)."""

    key: str
    statement: str           # what is tested, or what is measured
    rule: str                # how it is tested (empty for a measurement)
    measured: str
    held: bool | None
    quote: str = ""          # the paper's words the test is about (empty: a measurement)
    verdict: str = ""        # the verdict's words when not plainly held / did not hold

    @property
    def mark(self):
        """'held', 'did not hold', or the verdict's own words."""
        return self.verdict or ("held" if self.held else "did not hold")


def fmt(x):
    """A number in a claim's text: 3 significant digits, "n/a" when missing."""
    return "n/a" if x is None or not math.isfinite(x) else f"{x:.3g}"


def _interval(p):
    return f"{fmt(p.mean)} [{fmt(p.low)}, {fmt(p.high)}]"


def _paired_at(frame, metric, a, b, values):
    """Paired difference a - b of ``metric`` over seeds at each value."""
    ta, tb = per_seed(frame, metric, a), per_seed(frame, metric, b)
    return {v: paired_difference(ta.loc[v], tb.loc[v]) for v in values if v in ta.index}


def paper_claims(frames, plan):
    """Every statement of the abstract, each tested by its rule on the frames."""
    claims = []
    lin, relu = frames["scaling_linear"], frames["scaling_relu"]
    for suffix, label in FORGETS.items():
        claims += _linear_claims(frames["scaling_linear" + suffix],
                                 frames["step_size_linear" + suffix], label, suffix)
        claims += _relu_claims(frames["scaling_relu" + suffix],
                               frames["step_size_relu" + suffix], label, suffix)
    parts, ok = [], True
    for name, frame in (("linear", lin), ("two-layer", relu)):
        big = [d for d in sorted(set(frame["value"])) if d >= HIGH_DIM]
        diffs = _paired_at(frame, "cosine_to_retrain", "do_nothing", "ga", big)
        ok &= bool(diffs) and all(p.held for p in diffs.values())
        parts.append(f"{name}: " + ", ".join(f"d={d:g}: {_interval(p)}"
                                            for d, p in diffs.items()))
    claims.append(Claim(
        "close_to_retrain", "GA is closer to retraining than doing nothing",
        f"GA's cosine to the retrained model is higher than doing nothing's: the paired "
        f"difference (do nothing − GA) over seeds has its 95% t-interval below 0 at every "
        f"d ≥ {HIGH_DIM} (largest-λ point forgotten).",
        "do nothing − GA, mean [95% interval]: " + "; ".join(parts), ok, ABSTRACT_RETRAIN))
    claims += _mixture_claims(frames["generalization"], plan)
    return claims


def _linear_claims(scaling, steps, label, suffix):
    """The linear model's testable part: ε = 0 at c = 1 and the V in c hold by construction
    when n < d (a GD-trained linear model is exactly sum_i a_i x_i; ``core.sweeps.readings``
    reports them), so the statement is tested where it can fail: δ and τ.
    """
    return [fall_claim("linear_slack" + suffix, f"linear model, δ and τ of GA fall with d "
                       f"({label} forgotten)", scaling, ("delta", "tau"))]


def fall_claim(key, statement, scaling, metrics):
    """"<metrics> of GA fall with d": ``falls_with`` on each metric's per-seed table."""
    parts, ok = [], True
    for metric in metrics:
        fall = falls_with(per_seed(scaling, metric, "ga"))
        ok &= fall.held
        rise = ("no rise" if fall.rise_at is None else
                f"rise {fmt(fall.worst_rise)} at d={fall.rise_at[0]:g}→{fall.rise_at[1]:g} "
                f"against a spread of {fmt(fall.spread)}")
        parts.append(f"{SYMBOLS[metric]}: Spearman ρ = {fmt(fall.rho)}, {rise}")
    names = " and ".join(SYMBOLS[m] for m in metrics)
    return Claim(key, statement,
                 f"{names} of GA at c = 1 fall{'s' if len(metrics) == 1 else ''} with d: "
                 "Spearman ρ ≤ −0.8 between d and the seeds' mean, and no rise between "
                 "consecutive d larger than the seeds' min-max spread there.",
                 "; ".join(parts), ok, ABSTRACT_SUCCESS)


def _relu_claims(scaling, steps, label, suffix):
    table = per_seed(scaling, "eps_rel", "ga")
    fall = falls_with(table)
    rise = ("no rise between consecutive d" if fall.rise_at is None else
            f"largest rise {fmt(fall.worst_rise)} (d={fall.rise_at[0]:g}→{fall.rise_at[1]:g}) "
            f"against a seed spread of {fmt(fall.spread)}")
    means = table.mean(axis=1)
    out = [Claim(
        "relu_decay" + suffix, f"two-layer net, ε_rel of GA falls with d ({label} "
        "forgotten)",
        "ε_rel of GA at c = 1 falls with d: Spearman ρ ≤ −0.8 between d and the seeds' mean, "
        "and no rise between consecutive d larger than the seeds' min-max spread there.",
        f"Spearman ρ = {fmt(fall.rho)}; {rise}; mean ε_rel "
        + ", ".join(f"{fmt(v)} (d={d:g})" for d, v in means.items()), fall.held,
        ABSTRACT_SUCCESS),
        fall_claim("relu_slack" + suffix, f"two-layer net, δ and τ of GA fall with d ({label} "
                   "forgotten)", scaling, ("delta", "tau"))]
    big = [d for d in table.index if d >= HIGH_DIM]
    diffs = _paired_at(scaling, "eps_rel", "ga", "do_nothing", big)
    out.append(Claim(
        "relu_beats" + suffix, f"two-layer net, GA beats doing nothing for d ≥ {HIGH_DIM} "
        f"({label})",
        f"At every d ≥ {HIGH_DIM} the paired difference of ε_rel (GA − do nothing) over "
        "seeds has its 95% t-interval below 0 (the sign test is reported too).",
        "GA − do nothing, mean [95% interval], runs GA lower, sign-test p: " + "; ".join(
            f"d={d:g}: {_interval(p)}, {p.n_below}/{p.n}, p={p.sign_p:.2g}"
            for d, p in diffs.items()),
        bool(diffs) and all(p.held for p in diffs.values()), ABSTRACT_SUCCESS))
    m = per_seed(steps, "eps_rel", "ga").mean(axis=1)
    c_min = float(m.idxmin())
    out.append(Claim(
        "relu_c_min" + suffix, f"“properly scaled”: two-layer net, best c ({label})",
        f"The minimum over c of GA's mean ε_rel lies in [{C_WINDOW[0]}, {C_WINDOW[1]}] "
        "around the theory's step c = 1.",
        f"minimum {fmt(float(m.min()))} at c = {c_min:g}; ε_rel {fmt(float(m.get(1.0)))} at "
        f"c = 1, {fmt(float(m.iloc[0]))} at c = {m.index[0]:g}",
        C_WINDOW[0] <= c_min <= C_WINDOW[1], ABSTRACT_SUCCESS))
    return out


def _mixture_claims(curve, plan):
    acc = curve.pivot_table(index=["k", "seed"], columns="method", values="test_accuracy")
    eps = curve.pivot_table(index=["k", "seed"], columns="method", values="eps_rel")
    last = int(curve["k"].max())
    first = paired_difference(acc.loc[1, "ga"], acc.loc[1, "retrain"])
    worst_k, worst = 1, first
    for k in range(1, last + 1):
        p = paired_difference(acc.loc[k, "ga"], acc.loc[k, "retrain"])
        if max(abs(p.low), abs(p.high)) > max(abs(worst.low), abs(worst.high)):
            worst_k, worst = k, p
    inside = lambda p: -ACCURACY_MARGIN <= p.low and p.high <= ACCURACY_MARGIN  # noqa: E731
    forget = paired_difference(eps.loc[1, "ga"], eps.loc[1, "do_nothing"])
    where = f"{plan.curve_seeds} seeds, d = 1000, ‖μ‖ = 4"
    return [Claim(
        "mixture_one_step", "mixture, one GA step: unlearns, and accuracy as retraining's",
        f"The paired difference of test accuracy (GA − retrain) over seeds has its 95% "
        f"t-interval inside ±{ACCURACY_MARGIN} after one removal, and ε_rel of GA is below "
        "doing nothing's (t-interval of the paired difference below 0).",
        f"accuracy GA − retrain at k = 1: {_interval(first)}; ε_rel GA − do nothing: "
        f"{_interval(forget)} ({where})", inside(first) and forget.held, ABSTRACT_MIXTURE),
        Claim(
        "mixture_sequential", f"mixture, {last} points forgotten one after another "
        "(sequential GA)", f"The same accuracy interval inside ±{ACCURACY_MARGIN} after "
        f"each of the {last} removals (an extension: the abstract speaks of one step).",
        f"widest interval: k = {worst_k}: {_interval(worst)} ({where})", inside(worst),
        ABSTRACT_MIXTURE)]


def measurements(frames, plan):
    """Measured bands of this project (no verdicts): mean [min, max] over seeds."""
    out = []
    for suffix, label in FORGETS.items():
        bands = _bands(frames["scaling_relu" + suffix], ("value", "method"), "eps_rel")
        out.append(Claim(
            "band_relu" + suffix, f"Two-layer net, ε_rel at c = 1, {label} forgotten", "",
            "; ".join(f"d={d:g}: GA {bands[d, 'ga']}, do nothing {bands[d, 'do_nothing']}"
                      for d in sorted({d for d, _ in bands})), None))
    relu = frames["scaling_relu"]
    small = [d for d in sorted(set(relu["value"])) if d <= 100]
    diffs = _paired_at(relu, "eps_rel", "ga", "do_nothing", small)
    out.append(Claim(
        "low_dim", "Two-layer net at d ≤ 100 (n = 40 not ≪ d): ε_rel GA − do nothing", "",
        "; ".join(f"d={d:g}: {_interval(p)}" for d, p in diffs.items()), None))
    trained = relu.drop_duplicates(["value", "seed"])
    steps = summarize(trained, by=("value",), metrics=("steps",))
    capped = trained[trained["trained_eps_rel"] >= plan.eps_target]
    capped_dims = ", ".join(f"{d:g}" for d in sorted(set(capped["value"])))
    out.append(Claim(
        "training", f"Training: GD steps chosen from {list(plan.relu_steps)} (the first "
        f"whose trained ε_rel < {plan.eps_target:g}; the last is the cap)", "",
        "steps used (min–max over seeds): " + ", ".join(
            f"d={d:g}: {int(lo)}–{int(hi)}" for d, lo, hi in
            zip(steps["value"], steps["steps_min"], steps["steps_max"]))
        + f"; {len(capped)} of {len(trained)} runs stopped at the cap with trained ε_rel ≥ "
          f"{plan.eps_target:g}" + (f" (d = {capped_dims})" if len(capped) else ""),
        None))
    out.append(_breaking(frames["breaking_relu"], plan))
    curve = frames["generalization"]
    acc = _bands(curve, ("k", "method"), "test_accuracy")
    last = int(curve["k"].max())
    out.append(Claim(
        "mixture_levels", f"Mixture (d = 1000, ‖μ‖ = 4): test accuracy over "
        f"{plan.curve_seeds} seeds", "",
        f"before: {acc[0, 'ga']}; after k = {last} removals: GA {acc[last, 'ga']}, "
        f"retrain {acc[last, 'retrain']}, do nothing {acc[last, 'do_nothing']}", None))
    if "methods_cost" in frames:
        out.append(_cost(frames["methods_cost"], plan))
    return out


def _bands(frame, by, metric):
    """'mean [min–max]' over seeds of ``metric`` (``summarize``), keyed by the ``by`` values."""
    table = summarize(frame, by=by, metrics=(metric,))
    return {tuple(r[list(by)]): f"{fmt(r[metric])} [{fmt(r[metric + '_min'])}–"
            f"{fmt(r[metric + '_max'])}]" for _, r in table.iterrows()}


def _breaking(frame, plan):
    failed = frame.attrs.get("failures", [])
    diffs = _paired_at(frame, "eps_rel", "ga", "do_nothing", sorted(set(frame["value"])))
    text = "; ".join(f"n={n:g}: {_interval(p)}" for n, p in diffs.items())
    if failed:
        text += (f"; training did not separate the data in {len(failed)} runs (n = "
                 f"{', '.join(sorted({f'{j.values[0]:g}' for j in failed}))})")
    return Claim("breaking", f"More training points at d = {plan.break_dim}: ε_rel GA − do "
                 "nothing, mean [95% interval]", "", text, None)


def _cost(frame, plan):
    rows = frame[frame["method"] != "do_nothing"]
    eps, cost = _bands(rows, ("method",), "eps_rel"), _bands(rows, ("method",), "grad_evals")
    parts = [f"{m}: ε_rel {eps[m,]}, gradient evaluations {cost[m,]}"
             for m in dict.fromkeys(rows["method"])]
    return Claim("methods_cost", f"Methods at d = {plan.cost_dim} (two-layer, largest-λ "
                 "point): quality and cost", "", "; ".join(parts), None)


def decay_sensitivity(scaling):
    """Per-seed table of GA's eps_rel against d (with steps used) and the decay verdict
    with each seed left out: (table DataFrame, held count, seed count).
    """
    table = per_seed(scaling, "eps_rel", "ga")
    steps = scaling[scaling["method"] == "ga"].pivot_table(index="value", columns="seed",
                                                           values="steps")
    held = sum(falls_with(table.drop(columns=s)).held for s in table.columns) \
        if table.shape[1] > 2 else 0
    cells = table.apply(lambda col: [
        f"{v:.3g} ({int(steps.loc[d, col.name])})" if math.isfinite(v) else "failed"
        for d, v in col.items()])
    cells.columns = [f"seed {s}" for s in table.columns]
    return cells, int(held), int(table.shape[1])
