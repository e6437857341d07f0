"""The work estimate against measured runs (core/estimate.py; issue 19).

Each case runs in a fresh process (a warm Numba cache): ``prepare`` (data, training or the
exact SVM, the certificate) and then the default comparison, each timed in CPU seconds of
that process, with its peak resident memory. The estimate of each is printed beside it
with their ratio; the rule is "within 3x either way" (memory: the arrays of the work, on
top of the ~200 MB an idle process holds).

    python benchmarks/bench_estimate.py [--quick]      # writes last_run_estimate.txt
"""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "last_run_estimate.txt"
CASES = [
    dict(),                                                          # the default demo
    dict(n_samples=400, width=200, dim=1000),
    dict(n_samples=400, width=800, dim=10000),
    dict(n_samples=1000, width=200, dim=10000),
    dict(model="linear", n_samples=500, dim=10000),
    dict(model="linear", start="exact", n_samples=2000, dim=10000),
    dict(data="mixture", n_samples=100, dim=500, n_test=100000, steps=100),    # issue 19
    dict(model="linear", data="mixture", n_samples=500, dim=500, lift=5000, steps=1,
         n_test=500),                                                # issue 19, smaller
]
FULL_ONLY = [
    dict(model="linear", start="exact", n_samples=5000, dim=10000),  # issue 19's second
    dict(model="linear", data="mixture", n_samples=2500, dim=2500, lift=20000, steps=1,
         n_test=2500),                                               # issue 19's first
]
CHILD = r'''
import json, resource, sys, time
sys.path.insert(0, sys.argv[2])
from core.compare import compare, default_forget, prepare
from core.estimate import comparison_cost, work_cost
from core.pipeline import data_shape
from core.registry import default_names
from core.scenario import Scenario
from explorer.warmup import warm_up
warm_up()                                       # every kernel's first-call dispatch, done
sc = Scenario(**json.loads(sys.argv[1]))
shape = data_shape(sc)
rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t0 = time.process_time()
p = prepare(sc)
t1 = time.process_time()
rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
compare(p, default_forget(p))
t2 = time.process_time()
rss2 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
k = len(default_names(sc.model))
est_prep = work_cost(shape, sc, prepare=True)
est_comp = comparison_cost(shape, sc, k, exact=not sc.is_relu)
print(json.dumps(dict(prep=t1 - t0, comp=t2 - t1, mem=max(rss1, rss2) - rss0,
                      est_prep=est_prep.seconds, est_comp=est_comp.seconds,
                      est_mem=max(est_prep.memory_mb, est_comp.memory_mb))))

'''


def run(case):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1",
               NUMBA_CACHE_DIR=os.environ.get("NUMBA_CACHE_DIR", str(ROOT / ".numba_cache")))
    out = subprocess.run([sys.executable, "-c", CHILD, json.dumps(case), str(ROOT)],
                         capture_output=True, text=True, env=env, timeout=3600)
    if out.returncode:
        return {"error": out.stderr.strip().splitlines()[-1]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    quick = "--quick" in sys.argv
    lines = [f"# bench_estimate {time.strftime('%Y-%m-%d %H:%M')}: CPU seconds and MB; "
             "ratio = estimate / measured (rule: 1/3 to 3)",
             f"{'case':62s} {'prepare':>8s} {'est':>8s} {'ratio':>6s} {'compare':>8s} "
             f"{'est':>8s} {'ratio':>6s} {'MB':>6s} {'est MB':>7s}"]
    worst = 1.0
    for case in CASES + ([] if quick else FULL_ONLY):
        res = run(case)
        name = ",".join(f"{k}={v}" for k, v in case.items()) or "default demo"
        if "error" in res:
            lines.append(f"{name:62s} error: {res['error'][:80]}")
            continue
        r1, r2 = res["est_prep"] / res["prep"], res["est_comp"] / res["comp"]
        worst = max(worst, r1, 1 / r1, r2, 1 / r2)
        lines.append(f"{name:62s} {res['prep']:8.3f} {res['est_prep']:8.3f} {r1:6.2f} "
                     f"{res['comp']:8.3f} {res['est_comp']:8.3f} {r2:6.2f} "
                     f"{res['mem']:6.0f} {res['est_mem']:7.0f}")
        print(lines[-1], flush=True)
    lines.append(f"worst factor either way: {worst:.2f} ({'within' if worst <= 3 else 'OUTSIDE'}"
                 " the 3x rule)")
    OUT.write_text("\n".join(lines) + "\n")
    print("\n".join(lines[-1:]))


if __name__ == "__main__":
    main()
