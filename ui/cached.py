"""Cached calls into the engine, keyed by the hashable Scenario and forget tuples.

``st.cache_resource`` holds the engine's objects (shared by all sessions: treat them as
read-only); ``st.cache_data`` holds DataFrames. Progress callbacks are passed as
``_progress`` (not hashed). Retraining is cached apart from c, so moving the c slider
only redoes the GA step and its certificate.
"""
import importlib
import json
import threading
import weakref
from pathlib import Path

import altair as alt
import pandas as pd
import pyarrow as pa
import streamlit as st
from streamlit import dataframe_util

from core import compare as engine
from core import estimate, registry
from core.errors import InputError
from core.estimate import Cost
from core.io import load_file
from core.pipeline import data_shape
from core.scenario import Scenario
from core.unlearn import check_forget
from present import data_view as views
from ui import uploads

APP_DIR = Path(__file__).resolve().parent.parent
UPLOAD_DIR = uploads.UPLOAD_DIR
HASH = {Scenario: lambda sc: json.dumps(sc.to_dict(), sort_keys=True)}


class WorkKey(str):
    """A job key (a string) that knows the scenario it is about: confirming one piece of
    work above the limits confirms the work that follows on that scenario (``ui.jobs``)."""

    scope: str


def key_of(scenario, *rest):
    """A string naming the work on ``scenario`` (and forget list, c, ...): job keys."""
    key = WorkKey(json.dumps([scenario.to_dict(), *[list(r) if isinstance(r, tuple) else r
                                                    for r in rest]], sort_keys=True))
    key.scope = json.dumps([scenario.to_dict()], sort_keys=True)
    return key


def cost(scenario, *, prepare=False, trainings=0, certificates=0, svms=0, comparison=0,
         result=None):
    """The expected cost (``core.estimate.Cost``: seconds and peak MB on this machine) of
    work on the scenario: ``prepare`` (data, training, certificate), ``trainings``
    trainings, ``certificates`` certificates, ``svms`` exact SVMs, and a comparison of
    ``comparison`` methods (retraining, certificates, output distances, the SVM of the
    linear model). Nothing when ``result`` (the ``is_ready`` name of the work's result) is
    at hand already."""
    if result is not None and is_ready(scenario, *result):
        return Cost(0.0, 0.0)
    shape = _shape(scenario)
    total = estimate.work_cost(shape, scenario, prepare=prepare, trainings=trainings,
                               certificates=certificates, svms=svms)
    if comparison:
        total = total + estimate.comparison_cost(shape, scenario, comparison,
                                                 exact=not scenario.is_relu)
    return total


@st.cache_data(max_entries=32, hash_funcs=HASH, show_spinner=False)
def _shape(scenario):
    """(n, d, n_test, generated) of the scenario's data (``core.pipeline.data_shape``; an
    upload is read; one that cannot be read has no size: training will say why)."""
    try:
        return data_shape(scenario, raw=_dataset(scenario))
    except InputError:
        return 0, 0, 0, False


def to_spec(chart):
    """The Vega-Lite dict Streamlit would draw for an Altair chart, without validation
    (theme "none" as in st.altair_chart; data inline, no row limit)."""
    with _ALTAIR_LOCK, alt.theme.enable("none"), \
            alt.data_transformers.enable("default", max_rows=None):
        return chart.to_dict(validate=False)


_ALTAIR_LOCK = threading.Lock()     # the theme and data transformer are process-global


def spec(builder, *args, **kwargs):
    """``to_spec(builder(*args, **kwargs))``, cached on the arguments (DataFrames included):
    a rerun with the same inputs draws the finished spec (present.charts and
    present.figures builders).
    Its datasets are Arrow IPC bytes, converted once (``inline`` turns them back).
    """
    return _spec(builder.__module__, builder.__qualname__, args, kwargs)


@st.cache_data(max_entries=512, hash_funcs=HASH, show_spinner=False)
def _spec(module, name, args, kwargs):
    spec = to_spec(getattr(importlib.import_module(module), name)(*args, **kwargs))
    if isinstance(spec.get("datasets"), dict):      # as Arrow IPC, which Streamlit sends
        spec["datasets"] = {k: dataframe_util.convert_anything_to_arrow_bytes(v)
                            for k, v in spec["datasets"].items()}
    return spec


def inline(spec):
    """The spec with Arrow datasets back as lists of records (for vl-convert exports)."""
    datasets = spec.get("datasets")
    if not isinstance(datasets, dict) or not any(isinstance(v, bytes) for v in datasets.values()):
        return spec
    return {**spec, "datasets": {k: pa.ipc.open_stream(v).read_all().to_pylist()
                                 if isinstance(v, bytes) else v for k, v in datasets.items()}}


def training_progress(progress):
    """core.train's ``progress(done, total)`` as a job's ``progress(fraction, text)``."""
    def steps(done, total):
        progress(done / total, f"Training: step {done} of {total}" if done < total
                 else "Certifying: recovering λ by non-negative least squares...")
    return steps


def training_work(scenario):
    """The job work that trains and certifies ``scenario`` (``prepared``, with progress)."""
    def work(progress):
        return prepared(scenario, _progress=training_progress(progress))
    return work


def _dataset(scenario):
    """The uploaded file of a scenario (None for a generator); only files under .uploads/."""
    if not scenario.data_file:
        return None
    try:
        path = (APP_DIR / scenario.data_file).resolve()
        inside = UPLOAD_DIR.resolve() in path.parents
        found = inside and path.is_file()
    except (OSError, ValueError):       # a name no file system takes (too long, a NUL)
        inside = found = False
    if not inside:
        raise InputError(f"Data file {scenario.data_file!r} is not an upload of this app: "
                         "upload the CSV or NPZ on Data & training.")
    if not found:
        raise InputError(f"The uploaded file {scenario.data_file!r} is no longer on this "
                         "server: upload it again on Data & training.")
    return load_file(str(path), name=uploads.original_name(path) or path.name)


# The trained scenarios and comparisons this process has computed, while anything (the
# cache, a session's job) still holds them, by job key: a new session opening the same link
# gets them at once, and its work estimates know they cost nothing (``is_ready``).
_READY = weakref.WeakValueDictionary()


def is_ready(scenario, *rest):
    """Whether the result named by ``key_of(scenario, *rest)`` is at hand: ``()`` for
    ``prepared``, ``("comparison", forget, scale, sequential)`` for ``comparison``."""
    return key_of(scenario, *rest) in _READY


def prepared(scenario, _progress=None):
    """core.compare.prepare: data, training (with progress), certificate on S."""
    ready = _READY.get(key_of(scenario))
    return ready if ready is not None else _prepared(scenario, _progress)


@st.cache_resource(max_entries=8, hash_funcs=HASH, show_spinner=False)
def _prepared(scenario, _progress=None):
    result = engine.prepare(scenario, progress=_progress, dataset=_dataset(scenario))
    _READY[key_of(scenario)] = result
    return result


def checked(scenario, forget):
    """The forget tuple, validated against the scenario's labels (InputError if invalid)."""
    return check_forget(tuple(forget), prepared(scenario).ctx.y)


@st.cache_resource(max_entries=64, hash_funcs=HASH, show_spinner=False)
def retrained(scenario, forget, _progress=None):
    """(model retrained on R, seconds), independent of c."""
    return engine.retrain_model(prepared(scenario), checked(scenario, forget),
                                progress=_progress)


def comparison(scenario, forget, scale=1.0, sequential=False, _progress=None):
    """Every method on the forget set (``core.compare.Comparison``).

    ``_progress(fraction, text)`` follows the stages: retraining (first half), then each
    method's certificate; it may raise core.errors.Cancelled between chunks. (Streamlit
    keys a cache on the arguments as passed, defaults not filled in: every call goes
    through here with all of them, so that equal requests share one entry.)
    """
    key = key_of(scenario, "comparison", tuple(forget), float(scale), bool(sequential))
    ready = _READY.get(key)
    if ready is not None:
        return ready
    return _comparison(scenario, tuple(forget), float(scale), bool(sequential), _progress)


@st.cache_resource(max_entries=128, hash_funcs=HASH, show_spinner=False)
def _comparison(scenario, forget, scale, sequential, _progress=None):
    forget = checked(scenario, forget)
    report = _progress or (lambda fraction, text=None: None)
    retrain = retrained(scenario, forget, _progress=lambda done, total: report(
        0.5 * done / total, f"Retraining without {_points(forget)}: step {done} of {total}"))
    report(0.5, "Certifying each method")
    result = engine.compare(prepared(scenario), forget, scale=scale, sequential=sequential,
                            retrained=retrain, progress=lambda done, total: report(
                                0.5 + 0.5 * done / total,
                                f"Certified {done} of {total} methods"))
    _READY[key_of(scenario, "comparison", forget, scale, sequential)] = result
    return result


def _points(forget):
    return f"point {forget[0]}" if len(forget) == 1 else f"{len(forget)} points"


@st.cache_data(max_entries=32, hash_funcs=HASH, show_spinner=False)
def step_curve(scenario, forget, scales, _progress=None):
    """core.compare.scale_curve over ``scales``, reporting the fraction done."""
    forget = checked(scenario, forget)
    report = None if _progress is None else (lambda done, total: _progress(done / total))
    retrain = retrained(scenario, forget, _progress=report and (lambda done, total: report(0, 1)))
    return engine.scale_curve(prepared(scenario), forget, [float(c) for c in scales],
                              retrain, progress=report)


@st.cache_data(max_entries=16, hash_funcs=HASH, show_spinner=False)
def training_curves(scenario, _progress=None):
    """core.compare.training_curves of the scenario's trained model (``_progress(fraction,
    text)`` after each certified snapshot)."""
    report = None if _progress is None else (lambda done, total: _progress(
        done / total, f"Certified {done} of {total} training snapshots"))
    return engine.training_curves(prepared(scenario), progress=report)


@st.cache_data(max_entries=64, hash_funcs=HASH, show_spinner=False)
def data_view(scenario, forget=(), scale=1.0, sequential=False, presentation=False,
              methods=True, title=None):
    """The data view (``present.data_view``): (Vega-Lite spec without a selection, contour-line
    table, caption). With ``methods``, the boundaries of every method on ``forget`` (the
    comparison must be computed); else the trained model's, with ``forget`` marked."""
    prep = prepared(scenario)
    comp = comparison(scenario, forget, scale, sequential) if methods and forget else None
    view = views.data_view(prep, comp, forget)
    return (to_spec(views.chart(view, presentation, title=title)), view.lines, view.caption)


# ---- methods: the Methods page and the Unlearn page's extra method cards (issue 8) ----

def params_key(params):
    """A method-params dict as a hashable cache key (sorted JSON)."""
    return json.dumps(params or {}, sort_keys=True)


@st.cache_resource(max_entries=64, hash_funcs=HASH, show_spinner=False)
def methods_comparison(scenario, forget, methods, params_json="{}", _progress=None):
    """core.compare.compare of ``methods`` (a tuple) with hyperparameters ``params_json``
    (``params_key``), reusing the cached retraining; c = 1, one step for the whole set."""
    forget = checked(scenario, forget)
    report = _progress or (lambda fraction, text=None: None)
    retrain = retrained(scenario, forget, _progress=lambda done, total: report(
        0.5 * done / total, f"Retraining without {_points(forget)}: step {done} of {total}"))
    report(0.5, "Running and certifying each method")
    params = {k: v for k, v in json.loads(params_json).items() if k in methods}
    return engine.compare(prepared(scenario), forget, retrained=retrain, methods=methods,
                          method_params=params, progress=lambda done, total: report(
                              0.5 + 0.5 * done / total, f"Certified {done} of {total} methods"))


@st.cache_resource(max_entries=32, hash_funcs=HASH, show_spinner=False)
def mia_audit(scenario, forget, methods, params_json="{}", shadows=16, _progress=None):
    """core.mia.audit of ``methods_comparison``: K shadow pairs per forgotten point (cached
    per scenario and point in core.mia too), with ``_progress(fraction, text)``."""
    from core.mia import audit

    comp = methods_comparison(scenario, forget, methods, params_json)
    report = _progress or (lambda fraction, text=None: None)
    return audit(comp, n_shadows=shadows, progress=lambda done, total: report(
        done / total, f"Training shadow pair {done} of {total} (IN and OUT)"))


def card_methods(scenario, forget, scale, sequential, extra=()):
    """The Unlearn page's cards: methods_frame of the current comparison, plus the
    ``extra`` methods (default hyperparameters), in the registry's order; those
    that fail (InputError, e.g. a diverging ascent) are left out and named in
    ``frame.attrs["failed"]``."""
    from core.report import methods_frame

    frame, failed = methods_frame(comparison(scenario, forget, scale, sequential)), {}
    for name in extra:      # one at a time: a diverging baseline leaves the others shown
        try:
            more = methods_frame(methods_comparison(scenario, tuple(forget), (name,)))
            more = more[more["method"] == name]        # the reference is in ``frame``
        except InputError as err:
            failed[name] = str(err)
            continue
        frame = pd.concat([frame, more], ignore_index=True)
    rank = {m: i for i, m in enumerate(registry.names())}
    frame = frame.sort_values("method", key=lambda col: col.map(rank), kind="stable")
    frame = frame.set_index("method")
    frame.attrs["failed"] = failed      # name -> message, shown under the cards
    return frame
