"""Where sweep jobs run: every local core (threads or processes), or a Dask cluster.

An executor has one method that matters, ``map(fn, items, on_lost)``: it yields
``fn(item)`` for every item as each finishes. ``fn`` should report its own errors in what it
returns (``core.sweeps.run.run_job`` and ``core.sweeps.generalization.curve_job`` do); an item
whose result never comes back (a crashed process, a dead Dask worker, an exception that
escaped ``fn``) yields ``on_lost(item, error)`` instead, or raises when ``on_lost`` is None.
The executors know nothing of what the items are: sweeps and forgetting curves both use them.

Local threads are the default: the kernels release the GIL (``nogil=True``), start-up is
free and Numba's compiled code is shared. Processes are there for code that holds the
GIL. Dask (``--scheduler tcp://HOST:PORT``) is optional: ``pip install -r
requirements-cluster.txt``; its scheduler and workers must run this project's ``core/``
(same source, same environment, the project on ``PYTHONPATH``), which is checked before the
first job is sent.
"""
from __future__ import annotations

import hashlib
import multiprocessing
import os
import signal
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, ThreadPoolExecutor, wait
from pathlib import Path

from core.errors import InputError

KINDS = ("threads", "processes")
DEFAULT_KIND = "threads"
CORE_DIR = Path(__file__).resolve().parent.parent
# set in every child before NumPy loads (two BLAS pools fight over the cores otherwise)
CHILD_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
             "NUMBA_CACHE_DIR": str(CORE_DIR.parent / ".numba_cache")}
DASK_MISSING = ("--scheduler needs the optional packages dask and distributed: "
                "pip install -r requirements-cluster.txt")


def available_cores():
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:          # not on Linux
        return os.cpu_count() or 1


def make_executor(workers=None, scheduler=None, kind=None):
    """A Dask executor when ``scheduler`` is given, else a local one on ``workers`` cores.

    Raises InputError for a bad worker count, missing dask, or an unreachable scheduler.
    """
    if scheduler:
        if workers is not None:
            raise InputError("Give either --workers (local) or --scheduler (Dask), not both.")
        return DaskExecutor(scheduler)
    if workers is None:
        workers = available_cores()
    if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= 512:
        raise InputError(f"workers must be an integer from 1 to 512, not {workers!r}.")
    return LocalExecutor(workers, kind or DEFAULT_KIND)


class LocalExecutor:
    """``workers`` threads (or processes) on this machine; 1 worker runs jobs inline."""

    def __init__(self, workers, kind=DEFAULT_KIND):
        if kind not in KINDS:
            raise InputError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}.")
        self.workers, self.kind = workers, kind
        self._pool = None

    def describe(self):
        """'2 local threads' (for messages)."""
        return "1 local worker" if self.workers == 1 else f"{self.workers} local {self.kind}"

    def _get_pool(self):
        if self._pool is None:
            if self.kind == "threads":
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="sweep")
            else:
                for k, v in CHILD_ENV.items():   # inherited by spawned children
                    os.environ.setdefault(k, v)
                self._pool = ProcessPoolExecutor(
                    self.workers, mp_context=multiprocessing.get_context("spawn"),
                    initializer=_ignore_sigint)
        return self._pool

    def map(self, fn, items, on_lost=None):
        """Yield ``fn(item)`` as each finishes; ``on_lost(item, error)`` for a lost item."""
        items = list(items)
        if self.workers == 1 or len(items) <= 1:
            for item in items:
                yield _call(fn, item, on_lost)
            return
        pool = self._get_pool()
        pending = {pool.submit(fn, item): item for item in items}
        try:
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    item = pending.pop(fut)
                    yield _result(fut, item, on_lost)
        finally:
            for fut in pending:
                fut.cancel()

    def close(self):
        """Stop the pool (waits for running jobs, cancels the others)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def _ignore_sigint():
    """Ctrl-C goes to the parent, which stops the sweep and keeps the finished rows."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def core_fingerprint():
    """SHA-256 of the ``core/`` package's sources, subpackages included: equal
    fingerprints, equal numbers.
    """
    h = hashlib.sha256()
    for path in sorted(CORE_DIR.rglob("*.py")):
        h.update(path.relative_to(CORE_DIR).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()


class DaskExecutor:
    """Jobs as tasks on a Dask distributed cluster reached at ``address``."""

    def __init__(self, address, timeout=10, wait_for_workers=30):
        try:
            from distributed import Client
        except ImportError:
            raise InputError(DASK_MISSING) from None
        self.address = address
        try:
            self.client = Client(address, timeout=f"{timeout}s", set_as_default=False)
        except (OSError, TimeoutError) as err:
            raise InputError(f"Could not reach the Dask scheduler at {address}: {err}. "
                             "Check the address (tcp://HOST:PORT) and that "
                             "`dask scheduler` is running.") from None
        try:
            self._check_workers(wait_for_workers)
        except BaseException:
            self.client.close()
            raise

    def describe(self):
        """'Dask at tcp://... (2 workers)'."""
        n = len(self.client.scheduler_info().get("workers", {}))
        return f"Dask at {self.address} ({n} workers)"

    def _check_workers(self, wait_for_workers):
        """Workers present, and scheduler and workers able to import this very core/.

        Dask unpickles task graphs on the scheduler too, so both need the project on their
        path (``PYTHONPATH``) in the same environment.
        """
        try:
            scheduler_print = self.client.run_on_scheduler(core_fingerprint)
        except Exception as err:  # noqa: BLE001 -- any failure here means a wrong scheduler
            raise InputError(f"The Dask scheduler cannot import this project's core package "
                             f"({err}): start it in the project's environment with the "
                             "project on its path, e.g. cd unlearning-explorer && "
                             "PYTHONPATH=$PWD dask scheduler") from None
        try:
            self.client.wait_for_workers(1, timeout=wait_for_workers)
        except TimeoutError:
            raise InputError(f"The Dask scheduler at {self.address} has no workers: start "
                             f"some with `PYTHONPATH=$PWD dask worker {self.address}` from the "
                             "project directory.") from None
        try:
            prints = self.client.run(core_fingerprint)
        except Exception as err:  # noqa: BLE001 -- any failure here means wrong workers
            raise InputError(f"The Dask workers cannot import this project's core package "
                             f"({err}): start them in the project's environment with the "
                             "project on their path, e.g. cd unlearning-explorer && "
                             f"PYTHONPATH=$PWD dask worker {self.address}") from None
        mine = core_fingerprint()
        if scheduler_print != mine:
            raise InputError("The Dask scheduler runs a different version of core/: restart "
                             "it on the same code as this machine.")
        stale = sorted(w for w, fp in prints.items() if fp != mine)
        if stale:
            raise InputError(f"{len(stale)} Dask workers run a different version of core/ "
                             f"(e.g. {stale[0]}): restart them on the same code, so that "
                             "every job gives the same numbers.")

    def map(self, fn, items, on_lost=None):
        """Yield ``fn(item)`` as each finishes; ``on_lost(item, error)`` for a lost item."""
        from distributed import as_completed

        items = list(items)
        if not items:
            return
        futures = self.client.map(fn, items, pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        try:
            for fut in as_completed(futures, loop=self.client.loop):
                yield _result(fut, items[index[fut.key]], on_lost)
        finally:
            self.client.cancel([f for f in futures if not f.done()])

    def close(self):
        """Disconnect from the cluster."""
        self.client.close()


def _call(fn, item, on_lost):
    """``fn(item)`` inline; an exception that escapes ``fn`` goes to ``on_lost``."""
    try:
        return fn(item)
    except Exception as err:  # noqa: BLE001 -- reported like a lost worker
        if on_lost is None:
            raise
        return on_lost(item, err)


def _result(fut, item, on_lost):
    """A finished future's value, or ``on_lost(item, error)`` if it holds an error
    (BrokenProcessPool, KilledWorker, ...); re-raised when ``on_lost`` is None.
    """
    try:
        return fut.result()
    except Exception as err:  # noqa: BLE001 -- e.g. BrokenProcessPool, KilledWorker
        if on_lost is None:
            raise
        return on_lost(item, err)


def lost_message(err):
    """What a lost item reports: 'lost with its worker: KilledWorker: ...'."""
    return f"the job was lost with its worker: {type(err).__name__}: {err}"
