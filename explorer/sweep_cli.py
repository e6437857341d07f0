"""``python -m explorer sweep`` and ``reproduce``: options (light to import: the command
line builds its parser from them), the sweep spec they describe, and the sweep report.
"""
from __future__ import annotations

from core.sweeps.spec import PARAMS, SweepSpec, check_param, parse_methods, parse_values


def add_sweep_options(parser):
    """The sweep subcommand's own options (the scenario options are added by the CLI)."""
    p = parser.add_argument
    p("--vary", required=True, metavar="PARAM", help=f"one of {', '.join(PARAMS)}")
    p("--values", required=True, metavar="V1,V2,...", help="comma-separated values")
    p("--seeds", type=int, default=3, metavar="K", help="seeds base+0 .. base+K-1 (default 3)")
    p("--forget", type=int, nargs="+", metavar="I",
      help="indices to forget (default: the largest-lambda support vector of each run)")
    p("--scale", type=float, default=1.0, help="c (ignored when --vary scale)")
    p("--sequential", action="store_true", help="one GA step per point")
    p("--out", required=True, metavar="CSV", help="results, written as jobs finish")
    p("--overwrite", action="store_true", help="replace an --out that holds another sweep")
    add_methods_option(parser, "methods each run measures (default: ga,do_nothing,retrain,"
                               "exact)")
    add_executor_options(parser)


def add_methods_option(parser, help_text):
    """--methods NAME,NAME,... or all: names of core.compare.METHODS, checked when run."""
    parser.add_argument("--methods", metavar="NAMES", help=help_text + "; e.g. "
                        "ga,retrain,newton or all")


def add_reproduce_options(parser):
    """The reproduce subcommand's options."""
    p = parser.add_argument
    p("--out", required=True, metavar="DIR", help="directory for figures, CSVs, summary.md")
    p("--quick", action="store_true", help="3 seeds, fewer dimensions (about 8 s warm on "
      "2 cores); its verdicts are indicative")
    add_methods_option(parser, "methods of every sweep (default: ga,do_nothing,retrain,"
                               "exact; the quality-against-cost figure: all)")
    add_executor_options(parser)


def add_executor_options(parser):
    """--workers N (local threads over the GIL-free kernels) or --scheduler ADDRESS (Dask)."""
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, metavar="N",
                       help="local worker threads (default: every core)")
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="Dask scheduler, e.g. tcp://HOST:8786 (needs dask[distributed])")


def spec_from_args(args, scenario):
    """SweepSpec from parsed sweep options and the scenario they describe."""
    return SweepSpec(base=scenario, param=args.vary,
                     values=parse_values(args.values, args.vary) if args.vary in PARAMS
                     else (), seeds=args.seeds,
                     forget=tuple(args.forget) if args.forget else None, scale=args.scale,
                     sequential=args.sequential,
                     **({"methods": parse_methods(args.methods)} if args.methods else {})
                     ).validated()


def run_cli(args, scenario, stream=None):
    """``python -m explorer sweep``: run, report progress on stderr; returns the exit code."""
    import sys

    from core.sweeps.executors import make_executor
    from core.sweeps.run import run_sweep

    stream = stream or sys.stderr
    check_param(args.vary)
    spec = spec_from_args(args, scenario)
    executor = make_executor(workers=args.workers, scheduler=args.scheduler)
    print(f"sweep {spec.param} over {len(spec.values)} values x {spec.seeds} seeds "
          f"({spec.base.model}) on {executor.describe()} -> {args.out}", file=stream)

    def progress(done, total, outcome):
        if outcome is None:
            print(f"[{done}/{total}] resumed from {args.out}", file=stream)
        elif outcome.ok:
            print(f"[{done}/{total}] {outcome.job.describe()}  {outcome.seconds:.2f} s",
                  file=stream)
        else:
            print(f"[{done}/{total}] FAILED {outcome.job.describe()}: {outcome.error}",
                  file=stream)
        stream.flush()

    try:
        result = run_sweep(spec, out=args.out, executor=executor, progress=progress,
                           overwrite=args.overwrite)
    finally:
        executor.close()
    return report_result(result, stream)


def report_result(result, stream):
    """Closing lines of a sweep run; the exit code (0 ok, 1 failed jobs, 130 interrupted)."""
    n_rows = len(result.frame)
    if result.interrupted:
        print(f"interrupted: {n_rows} rows kept in {result.out}; run the same command "
              "again to resume.", file=stream)
        return 130
    print(f"{result.n_jobs - len(result.failures)}/{result.n_jobs} jobs done "
          f"({result.n_resumed} resumed), {n_rows} rows in {result.out}, "
          f"{result.seconds:.1f} s", file=stream)
    if result.failures:
        print(f"{len(result.failures)} jobs failed (rerun to retry them):", file=stream)
        for f in result.failures:
            print(f"  {f.job.describe()}: {f.error}", file=stream)
        return 1
    return 0
