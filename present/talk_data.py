"""Everything the offline talk page shows, precomputed by the engine for every point.

For each training point l (forgotten alone) the engine retrains without it once and takes
one GA step for every c of ``TALK_SCALES``, each certified on R = S minus {l}: the same
``core.compare.compare`` calls as ``python -m explorer unlearn --forget l --scale c``, so
the numbers are that command's, bit for bit. Points run in parallel on the sweeps'
executor (``core.sweeps.executors``: threads over the GIL-free kernels).

The result is a set of tables (``TalkData.tables``) that ``present.talk`` embeds in the
page and draws with the app's chart builders:

- ``points``: the trained model's plane (index, margin, lam, class, status, ...);
- ``after``: forgot, c, index, margin_after, lam_after (one row per retained point);
- ``retrain``: rkey = forgot * n + index, margin_retrain, lam_retrain;
- ``cards``: forgot, c (-1 when c does not matter), method, metric, value, text;
- ``verdicts``: forgot, c, level, the verdict sentence and the forgotten point's line;
- ``lines`` (2-D data): forgot, c, model, label, path, order, x, y of the boundaries.
"""
import time
from dataclasses import dataclass, replace
from functools import partial

import pandas as pd

from core.boundary import decision_boundaries
from core.compare import compare, default_forget, retrain_model
from core.errors import InputError
from core.registry import ordered
from core.report import methods_frame
from core.sweeps.executors import make_executor
from present import frames
from present.data_view import data_view, lines_frame
from present.palette import label
from present.text import CARD_METRICS, card_format, fmt, plane_summary, shown, verdict

TALK_SCALES = tuple(k / 4 for k in range(9))     # c = 0, 0.25, ..., 2: exact binary values
APP_ONLY = " (see the regime gauge on Data & training)"   # the page has no such page;
                                                          # its header shows the gauge
TALK_BOUNDARY_GRID = 120            # grid nodes per axis of the boundaries (2-D data)


@dataclass(frozen=True, eq=False)
class TalkData:
    """The tables of the page and what they were computed from."""

    prepared: object
    scales: tuple
    default_point: int
    methods: tuple                  # the card methods, in display order
    tables: dict                    # name -> DataFrame (see the module docstring)
    failed: dict                    # point -> message for points that cannot be forgotten
    seconds: float


def _card_rows(point, c, result):
    return [dict(forgot=point, c=c, method=result.name, label=label(result.name),
                 metric=metric, name=name, row=row, value=_value(result, metric),
                 text=fmt(shown(metric, _value(result, metric)), card_format(metric)))
            for row, (metric, name) in enumerate(CARD_METRICS, 1)]


def _value(result, metric):
    return float(result.cosine_to_retrain if metric == "cosine_to_retrain"
                 else getattr(result.certificate, metric))


def point_tables(prepared, point, scales=TALK_SCALES):
    """The rows of every table for forgetting ``point`` alone (see the module docstring);
    raises InputError when it cannot be forgotten (e.g. the last point of its class)."""
    forget, n = (int(point),), prepared.ctx.n_samples
    retrained = retrain_model(prepared, forget)
    full = compare(prepared, forget, scale=1.0, retrained=retrained)
    rows = {"after": [], "cards": [], "verdicts": [], "lines": []}
    rt = full.methods["retrain"].certificate
    keep = full.retain
    rows["retrain"] = [pd.DataFrame({"rkey": point * n + keep, "margin_retrain": rt.margins[keep],
                                     "lam_retrain": rt.lam[keep]})]
    for name, res in full.methods.items():
        if name != "ga":
            rows["cards"] += _card_rows(point, -1.0, res)
    is_2d = prepared.ctx.X.shape[1] == 2
    if is_2d:
        rows["lines"].append(_lines({"retrain": full.methods["retrain"].model}, prepared,
                                    point, -1.0))
    for c in scales:
        comp = full if c == 1.0 else replace(full, scale=float(c), methods=dict(
            full.methods, ga=compare(prepared, forget, scale=c, retrained=retrained,
                                     methods=("ga",)).methods["ga"]))
        after = frames.after_frame(comp)
        rows["after"].append(after[["index", "margin_after", "lam_after"]]
                             .assign(forgot=point, c=c))
        rows["cards"] += _card_rows(point, c, comp.methods["ga"])
        level, sentence = verdict(methods_frame(comp).set_index("method"), c,
                                  prepared.original.lam[list(forget)],
                                  prepared.gauge.regime)
        (line,) = plane_summary(frames.forgotten_frame(comp), limit=1)[:1]
        rows["verdicts"].append(dict(forgot=point, c=c, level=level, summary=line,
                                     sentence=sentence.replace(APP_ONLY, "")))
        if is_2d:
            rows["lines"].append(_lines({"ga": comp.methods["ga"].model}, prepared, point, c))
    return {name: pd.concat(part, ignore_index=True) if name in ("after", "retrain", "lines")
            else pd.DataFrame(part) for name, part in rows.items() if len(part)}


def _lines(models, prepared, point, c):
    bounds = decision_boundaries(prepared.ctx, models, resolution=TALK_BOUNDARY_GRID)
    return lines_frame(bounds).assign(forgot=point, c=c)


def _job(prepared, scales, point):
    """(point, rows or None, error message or None): a worker never raises InputError."""
    try:
        return point, point_tables(prepared, point, scales), None
    except InputError as err:
        return point, None, str(err)


def _lost(point, err):
    return point, None, f"the computation was lost: {err}"


def precompute(prepared, scales=TALK_SCALES, progress=None, workers=None):
    """Every table of the page for every point of S (``TalkData``).

    ``progress(fraction, text)`` is called after each point (it may raise
    core.errors.Cancelled: the points not started are dropped). ``workers``: threads
    (default: every core).
    """
    start = time.perf_counter()
    n = prepared.ctx.n_samples
    parts, failed = {}, {}
    executor = make_executor(workers)
    outcomes = executor.map(partial(_job, prepared, tuple(scales)), range(n), on_lost=_lost)
    try:
        for done, (point, rows, error) in enumerate(outcomes, 1):
            if error is not None:
                failed[point] = error
            else:
                for name, part in rows.items():
                    parts.setdefault(name, []).append((point, part))
            if progress is not None:
                progress(done / n, f"Forgot point {done} of {n} (retrain, "
                                   f"{len(scales)} GA steps, their certificates)")
    finally:
        outcomes.close()
        executor.close()
    if len(failed) == n:
        raise InputError(f"No point can be forgotten here: {next(iter(failed.values()))}")
    tables = {name: pd.concat([part for _, part in sorted(items, key=lambda item: item[0])],
                              ignore_index=True) for name, items in parts.items()}
    if failed:          # clicking such a point says why, at every c
        tables["verdicts"] = pd.concat([tables["verdicts"], pd.DataFrame(
            [dict(forgot=point, c=c, level="error", sentence=message,
                  summary=f"point {point} cannot be forgotten alone")
             for point, message in sorted(failed.items()) for c in scales])],
            ignore_index=True)
    tables["points"] = frames.plane_frame(prepared).assign(
        forgot=lambda d: d["index"], label=lambda d: d["label"].astype(int))
    if prepared.ctx.X.shape[1] == 2:        # where the data view draws them
        tables["points"] = tables["points"].assign(x=prepared.ctx.X[:, 0],
                                                   y=prepared.ctx.X[:, 1])
        trained = data_view(prepared).lines.assign(forgot=-1, c=-1.0)
        tables["lines"] = pd.concat([trained, tables.get("lines")], ignore_index=True)
    default = default_forget(prepared)[0]
    if default in failed:
        default = min(set(range(n)) - set(failed))
    methods = ordered(set(tables["cards"]["method"]))
    return TalkData(prepared=prepared, scales=tuple(scales), default_point=int(default),
                    methods=methods, tables=tables, failed=failed,
                    seconds=time.perf_counter() - start)


__all__ = ["TALK_SCALES", "TalkData", "point_tables", "precompute"]
