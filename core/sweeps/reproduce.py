"""Reproduce the paper's claims (docs/theory.md §3.8): sweeps, figures, CSVs and summary.md.

``python -m core.cli reproduce --out DIR [--quick]`` runs the sweeps of a ``Plan``
(certificates against d for both models, eps against c, forgetting on mixture data),
checks every claim on its own output, and writes to DIR:

* ``<figure>.png`` (2x) and ``<figure>.svg``, and ``<figure>.csv``: the numbers drawn
  (mean, min and max over seeds);
* ``data/*.csv``: the raw sweep rows (``core.sweeps.run``; an interrupted run resumes from them);
* ``summary.md``: each claim, the measured numbers and whether it held.

The figures need Altair and vl-convert (``ui.figures``, imported here lazily: core never
imports Streamlit).
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from core.scenario import Scenario
from core.sweeps.claims import check_claims
from core.sweeps.cli import add_executor_options
from core.sweeps.generalization import forgetting_curves
from core.sweeps.run import run_sweep
from core.sweeps.spec import SweepSpec
from core.sweeps.store import output_matches


@dataclass(frozen=True)
class Plan:
    """What a reproduction runs."""

    name: str
    dims: tuple              # d of the scaling sweeps (both models)
    seeds: int               # seeds of every sweep
    scales: tuple            # c of the step-size sweep
    scale_dim: int           # d of the step-size sweep
    removals: int            # K of the sequential forgetting on mixture data
    curve_seeds: int
    break_ns: tuple          # n of the "where it breaks" sweep (two-layer, d = break_dim)
    break_dim: int = 200


QUICK = Plan("quick", dims=(50, 100, 200, 500, 1000, 2000, 5000), seeds=3,
             scales=(0.0, 0.5, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.5, 2.0), scale_dim=1000,
             removals=10, curve_seeds=3, break_ns=(10, 20, 40, 80, 160))
FULL = Plan("full", dims=(50, 100, 200, 500, 1000, 2000, 5000, 10000), seeds=20,
            scales=(0.0, 0.25, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.75,
                    2.0),
            scale_dim=1000, removals=20, curve_seeds=10,
            break_ns=(10, 20, 40, 60, 80, 120, 160, 200, 300))


@dataclass(frozen=True, eq=False)
class Reproduction:
    plan: Plan
    claims: tuple
    figures: tuple           # file stems written
    failures: tuple          # (sweep name, "param=value", seed, error) of failed jobs
    seconds: float
    out: Path
    resumed: int = 0         # jobs found finished in data/ (not rerun)


def sweep_specs(plan):
    """The named sweeps of a plan."""
    relu, linear = Scenario(model="relu"), Scenario(model="linear")
    return {
        "scaling_relu": SweepSpec(relu, "dim", plan.dims, plan.seeds),
        "scaling_linear": SweepSpec(linear, "dim", plan.dims, plan.seeds),
        "step_size_relu": SweepSpec(relu.replace(dim=plan.scale_dim), "scale", plan.scales,
                                    plan.seeds),
        "step_size_linear": SweepSpec(linear.replace(dim=plan.scale_dim), "scale",
                                      plan.scales, plan.seeds),
        "breaking_relu": SweepSpec(relu.replace(dim=plan.break_dim), "n_samples",
                                   plan.break_ns, plan.seeds),
    }


def mixture_scenario():
    """docs/theory.md §3.8's mixture: d = 1000, ||mu|| = 4, two-layer net at the defaults."""
    return Scenario(model="relu", data="mixture")


def run_reproduction(out, quick=False, executor=None, log=None):
    """Run the plan's sweeps through ``executor``, check the claims, write everything.

    Returns a ``Reproduction``. Raises InputError if a sweep could not produce the rows a
    claim needs (its failures are listed).
    """
    from core.sweeps.executors import make_executor

    plan = QUICK if quick else FULL
    log = log or (lambda msg: None)
    out = Path(out)
    (out / "data").mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    own = executor is None
    executor = make_executor() if own else executor
    frames, failures, resumed = {}, [], 0
    try:
        for name, spec in sweep_specs(plan).items():
            path = out / "data" / f"{name}.csv"
            t0 = time.perf_counter()
            result = run_sweep(spec, out=path, executor=executor,
                               overwrite=not output_matches(spec, path))
            if result.interrupted:
                raise KeyboardInterrupt
            failures += [(name, f"{f.job.param}={f.job.values[0]:g}", f.job.seed, f.error)
                         for f in result.failures]
            frames[name] = result.frame
            resumed += result.n_resumed
            frames[name].attrs["failures"] = [f.job for f in result.failures]
            log(f"{name}: {result.n_jobs} jobs ({result.n_resumed} resumed), "
                f"{len(result.failures)} failed, {time.perf_counter() - t0:.1f} s")
            for line in failure_lines(failures, only=name):
                log("  failed: " + line)
        t0 = time.perf_counter()
        curve, curve_failures = _forgetting_curves(plan, executor)
        failures += curve_failures
        curve.to_csv(out / "data" / "generalization.csv", index=False)
        frames["generalization"] = curve
        log(f"generalization: {plan.curve_seeds} seeds x {plan.removals} removals, "
            f"{time.perf_counter() - t0:.1f} s")
    finally:
        if own:
            executor.close()
    claims = check_claims(frames, plan)
    t0 = time.perf_counter()
    figures = write_figures(frames, out, plan)
    log(f"figures: {len(figures)} x (png, svg, csv), {time.perf_counter() - t0:.1f} s")
    rep = Reproduction(plan=plan, claims=tuple(claims), figures=tuple(figures),
                       failures=tuple(failures), seconds=time.perf_counter() - start, out=out,
                       resumed=resumed)
    (out / "summary.md").write_text(summary_markdown(rep))
    return rep


def _forgetting_curves(plan, executor):
    curve, failures = forgetting_curves(mixture_scenario(), plan.removals, 1.0,
                                        plan.curve_seeds, executor)
    return curve, [("generalization", f"seed={seed}", seed, message)
                   for seed, message in failures]


def failure_lines(failures, only=None):
    """Failed jobs grouped by sweep, value and error: 'sweep, n_samples=200: 10 runs
    (seeds 0, 1, ...): The model does not separate the data'.
    """
    groups = {}
    for name, label, seed, error in failures:
        if only is None or name == only:
            groups.setdefault((name, label, error.split(" (")[0]), []).append(seed)
    return [f"{name}, {label}: {len(seeds)} run{'s' if len(seeds) > 1 else ''} (seed "
            f"{', '.join(str(s) for s in sorted(seeds))}): {error}"
            for (name, label, error), seeds in groups.items()]


# ---------------------------------------------------------------------------- output

FIGURES = ("certificates_relu", "certificates_linear", "cosine_to_retrain", "step_size",
           "where_it_breaks", "generalization", "regime")


def write_figures(frames, out, plan):
    """Every figure as PNG, SVG and the CSV of the numbers it draws; returns the stems."""
    from core.sweeps.generalization import summarize_curve
    from core.sweeps.store import summarize
    from ui import figures as fig

    relu, lin = frames["scaling_relu"], frames["scaling_linear"]
    both = pd.concat([lin, relu], ignore_index=True)
    steps = pd.concat([frames["step_size_linear"], frames["step_size_relu"]],
                      ignore_index=True)
    curve = frames["generalization"]
    breaking = frames["breaking_relu"]
    seeds = int(relu["seed"].nunique())
    sub = (f"the largest-λ support vector forgotten by one GA step (c = 1); line: mean over "
           f"{seeds} seeds, band: min–max")
    charts = {
        "certificates_relu": (fig.scaling_figure(
            relu, presentation=True, subtitle=sub,
            title="Two-layer ReLU net: how well one GA step forgets, against d"),
            summarize(relu)),
        "certificates_linear": (fig.scaling_figure(
            lin, presentation=True, subtitle=sub,
            title="Linear model: how well one GA step forgets, against d"), summarize(lin)),
        "cosine_to_retrain": (fig.by_model_figure(
            both, "cosine_to_retrain", presentation=True, subtitle=sub,
            title="How close one GA step gets to retraining (cosine of the parameters)"),
            summarize(both)),
        "step_size": (fig.step_size_figure(steps, presentation=True), summarize(steps)),
        "where_it_breaks": (fig.scaling_figure(
            breaking, metrics=("eps_rel", "cosine_to_retrain"), presentation=True,
            width=380, height=260, subtitle=sub.replace("; line", f", d = {plan.break_dim}; line"),
            rule=(plan.break_dim, "n = d") if max(plan.break_ns) >= plan.break_dim else None,
            title="Where it breaks: more training points at a fixed dimension"),
            summarize(breaking)),
        "generalization": (fig.forgetting_figure(curve, presentation=True),
                           summarize_curve(curve)),
        "regime": (fig.regime_figure(relu, n_samples=Scenario().n_samples, presentation=True),
                   summarize(relu.drop_duplicates(["value", "seed"]), by=("value",),
                             metrics=("rho",))),
    }
    for stem, (chart, table) in charts.items():
        fig.save_figure(chart, out / stem)
        table.to_csv(out / f"{stem}.csv", index=False)
    return list(charts)


def summary_markdown(rep):
    """summary.md: the claims table, the figures, the failures and how it was run."""
    p = rep.plan
    held = [c for c in rep.claims if c.held is not None]
    n_held = sum(c.held for c in held)
    mark = {True: "✅ held", False: "❌ did not hold", None: "ℹ️ info"}
    lines = [
        "# Reproduction of the paper's claims", "",
        f"`python -m core.cli reproduce{' --quick' if p.name == 'quick' else ''}`: "
        f"{p.name} plan, {rep.seconds:.0f} s"
        + (f" ({rep.resumed} sweep runs reused from data/)" if rep.resumed else "")
        + f". {n_held} of {len(held)} claims held.", "",
        f"Settings: orthogonal data, n = 40, two-layer width m = 100, κ = 0.03, normalized "
        f"GD (defaults of docs/theory.md §3.2); the forgotten point is the support vector with "
        f"the largest λ; d ∈ {{{', '.join(f'{d:g}' for d in p.dims)}}}; {p.seeds} seeds "
        f"per point; c ∈ {{{', '.join(f'{c:g}' for c in p.scales)}}} at d = {p.scale_dim}; "
        f"mixture: {p.removals} sequential removals, {p.curve_seeds} seeds; where it "
        f"breaks: n ∈ {{{', '.join(f'{n:g}' for n in p.break_ns)}}} at d = {p.break_dim}.",
        "",
        "| # | claim | measured | verdict |", "|---|---|---|---|"]
    for i, c in enumerate(rep.claims, 1):
        cells = [c.statement.replace("|", "\\|"), c.measured.replace("|", "\\|")]
        lines.append(f"| {i} | {cells[0]} | {cells[1]} | {mark[c.held]} |")
    lines += ["", "## Figures", ""]
    for stem in rep.figures:
        lines.append(f"- `{stem}.png` / `.svg` / `.csv`")
        lines.append(f"  ![{stem}]({stem}.png)")
    lines += ["", "Raw rows (one per value, seed and method) are in `data/`; rerunning the "
              "same command resumes from them."]
    if rep.failures:
        lines += ["", "## Failed jobs", "", "Runs that could not be certified (expected as "
                  "n approaches d: the net may not separate the data there):", ""]
        lines += [f"- {line}" for line in failure_lines(rep.failures)]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------- CLI

def add_reproduce_options(parser):
    p = parser.add_argument
    p("--out", required=True, metavar="DIR", help="directory for figures, CSVs, summary.md")
    p("--quick", action="store_true", help="fewer dimensions and seeds (about a minute)")
    add_executor_options(parser)


def run_cli(args, stream=None):
    """``python -m core.cli reproduce``; returns 0 once everything is written (claims that
    did not hold are reported, not errors), 130 if interrupted.
    """
    from core.sweeps.executors import make_executor

    stream = stream or sys.stderr

    def log(msg):
        print(msg, file=stream, flush=True)

    executor = make_executor(workers=args.workers, scheduler=args.scheduler)
    log(f"reproduce ({'quick' if args.quick else 'full'}) on {executor.describe()} "
        f"-> {args.out}")
    try:
        rep = run_reproduction(args.out, quick=args.quick, executor=executor, log=log)
    except KeyboardInterrupt:
        log(f"interrupted: finished sweeps are kept in {args.out}/data; run the same "
            "command again to resume.")
        return 130
    finally:
        executor.close()
    for i, c in enumerate(rep.claims, 1):
        verdict = {True: "held", False: "DID NOT HOLD", None: "info"}[c.held]
        log(f"{i}. [{verdict}] {c.statement}\n   {c.measured}")
    log(f"wrote {len(rep.figures)} figures, CSVs and summary.md to {args.out} "
        f"in {rep.seconds:.1f} s")
    return 0
