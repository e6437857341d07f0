"""The Method registry: one ``Method`` value per unlearning method (docs/theory.md §3.7).

A method is everything the engine, the CLI, the sweeps, the cards, the Methods page, the
audits and the slides need to know about it, declared once: its name, label and colour,
the models it supports, its hyperparameters with their defaults and their check, and its
runner. The built-in methods are declared in ``core.builtin_methods`` and registered
here, first and in display order; a user's file registers more through the same public
API (docs/api.md, ``examples/half_step.py``):

    from core.registry import Method, MethodOutput, register

    def half_step(task):
        return MethodOutput(ga_step(task.ctx, task.original, task.forget, 0.5), len(task.forget))

    register(Method("half_step", "GA (c = 0.5)", half_step))

A runner is ``runner(task, **params) -> MethodOutput``: ``task`` (a ``Task``) holds the
problem (the Gram context, the certificate on S with the start model θ̂, the forget and
retained sets, the scenario's optimizer settings, c); ``params`` are the method's
hyperparameters, its ``defaults`` overridden by what the user gave. Every method starts
from θ̂ and is measured by the same certificate on R, cosine to retrain, floor and audits.
"""
from __future__ import annotations

import runpy
import threading
from pathlib import Path

from core.builtin_methods import BUILTINS
from core.errors import InputError
from core.method_types import Method, MethodOutput, Param, Task
from core.options import MODELS

__all__ = ["Method", "MethodOutput", "Param", "Task", "get", "label", "load_method_file",
           "names", "register", "unregister"]

_REGISTRY: dict = {}              # name -> Method, in registration (display) order
_SOURCES: dict = {}               # name -> the file that registered it (None: built in)
_LOCK = threading.Lock()
_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_")


def _check_method(method):
    if not isinstance(method, Method):
        raise InputError(f"register() takes a core.registry.Method, not {method!r}.")
    name = method.name
    if not isinstance(name, str) or not name or not set(name) <= _NAME_CHARS \
            or name[0].isdigit() or name == "all":
        raise InputError(f"A method name must be lower-case letters, digits and _ (not "
                         f"starting with a digit, not 'all'), not {name!r}.")
    if not isinstance(method.label, str) or not method.label.strip():
        raise InputError(f"Method {name!r} needs a label (its display name).")
    if not callable(method.runner) or not callable(method.check):
        raise InputError(f"Method {name!r}: runner and check must be callables.")
    if not all(isinstance(p, Param) for p in method.params.values()):
        raise InputError(f"Method {name!r}: params must map names to core.registry.Param.")
    if not method.models or not set(method.models) <= set(MODELS):
        raise InputError(f"Method {name!r}: models must be some of {', '.join(MODELS)}.")
    color = method.color
    if color is not None and not (isinstance(color, str) and len(color) == 7
                                  and color[0] == "#" and _is_hex(color[1:])):
        raise InputError(f"Method {name!r}: color must be '#rrggbb' or None, not {color!r}.")


def _is_hex(text):
    try:
        int(text, 16)
    except ValueError:
        return False
    return True


def register(method, source=None):
    """Make ``method`` available to every part of the explorer; returns it.

    A name can be registered again only from the same source (a file loaded twice, as
    the app does on a rerun); taking a name that exists raises InputError.
    """
    _check_method(method)
    source = source if source is not None else loading_source()
    with _LOCK:
        if method.name in _REGISTRY and _SOURCES.get(method.name) != source:
            where = _SOURCES.get(method.name) or "the built-in methods"
            raise InputError(f"A method named {method.name!r} exists already (from {where}): "
                             "choose another name.")
        _REGISTRY[method.name] = method
        _SOURCES[method.name] = source
    return method


_loading = threading.local()


def load_method_file(path):
    """Run a user's Python file that registers methods (``register`` inside it); returns
    the names it registered. A file loaded again replaces its own methods.

    Raises InputError when the file is missing, fails, or registers nothing.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise InputError(f"Method file {str(path)!r} does not exist.")
    source = str(path.resolve())
    before = set(_REGISTRY)
    with _LOCK:
        ours = [n for n, s in _SOURCES.items() if s == source]
        for name in ours:         # loaded again: its methods are registered anew
            del _REGISTRY[name], _SOURCES[name]
    _loading.source = source
    try:
        runpy.run_path(source, run_name="__unlearn_methods__")
    except InputError as err:
        raise InputError(f"Method file {path.name!r}: {err}") from None
    except Exception as err:   # noqa: BLE001 (a user's file: one clear line, not a traceback)
        raise InputError(f"Method file {path.name!r} failed: {type(err).__name__}: "
                         f"{err}") from None
    finally:
        _loading.source = None
    added = tuple(n for n in _REGISTRY if n not in before or n in ours)
    if not added:
        raise InputError(f"Method file {path.name!r} registered no method: call "
                         "core.registry.register(Method(...)) in it.")
    return added


def loading_source():
    """The method file being loaded in this thread (``register`` called from it uses it
    as the source), or None.
    """
    return getattr(_loading, "source", None)


def get(name):
    """The registered Method ``name``; raises InputError naming the known ones."""
    method = _REGISTRY.get(name) if isinstance(name, str) else None
    if method is None:
        raise InputError(f"Unknown method {name!r}: choose from {', '.join(_REGISTRY)}.")
    return method


def names(model=None):
    """Every registered method's name in display order (those supporting ``model``)."""
    return tuple(n for n, m in _REGISTRY.items() if model is None or m.supports(model))


def default_names(model=None):
    """The methods that run unless the user picks (supporting ``model`` when given)."""
    return tuple(n for n in names(model) if _REGISTRY[n].default)


def reference_name():
    """The reference method's name (retrain)."""
    return next(n for n in names() if _REGISTRY[n].reference)


def ordered(chosen):
    """``chosen`` in display order (registered ones first, unknown names last)."""
    rank = {n: i for i, n in enumerate(names())}
    return tuple(sorted(dict.fromkeys(chosen), key=lambda n: rank.get(n, len(rank))))


def resolve(chosen, model, method_params=None):
    """The methods a comparison runs and their hyperparameters, checked.

    ``chosen``: None (the defaults for ``model``), "all" (every method supporting it) or a
    tuple of names; the reference always runs. A name that does not support the model is
    an InputError, as is an unknown name or a hyperparameter given for a method not run.
    Returns (names in display order, {name: given params}).
    """
    if chosen is None or chosen == "all":
        out = default_names(model) if chosen is None else names(model)
    else:
        if isinstance(chosen, str) or not all(isinstance(m, str) for m in chosen):
            raise InputError("methods must be a tuple of names, e.g. ('ga', 'retrain').")
        for name in chosen:
            method = get(name)
            if not method.supports(model):
                raise InputError(f"{method.label} ({name}) is for the "
                                 f"{' and '.join(method.models)} model only, not {model}: "
                                 "leave it out or change the model.")
        out = tuple(chosen)
    out = ordered(out + (reference_name(),))
    params = dict(method_params or {})
    for name, given in params.items():
        if name not in out:
            raise InputError(f"Hyperparameters given for {name!r}, which is not run: add it "
                             "to the methods or drop its parameters.")
        if not isinstance(given, dict):
            raise InputError(f"The hyperparameters of {name} must be an object of names "
                             f"and values, not {given!r}.")
        get(name).resolve_params(given)
    return out, params


def parse_names(text, model=None, what="methods"):
    """'ga,newton' -> ('ga', 'newton'); 'all' -> every method (for ``model``); names are
    checked against the registry. Raises InputError for an empty or unknown entry.
    """
    text = str(text).strip()
    if text == "all":
        return names(model)
    chosen = tuple(dict.fromkeys(t.strip() for t in text.split(",") if t.strip()))
    if not chosen:
        raise InputError(f"{what} is empty: give names from {', '.join(names())}, or all.")
    for name in chosen:
        get(name)
    return chosen


def label(name):
    """The display name of method ``name`` (the name itself when it is not registered)."""
    method = _REGISTRY.get(name)
    return name if method is None else method.label


for _method in BUILTINS:
    register(_method)


def unregister(name):
    """Remove a method a file registered (built-in methods stay); for tests and reloads."""
    with _LOCK:
        if _SOURCES.get(name) is None:
            raise InputError(f"{name!r} is not a method registered from a file.")
        del _REGISTRY[name], _SOURCES[name]
