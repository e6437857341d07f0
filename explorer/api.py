"""The Python API for notebooks (docs/api.md): scenario, training, forgetting, comparison,
audits and charts in a dozen lines, on the engine the app and the CLI use.

    from explorer import api
    run = api.train(n_samples=40, dim=1000)           # data, GD training, certificate on S
    result = run.forget(5, methods="all")             # every method on R = S \\ {5}
    result.table()                                    # one row per method
    result.audit("membership").table()                # the LiRA-style membership audit
    result.plane_after()                              # an Altair chart

``train`` returns a ``Run`` (a trained, certified model), ``Run.forget`` a ``Result`` (every
method on one forget set), ``Result.audit`` an ``AuditReport``. Every number is the one the
app and ``python -m explorer unlearn`` show for the same scenario and forget list, bit for
bit. Bad input raises ``core.errors.InputError`` with one sentence naming the value.
"""
import inspect
from dataclasses import dataclass, field
from numbers import Integral
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pandas as pd

from core import mia
from core.compare import compare, default_forget, prepare, retrain_model
from core.errors import InputError
from core.options import DEFAULT_SHADOWS
from core.registry import (
    Method,
    MethodOutput,
    Param,
    Task,
    get,
    load_method_file,
    names,
    parse_names,
    register,
)
from core.report import comparison_to_dict, methods_frame, points_frame
from core.scenario import Scenario
from present import charts, data_view, frames, methods_view

__all__ = ["AUDITS", "AuditReport", "InputError", "Method", "MethodOutput", "Param", "Result",
           "Run", "Task", "audit_kinds", "load_method_file", "methods", "open_shared",
           "register", "scenario", "train"]


def scenario(base=None, **fields):
    """A validated ``Scenario``: ``base`` (default ``Scenario()``) with ``fields`` changed.

    The fields are the CLI's scenario options (docs/cli.md) with underscores: model, data,
    n_samples, dim, width, seed, loss, optimizer, lr, steps, data_file, preprocess, lift,
    classes, ... An unknown field or a bad value raises InputError naming it.
    """
    if base is not None and not isinstance(base, Scenario):
        raise InputError(f"base must be a Scenario (from api.scenario), not {base!r}.")
    return Scenario.from_dict({**(base or Scenario()).to_dict(), **fields})


def train(base=None, *, progress=None, **fields):
    """Build the data of ``scenario(base, **fields)``, train the model and certify it on S.

    ``progress(done, total)`` is called between chunks of training and certificate.
    Returns a ``Run``.
    """
    return Run(prepare(scenario(base, **fields), progress=progress))


def methods():
    """Every registered method (built-in or yours): name, label, models, whether it runs
    by default, hyperparameters with their defaults, description."""
    return pd.DataFrame([dict(name=n, label=get(n).label, models=", ".join(get(n).models),
                              default=get(n).default, params=dict(get(n).defaults),
                              description=get(n).description) for n in names()])


def open_shared(source):
    """The ``Result`` a link of the app (its address) or a scenario file ("Share / save ->
    Download scenario", a .json path) shows: its scenario trained, its forget list (or the
    largest-lambda support vector) forgotten with its c and sequential flag."""
    from present.share import from_json, from_query

    text = str(source)
    if text.endswith(".json"):
        path = Path(text).expanduser()
        if not path.is_file():
            raise InputError(f"Scenario file {text!r} does not exist.")
        shared = from_json(path.read_text(encoding="utf-8"))
    else:
        shared = from_query(dict(parse_qsl(urlsplit(text).query or text.lstrip("?"))))
    run = Run(prepare(shared.scenario))
    return run.forget(shared.forget or None, scale=shared.scale, sequential=shared.sequential)


def _indices(points):
    """An index or a sequence of them as a tuple (NumPy integers as ints); the engine checks
    range and repeats."""
    if isinstance(points, Integral):
        points = (points,)
    try:
        return tuple(int(i) if isinstance(i, Integral) else i for i in points)
    except TypeError:
        raise InputError(f"points must be a point index or a list of them, not "
                         f"{points!r}.") from None


class Run:
    """A trained model and its certificate on S (``core.compare.Prepared`` as ``prepared``).

    Attributes: ``scenario``, ``prepared``, ``certificate`` (eps, eps_rel, delta, tau, lam,
    margins of the model rescaled to min margin 1), ``dataset``.
    """

    def __init__(self, prepared):
        self.prepared = prepared
        self._retrained = {}            # forget tuple -> (model, seconds): one retrain each

    scenario = property(lambda self: self.prepared.scenario)
    certificate = property(lambda self: self.prepared.original)
    dataset = property(lambda self: self.prepared.dataset)

    def __repr__(self):
        c, d = self.certificate, self.dataset
        return (f"Run({self.scenario.model}, n={d.n_samples}, d={d.dim}: eps_rel "
                f"{c.eps_rel:.3g}, {c.n_support} support vectors)")

    def default_forget(self):
        """The support vector with the largest lambda (what forget() takes by default)."""
        return default_forget(self.prepared)

    def points(self):
        """Per point: index, label, margin q_i, lam_i, support, kink pairs, forgotten."""
        return points_frame(self.prepared)

    def forget(self, points=None, *, methods=None, params=None, scale=1.0, sequential=False,
               progress=None):
        """Forget ``points`` and compare ``methods`` on the retained set R; a ``Result``.

        Parameters
        ----------
        points : int, sequence of ints (in removal order) or None (``default_forget``)
        methods : None (the defaults), "all", "ga,newton" or a tuple of registered names;
            retrain (the reference) always runs
        params : {method: {hyperparameter: value}} (see ``api.methods()``)
        scale : float, c of the GA step (1: the paper's step)
        sequential : one GA step a point, re-certifying in between
        progress : callable(done, total) or None
        """
        forget = self.default_forget() if points is None else _indices(points)
        if isinstance(methods, str):
            methods = parse_names(methods, self.scenario.model)
        if forget not in self._retrained:
            self._retrained[forget] = retrain_model(self.prepared, forget, progress)
        return Result(self, compare(self.prepared, forget, scale=scale, sequential=sequential,
                                    retrained=self._retrained[forget], methods=methods,
                                    method_params=params, progress=progress))

    def plane(self, presentation=False):
        """The margin-lambda plane of the trained model (Altair)."""
        return charts.margin_lambda_plane(frames.plane_frame(self.prepared),
                                          presentation=presentation)

    def data_view(self, presentation=False):
        """The points in input space (2-D: with the decision boundary), Altair."""
        return data_view.chart(data_view.data_view(self.prepared), presentation=presentation)


@dataclass(frozen=True, eq=False)
class AuditReport:
    """One audit of a Result: the engine's result (``raw``), a table a row per method (and
    forgotten point), and its charts by name (``chart(name, presentation=False, ...)``)."""

    kind: str
    raw: object
    frame: pd.DataFrame
    builders: dict = field(default_factory=dict)

    def table(self):
        """The audit's table (a copy)."""
        return self.frame.copy()

    @property
    def chart_names(self):
        """The charts ``chart`` draws, the first being the default."""
        return tuple(self.builders)

    def chart(self, name=None, presentation=False, **options):
        """Chart ``name`` (default: the first of ``chart_names``), Altair."""
        name = self.chart_names[0] if name is None else name
        if name not in self.builders:
            raise InputError(f"The {self.kind} audit has no chart {name!r}: choose from "
                             f"{', '.join(self.chart_names)}.")
        return self.builders[name](presentation=presentation, **options)


def _membership(result, shadows=DEFAULT_SHADOWS, progress=None):
    """LiRA-style membership audit (core/mia.py): K shadow pairs per forgotten point."""
    raw = mia.audit(result.comparison, shadows, progress)
    comp = result.comparison
    per_point = [methods_view.audit_frames(raw, comp, k) for k in range(len(comp.forget))]
    table = pd.concat([f[2].assign(point=comp.forget[k]) for k, f in enumerate(per_point)],
                      ignore_index=True)

    def parts(point):
        if point not in comp.forget:
            raise InputError(f"point must be a forgotten point ({comp.forget}), not {point!r}.")
        return per_point[comp.forget.index(point)]

    def p_member(presentation=False, point=comp.forget[0]):
        return methods_view.p_member_chart(parts(point)[2], presentation)

    def distribution(presentation=False, point=comp.forget[0]):
        return methods_view.mia_distribution_chart(*parts(point), presentation)

    return AuditReport("membership", raw, table, {"p_member": p_member,
                                                  "distribution": distribution})


# kind -> audit(result, **options) -> AuditReport. A new audit (a noise floor, U-LiRA,
# relearning) is one function and one entry here; Result.audit dispatches by kind.
AUDITS = {"membership": _membership}


def audit_kinds():
    """The audits ``Result.audit`` runs (kind names, in order)."""
    return tuple(AUDITS)


class Result:
    """Every method on one forget set (``core.compare.Comparison`` as ``comparison``).

    ``result["ga"]`` is a method's ``MethodResult`` (``.certificate.eps_rel``,
    ``.cosine_to_retrain``, ``.model``, ...); ``table()`` all of them.
    """

    def __init__(self, run, comparison):
        self.run, self.comparison = run, comparison
        self._audits = {}

    forget = property(lambda self: self.comparison.forget)
    retain = property(lambda self: self.comparison.retain)
    names = property(lambda self: tuple(self.comparison.methods))

    def __getitem__(self, name):
        if name not in self.comparison.methods:
            raise InputError(f"Method {name!r} was not run here: choose from "
                             f"{', '.join(self.names)}.")
        return self.comparison.methods[name]

    def __repr__(self):
        cells = ", ".join(f"{n} {r.certificate.eps_rel:.3g}"
                          for n, r in self.comparison.methods.items())
        return f"Result(forget={self.forget}; eps_rel on R: {cells})"

    def table(self):
        """One row per method: eps, eps_rel, delta, tau, cosine to retrain, cost, params."""
        return methods_frame(self.comparison)

    def to_dict(self):
        """The JSON object of ``python -m explorer unlearn --json`` (docs/cli.md), with
        ``mia`` per method once the membership audit ran (the last one)."""
        membership = [r.raw for (kind, _), r in self._audits.items() if kind == "membership"]
        return comparison_to_dict(self.comparison, membership[-1] if membership else None)

    def audit(self, kind="membership", **options):
        """The audit ``kind`` (``audit_kinds()``) of every method here, an AuditReport;
        computed once per kind and options. Membership options: shadows (K pairs, default
        16), progress."""
        if kind not in AUDITS:
            raise InputError(f"Unknown audit {kind!r}: choose from {', '.join(AUDITS)}.")
        signature = inspect.signature(AUDITS[kind])
        try:
            bound = signature.bind(self, **options)
        except TypeError:
            takes = ", ".join(list(signature.parameters)[1:]) or "no options"
            raise InputError(f"The {kind} audit takes {takes}, not "
                             f"{', '.join(map(repr, options))}.") from None
        bound.apply_defaults()          # the defaults spelled out or not: one report
        key = (kind, tuple((k, v) for k, v in list(bound.arguments.items())[1:]
                           if k != "progress"))
        if key not in self._audits:
            self._audits[key] = AUDITS[kind](self, **options)
        return self._audits[key]

    def _need(self, required, what):
        missing = [n for n in required if n not in self.comparison.methods]
        if missing:
            raise InputError(f"{what} needs the methods {', '.join(required)}: add "
                             f"{', '.join(missing)} to methods.")

    def plane(self, presentation=False):
        """The margin-lambda plane of the trained model, the forgotten points marked."""
        return charts.margin_lambda_plane(frames.plane_frame(self.run.prepared, self.forget),
                                          presentation=presentation)

    def plane_after(self, presentation=False):
        """The plane after one GA step: arrows from before to after, retrained ghosts."""
        self._need(("ga", "retrain"), "plane_after")
        return charts.plane_after(frames.after_frame(self.comparison), presentation=presentation)

    def quality(self, presentation=False):
        """Every method's quality (eps_rel, 1 - cosine to retrain, forgotten margin, test
        accuracy) against its cost in gradient evaluations."""
        chart = methods_view.quality_cost_chart(methods_view.quality_frame(self.comparison),
                                                presentation=presentation)
        if chart is None:
            raise InputError("No method here counts gradient evaluations (the exact SVM "
                             "alone): add a gradient method to methods.")
        return chart

    def data_view(self, presentation=False):
        """The points in input space with the trained, GA and retrained models (2-D: their
        decision boundaries; otherwise a projection, filled by the GA step's margin change)."""
        self._need(("do_nothing", "ga", "retrain"), "data_view")
        return data_view.chart(data_view.data_view(self.run.prepared, self.comparison),
                               presentation=presentation)
