"""The ``unlearn`` options that pick methods, their hyperparameters and the membership audit
(docs/cli.md), and the audit's lines of the text report.
"""
import json

from core import registry
from core.errors import InputError
from core.options import DEFAULT_SHADOWS
from core.registry import label

SHORTCUTS = ("k", "eta", "alpha", "damping")

METHODS_HELP = ("methods to run, comma-separated, or all: " + ", ".join(registry.names())
                + f" (default {','.join(registry.default_names())}, exact for the linear "
                "model only; retrain always runs as the reference; --method-file adds more)")
OPTS_HELP = ("hyperparameters per method as JSON, e.g. "
             "'{\"ga_steps\": {\"k\": 20, \"eta\": 0.5}, \"newton\": {\"damping\": 0.1}}'; "
             + "; ".join(f"{m}: {', '.join(registry.get(m).hyperparameters)}"
                         for m in registry.names() if registry.get(m).hyperparameters)
             + ". Overrides --k/--eta/--alpha/--damping")


def add_method_options(parser):
    """--method-file, --methods, --k, --eta, --alpha, --damping, --method-opts, --mia,
    --shadows."""
    p = parser.add_argument
    p("--method-file", metavar="FILE", action="append", default=[],
      help="a Python file that registers methods (core.registry.register; see "
           "examples/half_step.py and docs/api.md); may be given more than once")
    p("--methods", metavar="NAMES", help=METHODS_HELP)
    p("--k", type=int, help="steps of every chosen iterative method (ga_steps 10, "
                            "neggrad_plus 20, finetune and random_label 50 by default)")
    p("--eta", type=float, help="step size of ga_steps and neggrad_plus (default: "
                                "0.25 / ||grad q_F||², see docs/theory.md §3.7)")
    p("--alpha", type=float, help="weight of L_R in neggrad_plus (default 0.9)")
    p("--damping", type=float, help="gamma of the newton step (default 0: pseudo-inverse)")
    p("--method-opts", metavar="JSON", help=OPTS_HELP)
    p("--mia", action="store_true", help="membership-inference audit (LiRA-style shadows)")
    p("--shadows", type=int, default=DEFAULT_SHADOWS,
      help=f"shadow pairs K of the audit (default {DEFAULT_SHADOWS}; 2 K trainings)")


def load_method_files(paths):
    """Register the methods of each ``--method-file`` (core.registry.load_method_file)."""
    for path in paths or ():
        registry.load_method_file(path)


def parse_methods(text, model=None):
    """'ga,newton' -> ('ga', 'newton'); 'all' -> every method for ``model``; None -> None
    (the registry's defaults for the model)."""
    if text is None:
        return None
    return registry.parse_names(text, model, what="--methods")


def method_params_from_args(args, methods):
    """name -> hyperparameters: each shortcut option for every chosen method that has it,
    then --method-opts on top.
    """
    params = {}
    for name in methods:
        takes = registry.get(name).hyperparameters
        given = {key: getattr(args, key) for key in SHORTCUTS
                 if getattr(args, key, None) is not None and key in takes}
        if given:
            params[name] = given
    if args.method_opts:
        try:
            opts = json.loads(args.method_opts)
        except json.JSONDecodeError as err:
            raise InputError(f"--method-opts is not valid JSON ({err.msg}): give an object "
                             "like '{\"ga_steps\": {\"k\": 20}}'.") from None
        if not isinstance(opts, dict) or not all(isinstance(v, dict) for v in opts.values()):
            raise InputError("--method-opts must be a JSON object of objects, "
                             "like '{\"ga_steps\": {\"k\": 20}}'.")
        for name, values in opts.items():
            params[name] = dict(params.get(name, {}), **values)
    tunable = [m for m in registry.names() if registry.get(m).hyperparameters]
    bad = [name for name in params if name not in tunable]
    if bad:
        raise InputError(f"{bad[0]} has no hyperparameters here: --method-opts takes "
                         f"{', '.join(tunable)}.")
    return params


def audit_lines(result):
    """The text report's membership-audit table, per forgotten point (from the JSON result)."""
    methods = {name: m for name, m in result["methods"].items() if "mia" in m}
    if not methods:
        return []
    first = next(iter(methods.values()))["mia"]
    lines = ["", f"membership audit ({first['shadows']} shadow pairs per forgotten point)"]
    for i, point in enumerate(result["forget"]):
        lines.append(f" point {point}: IN s = {first['in_mean'][i]:.4g} +- "
                     f"{first['in_std'][i]:.3g}, OUT s = {first['out_mean'][i]:.4g} +- "
                     f"{first['out_std'][i]:.3g}")
        for name, m in methods.items():
            mia = m["mia"]
            s, llr, p = (_fmt(mia[key][i]) for key in ("s", "log_lr", "p_member"))
            lines.append(f"  {label(name):16s} s {s:>9s}  log_lr {llr:>10s}  "
                         f"p_member {p:>7s}")
    if "auc" in first:
        lines.append(" AUC of the margin, forget set vs fresh points: " + ", ".join(
            f"{label(name)} {_fmt(m['mia']['auc'])}" for name, m in methods.items()))
    return lines


def _fmt(x):
    return "n/a" if x is None else f"{x:.4g}"
