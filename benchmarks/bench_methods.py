"""Unlearning methods and the membership audit at the default size (docs/theory.md §3.7).

Run from the repository root:

    OPENBLAS_NUM_THREADS=1 NUMBA_CACHE_DIR=$PWD/.numba_cache PYTHONPATH=. \
        .venv/bin/python benchmarks/bench_methods.py

On the default demo (relu, orthogonal, n=40, d=1000, m=100, 500 steps, forget the largest-lam
point) it reports every method's wall time (median of repeats after a warm-up, the method
alone, without its certificate) and its cost in per-sample gradient evaluations, as ratios
to retraining measured in the same run; then the LiRA audit with K = 16 shadow pairs (32
trainings, 2 threads), cold (Numba compiled, cache empty) against the target of 1 s warm;
then the evidence of forgetting (docs/theory.md §3.9), each with an empty cache: retraining's
floor with K = 8, U-LiRA with K = 16 for every method, relearning.
Writes the text to benchmarks/last_run_methods.txt too.
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # before numpy loads

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".numba_cache"))

import numpy as np  # noqa: E402 (after the environment is set)

from core import memo, mia  # noqa: E402
from core.compare import compare, default_forget, prepare  # noqa: E402
from core.evidence import gather  # noqa: E402
from core.registry import label, names  # noqa: E402
from core.scenario import Scenario  # noqa: E402

REPEATS = 7
MIA_REPEATS = 3
MIA_BUDGET = 1.0         # s warm for K = 16 (issue 8)
OUT = ROOT / "benchmarks" / "last_run_methods.txt"


def time_methods(prepared, forget):
    """name -> (median seconds, grad_evals, comparison of the last run)."""
    runs = {name: [] for name in names(prepared.scenario.model)}
    last = None
    for _ in range(REPEATS + 1):                    # the first run is the warm-up
        last = compare(prepared, forget, methods="all")
        for name, res in last.methods.items():
            runs[name].append(res.seconds)
    return {name: (statistics.median(t[1:]), last.methods[name].grad_evals)
            for name, t in runs.items() if t}, last


def time_audit(comparison):
    """(seconds of each warm audit with an empty shadow cache, the last Audit)."""
    times, audit = [], None
    mia.audit(comparison, n_shadows=2)               # compile / warm every kernel
    for _ in range(MIA_REPEATS):
        memo.clear_all()
        start = time.perf_counter()
        audit = mia.audit(comparison, n_shadows=mia.DEFAULT_SHADOWS)
        times.append(time.perf_counter() - start)
    return times, audit


def time_evidence(comparison, ref_t):
    """Lines: seconds of the floor (K = 8), U-LiRA (K = 16, every method) and relearning,
    each the median of MIA_REPEATS runs from an empty cache, in retrainings' time."""
    gather(comparison, 2, 2, True)                      # warm every path
    lines = ["evidence of forgetting (empty caches; median of "
             f"{MIA_REPEATS} runs), in retrainings' time:"]
    for what, kwargs in (("floor, K = 8 (8 retrainings + certificates)", dict(floor_k=8)),
                         ("U-LiRA, K = 16, every method (32 pairs)", dict(ulira_k=16)),
                         ("relearning, every method", dict(relearn=True))):
        times = []
        for _ in range(MIA_REPEATS):
            memo.clear_all()
            start = time.perf_counter()
            gather(comparison, **kwargs)
            times.append(time.perf_counter() - start)
        t = statistics.median(times)
        lines.append(f"  {what:48s} {t:7.3f} s = {t / ref_t:7.1f} retrainings")
    return lines


def main():
    lines = [f"numpy {np.__version__}, OPENBLAS_NUM_THREADS="
             f"{os.environ.get('OPENBLAS_NUM_THREADS')}, {os.cpu_count()} CPUs",
             "default demo: relu, orthogonal, n=40, d=1000, m=100, 500 steps, seed 0",
             "load average at start: " + ", ".join(f"{x:.1f}" for x in os.getloadavg())
             + " (times scale with it; the ratios to retraining much less)", ""]
    prepared = prepare(Scenario())
    forget = default_forget(prepared)
    timed, comparison = time_methods(prepared, forget)
    ref_t, ref_g = timed["retrain"]
    lines.append(f"forget {list(forget)}; median of {REPEATS} runs after a warm-up")
    lines.append(f"{'method':16s} {'seconds':>10s} {'t/retrain':>10s} {'grad_evals':>11s} "
                 f"{'g/retrain':>10s}  params")
    for name, (sec, evals) in timed.items():
        g = "n/a" if evals is None else f"{evals:d}"
        gr = "n/a" if evals is None else f"{evals / ref_g:.4f}"
        params = comparison.methods[name].params
        lines.append(f"{label(name):16s} {sec:10.5f} {sec / ref_t:10.4f} {g:>11s} "
                     f"{gr:>10s}  {params}")
    times, audit = time_audit(comparison)
    warm = statistics.median(times)
    verdict = "PASS" if warm < MIA_BUDGET else "FAIL"
    lines += ["", f"LiRA audit, K = {audit.n_shadows} shadow pairs ({2 * audit.n_shadows} "
                  f"trainings, {mia.WORKERS} threads): "
                  + ", ".join(f"{t:.3f}" for t in times) + f" s; median {warm:.3f} s "
                  f"(target < {MIA_BUDGET:g} s warm: {verdict})",
              f"  = {warm / ref_t:.1f} retrainings' time; "
              f"{warm / (2 * audit.n_shadows) * 1e3:.1f} ms of wall time per training; "
              f"one retraining above: {ref_t * 1e3:.1f} ms; audit / (32 retrainings / "
              f"{mia.WORKERS} threads) = {warm / (2 * audit.n_shadows * ref_t / mia.WORKERS):.2f}",
              f"  IN {audit.shadows[0].fit_in[0]:.4f} +- {audit.shadows[0].fit_in[1]:.4f}, "
              f"OUT {audit.shadows[0].fit_out[0]:.4f} +- {audit.shadows[0].fit_out[1]:.4f}"]
    lines.append(f"  {'method':16s} {'s':>8s} {'log_lr':>10s} {'p_member':>9s} {'auc':>6s}")
    for name, res in audit.methods.items():
        lines.append(f"  {label(name):16s} {res.s[0]:8.4f} {res.log_lr[0]:10.4g} "
                     f"{res.p_member[0]:9.4f} {res.auc:6.3f}")
    lines += ["", *time_evidence(comparison, ref_t)]
    text = "\n".join(lines)
    print(text)
    OUT.write_text(text + "\n")


if __name__ == "__main__":
    main()
