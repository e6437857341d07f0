"""One background computation of ``ui.jobs``: its status, its progress, its end.

A ``Job`` is written by two threads: the worker (progress, result, error) and the script
(cancel, confirm, the status bar's marks). Every change of state goes through a method
that holds the job's lock, and the status is a ``Status``, never a bare string.

``Job.progress`` is what the work calls between chunks: it records the fraction and text
and raises core.errors.Cancelled once Cancel was pressed or the browser session has been
gone for SESSION_GRACE seconds (Streamlit's ``runtime.get_instance().is_active_session``;
without a runtime, as in AppTest, a job never cancels itself).
"""
import enum
import logging
import threading
import time
from typing import NamedTuple

from streamlit import runtime

from core.errors import Cancelled, InputError

SESSION_GRACE = 10.0    # seconds a session may be disconnected before its jobs cancel
LOG = logging.getLogger(__name__)


class Status(enum.Enum):
    """Where a job is: waiting for a confirmation, running, or how it ended."""

    ASKING = "asking"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def active(self):
        """Not ended yet (asking or running)."""
        return self in (Status.ASKING, Status.RUNNING)


class Cost(NamedTuple):
    """What a piece of work is expected to cost: seconds and peak memory (MB) on this
    server (``core.estimate``); None where unknown."""

    seconds: float | None = None
    memory_mb: float | None = None


class Work(NamedTuple):
    """What a job runs: ``fn(progress)`` in ``slot`` for the inputs named by ``key``."""

    slot: str
    key: str
    label: str
    fn: object                  # callable(progress) -> result
    cost: Cost = Cost()
    on_done: object = None      # callable(result), run by ``ui.jobs.collect`` in the script


class Job:
    """One background computation: its work, where it is, and how it ended."""

    def __init__(self, work, session_id=None):
        self.work = work
        self.session_id = session_id
        self._lock = threading.Lock()
        self._cancel = threading.Event()
        self._status = Status.ASKING
        self._fraction, self._text = 0.0, work.label
        self._result = self._error = None
        self._started = self._ended = None
        self._gone_since = None
        self._thread = None
        self.seen_running = self.seen_ended = False     # marks of the status bar

    # ---- read by the script ----------------------------------------------------------
    slot = property(lambda self: self.work.slot)
    key = property(lambda self: self.work.key)
    label = property(lambda self: self.work.label)
    status = property(lambda self: self._status)
    fraction = property(lambda self: self._fraction)
    text = property(lambda self: self._text)
    result = property(lambda self: self._result)
    error = property(lambda self: self._error)
    cancelling = property(lambda self: self._cancel.is_set())

    def elapsed(self):
        """Seconds since the start (until the end once it ended; 0 before it started)."""
        if self._started is None:
            return 0.0
        return (self._ended or time.monotonic()) - self._started

    def remaining(self):
        """Seconds left: the estimate minus the time spent until 10% is done, then the
        progress rate (an early rate extrapolates the slow start of most work)."""
        spent, estimate = self.elapsed(), self.work.cost.seconds
        if self._fraction >= 0.1 or (estimate is None and self._fraction >= 0.02):
            return spent * (1.0 - self._fraction) / self._fraction
        return None if estimate is None else max(estimate - spent, 0.0)

    # ---- transitions -----------------------------------------------------------------
    def start(self):
        """Run the work in a daemon thread (from ASKING; a second call does nothing)."""
        with self._lock:
            if self._status is not Status.ASKING:
                return
            self._status, self._started = Status.RUNNING, time.monotonic()
            self._thread = threading.Thread(target=self._run, daemon=True,
                                            name=f"job-{self.slot}")
        self._thread.start()

    def wait(self, seconds):
        """Block up to ``seconds`` for a running job to end; returns its status."""
        if self._thread is not None:
            self._thread.join(seconds)
        return self._status

    def cancel(self):
        """Ask the work to stop at its next chunk (an asking job ends at once)."""
        self._cancel.set()
        with self._lock:
            if self._status is Status.ASKING:
                self._status, self._ended = Status.CANCELLED, time.monotonic()

    def progress(self, fraction, text=None):
        """Record progress (called by the work between chunks); raise Cancelled if asked."""
        if self._cancel.is_set() or not self._session_alive():
            raise Cancelled(self.label)
        self._fraction = min(max(float(fraction), 0.0), 1.0)
        if text:
            self._text = text

    def _finish(self, status, result=None, error=None):
        with self._lock:
            self._status, self._result, self._error = status, result, error
            if status is Status.DONE:
                self._fraction = 1.0
            self._ended = time.monotonic()

    def _run(self):
        try:
            result = self.work.fn(self.progress)
            if self._cancel.is_set():       # asked to stop during its last chunk: discard
                raise Cancelled(self.label)
            self._finish(Status.DONE, result=result)
        except Cancelled:
            self._finish(Status.CANCELLED)
        except InputError as err:
            self._finish(Status.FAILED, error=err)
        except Exception as err:     # noqa: BLE001 (shown to the user, logged with its traceback)
            LOG.exception("job %s failed", self.label)
            self._finish(Status.FAILED, error=err)

    def _session_alive(self):
        if self.session_id is None or not runtime.exists():
            return True
        if runtime.get_instance().is_active_session(self.session_id):
            self._gone_since = None
            return True
        self._gone_since = self._gone_since or time.monotonic()
        return time.monotonic() - self._gone_since < SESSION_GRACE
