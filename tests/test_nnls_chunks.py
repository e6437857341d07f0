"""The certificate solver in chunks (core.kkt.solve_in_chunks, solve_face_in_chunks): the
same result as one ``nnls_blocks`` (``solve_face``) call bit for bit, progress between
chunks, and a stop on Cancelled."""
import numpy as np
import pytest

from core import kkt
from core.errors import Cancelled
from core.kkt import certify, solve_face_in_chunks, solve_in_chunks
from core.kkt_kernels import clarke_system
from core.models import build_context
from core.nnls_kernels import (
    NNLS_CONVERGED,
    NNLS_MAX_SWEEPS,
    NNLS_UNBOUNDED,
    BlockGram,
    nnls_blocks,
    solve_face,
    solver_options,
)
from core.train import train
from tests import naive


def relu_system(n, d, m, kappa, seed):
    """The Clarke system of a random ReLU net (kink band kappa) on Gaussian data."""
    X, y = naive.gaussian_data(n, d, seed)
    rng = np.random.default_rng([seed, 7])
    W, v = rng.standard_normal((m, d)), naive.output_weights(m)
    kink, _ = naive.kink_and_active(W, X, True, kappa, np.ones(n, bool))
    return clarke_system(np.ascontiguousarray(W @ X.T), np.ascontiguousarray(X @ X.T), y, v,
                         True, kink, np.ones(n, bool))


def dense_system(G, h):
    """The BlockGram of a dense problem without mu (as ``nnls_gram`` builds it)."""
    p, none = h.shape[0], np.zeros(0, dtype=np.int64)
    return BlockGram(np.ascontiguousarray(G), np.zeros((0, 0)), np.zeros((0, p)), np.zeros(0),
                     h, np.zeros(1, dtype=np.int64), none, none, np.arange(p), none)


def ill_conditioned(p, seed):
    rng = np.random.default_rng(seed)
    Q = np.linalg.qr(rng.standard_normal((p, p)))[0]
    G = Q @ np.diag(np.logspace(0, -8, p)) @ Q.T
    return dense_system(G, G @ np.abs(rng.standard_normal(p)) + 1e-3)


CASES = {
    "relu, bounded": (lambda: relu_system(12, 30, 7, 0.3, 1), dict(bounded=True)),
    "relu, mu unbounded": (lambda: relu_system(12, 30, 7, 0.3, 2), dict(bounded=False)),
    "relu, no kink band": (lambda: relu_system(10, 40, 5, 0.0, 3), dict(bounded=True)),
    "dense, exact solves": (lambda: ill_conditioned(8, 5), dict(check_unbounded=True)),
    "dense, unbounded": (lambda: dense_system(np.array([[1.0, -1.0], [-1.0, 1.0]]),
                                              np.ones(2)), dict(check_unbounded=True)),
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("max_sweeps", [3, 40, 20000])
@pytest.mark.parametrize("per_chunk", [1, 2, 7, 100000])
def test_chunked_solve_is_the_one_call_solve_bit_for_bit(case, max_sweeps, per_chunk):
    build, flags = CASES[case]
    system = build()
    options = solver_options(1e-12, max_sweeps, **flags)
    whole = nnls_blocks(system, options)
    seen = []
    chunked = solve_in_chunks(system, options, per_chunk, lambda *args: seen.append(args))
    np.testing.assert_array_equal(chunked.x, whole.x)
    assert (chunked.status, chunked.sweeps, chunked.violation) == (
        whole.status, whole.sweeps, whole.violation)
    assert all(total == max_sweeps for _, total in seen)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert not seen or seen[-1][0] <= whole.sweeps        # no call after the last chunk


def test_the_cases_reach_every_ending():
    """The cases above end by convergence, by the budget, by the ray test, and after failed
    exact solves (more than 10 sweeps), so the state carried across chunks is exercised."""
    endings = set()
    for build, flags in CASES.values():
        result = nnls_blocks(build(), solver_options(1e-12, 20000, **flags))
        endings.add(result.status)
        endings.add("long" if result.sweeps > 20 else "short")
    assert {NNLS_CONVERGED, NNLS_UNBOUNDED, "long"} <= endings
    capped = nnls_blocks(ill_conditioned(8, 5), solver_options(1e-12, 3, check_unbounded=True))
    assert capped.status == NNLS_MAX_SWEEPS


def test_a_sweep_with_an_exact_solve_is_a_chunk_of_its_own():
    """Large chunks still stop right before and right after the sweeps that solve the face
    exactly (10, then 20, 35, ... by default)."""
    system, options = ill_conditioned(8, 5), solver_options(1e-12, 20000, check_unbounded=True)
    assert nnls_blocks(system, options).sweeps > 20
    seen = []
    solve_in_chunks(system, options, 100000, lambda done, total: seen.append(done))
    assert sorted(set(seen))[:4] == [9, 10, 19, 20]
    assert seen.count(10) >= 2            # before and after the exact solve of sweep 10


@pytest.mark.parametrize("case", ["relu, bounded", "relu, mu unbounded"])
@pytest.mark.parametrize("chunk_work", [1, 1e4, 1e12])
def test_the_face_solve_in_chunks_is_solve_face_bit_for_bit(monkeypatch, case, chunk_work):
    """On the iterates after 3 and 12 sweeps (tied, free and zero mu's), with one block a
    call up to all blocks in one call."""
    monkeypatch.setattr(kkt, "FACE_CHUNK_WORK", chunk_work)
    build, flags = CASES[case]
    system = build()
    assert system.block_start.shape[0] > 3
    calls = []
    for sweeps in (3, 12):
        x = nnls_blocks(system, solver_options(1e-12, sweeps, **flags)).x
        calls.clear()
        x_new, ok = solve_face_in_chunks(system, x, flags["bounded"], lambda: calls.append(1))
        x_ref, ok_ref = solve_face(system, x, flags["bounded"])
        assert ok == ok_ref
        np.testing.assert_array_equal(x_new, x_ref)
        if chunk_work == 1 and ok:
            assert len(calls) == 2 * (system.block_start.shape[0] - 1)


def test_a_cancel_during_the_face_solve_stops_it(monkeypatch):
    monkeypatch.setattr(kkt, "FACE_CHUNK_WORK", 1)
    system = relu_system(12, 30, 7, 0.3, 1)
    x = nnls_blocks(system, solver_options(1e-12, 3, bounded=True)).x
    calls = []

    def stop():
        calls.append(1)
        raise Cancelled("stop")

    with pytest.raises(Cancelled):
        solve_face_in_chunks(system, x, True, stop)
    assert calls == [1]


def test_a_progress_that_raises_cancelled_stops_the_solver():
    system, options = ill_conditioned(8, 5), solver_options(1e-12, 20000, check_unbounded=True)
    calls = []

    def stop(done, total):
        calls.append(done)
        raise Cancelled("stop")

    with pytest.raises(Cancelled):
        solve_in_chunks(system, options, 1, stop)
    assert calls == [1]


def relu_model(n=30, d=80, m=20, seed=0):
    X, y = naive.gaussian_data(n, d, seed)
    W0, v = naive.relu_init(m, d, 1e-3, seed + 1), naive.output_weights(m)
    ctx = build_context(X, y, W0, v, True)
    return ctx, train(ctx, steps=60).params


def test_certify_reports_progress_and_gives_the_same_certificate(monkeypatch):
    ctx, model = relu_model()
    whole = certify(ctx, model, kink_tol=0.3)
    monkeypatch.setattr(kkt, "NNLS_CHUNK_WORK", 1)          # one sweep a chunk
    seen = []
    chunked = certify(ctx, model, kink_tol=0.3, progress=lambda *args: seen.append(args))
    done = {d for d, _ in seen}
    assert set(range(1, chunked.sweeps)) <= done <= set(range(1, chunked.sweeps + 1))
    assert chunked.sweeps > 1
    np.testing.assert_array_equal(chunked.lam, whole.lam)
    np.testing.assert_array_equal(chunked.mu, whole.mu)
    assert (chunked.eps, chunked.status, chunked.sweeps) == (whole.eps, whole.status,
                                                              whole.sweeps)


def test_a_certificate_stops_when_its_progress_raises_cancelled(monkeypatch):
    ctx, model = relu_model()
    monkeypatch.setattr(kkt, "NNLS_CHUNK_WORK", 1)
    calls = []

    def stop(done, total):
        calls.append(done)
        raise Cancelled("stop")

    with pytest.raises(Cancelled):
        certify(ctx, model, kink_tol=0.3, progress=stop)
    assert calls == [1]
