"""U-LiRA, the unlearning attack of Hayes et al. (2024), "Inexact unlearning needs more
careful evaluations to avoid a false sense of privacy" (docs/theory.md §3.9).

Can an attacker tell a model that was trained with the forgotten points and then unlearned
by a method from a model retrained without them? For pair j (2K pairs) a data set T_j ∪ F is
drawn as the membership audit's shadows are (``core.mia.pair_dataset``: fresh draws of the
target's distribution, or random halves of the other points of uploaded data), and two
models are trained with the scenario's settings:

* *unlearned*: trained on T_j ∪ F from W_0 seeded a_j, certified, then unlearned by the
  method (through the registry, so any registered method, a user's own included);
* *retrained*: trained on T_j from W_0 seeded b_j (independent randomness, as LiRA's models).

The statistic of a model is core.mia's s_l = q_l / sqrt(mean_{i in T_j} q_i²) per forgotten
point. The first K pairs are the attacker's shadows: Gaussians fitted per point to the
unlearned and to the retrained statistics. On the other K pairs (the targets) the attacker
scores each model by sum_l log N(s_l; unlearned) - log N(s_l; retrained) and we report the
AUC of that score (unlearned targets against retrained ones) with a 95% stratified
bootstrap interval, and the TPR at 1% FPR. AUC 0.5: unlearned models look like retrained
ones; 1: the forgotten points are still visible. A pair whose training with F does not
separate its data, or on which a method fails, is left out and counted.
"""
from dataclasses import dataclass

import numpy as np

from core.errors import InputError
from core.kkt import certify
from core.memo import Memo, data_key
from core.mia import (
    auc,
    can_draw,
    gaussian_fit,
    gaussian_logpdf,
    pair_dataset,
    run_pairs,
    statistic,
)
from core.models import embed, margins
from core.options import MAX_ULIRA
from core.pipeline import context_for, load_raw, train_options
from core.registry import Task, get
from core.train import train
from core.validate import check_integer

ULIRA_STREAM = 7         # default_rng([seed, 7, j]): the pairs' seeds
N_BOOT = 2000            # bootstrap resamples of the AUC interval
CONFIDENCE = 0.95
FPR = 0.01               # the TPR is reported at this false-positive rate
_ATTACKS = Memo("U-LiRA attacks", 128)


@dataclass(frozen=True, eq=False)
class Attack:
    """The attack on one method: AUC, its interval, TPR at 1% FPR, the target scores."""

    auc: float
    auc_low: float
    auc_high: float
    tpr_at_1fpr: float
    k: int                   # target pairs scored (per side)
    shadows: int             # shadow pairs the Gaussians were fitted on
    unlearned: np.ndarray    # the attacker's scores of the unlearned targets
    retrained: np.ndarray    # ... and of the retrained targets


def pair_seeds(scenario, j):
    """(data seed, W_0 seed of the unlearned model, W_0 seed of the retrained one) of pair j."""
    rng = np.random.default_rng([scenario.seed, ULIRA_STREAM, j])
    return tuple(int(s) for s in rng.integers(2**31 - 1, size=3))


def run_pair(prepared, forget, j, methods, method_params=None, scale=1.0, sequential=False,
             x_raw=None):
    """({method: s per forgotten point, or None if it failed}, retrained s) of pair j, or
    None when the training with F did not separate the pair's data.
    """
    sc = prepared.scenario
    data_seed, seed_a, seed_b = pair_seeds(sc, j)
    data, size = pair_dataset(prepared, forget, data_seed, x_raw)
    T, F = np.arange(size), tuple(range(size, data.n_samples))
    options = train_options(sc, data)
    ctx = context_for(sc.replace(seed=seed_a), data)
    trained = train(ctx, **options).params
    if margins(ctx, trained).min() <= 0:
        return None
    task = Task(ctx=ctx, original=certify(ctx, trained, kink_tol=sc.kink_tol,
                                          active_tol=sc.active_tol),
                forget=F, retain=T, loss=sc.loss, optimizer=sc.optimizer, lr=options["lr"],
                steps=sc.n_steps, scale=float(scale), sequential=bool(sequential),
                kink_tol=sc.kink_tol, active_tol=sc.active_tol)
    unlearned = {}
    for name in methods:
        try:
            q = margins(ctx, get(name).run(task, (method_params or {}).get(name)).model)
        except InputError:            # e.g. a diverging ascent on this pair
            unlearned[name] = None
            continue
        unlearned[name] = np.array([statistic(q, l, T) for l in F])
    ctx_b = context_for(sc.replace(seed=seed_b), data)
    q_b = margins(ctx_b, embed(train(ctx_b.subset(T), **options).params, T, data.n_samples))
    return unlearned, np.array([statistic(q_b, l, T) for l in F])


def score(s, fits_unlearned, fits_retrained):
    """sum_l log N(s_l; unlearned_l) - log N(s_l; retrained_l), per row of ``s`` (k, |F|)."""
    s = np.atleast_2d(s)
    return sum(gaussian_logpdf(s[:, i], *fu) - gaussian_logpdf(s[:, i], *fr)
               for i, (fu, fr) in enumerate(zip(fits_unlearned, fits_retrained)))


def tpr_at_fpr(positives, negatives, fpr=FPR):
    """Largest fraction of positives scored above a threshold that at most a fraction
    ``fpr`` of the negatives exceed (empirical ROC; with fewer than 1/fpr negatives, above
    every negative).
    """
    negatives = np.sort(np.asarray(negatives, float))[::-1]
    allowed = int(np.floor(fpr * negatives.size + 1e-12))
    threshold = negatives[allowed] if allowed < negatives.size else -np.inf
    return float(np.mean(np.asarray(positives, float) > threshold))


def auc_interval(positives, negatives, seed, n_boot=N_BOOT):
    """95% percentile interval of the AUC under a stratified bootstrap (positives and
    negatives resampled apart).
    """
    rng = np.random.default_rng(seed)
    pos, neg = np.asarray(positives, float), np.asarray(negatives, float)
    ip = rng.integers(0, pos.size, (n_boot, pos.size))
    ineg = rng.integers(0, neg.size, (n_boot, neg.size))
    a, b = pos[ip][:, :, None], neg[ineg][:, None, :]
    boot = np.mean((a > b) + 0.5 * (a == b), axis=(1, 2))
    tail = (1.0 - CONFIDENCE) / 2
    return tuple(float(x) for x in np.quantile(boot, [tail, 1.0 - tail]))


def attack(pairs, name, k, seed=0):
    """The Attack on ``name`` from pairs [(unlearned dict, retrained s) or None]: the first
    ``k`` are shadows, the rest targets. Raises InputError with fewer than 2 usable of each.
    """
    def usable(chunk):
        return [(p[0][name], p[1]) for p in chunk if p is not None and p[0][name] is not None]
    shadows, targets = usable(pairs[:k]), usable(pairs[k:])
    if len(shadows) < 2 or len(targets) < 2:
        raise InputError(f"U-LiRA on {name}: only {len(shadows)} shadow and {len(targets)} "
                         f"target pairs of {k} each could be used (training did not separate "
                         "the data, or the method failed): use more pairs or other data.")
    su, sr = (np.array([p[i] for p in shadows]) for i in (0, 1))
    fits_u = [gaussian_fit(su[:, i]) for i in range(su.shape[1])]
    fits_r = [gaussian_fit(sr[:, i]) for i in range(sr.shape[1])]
    pos = score(np.array([p[0] for p in targets]), fits_u, fits_r)
    neg = score(np.array([p[1] for p in targets]), fits_u, fits_r)
    low, high = auc_interval(pos, neg, seed)
    return Attack(auc=auc(pos, neg), auc_low=low, auc_high=high,
                  tpr_at_1fpr=tpr_at_fpr(pos, neg), k=len(targets), shadows=len(shadows),
                  unlearned=pos, retrained=neg)


def _key(prepared, forget, k, name, params, scale, sequential):
    return (data_key(prepared), tuple(forget), int(k), name,
            repr(sorted((params or {}).items())), float(scale), bool(sequential))


@dataclass(frozen=True, eq=False)
class Ulira:
    """U-LiRA of several methods: an Attack per method, and why a method has none."""

    k: int
    attacks: dict            # name -> Attack
    failed: dict             # name -> message (too few usable pairs)


def ulira(prepared, forget, methods, k, method_params=None, scale=1.0, sequential=False,
          progress=None):
    """U-LiRA of ``methods`` with k shadow and k target pairs (2k pairs, each trained twice
    and unlearned by every method), run on the shared executor and cached per method.

    ``progress(done, total)`` after each pair (it may raise core.errors.Cancelled).
    """
    check_integer("ulira", k, 2, MAX_ULIRA)
    method_params = dict(method_params or {})
    keys = {m: _key(prepared, forget, k, m, method_params.get(m), scale, sequential)
            for m in methods}
    todo = [m for m in methods if keys[m] not in _ATTACKS]
    if todo:
        x_raw = load_raw(prepared.scenario).X if can_draw(prepared.scenario) else None
        pairs = run_pairs(lambda j: run_pair(prepared, forget, j, todo, method_params, scale,
                                             sequential, x_raw), range(2 * k), progress)
        for m in todo:
            try:
                result = attack(pairs, m, k, [prepared.scenario.seed, ULIRA_STREAM,
                                              *m.encode()])
            except InputError as err:
                result = str(err)
            _ATTACKS.put(keys[m], result)
    results = {m: _ATTACKS.get(keys[m]) for m in methods}
    return Ulira(k=int(k), attacks={m: r for m, r in results.items() if isinstance(r, Attack)},
                 failed={m: r for m, r in results.items() if isinstance(r, str)})
