"""The ``unlearn`` options that pick methods, their hyperparameters and the membership audit
(docs/cli.md), and the audit's lines of the text report.
"""
import json

from core import registry
from core.errors import InputError
from core.options import DEFAULT_SHADOWS, MAX_FLOOR, MAX_ULIRA, RELEARN_CAP
from core.registry import label
from core.report import mia_verdict
from core.validate import check_integer

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
    --shadows, --floor, --ulira, --relearn."""
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
    p("--damping", type=float, help="gamma of the newton step (default: the L2 weight at "
                                    "which theta^ is optimal, Guo et al.; 0: pseudo-inverse)")
    p("--method-opts", metavar="JSON", help=OPTS_HELP)
    p("--mia", action="store_true", help="membership-inference audit (LiRA-style shadows)")
    p("--shadows", type=int, default=DEFAULT_SHADOWS,
      help=f"shadow pairs K of the audit (default {DEFAULT_SHADOWS}; 2 K trainings)")
    p("--floor", type=int, metavar="K", help="retraining's noise floor: K retrainings from "
      "other seeds, and each method's verdict within/outside it (docs/theory.md §3.9)")
    p("--ulira", type=int, metavar="K", help="U-LiRA unlearning attack with K shadow and K "
      "target pairs (4 K trainings; Hayes et al. 2024)")
    p("--relearn", action="store_true", help="count the GD steps until the forgotten points' "
      f"margins are back (capped at {RELEARN_CAP})")


def check_evidence(args):
    """--floor and --ulira checked before any training (InputError naming the option)."""
    if args.floor is not None:
        check_integer("--floor", args.floor, 2, MAX_FLOOR)
    if args.ulira is not None:
        check_integer("--ulira", args.ulira, 2, MAX_ULIRA)


def evidence(args, comparison, method_params):
    """(floor, ulira, relearn) asked for by --floor, --ulira and --relearn (None if not)."""
    from core.evidence import gather

    found = gather(comparison, args.floor, args.ulira, args.relearn, method_params)
    return found.floor, found.ulira, found.relearn


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
    """The text report's membership-audit table, per forgotten point (from the JSON result),
    with what its numbers mean and a one-line verdict."""
    methods = {name: m for name, m in result["methods"].items() if "mia" in m}
    if not methods:
        return []
    first = next(iter(methods.values()))["mia"]
    lines = ["", f"membership audit ({first['shadows']} shadow pairs per forgotten point; "
                 "s = the point's margin over the retained margins' root mean square; "
                 "log_lr = log N(s; IN) - log N(s; OUT), large negative: far from every "
                 "IN shadow; p_member = 1 / (1 + e^-log_lr))"]
    for i, point in enumerate(result["forget"]):
        lines.append(f" point {point}: IN s = {first['in_mean'][i]:.4g} +- "
                     f"{first['in_std'][i]:.3g} ({first['shadows_in'][i]} shadows), "
                     f"OUT s = {first['out_mean'][i]:.4g} +- {first['out_std'][i]:.3g} "
                     f"({first['shadows_out'][i]})")
        for name, m in methods.items():
            mia = m["mia"]
            s, llr, p = (_fmt(mia[key][i]) for key in ("s", "log_lr", "p_member"))
            lines.append(f"  {label(name):16s} s {s:>9s}  log_lr {llr:>10s}  "
                         f"p_member {p:>7s}")
    if "auc" in first:
        lines.append(" AUC of the margin, forget set vs fresh non-members (1: the forgotten "
                     "points score above every fresh point, as members do): " + ", ".join(
                         f"{label(name)} {_fmt(m['mia']['auc'])}" for name, m in methods.items()))
    lines.append(" verdict: " + mia_verdict(
        {name: max(m["mia"]["p_member"], key=lambda p: -1 if p is None else p)
         for name, m in methods.items()}))
    return lines


def evidence_lines(result):
    """The text report's lines on the floor, U-LiRA and relearning (from the JSON result)."""
    lines, methods = [], result["methods"]
    if "floor" in result:
        fl = result["floor"]
        parts = [f"{m} {fl[m]['mean']:.3g} [{fl[m]['min']:.3g}, {fl[m]['max']:.3g}]"
                 for m in ("cosine_to_retrain", "eps_rel", "margin_distance_to_retrain",
                           "test_disagreement") if m in fl]
        lines += ["", f"retraining's floor (k = {fl['k']}; {fl['note']}): " + "; ".join(parts)]
        for name, m in methods.items():
            worst = max(m["floor_ratio"].items(), key=lambda kv: float("inf") if kv[1] is None
                        else kv[1], default=None)
            how = "within the floor" if m["within_floor"] else (
                f"outside: {worst[0]} " + ("with a floor of 0" if worst[1] is None else
                                           f"{worst[1]:.3g}x the floor's largest"))
            lines.append(f"  {label(name):16s} {how}")
    if any("ulira" in m for m in methods.values()):
        lines += ["", "U-LiRA (0.5: indistinguishable from retraining, 1: the forgotten points "
                      "are visible): AUC [95% interval], TPR at 1% FPR"]
        for name, m in methods.items():
            u = m["ulira"]
            lines.append(f"  {label(name):16s} " + (u["error"] if "error" in u else
                         f"{u['auc']:.3f} [{u['auc_low']:.3f}, {u['auc_high']:.3f}], "
                         f"{u['tpr_at_1fpr']:.3f} (k = {u['k']})"))
    if any("relearn_steps" in m for m in methods.values()):
        lines += ["", "relearning: GD steps until the forgotten margins are back (retraining's "
                      "count is the reference; far fewer: the point was hidden, not removed)"]
        lines += [f"  {label(name):16s} {m['relearn_steps']}"
                  + ("" if m["relearn_reached"] else " (not reached: the cap)")
                  for name, m in methods.items()]
    return lines


def _fmt(x):
    return "n/a" if x is None else f"{x:.4g}"
