"""core.train: Gram-space and primal GD against a plain NumPy primal GD (docs/theory.md §3.2)."""
import numpy as np
import pytest

from core.errors import InputError
from core.models import build_context, weights
from core.train import record_schedule, train
from tests import naive

STEPS = 500


def setup(n, d, m, is_relu, seed=0, init_scale=1e-3):
    """(ctx, X, y, W0, v): the test's own data and init, built into a GramContext."""
    X, y = naive.gaussian_data(n, d, seed)
    if is_relu:
        W0, v = naive.relu_init(m, d, init_scale, seed + 100), naive.output_weights(m)
    else:
        W0, v = np.zeros((1, d)), np.ones(1)
    return build_context(X, y, W0, v, is_relu), X, y, W0, v


def relative_error(A, B):
    return np.linalg.norm(A - B) / np.linalg.norm(B)


# (n, d, m, lr): n < d, the smallest case, n >= d. For n = 2, d = 1 the rate is 2, not 8:
# at lr = 8 normalized logistic GD on two 1-D points alternates between the two neurons
# and the map expands rounding errors ~10x a step for a while (any two float64
# implementations, this twin included, then agree only to ~1e-6 mid-run).
SHAPES = [(10, 30, 8, 8.0), (2, 1, 2, 2.0), (12, 4, 3, 8.0)]


@pytest.mark.parametrize("optimizer", ["normalized", "plain"])
@pytest.mark.parametrize("loss", ["exp", "logistic"])
@pytest.mark.parametrize("model", ["relu", "linear"])
@pytest.mark.parametrize("n,d,m,lr", SHAPES)
def test_gram_and_primal_paths_match_numpy_primal_gd(n, d, m, lr, model, loss, optimizer):
    is_relu = model == "relu"
    ctx, X, y, W0, v = setup(n, d, m, is_relu, seed=n + d)
    path, history = naive.gd(X, y, W0, v, is_relu, loss, optimizer == "normalized", lr,
                             STEPS)
    W_twin = path[-1]
    runs = {p: train(ctx, loss=loss, optimizer=optimizer, lr=lr, steps=STEPS, path=p)
            for p in ("gram", "primal")}
    for name, run in runs.items():
        assert run.path == name
        W = weights(ctx, run.params)
        assert relative_error(W, W_twin) < 1e-9, name
        h = run.history
        np.testing.assert_array_equal(h.steps, record_schedule(STEPS))
        np.testing.assert_allclose(h.log_loss, history[h.steps, 1], rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(h.min_margin, history[h.steps, 2], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(h.param_norm, history[h.steps, 3], rtol=1e-9, atol=1e-15)
        assert run.final_loss == pytest.approx(np.exp(history[-1, 1]), rel=1e-8)
    W_gram, W_primal = (weights(ctx, runs[p].params) for p in ("gram", "primal"))
    assert relative_error(W_gram, W_primal) < 1e-9


def test_training_separates_and_grows_the_normalized_margin():
    """Sanity on the default optimizer: min margin > 0 and normalized margin increases."""
    ctx, X, y, W0, v = setup(10, 30, 8, True, seed=1)
    run = train(ctx)
    h = run.history
    assert h.min_margin[-1] > 0
    assert h.normalized_margin[-1] > h.normalized_margin[len(h.steps) // 2] > 0
    q = naive.margins(weights(ctx, run.params), X, y, v, True)
    assert q.min() == pytest.approx(h.min_margin[-1], rel=1e-12)


@pytest.mark.parametrize("n,d,expected", [(10, 30, "gram"), (30, 10, "primal"),
                                          (10, 10, "primal")])
def test_auto_path_is_gram_exactly_when_n_lt_d(n, d, expected):
    ctx = setup(n, d, 4, True)[0]
    assert train(ctx, steps=3).path == expected


def test_snapshots_are_the_iterates():
    """W_0 + A_t X at every recorded step equals the NumPy GD iterate W_t."""
    ctx, X, y, W0, v = setup(6, 20, 5, True, seed=4, init_scale=0.1)
    run = train(ctx, steps=60, record_every=7)
    path, _ = naive.gd(X, y, W0, v, True, "exp", True, 8.0, 60)
    h = run.history
    np.testing.assert_array_equal(h.steps, [0, 7, 14, 21, 28, 35, 42, 49, 56, 60])
    for r, t in enumerate(h.steps):
        np.testing.assert_allclose(W0 + h.snapshots[r] @ X, path[t], rtol=1e-11, atol=1e-14)


def test_chunking_and_progress_do_not_change_the_iterates():
    ctx = setup(8, 25, 6, True, seed=2)[0]
    calls = []
    one = train(ctx, steps=101, chunks=1)
    many = train(ctx, steps=101, chunks=7, progress=lambda done, total: calls.append((done, total)))
    assert one.params.A.tobytes() == many.params.A.tobytes()
    assert one.history.log_loss.tobytes() == many.history.log_loss.tobytes()
    assert len(calls) == 7 and calls[-1] == (101, 101)
    assert all(a[0] < b[0] for a, b in zip(calls, calls[1:]))


@pytest.mark.parametrize("lr", [0.0, -1.0, float("nan"), float("inf")])
def test_lr_must_be_positive(lr):
    ctx = setup(4, 6, 2, True)[0]
    with pytest.raises(InputError, match="lr must be a positive finite number"):
        train(ctx, lr=lr)


@pytest.mark.parametrize("steps", [0, -5, 2.5, True])
def test_steps_must_be_at_least_one(steps):
    ctx = setup(4, 6, 2, True)[0]
    with pytest.raises(InputError, match="steps must be an integer from 1 to"):
        train(ctx, steps=steps)


@pytest.mark.parametrize("option,value,message", [
    ("loss", "hinge", "loss must be one of exp, logistic"),
    ("optimizer", "adam", "optimizer must be one of normalized, plain"),
    ("path", "gpu", "path must be one of auto, gram, primal")])
def test_unknown_training_options(option, value, message):
    ctx = setup(4, 6, 2, True)[0]
    with pytest.raises(InputError, match=message):
        train(ctx, **{option: value})
