"""Streamlit widgets the pages share: charts and tables with downloads, method cards,
bound sliders and toggles, errors (session start and routing are in ``ui.session``).

Pages read widgets, call ``ui.cached`` and draw with these; state goes through ``ui.state``.
Charts are drawn from finished Vega-Lite specs (``ui.cached.spec``: built once per input,
never re-validated); PNG/SVG export specs are made only when a download is clicked.
"""
import json

import pandas as pd
import streamlit as st

from core.kkt import STATUS_TEXT
from present import export, methods_view, text
from present.charts import PICK
from present.text import as_text
from ui import cached, state

EXPORT_WIDTH = 760          # pixels of single-view charts in PNG/SVG exports
COMPOSED = ("hconcat", "vconcat", "concat", "facet", "repeat")


def selected_indices(event, param=PICK):
    """Point indices selected in a chart event; [] for no, empty or malformed selections.

    Works on Streamlit's VegaLiteState and on the plain dict AppTest injects; the empty
    selection arrives as ``{}`` (docs/architecture.md §Platform).
    """
    try:
        points = event["selection"][param]
    except (KeyError, TypeError, AttributeError):
        return []
    if not isinstance(points, (list, tuple)):
        return []
    out = []
    for point in points:
        try:
            index = int(point["index"])
        except (KeyError, TypeError, ValueError):
            continue
        if index not in out:
            out.append(index)
    return out


def show_error(err, action=""):
    """An engine error as an alert: its message (what is wrong and what to change)."""
    st.error(f"{as_text(err)} {action}".strip(), icon=":material/error:")   # err quotes input


def _export_json(spec):
    """The spec as exported (JSON text, data inline): single views get EXPORT_WIDTH pixels
    unless they set a width."""
    spec = cached.inline(spec)
    if "width" not in spec and not any(k in spec for k in COMPOSED):
        spec = {**spec, "width": EXPORT_WIDTH}
    return json.dumps(spec, default=str)


def chart(chart, name, key=None, on_select="ignore", downloads=True, **kwargs):
    """Draw a chart (a Vega-Lite dict from ``ui.cached.spec``, or an Altair chart) plus PNG
    and SVG downloads (unless ``downloads`` is False: then draw them with
    ``chart_downloads`` where they should go). Returns the selection event; ``kwargs`` go
    to st.vega_lite_chart (e.g. ``selection_mode``)."""
    spec = chart if isinstance(chart, dict) else cached.to_spec(chart)
    stretch = not any(k in spec for k in COMPOSED)
    event = st.vega_lite_chart(spec, key=key, on_select=on_select, theme=None,
                               width="stretch" if stretch else "content", **kwargs)
    if downloads:
        with st.container(horizontal=True, gap="small"):
            chart_downloads(spec, name)
    return event


def chart_downloads(chart, name):
    """PNG and SVG download buttons of a chart (spec or Altair), rendered by vl-convert
    only on click."""
    spec = chart if isinstance(chart, dict) else cached.to_spec(chart)
    stem = export.file_stem(name)
    st.download_button("PNG", data=lambda: export.png_bytes(_export_json(spec)),
                       file_name=f"{stem}.png", mime="image/png", on_click="ignore",
                       key=f"ux.dl.{stem}.png", type="tertiary", icon=":material/download:")
    st.download_button("SVG", data=lambda: export.svg_text(_export_json(spec)),
                       file_name=f"{stem}.svg", mime="image/svg+xml", on_click="ignore",
                       key=f"ux.dl.{stem}.svg", type="tertiary", icon=":material/download:")


def certificate_notes(certificates):
    """One warning naming the certificates whose dual recovery did not converge, and what
    their eps means (``core.kkt.STATUS_TEXT``). ``certificates``: {label: Certificate}."""
    stopped = {label: cert for label, cert in certificates.items() if not cert.converged}
    if stopped:
        statuses = sorted({STATUS_TEXT[cert.status] for cert in stopped.values()})
        st.warning(f"Certificate of {as_text(', '.join(stopped))}: {'; '.join(statuses)}. "
                   "Typical when n ≥ d: the data are low-dimensional and λ is not unique.",
                   icon=":material/warning:")


def table(df, name, titles=None, **kwargs):
    """st.dataframe plus a CSV download; missing values show as a dash, not "None".

    Columns are titled in words and symbols (``present.text.COLUMN_TITLES``, then
    ``titles``), gaps that rounding leaves at 1e-16 show as 0 (``present.text.tidy``); the
    CSV keeps the raw column names and full-precision values.
    """
    config = dict(kwargs.pop("column_config", None) or {})
    for col in df.columns:
        title = (titles or {}).get(col) or text.column_title(col)
        given = config.get(col)
        if isinstance(given, str) or title == str(col):
            continue
        config[col] = {**(given or {}), "label": (given or {}).get("label") or title}
    st.dataframe(text.tidy(df), **{"placeholder": "—", "column_config": config, **kwargs})
    stem = export.file_stem(name)
    st.download_button("CSV", data=lambda: export.csv_bytes(df), file_name=f"{stem}.csv",
                       mime="text/csv", on_click="ignore", key=f"ux.dl.{stem}.csv",
                       type="tertiary", icon=":material/download:")


MAX_CARDS = 3      # more methods than this: one compact table instead of narrow cards


def method_cards(methods, has_test=False):
    """The methods side by side: one bordered card each (eps_rel, delta, tau, cosine to
    retrain, and test accuracy where there is a test set) for up to MAX_CARDS methods; a
    compact table of the same numbers beyond that, so that every value stays readable at
    any width. ``methods``: methods_frame indexed by name."""
    metrics = list(text.CARD_METRICS) + ([("test_accuracy", "test accuracy")] if has_test else [])
    if len(methods) > MAX_CARDS:
        _method_scoreboard(methods, metrics)
    else:
        row_box = st.container(key="cards")
        for col, (name, row) in zip(row_box.columns(MAX_CARDS, gap="small"),
                                    methods.iterrows()):
            with col.container(border=True, key=f"card_{name}", height="stretch"):
                st.markdown(f"**{text.as_text(row['label'])}**")
                for metric, label in metrics:
                    st.metric(label, text.fmt(text.shown(metric, row.get(metric)),
                                              text.card_format(metric)),
                              help=text.METRIC_HELP[metric])
                    if metric == "eps_rel" and text.certificate_flag(row):
                        st.caption(f":orange[:material/warning: {text.certificate_flag(row)}]")
                floor = methods_view.floor_sentence(row)
                if floor:                  # retraining's noise floor (ui.evidence_panel)
                    st.caption(("" if row["within_floor"] else ":orange[")
                               + text.as_text(floor) + ("" if row["within_floor"] else "]"))
                if row.get("params") and _tunable(name):   # as used: Newton's damping γ...
                    st.caption(text.as_text(row["params"]))
    for name, message in methods.attrs.get("failed", {}).items():
        st.warning(text.as_text(f"{name}: {message}"), icon=":material/warning:")


def _method_scoreboard(methods, metrics):
    """The cards' numbers as one static table (a row per method, its colour beside its
    name, the card's number formats), readable at projector sizes."""
    from present import palette

    rows = {}
    for _, row in methods.iterrows():
        cells = {label: text.fmt(text.shown(metric, row.get(metric)), text.card_format(metric))
                 for metric, label in metrics}
        flag = text.certificate_flag(row)
        rows[row["label"]] = {**cells, "certificate": f"⚠ {flag}" if flag else "✓"}
        floor = methods_view.floor_sentence(row)
        if floor:
            rows[row["label"]]["against the floor"] = floor
        if row.get("params") and _tunable(row.name):
            rows[row["label"]]["as used"] = row["params"]
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "method"
    colors = {row["label"]: palette.color(name) for name, row in methods.iterrows()}
    styled = frame.style.map_index(lambda label: f"color: {colors.get(label, '#333')}; "
                                                 "font-weight: 600", axis=0)
    with st.container(key="cards_table"):
        st.table(styled)


def _tunable(name):
    """Whether a registered method has hyperparameters (shown on its card as used)."""
    from core import registry

    return name in registry.names() and bool(registry.get(name).params)


def bound_slider(name, label, low, high, step, help=None):
    """A slider bound to setting ``name`` of ``ui.state`` (kept across pages)."""
    key = state.widget_key(name)
    return st.slider(label, low, high, value=state.get(name), step=step, key=key,
                     on_change=state.store_widget, args=(name, key), help=help)


def bound_toggle(name, label, help=None):
    """A toggle bound to setting ``name`` of ``ui.state``."""
    key = state.widget_key(name)
    return st.toggle(label, value=state.get(name), key=key,
                     on_change=state.store_widget, args=(name, key), help=help)


def method_picker(model):
    """Extra methods for the Unlearn page's cards (GA and the references always shown,
    GA first); bound to ``ui.state.card_methods``. Returns the names chosen."""
    from core import registry

    extra = [m for m in registry.names(model) if m not in registry.default_names()]
    key = state.widget_key("card_methods")
    return tuple(st.multiselect(
        "more methods on the cards", extra,
        default=[m for m in state.get("card_methods") if m in extra],
        format_func=registry.label, key=key, on_change=state.store_widget,
        args=("card_methods", key), placeholder="k-step GA, NegGrad+, fine-tuning, ...",
        help="Baselines with their default hyperparameters (tune them on the Methods page)."))


def method_params_editor(chosen):
    """Number inputs for the hyperparameters of the ``chosen`` methods (each Method's
    ``params``: label, range, default; empty = computed), kept in ``ui.state``. Returns
    {method: {name: value}} of the values that differ from the defaults."""
    from core import registry

    tunable = [m for m in chosen if registry.get(m).params]
    if not tunable:
        return {}
    params = state.get("method_params")
    with st.expander("hyperparameters (defaults: see docs/theory.md §3.7)"):
        new = {}
        for col, name in zip(st.columns(len(tunable)), tunable):
            col.markdown(f"**{as_text(registry.label(name))}**")
            for hp, spec in registry.get(name).params.items():
                text = as_text(spec.label or hp)      # widget labels are Markdown
                if spec.default is None:
                    text += f" (empty: {spec.auto or 'computed'})"
                value = col.number_input(
                    text, min_value=_bound(spec.low, spec.open_low, spec.integer, 1),
                    max_value=_bound(spec.high, spec.open_high, spec.integer, -1),
                    value=params.get(name, {}).get(hp, spec.default),
                    step=1 if spec.integer else None, key=f"ux.mp.{name}.{hp}")
                if value is not None and value != spec.default:
                    new.setdefault(name, {})[hp] = int(value) if spec.integer else value
        state.put("method_params", new)
    return state.get("method_params")


def _bound(value, open_end, integer, direction):
    """A number_input bound from a Param's range end (None when infinite; nudged inside an
    open end)."""
    if value in (float("inf"), float("-inf")):
        return None
    if not open_end:
        return int(value) if integer else float(value)
    return int(value) + direction if integer else float(value) + direction * 1e-4
