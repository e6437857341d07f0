"""Compile every Numba kernel once, on tiny inputs, and measure this machine's work-estimate
rates (``python -m explorer.warmup``; core/estimate.py).

``make run`` and ``make test`` run this during installation, with NUMBA_CACHE_DIR set, so
the compiled kernels are on disk before the first start: the app then loads them in about
a second instead of compiling for up to a minute (docs/architecture.md §Platform). The app
calls ``warm_up`` once per server process too, which then only loads the cache.

The tiny runs go through the engine's public paths (training in Gram and primal space,
certificates, every unlearning method, the exact SVM, step-size curves, decision
boundaries), so every kernel compiles with the one signature the engine gives it.
"""
import os
import sys
import time

from core.errors import InputError


def _scenarios():
    from core.scenario import Scenario
    return (Scenario(n_samples=10, dim=100, width=10, steps=30),             # ReLU, Gram
            Scenario(data="blobs", n_samples=30, dim=2, width=10, steps=30),  # ReLU, primal
            Scenario(model="linear", n_samples=10, dim=100, steps=30),
            Scenario(model="linear", n_samples=10, dim=100, start="exact"))


def warm_up():
    """Run each engine path once on tiny data (compiles or loads every kernel)."""
    from core import compare as engine
    from core import registry
    from core.boundary import decision_boundaries, projection_plane
    for sc in _scenarios():
        try:
            prep = engine.prepare(sc)
        except InputError:           # e.g. a toy set the tiny net does not separate
            continue
        forget = engine.default_forget(prep)
        methods = [m for m in registry.names(sc.model) if prep.ctx.is_relu or m != "ga_steps"]
        for sequential in (False, True):
            try:
                engine.compare(prep, forget, sequential=sequential, methods=tuple(methods))
            except InputError:
                engine.compare(prep, forget, sequential=sequential)
        engine.scale_curve(prep, forget, [1.0])
        engine.training_curves(prep, max_certificates=2)
        model = prep.original.model
        plane = None if prep.ctx.X.shape[1] == 2 else projection_plane(prep.ctx, model)
        decision_boundaries(prep.ctx, {"trained": model}, plane=plane, resolution=8)


def main():
    """Print what happens (up to a minute with an empty cache, ~2 s warm)."""
    cache = os.environ.get("NUMBA_CACHE_DIR", "next to the sources")
    print(f"Compiling the Numba kernels once (cache: {cache}); up to a minute the first time...",
          flush=True)
    start = time.perf_counter()
    warm_up()
    print(f"Kernels ready in {time.perf_counter() - start:.1f} s.", flush=True)
    from core.estimate import rates_path
    from explorer.calibrate import calibrate

    start = time.perf_counter()
    calibrate()
    print(f"Work-estimate rates of this machine measured in {time.perf_counter() - start:.1f} s "
          f"({rates_path()}).", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
