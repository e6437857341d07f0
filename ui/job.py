"""One background computation of ``ui.jobs``: the Job, its thread body, its session check.

``Job.progress`` is what the work calls between chunks: it records the fraction and text
and raises core.errors.Cancelled once Cancel was pressed or the browser session has been
gone for SESSION_GRACE seconds (Streamlit's ``runtime.get_instance().is_active_session``;
without a runtime, as in AppTest, a job never cancels itself).
"""
import logging
import threading
import time
from dataclasses import dataclass, field

from streamlit import runtime

from core.errors import Cancelled, InputError

SESSION_GRACE = 10.0    # seconds a session may be disconnected before its jobs cancel
LOG = logging.getLogger(__name__)


@dataclass(eq=False)
class Job:
    """One background computation: where it is, and how it ended."""

    slot: str
    key: str                           # identity of the work (same key: same result)
    label: str
    estimate: float | None             # seconds expected, or None
    on_done: object = None             # callable(result), run by ``collect`` after success
    session_id: str | None = None
    started: float = field(default_factory=time.monotonic)
    fraction: float = 0.0
    text: str = ""
    work: object = None                # callable(progress) -> result
    status: str = "running"            # asking, running, done, failed, cancelled
    result: object = None
    error: Exception | None = None
    ended: float | None = None
    cancel_event: threading.Event = field(default_factory=threading.Event)
    gone_since: float | None = None
    announced: bool = False            # a full run has seen it ended
    polled: bool = False               # a full run has seen it running (the bar polls)
    thread: threading.Thread | None = None

    @property
    def running(self):
        return self.status == "running"

    def elapsed(self):
        """Seconds since the start (until the end once it ended)."""
        return (self.ended or time.monotonic()) - self.started

    def remaining(self):
        """Seconds left: from the progress rate once 5% is done, else from the estimate."""
        spent = self.elapsed()
        if self.fraction >= 0.05:
            return spent * (1.0 - self.fraction) / self.fraction
        return None if self.estimate is None else max(self.estimate - spent, 0.0)

    def progress(self, fraction, text=None):
        """Record progress (called by the work between chunks); raise Cancelled if asked."""
        if self.cancel_event.is_set() or not self._session_alive():
            raise Cancelled(self.label)
        self.fraction = min(max(float(fraction), 0.0), 1.0)
        if text:
            self.text = text

    def cancel(self):
        self.cancel_event.set()

    def _session_alive(self):
        if self.session_id is None or not runtime.exists():
            return True
        if runtime.get_instance().is_active_session(self.session_id):
            self.gone_since = None
            return True
        self.gone_since = self.gone_since or time.monotonic()
        return time.monotonic() - self.gone_since < SESSION_GRACE


def run_job(job, work):
    """Thread body: ``work(job.progress)``, its result or how it ended, into ``job``."""
    try:
        result = work(job.progress)
        if job.cancel_event.is_set():   # asked to stop during its last chunk: discard it
            raise Cancelled(job.label)
        job.result, job.fraction = result, 1.0
        job.status = "done"
    except Cancelled:
        job.status = "cancelled"
    except InputError as err:
        job.error, job.status = err, "failed"
    except Exception as err:     # noqa: BLE001 (shown to the user, logged with its traceback)
        LOG.exception("job %s failed", job.label)
        job.error, job.status = err, "failed"
    finally:
        job.ended = time.monotonic()
