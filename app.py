"""unlearning-explorer: the Streamlit router (``streamlit run app.py``).

Page config, the scenario from the URL, a one-time Numba warm-up, the default demo
trained and waiting, the navigation, and the status bar of background jobs; the pages
live in pages/, the seam in ui/.
"""
import os
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Before NumPy loads: one BLAS thread (two pools fight over the cores otherwise) and a
# writable Numba cache (docs/architecture.md §Platform).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("NUMBA_CACHE_DIR", str(HERE / ".numba_cache"))

import streamlit as st  # noqa: E402

from explorer.method_files import load_configured  # noqa: E402
from explorer.warmup import warm_up  # noqa: E402
from ui import job_status, session  # noqa: E402

st.set_page_config(page_title="Unlearning explorer", page_icon="🧽", layout="wide")

# URL paths are the names Streamlit infers from the file names (the pages/ folder's own
# navigation runs on a fresh server's first request; ui.session.require_router reroutes).
page = st.navigation(session.navigation(), position="top")
# Background jobs (ui/jobs.py): progress, Cancel and questions on top of every page (a job
# a page starts reruns the app once, so that this bar shows it from then on).
job_status.status_bar()
session.start_session(warm_up, load_configured(HERE))
session.run_routed(page)
