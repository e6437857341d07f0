"""The value types of the method registry (core/registry.py): what a method is (``Method``,
its hyperparameters ``Param``), what its runner gets (``Task``) and returns
(``MethodOutput``). No kernels here: declaring a method loads nothing.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import NamedTuple

from core.errors import InputError
from core.options import MODELS


class Task(NamedTuple):
    """What a runner gets: the problem, the same for every method of one comparison."""

    ctx: object               # core.models.GramContext of the training set S
    original: object          # core.kkt.Certificate on S: .model is θ̂, .lam, .margins
    forget: tuple             # F, indices in removal order
    retain: object            # R = S \ F, sorted int array
    loss: str                 # the scenario's loss, optimizer, learning rate (in the data's
    optimizer: str            # units, as training used it) and steps
    lr: float
    steps: int
    scale: float              # c, the multiplier of the theory GA step
    sequential: bool          # GA one point at a time, re-certifying in between
    kink_tol: float
    active_tol: float | None
    retrained: object = None  # (model, seconds) of retraining on R, when already computed


@dataclass(frozen=True, eq=False)
class MethodOutput:
    """A runner's result: the model (a GramModel), its cost in per-sample gradient
    evaluations (None: not gradient based), its hyperparameters as used, and its own time
    when the runner reuses work done before (retraining), else None (the engine times it).
    """

    model: object
    grad_evals: int | None
    params: dict = field(default_factory=dict)
    seconds: float | None = None


class Param(NamedTuple):
    """One hyperparameter: its default (None: the runner computes it, described by
    ``auto``), its range (``low``/``high``, open ends when ``open_low``/``open_high``),
    whether it is an integer, and its label for widgets and help texts.
    """

    default: object
    low: float = -math.inf
    high: float = math.inf
    integer: bool = False
    label: str = ""
    auto: str = ""
    open_low: bool = False
    open_high: bool = False

    def check(self, name, value):
        """``value`` checked (an int when ``integer``); raises InputError naming ``name``."""
        if value is None and self.default is None:
            return None
        ok = (not isinstance(value, bool) and isinstance(value, (int, float))
              and math.isfinite(value) and (not self.integer or float(value).is_integer()))
        if ok:
            ok = ((value > self.low) if self.open_low else (value >= self.low)) and \
                 ((value < self.high) if self.open_high else (value <= self.high))
        if not ok:
            kind = "an integer" if self.integer else "a finite number"
            low = f"> {self.low:g}" if self.open_low else f">= {self.low:g}"
            high = "" if self.high == math.inf else (
                f" and < {self.high:g}" if self.open_high else f" and <= {self.high:g}")
            raise InputError(f"{name} must be {kind} {low}{high}, not {value!r}.")
        return int(value) if self.integer else float(value)


def _no_check(params):
    return params


@dataclass(frozen=True)
class Method:
    """Everything about one method; ``register`` it to make it available everywhere.

    Parameters
    ----------
    name : str, lower-case letters, digits and _ (the CLI, URL and JSON key)
    label : str, the display name on cards, charts and slides
    runner : callable(task, **params) -> MethodOutput
    color : str or None, "#rrggbb"; None takes a stable spare colour (present.palette)
    models : the models it supports (a subset of core.options.MODELS)
    params : hyperparameter name -> Param (default, range, label)
    check : callable(params) -> params for rules across parameters, raising InputError
        (after each Param checked its own value)
    default : it runs unless the user picks methods
    reference : it is the reference the others are compared with (retrain)
    description : one sentence for help texts and the Methods page
    """

    name: str
    label: str
    runner: Callable
    color: str | None = None
    models: tuple = MODELS
    params: Mapping = field(default_factory=dict)
    check: Callable = _no_check
    default: bool = False
    reference: bool = False
    description: str = ""

    def __post_init__(self):
        object.__setattr__(self, "models", tuple(self.models))
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))

    @property
    def defaults(self):
        """{hyperparameter: default} (None: computed by the runner)."""
        return {name: p.default for name, p in self.params.items()}

    @property
    def hyperparameters(self):
        """The names of its hyperparameters."""
        return tuple(self.params)

    def supports(self, model):
        """Whether it runs on ``model`` ("linear" or "relu")."""
        return model in self.models

    def resolve_params(self, given=None):
        """Its hyperparameters: defaults overridden by ``given``, each checked."""
        given = dict(given or {})
        unknown = [key for key in given if key not in self.params]
        if unknown:
            takes = ", ".join(self.params) or "no hyperparameters"
            raise InputError(f"{self.name} has no hyperparameter {unknown[0]!r}: it takes "
                             f"{takes}.")
        values = {name: p.check(name, given.get(name, p.default))
                  for name, p in self.params.items()}
        return self.check(values)

    def run(self, task, given=None):
        """``runner(task, **params)``; a MethodOutput."""
        out = self.runner(task, **self.resolve_params(given))
        if not isinstance(out, MethodOutput):
            raise InputError(f"Method {self.name!r} returned {type(out).__name__}, not a "
                             "core.registry.MethodOutput.")
        return out
