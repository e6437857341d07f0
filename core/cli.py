"""Command line: ``python -m core.cli unlearn [options] [--json]`` (docs/cli.md),
``sweep`` (one parameter over values and seeds, see core/sweep.py) and ``reproduce``
(the paper's claims as figures, CSVs and summary.md, see core/reproduce.py).

Bad options or data exit with code 2 and one line on stderr, never a traceback.
"""
import argparse
import json
import sys

from core.compare import compare, default_forget, prepare
from core.errors import InputError
from core.report import LARGE_TAU, comparison_to_dict, ga_outcome, methods_frame
from core.scenario import DATA_KINDS, LOSSES, OPTIMIZERS, STARTS, Scenario
from core.sweeps.cli import add_sweep_options
from core.sweeps.cli import run_cli as run_sweep_cli
from core.sweeps.reproduce import add_reproduce_options
from core.sweeps.reproduce import run_cli as run_reproduce_cli

TOY_DATA = ("blobs", "moons", "xor")


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line on stderr and exits with 2."""

    def error(self, message):
        self.exit(2, f"error: {message} (see --help)\n")


def add_scenario_options(parser):
    """The scenario options shared by every subcommand."""
    p = parser.add_argument
    p("--model", choices=("linear", "relu"), default="relu")
    p("--data", choices=DATA_KINDS, default="orthogonal")
    p("--data-file", metavar="PATH", help="CSV or NPZ file (replaces --data)")
    p("--n-samples", type=int, default=40)
    p("--dim", type=int, help="input dimension (default 1000, or 2 for 2-D toy data)")
    p("--width", type=int, default=100, help="hidden neurons m (relu)")
    p("--mu-norm", type=float, default=4.0, help="mixture mean norm before scaling")
    p("--n-test", type=int, default=2000, help="test points (mixture)")
    p("--seed", type=int, default=0)
    p("--loss", choices=LOSSES, default="exp")
    p("--optimizer", choices=OPTIMIZERS, default="normalized")
    p("--lr", type=float, default=8.0)
    p("--steps", type=int, help="GD steps (default 500 relu, 2000 linear)")
    p("--init-scale", type=float, default=1e-3)
    p("--kink-tol", type=float, default=0.03, help="kappa of the Clarke certificate")
    p("--active-tol", type=float, help="alpha: only q_i <= 1 + alpha may carry lam > 0")
    p("--start", choices=STARTS, default="trained")


def scenario_from_args(args):
    """Validated Scenario from parsed options (dim defaults by data kind)."""
    dim = args.dim if args.dim is not None else (2 if args.data in TOY_DATA else 1000)
    return Scenario(model=args.model, data=args.data, n_samples=args.n_samples, dim=dim,
                    width=args.width, mu_norm=args.mu_norm, n_test=args.n_test,
                    seed=args.seed, loss=args.loss, optimizer=args.optimizer, lr=args.lr,
                    steps=args.steps, init_scale=args.init_scale, kink_tol=args.kink_tol,
                    active_tol=args.active_tol, start=args.start,
                    data_file=args.data_file).validated()


def build_parser():
    parser = OneLineParser(prog="python -m core.cli",
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
    return parser


def run_unlearn(args):
    scenario = scenario_from_args(args)
    prepared = prepare(scenario)
    forget = tuple(args.forget) if args.forget else default_forget(prepared)
    comparison = compare(prepared, forget, scale=args.scale, sequential=args.sequential)
    result = comparison_to_dict(comparison)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(format_report(result, comparison))


def run_slides(args):
    """Build, render and write the deck; the figure code (ui.slides, Altair) is injected
    here, at the command line, so that core/ itself never imports ui/."""
    from ui.slides import make_deck, write_deck

    scenario = scenario_from_args(args)
    files, seconds = make_deck(scenario, args.forget, args.scale)
    paths = write_deck(files, args.out)
    print(f"{len(paths)} files in {args.out} ({seconds:.1f} s): "
          f"{', '.join(p.name for p in paths if p.suffix == '.png')} and slides.md")


def format_report(result, comparison):
    """The readable text of an unlearn run."""
    data, train, orig = result["data"], result["train"], result["original"]
    lines = [f"data: n={data['n']} d={data['d']} rho={data['rho']:.3g} "
             f"n<d={data['n_lt_d']}",
             f"regime: {data['verdict']}",
             f"train: {train['steps']} steps ({train['path']}), min margin "
             f"{_fmt(train['min_margin'])}, {train['seconds']:.3f} s",
             f"original on S: eps_rel={orig['eps_rel']:.3g} delta={orig['delta']:.3g} "
             f"tau={orig['tau']:.3g} support={orig['n_support']}",
             f"forget: {result['forget']}  (c = {result['config']['scale']:g})", ""]
    table = methods_frame(comparison)
    cols = [c for c in ("label", "eps_rel", "delta", "tau", "n_support", "cosine_to_retrain",
                        "cosine_to_exact", "forget_margins", "test_accuracy", "seconds")
            if c in table]
    lines.append(table[cols].to_string(index=False, float_format=lambda x: f"{x:.4g}"))
    methods = result["methods"]
    if "ga" in methods and "do_nothing" in methods and methods["do_nothing"]["eps_rel"]:
        ga, nothing = methods["ga"], methods["do_nothing"]
        outcome = ga_outcome(ga, nothing)
        note = {"better": "better", "not better": "not better",
                "infeasible": f"lower, but tau = {ga['tau']:.3g} > {LARGE_TAU}: retained "
                              "points pushed inside the margin, not successful"}[outcome]
        lines += ["", f"GA eps_rel is {ga['eps_rel'] / nothing['eps_rel']:.2f} x "
                      f"do-nothing's ({note})."]
    return "\n".join(lines)


def _fmt(x):
    return "n/a" if x is None else f"{x:.4g}"


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        if args.command == "unlearn":
            run_unlearn(args)
        elif args.command == "sweep":
            return run_sweep_cli(args, scenario_from_args(args))
        elif args.command == "reproduce":
            return run_reproduce_cli(args)
        elif args.command == "slides":
            run_slides(args)
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
