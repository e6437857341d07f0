"""The pure presentation layer of unlearning-explorer (docs/architecture.md §Layers).

Altair chart specs, the long tables they draw, figures, the slide deck, exports (PNG, SVG,
CSV), the shareable scenario text (URL and file), words and number formats, and the one
palette. Nothing here imports Streamlit: the CLI, the Python API and the app all use it.
It imports ``core`` and nothing above it.
"""
