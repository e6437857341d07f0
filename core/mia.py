"""Membership-inference audit of unlearning (LiRA style, Carlini et al. 2022), computed on ask.

Per forgotten point l, K shadow pairs are trained with the scenario's settings on a set T_k
with (IN) and without (OUT) x_l. Generated data: T_k is a fresh draw of n - 1 points from the
target's own distribution (``core.data.draw_like``: for mixture data the target's mean mu),
so an IN shadow has the target's n points. Uploaded or preset data: T_k is a random half,
floor((n - 1) / 2), of the other points, as LiRA does: the shadows must differ from each
other and from the target, and half keeps each of them as close to the target's size as
that allows (the normalized statistic absorbs the scale). W_0 of a shadow is drawn with its
own seed; data and W_0 seeds come from ``default_rng([seed, 3, k])``, a stream apart from
the data's, W_0's and the lift's. A shadow whose training does not separate its own data is
not used, and the audit says how many were (``ShadowStats.n_in``, ``n_out``).

The statistic (``statistic``) is the forgotten point's margin relative to the typical
retained margin, s(theta) = q_l(theta) / sqrt(mean_{i in T} q_i(theta)²), with T the training
points other than the forgotten ones (T_k for both shadows, R for the methods' models): the
same reference set for IN, OUT and the audited model, scale-free (the models are
1-homogeneous) and defined for every model, also one that misclassifies retained points.
Gaussians fitted to the IN and OUT values (maximum likelihood) give log_lr = log N(s; IN) -
log N(s; OUT) and p_member = 1 / (1 + e^{-log_lr}) for every method's model.

Population level, for generated data: the AUC of the margin q separating the forget set
(and the retained set) from fresh non-members of the target's distribution.

Shadow pairs run on the shared executors (``core.sweeps.executors``, threads over the GIL-free
kernels) and are kept in a ``core.memo.Memo`` (``core.memo.clear_all`` empties it).
"""
from dataclasses import dataclass
from functools import partial

import numpy as np

from core.data import draw_like, make_dataset
from core.distances import fresh_points
from core.errors import InputError
from core.memo import Memo, data_key
from core.models import embed, margins, outputs_from_preacts
from core.options import DEFAULT_SHADOWS
from core.pipeline import context_for, load_dataset, load_raw, train_options
from core.sweeps.executors import available_cores, make_executor
from core.train import train
from core.validate import check_integer

MAX_SHADOWS = 256
MIA_STREAM = 3          # default_rng([seed, 3, k]): shadow seeds
N_FRESH = 500           # fresh non-members for the population AUC
STD_FLOOR = 1e-12       # a Gaussian fit never has deviation 0
WORKERS = 2             # threads over the nogil training kernels
_SHADOWS = Memo("membership shadows", 64)


@dataclass(frozen=True, eq=False)
class ShadowStats:
    """The IN and OUT statistics of one forgotten point over the shadows that separated."""

    index: int
    s_in: np.ndarray        # (n_in,) s of the IN shadows used
    s_out: np.ndarray       # (n_out,) s of the OUT shadows used
    fresh: bool             # T_k drawn from the generator (else a subset of the data)
    subset_size: int        # |T_k|
    requested: int = 0      # K, the shadow pairs trained

    @property
    def n_in(self):
        """IN shadows used (those whose training separated their data)."""
        return int(self.s_in.size)

    @property
    def n_out(self):
        """OUT shadows used."""
        return int(self.s_out.size)

    @property
    def fit_in(self):
        """(mean, std) of the IN statistics."""
        return gaussian_fit(self.s_in)

    @property
    def fit_out(self):
        """(mean, std) of the OUT statistics."""
        return gaussian_fit(self.s_out)


@dataclass(frozen=True, eq=False)
class MethodAudit:
    """One method's model against the shadows: per forgotten point, plus population AUCs."""

    s: np.ndarray           # (|F|,) the model's statistic
    log_lr: np.ndarray      # (|F|,)
    p_member: np.ndarray    # (|F|,)
    auc: float | None           # forget set vs fresh non-members (generated data only)
    auc_retained: float | None  # retained set vs fresh non-members


@dataclass(frozen=True, eq=False)
class Audit:
    """The shadows of every forgotten point and every method's audit."""

    shadows: tuple          # ShadowStats per forgotten point, in forget order
    methods: dict           # name -> MethodAudit
    n_shadows: int


def gaussian_fit(values):
    """(mean, std) maximising the Gaussian likelihood (std with 1/K, floored at STD_FLOOR)."""
    values = np.asarray(values, dtype=np.float64)
    return float(values.mean()), max(float(values.std()), STD_FLOOR)


def gaussian_logpdf(s, mean, std):
    """log N(s; mean, std²) = -(s - mean)² / (2 std²) - log(std sqrt(2 pi))."""
    return -0.5 * ((s - mean) / std) ** 2 - np.log(std * np.sqrt(2.0 * np.pi))


def log_likelihood_ratio(s, fit_in, fit_out):
    """log_lr = log N(s; IN) - log N(s; OUT) and p_member = 1 / (1 + e^{-log_lr})."""
    log_lr = gaussian_logpdf(s, *fit_in) - gaussian_logpdf(s, *fit_out)
    with np.errstate(invalid="ignore"):     # s is nan where min_R q <= 0: nan in, nan out
        return log_lr, np.exp(-np.logaddexp(0.0, -log_lr))


def statistic(q, index, reference):
    """s = q_index / sqrt(mean_{i in reference} q_i²); 0 when every reference margin is 0."""
    scale = float(np.sqrt(np.mean(np.square(q[np.asarray(reference)]))))
    return float(q[index] / scale) if scale > 0 else 0.0


def shadow_seed(scenario, k):
    """Seed of shadow pair k (its data draw and W_0)."""
    return int(np.random.default_rng([scenario.seed, MIA_STREAM, k]).integers(2**31 - 1))


def fresh_seed(scenario):
    """Seed of the fresh non-members: ``default_rng([seed, 4])``, apart from the shadows'."""
    return int(np.random.default_rng([scenario.seed, MIA_STREAM + 1]).integers(2**31 - 1))


def can_draw(scenario):
    """True when the data come from a generator (fresh points can be drawn)."""
    return not scenario.data_file and not scenario.is_preset


def pair_dataset(prepared, forget, seed, x_raw=None):
    """(Dataset of T then the points ``forget``, |T|) for one shadow pair drawn with ``seed``.

    Generated data: T is a fresh draw of n - |F| points of the target's distribution and the
    forgotten points keep their raw inputs (``x_raw``: the target's inputs before
    preprocessing), the whole set scaled as the target was. Other data: T is a random half
    of the points outside F, already scaled.
    """
    sc, n, forget = prepared.scenario, prepared.ctx.n_samples, list(forget)
    if can_draw(sc):
        x_raw = load_raw(sc).X if x_raw is None else x_raw
        raw = draw_like(sc.data, n - len(forget), sc.dim, seed, sc.seed, mu_norm=sc.mu_norm)
        data = make_dataset(np.vstack([raw.X, x_raw[forget]]),
                            np.append(raw.y, prepared.dataset.y[forget]))
        return load_dataset(sc, data), n - len(forget)
    others = np.setdiff1d(np.arange(n), forget)
    size = (n - len(forget)) // 2
    pick = np.random.default_rng([seed, *forget]).choice(others, size, replace=False)
    rows = np.append(np.sort(pick), forget)
    return make_dataset(prepared.dataset.X[rows], prepared.dataset.y[rows]), size


def shadow_pair(prepared, index, k, x_raw=None):
    """(s_IN, s_OUT, |T_k|): one IN and one OUT shadow trained on T_k with and without x_l;
    a statistic is None when that shadow's training did not separate its data.

    ``x_raw``: the target's inputs before preprocessing (generated data; loaded if None).
    """
    sc = prepared.scenario
    data, size = pair_dataset(prepared, (index,), shadow_seed(sc, k), x_raw)
    ctx = context_for(sc.replace(seed=shadow_seed(sc, k)), data)
    options = train_options(sc, data)
    T = np.arange(size)
    q_in = margins(ctx, train(ctx, **options).params)
    out = train(ctx.subset(T), **options).params
    q_out = margins(ctx, embed(out, T, size + 1))
    s_in = statistic(q_in, size, T) if q_in.min() > 0 else None
    s_out = statistic(q_out, size, T) if q_out[T].min() > 0 else None
    return s_in, s_out, size


def run_pairs(fn, items, progress=None, workers=WORKERS):
    """[fn(item) for item in items], run on the shared local executor (threads), with
    ``progress(done, total)`` after each (it may raise to cancel: the rest is dropped).
    The results come back in the order of ``items``.
    """
    items = list(items)
    if not items:
        return []
    executor = make_executor(workers=max(1, min(workers, available_cores(), len(items))))
    indexed = partial(_indexed, fn)
    results = [None] * len(items)
    try:
        for done, (i, value) in enumerate(executor.map(indexed, list(enumerate(items))), 1):
            results[i] = value
            if progress is not None:
                progress(done, len(items))
    finally:
        executor.close()
    return results


def _indexed(fn, item):
    return item[0], fn(item[1])


def shadow_stats(prepared, forget, n_shadows=DEFAULT_SHADOWS, progress=None):
    """ShadowStats per point of ``forget``: K pairs each, on the shared executor, cached.

    ``progress(done, total)`` is called after each pair (it may raise to cancel).
    Raises InputError when fewer than 2 shadows of a kind separate their data.
    """
    check_integer("shadows", n_shadows, 2, MAX_SHADOWS)
    keys = {l: (data_key(prepared), int(l), int(n_shadows)) for l in forget}
    todo = [l for l in dict.fromkeys(forget) if keys[l] not in _SHADOWS]
    jobs = [(l, k) for l in todo for k in range(n_shadows)]
    x_raw = load_raw(prepared.scenario).X if jobs and can_draw(prepared.scenario) else None
    pairs = run_pairs(lambda job: shadow_pair(prepared, job[0], job[1], x_raw), jobs,
                      progress)
    for l in todo:
        mine = [p for (point, _), p in zip(jobs, pairs) if point == l]
        s_in = np.array([p[0] for p in mine if p[0] is not None])
        s_out = np.array([p[1] for p in mine if p[1] is not None])
        if s_in.size < 2 or s_out.size < 2:
            raise InputError(f"The membership audit needs shadows that separate their data: "
                             f"only {s_in.size} IN and {s_out.size} OUT of {n_shadows} did "
                             f"for point {l}. Use separable data or more steps.")
        _SHADOWS.put(keys[l], ShadowStats(int(l), s_in, s_out, can_draw(prepared.scenario),
                                          int(mine[0][2]), int(n_shadows)))
    return tuple(_SHADOWS.get(keys[l]) for l in forget)


def auc(members, others):
    """P(member score > non-member score) + P(equal) / 2 (the Mann-Whitney AUC)."""
    members, others = np.asarray(members)[:, None], np.asarray(others)[None, :]
    return float(np.mean((members > others) + 0.5 * (members == others)))


def fresh_margins(prepared, models):
    """name -> q on N_FRESH fresh non-members of the target's distribution, scaled as its
    test rows. None when the data are not generated.
    """
    ctx = prepared.ctx
    drawn = fresh_points(prepared, N_FRESH, fresh_seed(prepared.scenario))
    if drawn is None:
        return None
    X, y = drawn
    Z0f, Kf = ctx.W0 @ X.T, ctx.X @ X.T          # Gram form: O(n m) per point
    return {name: y * outputs_from_preacts(ctx, model.s0 * Z0f + model.A @ Kf)
            for name, model in models.items()}


def audit(comparison, n_shadows=DEFAULT_SHADOWS, progress=None):
    """Audit of every method of a Comparison: shadows, log_lr, p_member and population AUCs."""
    prepared, forget, retain = comparison.prepared, list(comparison.forget), comparison.retain
    shadows = shadow_stats(prepared, forget, n_shadows, progress)
    fresh = fresh_margins(prepared, {k: r.model for k, r in comparison.methods.items()})
    out = {}
    for name, res in comparison.methods.items():
        q = res.certificate.margins
        s = np.array([statistic(q, l, retain) for l in forget])
        pairs = [log_likelihood_ratio(s_l, st.fit_in, st.fit_out) for s_l, st in
                 zip(s, shadows)]
        log_lr, p = (np.array(col) for col in zip(*pairs))
        out[name] = MethodAudit(
            s=s, log_lr=log_lr, p_member=p,
            auc=None if fresh is None else auc(q[forget], fresh[name]),
            auc_retained=None if fresh is None else auc(q[retain], fresh[name]))
    return Audit(shadows=shadows, methods=out, n_shadows=int(n_shadows))
