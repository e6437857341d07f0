"""The Data & training settings: every generator and engine parameter, uploads, and Train.

The widgets edit a draft (a dict of Scenario fields kept in ``ui.state``); Train validates
it, trains with a progress bar and commits it only on success, so a bad upload or
non-separable data leave the current model and forget list as they were.
"""
import streamlit as st

from core.compare import default_forget
from core.data import DATA_KINDS, MAX_DIM, MAX_SAMPLES, MAX_TEST, PRESET_KINDS, TOY_KINDS
from core.errors import InputError
from core.lift import DEFAULT_BANDWIDTH, LIFT_KIND_LABELS, LIFT_KINDS
from core.presets import CLASS_NAMES, DEFAULT_CLASSES
from core.scenario import DEFAULT_STEPS, LOSSES, MAX_STEPS, MAX_WIDTH, OPTIMIZERS, Scenario
from core.transform import PREPROCESS, PREPROCESS_LABELS
from core.validate import BANDWIDTH_RANGE, MAX_LIFT
from present.text import as_text
from ui import session, state, uploads
from ui.widgets import show_error

UPLOAD = "upload"
SOURCES = DATA_KINDS + (UPLOAD,)
SOURCE_LABELS = {"orthogonal": "orthogonal (random, labels independent)",
                 "mixture": "Gaussian mixture (with a test set)", "blobs": "2-D blobs",
                 "moons": "2-D moons (not separable through 0)", "xor": "2-D xor",
                 "digits": "digits (8×8 images, two classes)",
                 "breast_cancer": "breast cancer (30 features)",
                 "iris": "iris (4 features, two classes)",
                 UPLOAD: "upload a CSV / NPZ file"}
LIFT_HELP = ("Random-feature lift to D features (0 = off), applied after the scaling with a "
             "seeded random matrix: it moves any data to dimension D.")
LIFT_KIND_HELP = ("ReLU features ReLU(Rx)/√D keep the points' cosines (ρ stays high); random "
                  "Fourier features √(2/D) cos(Wx + b), W ~ N(0, σ⁻²I), approximate a "
                  "Gaussian kernel and make distinct points nearly orthogonal as B shrinks.")
BANDWIDTH_HELP = ("B sets the Fourier lift's length scale σ = B · (median distance between "
                  "training points): small B puts the data in the paper's regime (ρ falls), "
                  "large B generalizes better. The regime dial below the data shows both.")
DATA_FIELDS = ("preprocess", "lift", "lift_kind", "bandwidth")   # set by the data's defaults
PREPROCESS_HELP = ("Applied to every data set (generated, preset or uploaded), the test set "
                   "with the training statistics. The learning rate is relative to the "
                   "median squared norm of the rows, so any choice trains safely.")
MODEL_LABELS = {"relu": "two-layer ReLU net", "linear": "linear"}
KAPPA_HELP = ("Neuron-point pairs with |cos(w_j, x_i)| <= kappa sit at the ReLU kink, where "
              "any slope in [0, 1] is allowed (Clarke subdifferential); without this band a "
              "perfectly trained net would show eps_rel near 0.18 forever.")


def _number(label, value, key, low=None, high=None, step=None, fmt=None, help=None):
    return st.number_input(label, min_value=low, max_value=high, value=value, step=step,
                           format=fmt, key=state.widget_key(key), help=help)


def _data_section(d):
    source = UPLOAD if d["data_file"] else d["data"]
    d["_classes"], d["classes"] = d.get("classes"), None     # only a preset keeps its classes
    key = state.widget_key("source")
    d["_source"] = source = st.selectbox("Data", SOURCES, index=SOURCES.index(source),
                                         format_func=SOURCE_LABELS.get, key=key,
                                         on_change=_take_source, args=(key,))
    if source == UPLOAD:
        _upload_section(d)
        return d
    d["data"], d["data_file"] = source, None
    d["n_samples"] = _number("points n", int(d["n_samples"]), "n_samples", 2, MAX_SAMPLES, 1)
    if source in TOY_KINDS:
        d["dim"] = 2
        st.caption("2-D toy data: d = 2, where the theory does not apply.")
    elif source in PRESET_KINDS:
        _preset_section(d, source)
    else:
        dim = int(d["dim"]) if d["dim"] > 2 else Scenario().dim
        d["dim"] = _number("dimension d", dim, "dim", 1, MAX_DIM, 50)
    if source == "mixture":
        d["mu_norm"] = _number("mean norm ‖μ‖", float(d["mu_norm"]), "mu_norm", 0.0, None, 0.5)
    if source == "mixture" or source in PRESET_KINDS:
        d["n_test"] = _number("test points (at most)", int(d["n_test"]), "n_test", 0, MAX_TEST,
                              500)
    d["seed"] = _number("seed", int(d["seed"]), "seed", 0, 2**32 - 1, 1)
    _scaling_section(d, source)
    return d


def _take_source(key):
    """on_change of the data source: preprocessing and lift become the new data's defaults
    (a preset's own, ``core.scenario.data_defaults``), as a link to that data would set."""
    source = state.widget_state(key)
    d = state.draft()
    defaults = Scenario(data=source).to_dict() if source in DATA_KINDS else Scenario().to_dict()
    d.update({f: defaults[f] for f in DATA_FIELDS})
    state.put("draft", d)


def _preset_section(d, source):
    """The two classes of a preset (breast cancer has two: malignant -1, benign +1)."""
    st.caption("A balanced, seeded subsample of scikit-learn's bundled data; the other points "
               "of the two classes are the test set.")
    names = CLASS_NAMES[source]
    if len(names) <= 2:                     # breast cancer: its two classes, nothing to pick
        return
    chosen = tuple(d["_classes"] or DEFAULT_CLASSES[source])
    if max(chosen) >= len(names):           # classes of another preset
        chosen = DEFAULT_CLASSES[source]
    low, high = st.columns(2)
    pick = [col.selectbox(label, range(len(names)), index=chosen[k], format_func=names.__getitem__,
                          key=state.widget_key(f"class_{k}_{source}"))
            for k, (col, label) in enumerate(((low, "class A"), (high, "class B")))]
    pick = tuple(sorted(pick))
    d["classes"] = None if pick == DEFAULT_CLASSES[source] else pick


def _scaling_section(d, source):
    """Preprocessing and the random-feature lift (kind, D, Fourier bandwidth B): every source
    has them; their widgets are the source's own, so a preset's defaults show when it is
    chosen."""
    current = d.get("preprocess") or PREPROCESS[0]
    d["preprocess"] = st.selectbox("Preprocessing", PREPROCESS, index=PREPROCESS.index(current),
                                   format_func=PREPROCESS_LABELS.get, help=PREPROCESS_HELP,
                                   key=state.widget_key(f"preprocess.{source}"))
    d["lift"] = int(_number("random-feature lift D", int(d.get("lift") or 0), f"lift.{source}",
                            0, MAX_LIFT, 500, help=LIFT_HELP))
    kind = d.get("lift_kind") or LIFT_KINDS[0]
    if not d["lift"]:
        d["lift_kind"], d["bandwidth"] = LIFT_KINDS[0], DEFAULT_BANDWIDTH
        return
    d["lift_kind"] = st.radio("lift features", LIFT_KINDS, index=LIFT_KINDS.index(kind),
                              format_func=LIFT_KIND_LABELS.get, help=LIFT_KIND_HELP,
                              key=state.widget_key(f"lift_kind.{source}"), horizontal=True)
    if d["lift_kind"] != "fourier":
        d["bandwidth"] = DEFAULT_BANDWIDTH
        return
    low, high = BANDWIDTH_RANGE
    d["bandwidth"] = float(_number("bandwidth B", float(d.get("bandwidth") or DEFAULT_BANDWIDTH),
                                   f"bandwidth.{source}", low, high, 0.05, "%g",
                                   help=BANDWIDTH_HELP))


def _upload_section(d):
    upload = st.file_uploader("CSV (features + a label column) or NPZ (X, y[, X_test, y_test])",
                              type=["csv", "npz"], key=state.widget_key("upload"))
    if upload is not None:
        stored, err, _ = state.once_per_upload(
            "data", upload.file_id, lambda: uploads.store_upload(upload.name, upload.getvalue()))
        if err is not None:             # Train stays off until a valid file is in
            show_error(err, "Nothing was changed: fix the file and upload it again.")
            d["data_file"] = None
        else:
            path, ds = stored
            d["data_file"] = path
            test = f", {ds.X_test.shape[0]} test points" if ds.has_test else ""
            st.success(f"{as_text(upload.name)}: n = {ds.n_samples}, d = {ds.dim}{test}.",
                       icon=":material/description:")
    if d["data_file"]:
        st.caption(f"Data file: {as_text(uploads.display_name(d['data_file'], 'the upload'))}")
        _scaling_section(d, UPLOAD)
    else:
        st.info("Upload a file, then press Train.")


def _model_section(d):
    d["model"] = st.radio("Model", tuple(MODEL_LABELS), index=tuple(MODEL_LABELS).index(d["model"]),
                          format_func=MODEL_LABELS.get, key=state.widget_key("model"))
    if d["model"] == "relu":
        d["width"] = _number("hidden neurons m", int(d["width"]), "width", 2, MAX_WIDTH, 10)
        d["init_scale"] = _number("init scale s", float(d["init_scale"]), "init_scale", 1e-12,
                                  None, None, "%g", "W_0 entries ~ N(0, s²/d)")
        d["start"] = "trained"
    else:
        d["start"] = st.radio("Start from", ("trained", "exact"),
                              index=("trained", "exact").index(d["start"]),
                              format_func={"trained": "GD-trained model",
                                           "exact": "exact max-margin SVM"}.get,
                              key=state.widget_key("start"), horizontal=True)
    return d


def _optimizer_section(d):
    d["optimizer"] = st.selectbox("Optimizer", OPTIMIZERS, index=OPTIMIZERS.index(d["optimizer"]),
                                  format_func={"normalized": "normalized GD (η / L)",
                                               "plain": "plain GD"}.get,
                                  key=state.widget_key("optimizer"))
    d["loss"] = st.selectbox("Loss", LOSSES, index=LOSSES.index(d["loss"]),
                             format_func={"exp": "exponential", "logistic": "logistic"}.get,
                             key=state.widget_key("loss"))
    d["lr"] = _number("learning rate η", float(d["lr"]), "lr", 1e-9, None, 0.5, "%g")
    default = DEFAULT_STEPS[d["model"]]
    steps = _number("GD steps", int(d["steps"] or default), f"steps_{d['model']}", 1,
                    MAX_STEPS, 100)
    d["steps"] = None if steps == default else int(steps)
    return d


def _certificate_section(d):
    d["kink_tol"] = st.slider("kink band κ", 0.0, 0.2, float(d["kink_tol"]), 0.005,
                              key=state.widget_key("kink_tol"), help=KAPPA_HELP)
    restrict = st.checkbox("only near-active points carry λ", d["active_tol"] is not None,
                           key=state.widget_key("restrict"),
                           help="α: only points with q_i <= 1 + α may have λ_i > 0 "
                                "(needed when n >= d, where λ is not unique).")
    d["active_tol"] = (_number("α", float(d["active_tol"] or 0.05), "active_tol", 0.0, None, 0.01,
                               "%g") if restrict else None)
    return d


def scenario_editor(draft):
    """All settings, one tab per section.

    Returns (draft, ready): the edited dict of Scenario fields, and False while the upload
    source is chosen but no valid file is in.
    """
    d = dict(draft)
    sections = (("Data", _data_section), ("Model", _model_section),
                ("Optimizer", _optimizer_section), ("Certificate", _certificate_section))
    for tab, (_, section) in zip(st.tabs([t for t, _ in sections]), sections):
        with tab:
            d = section(d)
    source = d.pop("_source")
    d.pop("_classes", None)
    return d, not (source == UPLOAD and not d["data_file"])


def train(values):
    """Validate and train the draft with a progress bar; commit it only if that works."""
    try:
        scenario = Scenario.from_dict(values)
    except InputError as err:
        show_error(err, "The current model is kept.")
        return
    if scenario == state.get("scenario"):
        st.info("These settings are already trained.", icon=":material/info:")
        return

    def commit(prep):
        forget = default_forget(prep)
        state.commit(scenario, (forget,))
        return (f"Trained in {prep.seconds:.2f} s; forgetting point {forget[0]} (the support "
                "vector with the largest λ) on the Unlearn page.")

    session.train_then(scenario, "Training", commit)
