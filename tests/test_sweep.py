"""Sweeps (core.sweeps.run), executors (core.sweeps.executors) and generalization curves.

The rows of a sweep must not depend on what runs it: one worker, two threads, two
processes, or a Dask cluster (a real scheduler and workers on loopback). A killed sweep
resumes from its partial file; bad specs fail with one clear message.
"""
import csv
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from core.compare import compare, default_forget, prepare
from core.errors import InputError
from core.kkt import certify
from core.scenario import Scenario
from core.sweeps.executors import DaskExecutor, LocalExecutor, make_executor
from core.sweeps.generalization import forgetting_curve, random_forget_order
from core.sweeps.run import run_job, run_sweep
from core.sweeps.spec import COLUMNS, SweepSpec, parse_values
from core.sweeps.store import read_results, spec_path
from core.unlearn import retained_index, sequential_ga
from explorer.cli import main
from tests import naive

ROOT = Path(__file__).resolve().parents[1]
TINY = Scenario(model="relu", n_samples=20, width=20, steps=100)
TINY_ARGS = ["--model", "relu", "--n-samples", "20", "--width", "20", "--steps", "100"]


def tiny_spec(**changes):
    values = dict(base=TINY, param="dim", values=(50, 200), seeds=2)
    values.update(changes)
    return SweepSpec(**values)


def without_seconds(frame):
    return frame.drop(columns="seconds").reset_index(drop=True)


def csv_without_seconds(path):
    rows = list(csv.reader(io.StringIO(Path(path).read_text())))
    col = rows[0].index("seconds")
    return [r[:col] + r[col + 1:] for r in rows]


@pytest.fixture(scope="module")
def reference():
    """The tiny sweep run inline (one worker): the table every executor must give."""
    return run_sweep(tiny_spec(), executor=LocalExecutor(1))


# ---------------------------------------------------------------------------- rows

def test_rows_are_compare_metrics(reference):
    frame = reference.frame
    assert tuple(frame.columns) == COLUMNS
    assert len(frame) == 2 * 2 * 3 and not reference.failures
    assert list(frame["method"][:3]) == ["ga", "do_nothing", "retrain"]
    prepared = prepare(TINY.replace(dim=200, seed=1))
    comp = compare(prepared, default_forget(prepared))
    rows = frame[(frame["value"] == 200) & (frame["seed"] == 1)].set_index("method")
    for name, res in comp.methods.items():
        cert = res.certificate
        assert rows.loc[name, "eps_rel"] == cert.eps_rel
        assert rows.loc[name, "delta"] == cert.delta and rows.loc[name, "tau"] == cert.tau
        assert rows.loc[name, "n_support"] == cert.n_support
        assert rows.loc[name, "cosine_to_retrain"] == res.cosine_to_retrain
        assert rows.loc[name, "forget_margin"] == max(res.forget_margins)
        assert rows.loc[name, "forget"] == str(comp.forget[0])
        assert rows.loc[name, "rho"] == prepared.gauge.rho


def test_scale_sweep_trains_once_and_matches_compare():
    spec = SweepSpec(TINY.replace(model="linear", steps=300), "scale", (0.5, 1.0, 1.5), 1)
    (job,) = spec.jobs()                          # one job measures every c
    assert job.values == (0.5, 1.0, 1.5)
    frame = run_sweep(spec, executor=LocalExecutor(1)).frame
    assert set(frame["method"]) == {"ga", "do_nothing", "retrain", "exact"}
    prepared = prepare(spec.base)
    for c in spec.values:
        comp = compare(prepared, default_forget(prepared), scale=c)
        got = frame[frame["value"] == c].set_index("method")
        for name, res in comp.methods.items():
            assert got.loc[name, "eps"] == res.certificate.eps
            assert got.loc[name, "cosine_to_exact"] == res.cosine_to_exact
    ga = frame[frame["method"] == "ga"].set_index("value")["eps_rel"]
    assert ga[1.0] < 1e-10 < ga[0.5] and ga[1.5] > 1e-10     # the linear V at c = 1


def test_mixture_rows_have_test_accuracy():
    """test_accuracy and test_agreement of every row, recomputed here from the explicit
    weights: sign N(W; x) on the test set against y_test and against retrain's signs."""
    spec = SweepSpec(TINY.replace(data="mixture", n_test=200), "mu_norm", (2.0, 6.0), 1)
    frame = run_sweep(spec, executor=LocalExecutor(1)).frame
    assert (frame.loc[frame["method"] != "retrain", "test_agreement"] < 1).any()  # mu_norm 2
    for (value, seed, forget), rows in frame.groupby(["value", "seed", "forget"]):
        prepared = prepare(spec.base.replace(mu_norm=float(value), seed=int(seed)))
        ctx = prepared.ctx
        comp = compare(prepared, (int(forget),))
        signs = {name: np.sign(naive.forward(naive.explicit(res.model, ctx.W0, ctx.X),
                                             ctx.X_test, ctx.v, ctx.is_relu))
                 for name, res in comp.methods.items()}
        rows = rows.set_index("method")
        assert set(rows.index) == set(signs)
        for name, sign in signs.items():
            assert rows.loc[name, "test_accuracy"] == pytest.approx(
                np.mean(sign == ctx.y_test), abs=1e-12)
            assert rows.loc[name, "test_agreement"] == pytest.approx(
                np.mean(sign == signs["retrain"]), abs=1e-12)


# ---------------------------------------------------------------------------- executors

@pytest.mark.parametrize("kind", ["threads", "processes"])
def test_two_local_workers_give_identical_rows(reference, kind):
    executor = LocalExecutor(2, kind)
    try:
        result = run_sweep(tiny_spec(), executor=executor)
    finally:
        executor.close()
    assert without_seconds(result.frame).equals(without_seconds(reference.frame))


def test_dask_local_cluster_gives_the_same_csv(tmp_path):
    distributed = pytest.importorskip("distributed")
    argv = ["sweep", *TINY_ARGS, "--vary", "dim", "--values", "50,200", "--seeds", "2"]
    local = tmp_path / "local.csv"
    assert main([*argv, "--workers", "1", "--out", str(local)]) == 0
    # dashboard on a free port: a busy 8787 (another cluster) makes distributed warn
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=":0") as cluster:
        remote = tmp_path / "dask.csv"
        assert main([*argv, "--scheduler", cluster.scheduler_address,
                     "--out", str(remote)]) == 0
    assert csv_without_seconds(remote) == csv_without_seconds(local)
    assert len(csv_without_seconds(local)) == 1 + 12


def test_missing_dask_is_one_clear_message(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)     # import fails
    with pytest.raises(InputError, match="pip install -r requirements-cluster.txt"):
        make_executor(scheduler="tcp://127.0.0.1:8786")


def test_unreachable_scheduler_is_one_clear_message():
    pytest.importorskip("distributed")
    with pytest.raises(InputError, match="Could not reach the Dask scheduler"):
        DaskExecutor("tcp://127.0.0.1:9", timeout=2)


def test_workers_must_be_positive():
    with pytest.raises(InputError, match="workers"):
        make_executor(workers=0)


# ---------------------------------------------------------------------------- output

def test_incremental_file_resume_and_fixed_order(tmp_path, reference):
    out = tmp_path / "r.csv"
    seen = []

    def stop_after_two(done, total, outcome):
        seen.append(done)
        if done == 2:
            raise KeyboardInterrupt

    first = run_sweep(tiny_spec(), out=out, executor=LocalExecutor(1), progress=stop_after_two)
    assert first.interrupted and len(read_results(out)) == 2 * 3     # two jobs on disk
    with open(out, "a") as fh:                                        # a torn last line
        fh.write("relu,dim,200,1,ga,0.1")
    second = run_sweep(tiny_spec(), out=out, executor=LocalExecutor(1))
    assert second.n_resumed == 2 and not second.interrupted
    assert without_seconds(read_results(out)).equals(without_seconds(reference.frame))
    assert spec_path(out).exists()


def test_killed_sweep_resumes_from_its_partial_file(tmp_path):
    out = tmp_path / "killed.csv"
    argv = [sys.executable, "-m", "explorer", "sweep", *TINY_ARGS, "--steps", "400",
            "--vary", "dim", "--values", "50,100,200,400,800", "--seeds", "12",
            "--workers", "1", "--out", str(out)]
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            if out.exists() and out.read_text().count("\n") > 1 + 3 * 3:
                break
            time.sleep(0.01)
        assert proc.poll() is None, "the sweep finished before it could be killed"
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=10)
    kept = out.read_text().count("\n") - 1
    spec = SweepSpec(TINY.replace(steps=400), "dim", (50, 100, 200, 400, 800), 12)
    resumed = run_sweep(spec, out=out, executor=LocalExecutor(2))
    assert 3 <= resumed.n_resumed < 60 and kept >= 9
    assert len(resumed.frame) == 60 * 3 and not resumed.failures
    fresh = run_sweep(spec, executor=LocalExecutor(2))
    assert without_seconds(resumed.frame).equals(without_seconds(fresh.frame))


def test_other_sweep_in_the_file_is_refused(tmp_path):
    out = tmp_path / "r.csv"
    run_sweep(tiny_spec(values=(50,), seeds=1), out=out, executor=LocalExecutor(1))
    with pytest.raises(InputError, match="different sweep"):
        run_sweep(tiny_spec(values=(60,), seeds=1), out=out, executor=LocalExecutor(1))
    again = run_sweep(tiny_spec(values=(60,), seeds=1), out=out, executor=LocalExecutor(1),
                      overwrite=True)
    assert list(read_results(out)["value"].unique()) == [60] and again.n_resumed == 0


def test_failed_job_is_reported_and_other_rows_kept(tmp_path, capsys):
    out = tmp_path / "f.csv"
    code = main(["sweep", "--model", "linear", "--dim", "10", "--n-samples", "4",
                 "--vary", "n_samples", "--values", "4,30", "--seeds", "1",
                 "--workers", "1", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1
    assert "FAILED n_samples=30 seed=0 [model=linear dim=10]" in err
    assert "does not separate the data" in err
    frame = read_results(out)
    assert set(frame["value"]) == {4} and len(frame) == 4    # ga, do_nothing, retrain, exact


def test_job_errors_become_outcomes():
    (job,) = SweepSpec(Scenario(model="linear", dim=10, n_samples=30), "dim", (10,), 1).jobs()
    outcome = run_job(job)
    assert not outcome.ok and "does not separate" in outcome.error and not outcome.rows


# ---------------------------------------------------------------------------- bad specs

@pytest.mark.parametrize("changes, message", [
    (dict(param="depth"), "Unknown sweep parameter 'depth': vary one of dim, n_samples"),
    (dict(values=()), "No values to sweep dim over"),
    (dict(values=(50, 0)), "dim=0 is outside its domain"),
    (dict(param="n_samples", values=(1,)), "n_samples=1 is outside its domain"),
    (dict(param="width", values=(10.5,)), "width=10.5 is outside its domain"),
    (dict(param="scale", values=(-1,)), "scale=-1 is outside its domain"),
    (dict(param="kink_tol", values=(1.5,)), "kink_tol=1.5 is outside its domain"),
    (dict(values=(50, 50)), "repeat"),
    (dict(param="mu_norm", values=(4,)), "mu_norm only matters for mixture data"),
    (dict(base=TINY.replace(model="linear"), param="width", values=(4,)),
     "only matters for the two-layer net"),
    (dict(seeds=0), "seeds must be an integer from 1"),
    (dict(base=TINY.replace(data="moons", dim=2)), "toy data are 2-D"),
    (dict(forget=(25,)), "forget index 25 is out of range"),
])
def test_bad_spec_is_one_clear_error(changes, message):
    with pytest.raises(InputError, match=message.replace("(", r"\(")):
        tiny_spec(**changes).validated()


@pytest.mark.parametrize("values, message", [
    ("", "list of values is empty"), ("50,,100", "empty entry"),
    ("50,abc", "'abc' is not a number")])
def test_bad_values_text(values, message):
    with pytest.raises(InputError, match=message):
        parse_values(values, "dim")


@pytest.mark.parametrize("extra, message", [
    (["--vary", "depth", "--values", "1"], "Unknown sweep parameter 'depth'"),
    (["--vary", "dim", "--values", "50,,100"], "empty entry"),
    (["--vary", "dim", "--values", "0"], "dim=0 is outside its domain"),
])
def test_cli_bad_spec_exits_2_with_one_line(tmp_path, capsys, extra, message):
    code = main(["sweep", *TINY_ARGS, *extra, "--out", str(tmp_path / "x.csv")])
    err = capsys.readouterr().err
    assert code == 2 and message in err and err.count("\n") == 1
    assert not (tmp_path / "x.csv").exists()


# ---------------------------------------------------------------------------- generalization

def test_random_forget_order_keeps_both_classes():
    y = np.array([1.0, 1.0, -1.0, -1.0, -1.0, 1.0])
    order = random_forget_order(y, 4, seed=3)
    assert order == random_forget_order(y, 4, seed=3) and len(set(order)) == 4
    kept = y[retained_index(6, order)]
    assert set(kept) == {-1.0, 1.0}
    with pytest.raises(InputError, match="from 1 to 4"):
        random_forget_order(y, 5)


def test_forgetting_curve_tracks_retrain_on_the_default_mixture():
    prepared = prepare(Scenario(model="relu", data="mixture"))
    order = random_forget_order(prepared.ctx.y, 10, seed=0)
    curve = forgetting_curve(prepared, order)
    acc = curve.pivot(index="k", columns="method", values="test_accuracy")
    assert list(acc.index) == list(range(11))
    assert acc.loc[0, "ga"] == acc.loc[0, "retrain"] == acc.loc[0, "do_nothing"]
    assert acc.loc[0, "ga"] > 0.95
    assert (acc["ga"] - acc["retrain"]).abs().max() <= 0.02
    agree = curve.pivot(index="k", columns="method", values="test_agreement")
    assert (agree["retrain"] == 1.0).all()
    # the curve's GA is core.unlearn.sequential_ga, step for step
    model, _ = sequential_ga(prepared.ctx, prepared.original.model, order)
    cert = certify(prepared.ctx, model, retained_index(40, order), rescale=False)
    assert curve[(curve["k"] == 10) & (curve["method"] == "ga")]["eps_rel"].item() \
        == pytest.approx(cert.eps_rel, rel=1e-12)


def test_forgetting_curve_needs_a_test_set():
    with pytest.raises(InputError, match="needs a test set"):
        forgetting_curve(prepare(TINY), (0,))


# ---------------------------------------------------------------------------- lost workers

def lost_on_seed_one(item):
    """A worker that dies on seed 1 (the exception a dead worker leaves in its future)."""
    if item[0].seed == 1:
        raise RuntimeError("worker died")
    return item[0].seed, f"ran {item[0].seed}"


@pytest.mark.parametrize("workers", [1, 2])
def test_executor_map_reports_a_lost_item_through_on_lost(workers):
    executor = LocalExecutor(workers)
    items = [(TINY.replace(seed=s),) for s in range(3)]
    try:
        got = sorted(executor.map(lost_on_seed_one, items,
                                  on_lost=lambda item, err: (item[0].seed, f"lost: {err}")))
        assert got == [(0, "ran 0"), (1, "lost: worker died"), (2, "ran 2")]
        with pytest.raises(RuntimeError, match="worker died"):     # no on_lost: raised
            list(executor.map(lost_on_seed_one, items))
    finally:
        executor.close()


def test_a_lost_forgetting_curve_seed_is_reported_not_raised(monkeypatch):
    from core.sweeps import generalization

    real = generalization.curve_job

    def dies_on_seed_one(args):
        if args[0].seed == 1:
            raise RuntimeError("KilledWorker: worker died")
        return real(args)

    monkeypatch.setattr(generalization, "curve_job", dies_on_seed_one)
    base = Scenario(model="relu", data="mixture", n_samples=16, dim=160, width=16,
                    steps=100, n_test=100)
    executor = LocalExecutor(2)
    try:
        curve, failures = generalization.forgetting_curves(base, 2, 1.0, 3, executor)
    finally:
        executor.close()
    assert sorted(curve["seed"].unique()) == [0, 2]
    assert failures == [(1, "the job was lost with its worker: RuntimeError: KilledWorker: "
                            "worker died")]


def test_a_lost_sweep_job_is_a_failed_outcome(monkeypatch):
    from core.sweeps import run

    def dies(job):
        raise RuntimeError("worker died")

    monkeypatch.setattr(run, "run_job", dies)
    result = run_sweep(tiny_spec(values=(50,), seeds=2), executor=LocalExecutor(2))
    assert len(result.failures) == 2 and result.frame.empty
    assert all("lost with its worker: RuntimeError" in f.error for f in result.failures)


# ---------------------------------------------------------------------------- layers

def test_core_never_imports_ui_streamlit_or_altair():
    """Every core module imported in a fresh interpreter: no ui, streamlit or altair (the
    CLI's reproduce draws through a writer it imports only when that command runs)."""
    code = ("import importlib, pkgutil, sys, core\n"
            "names = [m.name for m in pkgutil.walk_packages(core.__path__, 'core.')]\n"
            "for name in names: importlib.import_module(name)\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
            "('ui', 'streamlit', 'altair'))\n"
            "print(len(names), bad)\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)), check=True)
    n, bad = out.stdout.split(" ", 1)
    assert int(n) > 20 and bad.strip() == "[]"


def test_the_unlearn_command_line_loads_neither_pandas_nor_the_sweeps():
    code = ("import sys, explorer.cli\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'pandas'"
            " or m in ('core.sweeps.run', 'core.sweeps.reproduce', 'core.sweeps.store')))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)), check=True)
    assert out.stdout.strip() == "[]"


def test_fingerprint_covers_subpackages(tmp_path, monkeypatch):
    from core.sweeps import executors

    (tmp_path / "sub").mkdir()
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "sub" / "b.py").write_text("y = 1\n")
    monkeypatch.setattr(executors, "CORE_DIR", tmp_path)
    first = executors.core_fingerprint()
    (tmp_path / "sub" / "b.py").write_text("y = 2\n")
    assert executors.core_fingerprint() != first
    real = executors.CORE_DIR.__class__(ROOT / "core")
    monkeypatch.setattr(executors, "CORE_DIR", real)
    assert len({p.parent for p in real.rglob("*.py")}) >= 2      # core/ and core/sweeps/


# ---------------------------------------------------------------------------- methods, steps

def test_methods_are_checked_against_compare_when_run():
    from core.sweeps.spec import parse_methods
    from tests.naive import BUILTIN_METHODS as METHODS

    assert parse_methods("all") == tuple(METHODS)
    assert parse_methods("retrain") == ("ga", "retrain")
    with pytest.raises(InputError, match="Unknown method 'sgd': choose from ga"):
        parse_methods("ga,sgd")
    with pytest.raises(InputError, match="Unknown method 'sgd'"):
        tiny_spec(methods=("ga", "sgd")).validated()


def test_sweep_with_a_costed_method_has_grad_evals(tmp_path):
    from tests.naive import BUILTIN_METHODS as METHODS

    extra = next((m for m in METHODS if m not in ("ga", "do_nothing", "retrain", "exact")),
                 None)
    if extra is None:
        pytest.skip("no method beyond the four of this sweep's default")
    out = tmp_path / "m.csv"
    argv = ["sweep", *TINY_ARGS, "--vary", "dim", "--values", "200", "--seeds", "1",
            "--methods", f"ga,retrain,{extra}", "--workers", "1", "--out", str(out)]
    assert main(argv) == 0
    rows = read_results(out).set_index("method")
    assert list(rows.index) == [m for m in METHODS if m in ("ga", "retrain", extra)]
    assert rows.loc[extra, "grad_evals"] > 0 and rows.loc["ga", "grad_evals"] >= 1


def test_train_until_the_certificate_is_small():
    from core.sweeps.run import prepare_until

    ladder = (50, 100, 200, 400)
    target = prepare(TINY.replace(dim=200, steps=100)).original.eps_rel * 1.01
    chosen = prepare_until(TINY.replace(dim=200), ladder, target)
    first = next(s for s in ladder
                 if prepare(TINY.replace(dim=200, steps=s)).original.eps_rel < target)
    assert chosen.scenario.steps == first and first <= 100
    assert prepare_until(TINY.replace(dim=200), ladder, 1e-12).scenario.steps == 400   # cap
    spec = tiny_spec(values=(200,), seeds=1, steps_ladder=ladder, eps_target=target)
    row = run_sweep(spec, executor=LocalExecutor(1)).frame.iloc[0]
    assert row["steps"] == first and row["trained_eps_rel"] < target
