"""The figures of ``python -m explorer reproduce``: built from the sweeps' tables, each
written as SVG and PNG (drawn once) with the CSV of the numbers it draws.

``write_figures(frames, out, plan)`` is the figure writer the command line injects into
``core.sweeps.reproduce.run_reproduction`` (core/ never imports ui/).
"""
import altair as alt
import pandas as pd

from core.scenario import Scenario
from core.sweeps.generalization import summarize_curve
from core.sweeps.regime import dial_table
from core.sweeps.stats import summarize
from present import curve_figures as curves
from present import figures as fig
from present import palette
from present.forgetting_figures import forgetting_figure
from present.palette import label
from present.regime_figures import regime_dial_chart
from present.style import METRIC_TITLES, finish, style

FIGURES = ("certificates_relu", "certificates_linear", "forget_choice", "cosine_to_retrain",
           "step_size", "where_it_breaks", "generalization", "regime", "methods_cost",
           "forgetting", "regime_dial_digits", "regime_dial_breast_cancer")


def cost_figure(frame, metric="eps_rel", presentation=False, width=460, height=300):
    """Quality against cost for every method in the rows: ``metric`` against gradient
    evaluations (log x), a dot per seed and a larger mark at each method's mean.

    Methods without a cost (do nothing: 0 evaluations) cannot sit on a log axis and are
    named in the subtitle.
    """
    s = style(presentation)
    df = frame.dropna(subset=[metric]).copy()
    if "grad_evals" not in df:
        df["grad_evals"] = float("nan")
    methods = list(dict.fromkeys(df["method"]))
    drawn = df.loc[df["grad_evals"] > 0, [metric, "grad_evals", "method"]]
    drawn = drawn.assign(label=drawn["method"].map(label))
    left_out = [label(m) for m in methods if m not in set(drawn["method"])]
    means = drawn.groupby(["method", "label"], as_index=False, sort=False)[
        [metric, "grad_evals"]].mean()
    shown = [m for m in methods if m in set(drawn["method"])]
    colour = alt.Color("label:N", title=None, scale=palette.scale(shown),
                       sort=[label(m) for m in shown])
    values = list(drawn[metric]) or [1.0]
    log_y = fig._log_ok(values)
    y = alt.Y(f"{metric}:Q", title=METRIC_TITLES.get(metric, metric),
              scale=fig._y_scale(log_y, values), axis=fig._y_axis(log_y, values))
    costs = list(drawn["grad_evals"]) or [1.0]
    x = alt.X("grad_evals:Q", title="cost: per-sample gradient evaluations (log)",
              scale=alt.Scale(type="log"), axis=alt.Axis(
                  values=fig.log_ticks(min(costs), max(costs)), labelExpr=fig.K_LABELS))
    dots = alt.Chart(drawn.drop(columns="method")).mark_circle(
        size=max(s.point * 0.4, 16), opacity=0.45).encode(x=x, y=y, color=colour)
    centre = alt.Chart(means).mark_point(size=s.point * 2.2, filled=True, opacity=1,
                                         shape="diamond").encode(
        x=x, y=y, color=colour, tooltip=["label:N", alt.Tooltip(f"{metric}:Q", format=".3g"),
                                         alt.Tooltip("grad_evals:Q", format=",.0f")])
    sub = [f"dots: each seed; diamonds: the mean over {fig._n_seeds(frame)} seeds"]
    if left_out:
        sub.append(f"{' and '.join(left_out)}: no gradient evaluations, not drawn on the "
                   "log axis")
    chart = alt.layer(dots, centre).properties(width=width, height=height, title=alt.Title(
        "Quality against cost for all methods", subtitle=sub))
    return finish(chart, s)


def write_figures(frames, out, plan):
    """Every reproduction figure as SVG, PNG and CSV in ``out``; returns the stems."""
    relu, lin = frames["scaling_relu"], frames["scaling_linear"]
    both = pd.concat([lin, relu], ignore_index=True)
    steps = pd.concat([frames["step_size_linear"], frames["step_size_relu"]],
                      ignore_index=True)
    curve, breaking = frames["generalization"], frames["breaking_relu"]
    sub = (f"the largest-λ support vector forgotten by one GA step (c = 1); "
           f"{fig.seeds_note(relu)}")
    choices = {f"forgetting {label}": frames["scaling_relu" + sfx]
               for sfx, label in (("", "the largest-λ support vector"), ("_point0", "point 0"))}
    charts = {
        "certificates_relu": (fig.scaling_figure(
            relu, presentation=True, subtitle=sub,
            title="Two-layer ReLU net: how well one GA step forgets, against d"),
            summarize(relu)),
        "certificates_linear": (fig.scaling_figure(
            lin, presentation=True, subtitle=sub,
            title="Linear model: how well one GA step forgets, against d"), summarize(lin)),
        "forget_choice": (fig.panels_figure(
            choices, "eps_rel", ("ga", "do_nothing"), presentation=True,
            title="Two-layer ReLU net: ε_rel against d for both forgotten points"),
            _choice_table(frames)),
        "cosine_to_retrain": (fig.by_model_figure(
            both, "cosine_to_retrain", presentation=True, subtitle=sub,
            title="How close one GA step gets to retraining (cosine of the parameters)"),
            summarize(both)),
        "step_size": (curves.step_size_figure(steps, presentation=True), summarize(steps)),
        "where_it_breaks": (fig.scaling_figure(
            breaking, metrics=("eps_rel", "cosine_to_retrain"), presentation=True,
            width=380, height=260,
            subtitle=sub.replace("(c = 1)", f"(c = 1), d = {plan.break_dim}"),
            rule=(plan.break_dim, "n = d") if max(plan.break_ns) >= plan.break_dim else None,
            title="Where it breaks: more training points at a fixed dimension"),
            summarize(breaking)),
        "generalization": (curves.forgetting_figure(curve, presentation=True),
                           summarize_curve(curve)),
        "regime": (curves.regime_figure(relu, n_samples=Scenario().n_samples, presentation=True),
                   summarize(relu.drop_duplicates(["value", "seed"]), by=("value",),
                             metrics=("rho",))),
    }
    if "methods_cost" in frames:
        cost = frames["methods_cost"]
        charts["methods_cost"] = (cost_figure(cost, presentation=True),
                                  summarize(cost, by=("method",),
                                            metrics=("eps_rel", "cosine_to_retrain",
                                                     "grad_evals", "seconds")))
    if "forgetting" in frames:
        subtitle = (f"default demo, the largest-λ support vector forgotten; floor of "
                    f"{plan.floor_k} retrainings, U-LiRA with {plan.ulira_k} pairs of each kind")
        charts["forgetting"] = (forgetting_figure(
            frames["forgetting"], presentation=True, note=subtitle), frames["forgetting"])
    for name, frame in frames.items():          # the regime dial on each real data set
        if name.startswith("regime_dial_") and not frame.empty:
            charts[name] = (regime_dial_chart(frame, presentation=True), dial_table(frame))
    for stem, (chart, table) in charts.items():
        fig.save_figure(chart, out / stem)
        table.to_csv(out / f"{stem}.csv", index=False)
    return list(charts)


def _choice_table(frames):
    parts = [frames["scaling_relu" + sfx].assign(forgotten=label) for sfx, label in
             (("", "largest-lambda support vector"), ("_point0", "point 0"))]
    return summarize(pd.concat(parts, ignore_index=True), by=("forgotten", "value", "method"),
                     metrics=("eps_rel", "steps", "trained_eps_rel"))
