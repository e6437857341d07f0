"""Scenario: the frozen, hashable parameters that determine every number (docs/architecture.md).

A scenario plus a forget list fully determines data, training, certificates and every
method's result, bit for bit for a fixed seed. It is the unit the app caches on, the URL
and the JSON download serialise, and the CLI builds from its options.
"""
import math
from dataclasses import asdict, dataclass, fields, replace

import numpy as np

from core.data import MAX_DIM, MAX_SAMPLES, MAX_TEST
from core.errors import InputError
from core.models import MODELS

DATA_KINDS = ("orthogonal", "mixture", "blobs", "moons", "xor")
LOSSES = ("exp", "logistic")
OPTIMIZERS = ("normalized", "plain")
STARTS = ("trained", "exact")
DEFAULT_STEPS = {"relu": 500, "linear": 2000}
MAX_STEPS = 200_000
MAX_WIDTH = 5000


@dataclass(frozen=True)
class Scenario:
    """All parameters of one experiment; defaults are those of docs/theory.md §3.2 and §4."""

    model: str = "relu"
    data: str = "orthogonal"
    n_samples: int = 40
    dim: int = 1000
    width: int = 100
    mu_norm: float = 4.0
    n_test: int = 2000
    seed: int = 0
    loss: str = "exp"
    optimizer: str = "normalized"
    lr: float = 8.0
    steps: int | None = None          # None: 500 (relu) or 2000 (linear)
    init_scale: float = 1e-3
    kink_tol: float = 0.03
    active_tol: float | None = None
    start: str = "trained"
    data_file: str | None = None      # a CSV/NPZ path; replaces the generator when set

    @property
    def n_steps(self):
        """Steps actually run: ``steps`` or the model's default."""
        return DEFAULT_STEPS[self.model] if self.steps is None else self.steps

    @property
    def is_relu(self):
        return self.model == "relu"

    def replace(self, **changes):
        """A validated copy with some fields changed."""
        return replace(self, **changes).validated()

    def to_dict(self):
        """Plain JSON-ready dict of every field."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values):
        """Scenario from a dict (unknown keys are an error, missing keys take defaults)."""
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise InputError(f"Unknown scenario fields: {', '.join(unknown)}.")
        return cls(**values).validated()

    def validated(self):
        """Self, after checking every field; raises InputError naming the bad one."""
        check_choice("model", self.model, MODELS)
        check_choice("data", self.data, DATA_KINDS)
        check_choice("loss", self.loss, LOSSES)
        check_choice("optimizer", self.optimizer, OPTIMIZERS)
        check_choice("start", self.start, STARTS)
        check_integer("n_samples", self.n_samples, 2, MAX_SAMPLES)
        check_integer("dim", self.dim, 1, MAX_DIM)
        check_integer("seed", self.seed, 0, 2**32 - 1)
        check_integer("n_test", self.n_test, 0, MAX_TEST)
        if self.is_relu:
            check_integer("width", self.width, 2, MAX_WIDTH,
                     hint=" (the net needs a neuron of each output sign)")
        if self.steps is not None:
            check_integer("steps", self.steps, 1, MAX_STEPS)
        check_positive("lr", self.lr)
        check_positive("init_scale", self.init_scale)
        _finite_at_least("mu_norm", self.mu_norm, 0.0)
        _finite_at_least("kink_tol", self.kink_tol, 0.0)
        if self.kink_tol >= 1:
            raise InputError(f"kink_tol must be below 1 (a cosine), not {self.kink_tol}.")
        if self.active_tol is not None:
            _finite_at_least("active_tol", self.active_tol, 0.0)
        if self.start == "exact" and self.is_relu:
            raise InputError("start='exact' is for the linear model only: "
                             "use --model linear or --start trained.")
        return self


def check_choice(name, value, options):
    if value not in options:
        raise InputError(f"{name} must be one of {', '.join(options)}, not {value!r}.")


def check_integer(name, value, low, high, hint=""):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
        raise InputError(f"{name} must be an integer from {low} to {high}{hint}, not {value!r}.")


def check_positive(name, value):
    if not isinstance(value, (int, float, np.number)) or not math.isfinite(value) or value <= 0:
        raise InputError(f"{name} must be a positive finite number, not {value!r}.")


def _finite_at_least(name, value, low):
    if not isinstance(value, (int, float)) or not math.isfinite(value) or value < low:
        raise InputError(f"{name} must be a finite number >= {low:g}, not {value!r}.")
