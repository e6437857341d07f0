"""Users' own method files for the app: which to load, loaded once per server process.

The CLI takes ``--method-file FILE``; the app, which may run local code because it runs on
the user's machine, loads the files named by the environment variable UNLEARN_METHOD_FILES
(paths separated by ``os.pathsep``) and, if that is unset, by ``files`` in
``.streamlit/methods.toml`` beside app.py (relative paths are relative to app.py's folder).
Each file registers its methods with ``core.registry.register`` (docs/api.md); they then
get the cards, the certificate and the audits like a built-in method.
"""
import os
import threading
import tomllib
from pathlib import Path
from typing import NamedTuple

from core.errors import InputError
from core.registry import load_method_file

ENV = "UNLEARN_METHOD_FILES"
_LOCK = threading.Lock()
_LOADED = {}                # app folder -> Loaded


class Loaded(NamedTuple):
    """What loading the configured files gave: the methods registered, the errors."""

    names: tuple
    errors: tuple


def configured_files(app_dir):
    """The method files the app should load (environment first, then methods.toml)."""
    app_dir = Path(app_dir)
    text = os.environ.get(ENV)
    if text is not None:
        files = [f for f in text.split(os.pathsep) if f.strip()]
    else:
        settings = app_dir / ".streamlit" / "methods.toml"
        files = []
        if settings.is_file():
            with open(settings, "rb") as fh:
                files = tomllib.load(fh).get("files", [])
    return tuple(p if Path(p).is_absolute() else app_dir / p for p in map(Path, files))


def load_configured(app_dir):
    """Load the configured method files once per process; returns ``Loaded``."""
    key = str(Path(app_dir).resolve())
    with _LOCK:
        if key not in _LOADED:
            names, errors = [], []
            for path in configured_files(app_dir):
                try:
                    names += load_method_file(path)
                except InputError as err:
                    errors.append(str(err))
            _LOADED[key] = Loaded(tuple(names), tuple(errors))
        return _LOADED[key]
