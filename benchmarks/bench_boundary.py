"""Decision-boundary benchmark: the data view's three boundaries (trained, one GA step, retrained).

Run from the repository root:

    OPENBLAS_NUM_THREADS=1 NUMBA_CACHE_DIR=$PWD/.numba_cache PYTHONPATH=. \
        .venv/bin/python benchmarks/bench_boundary.py

For the 2-D scenarios at their default sizes (n = 40, m = 100) it times, warm (median of
REPEATS runs after one warm-up call that also loads or compiles the Numba kernel):

* all three boundaries: ``core.boundary.decision_boundaries`` (grid kernel + contourpy), the
  budget of the data view: under 50 ms;
* the grid kernel alone (``core.boundary.grid_values``) and contourpy alone;
* a NumPy reference of the same grid: explicit W = s0 W0 + A X, then ReLU(P Wᵀ) v for the
  grid points P (the ratio is the kernel's speed-up);
* the data view's frames (``present.data_view.data_view``) and its finished Vega-Lite spec, for
  scale (not part of the budget: the app caches the spec).

The output goes to the terminal and to benchmarks/last_run_boundary.txt.
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # before numpy loads (docs/architecture.md)

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:                         # also works without PYTHONPATH=.
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".numba_cache"))

import altair as alt  # noqa: E402
import numpy as np  # noqa: E402

from core.boundary import (  # noqa: E402
    GRID,
    coordinate_plane,
    decision_boundaries,
    grid_values,
    level_lines,
    padded_range,
)
from core.compare import compare, default_forget, prepare  # noqa: E402
from core.models import weights  # noqa: E402
from core.scenario import Scenario  # noqa: E402
from ui import data_view  # noqa: E402

REPEATS = 30
BUDGET_MS = 50.0
SCENARIOS = {
    "relu, xor": Scenario(data="xor", dim=2),
    "relu, blobs": Scenario(data="blobs", dim=2),
    "linear, blobs": Scenario(model="linear", data="blobs", dim=2),
}
LARGER = ("relu, xor n=400 m=500", Scenario(data="xor", dim=2, n_samples=400, width=500))
OUT = ROOT / "benchmarks" / "last_run_boundary.txt"


def median_ms(fn, repeats=REPEATS):
    fn()                                              # warm-up (kernel load or compile)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times)


def numpy_grid(ctx, models, gx, gy):
    """The reference: explicit W and a dense forward pass over every grid point."""
    uu, tt = np.meshgrid(gx, gy)
    P = np.column_stack([uu.ravel(), tt.ravel()])
    out = []
    for model in models:
        Z = P @ weights(ctx, model).T
        out.append(((np.maximum(Z, 0.0) if ctx.is_relu else Z) @ ctx.v).reshape(uu.shape))
    return out


def spec_of(view):
    with alt.theme.enable("none"), alt.data_transformers.enable("default", max_rows=None):
        return data_view.chart(view).to_dict(validate=False)


def measure(label, sc, lines):
    prep = prepare(sc)
    comp = compare(prep, default_forget(prep))
    models = {name: comp.methods[name].model for name in data_view.BOUNDARY_LABELS}
    ctx, plane = prep.ctx, coordinate_plane(2)
    xr, yr = padded_range(ctx.X[:, 0]), padded_range(ctx.X[:, 1])
    gx, gy, Z = grid_values(ctx, list(models.values()), plane, xr, yr, GRID)
    reference = numpy_grid(ctx, list(models.values()), gx, gy)
    diff = max(float(np.abs(z - r).max()) for z, r in zip(Z, reference))
    t_all = median_ms(lambda: decision_boundaries(ctx, models))
    t_kernel = median_ms(lambda: grid_values(ctx, list(models.values()), plane, xr, yr, GRID))
    t_contour = median_ms(lambda: [level_lines(gx, gy, z) for z in Z])
    t_numpy = median_ms(lambda: numpy_grid(ctx, list(models.values()), gx, gy))
    view = data_view.data_view(prep, comp)
    t_frames = median_ms(lambda: data_view.data_view(prep, comp), repeats=10)
    t_spec = median_ms(lambda: spec_of(view), repeats=5)
    verdict = "OK" if t_all < BUDGET_MS else "OVER BUDGET"
    n_vertices = sum(len(ln) for ls in decision_boundaries(ctx, models).lines.values()
                     for ln in ls)
    lines += [
        f"[{label}] n={ctx.n_samples}, m={ctx.width}, grid {GRID}x{GRID}, 3 models, "
        f"{n_vertices} contour vertices",
        f"  all three boundaries (kernel + contourpy)  {t_all:8.2f} ms   "
        f"budget {BUDGET_MS:.0f} ms: {verdict}",
        f"  grid kernel, 3 models                      {t_kernel:8.2f} ms",
        f"  contourpy, 3 level-0 line sets             {t_contour:8.2f} ms",
        f"  NumPy reference grid (explicit W)          {t_numpy:8.2f} ms   "
        f"kernel speed-up {t_numpy / t_kernel:5.1f}x, max |diff| {diff:.1e}",
        f"  data view frames (boundaries + tables)     {t_frames:8.2f} ms",
        f"  Vega-Lite spec of the chart (cached in app) {t_spec:7.2f} ms",
        "",
    ]


def main():
    lines = [f"Decision boundaries of the data view; medians of {REPEATS} warm runs "
             f"(frames 10, spec 5); OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}",
             f"load average at the start (1 min): {os.getloadavg()[0]:.1f} on "
             f"{os.cpu_count()} CPUs (other work inflates the times)", ""]
    for label, sc in SCENARIOS.items():
        measure(label, sc, lines)
    measure(*LARGER, lines)
    text = "\n".join(lines)
    print(text)
    OUT.write_text(text + "\n")


if __name__ == "__main__":
    main()
