"""The Share / save popover's talk kit: *Download slides* (the deck of ``present.slides``) and
*Download interactive page* (the offline page of ``present.talk``), for the current
scenario, forget list and c."""
import streamlit as st

from present import slides, talk
from ui import cached, jobs, state
from ui.job import Status

TALK_SLOT = "talk"


@st.cache_data(max_entries=4, hash_funcs=cached.HASH, show_spinner=False)
def deck_zip(scenario, forget, scale):
    """ZIP bytes of the deck (``present.slides.make_deck``) for one state."""
    files, _ = slides.make_deck(scenario, forget or None, scale,
                                prepared=cached.prepared(scenario))
    return slides.deck_zip(files)


def download_button():
    """A download button whose data (about 5 s of work at the default size) is made on
    click, not on every rerun."""
    sc, forget, scale = state.get("scenario"), tuple(state.forget() or ()), state.get("scale")
    st.download_button("Download slides", data=lambda: deck_zip(sc, forget, scale),
                       file_name="slides.zip", mime="application/zip", on_click="ignore",
                       key="ux.dl.slides", icon=":material/slideshow:",
                       help="A 16:9 deck of this scenario: PNG (1920×1080) and SVG per "
                            "slide, one PDF, and slides.md with speaker notes.")


def talk_button():
    """*Build interactive page* starts the "talk" background job (every point's forgetting
    precomputed, with progress and Cancel in the status bar); once it is done for this
    scenario, *Download interactive page* hands out the HTML file."""
    sc = state.get("scenario")
    key = cached.key_of(sc, TALK_SLOT)
    job = jobs.get(TALK_SLOT)
    if job is not None and job.key == key and job.status is Status.DONE:
        st.download_button("Download interactive page", data=job.result, file_name="talk.html",
                           mime="text/html", on_click="ignore", key="ux.dl.talk",
                           icon=":material/touch_app:",
                           help="One HTML file that opens offline in any browser: click any "
                                "point to see it forgotten.")
        return

    def start():
        def work(progress):
            page, _, _ = talk.make_page(sc, progress, prepared=cached.prepared(sc))
            return page.encode("utf-8")

        n, points = sc.n_samples, len(talk.TALK_SCALES)
        jobs.start(TALK_SLOT, key, work, "Building the interactive page",
                   cached.cost(sc, certificates=n * (2 * points + 2), trainings=n))

    busy = job is not None and job.key == key and job.status.active
    st.button("Build interactive page", on_click=start, disabled=busy, key="ux.talk.build",
              icon=":material/touch_app:",
              help="Precomputes every point's forgetting (a retraining and a GA step for each "
                   "c of the slider, all certified) as a background job, then offers one "
                   "HTML file that works offline.")
