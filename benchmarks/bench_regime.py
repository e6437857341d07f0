"""The regime dial on real data, and what the Fourier lift costs (docs/theory.md §4).

Run from the repository root (about 10 minutes on a busy 2-core machine):

    OPENBLAS_NUM_THREADS=1 NUMBA_CACHE_DIR=$PWD/.numba_cache PYTHONPATH=. \
        .venv/bin/python benchmarks/bench_regime.py [--seeds 5]

1. **The dial.** For digits 3 vs 8, digits 1 vs 7, breast cancer and iris setosa vs
   virginica (standardized, n = 40, the two-layer net at its defaults, the largest-lambda
   support vector forgotten): rho, eps_rel of one GA step over doing nothing's, and the
   trained model's test accuracy at B in {0.05, 0.1, 0.2, 0.5, 1} (Fourier lift, D = 4000)
   and without a lift (B = inf), mean [min-max] over the seeds (``core.sweeps.regime``).
2. **The cost of the lift.** At D = 4000 on each data set: drawing W and b and lifting the
   training and test rows (``core.transform.apply``), against training (500 GD steps) and
   certifying the lifted data, median of 5 warm repeats, as ratios measured in one run.

Writes the text to benchmarks/last_run_regime.txt too.
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # before numpy loads

import argparse  # noqa: E402
import math  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".numba_cache"))

from core.compare import context_for, load_raw, train_options  # noqa: E402
from core.kkt import certify  # noqa: E402
from core.scenario import Scenario  # noqa: E402
from core.sweeps.executors import make_executor  # noqa: E402
from core.sweeps.regime import DIAL_BANDWIDTHS, dial_table, run_dial  # noqa: E402
from core.train import train  # noqa: E402
from core.transform import for_scenario  # noqa: E402

DATA = (("digits", (3, 8)), ("digits", (1, 7)), ("breast_cancer", None), ("iris", (0, 2)))
LIFT = 4000
REPEATS = 5
OUT = ROOT / "benchmarks" / "last_run_regime.txt"


def scenario(kind, classes, **changes):
    return Scenario(data=kind, classes=classes, preprocess="standardize", lift=LIFT,
                    lift_kind="fourier", bandwidth=1.0).replace(**changes)


def name_of(kind, classes):
    return kind if classes is None else f"{kind} {classes[0]} vs {classes[1]}"


def b_text(b):
    return "∞ (no lift)" if math.isinf(b) else f"{b:g}"


def band(row, m, fmt=".3g"):
    return f"{row[m]:{fmt}} [{row[m + '_min']:{fmt}}–{row[m + '_max']:{fmt}}]"


def dial_rows(seeds, executor, log):
    lines = [f"## The regime dial (standardized, Fourier lift D = {LIFT}, {seeds} seeds, "
             "n = 40, two-layer net, largest-λ support vector forgotten)", "",
             "| data | B | ρ | GA ε_rel / do-nothing ε_rel | GA ≤ do nothing / 2 | "
             "test accuracy | failed |", "|---|---|---|---|---|---|---|"]
    for kind, classes in DATA:
        t0 = time.perf_counter()
        dial = run_dial(scenario(kind, classes), DIAL_BANDWIDTHS, seeds, executor)
        table = dial_table(dial.frame)
        failed = {}
        for b, _, _ in dial.failures:
            failed[b] = failed.get(b, 0) + 1
        for _, row in table.iterrows():
            b = row["bandwidth"]
            at = dial.frame[dial.frame["bandwidth"] == b]
            halved = int((at["ratio"] <= 0.5).sum())
            lines.append(f"| {name_of(kind, classes)} | {b_text(b)} | {band(row, 'rho')} | "
                         f"{band(row, 'ratio')} | {halved} of {len(at)} | "
                         f"{band(row, 'test_accuracy')} | {failed.get(b, 0)} |")
        for b in sorted(set(failed) - set(table["bandwidth"])):
            lines.append(f"| {name_of(kind, classes)} | {b_text(b)} | – | – | – | – | "
                         f"{failed[b]} (did not train) |")
        log(f"{name_of(kind, classes)}: {time.perf_counter() - t0:.1f} s")
    return lines


def median_time(fn):
    fn()                                           # warm-up (compilation, caches)
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def cost_rows(log):
    lines = ["", f"## What the lift costs at D = {LIFT} (median of {REPEATS} warm repeats)", "",
             "| data | n train / test | d | lift (s) | train 500 steps (s) | certificate (s) "
             "| lift / train |", "|---|---|---|---|---|---|---|"]
    for kind, classes in DATA:
        lines.append(cost_row(kind, classes))
        log(f"cost {name_of(kind, classes)} done")
    return lines


def cost_row(kind, classes):
    """One table row: lift, training and certificate seconds on one data set (B = 0.1)."""
    sc = scenario(kind, classes, bandwidth=0.1)
    raw = load_raw(sc)
    lifted = for_scenario(raw, sc)
    ctx = context_for(sc, lifted)
    options = train_options(sc, lifted)
    lift_s = median_time(lambda: for_scenario(raw, sc))
    model = train(ctx, **options).params
    train_s = median_time(lambda: train(ctx, **options))
    cert_s = median_time(lambda: certify(ctx, model, kink_tol=sc.kink_tol))
    n_test = 0 if raw.X_test is None else raw.X_test.shape[0]
    return (f"| {name_of(kind, classes)} | {raw.n_samples} / {n_test} | {raw.dim} "
            f"| {lift_s:.4f} | {train_s:.4f} | {cert_s:.4f} | {lift_s / train_s:.2f} |")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args(argv)

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    start = time.perf_counter()
    executor = make_executor()
    try:
        lines = dial_rows(args.seeds, executor, log)
    finally:
        executor.close()
    lines += cost_rows(log)
    lines += ["", f"Total {time.perf_counter() - start:.0f} s on {os.cpu_count()} cores "
                  "(wall clock, machine shared)."]
    text = "\n".join(lines) + "\n"
    print(text)
    OUT.write_text(text)


if __name__ == "__main__":
    main()
