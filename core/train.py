"""Gradient-descent training with progress (docs/theory.md §3.2).

``train`` runs plain or normalized GD on L = (1/n) sum_i l(q_i) from W_0, in Gram space
when n < d and in primal space otherwise, in chunks of steps entirely inside Numba,
calling ``progress(done, total)`` between chunks. Chunks are sized by estimated work
(about CHUNK_WORK multiply-adds, ~0.1 s here), so a ``progress`` that raises
core.errors.Cancelled stops training within a chunk's time at any size (down to one step a
chunk; only a single step costlier than that can overrun it).
"""
import math
import time
from dataclasses import dataclass

import numpy as np

from core.kernels import (
    LOSS_EXP,
    LOSS_LOGISTIC,
    gd_rule,
    gram_data,
    primal_data,
    recording,
    train_gd_gram,
    train_gd_primal,
)
from core.models import GramModel
from core.options import LOSSES, OPTIMIZERS
from core.validate import check_choice, check_lr, check_steps

LOSS_CODES = dict(zip(LOSSES, (LOSS_EXP, LOSS_LOGISTIC)))    # "exp", "logistic"
PATHS = ("auto", "gram", "primal")
N_RECORDS = 80                      # log-spaced history rows per run (plus step 0)
MAX_SNAPSHOT_FLOATS = 5_000_000     # keep A snapshots (for eps over steps) below 40 MB
CHUNK_WORK = 1e9                    # multiply-adds per kernel call (~0.05-0.1 s on 1 core)


@dataclass(frozen=True, eq=False)
class TrainHistory:
    """State every ``record_every`` steps: before step t, and after the last step."""

    steps: np.ndarray        # (r,) int
    log_loss: np.ndarray     # (r,) log L (L itself underflows under normalized GD)
    min_margin: np.ndarray   # (r,) min_i q_i
    param_norm: np.ndarray   # (r,) ||W||_F
    snapshots: np.ndarray | None   # (r, m, n) coefficients A at those steps, or None

    @property
    def normalized_margin(self):
        """min_i q_i / ||W|| (the models are 1-homogeneous)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.param_norm > 0, self.min_margin / self.param_norm, 0.0)


@dataclass(frozen=True, eq=False)
class TrainedModel:
    """The result of ``train``: W = W_0 + A X, its history, the path used and wall time."""

    params: GramModel
    history: TrainHistory
    path: str
    seconds: float

    @property
    def final_loss(self):
        """L(W) after the last step."""
        return float(np.exp(self.history.log_loss[-1]))


def record_schedule(steps, record_every=None):
    """Recorded steps: 0, then about N_RECORDS log-spaced steps up to ``steps`` itself
    (training changes fastest early; a replay gets evenly paced frames), or 0, r, 2r, ...
    and ``steps`` when ``record_every`` = r is given.
    """
    if record_every is None:
        ticks = np.round(np.geomspace(1, steps, N_RECORDS)) if steps > 1 else [steps]
        return np.unique(np.concatenate([[0], ticks, [steps]])).astype(np.int64)
    return np.unique(np.append(np.arange(0, steps, int(record_every)), steps)).astype(np.int64)


def chunk_bounds(steps, step_work, chunks=20):
    """Step boundaries 0 = b_0 < ... < b_k = steps, k = max(chunks, steps / s) capped at
    ``steps``, s = floor(CHUNK_WORK / step_work): each kernel call does at most CHUNK_WORK
    multiply-adds (or one step), so callers can stop between calls quickly.
    """
    size = steps if step_work * steps <= CHUNK_WORK else max(1, int(CHUNK_WORK // step_work))
    k = max(int(chunks), math.ceil(steps / size))
    return np.unique(np.linspace(0, steps, min(k, steps) + 1).astype(int))


def train(ctx, *, loss="exp", optimizer="normalized", lr=8.0, steps=500, path="auto",
          record_every=None, progress=None, chunks=20):
    """W_{t+1} = W_t - eta_t grad L(W_t), eta_t = lr / L(W_t) (normalized) or lr (plain).

    Parameters
    ----------
    ctx : GramContext; data, W_0 and v
    loss : {"exp", "logistic"};  optimizer : {"normalized", "plain"}
    lr : float > 0;  steps : int >= 1
    path : {"auto", "gram", "primal"}; auto is Gram space when n < d
    record_every : int or None (steps / 50)
    progress : callable(done, total) or None, called after each chunk; it may raise
        core.errors.Cancelled to stop training (propagated)
    chunks : int, least number of kernel calls the steps are split into (more when the
        work exceeds ``chunks * CHUNK_WORK``; see ``chunk_bounds``)

    Returns
    -------
    TrainedModel
    """
    check_choice("loss", loss, LOSSES)
    check_choice("optimizer", optimizer, OPTIMIZERS)
    check_lr(lr)
    check_steps(steps)
    check_choice("path", path, PATHS)
    n, d = ctx.X.shape
    m = ctx.width
    use_gram = (n < d) if path == "auto" else path == "gram"
    rec_steps = record_schedule(int(steps), record_every)
    hist = np.zeros((rec_steps.shape[0], 4))
    keep = rec_steps.shape[0] * m * n <= MAX_SNAPSHOT_FLOATS
    snaps = np.zeros((rec_steps.shape[0] if keep else 0, m, n))
    A = np.zeros((m, n))
    rule = gd_rule(ctx.y, ctx.v, ctx.is_relu, LOSS_CODES[loss], optimizer == "normalized", lr)
    rec = recording(rec_steps, hist, snaps)
    if use_gram:
        run, data = train_gd_gram, gram_data(ctx.K, ctx.Z0t, ctx.w0_row_sq.sum())
    else:
        run, data = train_gd_primal, primal_data(ctx.X, ctx.W0.copy())
    start, ptr, done = time.perf_counter(), 0, 0
    step_work = m * n * (n if use_gram else 2 * d)        # the matrix products of one step
    bounds = chunk_bounds(int(steps), step_work, chunks)
    for t0, t1 in zip(bounds[:-1], bounds[1:]):
        ptr = run(data, rule, A, int(t0), int(t1 - t0), rec, ptr)
        done = int(t1)
        if progress is not None:
            progress(done, int(steps))
    history = TrainHistory(steps=hist[:, 0].astype(np.int64), log_loss=hist[:, 1],
                           min_margin=hist[:, 2], param_norm=hist[:, 3],
                           snapshots=snaps if keep else None)
    return TrainedModel(params=GramModel(1.0, A), history=history,
                        path="gram" if use_gram else "primal",
                        seconds=time.perf_counter() - start)
