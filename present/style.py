"""The one look of every chart, in the app, its exports and ``python -m explorer reproduce``.

Sizes for normal and presentation mode, metric titles and the shared top-level
configuration (method colours and labels: present/palette.py). No Streamlit here.
"""
from dataclasses import dataclass

FONT = "Helvetica, Arial, sans-serif"
METRIC_TITLES = {"eps": "ε (stationarity residual)", "eps_rel": "ε_rel (stationarity)",
                 "delta": "δ (complementary slackness)", "tau": "τ (feasibility slack)",
                 "cosine_to_retrain": "cosine to retrain", "cosine_to_exact": "cosine to exact SVM",
                 "forget_margin": "margin of the forgotten point",
                 "test_accuracy": "test accuracy", "test_agreement": "agreement with retrain",
                 "n_support": "support vectors", "seconds": "seconds"}


@dataclass(frozen=True)
class Style:
    """Sizes for one display mode: fonts, point area, stroke and line widths, band opacity."""

    font: int
    title: int
    point: int
    stroke: float
    line: float
    band: float


def style(presentation=False):
    """Normal or presentation sizes (fonts about 1.4x, marks about 2x)."""
    if presentation:
        return Style(font=17, title=21, point=190, stroke=2.6, line=4.0, band=0.18)
    return Style(font=12, title=15, point=90, stroke=1.4, line=2.2, band=0.15)


def finish(chart, s):
    """Shared look: fonts, light grid, legend below, no view border, white background.

    One config object set on a shallow copy: each ``configure_*`` call would deep-copy the
    whole chart (most of a figure's build time).
    """
    import altair as alt

    out = chart.copy(deep=False)
    out.config = alt.Config(
        background="white", font=FONT, padding=12,
        axis=alt.AxisConfig(labelFontSize=s.font, titleFontSize=s.font + 1, grid=True,
                            gridColor="#eceff3", titleFontWeight="normal", labelLimit=260),
        legend=alt.LegendConfig(labelFontSize=s.font, titleFontSize=s.font,
                                symbolSize=s.point, orient="bottom", direction="horizontal",
                                symbolStrokeWidth=3, labelLimit=320),
        title=alt.TitleConfig(fontSize=s.title, subtitleFontSize=s.font - 1, anchor="start",
                              subtitleColor="#555", offset=10),
        axisY=alt.AxisConfig(labelFlush=True),      # no label above the plot: titles align
        view=alt.ViewConfig(stroke=None))
    return out
