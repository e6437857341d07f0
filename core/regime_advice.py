"""What would bring a data set into the paper's regime, measured (docs/theory.md §4).

Where the regime gauge says rho >= 1, ``lift_advice`` lifts the scenario's preprocessed
training rows with random Fourier features (D = ADVICE_LIFT, the scenario's seed) at a few
bandwidths B and measures rho and the gauge's verdict at each: the largest B whose lifted
data the gauge grades "approximate" or "theory" is the recommendation. Nothing is trained;
the projection X G^T (n d D multiply-adds, G the lift's N(0, 1) draws) is shared by every B
(W = G / sigma), and the advice is skipped above ADVICE_WORK.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.compare import load_raw
from core.data import regime_gauge
from core.errors import InputError
from core.lift import bandwidth_sigma, fourier_matrix
from core.transform import preprocess

ADVICE_BANDWIDTHS = (1.0, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01)
ADVICE_LIFT = 4000
ADVICE_WORK = 1e9        # n * d * D multiply-adds of the projection at most
IN_REGIME = ("theory", "approximate")


@dataclass(frozen=True)
class LiftAdvice:
    """rho of the Fourier-lifted data at each B tried, and the recommended B (or None)."""

    lift: int
    rows: tuple                  # ((B, rho, regime), ...) in the order tried
    bandwidth: float | None      # the largest B graded "approximate" or "theory"
    rho: float | None            # rho at that B

    def sentence(self):
        """The gauge's recommendation in words."""
        measured = ", ".join(f"{rho:.3g} at B = {b:g}" for b, rho, _ in self.rows)
        head = (f"Measured with a Fourier lift to D = {self.lift} (σ = B · median distance, "
                f"no training): ρ ≈ {measured}.")
        if self.bandwidth is None:
            return (head + " No bandwidth tried brings these data further into the regime: "
                    "nearby points (near-duplicates, or few features) keep ρ high.")
        return (head + f" A Fourier lift with B ≈ {self.bandwidth:g} gives ρ ≈ "
                f"{self.rho:.3g} on these data, inside the approximate regime; smaller B "
                "lowers ρ further and test accuracy with it (see the regime dial).")


def lift_advice(scenario, raw=None, bandwidths=ADVICE_BANDWIDTHS, lift=ADVICE_LIFT,
                current_rho=None):
    """``LiftAdvice`` for the scenario's data (``raw``: its raw dataset, default
    ``core.compare.load_raw``), or None when the data are too large to try cheaply or
    cannot be lifted. With ``current_rho`` (the gauge's rho now), only a B that lowers rho
    below it is recommended.
    """
    raw = load_raw(scenario) if raw is None else raw
    n, d = raw.X.shape
    if n * d * lift > ADVICE_WORK:
        return None
    try:
        X, _ = preprocess(raw.X, None, scenario.preprocess, raw.name or "the data")
        G, b = fourier_matrix(d, lift, 1.0, scenario.seed)     # the lift's draws, sigma = 1
        projection = X @ G.T
        rows = []
        for B in bandwidths:      # as core.lift.lift_rows, up to rounding: W = G / sigma
            sigma = bandwidth_sigma(X, B, scenario.seed)
            features = np.cos(projection / sigma + b) * np.sqrt(2.0 / lift)
            gauge = regime_gauge(features)
            rows.append((float(B), float(gauge.rho), gauge.regime))
    except InputError:
        return None
    limit = float("inf") if current_rho is None else current_rho
    best = next(((b, rho) for b, rho, regime in rows if regime in IN_REGIME and rho < limit),
                (None, None))
    return LiftAdvice(lift=lift, rows=tuple(rows), bandwidth=best[0], rho=best[1])
