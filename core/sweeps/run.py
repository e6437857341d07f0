"""Sweeps: one varied parameter over a list of values and seeds, every method per job.

A sweep is a base ``Scenario``, one varied parameter (``PARAMS``) over ``values`` and a
number of seeds. Each (value, seed) job runs the full comparison of methods
(``core.compare.compare``) and yields one row per method (``COLUMNS``). Jobs are pure
functions of their parameters, so the same sweep gives the same table whatever runs it:
one worker or many, threads, processes or a Dask cluster (``core.sweeps.executors``).

Rows are appended to the output CSV as jobs finish; a rerun of the same sweep on the same
file skips the finished jobs (the sweep's spec is kept next to the CSV, in
``<stem>.sweep.json``, so a different sweep is never mixed in). When every job has run,
the file is rewritten in a fixed order: values as given, then seeds, then methods.
"""
from __future__ import annotations

import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

import core.compare as engine
from core.errors import InputError
from core.sweeps.executors import lost_message, make_executor
from core.sweeps.spec import COLUMNS, Job, SweepSpec, order_methods
from core.sweeps.store import (
    Appender,
    group_rows,
    open_output,
    ordered_rows,
    rows_to_frame,
    write_all,
)


@dataclass(frozen=True)
class JobOutcome:
    """What a job returns: its rows (formatted CSV strings), or the error that stopped it."""

    job: Job
    rows: tuple = ()
    error: str | None = None
    seconds: float = 0.0

    @property
    def ok(self):
        """True when the job gave its rows."""
        return self.error is None


@dataclass(frozen=True, eq=False)
class SweepResult:
    """The sweep's table (every finished row, in the fixed order) and what went wrong."""

    spec: SweepSpec
    frame: pd.DataFrame
    failures: tuple = ()            # JobOutcome of every failed job
    n_jobs: int = 0
    n_resumed: int = 0              # jobs found finished in the output file
    seconds: float = 0.0
    out: str | None = None
    interrupted: bool = False


# ---------------------------------------------------------------------------- one job

def run_job(job):
    """Run one job; never raises: an error becomes ``JobOutcome.error``.

    Each value of the job: prepare (data, training, certificate on S), forget the given
    points (or the largest-lam support vector), and measure every method on R.
    """
    start = time.perf_counter()
    try:
        rows = _job_rows(job)
    except InputError as err:
        return JobOutcome(job=job, error=str(err), seconds=time.perf_counter() - start)
    except Exception as err:  # noqa: BLE001 -- a job must report, not kill the sweep
        where = traceback.extract_tb(err.__traceback__)[-1]
        return JobOutcome(job=job, error=f"{type(err).__name__}: {err} "
                                         f"(at {Path(where.filename).name}:{where.lineno})",
                          seconds=time.perf_counter() - start)
    return JobOutcome(job=job, rows=tuple(rows), seconds=time.perf_counter() - start)


def prepare_until(scenario, steps_ladder=(), eps_target=0.01):
    """Train with the first step count of ``steps_ladder`` whose certificate on S has
    eps_rel < ``eps_target`` (the last one, the cap, otherwise); the scenario's own steps
    when the ladder is empty. Each try trains from W_0 (no warm start): the model of a
    try is exactly the model of a plain run with that many steps. A try whose model does
    not separate S moves on to the next count; at the cap its InputError is raised.

    Returns
    -------
    Prepared (its scenario carries the steps used, so retraining uses them too)
    """
    if not steps_ladder:
        return engine.prepare(scenario)
    for steps in steps_ladder:
        try:
            prepared = engine.prepare(scenario.replace(steps=int(steps)))
        except InputError:          # not separated yet: train longer (raised at the cap)
            if steps == steps_ladder[-1]:
                raise
            continue
        if prepared.original.eps_rel < eps_target:
            break
    return prepared


def _job_rows(job):
    prepared = prepare_until(job.scenario, job.steps_ladder, job.eps_target)
    forget = job.forget if job.forget is not None else engine.default_forget(prepared)
    if job.param != "scale":
        comparison = engine.compare(prepared, forget, scale=job.scale, draw_outputs=False,
                                    sequential=job.sequential, methods=job.methods)
        return _rows(job, job.values[0], prepared, comparison, comparison.methods)
    # scale: one training and one retrain; only GA (and exact's cosine) depend on c
    retrained = engine.retrain_model(prepared, forget)
    first = engine.compare(prepared, forget, scale=job.values[0], sequential=job.sequential,
                           retrained=retrained, methods=job.methods, draw_outputs=False)
    rows = _rows(job, job.values[0], prepared, first, first.methods)
    ga_only = tuple(m for m in ("ga", "exact") if m in job.methods)
    for c in job.values[1:]:
        other = engine.compare(prepared, forget, scale=c, sequential=job.sequential,
                               retrained=retrained, methods=ga_only, draw_outputs=False)
        results = dict(first.methods, ga=other.methods["ga"])
        rows += _rows(job, c, prepared, other, results)
    return rows


def _rows(job, value, prepared, comparison, results):
    gauge = prepared.gauge
    forget = " ".join(str(f) for f in comparison.forget)
    trained = dict(steps=prepared.scenario.n_steps if prepared.trained is not None else 0,
                   trained_eps_rel=prepared.original.eps_rel)
    rows = []
    for name in order_methods(results):
        res = results[name]
        cert = res.certificate
        rows.append(format_row(dict(
            model=job.scenario.model, param=job.param, value=value, seed=job.seed,
            method=name, eps=cert.eps, eps_rel=cert.eps_rel, delta=cert.delta, tau=cert.tau,
            n_support=cert.n_support, converged=bool(cert.converged),
            cosine_to_retrain=res.cosine_to_retrain, cosine_to_exact=res.cosine_to_exact,
            forget=forget, forget_margin=float(max(res.forget_margins)),
            test_accuracy=res.test_accuracy, test_agreement=res.test_agreement,
            rho=gauge.rho, n_lt_d=bool(gauge.n_lt_d), seconds=res.seconds,
            grad_evals=getattr(res, "grad_evals", None), **trained)))
    return rows


def lost_outcome(job, err):
    """The failed outcome of a job that did not come back (its worker died, ...)."""
    return JobOutcome(job=job, error=lost_message(err))


def format_row(row):
    """Every column as the exact text written to the CSV (floats round-trip: repr)."""
    out = {}
    for c in COLUMNS:
        v = row.get(c)
        if v is None:
            out[c] = ""
        elif isinstance(v, bool):
            out[c] = "True" if v else "False"
        elif isinstance(v, float):
            out[c] = repr(float(v))
        else:
            out[c] = str(v)
    return out


# ---------------------------------------------------------------------------- the sweep

def run_sweep(spec, out=None, executor=None, progress=None, overwrite=False):
    """Run every job of ``spec`` (skipping those already in ``out``) and return the table.

    Parameters
    ----------
    spec : SweepSpec
    out : path of the CSV written incrementally, or None to keep rows in memory only
    executor : from ``core.sweeps.executors.make_executor``; default: every local core
    progress : callable(done, total, outcome) called as each job finishes (``outcome``
        is a JobOutcome; failed jobs have ``outcome.error``)
    overwrite : start afresh even if ``out`` holds another sweep's rows

    Returns
    -------
    SweepResult; ``interrupted`` is set (and the finished rows kept) on KeyboardInterrupt
    """
    spec = spec.validated()
    start = time.perf_counter()
    jobs = spec.jobs()
    done_rows = {}
    if out is not None:
        done_rows = open_output(spec, out, overwrite)
    todo = [j for j in jobs if not all(k in done_rows for k in j.keys)]
    n_resumed = len(jobs) - len(todo)
    rows = {k: v for k, v in done_rows.items() if any(k in j.keys for j in jobs)}
    failures, interrupted, finished = [], False, n_resumed
    if progress is not None and n_resumed:
        progress(finished, len(jobs), None)
    own = executor is None
    executor = make_executor() if own else executor
    writer = Appender(out) if out is not None else None
    outcomes = executor.map(run_job, todo, on_lost=lost_outcome)
    try:
        for outcome in outcomes:
            finished += 1
            if outcome.ok:
                for key, group in group_rows(outcome.rows).items():
                    rows[key] = group
                if writer is not None:
                    writer.write(outcome.rows)
            else:
                failures.append(outcome)
            if progress is not None:
                progress(finished, len(jobs), outcome)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        outcomes.close()                # cancels the jobs not started
        if writer is not None:
            writer.close()
        if own:
            executor.close()
    ordered = ordered_rows(spec, rows)
    if out is not None and not interrupted:
        write_all(out, ordered)
    return SweepResult(spec=spec, frame=rows_to_frame(ordered), failures=tuple(failures),
                       n_jobs=len(jobs), n_resumed=n_resumed,
                       seconds=time.perf_counter() - start,
                       out=None if out is None else str(out), interrupted=interrupted)
