"""The app's *Download slides* button: the deck of ``present.slides`` for the current scenario,
forget list and c, built only when the button is clicked and cached per state."""
import streamlit as st

from present import slides
from ui import cached, state


@st.cache_data(max_entries=4, hash_funcs=cached.HASH, show_spinner=False)
def deck_zip(scenario, forget, scale):
    """ZIP bytes of the deck (``present.slides.make_deck``) for one state."""
    files, _ = slides.make_deck(scenario, forget or None, scale)
    return slides.deck_zip(files)


def download_button():
    """A download button whose data (about 5 s of work at the default size) is made on
    click, not on every rerun."""
    sc, forget, scale = state.get("scenario"), tuple(state.forget() or ()), state.get("scale")
    st.download_button("Download slides", data=lambda: deck_zip(sc, forget, scale),
                       file_name="slides.zip", mime="application/zip", on_click="ignore",
                       key="ux.dl.slides", icon=":material/slideshow:",
                       help="A 16:9 deck of this scenario: PNG (1920×1080) and SVG per "
                            "slide, with captions carrying the measured numbers.")
