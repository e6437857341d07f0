"""A slide deck of one scenario, for talks: 16:9 PNGs (1920×1080) with their SVGs, one PDF
of the whole deck, and a ``slides.md`` to paste into a Markdown deck tool.

``build_deck`` measures the scenario once (the same engine calls and chart builders as the
app, in the Presentation look) and runs every builder of ``SLIDES``; ``render`` draws the
files and ``write_deck`` / ``deck_zip`` save them. The command ``python -m explorer slides
--out DIR`` and the app's *Download slides* button both call these. No Streamlit here.

The PDF is made by Pillow (already used to fit each slide into its 16:9 canvas): one page a
slide, each the slide's 1920×1080 PNG at 144 dpi, so a page is 13.33 × 7.5 in, the size of
a 16:9 presentation. vl-convert can write a vector PDF of one chart, but its page is the
chart's own size and joining pages would need another package (pypdf).
"""
import io
import re
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from core.compare import compare, default_forget, prepare
from present import export
from present import slide_builders as sb
from present.slide_builders import Slide, num, scenario_line  # noqa: F401 (the deck's API)

SLIDE_PX = (1920, 1080)            # 16:9, full HD
CONTENT_PX = (1840, 1010)          # the chart is fitted into this box, centred
PDF_DPI = 144                      # 1920 × 1080 px -> 13.33 × 7.5 in
PDF_QUALITY = 95                   # Pillow writes RGB pages as JPEG: keep text edges clean

# The deck, in order: one builder a slide, ``builder(deck) -> Slide`` (present.slide_builders).
# A new slide is one more line here; its file is numbered by its place.
SLIDES = [
    sb.title_slide,
    sb.data_slide,
    sb.before_slide,
    sb.after_slide,
    sb.methods_slide,
    sb.step_slide,
    sb.forgetting_slide,
    sb.regime_slide,
    sb.break_slide,
]


@dataclass(frozen=True, eq=False)
class Deck:
    """What every slide shares: the scenario, its Prepared, the forget set, c, and the
    comparison of every method the model supports on that forget set."""

    scenario: object
    prepared: object
    forget: tuple
    scale: float
    comparison: object


def build_deck(scenario, forget=None, scale=1.0, progress=None, prepared=None):
    """Measure the scenario once and build every slide of ``SLIDES``.

    Parameters
    ----------
    scenario : core.scenario.Scenario
    forget : sequence of point indices, or None for the largest-lambda support vector
    scale : float, c of the GA step
    progress : callable(fraction, text) or None
    prepared : the scenario's Prepared when the caller has it (else it is trained here)

    Returns
    -------
    list of (stem, Slide), stems "01-title", "02-data", ... in deck order
    """
    def step(fraction, text):
        if progress is not None:
            progress(fraction, text)

    step(0.0, "Training and certifying...")
    prep = prepared if prepared is not None else prepare(scenario)
    forget = tuple(forget) if forget else default_forget(prep)
    step(0.1, "Comparing the methods...")     # every method for the model: a few ms each
    deck = Deck(scenario=prep.scenario, prepared=prep, forget=forget, scale=float(scale),
                comparison=compare(prep, forget, scale=scale, methods="all"))
    slides = []
    for k, builder in enumerate(SLIDES, 1):
        step(0.1 + 0.9 * (k - 1) / len(SLIDES), f"Slide {k} of {len(SLIDES)}...")
        slide = builder(deck)
        slides.append((f"{k:02d}-{slide.name}", slide))
    step(1.0, "Done")
    return slides


def slide_png(chart):
    """The chart rendered into a white 1920×1080 PNG, fitted and centred; and its SVG."""
    from PIL import Image

    spec = chart.to_json(validate=False)
    svg = export.svg_text(spec)
    w, h = (float(v) for v in re.search(r'width="([\d.]+)" height="([\d.]+)"', svg).groups())
    scale = min(CONTENT_PX[0] / w, CONTENT_PX[1] / h)
    img = Image.open(io.BytesIO(export.png_bytes(spec, scale=scale))).convert("RGB")
    canvas = Image.new("RGB", SLIDE_PX, "white")
    canvas.paste(img, ((SLIDE_PX[0] - img.width) // 2, (SLIDE_PX[1] - img.height) // 2))
    out = io.BytesIO()
    canvas.save(out, format="PNG", optimize=True)
    return out.getvalue(), svg


def deck_pdf(pngs):
    """One PDF of the slides' PNGs (bytes, in order): a 16:9 page each (see module doc)."""
    from PIL import Image

    pages = [Image.open(io.BytesIO(png)).convert("RGB") for png in pngs]
    out = io.BytesIO()
    pages[0].save(out, format="PDF", save_all=True, append_images=pages[1:],
                  resolution=PDF_DPI, quality=PDF_QUALITY, title="Machine unlearning, measured")
    return out.getvalue()


def slides_markdown(slides, scenario):
    """``slides.md`` for a Markdown deck tool (Marp; Slidev and others read the same): front
    matter, then one ``---`` section a slide with its picture, title, caption and the
    speaker note as an HTML comment (presenter notes in Marp and Slidev)."""
    lines = ["---", "marp: true", "size: 16:9", "paginate: true", "---", "",
             f"<!-- Scenario: {_comment(scenario_line(scenario))} -->", ""]
    for k, (stem, sl) in enumerate(slides):
        if k:
            lines += ["---", ""]
        lines += [f"![bg contain]({stem}.png)", "", f"<!-- {k + 1}. {_comment(sl.title)}",
                  f"{_comment(sl.caption)}.", "", f"{_comment(sl.note)} -->", ""]
    return "\n".join(lines)


def _comment(text):
    """Text safe inside an HTML comment (a file name could hold "-->")."""
    return str(text).replace("--", "- -")


def render(slides, scenario, progress=None):
    """{file name: bytes} of the deck: NN-name.png and NN-name.svg per slide, deck.pdf and
    slides.md."""
    files, pngs = {}, []
    for k, (stem, sl) in enumerate(slides):
        png, svg = slide_png(sl.chart)
        files[f"{stem}.png"], files[f"{stem}.svg"] = png, svg.encode("utf-8")
        pngs.append(png)
        if progress is not None:
            progress((k + 1) / len(slides), f"Rendered {stem}")
    files["deck.pdf"] = deck_pdf(pngs)
    files["slides.md"] = slides_markdown(slides, scenario).encode("utf-8")
    return files


def write_deck(files, out_dir):
    """Write the rendered files into ``out_dir`` (created); returns their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in files.items():
        (out / name).write_bytes(data)
        paths.append(out / name)
    return paths


def deck_zip(files):
    """The rendered files as one ZIP archive (bytes), for a download button."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(f"slides/{name}", data)
    return buf.getvalue()


def make_deck(scenario, forget=None, scale=1.0, progress=None, prepared=None):
    """build_deck then render: ({file name: bytes}, seconds)."""
    start = time.perf_counter()
    slides = build_deck(scenario, forget, scale,
                        None if progress is None else (lambda f, t: progress(0.7 * f, t)),
                        prepared=prepared)
    files = render(slides, scenario,
                   None if progress is None else (lambda f, t: progress(0.7 + 0.3 * f, t)))
    return files, time.perf_counter() - start


__all__ = ["SLIDES", "Deck", "Slide", "build_deck", "deck_pdf", "deck_zip", "make_deck",
           "num", "render", "scenario_line", "slides_markdown", "write_deck"]
