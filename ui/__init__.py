"""The Streamlit app layer of unlearning-explorer (docs/architecture.md §Layers).

Session state (``ui.state``, the only owner of ``st.session_state``), background jobs
(``ui.jobs``), cached engine calls (``ui.cached``), session start and routing
(``ui.session``), widgets and the page panels (``*_panel``). It imports ``core`` and
``present``; only app.py and pages/ import it.
"""
