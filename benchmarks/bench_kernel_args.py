"""Named-tuple kernel arguments (issue 18) against the positional kernels: speed and bits.

Run from the repository root (about two minutes on 2 cores; the first run also extracts the
old tree and compiles its kernels, about a minute more):

    OPENBLAS_NUM_THREADS=1 NUMBA_CACHE_DIR=$PWD/.numba_cache PYTHONPATH=. \
        .venv/bin/python benchmarks/bench_kernel_args.py [--rounds 5] [--before DIR]

The tree before is ``tests.before.REVISION`` (the last positional kernels), extracted with
``git archive`` into ``NUMBA_CACHE_DIR/before/<rev>/tree`` unless ``--before DIR`` names
one. Each round runs one fresh process per tree, the order alternating (paired: load on the
machine hits both alike); a process warms up, then times

1. **training**, ``core.train.train`` (normalized GD, exp loss, lr 8, 500 steps) of the
   default ReLU scenario at n=40/d=1000, n=200/d=2000 (Gram path) and n=400/d=50 (primal);
2. **certificates**, ``core.kkt.certify`` of the trained models at n=40/d=1000,
   n=200/d=2000 and n=400/d=4000 (m=100);
3. **the method kernels**, ``core.methods.weighted_gd`` as NegGrad+ runs it (20 steps,
   signed coefficients) at the default size, Gram and primal path,

and prints the median seconds of each (wall clock, and CPU time of the process, which other
work on a shared machine disturbs less: the kernels run on one thread) and a digest of its
result. Per case the table gives the median over rounds of old and new, the median over
rounds of the ratio new / old (1.00: the same speed) and whether the digests agree (the
results are equal bit for bit).
The trees run in separate processes on purpose: Numba's dispatcher caches argument types
process-wide, and two versions of one named tuple in one process slow each other's calls.
Output: ``benchmarks/last_run_kernel_args.txt``.
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # before numpy loads

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:                         # also works without PYTHONPATH=.
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".numba_cache"))

from tests import before  # noqa: E402

# The measuring process: only APIs both trees have, so one text runs in either.
CHILD = r'''
import hashlib, json, statistics, time
import numpy as np
from core.compare import context_for, load_dataset, train_options
from core.kkt import certify
from core.methods import weighted_gd
from core.scenario import Scenario
from core.train import train

def setup(n, d, m):
    scenario = Scenario(n_samples=n, dim=d, width=m, n_test=0)
    return context_for(scenario, load_dataset(scenario)), train_options(scenario)

def timed(run, repeats):
    result = run()                                   # warm-up: compiles or loads the cache
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = run()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return (statistics.median(wall), statistics.median(cpu)), result

def digest(*arrays):
    return hashlib.sha1(b"".join(np.ascontiguousarray(a).tobytes() for a in arrays)).hexdigest()

out = {}
for n, d, m, repeats in ((40, 1000, 100, 15), (200, 2000, 100, 5), (400, 50, 100, 5)):
    ctx, options = setup(n, d, m)
    sec, res = timed(lambda: train(ctx, **options), repeats)
    out[f"train n={n} d={d} ({res.path})"] = (*sec, digest(res.params.A, res.history.log_loss))
for n, d, m, repeats in ((40, 1000, 100, 15), (200, 2000, 100, 5), (400, 4000, 100, 3)):
    ctx, options = setup(n, d, m)
    model = train(ctx, **options).params
    sec, res = timed(lambda: certify(ctx, model), repeats)
    out[f"certify n={n} d={d}"] = (*sec, digest(res.lam, res.mu, np.array([res.eps])))
ctx, options = setup(40, 1000, 100)
start = certify(ctx, train(ctx, **options).params).model
coef = np.full(40, 0.9)
coef[5] = -0.1
for path in ("gram", "primal"):
    sec, res = timed(lambda: weighted_gd(ctx, start, coef, lr=0.5, steps=20, path=path), 15)
    out[f"weighted_gd 20 steps ({path})"] = (*sec, digest(res.A))
print(json.dumps(out))
'''


def old_tree(where=None):
    """The tree at tests.before.REVISION (extracted once with git archive), or ``where``."""
    if where is not None:
        return Path(where)
    tree = before.folder() / "tree"
    if not (tree / "core").is_dir():
        tree.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "archive", before.REVISION], cwd=ROOT,
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree


def measure(tree, cache):
    """{case: (median wall seconds, median CPU seconds, digest)} from one fresh process
    running ``tree``."""
    env = dict(os.environ, PYTHONPATH=str(tree), NUMBA_CACHE_DIR=str(cache),
               OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    done = subprocess.run([sys.executable, "-c", CHILD], cwd=tree, env=env,
                          capture_output=True, text=True, check=True)
    return {k: tuple(v) for k, v in json.loads(done.stdout.strip().splitlines()[-1]).items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--before", help="the tree before (default: extracted from git)")
    args = parser.parse_args(argv)
    try:
        old = old_tree(args.before)
    except (OSError, subprocess.CalledProcessError):
        print(f"git or revision {before.REVISION[:12]} not available: nothing to compare")
        return 1
    trees = {"old": (old, old / ".numba_cache"), "new": (ROOT, os.environ["NUMBA_CACHE_DIR"])}
    runs = {"old": [], "new": []}
    load = os.getloadavg()[0]
    for r in range(args.rounds):
        for name in (("old", "new") if r % 2 == 0 else ("new", "old")):
            runs[name].append(measure(*trees[name]))
    lines = [f"before: {before.REVISION[:12]} (positional kernels, {old}); after: this tree",
             f"{args.rounds} rounds, one process per tree and round; load average at the "
             f"start {load:.2f} (2 cores)", "",
             f"{'':<32} {'wall clock':^28} {'CPU time of the process':^28}",
             f"{'what':<32} {'old ms':>9} {'new ms':>9} {'new/old':>8}"
             f" {'old ms':>9} {'new ms':>9} {'new/old':>8}   bit for bit"]
    for case in runs["new"][0]:
        cells = []
        for k in (0, 1):                                 # wall, CPU
            old_s = [run[case][k] for run in runs["old"]]
            new_s = [run[case][k] for run in runs["new"]]
            ratio = statistics.median(n / o for n, o in zip(new_s, old_s))
            cells.append(f"{statistics.median(old_s) * 1e3:9.2f} "
                         f"{statistics.median(new_s) * 1e3:9.2f} {ratio:8.3f}")
        same = len({run[case][2] for run in runs["old"] + runs["new"]}) == 1
        lines.append(f"{case:<32} {' '.join(cells)}   {'yes' if same else 'NO'}")
    text = "\n".join(lines)
    print(text)
    (ROOT / "benchmarks" / "last_run_kernel_args.txt").write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
