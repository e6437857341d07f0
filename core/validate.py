"""The one set of validation rules for every shared value (docs/architecture.md).

Scenario, training, the CLI, the URL and the scenario file all check their values here, so
a value is accepted or refused with the same message wherever it comes from. Every rule
raises core.errors.InputError with one sentence naming the value; nothing else is raised.
This module imports only NumPy and core.errors (no upward imports).
"""
import math
import re

import numpy as np

from core.errors import InputError

MAX_STEPS = 200_000
MAX_WIDTH = 5000
MAX_SCALE = 10.0      # c, the multiplier of the theory GA step; docs/theory.md §3.8 uses <= 3
MAX_LIFT = 20_000     # D of the random-feature lift
BANDWIDTH_RANGE = (1e-3, 1e3)   # B of the Fourier lift (sigma = B * median distance)
LIFT_KIND_NAMES = ("relu", "fourier")   # core.lift.LIFT_KINDS (this module imports no core)
MAX_LR = 1e6
MAX_DIGITS = 12       # digits of an integer typed into a link or a command line
MAX_FLOAT_CHARS = 40


def check_choice(name, value, options):
    """Raise InputError unless value is one of options."""
    if value not in options:
        raise InputError(f"{name} must be one of {', '.join(map(str, options))}, "
                         f"not {value!r}.")


def check_integer(name, value, low, high, hint=""):
    """Raise InputError unless value is an int (not bool) with low <= value <= high."""
    if (isinstance(value, bool) or not isinstance(value, (int, np.integer))
            or not low <= value <= high):
        raise InputError(f"{name} must be an integer from {low} to {high}{hint}, not {value!r}.")


def _is_number(value):
    return (not isinstance(value, bool) and isinstance(value, (int, float, np.number))
            and math.isfinite(value))


def check_positive(name, value, high=math.inf):
    """Raise InputError unless value is a finite number with 0 < value <= high."""
    if not _is_number(value) or value <= 0 or value > high:
        bound = "" if high == math.inf else f" at most {high:g}"
        raise InputError(f"{name} must be a positive finite number{bound}, not {value!r}.")


def check_range(name, value, low, high=math.inf, below=False):
    """Raise InputError unless value is finite with low <= value <= high (< high if below)."""
    # the type first: a scenario file may hold "4", null, a list or an object here
    if not _is_number(value) or value < low or (value >= high if below else value > high):
        upper = "" if high == math.inf else f" and {'below' if below else 'at most'} {high:g}"
        raise InputError(f"{name} must be a finite number >= {low:g}{upper}, not {value!r}.")


def check_scale(value):
    """c, the GA step multiplier: finite, 0 <= c <= MAX_SCALE."""
    check_range("c (the step-size multiplier)", value, 0.0, MAX_SCALE)
    return float(value)


def check_lr(value):
    """The learning rate: 0 < lr <= MAX_LR."""
    check_positive("lr", value, MAX_LR)


def check_kink_tol(value):
    """kappa: a cosine band, 0 <= kappa < 1."""
    check_range("kink_tol", value, 0.0, 1.0, below=True)


def check_steps(value):
    """GD steps: an integer from 1 to MAX_STEPS."""
    check_integer("steps", value, 1, MAX_STEPS)


def check_width(value):
    """Hidden width m of the ReLU net: an integer from 2 to MAX_WIDTH."""
    check_integer("width", value, 2, MAX_WIDTH, hint=" (the net needs a neuron of each "
                                                     "output sign)")


def check_lift(value):
    """D of the random-feature lift: 0 (off) or an integer from 1 to MAX_LIFT."""
    check_integer("lift", value, 0, MAX_LIFT, hint=" (0 = no lift)")


def check_lift_rules(lift, lift_kind, bandwidth, default_bandwidth=1.0):
    """The lift's fields together: D (``check_lift``), its kind, and the bandwidth B in
    BANDWIDTH_RANGE; a Fourier lift needs D >= 1, and a B other than the default is the
    Fourier lift's only (so a link or a file never carries a B that changes nothing).
    """
    check_lift(lift)
    check_choice("lift_kind", lift_kind, LIFT_KIND_NAMES)
    low, high = BANDWIDTH_RANGE
    if not _is_number(bandwidth) or not low <= bandwidth <= high:
        raise InputError(f"bandwidth must be a finite number from {low:g} to {high:g}, "
                         f"not {bandwidth!r}.")
    if lift_kind == "fourier" and lift == 0:
        raise InputError("lift_kind=fourier needs a lift D >= 1 (the number of Fourier "
                         "features), e.g. lift=4000.")
    if lift_kind != "fourier" and bandwidth != default_bandwidth:
        raise InputError(f"bandwidth={bandwidth!r} is the Fourier lift's: set "
                         "lift_kind=fourier and a lift D, or leave the bandwidth at "
                         f"{default_bandwidth:g}.")


def check_data_file(value):
    """A data file's path: None or text without control characters (a link may carry
    'a%00b.csv', which no file system opens).
    """
    if value is not None and (not isinstance(value, str)
                              or any(ord(ch) < 32 or ord(ch) == 127 for ch in value)):
        raise InputError(f"data_file must be the path of a CSV or NPZ file without control "
                         f"characters, not {str(value)[:60]!r}.")


def check_classes(value, available, names=None):
    """Two distinct class labels, both in ``available``; returns them as a tuple of ints.

    ``names`` (one per label of ``available``, e.g. iris's "setosa") name the classes in
    the messages when they differ from the labels.
    """
    if (not isinstance(value, (tuple, list)) or len(value) != 2
            or not all(isinstance(c, (int, np.integer)) and not isinstance(c, bool)
                       for c in value)):
        raise InputError(f"classes must be two class labels like 3,8, not {value!r}.")

    def shown(c):
        if names is None or c not in available or str(names[list(available).index(c)]) == str(c):
            return str(c)
        return f"{names[list(available).index(c)]} ({c})"
    if value[0] == value[1]:
        raise InputError(f"classes must be two different labels, not {shown(value[0])} "
                         "twice.")
    for c in value:
        if c not in available:
            listed = ", ".join(map(shown, available))
            raise InputError(f"class {c} does not exist: choose from {listed}.")
    return (int(value[0]), int(value[1]))


def check_indices(values, n_points=None, name="forget"):
    """Point indices: integers, none repeated, and within 0..n_points-1 when n_points is
    given (>= 0 otherwise); returns them as a tuple of ints, in the given order.

    core.unlearn.check_forget adds the rule that needs the labels (not a whole class).
    """
    out = []
    for i in values:
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)):
            raise InputError(f"{name} indices must be integers >= 0, not {i!r}.")
        if n_points is not None and not 0 <= i < n_points:
            raise InputError(f"{name} index {i} is out of range: points are 0 to "
                             f"{n_points - 1}.")
        if i < 0:
            raise InputError(f"{name} indices must be integers >= 0, not {i!r}.")
        if i in out:
            raise InputError(f"{name} index {i} is listed twice.")
        out.append(int(i))
    return tuple(out)


# Text typed into a link or on the command line: ASCII digits only (int() and float() also
# take '٣', '1_000' and 5,000-digit numbers, which would pass, or fail with a ValueError).
_INTEGER = re.compile(rf"[+-]?[0-9]{{1,{MAX_DIGITS}}}")
_FLOAT = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]{1,4})?")


def parse_int(text, name):
    """'12' -> 12: an integer in ASCII digits (at most MAX_DIGITS of them); raises
    InputError quoting the text otherwise.
    """
    text = str(text).strip()
    if not _INTEGER.fullmatch(text):
        raise InputError(f"{name}={_quote(text)} is not a valid integer (ASCII digits, at "
                         f"most {MAX_DIGITS} of them).")
    return int(text)


def parse_float(text, name):
    """'0.5' or '1e-3' -> a finite float written in ASCII; raises InputError quoting the
    text otherwise (also for nan and inf).
    """
    text = str(text).strip()
    value = float(text) if len(text) <= MAX_FLOAT_CHARS and _FLOAT.fullmatch(text) else None
    if value is None or not math.isfinite(value):
        raise InputError(f"{name}={_quote(text)} is not a valid number (a finite decimal "
                         "like 0.5 or 1e-3).")
    return value


def _quote(text, limit=40):
    """repr of a user's text, cut to ``limit`` characters (a message stays one line)."""
    return repr(text if len(text) <= limit else text[:limit] + "...")


def parse_int_list(text, name):
    """'3,8' -> (3, 8); raises InputError quoting the text when it is not such a list."""
    parts = [p.strip() for p in str(text).split(",") if p.strip()]
    if not all(_INTEGER.fullmatch(p) for p in parts):
        raise InputError(f"{name}={_quote(str(text))} must be integers separated by commas, "
                         "like 3,8.")
    return tuple(int(p) for p in parts)
