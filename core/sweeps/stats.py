"""Statistics over seeds: the one mean/min/max aggregator, and the rules the claims use.

``summarize`` is what every table and figure of the experiment layer shows (mean, min and
max over seeds). The rules (docs/theory.md §3.8) are written so that a verdict matches the
words of the claim it tests:

* ``falls_with``: "falls with d" -- Spearman rho <= -0.8 over the seeds' means, and no
  rise between consecutive values larger than the seeds' spread (the larger min-max range
  of the two);
* ``loglog_slope``: "like 1/sqrt(d)" -- the fitted log-log slope and its 95% bootstrap
  interval over seeds (seeds resampled with replacement, the means refitted);
* ``paired_difference``: "A beats B" -- the paired difference A - B over seeds, its mean
  with a 95% t-interval and a two-sided sign test.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

FALL_RHO = -0.8              # Spearman rho at most this: "falls"
CONFIDENCE = 0.95
N_BOOTSTRAP = 2000


def summarize(frame, by=("model", "value", "method"), metrics=None, seed="seed"):
    """Mean, min and max over seeds of each metric, one row per ``by`` group.

    Columns ``<metric>``, ``<metric>_min``, ``<metric>_max`` and ``n_seeds`` (the seeds
    with a value of the first metric); NaN cells are left out of every statistic.
    """
    metrics = metrics or ("eps", "eps_rel", "delta", "tau", "cosine_to_retrain",
                          "cosine_to_exact", "forget_margin", "test_accuracy",
                          "test_agreement", "rho", "grad_evals", "steps", "trained_eps_rel",
                          "seconds")
    metrics = [m for m in metrics if m in frame]
    grouped = frame.groupby(list(by), sort=False)
    res = pd.concat([grouped[metrics].mean(), grouped[metrics].min().add_suffix("_min"),
                     grouped[metrics].max().add_suffix("_max")], axis=1)
    if seed in frame and metrics:
        res["n_seeds"] = frame.dropna(subset=metrics[:1]).groupby(
            list(by), sort=False)[seed].nunique()
        res["n_seeds"] = res["n_seeds"].fillna(0).astype(int)
    else:
        res["n_seeds"] = grouped.size()
    return res.reset_index()


def per_seed(frame, metric, method, index="value"):
    """``metric`` of ``method`` as a table: one row per ``index`` value, one column a seed."""
    rows = frame[frame["method"] == method]
    return rows.pivot_table(index=index, columns="seed", values=metric)


@dataclass(frozen=True)
class Fall:
    """Spearman rho of the means against x, and the largest rise between neighbours."""

    rho: float
    p_value: float
    worst_rise: float        # largest increase of the mean between consecutive x (or <= 0)
    rise_at: tuple | None    # (x_from, x_to) of that increase
    spread: float            # the seeds' min-max range there (the larger of the two x)
    held: bool


def falls_with(table):
    """Rule "falls with x" on a per-seed table (rows x ascending, columns seeds)."""
    from scipy import stats

    table = table.sort_index()
    means = table.mean(axis=1)
    rng = table.max(axis=1) - table.min(axis=1)
    rho, p = stats.spearmanr(table.index.to_numpy(float), means.to_numpy())
    rises = means.diff().iloc[1:]
    worst = int(np.argmax(rises.to_numpy()))
    x = list(table.index)
    spread = float(max(rng.iloc[worst], rng.iloc[worst + 1]))
    rise = float(rises.iloc[worst])
    held = bool(rho <= FALL_RHO and rise <= spread)
    return Fall(float(rho), float(p), rise, (x[worst], x[worst + 1]) if rise > 0 else None,
                spread, held)


@dataclass(frozen=True)
class Slope:
    """Least-squares slope of log(mean) against log(x), with its bootstrap interval."""

    slope: float
    low: float
    high: float
    n_seeds: int


def loglog_slope(table, n_boot=N_BOOTSTRAP, seed=0):
    """Slope of log(mean over seeds) against log(x) and its ``CONFIDENCE`` bootstrap
    interval: seeds (columns) resampled with replacement, means and fit redone.

    Rows whose mean is not positive are left out.
    """
    table = table.sort_index()
    values = table.to_numpy(float)
    logx = np.log(table.index.to_numpy(float))
    k = values.shape[1]

    def fits(cols):
        """Least-squares slopes of log(mean) on log(x), one per column of ``cols`` (the seeds
        of one resample), over the x whose mean is positive; NaN with fewer than two.
        """
        with np.errstate(invalid="ignore", divide="ignore"):
            m = np.nanmean(values[:, cols], axis=1)            # (x, resamples)
            ok = m > 0
            w = ok.astype(float)
            logm = np.where(ok, np.log(np.where(ok, m, 1.0)), 0.0)
            n = w.sum(axis=0)
            mx = (w * logx[:, None]).sum(axis=0) / n
            my = (w * logm).sum(axis=0) / n
            dx = (logx[:, None] - mx) * w
            out = (dx * (logm - my)).sum(axis=0) / (dx * (logx[:, None] - mx)).sum(axis=0)
        return np.where(n >= 2, out, np.nan)

    slope = float(fits(np.arange(k)[:, None])[0])
    rng = np.random.default_rng(seed)
    boot = fits(rng.integers(0, k, (k, n_boot)))   # one resample of the seeds per column
    boot = boot[np.isfinite(boot)]
    a = (1 - CONFIDENCE) / 2
    low, high = (np.quantile(boot, [a, 1 - a]) if boot.size else (np.nan, np.nan))
    return Slope(slope, float(low), float(high), k)


@dataclass(frozen=True)
class Paired:
    """Paired difference a - b over runs: mean, t-interval, sign test."""

    mean: float
    low: float
    high: float
    n_below: int             # runs with a < b
    n: int
    sign_p: float            # two-sided sign test of P(a < b) = 1/2
    held: bool               # the t-interval lies below zero


def paired_difference(a, b):
    """Rule "a beats b" (lower is better) on paired values (same runs, same order)."""
    from scipy import stats

    diff = np.asarray(a, float) - np.asarray(b, float)
    diff = diff[np.isfinite(diff)]
    n = diff.size
    mean = float(diff.mean()) if n else float("nan")
    if n >= 2 and np.std(diff) > 0:
        half = stats.t.ppf(0.5 + CONFIDENCE / 2, n - 1) * diff.std(ddof=1) / np.sqrt(n)
        low, high = mean - half, mean + half
    else:
        low = high = mean
    below, nonzero = int((diff < 0).sum()), int((diff != 0).sum())
    p = float(stats.binomtest(below, nonzero).pvalue) if nonzero else 1.0
    return Paired(mean, float(low), float(high), below, n, p, bool(n >= 2 and high < 0))
