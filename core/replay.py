"""Replay of a training run: every recorded snapshot of GD with its certificate.

Training records the coefficients A_t of W_t = W_0 + A_t X at log-spaced steps
(``core.train.record_schedule``); each snapshot is certified on S like the final model
(docs/theory.md §3.4-3.5), once, so a player can show the margin–λ plane forming.
"""
from dataclasses import dataclass

import numpy as np

from core.errors import InputError
from core.kkt import certify, holding
from core.models import GramModel


@dataclass(frozen=True, eq=False)
class Frame:
    """One recorded step: the model then, its loss and normalized margin, its certificate.

    ``certificate`` is None while the model does not separate S yet (min margin <= 0):
    there is no max-margin problem to be a KKT point of before that.
    """

    step: int
    log_loss: float
    normalized_margin: float
    model: GramModel
    certificate: object


def training_frames(prepared, progress=None):
    """Frames of every recorded snapshot of ``prepared``'s training run, in step order.

    Parameters
    ----------
    prepared : core.compare.Prepared with a training run (not the exact-SVM start)
    progress : callable(done, total) or None, after each certificate and between chunks of
        it (it may raise core.errors.Cancelled to stop)

    Returns
    -------
    list of Frame
    """
    trained = prepared.trained
    if trained is None or trained.history.snapshots is None:
        raise InputError("This model has no recorded training run to replay (it starts "
                         "from the exact max-margin solution, or the run was too large "
                         "to keep its snapshots).")
    h, sc = trained.history, prepared.scenario
    frames = []
    total = h.steps.shape[0]
    for r in range(total):
        model = GramModel(1.0, np.ascontiguousarray(h.snapshots[r]))
        cert = None
        if h.min_margin[r] > 0:
            cert = certify(prepared.ctx, model, kink_tol=sc.kink_tol, active_tol=sc.active_tol,
                           progress=holding(progress, r, total))
        frames.append(Frame(step=int(h.steps[r]), log_loss=float(h.log_loss[r]),
                            normalized_margin=float(h.normalized_margin[r]), model=model,
                            certificate=cert))
        if progress is not None:
            progress(r + 1, total)
    return frames
