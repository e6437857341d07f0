"""Sweep specifications: a base scenario, one varied parameter over values, and seeds.

``SweepSpec`` and its validation (clear InputError for an unknown parameter, empty values
or a value outside its domain), the independent ``Job``s it splits into, and the column
schema of a sweep's rows (``COLUMNS``), shared by the runner, the CSV store and the app.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

from core import registry
from core.data import check_sizes
from core.errors import InputError
from core.scenario import Scenario

PARAMS = {
    "dim": (int, "an integer input dimension d >= 1"),
    "n_samples": (int, "an integer number of training points n >= 2"),
    "width": (int, "an integer number of hidden neurons m >= 2 (relu)"),
    "scale": (float, "a finite step-size multiplier c >= 0"),
    "mu_norm": (float, "a finite mixture mean norm >= 0 (mixture data)"),
    "kink_tol": (float, "a kink tolerance kappa in [0, 1) (relu)"),
    "bandwidth": (float, "a Fourier-lift bandwidth B from 0.001 to 1000 (lift_kind=fourier)"),
}
STEPS_DOMAIN = (int, "an integer number of GD steps >= 1")
COLUMNS = ("model", "param", "value", "seed", "method", "eps", "eps_rel", "delta", "tau",
           "n_support", "converged", "cosine_to_retrain", "cosine_to_exact", "forget",
           "forget_margin", "test_accuracy", "test_agreement", "rho", "n_lt_d", "seconds",
           "grad_evals", "steps", "trained_eps_rel")
EPS_TARGET = 0.01           # "train until": the trained model's eps_rel on S below this
TEXT_COLUMNS = ("model", "param", "method", "forget")
MAX_SEEDS = 1000
MAX_JOBS = 100_000


@dataclass(frozen=True)
class SweepSpec:
    """A base scenario, one varied parameter over ``values``, and ``seeds`` seeds.

    Seeds are ``base.seed + k`` for k = 0 .. seeds - 1. ``forget`` None forgets, in every
    job, the support vector with the largest lam (``core.compare.default_forget``).
    ``methods``: names of ``core.registry`` methods (checked when the spec is validated;
    ga always; default: the registry's defaults, one GA step and its references); a
    method that does not support the base model is left out of the runs. ``steps_ladder``
    (e.g. (500, 1000, 2000, 4000)) trains each job with the first step count whose
    certificate on S has eps_rel < ``eps_target``, else the last one (the cap); empty: the
    scenario's steps.
    """

    base: Scenario
    param: str
    values: tuple
    seeds: int = 1
    forget: tuple | None = None
    scale: float = 1.0
    sequential: bool = False
    methods: tuple = registry.default_names()
    steps_ladder: tuple = ()
    eps_target: float = EPS_TARGET

    def validated(self):
        """A checked copy (values converted to the parameter's type); raises InputError."""
        return validate_spec(self)

    @property
    def seed_list(self):
        """The seeds base.seed, base.seed + 1, ... of the sweep."""
        return tuple(self.base.seed + k for k in range(self.seeds))

    @property
    def expected_methods(self):
        """The methods each (value, seed) gives a row for."""
        return tuple(m for m in self.methods if registry.get(m).supports(self.base.model))

    def jobs(self):
        """The independent jobs: one per (value, seed), or one per seed for ``scale``.

        A ``scale`` sweep changes only the GA multiplier, so one job trains and retrains
        once and measures every c.
        """
        spec = self.validated()
        groups = [spec.values] if spec.param == "scale" else [(v,) for v in spec.values]
        return [Job(param=spec.param, values=vals, seed=seed,
                    scenario=spec.scenario_for(vals[0], seed), forget=spec.forget,
                    scale=spec.scale, sequential=spec.sequential,
                    methods=spec.expected_methods, steps_ladder=spec.steps_ladder,
                    eps_target=spec.eps_target)
                for vals in groups for seed in spec.seed_list]

    def scenario_for(self, value, seed):
        """The validated scenario of the job (value, seed)."""
        changes = {"seed": seed}
        if self.param != "scale":
            changes[self.param] = value
        return self.base.replace(**changes)

    def to_dict(self):
        """Plain JSON-ready form (what ``<stem>.sweep.json`` holds)."""
        return dict(base=self.base.to_dict(), param=self.param, values=list(self.values),
                    seeds=self.seeds, forget=None if self.forget is None else list(self.forget),
                    scale=self.scale, sequential=self.sequential, methods=list(self.methods),
                    steps_ladder=list(self.steps_ladder), eps_target=self.eps_target)

    @classmethod
    def from_dict(cls, d):
        """The spec of ``to_dict``'s form."""
        return cls(base=Scenario.from_dict(d["base"]), param=d["param"],
                   values=tuple(d["values"]), seeds=d["seeds"],
                   forget=None if d["forget"] is None else tuple(d["forget"]),
                   scale=d["scale"], sequential=d["sequential"], methods=tuple(d["methods"]),
                   steps_ladder=tuple(d.get("steps_ladder", ())),
                   eps_target=d.get("eps_target", EPS_TARGET))


@dataclass(frozen=True)
class Job:
    """One unit of work: a scenario (value and seed applied) and the value(s) it measures."""

    param: str
    values: tuple           # one value, or every c of a scale sweep
    seed: int
    scenario: Scenario
    forget: tuple | None
    scale: float
    sequential: bool
    methods: tuple
    steps_ladder: tuple = ()
    eps_target: float = EPS_TARGET

    @property
    def keys(self):
        """The (value, seed) pairs this job gives rows for."""
        return [(float(v), self.seed) for v in self.values]

    def describe(self):
        """'dim=1000 seed=2' plus the scenario's non-default fields, for messages."""
        what = (f"scale={','.join(f'{v:g}' for v in self.values)}" if self.param == "scale"
                else f"{self.param}={self.values[0]:g}")
        changed = {k: v for k, v in self.scenario.to_dict().items()
                   if k not in (self.param, "seed") and v != getattr(Scenario(), k)}
        extra = " ".join(f"{k}={v}" for k, v in changed.items())
        return f"{what} seed={self.seed}" + (f" [{extra}]" if extra else "")


def parse_values(text, param):
    """'50,100,1e3' -> (50, 100, 1000) for ``param``; raises InputError."""
    check_param(param)
    tokens = [t.strip() for t in str(text).split(",")]
    if not any(tokens):
        raise InputError("The list of values is empty: give a comma-separated list, e.g. "
                         "50,200,1000.")
    out = []
    for t in tokens:
        if not t:
            raise InputError(f"The values {text!r} have an empty entry: remove the extra comma.")
        try:
            out.append(float(t))
        except ValueError:
            raise InputError(f"The value {t!r} is not a number.") from None
    return tuple(out)


def parse_methods(text):
    """A sweep's --methods: ``core.registry.parse_names`` (names or all), with ga added if
    missing (every sweep measures the one GA step); raises InputError.
    """
    return with_ga(registry.parse_names(str(text)))


def check_methods(names):
    """The names, each a registered method, ga first if missing (display order)."""
    if not all(isinstance(m, str) for m in names):
        raise InputError("methods must be a list of names, e.g. ('ga', 'retrain').")
    for name in names:
        registry.get(name)
    return with_ga(tuple(dict.fromkeys(names)))


def with_ga(names):
    """``names`` with ga in front unless already there."""
    return tuple(names) if "ga" in names else ("ga",) + tuple(names)


def order_methods(names):
    """``names`` in the registry's display order, unknown last."""
    return list(registry.ordered(names))


def check_param(param):
    """Raise InputError unless ``param`` is one of PARAMS."""
    if param not in PARAMS:
        raise InputError(f"Unknown sweep parameter {param!r}: vary one of "
                         f"{', '.join(PARAMS)}.")


def _convert(param, value):
    kind, domain = STEPS_DOMAIN if param == "steps" else PARAMS[param]
    bad = InputError(f"{param}={value!r} is outside its domain: {param} must be {domain}.")
    if isinstance(value, bool):
        raise bad
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise bad from None
    if not math.isfinite(x):
        raise bad
    if kind is int:
        if x != int(x):
            raise bad
        return int(x)
    return x


def validate_spec(spec):
    """The spec with typed values, after checking every value against its domain."""
    check_param(spec.param)
    base = spec.base.validated()
    if isinstance(spec.values, (str, bytes)) or not hasattr(spec.values, "__len__"):
        raise InputError("values must be a list of numbers.")
    if len(spec.values) == 0:
        raise InputError(f"No values to sweep {spec.param} over: give at least one.")
    values = tuple(_convert(spec.param, v) for v in spec.values)
    if len(set(values)) != len(values):
        raise InputError(f"The values of {spec.param} repeat: give each value once.")
    if isinstance(spec.seeds, bool) or not isinstance(spec.seeds, int) \
            or not 1 <= spec.seeds <= MAX_SEEDS:
        raise InputError(f"seeds must be an integer from 1 to {MAX_SEEDS}, not {spec.seeds!r}.")
    if len(values) * spec.seeds > MAX_JOBS:
        raise InputError(f"{len(values)} values x {spec.seeds} seeds is more than "
                         f"{MAX_JOBS} jobs: split the sweep.")
    if base.seed + spec.seeds - 1 > 2**32 - 1:
        raise InputError("base seed + seeds exceeds 2**32 - 1: use a smaller base seed.")
    _check_relevant(spec.param, base)
    for v in values:
        if spec.param == "scale":
            if v < 0:
                raise InputError(f"scale={v:g} is outside its domain: scale must be "
                                 f"{PARAMS['scale'][1]}.")
            continue
        try:
            sc = base.replace(**{spec.param: v})
            if not sc.data_file:
                check_sizes(sc.n_samples, sc.dim, sc.n_test if sc.data == "mixture" else 0)
        except InputError as err:
            raise InputError(f"{spec.param}={v:g} is outside its domain: {err}") from None
    forget = spec.forget
    if forget is not None:
        forget = tuple(int(f) for f in forget)
        if not forget:
            raise InputError("forget is empty: give indices, or None for the default point.")
        n_min = min(values) if spec.param == "n_samples" else base.n_samples
        bad = [f for f in forget if not 0 <= f < n_min]
        if bad:
            raise InputError(f"forget index {bad[0]} is out of range: the sweep has runs "
                             f"with {n_min} points (indices 0 to {n_min - 1}).")
    if not math.isfinite(spec.scale) or spec.scale < 0:
        raise InputError(f"scale must be a finite number >= 0, not {spec.scale!r}.")
    if isinstance(spec.methods, str):
        raise InputError("methods must be a list of names, e.g. ('ga', 'retrain').")
    methods = check_methods(tuple(spec.methods))
    ladder = tuple(int(_convert("steps", s)) for s in spec.steps_ladder)
    if any(s < 1 for s in ladder) or list(ladder) != sorted(set(ladder)):
        raise InputError(f"steps_ladder must be increasing step counts >= 1, not {ladder}.")
    if not (math.isfinite(spec.eps_target) and spec.eps_target > 0):
        raise InputError(f"eps_target must be a number > 0, not {spec.eps_target!r}.")
    return replace(spec, base=base, values=values, forget=forget, scale=float(spec.scale),
                   methods=methods, steps_ladder=ladder, eps_target=float(spec.eps_target))


def _check_relevant(param, base):
    if base.data_file and param in ("dim", "n_samples", "mu_norm"):
        raise InputError(f"{param} is fixed by the data file {base.data_file}: "
                         "vary it with generated data.")
    if param == "dim" and base.is_toy:
        raise InputError(f"The {base.data} toy data are 2-D: vary dim with orthogonal or "
                         "mixture data.")
    if param in ("width", "kink_tol") and not base.is_relu:
        raise InputError(f"{param} only matters for the two-layer net: use the relu model.")
    if param == "mu_norm" and base.data != "mixture":
        raise InputError("mu_norm only matters for mixture data: use mixture data.")
    if param == "bandwidth" and not (base.lift and base.lift_kind == "fourier"):
        raise InputError("bandwidth only matters for the Fourier lift: set lift_kind=fourier "
                         "and a lift D (e.g. --lift 4000 --lift-kind fourier).")
