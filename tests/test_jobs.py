"""Long work as background jobs: chunked training that stops on request, and the app's jobs
(Cancel keeps the state; reruns, toggles and page switches keep a running job and commit its
result; a big link asks before any work).

Expected values come from the engine (core.compare) or from the definitions, never from
the app. No timings are asserted (speed is in benchmarks/bench_app.py).
"""
import threading
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from core.compare import compare, default_forget, prepare, retrain_model
from core.errors import Cancelled, InputError
from core.scenario import Scenario
from core.train import CHUNK_WORK, chunk_bounds, train
from tests.helpers import settle
from ui import cached, history, jobs, state
from ui import job as job_module
from ui.job import Cost, Job, Status, Work

APP = Path(__file__).resolve().parent.parent / "app.py"
SMALL = dict(n_samples=16, dim=160, width=16, steps=150)
LONG_STEPS = 200_000          # the default scenario with this many steps runs for seconds
BIG_LINK = dict(steps=200000, n_samples=5000, dim=10000, width=5000)


# ------------------------------------------------------------------ chunks and cancel (core)

@pytest.mark.parametrize("steps,step_work", [(1, 10), (7, 1e12), (500, 1e6), (500, 4e8),
                                             (200_000, 1.25e11), (3, 0)])
def test_chunks_cover_the_steps_and_bound_the_work(steps, step_work):
    bounds = chunk_bounds(steps, step_work, chunks=20)
    assert bounds[0] == 0 and bounds[-1] == steps
    sizes = np.diff(bounds)
    assert np.all(sizes >= 1)
    # every chunk does at most CHUNK_WORK multiply-adds, unless it is a single step
    assert np.all((sizes * step_work <= CHUNK_WORK * (1 + 1e-9)) | (sizes == 1))
    assert len(sizes) >= min(20, steps)


def _ctx(n=12, d=60, m=8, seed=1):
    from core.compare import context_for, load_dataset
    sc = Scenario(n_samples=n, dim=d, width=m, seed=seed)
    return context_for(sc, load_dataset(sc))


def test_a_progress_that_raises_cancelled_stops_training_between_chunks():
    ctx = _ctx()
    calls = []

    def progress(done, total):
        calls.append(done)
        if len(calls) == 3:
            raise Cancelled("stop")

    with pytest.raises(Cancelled):
        train(ctx, steps=400, chunks=10, progress=progress)
    assert calls == [40, 80, 120]          # stopped after the third of ten chunks


def test_retraining_and_the_comparison_report_progress_and_can_be_cancelled():
    prep = prepare(Scenario(**SMALL))
    forget = default_forget(prep)
    seen = []
    compare(prep, forget, progress=lambda done, total: seen.append((done, total)))
    # after GA, do nothing and retrain are certified, and between chunks of each certificate
    assert seen == sorted(seen) and set(seen) - {(0, 3)} == {(1, 3), (2, 3), (3, 3)}

    def stop(done, total):
        raise Cancelled("stop")

    with pytest.raises(Cancelled):
        retrain_model(prep, forget, progress=stop)
    with pytest.raises(Cancelled):
        compare(prep, forget, progress=stop)


def test_a_job_of_a_closed_session_cancels_itself(monkeypatch):
    gone = SimpleNamespace(is_active_session=lambda sid: False)
    monkeypatch.setattr(job_module, "runtime", SimpleNamespace(exists=lambda: True,
                                                               get_instance=lambda: gone))
    monkeypatch.setattr(job_module, "SESSION_GRACE", 0.0)
    work = Work("train", "k", "Training", fn=None)
    job = Job(work, session_id="s1")
    with pytest.raises(Cancelled):
        job.progress(0.5)
    alive = SimpleNamespace(is_active_session=lambda sid: True)
    monkeypatch.setattr(job_module, "runtime", SimpleNamespace(exists=lambda: True,
                                                               get_instance=lambda: alive))
    job = Job(work, session_id="s1")
    job.progress(0.5, "half")
    assert (job.fraction, job.text) == (0.5, "half")


# ------------------------------------------------------------------ jobs in the app

def app(**query):
    at = AppTest.from_file(str(APP), default_timeout=120)
    for k, v in query.items():
        at.query_params[k] = str(v)
    return at.run()


def no_trouble(at):
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def widget(at, kind, name):
    prefix = f"{state.PREFIX}w.{name}."
    return next(w for w in getattr(at, kind) if w.key and w.key.startswith(prefix))


def session_jobs(at):
    return at.session_state[state.PREFIX + "jobs"]


def wait_for(job, timeout=120):
    """Wait for the job to end; True when it ended within ``timeout`` seconds."""
    return not job.wait(timeout).active


def start_training(at, steps, width=100):
    """On Data & training: the default scenario with ``steps`` steps (and ``width``
    neurons), Train pressed."""
    at.switch_page("pages/2_data.py").run()
    widget(at, "number_input", "steps_relu").set_value(steps)
    widget(at, "number_input", "width").set_value(width)
    at.button(key="ux.train").click().run()
    no_trouble(at)
    return Scenario(steps=steps, width=width)


def test_cancel_stops_a_long_training_and_keeps_the_state():
    at = app()
    before = at.session_state["ux.scenario"], at.session_state["ux.history"]
    start_training(at, LONG_STEPS, width=300)     # a few seconds at least: then Cancel
    job = session_jobs(at)["train"]
    assert job.status is Status.RUNNING
    assert any("Training" in p.proto.text for p in at.get("progress"))   # the status bar
    at.button(key="ux.jobbar.cancel.train").click().run()
    # the notice shows once: in the click's run if the job stopped before the run collected
    # it, else in the next one
    shown_at_click = [i.value for i in at.info]
    assert wait_for(job, 30)
    assert job.status is Status.CANCELLED
    at.run()
    no_trouble(at)
    assert (at.session_state["ux.scenario"], at.session_state["ux.history"]) == before
    notices = [v for v in shown_at_click + [i.value for i in at.info] if "cancelled" in v]
    assert len(notices) == 1, notices
    assert "train" not in session_jobs(at)


def test_a_toggle_and_a_page_switch_during_training_keep_the_job_and_its_result(monkeypatch):
    at = app()
    monkeypatch.setattr(jobs, "QUICK_WAIT", 0.0)        # the run does not wait for the job
    gate, real = threading.Event(), cached.training_progress

    def held(progress):          # the job waits at its first chunk until the gate opens
        inner = real(progress)

        def steps(done, total):
            gate.wait(120)
            inner(done, total)
        return steps

    monkeypatch.setattr(cached, "training_progress", held)
    scenario = start_training(at, 2000)
    job = session_jobs(at)["train"]
    key = widget(at, "toggle", "presentation").key
    at.toggle(key=key).set_value(True).run()
    no_trouble(at)
    at.switch_page("pages/4_kkt.py").run()
    no_trouble(at)
    assert session_jobs(at)["train"] is job and job.status is Status.RUNNING
    assert at.session_state["ux.scenario"] == Scenario()        # not committed yet
    gate.set()
    assert wait_for(job)
    at.run()
    no_trouble(at)
    assert at.session_state["ux.scenario"] == scenario          # committed when it ended
    prep = prepare(scenario)
    assert at.session_state["ux.history"] == (default_forget(prep),)
    assert at.session_state["ux.presentation"] is True


def test_a_big_link_asks_before_any_work_and_can_be_declined():
    at = app(**BIG_LINK)
    no_trouble(at)
    job = session_jobs(at)["link"]
    assert job.status is Status.ASKING and job.elapsed() == 0.0      # nothing started
    assert job.work.cost.seconds > jobs.max_seconds()
    assert any("Start anyway" == b.label for b in at.button)
    assert not [j for j in session_jobs(at).values() if j.status is not Status.ASKING]
    at.button(key="ux.jobbar.cancel.link").click().run()
    at.run()
    no_trouble(at)
    assert at.session_state["ux.scenario"] == Scenario()            # the default demo
    link = session_jobs(at).get("link")           # the declined job is gone; at most the
    assert link is None or link.key == cached.key_of(Scenario())    # demo's own training


def test_the_limit_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("UNLEARN_MAX_SECONDS", "12.5")
    assert jobs.max_seconds() == 12.5
    monkeypatch.delenv("UNLEARN_MAX_SECONDS")
    assert jobs.max_seconds() == jobs.DEFAULT_MAX_SECONDS or jobs.LIMITS_FILE.is_file()


def test_a_link_under_the_limit_is_trained_as_a_job_and_shown(monkeypatch):
    monkeypatch.setattr(jobs, "QUICK_WAIT", 0.0)
    at = app(**{k: str(v) for k, v in SMALL.items()})
    job = session_jobs(at).get("link")
    if job is not None:                 # still running after the first run: wait, rerun
        assert wait_for(job)
        at.run()
    no_trouble(at)
    scenario = Scenario(**SMALL)
    assert at.session_state["ux.scenario"] == scenario
    assert cached.key_of(scenario) in at.session_state[state.PREFIX + "trained"]
    assert session_jobs(at)["link"].status is Status.DONE


# ------------------------------------------------------------------ caching for fast reruns

def test_the_history_table_reuses_the_certificates_of_the_cards(monkeypatch):
    scenario = Scenario(**SMALL)
    prep = cached.prepared(scenario)
    first, second = default_forget(prep), ((default_forget(prep)[0] + 1) % SMALL["n_samples"],)
    cached.comparison(scenario, first)
    cached.comparison(scenario, first + second)
    calls = []
    real = cached.engine.compare
    monkeypatch.setattr(cached.engine, "compare", lambda *a, **k: calls.append(k) or real(*a, **k))
    table = history.history_table(scenario, (first, second))
    assert calls == []                                  # both rows from the cards' results
    comp = compare(prep, first + second)
    assert table["GA ε_rel"].iloc[-1] == comp.methods["ga"].certificate.eps_rel
    assert table["nothing ε_rel"].iloc[-1] == comp.methods["do_nothing"].certificate.eps_rel


def test_a_cached_spec_is_the_chart_without_validation_and_exports_the_same():
    from present import charts, frames
    scenario = Scenario(**SMALL)
    comp = cached.comparison(scenario, default_forget(cached.prepared(scenario)))
    df = frames.after_frame(comp)
    spec = cached.spec(charts.plane_after, df, False, subtitle="s")
    assert all(isinstance(v, bytes) for v in spec["datasets"].values())   # Arrow, once
    assert cached.inline(spec) == charts.plane_after(df, False, subtitle="s").to_dict(
        validate=True) | {"config": cached.inline(spec)["config"]}


def test_a_sweep_that_takes_long_goes_on_in_the_background_and_is_stored(monkeypatch):
    at = app()
    monkeypatch.setattr(jobs, "QUICK_WAIT", 0.0)        # the run does not wait for the job
    at.switch_page("pages/6_scaling.py").run()
    no_trouble(at)
    for job in list(session_jobs(at).values()):
        assert wait_for(job)
    at.run()
    no_trouble(at)
    assert at.session_state["ux.sweep_scaling"] is not None      # committed when it ended
    assert not [job for job in session_jobs(at).values() if job.status.active]


# ------------------------------------------------------------------ the job API itself

def test_a_job_moves_through_its_states_and_keeps_its_value():
    gate = threading.Event()
    job = Job(Work("s", "k", "Work", lambda progress: gate.wait(30) and 42))
    assert job.status is Status.ASKING and job.status.active
    job.start()
    assert job.status is Status.RUNNING
    job.start()                                   # a second start does nothing
    gate.set()
    assert job.wait(30) is Status.DONE and job.result == 42 and job.fraction == 1.0
    assert not job.status.active and job.remaining() == 0.0


def test_cancel_ends_an_asking_job_at_once_and_a_running_one_at_its_next_chunk():
    asking = Job(Work("s", "k", "Work", lambda progress: 1))
    asking.cancel()
    assert asking.status is Status.CANCELLED

    def chunks(progress):
        for k in range(10_000):
            progress(k / 10_000)
            threading.Event().wait(0.001)
        return "finished"

    running = Job(Work("s", "k", "Work", chunks))
    running.start()
    running.cancel()
    assert running.wait(30) is Status.CANCELLED and running.result is None


def test_a_failing_job_keeps_its_error():
    def bad(progress):
        raise InputError("n_samples must be an integer")

    job = Job(Work("s", "k", "Work", bad))
    job.start()
    assert job.wait(30) is Status.FAILED and "n_samples" in str(job.error)


def test_work_over_the_time_or_the_memory_limit_asks(monkeypatch):
    monkeypatch.setenv("UNLEARN_MAX_SECONDS", "10")
    monkeypatch.setenv("UNLEARN_MAX_MB", "500")
    assert jobs.over_limit(Cost(9.0, 100.0)) == ""
    assert "more than its limit of 10 s" in jobs.over_limit(Cost(11.0, 100.0))
    assert "600 MB of memory" in jobs.over_limit(Cost(1.0, 600.0))
    assert jobs.over_limit(None) == "" and jobs.over_limit(Cost()) == ""


def test_a_big_link_shows_the_pages_asks_once_and_a_second_session_reuses_it(monkeypatch):
    """Issue 20: while a linked scenario waited or trained, every page showed only the bar;
    after Start anyway the comparison asked again; reopening the link asked again although
    the server had trained it."""
    monkeypatch.setenv("UNLEARN_MAX_SECONDS", "1e-6")        # every piece of work asks
    link = {k: str(v) for k, v in SMALL.items()}
    at = app(**link)
    no_trouble(at)
    assert session_jobs(at)["link"].status is Status.ASKING
    assert any(t.key and t.key.startswith(state.PREFIX + "w.presentation.") for t in at.toggle)
    at.switch_page("pages/1_overview.py").run()
    assert any("Gradient descent on a linear model" in m.value for m in at.markdown)
    at.switch_page("pages/3_unlearn.py").run()
    at.button(key="ux.jobbar.confirm.link").click().run()
    assert wait_for(session_jobs(at)["link"])
    settle(at.run())
    no_trouble(at)
    assert at.session_state["ux.scenario"] == Scenario(**SMALL)
    assert not [j for j in session_jobs(at).values() if j.status is Status.ASKING]
    assert at.get("vega_lite_chart") and at.metric                 # the page, the cards
    again = app(**link)                                          # a new session, same link
    no_trouble(again)
    assert not [j for j in session_jobs(again).values() if j.status is Status.ASKING]
    assert again.session_state["ux.scenario"] == Scenario(**SMALL)


def test_the_bar_describes_the_work_that_runs_and_the_methods_comparison_is_a_job(
        monkeypatch):
    """Issue 20: after training ended the bar kept "Certifying: recovering λ..." with 0 s
    left while the Methods page compared eight methods in the page itself."""
    monkeypatch.setattr(jobs, "QUICK_WAIT", 0.0)
    gate, real = threading.Event(), cached.methods_comparison

    def held(*args, **kwargs):
        gate.wait(120)
        return real(*args, **kwargs)

    monkeypatch.setattr(cached, "methods_comparison", held)
    at = app(**{k: str(v) for k, v in SMALL.items()})
    settle(at)
    at.switch_page("pages/8_methods.py").run()
    methods = session_jobs(at)["methods"]
    assert methods.status is Status.RUNNING
    bar = [p.proto.text for p in at.get("progress")]
    assert len(bar) == 1 and bar[0].startswith("Running and certifying the methods")
    assert not any("Certifying: recovering" in text for text in bar)
    gate.set()
    assert wait_for(methods)
    settle(at.run())
    no_trouble(at)
    assert not at.get("progress")                                  # nothing runs: no bar
    assert any("grad_evals" in d.value.columns for d in at.dataframe)
