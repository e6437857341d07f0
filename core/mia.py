"""Membership-inference audit of unlearning (LiRA style, Carlini et al. 2022), computed on ask.

Per forgotten point l, K shadow pairs are trained with the scenario's settings on a set T_k
with (IN) and without (OUT) x_l. Generated data: T_k is a fresh draw of n - 1 points from the
generator (seeded per k), so an IN shadow has the target's n points. Uploaded or preset
data: T_k is a random half, floor((n - 1) / 2), of the other points, as LiRA does: the
shadows must differ from each other and from the target, and half keeps each of them as
close to the target's size as that allows (the normalized statistic absorbs the scale).
W_0 of a shadow is drawn with its own seed; data and W_0 seeds come from
``default_rng([seed, 3, k])``, a stream apart from the data's, W_0's and the lift's.

The statistic is the normalized margin s(theta) = q_l(theta) / min_{i in T} q_i(theta) with T
the training points other than the forgotten ones (T_k for both shadows, R for the methods'
models): the same reference set for IN, OUT and the audited model. (With l inside T an IN
shadow's s could never fall below 1 while the audited model, certified on R, can.) Gaussians
fitted to the IN and OUT values (maximum likelihood) give log_lr = log N(s; IN) - log N(s;
OUT) and p_member = 1 / (1 + e^{-log_lr}) for every method's model.

Population level, for generated data: the AUC of the margin q separating the forget set
(and the retained set) from fresh non-members drawn from the generator.
"""
import hashlib
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass

import numpy as np

from core.compare import context_for, load_dataset, load_raw, train_options
from core.data import generate, make_dataset
from core.errors import InputError
from core.models import embed, margins, outputs_from_preacts
from core.options import DEFAULT_SHADOWS
from core.train import train
from core.validate import check_integer

MAX_SHADOWS = 256
MIA_STREAM = 3          # default_rng([seed, 3, k]): shadow seeds
N_FRESH = 500           # fresh non-members for the population AUC
STD_FLOOR = 1e-12       # a Gaussian fit never has deviation 0
WORKERS = 2             # threads over the nogil training kernels
_CACHE, _CACHE_SIZE, _LOCK = {}, 64, threading.Lock()


@dataclass(frozen=True, eq=False)
class ShadowStats:
    """The IN and OUT statistics of one forgotten point over K shadow pairs."""

    index: int
    s_in: np.ndarray        # (K,) s of the IN shadows
    s_out: np.ndarray       # (K,) s of the OUT shadows
    fresh: bool             # T_k drawn from the generator (else a subset of the data)
    subset_size: int        # |T_k|

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

    s: np.ndarray           # (|F|,) the model's statistic (nan where min_R q <= 0)
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


def normalized_margin(q, index, reference):
    """s = q_index / min_{i in reference} q_i; nan when that minimum is <= 0."""
    q_min = float(np.min(q[reference]))
    return q[index] / q_min if q_min > 0 else np.nan


def shadow_seed(scenario, k):
    """Seed of shadow pair k (its data draw and W_0)."""
    return int(np.random.default_rng([scenario.seed, MIA_STREAM, k]).integers(2**31 - 1))


def fresh_seed(scenario):
    """Seed of the fresh non-members: ``default_rng([seed, 4])``, apart from the shadows'."""
    return int(np.random.default_rng([scenario.seed, MIA_STREAM + 1]).integers(2**31 - 1))


def can_draw(scenario):
    """True when the data come from a generator (fresh points can be drawn)."""
    return not scenario.data_file and not scenario.is_preset


def _pair_data(prepared, index, k, x_raw):
    """(Dataset with x_l last, size of T_k) for shadow pair k of point ``index``."""
    sc, n = prepared.scenario, prepared.ctx.n_samples
    seed = shadow_seed(sc, k)
    if can_draw(sc):
        raw = generate(sc.data, n - 1, sc.dim, seed, mu_norm=sc.mu_norm, n_test=0)
        x_l, y_l = x_raw[index], prepared.dataset.y[index]
        data = make_dataset(np.vstack([raw.X, x_l]), np.append(raw.y, y_l))
        return load_dataset(sc, data), n - 1
    others = np.delete(np.arange(n), index)
    size = (n - 1) // 2
    pick = np.random.default_rng([seed, index]).choice(others, size, replace=False)
    rows = np.append(np.sort(pick), index)
    return make_dataset(prepared.dataset.X[rows], prepared.dataset.y[rows]), size


def shadow_pair(prepared, index, k, x_raw=None):
    """(s_IN, s_OUT, |T_k|): one IN and one OUT shadow trained on T_k with and without x_l.

    ``x_raw``: the target's inputs before preprocessing (generated data; loaded if None).
    """
    sc = prepared.scenario
    if x_raw is None and can_draw(sc):
        x_raw = load_raw(sc).X
    data, size = _pair_data(prepared, index, k, x_raw)
    ctx = context_for(sc.replace(seed=shadow_seed(sc, k)), data)
    options = train_options(sc, data)
    T = np.arange(size)
    s_in = normalized_margin(margins(ctx, train(ctx, **options).params), size, T)
    out = train(ctx.subset(T), **options).params
    s_out = normalized_margin(margins(ctx, embed(out, T, size + 1)), size, T)
    return s_in, s_out, size


def _cache_key(prepared, index, n_shadows):
    digest = hashlib.sha1(prepared.dataset.X.tobytes() + prepared.dataset.y.tobytes())
    return prepared.scenario, digest.hexdigest(), int(index), int(n_shadows)


def shadow_stats(prepared, forget, n_shadows=DEFAULT_SHADOWS, progress=None):
    """ShadowStats per point of ``forget``: K pairs each, over WORKERS threads, cached.

    ``progress(done, total)`` is called after each pair (it may raise to cancel).
    Raises InputError when fewer than 2 shadows of a kind separate their data.
    """
    check_integer("shadows", n_shadows, 2, MAX_SHADOWS)
    todo = [l for l in forget if _cache_key(prepared, l, n_shadows) not in _CACHE]
    jobs = [(l, k) for l in todo for k in range(n_shadows)]
    results = {l: [] for l in todo}
    x_raw = load_raw(prepared.scenario).X if jobs and can_draw(prepared.scenario) else None
    if jobs:
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            futures = {pool.submit(shadow_pair, prepared, l, k, x_raw): l for l, k in jobs}
            try:
                for done, fut in enumerate(as_completed(futures), 1):
                    results[futures[fut]].append(fut.result())
                    if progress is not None:
                        progress(done, len(jobs))
            except BaseException:
                for fut in futures:
                    fut.cancel()
                raise
    for l in todo:
        s_in, s_out, size = (np.array(col) for col in zip(*results[l]))
        s_in, s_out = s_in[np.isfinite(s_in)], s_out[np.isfinite(s_out)]
        if s_in.size < 2 or s_out.size < 2:
            raise InputError("The membership audit needs shadows that separate their data: "
                             "fewer than 2 did. Use separable data or more steps.")
        stats = ShadowStats(int(l), s_in, s_out, can_draw(prepared.scenario), int(size[0]))
        with _LOCK:
            if len(_CACHE) >= _CACHE_SIZE:
                _CACHE.pop(next(iter(_CACHE)))
            _CACHE[_cache_key(prepared, l, n_shadows)] = stats
    return tuple(_CACHE[_cache_key(prepared, l, n_shadows)] for l in forget)


def auc(members, others):
    """P(member margin > non-member margin) + P(equal) / 2 (the Mann-Whitney AUC)."""
    members, others = np.asarray(members)[:, None], np.asarray(others)[None, :]
    return float(np.mean((members > others) + 0.5 * (members == others)))


def fresh_margins(prepared, models):
    """name -> q on N_FRESH fresh non-members, preprocessed as the target's test rows.

    None when the data are not generated.
    """
    sc, ctx = prepared.scenario, prepared.ctx
    if not can_draw(sc):
        return None
    raw = load_raw(sc)
    fresh = generate(sc.data, N_FRESH, sc.dim, fresh_seed(sc), mu_norm=sc.mu_norm,
                     n_test=0)
    data = load_dataset(sc, make_dataset(raw.X, raw.y, fresh.X, fresh.y))
    Z0f, Kf = ctx.W0 @ data.X_test.T, ctx.X @ data.X_test.T     # Gram form: O(n m) per point
    return {name: data.y_test * outputs_from_preacts(ctx, model.s0 * Z0f + model.A @ Kf)
            for name, model in models.items()}


def audit(comparison, n_shadows=DEFAULT_SHADOWS, progress=None):
    """Audit of every method of a Comparison: shadows, log_lr, p_member and population AUCs."""
    prepared, forget, retain = comparison.prepared, list(comparison.forget), comparison.retain
    shadows = shadow_stats(prepared, forget, n_shadows, progress)
    fresh = fresh_margins(prepared, {k: r.model for k, r in comparison.methods.items()})
    out = {}
    for name, res in comparison.methods.items():
        q = res.certificate.margins
        s = np.array([normalized_margin(q, l, retain) for l in forget])
        pairs = [log_likelihood_ratio(s_l, st.fit_in, st.fit_out) for s_l, st in
                 zip(s, shadows)]
        log_lr, p = (np.array(col) for col in zip(*pairs))
        out[name] = MethodAudit(
            s=s, log_lr=log_lr, p_member=p,
            auc=None if fresh is None else auc(q[forget], fresh[name]),
            auc_retained=None if fresh is None else auc(q[retain], fresh[name]))
    return Audit(shadows=shadows, methods=out, n_shadows=int(n_shadows))
