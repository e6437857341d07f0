"""The fuzz battery (issue 19): generated links and forget strings, scenario files, CSV and
NPZ uploads followed by training, command lines, and app sessions opened on generated links.

The property everywhere: a clear error (``InputError``; the CLI: exit code 2 and one line on
stderr) or a result, never another exception; a session opened on any link shows no
exception and stays usable on the next run. The inputs that once crashed are explicit
``@example`` cases here and tests in tests/test_fuzz_cases.py.

Profiles (``HYPOTHESIS_PROFILE``): ``ci`` (default, derandomized, about a minute) and
``long`` (``make fuzz``). Every run writes its table of families x inputs x clear errors to
test-artifacts/fuzz_<profile>.md.
"""
import io
import json
import os
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from core.compare import compare, prepare
from core.errors import InputError
from core.io import load_csv, load_npz
from core.scenario import Scenario
from explorer.cli import main
from present import share

ROOT = Path(__file__).resolve().parent.parent
COMMON = dict(deadline=None, database=None, print_blob=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.function_scoped_fixture])
# examples per family: (ci, long)
BUDGET = {"link": (1000, 20_000), "forget": (1000, 20_000), "scenario_file": (1000, 20_000),
          "csv": (150, 3_000), "npz": (100, 2_000), "cli": (60, 1_000), "app": (12, 200)}
settings.register_profile("ci", derandomize=True, **COMMON)
settings.register_profile("long", **COMMON)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
settings.load_profile(PROFILE)
TALLY = {family: Counter() for family in BUDGET}


def budget(family):
    return settings(max_examples=BUDGET[family][PROFILE == "long"])


def outcome(family, call):
    """Run ``call``; count the input and whether it ended in a clear error. Any other
    exception propagates (Hypothesis reports and shrinks it)."""
    TALLY[family]["inputs"] += 1
    try:
        result = call()
    except InputError as err:
        TALLY[family]["clear errors"] += 1
        assert str(err).strip() and "\n" not in str(err).strip(), repr(str(err))
        return None
    except Exception:
        TALLY[family]["crashes"] += 1
        raise
    return result


@pytest.fixture(scope="module", autouse=True)
def table():
    """Write the families x inputs x clear errors x crashes table after the module."""
    yield
    lines = [f"fuzz battery, profile {PROFILE}", "",
             "| family | inputs | clear errors | results | crashes |", "|---|---|---|---|---|"]
    for family, tally in TALLY.items():
        n, errors = tally["inputs"], tally["clear errors"]
        lines.append(f"| {family} | {n} | {errors} | {n - errors - tally['crashes']} | "
                     f"{tally['crashes']} |")
    out = ROOT / "test-artifacts"
    out.mkdir(exist_ok=True)
    (out / f"fuzz_{PROFILE}.md").write_text("\n".join(lines) + "\n")


# ---------------------------------------------------------------- strategies

TRICKY = ["²", "³", "፪", "٣", "1" * 5000, "9" * 13, "nan", "inf", "-inf", "1e308", "1e-320",
          "-0", "0x10", "1_000", " 3 ", "3+4", "+", ",", "", "\x00", "1e99999", ".5", "5.",
          "-1", "1.5", "true", "[1]", "{}", "%00", "![t](http://127.0.0.1:9/t.png)"]
text_values = st.one_of(st.sampled_from(TRICKY), st.text(max_size=30),
                        st.from_regex(r"[+-]?[0-9]{0,14}(\.[0-9]{0,3})?(e[+-]?[0-9]{1,4})?",
                                      fullmatch=True),
                        st.integers(-10, 10**6).map(str),
                        st.floats(allow_nan=True, allow_infinity=True).map(repr))
LINK_KEYS = sorted(share.FIELD_TYPES) + ["forget", "c", "seq", "view", "unknown"]
SENSIBLE = {"model": ["relu", "linear"], "data": ["orthogonal", "mixture", "xor", "digits", "iris"],
            "preprocess": ["standardize", "as_is"], "view": ["plane", "data"],
            "seq": ["0", "1"], "start": ["trained", "exact"]}


def link_value(key):
    """A tricky or random text, or a value of the right kind (so that results are reached)."""
    kind = share.FIELD_TYPES.get(key)
    valid = (st.sampled_from(SENSIBLE[key]) if key in SENSIBLE
             else st.integers(0, 3000).map(str) if kind is int
             else st.floats(0, 20).map(repr) if kind is float or key == "c"
             else st.lists(st.integers(0, 60), max_size=3, unique=True).map(
                 lambda v: ",".join(map(str, v))) if key in ("forget", "classes")
             else st.just("1"))
    return st.one_of(text_values, valid, valid)


links = st.lists(st.sampled_from(LINK_KEYS), max_size=6, unique=True).flatmap(
    lambda keys: st.fixed_dictionaries({k: link_value(k) for k in keys}))
forget_texts = st.one_of(text_values, st.lists(st.lists(st.integers(0, 60), min_size=1,
                                                        max_size=3), max_size=4).map(
    lambda h: ",".join("+".join(map(str, a)) for a in h)),
    st.text(alphabet="0123456789+, ²٣", max_size=20))
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                         st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=10),
                         st.sampled_from(["relu", "linear", "digits", "mixture", "standardize"]))
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=6)
scenario_dicts = st.dictionaries(st.sampled_from(sorted(share.FIELD_TYPES) + ["bogus"]),
                                 json_values, max_size=5)
scenario_files = st.one_of(
    st.fixed_dictionaries({"scenario": scenario_dicts},
                          optional={"history": json_values, "forget": json_values,
                                    "scale": json_values, "sequential": json_values,
                                    "format": json_values}).map(json.dumps),
    json_values.map(json.dumps), st.binary(max_size=40), st.text(max_size=40),
    st.sampled_from(["Infinity", "NaN", "1" * 5000, "[" * 5000, '{"scenario": {"lr": 1e999}}']))


def train_on(dataset, model, preprocess):
    """prepare + compare on a small net: training after loading, as the app does."""
    scenario = Scenario(model=model, preprocess=preprocess, steps=40, width=6,
                        data_file="fuzz.csv")
    prep = prepare(scenario, dataset=dataset)
    return compare(prep, (0,))


# ---------------------------------------------------------------- links and forget strings

@budget("link")
@given(links)
@example({"forget": "²"})
@example({"forget": "1" * 5000})
@example({"data_file": "a\x00b.csv"})
@example({"seq": "maybe"})
@example({"model": "![t](http://127.0.0.1:9/track.png)"})
@example({"lift": "1"})
def test_any_link_parses_or_says_why(params):
    shared = outcome("link", lambda: share.from_query(params))
    if shared is not None:
        hash(shared)                                 # a cache key
        assert share.from_query(share.to_query(shared)) == shared


@budget("forget")
@given(forget_texts)
@example("²")
@example("፪")
@example("1" * 5000)
def test_any_forget_string_parses_or_says_why(text):
    history = outcome("forget", lambda: share.history_from_text(text))
    if history is not None:
        assert share.history_from_text(share.history_to_text(history)) == history


# ---------------------------------------------------------------- scenario files

@budget("scenario_file")
@given(scenario_files)
@example('{"scenario": {"mu_norm": "4"}}')
@example('{"scenario": {"kink_tol": null}}')
@example('{"scenario": {"kink_tol": [1]}}')
@example('{"scenario": {"lr": {"a": 1}}}')
@example('{"scenario": {"data_file": "a\\u0000b.csv"}}')
@example('{"scenario": {}, "history": [[Infinity]]}')
def test_any_scenario_file_loads_or_says_why(text):
    shared = outcome("scenario_file", lambda: share.from_json(text))
    if shared is not None:
        hash(shared)
        assert share.from_json(share.to_json(shared)) == shared


# ---------------------------------------------------------------- CSV and NPZ, then training

cells = st.one_of(st.integers(-5, 5).map(str), st.floats(-10, 10).map(lambda x: f"{x:.3g}"),
                  st.sampled_from(["1e308", "-1e308", "1e200", "1e-320", "nan", "inf", "",
                                   "x", "cat", "dog", "1,5", '"1"', "0x1", "  2 ", "1e150"]))


@st.composite
def csv_files(draw):
    """Mostly well-formed files (numbers, two labels), some with a corrupt cell, a ragged
    row, an odd header or a third label."""
    n = draw(st.sampled_from([0, 1] + [4, 6, 8, 10, 12] * 3))
    d = draw(st.integers(1, 14))
    seed = draw(st.integers(0, 2**16))
    X = np.random.default_rng(seed).standard_normal((n, d)) * draw(
        st.sampled_from([1.0, 1.0, 100.0, 1e-3, 1e140]))
    sizes = st.one_of(st.just(2), st.just(2), st.integers(1, 3))
    labels = draw(sizes.flatmap(lambda k: st.lists(st.sampled_from(
        ["0", "1", "cat", "dog", "-1", "2", "1.0"]), min_size=k, max_size=k, unique=True)))
    header = [f"x{j}" for j in range(d)] + [draw(st.sampled_from(["y", "label", "class"]))]
    rows = [[f"{v:.6g}" for v in X[i]] + [labels[i % len(labels)] if i < 2 else
                                           draw(st.sampled_from(labels))] for i in range(n)]
    for _ in range(draw(st.integers(0, 3)) if draw(st.booleans()) else 0):     # corruption
        kind = draw(st.sampled_from(["cell", "ragged", "header"]))
        if kind == "cell" and rows:
            i, j = draw(st.integers(0, n - 1)), draw(st.integers(0, d))
            rows[i][j] = draw(cells)
        elif kind == "ragged" and rows:
            i = draw(st.integers(0, n - 1))
            rows[i] = rows[i][:-1] if draw(st.booleans()) else rows[i] + ["7"]
        else:
            header[draw(st.integers(0, d))] = draw(st.text(max_size=6))
    sep = draw(st.sampled_from(["\n", "\r\n"]))
    text = sep.join(",".join(r) for r in [header] + rows) + sep
    return text.encode()


@budget("csv")
@given(csv_files(), st.sampled_from(["relu", "linear"]),
       st.sampled_from(["unit_median_norm", "as_is", "unit_rows", "standardize"]))
@example(b"x0,x1,y\n1,0,0\n0,1,1\n1e308,0,0\n-1,1,1\n", "relu", "unit_median_norm")
@example(b"a,b\n1,2,x,0\n3,4,y,1\n", "relu", "unit_median_norm")
@example(b"a,b,y\n1,2,0\n-1e308,-1e308,1\n3,1,1\n", "linear", "as_is")
def test_any_csv_loads_and_trains_or_says_why(data, model, preprocess):
    outcome("csv", lambda: train_on(load_csv(data), model, preprocess))


@st.composite
def npz_contents(draw):
    """X, y (and sometimes a test set) that mostly load, some of odd shapes or types."""
    n = draw(st.sampled_from([0, 1] + [4, 6, 8, 10, 12] * 3))
    d = draw(st.integers(1, 14))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    scale = draw(st.sampled_from([1.0, 1.0, 1e-3, 1e-320, 1e200, 0.0]))
    out = {"X": rng.standard_normal((n, d)) * scale,
           "y": rng.permutation(np.arange(n) % 2) * draw(st.sampled_from([1, 2, -1]))}
    if draw(st.booleans()):
        out["X_test"], out["y_test"] = rng.standard_normal((5, d)), np.arange(5) % 2
    odd = [np.array([[np.nan, 1.0], [1.0, 2.0]]), np.array([1.0, 2.0]), np.zeros((2, 2, 2)),
           np.array([["a", "b"], ["c", "d"]]), np.array([[True, False], [False, True]]),
           np.array(3.0), np.arange(12, dtype=np.int8).reshape(6, 2), np.array([]),
           np.array(["a", "b"] * 3), np.array([0, 1, 2] * 2), np.array([[0, 1]])]
    for key in draw(st.lists(st.sampled_from(["X", "y", "X_test", "y_test"]), max_size=2)):
        if draw(st.booleans()):
            out[key] = draw(st.sampled_from(odd))
        else:
            out.pop(key, None)
    return out


@budget("npz")
@given(npz_contents(), st.sampled_from(["relu", "linear"]))
def test_any_npz_loads_and_trains_or_says_why(contents, model):
    buf = io.BytesIO()
    np.savez(buf, **contents)
    buf.name = "fuzz.npz"
    outcome("npz", lambda: train_on(load_npz(buf.getvalue()), model, "unit_median_norm"))


# ---------------------------------------------------------------- command lines

SMALL = {"--n-samples": st.integers(-1, 14).map(str), "--dim": st.integers(-1, 60).map(str),
         "--width": st.integers(-1, 12).map(str), "--steps": st.integers(-1, 60).map(str),
         "--n-test": st.integers(-1, 50).map(str), "--shadows": st.integers(-1, 3).map(str),
         "--k": st.integers(-1, 5).map(str), "--lift": st.integers(-1, 40).map(str)}
FREE = ["--model", "--data", "--preprocess", "--loss", "--optimizer", "--lr", "--seed",
        "--init-scale", "--kink-tol", "--active-tol", "--start", "--scale", "--forget",
        "--methods", "--method-opts", "--classes", "--mu-norm", "--eta", "--alpha",
        "--damping", "--data-file", "--bogus"]
FLAGS = ["--json", "--sequential", "--mia", "--help"]


@st.composite
def command_lines(draw):
    argv = ["unlearn", "--n-samples", "10", "--dim", "40", "--width", "8", "--steps", "30",
            "--n-test", "20", "--shadows", "2"]
    for option in draw(st.lists(st.sampled_from(sorted(SMALL) + FREE + FLAGS), max_size=5)):
        argv.append(option)
        if option in SMALL:
            argv.append(draw(SMALL[option]))
        elif option in FREE:
            value = draw(st.one_of(text_values, st.sampled_from(
                ["relu", "linear", "xor", "digits", "all", "ga,newton", "3", "0.5",
                 '{"ga_steps": {"k": 2}}', "standardize", "exact"])))
            argv.append(value.replace("\x00", ""))      # argv cannot hold a NUL
    return argv


@budget("cli")
@given(command_lines())
@example(["unlearn", "--model", "linear", "--lr", "1e-300", "--n-samples", "10", "--dim", "40"])
@example(["unlearn", "--methods", "exact", "--n-samples", "10", "--dim", "40"])
@example(["slides", "--out", "/proc/nope"])
@example(["reproduce", "--out", "/proc/nope", "--quick"])
def test_any_command_line_exits_0_or_2_with_one_line(argv):
    import contextlib

    TALLY["cli"]["inputs"] += 1
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as stop:              # argparse: usage errors and --help
            code = stop.code
        except Exception:
            TALLY["cli"]["crashes"] += 1
            raise
    lines = err.getvalue().strip().splitlines()
    if code not in (0, 2):
        TALLY["cli"]["crashes"] += 1
    assert code in (0, 2), (code, err.getvalue()[-2000:])
    if code == 2:
        TALLY["cli"]["clear errors"] += 1
        assert len(lines) == 1 and lines[0].startswith("error: "), lines


# ---------------------------------------------------------------- app sessions

@budget("app")
@given(links)
@example({"forget": "²"})
@example({"data_file": "a\x00b.csv"})
def test_a_session_opened_on_any_link_stays_usable(params):
    from streamlit.testing.v1 import AppTest

    # a link alone never starts long work; keep the generated scenarios small anyway
    params = {k: v for k, v in params.items()
              if k not in ("n_samples", "dim", "width", "steps", "n_test", "lift")}
    TALLY["app"]["inputs"] += 1
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    TALLY["app"]["crashes"] += bool(at.exception)
    assert not at.exception, [e.value for e in at.exception]
    if at.warning and "default demo" in at.warning[0].value:
        TALLY["app"]["clear errors"] += 1
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    at.switch_page("pages/2_data.py").run()
    assert not at.exception, [e.value for e in at.exception]
