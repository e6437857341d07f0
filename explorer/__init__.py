"""Entry points of unlearning-explorer, above every layer (docs/architecture.md §Layers).

``python -m explorer`` is the command line (``explorer.cli``), ``python -m explorer.warmup``
compiles the kernels, and ``explorer.api`` is the Python API for notebooks (docs/api.md).
Importing ``explorer`` itself loads nothing else, so ``python -m explorer --help`` is quick:
``explorer.api`` is imported on first use (``from explorer import api`` or ``explorer.api``).
"""
import importlib


def __getattr__(name):
    """``explorer.api`` on first access (it loads the engine, Numba and Altair)."""
    if name == "api":
        return importlib.import_module("explorer.api")
    raise AttributeError(f"module 'explorer' has no attribute {name!r}")
