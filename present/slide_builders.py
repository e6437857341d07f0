"""The slides of the deck, one builder each: ``builder(deck) -> Slide``.

``deck`` (a ``present.slides.Deck``) holds what every slide shares: the scenario, its
``Prepared``, the forget set, c and the comparison of every method. A builder that needs
more measures it with the engine (the step-size curve, the sweep over d of
``core.sweeps``) and draws with the app's own chart builders in the Presentation look.
The order of the deck is ``present.slides.SLIDES``. No Streamlit here.
"""
from dataclasses import dataclass, replace

import altair as alt
import pandas as pd

from core.compare import scale_curve, scale_grid
from core.sweeps.run import run_sweep
from core.sweeps.spec import SweepSpec
from present import charts, data_view, figures, frames, palette
from present.methods_view import quality_frame
from present.style import FONT, finish, style
from present.text import plane_summary

SLIDE_TITLE_PX = 34                 # chart-space pixels; the PNG is rendered at about 2x
CAPTION_PX = 22
BREAK_DIMS = (20, 50, 100, 200, 500, 1000, 2000)    # the "where it breaks" sweep over d
BREAK_SEEDS = 3
BREAK_METHODS = ("ga", "do_nothing", "retrain")


@dataclass(frozen=True)
class Slide:
    """One slide: a file-name part, a title, a one-line caption with the measured numbers,
    a speaker note (what to say), and its chart."""

    name: str
    title: str
    caption: str
    note: str
    chart: object


def num(x):
    """The one number format of captions (3 significant digits), shared with the tests."""
    return "n/a" if x is None else f"{float(x):.3g}"


def scenario_line(sc):
    """The scenario in one line: model, data, sizes, training."""
    from pathlib import Path

    model = "two-layer ReLU net" if sc.is_relu else "linear model"
    width = f", m = {sc.width}" if sc.is_relu else ""
    data = f"file {Path(sc.data_file).name}" if sc.data_file else f"{sc.data} data"
    return (f"{model}, {data}, n = {sc.n_samples}, d = {sc.dim}{width}; "
            f"{sc.optimizer} GD, {sc.n_steps} steps, seed {sc.seed}")


def titled(chart, title, caption, width=None):
    """The chart with the slide's title and caption as its (large) title block; ``width``
    widens single views (the planes and the data view fill a container in the app)."""
    chart = chart.copy()
    if chart.config is not alt.Undefined and chart.config.axisY is not alt.Undefined:
        # the renderer's fallback font is wider than the one measured: room for y titles
        chart.config.axisY.titlePadding = 12
    if width is not None:
        chart.width = width
        # the app's charts fill a narrower container: fewer x ticks, none overlapping
        chart = chart.configure_axisX(tickCount=10, labelOverlap="greedy")
    chart.title = alt.Title(title, subtitle=[caption], fontSize=SLIDE_TITLE_PX,
                            subtitleFontSize=CAPTION_PX, anchor="start", offset=18,
                            subtitleColor="#333")
    return chart


def _points(forget):
    return f"point{'s' if len(forget) > 1 else ''} {', '.join(str(i) for i in forget)}"


def title_slide(deck):
    """The question, the scenario and the paper."""
    sc, prep = deck.scenario, deck.prepared
    lines = ["Forgetting a training point with one gradient-ascent step",
             scenario_line(sc), f"forgotten: {_points(deck.forget)}",
             "Melamed, Yehudai, Vardi (2025): Provable Unlearning with Gradient Ascent "
             "on Two-Layer ReLU Neural Networks"]
    sizes, weights = (46, 28, 28, 21), ("bold", "normal", "normal", "normal")
    layers = [alt.Chart(pd.DataFrame({"text": [t]})).mark_text(
        align="left", baseline="middle", font=FONT, color="#222", fontSize=size,
        fontWeight=weight).encode(x=alt.value(10), y=alt.value(70 + 90 * k), text="text:N")
        for k, (t, size, weight) in enumerate(zip(lines, sizes, weights))]
    chart = alt.layer(*layers).properties(width=1000, height=400)
    caption = (f"{scenario_line(sc)}; {lines[2]}; trained ε_rel = "
               f"{num(prep.original.eps_rel)}, {prep.original.n_support} support vectors")
    note = ("Can one gradient step make a trained network forget a point, as if it had "
            "never seen it? Everything in this deck is measured on this one scenario.")
    return Slide("title", "Machine unlearning, measured", caption, note,
                 finish(chart, style(True)).configure_view(stroke=None))


def data_slide(deck):
    """The data: 2-D data with the three decision boundaries, else the projection; the
    forgotten points marked."""
    prep = deck.prepared
    if prep.ctx.X.shape[1] == 2:
        view = data_view.data_view(prep, deck.comparison)
    else:
        view = data_view.data_view(prep, forget=deck.forget)
    chart = data_view.chart(view, presentation=True, height=420)
    g = prep.gauge
    caption = (f"n = {prep.dataset.n_samples} points in d = {prep.dataset.dim}; "
               f"regime gauge ρ = {num(g.rho)} ({g.regime}); forgotten: {_points(deck.forget)}")
    note = (f"{view.caption} The theory needs n < d and nearly orthogonal points: the "
            "gauge ρ is small when they are.")
    return Slide("data", "The data", caption, note, titled(chart, "The data", caption, 900))


def before_slide(deck):
    """The margin-lambda plane of the trained model, the forgotten points marked."""
    prep, forget = deck.prepared, deck.forget
    chart = charts.margin_lambda_plane(frames.plane_frame(prep, forget), presentation=True,
                                       height=420)
    lam = prep.original.lam
    caption = (f"Trained model: ε_rel = {num(prep.original.eps_rel)} on all "
               f"{prep.dataset.n_samples} points, {prep.original.n_support} support vectors; "
               f"λ of the forgotten point{'s' if len(forget) > 1 else ''}: "
               f"{', '.join(num(lam[i]) for i in forget)}")
    title = "Before: margin and dual variable λ of every point"
    note = ("Gradient descent ends near a KKT point: θ = Σ λ_i y_i ∇N(θ; x_i). Support "
            "vectors sit at margin 1; the step removes the forgotten point's term, λ_l.")
    return Slide("plane-before", title, caption, note, titled(chart, title, caption, 1100))


def after_slide(deck):
    """The plane after one GA step: arrows, retrained positions as ghosts."""
    comp = deck.comparison
    chart = charts.plane_after(frames.after_frame(comp), presentation=True, height=420)
    m = comp.methods
    moved = plane_summary(frames.forgotten_frame(comp), limit=1)
    caption = (f"One GA step (c = {deck.scale:g}): ε_rel {num(m['ga'].certificate.eps_rel)} vs "
               f"{num(m['do_nothing'].certificate.eps_rel)} doing nothing; cosine to "
               f"retrain {num(m['ga'].cosine_to_retrain)}; {moved[0]}")
    title = "After forgetting: each point's move, retrained positions as ghosts"
    note = ("Arrows: each retained point's margin and λ before → after the step; grey "
            "rings: where retraining from scratch puts it. " + "; ".join(moved) + ".")
    return Slide("plane-after", title, caption, note, titled(chart, title, caption, 1100))


def _log_domain(values):
    """[lo, hi] of a log axis around the positive ``values``, a factor 2 beyond each end."""
    vals = [v for v in values if v > 0]
    return [min(vals) / 2.0, max(vals) * 2.0] if vals else [0.1, 10.0]


ROUND_OFF = 1e-12     # 1 - cosine of retrain to itself: 0 up to rounding (1.1e-16)


def _lollipops(df, field, head, order, s, labels_expr=None, zero_text="0", value_format=".3~g",
               names=True):
    """One method a row: a stem from the axis to a dot at ``field`` (log x), the value
    written beside it; a value of 0 (to rounding: the reference itself, or no cost) is
    written at the axis instead. ``names``: the methods' names on the y axis."""
    positive = df[field] > ROUND_OFF
    lo, hi = _log_domain(df.loc[positive, field])
    x_scale = alt.Scale(type="log", domain=[lo, hi], nice=False)
    axis = alt.Axis(values=figures.log_ticks(lo, hi), grid=True,
                    labelExpr=labels_expr or figures.LOG_LABELS)
    y = alt.Y("label:N", sort=order, title=None,
              axis=alt.Axis(labelFlush=False) if names else None)
    color = alt.Color("label:N", sort=order, legend=None, scale=palette.scale(list(df["method"])))
    shown = df[positive].assign(base=lo)
    x = alt.X(f"{field}:Q", scale=x_scale)
    stems = alt.Chart(shown).mark_rule(strokeWidth=s.line).encode(
        x=alt.X(f"{field}:Q", scale=x_scale, axis=axis, title=head), x2="base:Q", y=y,
        color=color)
    dots = alt.Chart(shown).mark_circle(size=s.point * 1.6, opacity=1).encode(
        x=x, y=y, color=color,
        tooltip=[alt.Tooltip("label:N"), alt.Tooltip(f"{field}:Q", format=".3g")])
    values = alt.Chart(shown).mark_text(align="left", dx=14, fontSize=s.font, color="#222"
                                        ).encode(x=x, y=y, text=alt.Text(f"{field}:Q",
                                                                         format=value_format))
    layers = [stems, dots, values]
    zero = df[~positive].assign(base=lo, text=zero_text)
    if len(zero):
        layers.append(alt.Chart(zero).mark_text(align="left", dx=6, fontSize=s.font,
                                                fontStyle="italic", color="#555").encode(
            x=alt.X("base:Q", scale=x_scale), y=y, text="text:N"))
    return alt.layer(*layers).properties(width=400, height=max(300, 64 * len(df)))


def methods_slide(deck):
    """Every method's quality (eps_rel, 1 - cosine to retrain) and cost, as lollipops on
    log axes (the Methods page's table: ``present.methods_view.quality_frame``)."""
    s = style(True)
    df = quality_frame(deck.comparison)
    order = list(df["label"])
    cost = df.assign(grad_evals=df["grad_evals"].astype(float)).dropna(subset=["grad_evals"])
    chart = alt.hconcat(
        _lollipops(df, "eps_rel", "ε_rel on the retained points (log)", order, s),
        _lollipops(df, "one_minus_cosine", "1 − cosine to retrain (log)", order, s,
                   zero_text="0: the reference", names=False),
        _lollipops(cost, "grad_evals", "cost: per-sample gradients (log)", order, s,
                   labels_expr=figures.K_LABELS, zero_text="0: nothing done",
                   value_format=",.0f", names=False),
        spacing=40)
    rows = df.set_index("method")
    caption = (f"One GA step: ε_rel {num(rows.loc['ga', 'eps_rel'])} for "
               f"{_evals(rows.loc['ga', 'grad_evals'])}; doing nothing "
               f"{num(rows.loc['do_nothing', 'eps_rel'])}; retraining "
               f"{num(rows.loc['retrain', 'eps_rel'])} for "
               f"{_evals(rows.loc['retrain', 'grad_evals'])}")
    title = "The methods side by side: quality and cost (smaller is better)"
    note = ("Left: how far each model is from a KKT point of the retained data; middle: how "
            "far from retraining; right: what it cost in per-sample gradients.")
    return Slide("methods", title, caption, note, titled(finish(chart, s), title, caption))


def _evals(x):
    """A count of per-sample gradients, in words."""
    if x is None or x != x:
        return "n/a"
    return f"{int(x):,} gradient" + ("" if int(x) == 1 else "s")


def step_slide(deck):
    """eps_rel, delta, tau and cosine against c over the Step size page's grid."""
    comp = deck.comparison
    curve = scale_curve(deck.prepared, deck.forget, scale_grid(),
                        retrained=(comp.methods["retrain"].model, 0.0))
    chart = charts.step_size(curve, None, presentation=True, width=820, height=150)
    best = curve.loc[curve["eps_rel"].idxmin()]
    at_one = curve.iloc[(curve["scale"] - 1.0).abs().argmin()]
    caption = (f"ε_rel is smallest at c = {best['scale']:.2f} ({num(best['eps_rel'])}); "
               f"at c = 1, the paper's step: {num(at_one['eps_rel'])}; at c = 0 (nothing): "
               f"{num(curve['eps_rel'].iloc[0])}")
    note = (f"{len(curve)} values of c from 0 to 2, the Step size page's grid. The paper's "
            "step, c = 1, removes exactly the forgotten point's term from the KKT sum.")
    return Slide("step-size", "How large should the step be? ε against c", caption, note,
                 titled(chart, "How large should the step be? ε against c", caption))


def break_scenario(sc):
    """The scenario the d-sweep varies: the given one, or the default generator's data
    at the same n when its data are a file or 2-D (their d cannot change)."""
    if sc.data_file or sc.data not in ("orthogonal", "mixture"):
        return replace(sc, data="orthogonal", data_file=None)
    return sc


def break_sweep(sc):
    """The sweep of ``core.sweeps`` behind the "where it breaks" slide: eps_rel of GA,
    doing nothing and retraining against d, BREAK_SEEDS seeds (a SweepResult)."""
    spec = SweepSpec(base=break_scenario(sc), param="dim", values=BREAK_DIMS,
                     seeds=BREAK_SEEDS, methods=BREAK_METHODS)
    return run_sweep(spec)


def _failed_note(result):
    """'d = 20: 2 of 3 seeds did not separate' for the failed jobs, or ''."""
    failed = pd.Series([f.job.values[0] for f in result.failures]).value_counts().sort_index()
    return "; ".join(f"d = {d:g}: {k} of {BREAK_SEEDS} runs failed (not separable)"
                     for d, k in failed.items())


def break_slide(deck):
    """eps_rel against d over seeds: mean line, min-max band, a dot a seed."""
    s, sc = style(True), deck.scenario
    result = break_sweep(sc)
    rows = result.frame
    title = "Where the result breaks: ε_rel against the dimension d"
    if rows.empty:
        caption = "No dimension in the sweep gave separable data. " + _failed_note(result)
        chart = alt.Chart(pd.DataFrame({"t": [caption]})).mark_text().encode(text="t:N")
        return Slide("where-it-breaks", title, caption, caption, titled(chart, title, caption))
    panel = figures.metric_panel(rows, "eps_rel", BREAK_METHODS, presentation=True, width=820,
                                 height=360, title=" ", rule=(sc.n_samples, "d = n"),
                                 y_title="ε_rel on the retained points (log)")
    mean = rows.groupby(["method", "value"])["eps_rel"].mean()
    lo, hi = rows["value"].min(), rows["value"].max()
    ga, dn, rt = mean["ga"], mean["do_nothing"], mean["retrain"]
    caption = (f"Mean of {BREAK_SEEDS} seeds: GA ε_rel {num(ga[lo])} at d = {lo:g} (doing "
               f"nothing {num(dn[lo])}), {num(ga[hi])} at d = {hi:g} (doing nothing "
               f"{num(dn[hi])}); n = {sc.n_samples}"
               + ("" if break_scenario(sc) == sc else ", orthogonal data"))
    trained = rows.groupby("value")["trained_eps_rel"].mean()
    note = (f"Below d = n the step does not beat doing nothing. Retraining's ε_rel "
            f"({num(rt.min())} to {num(rt.max())} over d) is the residual that "
            f"{sc.n_steps} GD steps leave, like the trained models' own ε_rel on S "
            f"({num(trained.min())} to {num(trained.max())}): a training-length effect that "
            "more steps lower, not a failure of retraining. " + _failed_note(result))
    return Slide("where-it-breaks", title, caption, note.strip(),
                 titled(finish(panel, s), title, caption))



FLOOR_K, ULIRA_K = 8, 8          # the forgetting slide's retrainings and attack pairs


def forgetting_slide(deck):
    """"How forgotten is it?": each method against retraining's noise floor, the U-LiRA
    attack's AUC and the relearning count (core.evidence), the app's figure."""
    from core.evidence import forgetting_frame, gather
    from present.forgetting_figures import forgetting_figure

    comp = deck.comparison
    evidence = gather(comp, FLOOR_K, ULIRA_K, relearn=True)
    frame = forgetting_frame(comp, evidence)
    title = "How forgotten is it? Retraining's noise floor, an attack, relearning"
    chart = forgetting_figure(frame, presentation=True, title=" ", width=420, height=300)
    auc = {name: attack.auc for name, attack in evidence.ulira.attacks.items()}
    steps = {name: res.steps for name, res in evidence.relearn.items()}
    caption = (f"U-LiRA AUC (0.5: an attacker cannot tell it from retraining): GA "
               f"{num(auc.get('ga'))}, doing nothing {num(auc.get('do_nothing'))}, retrain "
               f"{num(auc.get('retrain'))}; steps to relearn the point: GA "
               f"{steps.get('ga')}, retrain {steps.get('retrain')} ({FLOOR_K} retrainings, "
               f"{ULIRA_K} attack pairs of each kind)")
    note = ("The floor is what two equally valid retrainings differ by; a method inside it "
            "is as close to the reference as another retraining. The attack trains models "
            "with the point then unlearns them, and retrains others without it: an AUC near "
            "0.5 means the unlearned models look retrained. A method that relearns the point "
            "much faster than retraining has hidden it rather than removed it.")
    return Slide("how-forgotten", title, caption, note, titled(chart, title, caption))


DIAL_SLIDE_SEEDS = 2


def regime_slide(deck):
    """The regime dial: ρ, ε_rel and test accuracy against the Fourier bandwidth B of a
    lift of the scenario's data (core.sweeps.regime), the app's figure."""
    from core.sweeps.regime import current_bandwidth, dial_table, run_dial
    from present.regime_figures import regime_dial_chart

    sc = deck.scenario
    dial = run_dial(sc, seeds=DIAL_SLIDE_SEEDS)
    frame = dial.frame
    title = "The regime dial: nearly orthogonal data (small B) against generalization"
    chart = regime_dial_chart(frame, presentation=True, current=current_bandwidth(sc))
    table = dial_table(frame)
    parts = []
    for _, row in table.iloc[[0, -1]].drop_duplicates("bandwidth").iterrows():
        shown = "no lift" if row["bandwidth"] == float("inf") else f"B = {row['bandwidth']:g}"
        accuracy = ("" if pd.isna(row["test_accuracy"]) else
                    f", test accuracy {num(row['test_accuracy'])}")
        parts.append(f"{shown}: ρ {num(row['rho'])}, GA's ε_rel {num(row['ratio'])}× doing "
                     f"nothing's{accuracy}")
    caption = "; ".join(parts) + f" (mean of {DIAL_SLIDE_SEEDS} seeds)"
    note = ("A Fourier lift with a small bandwidth makes distinct points nearly orthogonal: "
            "ρ falls and one GA step forgets as the paper says, but the model stops "
            "generalizing. A large bandwidth generalizes, and the guarantee no longer "
            "applies. The paper's condition is a dial, and this is where it sits.")
    return Slide("regime-dial", title, caption, note, titled(chart, title, caption))
