"""The training player of Data & training: Play / Pause / Step / a scrubber over the
recorded snapshots, and the same animation as a GIF or PNG frames for slides.

How it plays: Streamlit's timed reruns, ``st.fragment(run_every=FRAME_SECONDS)``, not a
client-side Vega-Lite parameter. Every frame's data are built once per (scenario,
presentation) and cached (``player_chart``): one Vega-Lite spec whose named datasets each
frame fills in. Play reruns only the player fragment, which draws the cached spec with the
next frame's datasets; the spec is the same in every frame, so Streamlit's frontend keeps the
Vega view and swaps its data in place (no re-embed), and the fragment's own work is ~5 ms.
What capped Play at ~4 frames/s was Streamlit's ``gc.collect(2)`` after every run, fragment
reruns included (~100 ms with this app's heap); .streamlit/config.toml turns it off
(``runner.postScriptGC = false``) and Play then shows every frame at ~1/FRAME_SECONDS
(benchmarks/bench_player.py). Why not Vega-Lite: its only timer is the experimental
``time``-channel animation of one unit view, which cannot drive this concatenated chart
with its several datasets, nor be paused, stepped or scrubbed from Python, and the GIF and
PNG exports would still need the per-frame specs.
"""
import io
import json
import zipfile

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from core.boundary import coordinate_plane, decision_boundaries
from core.errors import InputError
from core.replay import training_frames
from core.train import N_RECORDS
from present import export
from present.charts import CLASS_COLORS, CLASS_DOMAIN
from present.frames import CLASS_NAMES
from present.style import finish, style
from present.text import as_text
from ui import cached, jobs, state

FRAME_SECONDS = 0.1          # Play's period: about 10 frames per second
LAM_TICKS = [0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000]
GIF_MS = 150
BOUNDARY_GRID = 200


@st.cache_data(max_entries=4, hash_funcs=cached.HASH, show_spinner=False)
def frame_tables(scenario, _progress=None):
    """(curves, points, lines) of every frame: the training curves, each point's margin and
    λ per frame (certified once), and for 2-D data each frame's decision boundary."""
    prep = cached.prepared(scenario)
    report = None if _progress is None else (lambda done, total: _progress(done / total))
    frames = training_frames(prep, report)
    curves = pd.DataFrame({"frame": range(len(frames)), "step": [f.step for f in frames],
                           "log_loss": [f.log_loss for f in frames],
                           "normalized_margin": [f.normalized_margin for f in frames]})
    labels = np.where(prep.ctx.y > 0, CLASS_NAMES[1], CLASS_NAMES[-1])
    parts = []
    for k, f in enumerate(frames):
        if f.certificate is None:
            continue
        c = f.certificate
        parts.append(pd.DataFrame({"frame": k, "index": np.arange(len(labels)),
                                   "class": labels, "margin": c.margins, "lam": c.lam,
                                   "support": c.support}))
    points = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["frame", "index", "class", "margin", "lam", "support"])
    lines = pd.DataFrame(columns=["frame", "path", "order", "x", "y"])
    if prep.ctx.X.shape[1] == 2:
        bounds = decision_boundaries(prep.ctx, {k: f.model for k, f in enumerate(frames)},
                                     coordinate_plane(2), resolution=BOUNDARY_GRID)
        rows = [pd.DataFrame({"frame": k, "path": p, "order": np.arange(len(line)),
                              "x": line[:, 0], "y": line[:, 1]})
                for k, paths in bounds.lines.items() for p, line in enumerate(paths)]
        lines = pd.concat(rows, ignore_index=True) if rows else lines
    return curves, points, lines


def _color():
    return alt.Color("class:N", title=None, scale=alt.Scale(domain=CLASS_DOMAIN,
                                                            range=CLASS_COLORS))


def _named(name):
    return alt.Chart(alt.Data(name=name))


def _curves(s, last):
    """log L and the normalized margin over steps: the whole run faint, so far bold."""
    ticks = [t for t in (0, 1, 10, 100, 1000, 10_000, 100_000) if t <= last] + [last]
    x = alt.X("step:Q", title="GD step (log scale)", scale=alt.Scale(type="symlog"),
              axis=alt.Axis(format="~s", values=sorted(set(ticks))))
    panels = []
    for field, head in (("log_loss", "log L (training loss)"),
                        ("normalized_margin", "normalized min margin")):
        y = alt.Y(f"{field}:Q", title=None, scale=alt.Scale(zero=False))
        whole = _named("whole").mark_line(color="#c9ccd1", strokeWidth=s.line * 0.7)
        so_far = _named("so_far").mark_line(color="#1f6fd1", strokeWidth=s.line)
        now = _named("now").mark_point(filled=True, size=s.point * 1.3, color="#d62728",
                                       opacity=1)
        panels.append(alt.layer(whole.encode(x=x, y=y), so_far.encode(x=x, y=y),
                                now.encode(x=x, y=y)).properties(width=280, height=120,
                                                                 title=head))
    return alt.vconcat(*panels, spacing=14)


def _plane(domains, s):
    xs = alt.Scale(domain=domains["margin"], nice=False, clamp=True)
    # λ spans two decades over a run (large while the margins are small, early on): a
    # symlog axis keeps the late frames' λ < 20 as readable as the early ones' 100
    ys = alt.Scale(type="symlog", constant=1.0, domain=domains["lam"], nice=False)
    rule = alt.Chart(pd.DataFrame({"q": [1.0]})).mark_rule(strokeDash=[6, 4], color="#555") \
        .encode(x=alt.X("q:Q", scale=xs))
    dots = _named("points").mark_point(filled=True, size=s.point, strokeWidth=s.stroke).encode(
        x=alt.X("margin:Q", scale=xs, title="margin q_i (rescaled to min 1)"),
        y=alt.Y("lam:Q", scale=ys, title="λ_i (symlog)",
                axis=alt.Axis(values=LAM_TICKS, format="~s")), color=_color(), stroke=_color(),
        fillOpacity=alt.condition("datum.support", alt.value(0.9), alt.value(0.0)),
        tooltip=["index:Q", alt.Tooltip("margin:Q", format=".4f"),
                 alt.Tooltip("lam:Q", format=".4f")])
    note = _named("label").mark_text(align="right", baseline="bottom", fontSize=s.font,
                                     fontWeight="bold", color="#555").encode(
        x=alt.value(420), y=alt.value(-6), text="note:N")    # above the plot, off the points
    return alt.layer(rule, dots, note).properties(width=420, height=280, title=alt.Title(
        "Margin–λ plane at this step", subtitle="filled: support vectors"))


def _boundary(data, s):
    xs = alt.Scale(domain=data["x_dom"], nice=False)
    ys = alt.Scale(domain=data["y_dom"], nice=False)
    pts = alt.Chart(data["points"]).mark_circle(size=s.point * 0.6, opacity=0.85).encode(
        x=alt.X("x:Q", scale=xs, title="x1"), y=alt.Y("y:Q", scale=ys, title="x2"),
        color=_color())
    line = _named("lines").mark_line(color="#222", strokeWidth=s.line).encode(
        x=alt.X("x:Q", scale=xs), y=alt.Y("y:Q", scale=ys), detail="path:N", order="order:Q")
    return alt.layer(pts, line).properties(width=280, height=280,
                                           title="decision boundary N(θ; x) = 0")


@st.cache_data(max_entries=4, hash_funcs=cached.HASH, show_spinner=False)
def player_chart(scenario, presentation, _progress=None):
    """(spec, frames): one Vega-Lite spec for the whole run, whose named datasets
    (``so_far``, ``now``, ``points``, ``lines``, ``label``) each frame fills in.

    The spec never changes from frame to frame, so the browser updates the data of the
    drawn chart in place instead of embedding a new one (what makes Play smooth).
    """
    curves, points, lines = frame_tables(scenario, _progress)
    s = style(presentation)
    lam_hi = float(points["lam"].max()) * 1.05 if len(points) else 1.0
    q_hi = float(np.quantile(points["margin"], 0.9)) if len(points) else 2.0
    domains = {"margin": [0.97, max(q_hi, 1.2)], "lam": [0.0, max(lam_hi, 1e-9)]}
    last = int(curves["step"].iloc[-1])
    views = [_curves(s, last), _plane(domains, s)]
    if len(lines):
        X, y = cached.prepared(scenario).ctx.X, cached.prepared(scenario).ctx.y
        views.append(_boundary({"points": pd.DataFrame({
            "x": X[:, 0], "y": X[:, 1], "class": np.where(y > 0, CLASS_NAMES[1],
                                                          CLASS_NAMES[-1])}),
            "x_dom": _pad(X[:, 0]), "y_dom": _pad(X[:, 1])}, s))
    chart = alt.hconcat(*views, spacing=30).properties(title=alt.Title(
        "Training, replayed", subtitle=f"{len(curves)} frames, log-spaced over {last} steps"))
    spec = finish(chart, s).to_dict(validate=False)
    frames = []
    for k, step in enumerate(curves["step"]):
        pts = points[points["frame"] == k]
        note = f"step {step} of {last}" + ("" if len(pts) else ": not separating yet")
        frames.append({"whole": curves, "so_far": curves[curves["frame"] <= k],
                       "now": curves[curves["frame"] == k], "points": pts,
                       "lines": lines[lines["frame"] == k],
                       "label": pd.DataFrame({"note": [note]})})
    return spec, frames


def frame_spec(spec, frame, inline=False):
    """The spec of one frame: a copy with that frame's datasets (as records when
    ``inline``, for vl-convert; as DataFrames for Streamlit, which sends them as Arrow)."""
    out = dict(spec)
    out["datasets"] = {**spec.get("datasets", {}), **{
        name: (df.to_dict("records") if inline else df) for name, df in frame.items()}}
    return out


def frame_specs(scenario, presentation, _progress=None):
    """Every frame's full spec, with its data inline (exports and tests)."""
    spec, frames = player_chart(scenario, presentation, _progress)
    return [frame_spec(spec, f, inline=True) for f in frames]


def _pad(v, frac=0.08):
    lo, hi = float(np.min(v)), float(np.max(v))
    span = hi - lo or 1.0
    return [lo - frac * span, hi + frac * span]


@st.cache_data(max_entries=2, hash_funcs=cached.HASH, show_spinner=False)
def gif_bytes(scenario, presentation):
    """The animation as an animated GIF (Pillow), one frame per recorded snapshot."""
    from PIL import Image

    images = [Image.open(io.BytesIO(export.png_bytes(json.dumps(spec), scale=1))).convert("RGB")
              for spec in frame_specs(scenario, presentation)]
    size = (max(i.width for i in images), max(i.height for i in images))
    frames = []
    for img in images:
        canvas = Image.new("RGB", size, "white")
        canvas.paste(img, (0, 0))
        frames.append(canvas.quantize(colors=128))
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:],
                   duration=GIF_MS, loop=0, optimize=False)
    return out.getvalue()


@st.cache_data(max_entries=2, hash_funcs=cached.HASH, show_spinner=False)
def png_zip(scenario, presentation):
    """Every frame as a 2x PNG, in one ZIP (frame-001.png, ...)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for k, spec in enumerate(frame_specs(scenario, presentation)):
            zf.writestr(f"frames/frame-{k + 1:03d}.png", export.png_bytes(json.dumps(spec)))
    return buf.getvalue()


def show(scenario, presentation):
    """The player: frames (built once, as a job with progress: kept across reruns),
    controls, the chart, the exports."""
    try:
        spec, frames = jobs.result(
            "player", cached.key_of(scenario, presentation),
            lambda progress: player_chart(scenario, presentation, _progress=lambda f: progress(
                f, f"Certifying the training snapshots: {f:.0%}")),
            "Certifying the training snapshots",
            cached.cost(scenario, certificates=N_RECORDS))
    except InputError as err:
        st.info(as_text(err), icon=":material/info:")
        return
    n = len(frames)
    playing = state.player().playing
    body = st.fragment(run_every=FRAME_SECONDS if playing else None)(_player_body)
    body(spec, frames, playing)
    left, right, _ = st.columns([1, 1, 3])
    left.download_button("GIF", data=lambda: gif_bytes(scenario, presentation),
                         file_name="training.gif", mime="image/gif", on_click="ignore",
                         key="ux.dl.player.gif", icon=":material/download:", type="tertiary",
                         help=f"The {n} frames as an animated GIF, for slides.")
    right.download_button("PNG frames", data=lambda: png_zip(scenario, presentation),
                          file_name="training-frames.zip", mime="application/zip",
                          on_click="ignore", key="ux.dl.player.png",
                          icon=":material/download:", type="tertiary",
                          help=f"The {n} frames as PNGs (2x) in a ZIP.")


def _scrubbed(key):
    state.set_player(state.widget_state(key) - 1, False)


def _player_body(spec, frames, playing):
    n = len(frames)
    k = min(state.player().frame, n - 1)
    if playing:
        k += 1
        if k >= n:
            state.set_player(n - 1, False)
            st.rerun()                      # the whole page: Play's timer stops
        state.set_player(k, True)
    controls = st.columns([1, 1, 1, 6], vertical_alignment="bottom")
    if controls[0].button("Pause" if playing else "Play", key="ux.player.play",
                          icon=":material/pause:" if playing else ":material/play_arrow:"):
        state.set_player(0 if (not playing and k >= n - 1) else k, not playing)
        st.rerun()                          # the whole page: the timer starts or stops
    controls[1].button("Step", key="ux.player.step", icon=":material/skip_next:",
                       disabled=playing or k >= n - 1,
                       on_click=state.set_player, args=(k + 1, False))
    controls[2].button("Reset", key="ux.player.reset", icon=":material/first_page:",
                       disabled=k == 0, on_click=state.set_player, args=(0, False))
    key = "ux.player.scrub"
    state.set_widget_value(key, k + 1)      # the scrubber follows Play and Step
    controls[3].slider("frame", 1, n, key=key, disabled=playing,
                       label_visibility="collapsed", on_change=_scrubbed, args=(key,))
    st.vega_lite_chart(frame_spec(spec, frames[k]))
