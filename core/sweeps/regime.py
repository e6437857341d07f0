"""The regime dial (docs/theory.md §4): one sweep over the Fourier lift's bandwidth B.

As B shrinks, random Fourier features make distinct points nearly orthogonal: rho falls and
one GA step starts to beat doing nothing, while the model generalizes less. ``run_dial``
measures both sides on one scenario: for each B (and without a lift, B = inf) and seed it
trains, forgets the largest-lam support vector and measures GA, doing nothing and retrain
(``core.sweeps.run``: the same rows as every sweep, the same jobs on any executor).
``dial_frame`` turns the rows into one row per (B, seed) with the dial's measures, and
``dial_table`` into mean and range over seeds; ``present.regime_figures`` draws the figure.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from core.errors import InputError
from core.sweeps.claims import Claim
from core.sweeps.run import run_sweep
from core.sweeps.spec import SweepSpec
from core.sweeps.store import output_matches

DIAL_BANDWIDTHS = (0.05, 0.1, 0.2, 0.5, 1.0)
DIAL_LIFT = 4000            # D of the dial when the scenario has no Fourier lift of its own
DIAL_SEEDS = 3
DIAL_METHODS = ("ga", "do_nothing", "retrain")
NO_LIFT = math.inf          # the dial's B for the data without a lift
MEASURES = ("rho", "test_accuracy", "eps_rel_ga", "eps_rel_do_nothing", "ratio",
            "cosine_ga", "test_accuracy_ga", "trained_eps_rel")


@dataclass(frozen=True, eq=False)
class Dial:
    """A dial's rows (``dial_frame``), its lift D and the failed runs (B, seed, message)."""

    frame: pd.DataFrame
    lift: int
    failures: tuple = ()


def dial_lift(scenario):
    """D of the dial: the scenario's own Fourier lift, else DIAL_LIFT."""
    return scenario.lift if scenario.lift and scenario.lift_kind == "fourier" else DIAL_LIFT


def current_bandwidth(scenario):
    """The scenario's place on the dial: its B (Fourier lift), else inf (no lift), else
    None (another lift: not on the dial).
    """
    if not scenario.lift:
        return NO_LIFT
    return scenario.bandwidth if scenario.lift_kind == "fourier" else None


def dial_specs(scenario, bandwidths=DIAL_BANDWIDTHS, seeds=DIAL_SEEDS):
    """(the bandwidth sweep with the Fourier lift, the same seeds without a lift): two
    ``SweepSpec``s on the scenario's data, preprocessing and model.
    """
    bandwidths = tuple(bandwidths)
    if not bandwidths or not all(isinstance(b, (int, float)) and not isinstance(b, bool)
                                 for b in bandwidths):
        raise InputError("The dial needs a list of bandwidths B, e.g. 0.05,0.1,0.2,0.5,1.")
    lifted = scenario.replace(lift=dial_lift(scenario), lift_kind="fourier",
                              bandwidth=float(bandwidths[0]))
    plain = scenario.replace(lift=0, lift_kind="relu", bandwidth=1.0)
    return (SweepSpec(lifted, "bandwidth", bandwidths, seeds, methods=DIAL_METHODS),
            SweepSpec(plain, "scale", (1.0,), seeds, methods=DIAL_METHODS))


def run_dial(scenario, bandwidths=DIAL_BANDWIDTHS, seeds=DIAL_SEEDS, executor=None,
             progress=None, out=None):
    """Measure the dial on ``scenario``; returns a ``Dial``.

    Parameters
    ----------
    scenario : Scenario, its data, preprocessing, model and training settings
    bandwidths : the B values (each from 0.001 to 1000)
    seeds : int, seeds scenario.seed, scenario.seed + 1, ...
    executor : core.sweeps.executors executor (default: every local core)
    progress : callable(done, total) called as each run finishes; it may raise
        core.errors.Cancelled to stop
    out : None, or a pair of CSV paths (lifted, unlifted) the rows are kept in (resumable)
    """
    specs = dial_specs(scenario, bandwidths, seeds)
    counts = (len(specs[0].values) * seeds, seeds)      # jobs of each spec
    results = []
    for k, spec in enumerate(specs):
        offset = sum(counts[:k])

        def step(finished, _total, _outcome, offset=offset):
            if progress is not None:
                progress(offset + finished, sum(counts))
        path = None if out is None else out[k]
        results.append(run_sweep(spec, out=path, executor=executor, progress=step,
                                 overwrite=path is not None and not output_matches(spec, path)))
    failures = tuple((NO_LIFT if f.job.param == "scale" else f.job.values[0], f.job.seed,
                      f.error) for r in results for f in r.failures)
    frame = dial_frame(results[0].frame, results[1].frame)
    frame.attrs["note"] = failures_note(failures, seeds)
    return Dial(frame=frame, lift=dial_lift(scenario), failures=failures)


def failures_note(failures, seeds):
    """'no lift: 2 of 2 runs did not train (left out)', per bandwidth with failures."""
    counts = {}
    for bandwidth, _, _ in failures:
        counts[bandwidth] = counts.get(bandwidth, 0) + 1
    return "; ".join(f"{'no lift' if b == NO_LIFT else f'B = {b:g}'}: {k} of {seeds} runs "
                     "did not train (left out)" for b, k in counts.items())


def dial_frame(lifted, plain):
    """One row per (bandwidth, seed): rho, test accuracy of the trained model and of GA,
    eps_rel of GA and of doing nothing, their ratio, GA's cosine to retrain and the
    trained model's eps_rel on S. ``plain`` (the rows without a lift) gets B = inf.
    """
    parts = []
    for rows, bandwidth in ((lifted, None), (plain, NO_LIFT)):
        if rows is None or not len(rows):
            continue
        wide = rows.pivot_table(index=["value", "seed"], columns="method",
                                values=["eps_rel", "test_accuracy", "cosine_to_retrain"],
                                dropna=False)
        first = rows.groupby(["value", "seed"])[["rho", "trained_eps_rel"]].first()
        part = pd.DataFrame({
            "rho": first["rho"], "trained_eps_rel": first["trained_eps_rel"],
            "test_accuracy": _column(wide, "test_accuracy", "do_nothing"),
            "test_accuracy_ga": _column(wide, "test_accuracy", "ga"),
            "eps_rel_ga": _column(wide, "eps_rel", "ga"),
            "eps_rel_do_nothing": _column(wide, "eps_rel", "do_nothing"),
            "cosine_ga": _column(wide, "cosine_to_retrain", "ga")}).reset_index()
        part["ratio"] = part["eps_rel_ga"] / part["eps_rel_do_nothing"]
        part["bandwidth"] = part["value"] if bandwidth is None else bandwidth
        parts.append(part.drop(columns="value"))
    if not parts:
        return pd.DataFrame(columns=["bandwidth", "seed", *MEASURES])
    frame = pd.concat(parts, ignore_index=True)
    return frame[["bandwidth", "seed", *MEASURES]].sort_values(
        ["bandwidth", "seed"], kind="stable").reset_index(drop=True)


def _column(wide, measure, method):
    key = (measure, method)
    return wide[key] if key in wide.columns else float("nan")


def dial_measurements(frames):
    """The dials of a reproduction (frames named ``regime_dial_<data>``) as measurements
    (``core.sweeps.claims.Claim`` with no verdict): per bandwidth, rho, eps_rel of GA over
    doing nothing's and test accuracy, mean [min–max] over seeds.
    """
    out = []
    for name, frame in frames.items():
        if not name.startswith("regime_dial_") or frame.empty:
            continue
        table = dial_table(frame)

        def band(row, m):
            return f"{row[m]:.3g} [{row[m + '_min']:.3g}–{row[m + '_max']:.3g}]"
        text = "; ".join(
            f"{'no lift' if not math.isfinite(r['bandwidth']) else f'B={r.bandwidth:g}'}: "
            f"ρ {band(r, 'rho')}, GA/do nothing ε_rel {band(r, 'ratio')}, test accuracy "
            f"{band(r, 'test_accuracy')}" for _, r in table.iterrows())
        data = frame.attrs.get("data", name.removeprefix("regime_dial_"))
        lift, seeds = frame.attrs.get("lift", DIAL_LIFT), int(table["n_seeds"].max())
        out.append(Claim(name, f"Regime dial on {data}: Fourier lift D = {lift}, {seeds} "
                               "seeds (docs/theory.md §4)", "", text, None))
    return out


def dial_table(frame):
    """Mean, min and max over seeds of every measure, one row per bandwidth (inf last)."""
    grouped = frame.groupby("bandwidth", sort=True)
    out = pd.concat([grouped[list(MEASURES)].mean(),
                     grouped[list(MEASURES)].min().add_suffix("_min"),
                     grouped[list(MEASURES)].max().add_suffix("_max")], axis=1)
    out["n_seeds"] = grouped["seed"].nunique()
    return out.reset_index()
