"""Chart and table exports for slides: PNG and SVG through vl-convert (offline), CSV.

Pure functions of a Vega-Lite spec (JSON text) or a DataFrame; no Streamlit. The app calls
them lazily (only when a download button is clicked).
"""
import re

import vl_convert

PNG_SCALE = 2          # 2x pixels: sharp on a 1080p or 4K projector


def png_bytes(spec_json, scale=PNG_SCALE):
    """PNG of a Vega-Lite spec (``chart.to_json()``), ``scale`` times its pixel size."""
    return vl_convert.vegalite_to_png(spec_json, scale=scale)


def svg_text(spec_json):
    """SVG text of a Vega-Lite spec."""
    return vl_convert.vegalite_to_svg(spec_json)


def svg_png_bytes(svg, scale=PNG_SCALE):
    """PNG of SVG text (from ``svg_text``), ``scale`` times its size: a chart drawn once
    gives both files."""
    return vl_convert.svg_to_png(svg, scale=scale)


def csv_bytes(df):
    """UTF-8 CSV of a DataFrame, without the positional index."""
    return df.to_csv(index=False).encode("utf-8")


def file_stem(name):
    """A safe file name stem: lowercase letters, digits and dashes."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "chart"
