"""Training benchmark (docs/theory.md §3.2, docs/architecture.md §Budgets).

Numba Gram / Numba primal / NumPy / PyTorch, timed as paired repeats.

Run from the repository root:

    OPENBLAS_NUM_THREADS=1 NUMBA_CACHE_DIR=$PWD/.numba_cache PYTHONPATH=. \
        .venv/bin/python benchmarks/bench_train.py

For three sizes it times the same normalized-GD training (exp loss, lr 8, W_0 ~ N(0, s²/d),
s = 1e-3, fixed v_j = ±1/sqrt(m); same data, same init, same number of steps) with

* Numba Gram    ``core.train.train(ctx, path="gram")``   O(n² m) a step
* Numba primal  ``core.train.train(ctx, path="primal")`` O(n d m) a step
* NumPy primal  written here, vectorised per step
* PyTorch       written here: the NumPy primal step with float64 torch tensors, manual
                update (no autograd), on 1 thread and on torch's default thread count,

checks that all of them end at the same weights, and reports the budgets of
docs/architecture.md §Budgets: Numba >= 10x faster than PyTorch CPU at the default size, a
Gram step within 3x of 2 n² m flops at single-core GEMM speed, and the default demo under
0.3 s warm.

Timing is paired: after one warm-up run of each (Numba compilation excluded), every repeat
runs all implementations one after the other (and, where the flop bound applies, a GEMM
speed probe), so each ratio is formed from times measured moments apart under the same
machine load. Ratios are computed per repeat and their median is reported; a change of load
between repeats moves all times of a repeat together and leaves its ratios alone.
"""
import os

# before numpy loads (docs/architecture.md §Platform); the imports below therefore follow
# this statement (E402 is ignored for this file in pyproject.toml)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import math
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:                         # also works without PYTHONPATH=.
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".numba_cache"))

import numpy as np

from core.compare import compare, default_forget, load_dataset, prepare, retrain_model
from core.data import generate
from core.kernels import LOG_FLUSH
from core.models import build_context, init_weights, output_weights, weights
from core.scenario import Scenario
from core.train import train
from core.unlearn import ga_step

try:
    import torch
    TORCH_NOTE = None
except Exception as exc:          # not installed (or broken): skip its columns
    torch = None
    TORCH_NOTE = (f"PyTorch not available ({type(exc).__name__}: {exc}); "
                  "its columns are skipped.")

# ------------------------------------------------------------------------------ settings

LR = 8.0
INIT_SCALE = 1e-3
SEED = 0
REPEATS = 5              # paired repeats per size (fewer if slow, below)
SIZE_BUDGET = 60.0       # s of timed repeats per size: no new repeat that would exceed it
MIN_REPEATS = 2          # ... but at least this many
WARMUP_STEPS = 20        # the warm-up run: compiles Numba, warms allocators and BLAS
DEMO_REPEATS = 7
DEMO_BUDGET = 0.3        # s, docs/architecture.md §Budgets
SPEEDUP_TARGET = 10.0    # Numba vs PyTorch CPU at the default size, docs/architecture.md §Budgets
FLOP_FACTOR = 3.0        # Gram step within 3x of its flop bound, docs/architecture.md §Budgets
MAX_REL_DIFF = 1e-8

SIZES = [  # (label, data kind, n, d, m, steps)
    ("default", "orthogonal", 40, 1000, 100, 500),
    ("n > d", "mixture", 400, 50, 100, 500),
    ("large d", "orthogonal", 100, 10000, 200, 500),
]

LABELS = {"numba_gram": "Numba Gram", "numba_primal": "Numba primal",
          "numpy": "NumPy primal", "torch_1": "PyTorch primal 1 thr"}

if torch is not None:
    TORCH_DEFAULT_THREADS = torch.get_num_threads()
    if "OMP_NUM_THREADS" in os.environ or "MKL_NUM_THREADS" in os.environ:
        # the environment pinned torch's default (make exports OMP_NUM_THREADS=1):
        # report the figure on every core the process may use instead
        TORCH_DEFAULT_THREADS = len(os.sched_getaffinity(0))
    LABELS["torch_default"] = f"PyTorch primal {TORCH_DEFAULT_THREADS} thr"


# ------------------------------------------------------------------------------ reference GD

def numpy_train(X, y, W0, v, steps, lr=LR):
    """Normalized GD on the exp loss, primal, one vectorised NumPy step at a time.

    Same step as core.kernels.train_gd_primal: g = softmax(-q) (loss weights below 1e-250
    flushed to 0), C_ji = lr g_i y_i v_j [z_ji > 0], W <- W + C X.
    """
    W = W0.copy()
    XT = np.ascontiguousarray(X.T)
    lr_v = (lr * v)[:, None]
    with np.errstate(under="ignore"):
        for _ in range(steps):
            Z = W @ XT                                   # (m, n) pre-activations
            q = y * (v @ np.maximum(Z, 0.0))             # margins
            a = -q                                       # log l(q_i), exp loss
            top = a.max()
            e = a - (top + np.log(np.exp(a - top).sum()))  # log of normalized weights
            g = np.where(e > LOG_FLUSH, np.exp(e), 0.0)
            C = lr_v * (Z > 0.0) * (g * y)[None, :]
            W += C @ X
    return W


def torch_train(X, y, W0, v, steps, lr=LR):
    """``numpy_train`` with float64 torch tensors on the CPU (manual update, no autograd)."""
    with torch.inference_mode():
        X = torch.from_numpy(X).clone()
        XT = X.T.contiguous()
        y = torch.from_numpy(y).clone()
        v = torch.from_numpy(v).clone()
        W = torch.from_numpy(W0).clone()
        lr_v = (lr * v)[:, None]
        for _ in range(steps):
            Z = W @ XT
            q = y * (v @ torch.clamp_min(Z, 0.0))
            a = -q
            e = a - torch.logsumexp(a, 0)
            g = torch.where(e > LOG_FLUSH, torch.exp(e), 0.0)
            C = lr_v * (Z > 0.0) * (g * y)[None, :]
            W += C @ X
        return W.numpy().copy()


# ------------------------------------------------------------------------------ timing

def paired_repeats(impls, steps, probe=None):
    """Warm each implementation up, then time them in turn, repeat after repeat.

    ``impls`` is a list of (key, run(steps) -> final W). In every repeat each run is timed
    once, in the listed order, followed by ``probe()`` if given. Repeats stop at REPEATS, or
    once another repeat would take the size past SIZE_BUDGET (at least MIN_REPEATS).

    Returns
    -------
    times : dict key -> list of seconds, one per repeat
    finals : dict key -> final W of the last repeat
    probes : list of probe() values, one per repeat
    """
    for _, run in impls:
        run(min(steps, WARMUP_STEPS))
    times = {key: [] for key, _ in impls}
    finals, probes = {}, []
    start = time.perf_counter()
    for done in range(1, REPEATS + 1):
        for key, run in impls:
            t0 = time.perf_counter()
            finals[key] = run(steps)
            times[key].append(time.perf_counter() - t0)
        if probe is not None:
            probes.append(probe())
        spent = time.perf_counter() - start
        if done >= MIN_REPEATS and spent * (done + 1) / done > SIZE_BUDGET:
            break
    return times, finals, probes


def median_ratio(times, ref):
    """Median over repeats of times[r] / ref[r] (paired ratios)."""
    return statistics.median(t / r for t, r in zip(times, ref))


def with_threads(count, fn):
    """fn with torch on ``count`` threads (restored afterwards)."""
    def wrapped(*args):
        before = torch.get_num_threads()
        torch.set_num_threads(count)
        try:
            return fn(*args)
        finally:
            torch.set_num_threads(before)
    return wrapped


def rel_diff(W, W_ref):
    return float(np.linalg.norm(W - W_ref) / np.linalg.norm(W_ref))


def bench_size(label, kind, n, d, m, steps):
    """Time every implementation on one size; returns a dict of results."""
    data = generate(kind, n, d, SEED, n_test=0)
    W0 = init_weights(m, d, INIT_SCALE, SEED, True)
    v = output_weights(m)
    ctx = build_context(data.X, data.y, W0, v, True)
    auto = "gram" if n < d else "primal"

    impls = []   # (key, run(steps) -> final W)
    for path in ("gram", "primal"):
        impls.append((f"numba_{path}",
                      lambda s, p=path: weights(ctx, train(ctx, steps=s, path=p).params)))
    impls.append(("numpy", lambda s: numpy_train(ctx.X, ctx.y, ctx.W0, ctx.v, s)))
    if torch is not None:
        impls.append(("torch_1",
                      with_threads(1, lambda s: torch_train(ctx.X, ctx.y, ctx.W0, ctx.v, s))))
        impls.append(("torch_default",
                      with_threads(TORCH_DEFAULT_THREADS,
                                   lambda s: torch_train(ctx.X, ctx.y, ctx.W0, ctx.v, s))))

    probe = gemm_gflops if auto == "gram" else None   # GEMM speed, paired with the step
    times, finals, gflops = paired_repeats(impls, steps, probe)
    ref = times["numba_gram"]
    rows = {}
    for key, ts in times.items():
        rows[key] = dict(seconds=statistics.median(ts), reps=len(ts), times=ts,
                         ratio=median_ratio(ts, ref),
                         rel_diff=rel_diff(finals[key], finals["numba_gram"]))

    print(f"\n[{label}] n={n}, d={d}, m={m}, {steps} steps, {kind} data "
          f"(* = the path train() picks: {auto})")
    print(f"  {'implementation':<22}{'reps':>5}{'median s':>11}{'ms/step':>10}"
          f"{'t / Numba Gram':>16}{'rel diff W':>13}   (ratio: median of per-repeat ratios)")
    for key, row in rows.items():
        name = LABELS[key] + (" *" if key == f"numba_{auto}" else "")
        print(f"  {name:<22}{row['reps']:>5}{row['seconds']:>11.4f}"
              f"{1e3 * row['seconds'] / steps:>10.4f}{row['ratio']:>15.2f}x"
              f"{row['rel_diff']:>13.2e}")
    worst = max(row["rel_diff"] for row in rows.values())
    print(f"  same final weights: max rel diff vs Numba Gram {worst:.2e} "
          f"({'OK' if worst < MAX_REL_DIFF else 'MISMATCH'}, tolerance {MAX_REL_DIFF:g})")
    if torch is None:
        print(f"  note: {TORCH_NOTE}")
    return dict(label=label, n=n, d=d, m=m, steps=steps, auto=auto, rows=rows,
                max_rel_diff=worst, gflops=gflops)


# ------------------------------------------------------------------------------ flop bound

def gemm_gflops(size=2000, repeats=2):
    """Single-core float64 GEMM speed of numpy, GFLOP/s (best of ``repeats`` size^3 products)."""
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((size, size)), rng.standard_normal((size, size))
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2.0 * size ** 3 / best / 1e9


def small_gemm_seconds(m, n, repeats=2000):
    """Time of one (m x n)(n x n) numpy product, the GEMM of a Gram step, alone."""
    rng = np.random.default_rng(0)
    A, K = rng.standard_normal((m, n)), rng.standard_normal((n, n))
    for _ in range(50):
        A @ K
    start = time.perf_counter()
    for _ in range(repeats):
        A @ K
    return (time.perf_counter() - start) / repeats


def flop_bound(results):
    """Gram step time over 2 n² m / GEMM speed, both measured in the same repeat."""
    print("\nFlop bound (docs/architecture.md §Budgets): Gram step vs 2 n² m flops at "
          "single-core GEMM speed")
    print("  GEMM speed: numpy float64 2000x2000 product, 1 thread, probed in every repeat "
          "right after the implementations; ratio = median of per-repeat ratios")
    print(f"  {'size':<10}{'n':>5}{'m':>5}{'GFLOP/s':>9}{'us/step':>10}{'bound us':>10}"
          f"{'ratio':>8}{'  verdict':<14}{'(m x n)(n x n) GEMM alone, us':>32}")
    verdicts = []
    for res in results:
        if res["auto"] != "gram":
            continue
        n, m, steps = res["n"], res["m"], res["steps"]
        flops = 2.0 * n * n * m
        gram_times = res["rows"]["numba_gram"]["times"]
        ratio = statistics.median(t / steps / (flops / (g * 1e9))
                                  for t, g in zip(gram_times, res["gflops"]))
        gflops = statistics.median(res["gflops"])
        t_step = res["rows"]["numba_gram"]["seconds"] / steps
        ok = ratio <= FLOP_FACTOR
        verdicts.append((res["label"], ratio, ok))
        print(f"  {res['label']:<10}{n:>5}{m:>5}{gflops:>9.1f}{1e6 * t_step:>10.2f}"
              f"{1e6 * flops / (gflops * 1e9):>10.2f}{ratio:>7.2f}x  "
              f"{'PASS' if ok else 'FAIL':<12}{1e6 * small_gemm_seconds(m, n):>32.2f}")
    print("  (us/step = median train(path='gram') time / steps, wrapper and history included;"
          " sizes with n >= d train in primal space and are not listed)")
    return verdicts


# ------------------------------------------------------------------------------ demo budget

def demo_budget():
    """train + certificate + GA + retrain at the default scenario, warm.

    docs/architecture.md §Budgets: under 0.3 s.
    """
    scenario = Scenario()
    prepared = prepare(scenario)                      # warm-up (compiles everything)
    forget = default_forget(prepared)
    ga_step(prepared.ctx, prepared.original, forget)
    retrain_model(prepared, forget)
    compare(prepared, forget)

    rec = {k: [] for k in ("data", "prepare", "train", "ga", "retrain", "budget", "with_data",
                           "compare")}
    for _ in range(DEMO_REPEATS):
        t0 = time.perf_counter()
        dataset = load_dataset(scenario)
        t1 = time.perf_counter()
        prepared = prepare(scenario, dataset=dataset)   # context + train + certificate
        t2 = time.perf_counter()
        forget = default_forget(prepared)
        ga_step(prepared.ctx, prepared.original, forget)
        t3 = time.perf_counter()
        retrain_model(prepared, forget)
        t4 = time.perf_counter()
        compare(prepared, forget)
        t5 = time.perf_counter()
        rec["data"].append(t1 - t0)
        rec["prepare"].append(t2 - t1)
        rec["train"].append(prepared.trained.seconds)
        rec["ga"].append(t3 - t2)
        rec["retrain"].append(t4 - t3)
        rec["budget"].append(t4 - t1)
        rec["with_data"].append(t4 - t0)
        rec["compare"].append(t5 - t4)
    med = {k: statistics.median(v) for k, v in rec.items()}
    ok = med["budget"] < DEMO_BUDGET
    print(f"\nDefault demo budget (docs/architecture.md §Budgets): n=40, d=1000, m=100, "
          f"500 steps, forget {list(forget)}; median of {DEMO_REPEATS} warm runs")
    print(f"  data generation                         {1e3 * med['data']:8.1f} ms  "
          "(outside the budget)")
    print(f"  prepare: context + train + certificate  {1e3 * med['prepare']:8.1f} ms  "
          f"(of which train {1e3 * med['train']:.1f} ms)")
    print(f"  GA step                                 {1e3 * med['ga']:8.1f} ms")
    print(f"  retrain on R (+ rescale)                {1e3 * med['retrain']:8.1f} ms")
    print(f"  train + certificate + GA + retrain      {1e3 * med['budget']:8.1f} ms  vs "
          f"{1e3 * DEMO_BUDGET:.0f} ms budget: {'PASS' if ok else 'FAIL'}")
    print(f"  same, including data generation         {1e3 * med['with_data']:8.1f} ms")
    print(f"  compare(prepared, forget), all methods  {1e3 * med['compare']:8.1f} ms  "
          f"(each certified on R; retrain included)")
    return med, ok


# ------------------------------------------------------------------------------ main

def main():
    start = time.perf_counter()
    print("Training benchmark: normalized GD, exp loss, lr 8, two-layer ReLU, W0 ~ N(0, s²/d), "
          "s = 1e-3")
    torch_desc = ("not available" if torch is None
                  else f"{torch.__version__}, float64, manual update (no autograd), "
                       f"1 thread and {TORCH_DEFAULT_THREADS} threads (default)")
    print(f"numpy {np.__version__}, "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}, torch {torch_desc}")
    print(f"Times: paired repeats (every implementation once per repeat, in turn), up to "
          f"{REPEATS} per size (at least {MIN_REPEATS}; no new repeat past {SIZE_BUDGET:g} s), "
          f"after one {WARMUP_STEPS}-step warm-up each; ratios are medians of per-repeat "
          "ratios; weights compared after the full run")
    if TORCH_NOTE:
        print(f"NOTE: {TORCH_NOTE}")

    results = [bench_size(*size) for size in SIZES]
    default = results[0]

    print("\nSummary: time / Numba Gram time (lower is faster)")
    keys = list(default["rows"])
    print("  " + f"{'size':<10}" + "".join(f"{LABELS[key]:>22}" for key in keys))
    for res in results:
        print("  " + f"{res['label']:<10}"
              + "".join(f"{res['rows'][key]['ratio']:>21.2f}x" for key in keys))

    if torch is not None:
        speedups = {key: default["rows"][key]["ratio"] for key in ("torch_1", "torch_default")}
        one = speedups["torch_1"]
        best = min(speedups.values())
        print(f"\nNumba training is {one:.1f} times faster than PyTorch CPU at the default size "
              f"(1 thread each; {speedups['torch_default']:.1f}x vs PyTorch on its "
              f"{TORCH_DEFAULT_THREADS} default threads)")
        print(f"  docs/architecture.md §Budgets asks for >= {SPEEDUP_TARGET:g}x: "
              f"{'PASS' if best >= SPEEDUP_TARGET else 'FAIL'} (worst case {best:.1f}x)")
        like = median_ratio(default["rows"]["numba_primal"]["times"],
                            default["rows"]["torch_1"]["times"])
        print(f"  (the gain is the Gram algorithm: with the same primal algorithm, Numba primal "
              f"takes {like:.2f}x PyTorch's 1-thread time)")
    else:
        print(f"\nNumba vs PyTorch speed-up not measured: {TORCH_NOTE}")

    flop_bound(results)
    demo_budget()
    agree = all(res["max_rel_diff"] < MAX_REL_DIFF for res in results)
    print(f"\nAll implementations agree on the final weights (rel diff < {MAX_REL_DIFF:g}): "
          f"{'yes' if agree else 'NO'}")
    print(f"Total benchmark time {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
