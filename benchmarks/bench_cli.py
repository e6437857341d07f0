"""Warm start-up of the command line: ``python -m explorer unlearn --json`` and ``--help``.

Run from the repository root:

    .venv/bin/python benchmarks/bench_cli.py [--before DIR] [--repeats 9]

Each command runs as a user runs it, in a fresh subprocess (OPENBLAS_NUM_THREADS=1, the
checkout's own NUMBA_CACHE_DIR, warmed by one run first), and the wall time of the whole
process is taken; the figure is the median over ``--repeats`` runs. With ``--before DIR``
(another checkout, e.g. ``git archive <commit> | tar -x -C DIR``) the same commands run
there too, interleaved with this checkout's runs, so machine load falls on both alike and
the ratio is the median of per-repeat ratios. It also lists which heavy packages (numba,
scipy, pandas, sklearn, streamlit, altair) each command imports. The budget
(docs/architecture.md §Budgets): a warm ``unlearn --json`` under 0.4 s, and ``--help``
without Numba. Writes benchmarks/last_run_cli.txt.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "last_run_cli.txt"
BUDGET = 0.4
COMMANDS = {"unlearn --json": ["unlearn", "--json"], "--help": ["--help"],
            "unlearn --help": ["unlearn", "--help"]}
# What any process that loads a cached Numba kernel pays before its own work: the
# interpreter, NumPy, Numba, and the target context Numba refreshes on every cache load
# (its lowering registries and SciPy's BLAS bindings, scipy.linalg).
FLOORS = {"python": "pass", "import numpy": "import numpy",
          "import numba": "import numba",
          "numba + cache-load refresh": "from numba.core.registry import cpu_target; "
                                        "cpu_target.target_context.refresh()"}
HEAVY = ("numba", "scipy", "pandas", "sklearn", "streamlit", "altair")
PROBE = f"""import sys, runpy
sys.argv = ["explorer"] + sys.argv[1:]
try:
    runpy.run_module("explorer", run_name="__main__")
except SystemExit:
    pass
print("HEAVY " + ",".join(sorted({{m.split(".")[0] for m in sys.modules}} & set({HEAVY!r}))),
      file=sys.stderr)
"""


def env_for(root):
    return dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
                NUMBA_CACHE_DIR=str(Path(root) / ".numba_cache"), PYTHONPATH=str(root))


def run(root, argv):
    """Wall seconds of ``python -m explorer argv`` in ``root``."""
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "explorer", *argv], cwd=root,
                          env=env_for(root), capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{root}: {' '.join(argv)} failed:\n{proc.stderr[-2000:]}")
    return seconds


def run_code(code):
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=env_for(ROOT), check=True)
    return time.perf_counter() - start


def heavy_imports(root, argv):
    proc = subprocess.run([sys.executable, "-c", PROBE, *argv], cwd=root, env=env_for(root),
                          capture_output=True, text=True)
    line = [x for x in proc.stderr.splitlines() if x.startswith("HEAVY ")]
    return line[-1][6:] or "none" if line else "?"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, help="another checkout to compare with")
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    roots = {"now": ROOT} | ({"before": args.before.resolve()} if args.before else {})
    for root in roots.values():                   # warm: compile or load the Numba cache
        for argv in COMMANDS.values():
            run(root, argv)
    times = {(tag, name): [] for tag in roots for name in COMMANDS}
    floors = {name: [] for name in FLOORS}
    for _ in range(args.repeats):
        for name, argv in COMMANDS.items():
            for tag, root in roots.items():
                times[tag, name].append(run(root, argv))
        for name, code in FLOORS.items():
            floors[name].append(run_code(code))
    lines = [f"python -m explorer, warm, wall time of the whole process, median of "
             f"{args.repeats} runs ({os.cpu_count()} CPUs, load average "
             f"{os.getloadavg()[0]:.1f} at the end)", ""]
    header = "| command | " + " | ".join(f"{tag} (s)" for tag in roots)
    header += " | now / before | imports now |" if "before" in roots else " | imports |"
    lines += [header, "|" + "---|" * (header.count("|") - 1)]
    for name, argv in COMMANDS.items():
        cells = [f"{statistics.median(times[tag, name]):.3f}" for tag in roots]
        if "before" in roots:
            ratio = statistics.median(a / b for a, b in zip(times["now", name],
                                                            times["before", name]))
            cells.append(f"{ratio:.2f}")
        cells.append(heavy_imports(ROOT, argv))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    if "before" in roots:
        lines.append("")
        lines.append("imports before: " + "; ".join(
            f"{name}: {heavy_imports(roots['before'], argv)}" for name, argv in COMMANDS.items()))
    lines += ["", "the floor of any process that loads a cached Numba kernel, same runs:", ""]
    lines += [f"| {name} | {statistics.median(t):.3f} s |" for name, t in floors.items()]
    warm = statistics.median(times["now", "unlearn --json"])
    lines += ["", f"budget: warm unlearn --json under {BUDGET} s: "
                  f"{'met' if warm < BUDGET else 'NOT met'} ({warm:.3f} s)"]
    text = "\n".join(lines)
    print(text)
    OUT.write_text(text + "\n")


if __name__ == "__main__":
    main()
