"""What the data are, next to the data: source, label mapping, scaling and its units, lift;
digit images.

``show`` is the one call of the Data & training page. ``digit_grid_png`` is pure (NumPy and
Pillow) so it can be tested without Streamlit.
"""
import io

import numpy as np
import streamlit as st
from PIL import Image, ImageDraw

from core.presets import IMAGE_SHAPE, preset_images
from core.transform import (
    PREPROCESS_LABELS,
    data_record,
    describe_lift,
    describe_units,
)
from present.text import as_text
from ui import uploads

TILE = 6            # screen pixels per image pixel
COLUMNS = 10
PAD = 4
FORGOTTEN = (214, 39, 40)       # the app's "forgotten" red
CLASS_COLOURS = {-1: (31, 119, 180), 1: (255, 127, 14)}


def data_summary(scenario, dataset):
    """Markdown: dataset, classes, which label went to -1 and +1, scaling with its units
    (what each row was divided by, centring) and the lift (for Fourier: B and sigma).
    The file name and the labels are the user's text (``present.text.as_text``)."""
    rec = data_record(scenario, dataset)
    classes = f" (classes {rec['classes'][0]} vs {rec['classes'][1]})" if rec["classes"] else ""
    lift = f"; {describe_lift(rec)} (after the scaling)" if rec["lift"] else ""
    name = uploads.display_name(scenario.data_file, rec["dataset"])   # not the stored hash
    # the file's name and its label values are the uploader's text: shown, never run
    labels = f"-1 = {as_text(rec['labels']['-1'])}, +1 = {as_text(rec['labels']['+1'])}"
    return (f"**Data** {as_text(name)}{classes}. **Labels** {labels}. "
            f"**Preprocessing** {PREPROCESS_LABELS[rec['preprocess']]}{lift}. "
            f"**Units** {describe_units(rec)}: λ and margins are in these scaled units.")


def digit_grid_png(images, y, forgotten=(), columns=COLUMNS):
    """PNG bytes of a grid of grey images (n, h, w) in 0..16, framed by class colour
    (-1 blue, +1 orange) and with a thick red frame and a cross when forgotten.
    """
    images = np.asarray(images, dtype=np.float64)
    n, h, w = images.shape
    rows = -(-n // columns)
    cell_w, cell_h = w * TILE + 2 * PAD, h * TILE + 2 * PAD
    canvas = Image.new("RGB", (columns * cell_w, rows * cell_h), "white")
    draw = ImageDraw.Draw(canvas)
    top = max(float(images.max()), 1e-12)
    for i in range(n):
        grey = (255 - np.clip(images[i] / top, 0, 1) * 255).astype(np.uint8)
        tile = Image.fromarray(grey, "L").resize((w * TILE, h * TILE), Image.NEAREST)
        x0, y0 = (i % columns) * cell_w, (i // columns) * cell_h
        canvas.paste(tile.convert("RGB"), (x0 + PAD, y0 + PAD))
        box = (x0 + 1, y0 + 1, x0 + cell_w - 2, y0 + cell_h - 2)
        if i in forgotten:
            draw.rectangle(box, outline=FORGOTTEN, width=PAD)
            draw.line((x0 + PAD, y0 + PAD, x0 + cell_w - PAD, y0 + cell_h - PAD),
                      fill=FORGOTTEN, width=2)
        else:
            draw.rectangle(box, outline=CLASS_COLOURS[int(y[i])], width=2)
        draw.text((x0 + PAD + 1, y0 + PAD), str(i), fill=(0, 0, 0))
    out = io.BytesIO()
    canvas.save(out, format="PNG")
    return out.getvalue()


@st.cache_data(max_entries=16, show_spinner=False)
def _images(kind, classes, n_samples, seed):
    return preset_images(kind, classes, n_samples, seed)


def show(prep, scenario, forget=()):
    """The data summary and, for an image preset, the training points as a grid of images."""
    st.markdown(data_summary(scenario, prep.dataset))
    if not (scenario.is_preset and scenario.data in IMAGE_SHAPE):
        return
    images = _images(scenario.data, scenario.classes, scenario.n_samples, scenario.seed)
    low, high = prep.dataset.label_names
    st.image(digit_grid_png(images, prep.dataset.y, set(forget)),
             caption=f"The {len(images)} training images in index order (the number is the "
                     f"point's index): blue frame = {low} (−1), orange = {high} (+1), "
                     "red frame and cross = forgotten.")
