"""Cached calls into the engine, keyed by the hashable Scenario and forget tuples.

``st.cache_resource`` holds the engine's objects (shared by all sessions: treat them as
read-only); ``st.cache_data`` holds DataFrames. Progress callbacks are passed as
``_progress`` (not hashed). Retraining is cached apart from c, so moving the c slider
only redoes the GA step and its certificate.
"""
import hashlib
import io
import json
from pathlib import Path

import pandas as pd
import streamlit as st

from core import compare as engine
from core.errors import InputError
from core.io import load_file
from core.scenario import Scenario
from core.unlearn import check_forget
from ui import frames

APP_DIR = Path(__file__).resolve().parent.parent
UPLOAD_DIR = APP_DIR / ".uploads"
HASH = {Scenario: lambda sc: json.dumps(sc.to_dict(), sort_keys=True)}
WARM_UP = (Scenario(n_samples=10, dim=100, width=10, steps=30),
           Scenario(model="linear", n_samples=10, dim=100, steps=30))


def _dataset(scenario):
    """The uploaded file of a scenario (None for a generator); only files under .uploads/."""
    if not scenario.data_file:
        return None
    path = (APP_DIR / scenario.data_file).resolve()
    if UPLOAD_DIR.resolve() not in path.parents:
        raise InputError(f"Data file {scenario.data_file!r} is not an upload of this app: "
                         "upload the CSV or NPZ on Data & training.")
    if not path.is_file():
        raise InputError(f"The uploaded file {scenario.data_file!r} is no longer on this "
                         "server: upload it again on Data & training.")
    return load_file(str(path))


@st.cache_resource(max_entries=8, hash_funcs=HASH, show_spinner=False)
def prepared(scenario, _progress=None):
    """core.compare.prepare: data, training (with progress), certificate on S."""
    return engine.prepare(scenario, progress=_progress, dataset=_dataset(scenario))


def checked(scenario, forget):
    """The forget tuple, validated against the scenario's labels (InputError if invalid)."""
    return check_forget(tuple(forget), prepared(scenario).ctx.y)


@st.cache_resource(max_entries=64, hash_funcs=HASH, show_spinner=False)
def retrained(scenario, forget):
    """(model retrained on R, seconds), independent of c."""
    return engine.retrain_model(prepared(scenario), checked(scenario, forget))


@st.cache_resource(max_entries=128, hash_funcs=HASH, show_spinner=False)
def comparison(scenario, forget, scale=1.0, sequential=False):
    """Every method on the forget set (``core.compare.Comparison``)."""
    forget = checked(scenario, forget)
    return engine.compare(prepared(scenario), forget, scale=scale, sequential=sequential,
                          retrained=retrained(scenario, forget))


@st.cache_data(max_entries=256, hash_funcs=HASH, show_spinner=False)
def history_row(scenario, forget, scale=1.0, sequential=False):
    """eps_rel of GA and of doing nothing, and GA's cosine to retrain, for one forget set."""
    forget = checked(scenario, forget)
    res = engine.compare(prepared(scenario), forget, scale=scale, sequential=sequential,
                         retrained=retrained(scenario, forget),
                         methods=("ga", "do_nothing")).methods
    return dict(ga_eps_rel=res["ga"].certificate.eps_rel,
                do_nothing_eps_rel=res["do_nothing"].certificate.eps_rel,
                ga_cosine_to_retrain=res["ga"].cosine_to_retrain,
                ga_tau=res["ga"].certificate.tau)


def history_table(scenario, history, scale=1.0, sequential=False):
    """One row per removal action: its points, their lam, and GA's eps_rel, tau and cosine
    to retrain against doing nothing's eps_rel for the forget set up to that action
    (NaN where retraining that set fails)."""
    lam = prepared(scenario).original.lam
    rows, done = [], ()
    for k, action in enumerate(history, start=1):
        done += tuple(action)
        try:
            row = history_row(scenario, done, scale, sequential)
        except InputError:
            row = dict.fromkeys(("ga_eps_rel", "do_nothing_eps_rel", "ga_tau",
                                 "ga_cosine_to_retrain"), float("nan"))
        rows.append({"#": k, "forgot": ", ".join(map(str, action)),
                     "λ before": ", ".join(f"{lam[i]:.3g}" for i in action),
                     "GA ε_rel": row["ga_eps_rel"], "nothing ε_rel": row["do_nothing_eps_rel"],
                     "GA τ": row["ga_tau"], "GA cos": row["ga_cosine_to_retrain"]})
    return pd.DataFrame(rows, columns=["#", "forgot", "λ before", "GA ε_rel", "nothing ε_rel",
                                       "GA τ", "GA cos"])


@st.cache_data(max_entries=32, hash_funcs=HASH, show_spinner=False)
def step_curve(scenario, forget, scales, _progress=None):
    """core.compare.scale_curve over ``scales``, reporting the fraction done."""
    forget = checked(scenario, forget)
    report = None if _progress is None else (lambda done, total: _progress(done / total))
    return engine.scale_curve(prepared(scenario), forget, [float(c) for c in scales],
                              retrained(scenario, forget), progress=report)


@st.cache_data(max_entries=16, hash_funcs=HASH, show_spinner=False)
def training_curves(scenario):
    """core.compare.training_curves of the scenario's trained model."""
    return engine.training_curves(prepared(scenario))


@st.cache_data(max_entries=16, hash_funcs=HASH, show_spinner=False)
def projection(scenario):
    """2-D view of the training data and, for 2-D data, the decision regions."""
    prep = prepared(scenario)
    return (frames.projection_frame(prep.dataset, prep.original.support, scenario.seed),
            frames.region_frame(prep))


@st.cache_resource(show_spinner=False)
def warm_up():
    """Load every Numba kernel once per server process (from the cache when it is warm)."""
    for sc in WARM_UP:
        prep = engine.prepare(sc)
        forget = engine.default_forget(prep)
        engine.scale_curve(prep, forget, [1.0])
        engine.training_curves(prep, max_certificates=2)
    return True


def store_upload(name, data):
    """Validate an uploaded CSV/NPZ with core.io and keep it as .uploads/<sha256>.<ext>.

    Returns (path relative to the app, Dataset). Raises InputError for invalid files, and
    then writes nothing.
    """
    suffix = Path(name).suffix.lower()
    dataset = load_file(io.BytesIO(data), name=name)
    UPLOAD_DIR.mkdir(exist_ok=True)
    target = UPLOAD_DIR / f"{hashlib.sha256(data).hexdigest()}{suffix}"
    if not target.exists():
        target.write_bytes(data)
    return str(target.relative_to(APP_DIR)), dataset
