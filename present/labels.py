"""Where text labels go so that they do not overlap: pixel arithmetic for the chart builders.

Vega-Lite places a text mark where its datum is; two methods with close values then print
their names on top of each other (issue 20: "GA (one step)" over "GA (k steps)"). These
functions work in the chart's own pixels, estimated from its size and its scale domains,
and return per-label offsets (``yOffset`` in pixels) or rows, computed once when the chart
is built. A label is about 0.6 font sizes wide per character and one font size tall.
"""
import numpy as np

CHAR_WIDTH = 0.6        # of the font size, for the fonts of present.style


def text_width(labels, font):
    """Estimated widths in pixels of ``labels`` at ``font`` px."""
    return np.array([CHAR_WIDTH * font * len(str(t)) for t in labels], dtype=float)


def to_pixels(values, domain, length, log=False, reverse=False):
    """Positions in pixels of ``values`` on an axis of ``length`` px over ``domain``."""
    v = np.asarray(values, dtype=float)
    lo, hi = (float(d) for d in domain)
    if log:
        v, lo, hi = np.log10(v), np.log10(lo), np.log10(hi)
    span = hi - lo if hi > lo else 1.0
    px = (v - lo) / span * length
    return length - px if reverse else px


def nudge_apart(x_px, y_px, widths, height, gap=2.0):
    """Vertical offsets (px, down positive) that keep labels of ``height`` px, starting at
    x_px (left-aligned) and centred on y_px, from overlapping: labels are placed from the
    top down, each moved down until it clears those placed before it."""
    order = np.argsort(y_px, kind="stable")
    placed, offsets = [], np.zeros(len(y_px))
    for k in order:
        y = float(y_px[k])
        for _ in range(len(placed) + 1):
            clash = [b for a, w, b in placed
                     if x_px[k] < a + w and a < x_px[k] + widths[k] and abs(y - b) < height + gap]
            if not clash:
                break
            y = max(clash) + height + gap
        placed.append((float(x_px[k]), float(widths[k]), y))
        offsets[k] = y - float(y_px[k])
    return offsets


def rows_apart(x_px, widths, gap=4.0):
    """A row index per label (0 first) so that labels on one row, left-aligned at x_px,
    do not overlap: each goes to the first row where it fits."""
    ends, rows = [], np.zeros(len(x_px), dtype=int)
    for k in np.argsort(x_px, kind="stable"):
        for row, end in enumerate(ends):
            if x_px[k] >= end + gap:
                ends[row] = x_px[k] + widths[k]
                rows[k] = row
                break
        else:
            ends.append(x_px[k] + widths[k])
            rows[k] = len(ends) - 1
    return rows
