"""Scenario: the frozen, hashable parameters that determine every number (docs/architecture.md).

A scenario plus a forget list fully determines data, training, certificates and every
method's result, bit for bit for a fixed seed. It is the unit the app caches on, the URL
and the JSON download serialise, and the CLI builds from its options (its defaults are the
CLI's). Every field is checked by the rules of core/validate.py.
"""
from dataclasses import asdict, dataclass, fields, replace

from core.data import DATA_KINDS, MAX_DIM, MAX_SAMPLES, MAX_TEST, PRESET_KINDS, TOY_KINDS
from core.errors import InputError
from core.lift import DEFAULT_BANDWIDTH, DEFAULT_LIFT_KIND, LIFT_KINDS
from core.options import DEFAULT_KINK_TOL, LOSSES, MODELS, OPTIMIZERS
from core.presets import preset_classes, preset_defaults
from core.transform import DEFAULT_PREPROCESS, PREPROCESS
from core.validate import (
    MAX_STEPS,
    MAX_WIDTH,
    check_choice,
    check_data_file,
    check_integer,
    check_kink_tol,
    check_lift_rules,
    check_lr,
    check_positive,
    check_range,
    check_steps,
    check_width,
)

__all__ = ["DATA_KINDS", "DEFAULT_STEPS", "LIFT_KINDS", "LOSSES", "MAX_STEPS", "MAX_WIDTH",
           "OPTIMIZERS", "PREPROCESS", "STARTS", "Scenario"]

STARTS = ("trained", "exact")
DEFAULT_STEPS = {"relu": 500, "linear": 2000}
DEFAULT_DIM = 1000                    # generated data; the 2-D toys have dim 2


GENERAL_DEFAULTS = {"preprocess": DEFAULT_PREPROCESS, "lift": 0,
                    "lift_kind": DEFAULT_LIFT_KIND, "bandwidth": DEFAULT_BANDWIDTH}


def data_defaults(scenario):
    """The values of the scenario's fields left at None: a preset's (core.presets.
    PRESET_DEFAULTS), else GENERAL_DEFAULTS.

    A lift set to 0 takes no kind or bandwidth from the preset, and a kind other than
    Fourier no bandwidth, so that a given field never meets a preset default it contradicts.
    """
    preset = {} if scenario.data_file else preset_defaults(scenario.data)
    out = {}

    def pick(name):
        value = getattr(scenario, name)
        if value is None:
            value = preset.get(name, GENERAL_DEFAULTS[name])
            out[name] = value
        return value
    pick("preprocess")
    if pick("lift") == 0:
        preset = {}
    if pick("lift_kind") != "fourier":
        preset = {}
    pick("bandwidth")
    return out


@dataclass(frozen=True)
class Scenario:
    """All parameters of one experiment; defaults are those of docs/theory.md §3.2 and §4."""

    model: str = "relu"
    data: str = DATA_KINDS[0]
    n_samples: int = 40
    dim: int | None = None            # generated data only: None is 2 for the 2-D toys,
                                      # DEFAULT_DIM otherwise (presets and files have theirs)
    width: int = 100
    mu_norm: float = 4.0
    n_test: int = 2000
    seed: int = 0
    loss: str = "exp"
    optimizer: str = "normalized"
    lr: float = 8.0
    steps: int | None = None          # None: 500 (relu) or 2000 (linear)
    init_scale: float = 1e-3
    kink_tol: float = DEFAULT_KINK_TOL
    active_tol: float | None = None
    start: str = "trained"
    data_file: str | None = None      # a CSV/NPZ path; replaces the generator when set
    preprocess: str | None = None     # core/transform.py (None: the data's default)
    lift: int | None = None           # D of the random-feature lift (0: none; None: the data's)
    classes: tuple | None = None      # two classes of a preset (None: the preset's default)
    lift_kind: str | None = None      # "relu" or "fourier" (core/lift.py; None: the data's)
    bandwidth: float | None = None    # B: Fourier sigma = B * median distance (None: the data's)

    def __post_init__(self):
        """classes as a sorted tuple (hashable; (8, 3) and (3, 8) are one scenario); dim as
        the data kind fixes it: 2 for the 2-D toys when not given, DEFAULT_DIM for presets
        and files (which have their own, so a stale value never tells two equal scenarios
        apart); the fields left at None from ``data_defaults``.
        """
        if isinstance(self.classes, (list, tuple)):
            classes = tuple(self.classes)
            if all(isinstance(c, int) for c in classes):
                classes = tuple(sorted(classes))
            object.__setattr__(self, "classes", classes)
        if self.data_file or self.data in PRESET_KINDS:
            object.__setattr__(self, "dim", DEFAULT_DIM)
        elif self.dim is None:
            object.__setattr__(self, "dim", 2 if self.data in TOY_KINDS else DEFAULT_DIM)
        for name, value in data_defaults(self).items():
            object.__setattr__(self, name, value)

    @property
    def n_steps(self):
        """Steps actually run: ``steps`` or the model's default."""
        return DEFAULT_STEPS[self.model] if self.steps is None else self.steps

    @property
    def is_relu(self):
        """The model is the two-layer ReLU net."""
        return self.model == "relu"

    @property
    def is_preset(self):
        """The data come from a bundled preset (core/presets.py), not a file or generator."""
        return not self.data_file and self.data in PRESET_KINDS

    @property
    def is_toy(self):
        """2-D generated data (blobs, moons, xor)."""
        return not self.data_file and self.data in TOY_KINDS

    def replace(self, **changes):
        """A validated copy with some fields changed."""
        return replace(self, **changes).validated()

    def to_dict(self):
        """Plain JSON-ready dict of every field (classes as a list)."""
        out = asdict(self)
        out["classes"] = None if self.classes is None else list(self.classes)
        return out

    @classmethod
    def from_dict(cls, values):
        """Scenario from a dict (unknown keys are an error, missing keys take defaults)."""
        if not isinstance(values, dict):
            raise InputError("A scenario must be a JSON object of field names and values.")
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
        check_choice("preprocess", self.preprocess, PREPROCESS)
        check_integer("n_samples", self.n_samples, 2, MAX_SAMPLES)
        check_integer("dim", self.dim, 1, MAX_DIM)
        if self.is_toy and self.dim != 2:
            raise InputError(f"{self.data} data is 2-D: set dim=2 (got dim={self.dim}).")
        check_integer("seed", self.seed, 0, 2**32 - 1)
        check_integer("n_test", self.n_test, 0, MAX_TEST)
        check_lift_rules(self.lift, self.lift_kind, self.bandwidth)
        check_data_file(self.data_file)
        if self.is_relu:
            check_width(self.width)
        if self.steps is not None:
            check_steps(self.steps)
        check_lr(self.lr)
        check_positive("init_scale", self.init_scale)
        check_range("mu_norm", self.mu_norm, 0.0)
        check_kink_tol(self.kink_tol)
        if self.active_tol is not None:
            check_range("active_tol", self.active_tol, 0.0)
        if self.classes is not None:
            if not self.is_preset:
                raise InputError(f"classes is for the presets ({', '.join(PRESET_KINDS)}), "
                                 f"not for {self.data_file or self.data} data.")
            preset_classes(self.data, self.classes)
        if self.start == "exact" and self.is_relu:
            raise InputError("start='exact' is for the linear model only: "
                             "choose the linear model or start from a trained model.")
        return self
