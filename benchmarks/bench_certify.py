"""Certificate benchmark (docs/theory.md §3.4-3.5): time, peak memory, eps with/without mu <= lam.

Run from the repository root (under a minute on 2 cores, warm):

    OPENBLAS_NUM_THREADS=1 NUMBA_CACHE_DIR=$PWD/.numba_cache PYTHONPATH=. \
        .venv/bin/python benchmarks/bench_certify.py

1. **Time.** For three sizes of the default ReLU scenario (orthogonal data, 500 steps), one
   ``core.train.train``, one ``core.kkt.certify`` of its result and one certificate by the
   baseline solver, alternated within each repeat (paired, so machine load hits all alike);
   medians and ratios to training. Target: at n=400, d=4000, m=100 a certificate under 2x
   the training time.
2. **Peak memory** of fresh processes that build the data (no test set), train and
   certify at n=400, d=100000, m=500 (current and baseline solver): peak RSS
   (``ru_maxrss``) before and after the certificate. Target: under 1.2 GB in all.
3. **eps with and without the bound mu_ji <= lam_i** (issue 11) on the default scenario at
   d=200 and d=1000 (n=40, m=100) and on 2-D xor (n=100), with the kink pairs where the
   unbounded optimum breaks the bound.
4. **Compiled signatures** of every solver kernel (core/kkt_kernels.py, nnls_kernels.py)
   after all of the above (one each: a second specialization costs a
   second compilation on a cold cache; kernels only called from other kernels show 0).

The baseline is the solver before the bounded, factored rewrite: core/kkt.py and
core/kkt_kernels.py at git revision ``BASELINE_REV``, loaded from git into
``.numba_cache/baseline`` (its compiled kernels are cached there too). Without git or that
revision its columns are skipped.
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # before numpy loads

import importlib
import inspect
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:                         # also works without PYTHONPATH=.
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".numba_cache"))

import numpy as np  # noqa: E402

from core import kkt_kernels, nnls_kernels  # noqa: E402
from core.compare import context_for, load_dataset, prepare, train_options  # noqa: E402
from core.kkt import certify  # noqa: E402
from core.scenario import Scenario  # noqa: E402
from core.train import train  # noqa: E402

REPEATS = 3
TIME_SIZES = [(40, 1000, 100), (200, 2000, 100), (400, 4000, 100)]   # (n, d, m)
TIME_TARGET = 2.0                       # certificate / training at the largest size
MEMORY_SIZE = (400, 100_000, 500)
MEMORY_TARGET_MB = 1200.0
EPS_CASES = [("relu, d=200", dict(dim=200)), ("relu, d=1000", dict(dim=1000)),
             ("xor, 2-D", dict(data="xor", n_samples=100, dim=2))]
HAS_BOUND_OPTION = "mu_bound" in inspect.signature(certify).parameters
STATUS_WORDS = {0: "exact", 1: "budget", 2: "unbounded", 3: "rounding"}   # NNLS_* codes
BASELINE_REV = "2f6aa84"                # the unbounded solver with a stored coupling matrix
BASELINE_DIR = ROOT / ".numba_cache" / "baseline" / BASELINE_REV


def baseline_certify():
    """``certify`` of the baseline solver (see the module docstring), or None."""
    files = {"core/kkt_kernels.py": "baseline_kkt_kernels.py", "core/kkt.py": "baseline_kkt.py"}
    try:
        BASELINE_DIR.mkdir(parents=True, exist_ok=True)
        for path, name in files.items():
            target = BASELINE_DIR / name
            if not target.exists():          # written once: a stable file keeps its cache
                text = subprocess.run(["git", "show", f"{BASELINE_REV}:{path}"], cwd=ROOT,
                                      capture_output=True, text=True, check=True).stdout
                target.write_text(text.replace("from core.kkt_kernels import",
                                               "from baseline_kkt_kernels import"))
    except (OSError, subprocess.CalledProcessError):
        return None
    if str(BASELINE_DIR) not in sys.path:
        sys.path.insert(0, str(BASELINE_DIR))
    return importlib.import_module("baseline_kkt").certify


def scenario_context(n, d, m):
    """(scenario, context) of the default ReLU scenario at this size, without a test set."""
    scenario = Scenario(n_samples=n, dim=d, width=m, n_test=0)
    return scenario, context_for(scenario, load_dataset(scenario))


def time_size(n, d, m, old_certify):
    """Paired medians over REPEATS of train, certify and baseline-certify seconds (None
    without a baseline), and the two certificates of the last repeat."""
    scenario, ctx = scenario_context(n, d, m)
    options = train_options(scenario)
    model = train(ctx, **options).params                     # warm-up (compiles, caches)
    certify(ctx, model)
    if old_certify:
        old_certify(ctx, model)
    times, cert, old = {"train": [], "cert": [], "old": []}, None, None
    for _ in range(REPEATS):
        start = time.perf_counter()
        model = train(ctx, **options).params
        times["train"].append(time.perf_counter() - start)
        start = time.perf_counter()
        cert = certify(ctx, model)
        times["cert"].append(time.perf_counter() - start)
        if old_certify:
            start = time.perf_counter()
            old = old_certify(ctx, model)
            times["old"].append(time.perf_counter() - start)
    med = {k: statistics.median(v) if v else None for k, v in times.items()}
    return med, cert, old


def memory_child(n, d, m, which):
    """In a fresh process: peak RSS (MB) before and after one certificate, as JSON."""
    run = baseline_certify() if which == "baseline" else certify
    scenario, ctx = scenario_context(n, d, m)
    model = train(ctx, **train_options(scenario)).params
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    cert = run(ctx, model)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(dict(before=before, after=after, seconds=seconds,
                          kink_pairs=cert.n_kink_pairs, status=cert.status)))


def measure_memory(n, d, m, which):
    """``memory_child`` in a fresh process (``which``: "current" or "baseline")."""
    out = subprocess.run([sys.executable, __file__, "--memory-child", str(n), str(d), str(m),
                          which], capture_output=True, text=True, check=True,
                         env=os.environ.copy())
    return json.loads(out.stdout.strip().splitlines()[-1])


def eps_row(label, changes, old_certify):
    """eps_rel of the default certificate, of the unbounded option and of the baseline."""
    prepared = prepare(Scenario(n_test=0).replace(**changes))
    cert = prepared.original
    row = dict(label=label, eps_rel=cert.eps_rel, status=cert.status,
               kink_pairs=cert.n_kink_pairs, violations=cert.n_mu_violations)
    if HAS_BOUND_OPTION:
        free = certify(prepared.ctx, prepared.trained.params, kink_tol=cert.kink_tol,
                       mu_bound=False)
        row.update(eps_rel_free=free.eps_rel, violations=free.n_mu_violations,
                   status_free=free.status)
    if old_certify:
        baseline = old_certify(prepared.ctx, prepared.trained.params, kink_tol=cert.kink_tol)
        row.update(eps_rel_old=baseline.eps_rel, status_old=baseline.status)
    return row


def main():
    start = time.perf_counter()
    old_certify = baseline_certify()
    print("Certificate benchmark: default ReLU scenario (orthogonal data, exp loss, lr 8, "
          "500 steps, seed 0)")
    print(f"numpy {np.__version__}, OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}"
          f"; medians of {REPEATS} paired repeats (train, certify, baseline certify)")
    print(f"baseline: the solver at git revision {BASELINE_REV} "
          + ("(loaded)" if old_certify else "(not available: its columns are skipped)"))
    time_table(old_certify)
    memory_table(old_certify)
    eps_table(old_certify)
    print("\n4. Compiled signatures per kernel of the solver (after all of the above)")
    for module in (kkt_kernels, nnls_kernels):
        for name, fn in sorted(vars(module).items()):
            if hasattr(fn, "signatures") and getattr(fn, "__module__", "") == module.__name__:
                print(f"  {module.__name__ + '.' + name:<40}{len(fn.signatures)}")
    print(f"\nTotal benchmark time {time.perf_counter() - start:.1f} s")


def time_table(old_certify):
    print(f"\n1. Time: certificate vs training (target at the largest size: < {TIME_TARGET:g}x)")
    print(f"  {'n':>5}{'d':>7}{'m':>5}{'train s':>10}{'certify s':>11}{'ratio':>8}"
          f"{'baseline s':>12}{'ratio':>8}{'speed-up':>10}{'kink pairs':>12}  status")
    ratio = None
    for n, d, m in TIME_SIZES:
        med, cert, _ = time_size(n, d, m, old_certify)
        ratio = med["cert"] / med["train"]
        old = f"{'-':>12}{'-':>8}{'-':>10}"
        if med["old"]:
            old = (f"{med['old']:>12.3f}{med['old'] / med['train']:>7.2f}x"
                   f"{med['old'] / med['cert']:>9.1f}x")
        print(f"  {n:>5}{d:>7}{m:>5}{med['train']:>10.3f}{med['cert']:>11.3f}{ratio:>7.2f}x"
              f"{old}{cert.n_kink_pairs:>12}  {cert.status} ({cert.sweeps} sweeps)")
    print(f"  at the largest size: {ratio:.2f}x ({'PASS' if ratio < TIME_TARGET else 'FAIL'})")


def memory_table(old_certify):
    n, d, m = MEMORY_SIZE
    print(f"\n2. Peak memory, fresh process, n={n}, d={d}, m={m} (no test set)")
    print(f"  {'solver':<10}{'before MB':>11}{'after MB':>10}{'certify s':>11}{'kink pairs':>12}"
          f"  verdict (< {MEMORY_TARGET_MB:.0f} MB)")
    for which in ("current", "baseline") if old_certify else ("current",):
        mem = measure_memory(n, d, m, which)
        ok = mem["after"] < MEMORY_TARGET_MB
        print(f"  {which:<10}{mem['before']:>11.0f}{mem['after']:>10.0f}{mem['seconds']:>11.2f}"
              f"{mem['kink_pairs']:>12}  {'PASS' if ok else 'FAIL'}")
    print("  (before: peak RSS of data, W0 and training; after: peak RSS at the end)")


def eps_table(old_certify):
    print("\n3. eps_rel with and without mu_ji <= lam_i (n=40, m=100 unless said)")
    print(f"  {'case':<16}{'bounded':>12}{'unbounded':>12}{'rel diff':>10}{'baseline':>12}"
          f"{'kink pairs':>12}{'mu > lam':>10}  solver status (bounded, unbounded, baseline)")
    for label, changes in EPS_CASES:
        row = eps_row(label, changes, old_certify)
        old = f"{row['eps_rel_old']:>12.5g}" if "eps_rel_old" in row else f"{'-':>12}"
        status = ", ".join(STATUS_WORDS.get(row.get(key), "-")
                           for key in ("status", "status_free", "status_old"))
        if HAS_BOUND_OPTION:
            diff = row["eps_rel"] / row["eps_rel_free"] - 1.0
            print(f"  {label:<16}{row['eps_rel']:>12.5g}{row['eps_rel_free']:>12.5g}"
                  f"{diff:>+10.2%}{old}{row['kink_pairs']:>12}{row['violations']:>10}  {status}")
        else:
            print(f"  {label:<16}{'-':>12}{row['eps_rel']:>12.5g}{'-':>10}{old}"
                  f"{row['kink_pairs']:>12}{row['violations']:>10}  {status}")
    print("  (mu > lam: kink pairs where the unbounded optimum breaks the bound; baseline: "
          "the old, unbounded solver;\n   budget: stopped by the sweep budget, so eps is an "
          "upper bound of the optimum)")


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--memory-child":
        memory_child(*map(int, sys.argv[2:5]), sys.argv[5])
    else:
        main()
