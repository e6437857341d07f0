"""Reproduce the paper's claims (docs/theory.md §3.8): sweeps, figures, CSVs and summary.md.

``python -m explorer reproduce --out DIR [--quick] [--methods ...]`` runs the sweeps of a
``Plan`` (certificates against d for both models and both forget choices, eps against c,
forgetting on mixture data, quality against cost of the methods, the regime dial on real
data: ``core.sweeps.regime``), tests the abstract's
statements on its own output (``core.sweeps.claims``) and writes to DIR:

* ``data/*.csv``: the raw sweep rows (``core.sweeps.run``; an interrupted run resumes from them);
* ``summary.md`` (``core.sweeps.summary``): what the paper states and how each statement
  fared, then what we measure;
* the figures, when a figure writer is given: ``figure_writer(frames, out, plan)`` returns
  the stems it wrote. core/ draws nothing itself: the command line injects
  ``present.reproduce_figures.write_figures`` (Altair, vl-convert).
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

from core import registry
from core.scenario import Scenario
from core.sweeps.claims import measurements, paper_claims, with_needed_methods
from core.sweeps.executors import make_executor
from core.sweeps.forgetting import forgetting_evidence, forgetting_measurement
from core.sweeps.generalization import forgetting_curves
from core.sweeps.readings import our_reading
from core.sweeps.regime import DIAL_BANDWIDTHS, DIAL_LIFT, NO_LIFT, dial_measurements, run_dial
from core.sweeps.run import run_sweep
from core.sweeps.spec import EPS_TARGET, SweepSpec, parse_methods
from core.sweeps.store import output_matches
from core.sweeps.summary import failure_lines, summary_markdown

# "train until": the first of these step counts whose trained model has eps_rel < 0.01
RELU_STEPS = (500, 1000, 2000, 4000)
LINEAR_STEPS = (2000, 4000, 8000)


@dataclass(frozen=True)
class Plan:
    """What a reproduction runs."""

    name: str
    dims: tuple              # d of the scaling sweeps (both models, both forget choices)
    seeds: int               # seeds of every sweep
    scales: tuple            # c of the step-size sweep
    scale_dim: int           # d of the step-size sweep
    removals: int            # K of the sequential forgetting on mixture data
    curve_seeds: int
    break_ns: tuple          # n of the "where it breaks" sweep (two-layer, d = break_dim)
    break_dim: int = 200
    break_seeds: int = 3     # the "where it breaks" sweep: certificates at n >= d are slow
    cost_dim: int = 1000     # d of the methods' quality-against-cost sweep
    relu_steps: tuple = RELU_STEPS
    linear_steps: tuple = LINEAR_STEPS
    eps_target: float = EPS_TARGET
    methods: tuple = registry.default_names()   # of every sweep; the cost sweep runs all
    cost_methods: tuple | None = None    # None: every registered method
    dial_data: tuple = (("digits", (3, 8)), ("breast_cancer", None))   # the regime dial's
    dial_seeds: int = 5
    floor_k: int = 8         # "how forgotten is it?" on the default demo: floor retrainings
    ulira_k: int = 16        # ... and U-LiRA pairs of each kind

    @property
    def indicative(self):
        """Fewer than 5 seeds: the rules' verdicts are indicative only."""
        return self.seeds < 5


QUICK = Plan("quick", dims=(50, 100, 200, 500, 1000, 2000, 5000), seeds=3,
             scales=(0.0, 0.5, 0.8, 0.9, 1.0, 1.1, 1.2, 1.5, 2.0), scale_dim=1000,
             removals=10, curve_seeds=3, break_ns=(10, 20, 40, 80),
             relu_steps=RELU_STEPS[:-1], ulira_k=8,       # quick: a lower step cap
             dial_seeds=2)
FULL = Plan("full", dims=(50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000),
            seeds=10, scales=(0.0, 0.25, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4,
                              1.5, 1.75, 2.0),
            scale_dim=1000, removals=20, curve_seeds=10,
            break_ns=(10, 20, 40, 60, 80, 120, 160), break_seeds=5)
FORGET_CHOICES = {"": None, "_point0": (0,)}     # largest-lambda support vector; point 0


@dataclass(frozen=True, eq=False)
class Reproduction:
    """What a reproduction ran, tested and wrote."""

    plan: Plan
    claims: tuple            # the paper's statements, tested
    measurements: tuple      # this project's bands, no verdicts
    frames: dict             # the sweeps' tables by name
    figures: tuple           # file stems written
    failures: tuple          # (sweep name, "param=value", seed, error) of failed jobs
    seconds: float
    out: Path
    resumed: int = 0         # jobs found finished in data/ (not rerun)
    readings: tuple = ()     # our reading of the paper (core.sweeps.readings)
    where: str = ""          # the executor's description


def sweep_specs(plan):
    """The named sweeps of a plan."""
    relu, linear = Scenario(model="relu"), Scenario(model="linear")
    r = dict(seeds=plan.seeds, methods=plan.methods, steps_ladder=plan.relu_steps,
             eps_target=plan.eps_target)
    lin = dict(r, steps_ladder=plan.linear_steps)
    specs = {}
    for suffix, forget in FORGET_CHOICES.items():
        specs.update({
            "scaling_relu" + suffix: SweepSpec(relu, "dim", plan.dims, forget=forget, **r),
            "scaling_linear" + suffix: SweepSpec(linear, "dim", plan.dims, forget=forget,
                                                 **lin),
            "step_size_relu" + suffix: SweepSpec(relu.replace(dim=plan.scale_dim), "scale",
                                                 plan.scales, forget=forget, **r),
            "step_size_linear" + suffix: SweepSpec(linear.replace(dim=plan.scale_dim),
                                                   "scale", plan.scales, forget=forget,
                                                   **lin)})
    # where it breaks: the default 500 steps (at n >= d the target is out of reach)
    specs["breaking_relu"] = SweepSpec(relu.replace(dim=plan.break_dim), "n_samples",
                                       plan.break_ns, plan.break_seeds, methods=plan.methods)
    cost = plan.cost_methods or registry.names()
    specs["methods_cost"] = SweepSpec(relu.replace(dim=plan.cost_dim), "dim",
                                      (plan.cost_dim,), **dict(r, methods=cost))
    return specs


def mixture_scenario():
    """docs/theory.md §3.8's mixture: d = 1000, ||mu|| = 4, two-layer net at the defaults."""
    return Scenario(model="relu", data="mixture")


def run_reproduction(out, quick=False, executor=None, log=None, figure_writer=None,
                     methods=None):
    """Run the plan's sweeps through ``executor``, test the claims, write everything.

    ``figure_writer(frames, out, plan) -> stems`` draws the figures (none when None);
    ``methods`` (names of core.registry methods) replaces the plan's methods in every sweep.
    Returns a ``Reproduction``.
    """
    plan = QUICK if quick else FULL
    if methods:     # the claims need GA, doing nothing and retraining in every sweep
        plan = replace(plan, methods=with_needed_methods(methods),
                       cost_methods=tuple(methods))
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
        for kind, classes in plan.dial_data:
            t0 = time.perf_counter()
            name, dial = _regime_dial(kind, classes, plan, executor, out)
            frames[name] = dial.frame
            failures += [(name, "no lift" if b == NO_LIFT else f"bandwidth={b:g}", seed, msg)
                         for b, seed, msg in dial.failures]
            log(f"{name}: {len(DIAL_BANDWIDTHS) + 1} bandwidths x {plan.dial_seeds} seeds, "
                f"{len(dial.failures)} failed, {time.perf_counter() - t0:.1f} s")
        t0 = time.perf_counter()
        frames["forgetting"] = forgetting_evidence(plan)
        frames["forgetting"].to_csv(out / "data" / "forgetting.csv", index=False)
        log(f"forgetting: floor of {plan.floor_k}, U-LiRA with {plan.ulira_k} pairs of each "
            f"kind, relearning, {time.perf_counter() - t0:.1f} s")
        where = executor.describe()
    finally:
        if own:
            executor.close()
    claims, readings, measured = check_claims(frames, plan)
    figures = ()
    if figure_writer is not None:
        t0 = time.perf_counter()
        figures = tuple(figure_writer(frames, out, plan))
        log(f"figures: {len(figures)} x (png, svg, csv), {time.perf_counter() - t0:.1f} s")
    rep = Reproduction(plan=plan, claims=tuple(claims), measurements=tuple(measured),
                       readings=tuple(readings),
                       frames=frames, figures=figures, failures=tuple(failures),
                       seconds=time.perf_counter() - start, out=out, resumed=resumed,
                       where=where)
    (out / "summary.md").write_text(summary_markdown(rep))
    return rep


def dial_scenario(kind, classes):
    """The regime dial's base on a preset: standardized, Fourier lift to DIAL_LIFT."""
    return Scenario(data=kind, classes=classes, preprocess="standardize", lift=DIAL_LIFT,
                    lift_kind="fourier", bandwidth=1.0)


def _regime_dial(kind, classes, plan, executor, out):
    name = f"regime_dial_{kind}"
    dial = run_dial(dial_scenario(kind, classes), DIAL_BANDWIDTHS, plan.dial_seeds, executor,
                    out=(out / "data" / f"{name}.csv", out / "data" / f"{name}_no_lift.csv"))
    shown = kind if classes is None else f"{kind} {classes[0]} vs {classes[1]}"
    dial.frame.attrs.update(lift=dial.lift, data=f"{shown}, standardized")
    return name, dial


def check_claims(frames, plan):
    """(paper claims, our reading, measurements) of a reproduction's frames."""
    measured = measurements(frames, plan)
    if "forgetting" in frames:
        measured.append(forgetting_measurement(frames["forgetting"], plan))
    measured += dial_measurements(frames)
    return paper_claims(frames, plan), our_reading(frames, plan), measured


def _forgetting_curves(plan, executor):
    curve, failures = forgetting_curves(mixture_scenario(), plan.removals, 1.0,
                                        plan.curve_seeds, executor)
    return curve, [("generalization", f"seed={seed}", seed, message)
                   for seed, message in failures]


# ---------------------------------------------------------------------------- CLI

def run_cli(args, stream=None, figure_writer=None):
    """``python -m explorer reproduce``; returns 0 once everything is written (claims that
    did not hold are reported, not errors), 130 if interrupted. ``figure_writer`` is
    injected by the command line (see ``run_reproduction``).
    """
    stream = stream or sys.stderr
    methods = parse_methods(args.methods) if args.methods else None

    def log(msg):
        print(msg, file=stream, flush=True)

    executor = make_executor(workers=args.workers, scheduler=args.scheduler)
    log(f"reproduce ({'quick' if args.quick else 'full'}) on {executor.describe()} "
        f"-> {args.out}")
    try:
        rep = run_reproduction(args.out, quick=args.quick, executor=executor, log=log,
                               figure_writer=figure_writer, methods=methods)
    except KeyboardInterrupt:
        log(f"interrupted: finished sweeps are kept in {args.out}/data; run the same "
            "command again to resume.")
        return 130
    finally:
        executor.close()
    note = ", indicative" if rep.plan.indicative else ""    # few seeds: say it on each line
    for i, c in enumerate(rep.claims + tuple(r for r in rep.readings if r.held is not None), 1):
        log(f"{i}. [{c.mark if c.held or c.verdict else 'DID NOT HOLD'}{note}] {c.key}: "
            f"{c.measured}")
    if note:
        log(f"(indicative: the quick plan runs {rep.plan.seeds} seeds; run without --quick "
            "for the full plan)")
    log(f"wrote {len(rep.figures)} figures, CSVs and summary.md to {args.out} "
        f"in {rep.seconds:.1f} s")
    return 0
