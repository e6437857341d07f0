"""Decision boundaries N(W; x) = 0 and the plane of input space the data view draws.

For 2-D data the plane is the data's own (x1, x2). For higher-dimensional data the view
projects the points on two orthonormal directions that show the classifier: the first
principal component of the data, and the trained model's input gradient grad_x N averaged
over the data, orthogonalized against it (docs/theory.md §3.1 for N and its gradient).

Models are evaluated on a grid over the plane from their Gram representation
W = s0 W_0 + A X (``core.boundary_kernels.grid_outputs``), and the level set N = 0 is traced
with ``contourpy`` (marching squares, linear interpolation along cell edges).
"""
from dataclasses import dataclass

import contourpy
import numpy as np
from scipy.sparse.linalg import svds

from core.boundary_kernels import grid_outputs
from core.errors import InputError
from core.models import preacts

GRID = 240              # grid nodes per axis (the view asks for at least 200)
MAX_GRID = 2000
PAD = 0.08              # the grid covers the points' box, padded by this share of its size
EIGH_LIMIT = 1500       # dense eigh below this min(n, d); a Lanczos SVD above
NAMES_2D = ("x1", "x2")
PC_NAME = "PC1: first principal component of the data"
GRADIENT_NAME = "mean ∇ₓN: the trained model's input gradient averaged over the data"


@dataclass(frozen=True, eq=False)
class Plane:
    """The plane {o + u e_1 + t e_2} of input space a view shows (orthonormal e_1, e_2)."""

    origin: np.ndarray          # (d,)
    axes: np.ndarray            # (2, d), rows e_1 and e_2
    names: tuple                # what e_1 and e_2 are (for a caption)
    titles: tuple               # short axis titles

    def coordinates(self, X):
        """(u, t) of each row of X: the projections <x - o, e_c>, shape (n, 2)."""
        return (np.asarray(X) - self.origin) @ self.axes.T


@dataclass(frozen=True, eq=False)
class Boundaries:
    """Models evaluated on a grid over a plane, and their level-0 lines."""

    plane: Plane
    gx: np.ndarray              # (nx,) grid along e_1
    gy: np.ndarray              # (ny,) grid along e_2
    values: dict                # name -> (ny, nx) N on the grid, values[name][r, c] at (gx_c, gy_r)
    lines: dict                 # name -> list of (p, 2) polylines where N = 0


def coordinate_plane(dim):
    """The plane of 2-D data: o = 0, e_1 = (1, 0), e_2 = (0, 1)."""
    if dim != 2:
        raise InputError(f"The coordinate plane is for 2-D data, not dim={dim}.")
    return Plane(np.zeros(2), np.eye(2), NAMES_2D, NAMES_2D)


def mean_input_gradient(ctx, model):
    """g = (1/n) sum_i grad_x N(W; x_i) = sum_j (v_j/n) #{i: <w_j, x_i> > 0} w_j, in Gram form.

    With c_j that weight, g = s0 W_0ᵀ c + Xᵀ (Aᵀ c): two products with the data, O((m + n) d).
    The ReLU's slope at 0 is taken as 0 (docs/theory.md §3.1); the linear model gives w.
    """
    Zt = preacts(ctx, model)
    active = (Zt > 0).mean(axis=1) if ctx.is_relu else np.ones(Zt.shape[0])
    c = ctx.v * active
    return model.s0 * (c @ ctx.W0) + (c @ model.A) @ ctx.X


def first_principal_component(X):
    """Unit e maximising sum_i <x_i - mean, e>², signed so its largest entry is positive.

    A dense eigen-decomposition of the smaller Gram matrix (n x n or d x d) when
    min(n, d) <= EIGH_LIMIT, else a Lanczos SVD with a fixed start (deterministic).
    """
    C = np.asarray(X) - np.mean(X, axis=0)
    if not np.any(C):
        raise InputError("All training points are the same: the data have no principal "
                         "component to show.")
    n, d = C.shape
    if min(n, d) <= EIGH_LIMIT:
        if n < d:
            _, vecs = np.linalg.eigh(C @ C.T)
            e = C.T @ vecs[:, -1]
        else:
            _, vecs = np.linalg.eigh(C.T @ C)
            e = vecs[:, -1]
    else:
        _, _, vt = svds(C, k=1, v0=np.ones(min(n, d)) / np.sqrt(min(n, d)))
        e = vt[0]
    e = e / np.linalg.norm(e)
    return e if e[np.argmax(np.abs(e))] > 0 else -e


def _orthogonal_unit(e, g, tol=1e-9):
    """g minus its component along unit e, normalised; None when g is (nearly) parallel to e."""
    r = g - (g @ e) * e
    size = np.linalg.norm(r)
    return r / size if size > tol * max(np.linalg.norm(g), 1e-300) and size > 0 else None


def projection_plane(ctx, model):
    """Plane through 0 with e_1 = PC1 of the data and e_2 = the mean input gradient of
    ``model`` orthogonalized against e_1 (Gram-Schmidt).

    When the gradient vanishes or is parallel to PC1, e_2 is the coordinate axis most
    orthogonal to e_1, and ``names`` says so. Needs dim >= 2.
    """
    d = ctx.X.shape[1]
    if d < 2:
        raise InputError(f"A plane needs at least 2 input dimensions, not dim={d}.")
    e1 = first_principal_component(ctx.X)
    e2 = _orthogonal_unit(e1, mean_input_gradient(ctx, model))
    name2 = f"{GRADIENT_NAME}, orthogonalized against PC1"
    title2 = "mean gradient (orthogonal to PC1)"
    if e2 is None:
        k = int(np.argmin(np.abs(e1)))
        e2 = _orthogonal_unit(e1, np.eye(d)[k])
        name2 = f"coordinate x{k + 1} orthogonalized against PC1 (the mean gradient is " \
                "parallel to PC1 or zero)"
        title2 = f"x{k + 1} (orthogonal to PC1)"
    return Plane(np.zeros(d), np.vstack([e1, e2]), (PC_NAME, name2), ("PC1", title2))


def padded_range(values, pad=PAD):
    """[lo, hi] of the values, widened by ``pad`` of their span on each side (1 if flat)."""
    lo, hi = float(np.min(values)), float(np.max(values))
    span = hi - lo if hi > lo else 1.0
    return lo - pad * span, hi + pad * span


def _check(models, resolution, pad):
    if not models:
        raise InputError("Give at least one model to draw a decision boundary of.")
    if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)) \
            or not 2 <= resolution <= MAX_GRID:
        raise InputError(f"The grid resolution must be an integer from 2 to {MAX_GRID}, "
                         f"not {resolution!r}.")
    if not np.isfinite(pad) or pad < 0:
        raise InputError(f"The padding must be a finite number >= 0, not {pad!r}.")


def grid_values(ctx, models, plane, x_range, y_range, resolution=GRID):
    """N(W_k; o + u e_1 + t e_2) on a resolution x resolution grid, for each GramModel.

    Returns (gx, gy, Z) with Z of shape (len(models), ny, nx), Z[k, r, c] at (gx_c, gy_r).
    """
    _check(models, resolution, 0.0)
    basis = np.vstack([plane.origin, plane.axes])                   # (3, d)
    if basis.shape[1] != ctx.X.shape[1]:
        raise InputError(f"The plane lives in {basis.shape[1]} dimensions, the data in "
                         f"{ctx.X.shape[1]}.")
    gx = np.linspace(*x_range, resolution)
    gy = np.linspace(*y_range, resolution)
    s0 = np.array([float(mdl.s0) for mdl in models])
    A = np.ascontiguousarray(np.stack([mdl.A for mdl in models]), dtype=np.float64)
    P0 = np.ascontiguousarray(ctx.W0 @ basis.T)
    PX = np.ascontiguousarray(ctx.X @ basis.T)
    out = np.empty((len(models), resolution, resolution))
    grid_outputs(s0, A, P0, PX, ctx.v, ctx.is_relu, gx, gy, out)
    return gx, gy, out


def level_lines(gx, gy, Z, level=0.0):
    """Polylines (each (p, 2): u, t) where the grid function Z crosses ``level``.

    Marching squares (contourpy): a node counts as above when Z > level; a closed line
    repeats its first point at the end.
    """
    gen = contourpy.contour_generator(x=gx, y=gy, z=Z, line_type=contourpy.LineType.Separate)
    return [np.asarray(line) for line in gen.lines(level) if len(line) >= 2]


def decision_boundaries(ctx, models, plane=None, resolution=GRID, pad=PAD):
    """Every model's values on one grid over the plane and its decision boundary N = 0.

    Parameters
    ----------
    ctx : GramContext
    models : dict name -> GramModel (W = s0 W_0 + A X)
    plane : Plane, default the coordinate plane (2-D data)
    resolution : int, grid nodes per axis
    pad : float, margin around the points' box, as a share of its size

    Returns
    -------
    Boundaries
    """
    _check(models, resolution, pad)
    plane = coordinate_plane(ctx.X.shape[1]) if plane is None else plane
    uv = plane.coordinates(ctx.X)
    gx, gy, Z = grid_values(ctx, list(models.values()), plane, padded_range(uv[:, 0], pad),
                            padded_range(uv[:, 1], pad), resolution)
    values = dict(zip(models, Z))
    return Boundaries(plane, gx, gy, values,
                      {name: level_lines(gx, gy, z) for name, z in values.items()})
