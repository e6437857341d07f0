"""The Streamlit seam of unlearning-explorer (docs/architecture.md).

Importing ``ui`` does not import Streamlit: ``ui.charts``, ``ui.frames``, ``ui.share``,
``ui.text`` and ``ui.export`` are pure (DataFrames and dicts in, charts, bytes and text out)
and usable from a CLI or a test. ``ui.state`` (the only owner of ``st.session_state``),
``ui.cached``, ``ui.jobs`` (background work), ``ui.session`` (session start and routing) and
``ui.widgets`` need Streamlit and are imported by the app only.
"""
