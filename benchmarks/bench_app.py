"""App benchmark: rerun script time per page, the big run's Unlearn page, cancel latency.

Run from the repository root (a few minutes on 2 cores):

    OPENBLAS_NUM_THREADS=1 NUMBA_CACHE_DIR=$PWD/.numba_cache PYTHONPATH=. \\
        .venv/bin/python benchmarks/bench_app.py [--before DIR] [--reruns N] [--no-big] [--cold]

1. **Reruns** (AppTest script time with warm caches, median of N reruns per page): a plain
   rerun of every page, and on Unlearn a move of the c slider between two values (both
   cached after the first move). With ``--before DIR`` (an older tree, e.g. made by
   ``mkdir DIR && git archive HEAD | tar -x -C DIR``) the same reruns run on both trees,
   alternating per round (paired), each tree in its own process.
2. **Big run** (n=400, d=20000, m=500, 500 steps; direct calls of the ``ui.cached``
   functions the Unlearn page makes): after training, the seconds until the cards
   (``comparison``) and the history table (``history_table``) are ready.
3. **Cancel latency**: a training job (``ui.job.Job``) is cancelled after 1.5 s; the
   seconds from Cancel to the end of its thread, at the default size with 200000 steps and
   at the big size; and a Cancel pressed during the certificate that follows training
   (``CANCEL_CERTIFICATE``: d=20000, n=400 or 1000, m=50 or 500, Cancel 0.05 to 6 s after
   training ended), next to that certificate's own time.
4. With ``--cold``: the first AppTest run of a fresh process with an empty Numba cache,
   the install step (``python -m explorer.warmup``) into another empty cache, and the first run
   after it (docs/architecture.md §Budgets: first chart under 8 s).
"""
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".numba_cache"))
PAGES = ["pages/1_overview.py", "pages/2_data.py", "pages/3_unlearn.py", "pages/4_kkt.py",
         "pages/5_step_size.py"]
BIG = dict(n_samples=400, dim=20000, width=500, steps=500)
# (n, m, seconds after training to press Cancel): in the sweeps, and in the exact face solve
CANCEL_CERTIFICATE = ((400, 500, (0.05, 0.2)), (1000, 50, (0.05, 0.2, 0.5, 1.0)),
                      (1000, 500, (0.5, 3.0, 6.0)))


# ------------------------------------------------------------------ workers (own process)

def _quiet():
    import logging
    logging.getLogger("streamlit").setLevel(logging.ERROR)


def worker_reruns(tree, reruns):
    """{page: [seconds of each rerun]} plus the Unlearn slider moves, for the app in tree."""
    cached, *_ = _cached_functions(tree)
    cached.warm_up()                               # compile or load the kernels first
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(str(Path(tree) / "app.py"), default_timeout=1200).run()
    out = {}
    for page in PAGES:
        at.switch_page(page).run()
        at.run()                                   # warm every cache of the page
        times = []
        for _ in range(reruns):
            start = time.perf_counter()
            at.run()
            times.append(time.perf_counter() - start)
        out[page] = times
    at.switch_page("pages/3_unlearn.py").run()
    slider = next(s for s in at.slider if s.key and ".scale." in s.key)
    times = []
    for k in range(reruns + 2):
        slider = next(s for s in at.slider if s.key and ".scale." in s.key)
        start = time.perf_counter()
        slider.set_value(0.5 if k % 2 else 1.0).run()
        if k >= 2:                                 # both values cached from here on
            times.append(time.perf_counter() - start)
    out["unlearn slider move"] = times
    return out


def _cached_functions(tree):
    sys.path.insert(0, tree)
    _quiet()
    from core.compare import default_forget
    from core.scenario import Scenario
    from ui import cached
    try:                                # the table moved out of ui/cached.py
        from ui.history import history_table
    except ImportError:
        history_table = cached.history_table
    return cached, Scenario, default_forget, history_table


def worker_big(tree):
    """Seconds of training, then of the cards and the history table (the Unlearn page)."""
    cached, Scenario, default_forget, history_table = _cached_functions(tree)
    cached.warm_up()
    sc = Scenario(**BIG)
    start = time.perf_counter()
    prep = cached.prepared(sc)
    trained = time.perf_counter()
    forget = default_forget(prep)
    cached.comparison(sc, forget)
    cards = time.perf_counter()
    history_table(sc, (forget,))
    table = time.perf_counter()
    return {"training (prepare)": trained - start, "cards (comparison)": cards - trained,
            "history table": table - cards, "cards + history": table - trained}


def worker_cancel(tree, size):
    """Seconds from Cancel to the end of a training job's thread."""
    cached, Scenario, *_ = _cached_functions(tree)
    from ui import job as jobs
    cached.warm_up()
    sc = Scenario(steps=200_000) if size == "default" else Scenario(**{**BIG, "steps": 20000})
    job = jobs.Job(slot="train", key="bench", label="Training", estimate=None)
    work = lambda progress: cached.prepared(sc, _progress=cached.training_progress(progress))  # noqa: E731
    job.thread = threading.Thread(target=jobs.run_job, args=(job, work))
    job.thread.start()
    time.sleep(1.5)
    start = time.perf_counter()
    job.cancel()
    job.thread.join()
    return {"latency": time.perf_counter() - start, "status": job.status,
            "fraction done": job.fraction}


def worker_cancel_certificate(tree, n_samples, width, delay):
    """Seconds from Cancel to the end of a training job's thread, Cancel pressed ``delay``
    seconds after training ended (the job's text turns to "Certifying"), i.e. during the
    certificate of ``prepare``; and the certificate's own seconds (an uncancelled run)."""
    cached, Scenario, *_ = _cached_functions(tree)
    from ui import job as jobs
    cached.warm_up()
    sc = Scenario(**{**BIG, "n_samples": int(n_samples), "width": int(width)})
    job = jobs.Job(slot="train", key="bench", label="Training", estimate=None)
    work = lambda progress: cached.prepared(sc, _progress=cached.training_progress(progress))  # noqa: E731
    job.thread = threading.Thread(target=jobs.run_job, args=(job, work))
    job.thread.start()
    while job.running and not job.text.startswith("Certifying"):
        time.sleep(0.002)
    time.sleep(float(delay))
    start = time.perf_counter()
    job.cancel()
    job.thread.join()
    latency = time.perf_counter() - start
    prep = cached.prepared(sc)                   # uncached: trains again, then certifies
    from core.kkt import certify
    begin = time.perf_counter()
    certify(prep.ctx, prep.trained.params, kink_tol=sc.kink_tol, active_tol=sc.active_tol)
    return {"latency": latency, "status": job.status,
            "certificate": time.perf_counter() - begin}


def worker_first(tree):
    """Seconds of the first AppTest run of a fresh process (imports, kernels, first page)."""
    sys.path.insert(0, tree)
    _quiet()
    from streamlit.testing.v1 import AppTest
    start = time.perf_counter()
    at = AppTest.from_file(str(Path(tree) / "app.py"), default_timeout=1200).run()
    return {"first run": time.perf_counter() - start, "charts": len(at.get("vega_lite_chart"))}


def cold_start():
    """First start with an empty Numba cache, without and with the install step."""
    import tempfile
    with tempfile.TemporaryDirectory() as bare, tempfile.TemporaryDirectory() as installed:
        res = _run_worker(str(ROOT), "first", cache=bare)
        print(f"app first run, empty cache, no install step  {res['first run']:6.1f} s")
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "explorer.warmup"], cwd=ROOT, check=True,
                       env={**os.environ, "NUMBA_CACHE_DIR": installed}, capture_output=True)
        print(f"install step (explorer.warmup), empty cache  "
              f"{time.perf_counter() - start:6.1f} s")
        res = _run_worker(str(ROOT), "first", cache=installed)
        print(f"app first run after the install step         {res['first run']:6.1f} s")


def _run_worker(tree, *args, cache=None):
    env = {**os.environ, "PYTHONPATH": tree} | ({"NUMBA_CACHE_DIR": cache} if cache else {})
    cmd = [sys.executable, __file__, "--worker", tree, *map(str, args)]
    res = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True, check=False)
    lines = [ln for ln in res.stdout.splitlines() if ln.startswith("{")]
    if res.returncode or not lines:
        raise RuntimeError(f"worker {args} on {tree} failed:\n{res.stderr[-3000:]}")
    return json.loads(lines[-1])


# ------------------------------------------------------------------ report

def _ms(values):
    return f"{1000 * statistics.median(values):7.1f}"


def main(argv):
    before = argv[argv.index("--before") + 1] if "--before" in argv else None
    reruns = int(argv[argv.index("--reruns") + 1]) if "--reruns" in argv else 15
    trees = {"after": str(ROOT)} | ({"before": str(Path(before).resolve())} if before else {})
    print(f"# bench_app ({time.strftime('%Y-%m-%d %H:%M')}), reruns per page: {reruns}")
    rounds = {name: {} for name in trees}
    for _ in range(3):                                  # paired: alternate the trees
        for name, tree in trees.items():
            for key, times in _run_worker(tree, "reruns", reruns).items():
                rounds[name].setdefault(key, []).extend(times)
    print("\n1. Rerun script time, median ms (AppTest, warm caches)")
    print(f"{'page':28s}" + "".join(f"{name:>10s}" for name in trees))
    for key in rounds["after"]:
        print(f"{key:28s}" + "".join(f"{_ms(rounds[name].get(key, [float('nan')])):>10s}"
                                     for name in trees))
    if "--no-big" in argv:
        return
    print(f"\n2. Big run {BIG}: seconds after training until the Unlearn page is ready")
    for name, tree in trees.items():
        res = _run_worker(tree, "big")
        print(f"{name:8s}" + "  ".join(f"{k} {v:6.2f}" for k, v in res.items()))
    print("\n3. Cancel latency of a training job (Cancel after 1.5 s)")
    for size in ("default", "big"):
        res = _run_worker(str(ROOT), "cancel", size)
        print(f"{size:8s} {res['latency']:.3f} s ({res['status']} at "
              f"{100 * res['fraction done']:.1f}% of the steps)")
    print("   Cancel during the certificate after training (d=20000), seconds after Cancel")
    for n_samples, width, delays in CANCEL_CERTIFICATE:
        for delay in delays:
            res = _run_worker(str(ROOT), "cancel_certificate", n_samples, width, delay)
            print(f"n={n_samples:<5d}m={width:<4d}Cancel {delay:4.2f} s into it: "
                  f"{res['latency']:.3f} s ({res['status']}; certificate alone "
                  f"{res['certificate']:.2f} s)")
    if "--cold" in argv:
        print("\n4. First start (AppTest to the first page's charts), seconds")
        cold_start()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        tree, kind, *rest = sys.argv[2:]
        if kind == "reruns":
            result = worker_reruns(tree, int(rest[0]))
        elif kind == "big":
            result = worker_big(tree)
        elif kind == "first":
            result = worker_first(tree)
        elif kind == "cancel_certificate":
            result = worker_cancel_certificate(tree, *rest)
        else:
            result = worker_cancel(tree, rest[0])
        print(json.dumps(result))
    else:
        main(sys.argv[1:])
