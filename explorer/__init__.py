"""Entry points of unlearning-explorer, above every layer (docs/architecture.md §Layers).

``python -m explorer`` is the command line (``explorer.cli``), ``python -m explorer.warmup``
compiles the kernels, and ``explorer.api`` is the Python API for notebooks (docs/api.md).
Importing ``explorer`` itself loads nothing else, so ``python -m explorer --help`` is quick.
"""
