"""Linear and two-layer ReLU models (docs/theory.md §3.1) and their Gram representation (3.2).

Every model the app handles is W = s0 W_0 + A X over the training inputs X, with W_0 the
initialisation (zero for the linear model). ``GramContext`` holds what one data set and
one initialisation share (K = X Xᵀ, Z0t = W_0 Xᵀ, ...); ``GramModel`` is (s0, A). Margins,
norms, inner products and certificates then cost O(n² m), whatever d is.
"""
from dataclasses import dataclass

import numpy as np

from core.errors import InputError
from core.kernels import model_outputs


def output_weights(width):
    """v_j = +1/sqrt(m) for j < m/2, -1/sqrt(m) otherwise (docs/theory.md §2)."""
    j = np.arange(width)
    return np.where(j < width / 2, 1.0, -1.0) / np.sqrt(width)


def forward(W, X, v, is_relu):
    """N(W; x_i) = sum_j v_j sigma(<w_j, x_i>) for every row x_i of X (primal, NumPy)."""
    Z = np.asarray(X) @ np.asarray(W).T
    return (np.maximum(Z, 0.0) if is_relu else Z) @ v


def output_gradient(W, x, v, is_relu):
    """dN/dw_j = v_j sigma'(<w_j, x>) x with sigma'(0) := 0 (docs/theory.md §3.1); shape of W."""
    z = W @ x
    slope = (z > 0).astype(float) if is_relu else np.ones_like(z)
    return np.outer(v * slope, x)


def init_weights(width, dim, init_scale, seed, is_relu):
    """W_0 with entries N(0, s²/d) for the ReLU net (seeded), zeros (1 x d) for linear."""
    if not is_relu:
        return np.zeros((1, dim))
    rng = np.random.default_rng([seed, 1])    # a stream apart from the data's
    return rng.normal(0.0, init_scale / np.sqrt(dim), size=(width, dim))


@dataclass(frozen=True, eq=False)
class GramContext:
    """What models on one data set and one initialisation share (treat as read-only).

    The arrays are not flagged read-only: Numba would compile a second signature.
    """

    X: np.ndarray           # (n, d) training inputs
    y: np.ndarray           # (n,) labels in {-1, +1}
    v: np.ndarray           # (m,) fixed output weights
    is_relu: bool
    W0: np.ndarray          # (m, d) initialisation
    K: np.ndarray           # (n, n) X Xᵀ
    Z0t: np.ndarray         # (m, n) W0 Xᵀ
    w0_row_sq: np.ndarray   # (m,) ||w0_j||²
    X_test: np.ndarray | None = None
    y_test: np.ndarray | None = None

    @property
    def n_samples(self):
        """n, the number of training points."""
        return self.X.shape[0]

    @property
    def width(self):
        """m, the number of hidden neurons (1 for the linear model)."""
        return self.v.shape[0]

    def subset(self, index):
        """The context of the training points ``index``: slices of K and Z0t, same W_0."""
        index = np.asarray(index)
        sub = GramContext(X=self.X[index], y=self.y[index], v=self.v, is_relu=self.is_relu,
                          W0=self.W0, K=np.ascontiguousarray(self.K[np.ix_(index, index)]),
                          Z0t=np.ascontiguousarray(self.Z0t[:, index]),
                          w0_row_sq=self.w0_row_sq, X_test=self.X_test, y_test=self.y_test)
        return sub


def build_context(X, y, W0, v, is_relu, X_test=None, y_test=None):
    """GramContext with K = X Xᵀ and Z0t = W0 Xᵀ computed once (O(n² d + n m d))."""
    X = np.ascontiguousarray(X, dtype=np.float64)
    W0 = np.ascontiguousarray(W0, dtype=np.float64)
    ctx = GramContext(X=X, y=np.ascontiguousarray(y, dtype=np.float64),
                      v=np.ascontiguousarray(v, dtype=np.float64), is_relu=bool(is_relu),
                      W0=W0, K=np.ascontiguousarray(X @ X.T), Z0t=np.ascontiguousarray(W0 @ X.T),
                      w0_row_sq=np.einsum("jk,jk->j", W0, W0), X_test=X_test, y_test=y_test)
    return ctx


@dataclass(frozen=True, eq=False)
class GramModel:
    """W = s0 W_0 + A X: the scale of the initialisation and coefficients A (m x n)."""

    s0: float
    A: np.ndarray

    def scaled(self, c):
        """c W: both parts scale (the models are 1-homogeneous)."""
        return GramModel(self.s0 * c, self.A * c)


def embed(model, index, n_samples):
    """A model on points ``index`` written over all n_samples columns (zeros elsewhere)."""
    A = np.zeros((model.A.shape[0], n_samples))
    A[:, np.asarray(index)] = model.A
    return GramModel(model.s0, A)


def preacts(ctx, model):
    """Zt = W Xᵀ = s0 Z0t + A K, shape (m, n)."""
    return np.ascontiguousarray(model.s0 * ctx.Z0t + model.A @ ctx.K)


def outputs_from_preacts(ctx, Zt):
    """N_i = sum_j v_j sigma(Zt_ji) (the Numba kernel, one source of truth)."""
    out = np.empty(Zt.shape[1])
    model_outputs(np.ascontiguousarray(Zt), ctx.v, ctx.is_relu, out)
    return out


def margins(ctx, model):
    """q_i = y_i N(W; x_i) for every training point."""
    return ctx.y * outputs_from_preacts(ctx, preacts(ctx, model))


def inner(ctx, m1, m2):
    """<W1, W2>_F = s1 s2 ||W0||² + s1 <A2, Z0t> + s2 <A1, Z0t> + <A1, A2 K>."""
    return float(m1.s0 * m2.s0 * ctx.w0_row_sq.sum() + m1.s0 * np.sum(m2.A * ctx.Z0t)
                 + m2.s0 * np.sum(m1.A * ctx.Z0t) + np.sum(m1.A * (m2.A @ ctx.K)))


def norm(ctx, model):
    """||W||_F from the Gram form."""
    return float(np.sqrt(max(inner(ctx, model, model), 0.0)))


def row_norms(ctx, model, Zt=None):
    """||w_j||, using ||w_j||² = s0²||w0_j||² + s0 <A_j, Z0t_j> + <A_j, Zt_j>."""
    Zt = preacts(ctx, model) if Zt is None else Zt
    sq = model.s0 ** 2 * ctx.w0_row_sq + np.sum(model.A * (model.s0 * ctx.Z0t + Zt), axis=1)
    return np.sqrt(np.maximum(sq, 0.0))


def cosine(ctx, m1, m2):
    """<W1, W2> / (||W1|| ||W2||) on the flattened parameters."""
    denom = norm(ctx, m1) * norm(ctx, m2)
    return float(inner(ctx, m1, m2) / denom) if denom > 0 else float("nan")


def weights(ctx, model):
    """The explicit W = s0 W_0 + A X (m x d); O(m n d)."""
    return model.s0 * ctx.W0 + model.A @ ctx.X


def test_accuracy(ctx, model):
    """Fraction of test points with y N(W; x) > 0; None without a test set."""
    pred = test_predictions(ctx, model)
    return None if pred is None else float(np.mean(pred == ctx.y_test))


def test_predictions(ctx, model):
    """sign N(W; x) on the test set; None without one."""
    if ctx.X_test is None:
        return None
    return np.sign(forward(weights(ctx, model), ctx.X_test, ctx.v, ctx.is_relu))


def rescale_to_unit_margin(ctx, model, index=None):
    """W / min_i q_i over ``index`` (all points if None), so that min margin is 1 (3.4).

    Raises InputError when min q <= 0: the model does not separate those points.
    """
    q = margins(ctx, model)
    q = q if index is None else q[np.asarray(index)]
    q_min = float(q.min())
    if not np.isfinite(q_min) or q_min <= 0:
        raise InputError(    # q_min + 0.0: -0.0 prints as "0", never "-0"
            f"The model does not separate the data (min margin {q_min + 0.0:.3g} <= 0): "
            "use separable data, more steps, a larger width, or n < d.")
    return model.scaled(1.0 / q_min), q_min

