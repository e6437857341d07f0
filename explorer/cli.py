"""Command line: ``python -m explorer unlearn [options] [--json]`` (docs/cli.md),
``sweep`` (one parameter over values and seeds, see core/sweeps/run.py), ``reproduce``
(the paper's claims as figures, CSVs and summary.md, see core/sweeps/reproduce.py),
``slides`` (a 16:9 deck) and ``talk`` (one offline interactive page, present/talk.py).

Bad options or data exit with code 2 and one line on stderr, never a traceback.
"""
import argparse
import json
import sys
from dataclasses import fields
from pathlib import Path

from core.errors import InputError
from core.options import MODELS
from core.registry import resolve
from core.scenario import (
    DATA_KINDS,
    DEFAULT_STEPS,
    LIFT_KINDS,
    LOSSES,
    OPTIMIZERS,
    PREPROCESS,
    STARTS,
    Scenario,
)
from core.validate import check_indices, check_scale, parse_int_list
from explorer.method_cli import (
    add_method_options,
    audit_lines,
    check_evidence,
    evidence,
    evidence_lines,
    load_method_files,
    method_params_from_args,
    parse_methods,
)
from explorer.sweep_cli import add_reproduce_options, add_sweep_options

DEFAULT = Scenario()
ROUND_OFF = 1e-10       # eps_rel below this is float64 round-off (the linear model, c = 1)


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line on stderr and exits with 2."""

    def error(self, message):
        """Print ``error: message (see --help)`` and exit with code 2."""
        self.exit(2, f"error: {message} (see --help)\n")


def add_scenario_options(parser):
    """The scenario options shared by every subcommand; every default is Scenario()'s."""
    p, D = parser.add_argument, DEFAULT
    p("--model", choices=MODELS, help=f"(default {D.model})")
    p("--data", choices=DATA_KINDS, help=f"generator or preset (default {D.data})")
    p("--data-file", metavar="PATH", help="CSV or NPZ file (replaces --data)")
    p("--classes", metavar="A,B", help="two classes of a preset (default: digits 3,8, "
                                       "iris 0,1)")
    p("--preprocess", choices=PREPROCESS, help=f"scaling of the data (default {D.preprocess}; "
                                               "breast_cancer and iris: standardize)")
    p("--lift", type=int, metavar="D", help="random-feature lift to D features, after the "
                                            f"scaling (default {D.lift}: none; breast_cancer "
                                            "and iris: 1000)")
    p("--lift-kind", choices=LIFT_KINDS, help="relu: ReLU(Rx)/sqrt(D); fourier: "
                                              "sqrt(2/D) cos(Wx + b), W ~ N(0, 1/sigma^2) "
                                              f"(default {D.lift_kind}; breast_cancer and "
                                              "iris: fourier)")
    p("--bandwidth", type=float, metavar="B", help="Fourier lift: sigma = B * median pairwise "
                                                   f"distance (default {D.bandwidth:g}; "
                                                   "breast_cancer and iris: 0.5)")
    p("--n-samples", type=int, help=f"(default {D.n_samples})")
    p("--dim", type=int, help=f"input dimension (default {D.dim}, or 2 for 2-D toy data)")
    p("--width", type=int, help=f"hidden neurons m (relu; default {D.width})")
    p("--mu-norm", type=float, help=f"mixture mean norm before scaling (default {D.mu_norm:g})")
    p("--n-test", type=int, help=f"test points (mixture, presets; default {D.n_test})")
    p("--seed", type=int, help=f"(default {D.seed})")
    p("--loss", choices=LOSSES, help=f"(default {D.loss})")
    p("--optimizer", choices=OPTIMIZERS, help=f"(default {D.optimizer})")
    p("--lr", type=float, help=f"learning rate, for unit-scale data (default {D.lr:g})")
    p("--steps", type=int, help="GD steps (default "
                                + ", ".join(f"{k} {v}" for k, v in DEFAULT_STEPS.items()) + ")")
    p("--init-scale", type=float, help=f"(default {D.init_scale:g})")
    p("--kink-tol", type=float, help=f"kappa of the Clarke certificate (default {D.kink_tol:g})")
    p("--active-tol", type=float, help="alpha: only q_i <= 1 + alpha may carry lam > 0")
    p("--start", choices=STARTS, help=f"(default {D.start})")


def scenario_from_args(args):
    """Validated Scenario from parsed options: the options given, the data's defaults for the
    rest (dim 2 for 2-D toy data, a preset's own; core.scenario.data_defaults).
    """
    names = [f.name for f in fields(Scenario)]
    values = {k: getattr(args, k) for k in names if getattr(args, k, None) is not None}
    if "classes" in values:
        values["classes"] = parse_int_list(values["classes"], "--classes")
    return Scenario.from_dict(values)


def build_parser():
    """The parser of every subcommand."""
    parser = OneLineParser(prog="python -m explorer",
                           description="Unlearning by one gradient-ascent step: "
                                       "train, certify, forget, compare.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    unlearn = sub.add_parser("unlearn", help="forget points and compare methods")
    add_scenario_options(unlearn)
    unlearn.add_argument("--forget", type=int, nargs="+", metavar="I",
                         help="indices to forget (default: the largest-lambda support vector)")
    unlearn.add_argument("--scale", type=float, default=1.0,
                         help="c, multiplier of the theory step size")
    unlearn.add_argument("--sequential", action="store_true",
                         help="one GA step per point, re-certifying in between")
    unlearn.add_argument("--json", action="store_true", help="print one JSON object")
    add_method_options(unlearn)
    sweep = sub.add_parser("sweep", help="vary one parameter over values and seeds, "
                                         "every method per run, rows to a CSV")
    add_scenario_options(sweep)
    add_sweep_options(sweep)
    reproduce = sub.add_parser("reproduce", help="run the paper-claims sweeps; write "
                                                 "figures, CSVs and summary.md")
    add_reproduce_options(reproduce)
    slides = sub.add_parser("slides", help="write a 16:9 slide deck of a scenario (PNG "
                                           "1920x1080 + SVG per slide, slides.md)")
    add_scenario_options(slides)
    slides.add_argument("--forget", type=int, nargs="+", metavar="I",
                        help="indices to forget (default: the largest-lambda support vector)")
    slides.add_argument("--scale", type=float, default=1.0,
                        help="c, multiplier of the theory step size")
    slides.add_argument("--out", required=True, metavar="DIR", help="directory of the deck")
    talk = sub.add_parser("talk", help="write one offline HTML page of a scenario: click any "
                                       "point to see it forgotten (every point precomputed)")
    add_scenario_options(talk)
    talk.add_argument("--out", required=True, metavar="FILE", help="the HTML file to write")
    return parser


def run_unlearn(args):
    """Train, forget and compare; print the text report or the JSON (docs/cli.md)."""
    check_scale(args.scale)
    check_indices(args.forget or ())
    load_method_files(args.method_file)
    scenario = scenario_from_args(args)
    methods, _ = resolve(parse_methods(args.methods, scenario.model), scenario.model)
    params = method_params_from_args(args, methods)
    resolve(methods, scenario.model, params)        # every check before the training runs
    check_evidence(args)
    # the engine (Numba) loads only now: --help and bad options stay fast
    from core.compare import compare, default_forget, prepare
    from core.report import comparison_to_dict

    prepared = prepare(scenario)
    forget = tuple(args.forget) if args.forget else default_forget(prepared)
    comparison = compare(prepared, forget, scale=args.scale, sequential=args.sequential,
                         methods=methods, method_params=params)
    audit = None
    if args.mia:
        from core.mia import audit as run_audit

        audit = run_audit(comparison, n_shadows=args.shadows)
    floor, ulira, relearned = evidence(args, comparison, params)
    result = comparison_to_dict(comparison, audit, floor, ulira, relearned)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(format_report(result, comparison))


def output_dir(path, given=None):
    """``--out`` as a directory that exists (created with its parents) and is writable,
    checked before any work runs; raises InputError naming the path (``given``: what the
    user typed, when ``path`` is its directory) otherwise."""
    out = Path(path)
    if out.exists() and not out.is_dir():
        where = "" if given is None else f" (the directory of {given})"
        raise InputError(f"--out {path}{where} is a file, not a directory: choose a new or "
                         "existing directory.")
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".write_probe"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as err:
        raise InputError(f"--out {given or path} cannot be written to "
                         f"({err.strerror or err}): choose a directory you can write.") from None
    return out


def output_file(path):
    """``--out`` as a file path whose directory exists or can be made, and is writable."""
    if Path(path).is_dir():
        raise InputError(f"--out {path} is a directory: give a file name like results.csv.")
    output_dir(Path(path).parent, given=path)
    return Path(path)


def run_slides(args):
    """Build, render and write the deck; the figure code (present.slides, Altair) is injected
    here, at the command line, so that core/ itself never imports ui/.
    """
    from present.slides import make_deck, write_deck

    output_dir(args.out)
    scenario = scenario_from_args(args)
    files, seconds = make_deck(scenario, args.forget, args.scale)
    paths = write_deck(files, args.out)
    print(f"{len(paths)} files in {args.out} ({seconds:.1f} s): "
          f"{', '.join(p.name for p in paths if p.suffix == '.png')}, deck.pdf and slides.md")


def run_talk(args):
    """Precompute every point's forgetting and write the offline page (present.talk)."""
    from pathlib import Path

    from present.talk import make_page

    out = Path(args.out)
    if not out.parent.is_dir():
        raise InputError(f"--out: the folder {str(out.parent)!r} does not exist.")
    page, seconds, data = make_page(scenario_from_args(args))
    out.write_text(page, encoding="utf-8")
    print(f"{out}: {len(page.encode('utf-8')) / 1e6:.2f} MB, {data.prepared.ctx.n_samples} "
          f"points x {len(data.scales)} values of c, {seconds:.1f} s"
          + (f"; {len(data.failed)} points cannot be forgotten alone" if data.failed else ""))


def run_reproduce(args):
    """``reproduce``: the sweeps run in core/; the figures are drawn by ui/, whose writer
    is injected here, at the command line, so that core/ itself never imports ui/.
    """
    from core.sweeps.reproduce import run_cli as run_reproduce_cli
    from present.reproduce_figures import write_figures

    output_dir(args.out)
    return run_reproduce_cli(args, figure_writer=write_figures)


def format_report(result, comparison):
    """The readable text of an unlearn run."""
    from core.report import (
        LARGE_TAU,
        OUTSIDE_BETTER,
        certificate_caveat,
        ga_outcome,
        methods_frame,
    )
    from core.transform import describe_labels, describe_lift, describe_units

    data, train, orig = result["data"], result["train"], result["original"]
    lines = [f"data: n={data['n']} d={data['d']} rho={data['rho']:.3g} "
             f"n<d={data['n_lt_d']}",
             f"dataset: {data['dataset']}"
             + (f" classes {data['classes']}" if data.get("classes") else "")
             + f", labels {describe_labels(data)}, preprocess {data['preprocess']} "
             + f"({describe_units(data)})"
             + (f", {describe_lift(data)}" if data["lift"] else ""),
             f"regime: {data['verdict']}",
             f"train: {train['steps']} steps ({train['path']}), min margin "
             f"{_fmt(train['min_margin'])}, {train['seconds']:.3f} s",
             f"original on S: eps_rel={orig['eps_rel']:.3g}"
             + (f" ({certificate_caveat(orig)})" if certificate_caveat(orig) else "")
             + f" delta={orig['delta']:.3g} tau={orig['tau']:.3g} support={orig['n_support']}",
             f"forget: {result['forget']}  (c = {result['config']['scale']:g})", ""]
    table = methods_frame(comparison)
    cols = [c for c in ("label", "eps_rel", "delta", "tau", "n_support", "cosine_to_retrain",
                        "cosine_to_exact", "forget_margins", "test_accuracy", "seconds",
                        "grad_evals")
            if c in table]
    caveats = [certificate_caveat(row) for _, row in table.iterrows()]
    if any(caveats):   # next to eps: why a method's eps is not its exact certificate's
        table["certificate"] = [c or "exact" for c in caveats]
        cols.insert(cols.index("eps_rel") + 1, "certificate")
    if "grad_evals" in table:   # a count; the exact SVM (a dual solver) has none
        table["grad_evals"] = [_count(v) for v in table["grad_evals"]]
    lines.append(table[cols].to_string(index=False, float_format=lambda x: f"{x:.4g}"))
    methods = result["methods"]
    if "ga" in methods and "do_nothing" in methods and methods["do_nothing"]["eps_rel"]:
        ga, nothing = methods["ga"], methods["do_nothing"]
        outcome = ga_outcome(ga, nothing, data["regime"])
        note = {"better": "better", "not better": "not better",
                "better outside regime": f"lower: {OUTSIDE_BETTER}",
                "infeasible": f"lower, but tau = {ga['tau']:.3g} > {LARGE_TAU}: retained "
                              "points pushed inside the margin, not successful"}[outcome]
        lines += ["", f"GA eps_rel is {ga_ratio(ga['eps_rel'], nothing['eps_rel'])} ({note})."]
    if methods and all("mia" in m for m in methods.values()):
        lines += audit_lines(result)
    lines += evidence_lines(result)
    return "\n".join(lines)


def ga_ratio(ga_eps, nothing_eps):
    """GA's eps_rel against doing nothing's in words: '0.49 x do-nothing's', or the value
    itself when it is round-off (a ratio would print as 0.00)."""
    if ga_eps < ROUND_OFF:
        return f"{ga_eps:.2g} (round-off) against {nothing_eps:.3g} for doing nothing"
    return f"{ga_eps / nothing_eps:.3g} x do-nothing's"


def _count(value):
    return "n/a" if value is None or value != value else f"{int(value)}"


def _fmt(x):
    return "n/a" if x is None else f"{x:.4g}"


def main(argv=None):
    """Run a subcommand; 0 on success, 2 (one line on stderr) on bad options or data."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "unlearn":
            run_unlearn(args)
        elif args.command == "sweep":
            from explorer.sweep_cli import run_cli as run_sweep_cli  # pandas: only here

            output_file(args.out)
            return run_sweep_cli(args, scenario_from_args(args))
        elif args.command == "reproduce":
            return run_reproduce(args)
        elif args.command == "slides":
            run_slides(args)
        elif args.command == "talk":
            run_talk(args)
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
