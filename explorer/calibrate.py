"""Measure this machine's work-estimate rates (``core.estimate.Rates``), once, at
installation: ``python -m explorer.warmup`` calls ``calibrate`` after compiling the kernels
(a few seconds). It times each kind of work the estimate counts on small inputs, in CPU
seconds (best of a few repeats), and keeps the rates beside the Numba cache, where
``core.estimate.rates`` reads them.
"""
import json
import math
import time
from pathlib import Path


def calibrate(path=None):
    """Measure this machine's rates (a few seconds in all) and keep them in ``path``
    (default ``rates_path()``); returns the Rates. Run once at installation.
    """
    import numpy as np

    from core.compare import prepare
    from core.data import generate
    from core.estimate import DEFAULT_RATES, rates_path, svm_sweeps
    from core.kkt import certify
    from core.pipeline import context_for, load_dataset, load_raw
    from core.scenario import Scenario
    from core.train import train
    from core.unlearn import exact_svm

    def timed(fn, repeats=3):
        best = math.inf
        for _ in range(repeats):
            start = time.process_time()
            fn()
            best = min(best, time.process_time() - start)
        return max(best, 1e-9)

    rng = np.random.default_rng(0)
    draw = timed(lambda: generate("mixture", 200, 500, 0, n_test=4000)) / (4200 * 500)
    a, b = rng.standard_normal((300, 2000)), rng.standard_normal((2000, 300))
    blas = timed(lambda: a @ b) / (300 * 2000 * 300)
    big = Scenario(n_samples=1000, dim=2000)
    raw = load_raw(big)
    entries = raw.X.size
    prep = max(timed(lambda: load_dataset(big, raw)) / entries, 1e-11)
    # a ReLU step: step * m n² + loss * n m, from two shapes that weigh them differently
    times, shapes = [], ((300, 3000, 60), (40, 1000, 400))
    for n, d, m in shapes:
        ctx = prepare(Scenario(n_samples=n, dim=d, width=m, steps=10)).ctx
        times.append(timed(lambda ctx=ctx: train(ctx, steps=100), repeats=2) / 100)
    step, loss = np.linalg.solve([[m * n * n, n * m] for n, _, m in shapes], times)
    lin_sc = Scenario(model="linear", n_samples=1000, dim=4000)
    lin = context_for(lin_sc, load_dataset(lin_sc))
    step_linear = timed(lambda: train(lin, steps=100), repeats=2) / (100 * 1000 * 1000)
    relu = prepare(Scenario(n_samples=200, dim=2000, width=100, steps=300))
    cert_relu = timed(lambda: certify(relu.ctx, relu.trained.params), 2) / (200 ** 2.5 * 100)
    svm_model = exact_svm(lin)
    cert_linear = timed(lambda: certify(lin, svm_model)) / 1000 ** 2
    svm = timed(lambda: exact_svm(lin), 2) / (1000 * 1000 * svm_sweeps(1000, 4000))
    lifted_sc = Scenario(model="linear", data="mixture", n_samples=500, dim=500, lift=5000,
                         n_test=0)
    lifted = context_for(lifted_sc, load_dataset(lifted_sc))
    svm_lifted = timed(lambda: exact_svm(lifted), 1) / 500 ** 3
    found = DEFAULT_RATES._replace(draw=draw, prep=prep, blas=blas,
                                   step=max(float(step), 1e-13), loss=max(float(loss), 1e-11),
                                   step_linear=step_linear, cert_relu=cert_relu,
                                   cert_linear=cert_linear, svm=svm, svm_lifted=svm_lifted)
    path = Path(path) if path is not None else rates_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(found._asdict(), indent=2))
    return found
