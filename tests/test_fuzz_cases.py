"""The inputs that crashed the app or the CLI in the fuzzing run of issue 19, one test each:
a clear InputError naming the value (the CLI: exit code 2 and one line on stderr), and an
app session that shows one message and stays usable. The generated battery is
tests/test_fuzz.py; these are its explicit cases.
"""
import json
from dataclasses import replace

import numpy as np
import pytest

from core.errors import InputError
from core.io import load_csv, load_npz
from core.scenario import Scenario
from explorer.cli import ga_ratio, main
from present import share

PAGES = ("pages/1_overview.py", "pages/2_data.py", "pages/4_kkt.py", "pages/5_step_size.py",
         "pages/8_methods.py", "pages/3_unlearn.py")


def cli(capsys, *argv):
    """(exit code, stderr lines) of ``python -m explorer`` run in this process."""
    try:
        code = main(list(argv))
    except SystemExit as stop:          # argparse's own errors
        code = stop.code
    return code, capsys.readouterr().err.strip().splitlines()


# ---------------------------------------------------------------- crashes 1 and 2: forget=

@pytest.mark.parametrize("text", ["²", "³", "፪", "3,²", "1+٣", "1" * 5000, "9" * 13])
def test_forget_values_int_cannot_read_are_refused(text):
    # str.isdigit() holds for each of these; int() fails on '²', and on 5,000 digits
    with pytest.raises(InputError, match="The link's forget="):
        share.history_from_text(text)
    with pytest.raises(InputError, match="forget"):
        share.from_query({"forget": text})


@pytest.mark.parametrize("name, text", [("n_samples", "٣٠"), ("n_samples", "1_0"),
                                        ("seed", "1" * 5000), ("lr", "١.٥"), ("lr", "nan"),
                                        ("lr", "1" * 5000), ("classes", "3,٨")])
def test_link_numbers_are_ascii_decimals(name, text):
    # int()/float() would take '٣٠', '1_0' and '١.٥' and silently use them
    with pytest.raises(InputError, match=f"The link's {name}="):
        share.from_query({"data": "digits", name: text} if name == "classes" else {name: text})


def test_the_links_numbers_still_parse():
    shared = share.from_query({"n_samples": "30", "lr": "0.5", "seed": "+7", "forget": "3,5",
                               "init_scale": "1e-4", "c": ".5"})
    assert (shared.scenario.n_samples, shared.scenario.lr, shared.scenario.seed) == (30, 0.5, 7)
    assert shared.scenario.init_scale == 1e-4 and shared.scale == 0.5
    assert shared.history == ((3,), (5,))


@pytest.mark.parametrize("text", ["maybe", "yes", "2"])
def test_seq_other_than_on_or_off_is_refused(text):
    # issue 20: ?seq=maybe was accepted silently
    with pytest.raises(InputError, match=f"The link's seq='{text}' must be 1"):
        share.from_query({"seq": text})


@pytest.mark.parametrize("text, on", [("1", True), ("true", True), ("0", False),
                                      ("false", False)])
def test_seq_on_and_off(text, on):
    assert share.from_query({"seq": text}).sequential is on


@pytest.mark.slow
@pytest.mark.parametrize("query", [{"forget": "²"}, {"forget": "1" * 5000},
                                   {"data_file": "a\x00b.csv"}, {"seq": "maybe"},
                                   {"kink_tol": "x"}])
def test_a_bad_link_leaves_a_working_default_session(open_app, query):
    at = open_app(**query)
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.warning) >= 1 and "showing the default demo" in at.warning[0].value
    assert at.session_state["ux.scenario"] == Scenario()
    at.run()
    assert not at.exception
    for page in PAGES:
        at.switch_page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])


@pytest.mark.slow
def test_a_link_that_fails_unexpectedly_still_leaves_a_working_session(open_app,
                                                                         monkeypatch):
    """Whatever reading the link raises, the session was complete with the defaults before:
    the next run and every page work (before issue 19 'ready' was set first, so every
    later run of that session failed too)."""
    def broken(params):
        raise RuntimeError("a parser bug")

    monkeypatch.setattr(share, "from_query", broken)
    at = open_app(forget="3")
    assert at.exception                  # this run shows the bug once...
    at.run()
    assert not at.exception, [e.value for e in at.exception]      # ...and then works
    assert at.session_state["ux.scenario"] == Scenario()
    at.switch_page("pages/2_data.py").run()
    assert not at.exception


# ---------------------------------------------------------------- crash 3: NUL in data_file

@pytest.mark.parametrize("name", ["a\x00b.csv", "a\nb.csv", 5, ["x.csv"]])
def test_data_file_names_must_be_plain_text(name):
    with pytest.raises(InputError, match="data_file must be the path"):
        Scenario(data_file=name).validated()
    if isinstance(name, str):
        with pytest.raises(InputError, match="data_file"):
            share.from_query({"data_file": name})


# ---------------------------------------------------------------- crash 5: lr = 1e-300

def test_a_model_too_close_to_zero_to_certify_is_refused(capsys):
    code, err = cli(capsys, "unlearn", "--model", "linear", "--lr", "1e-300")
    assert code == 2 and len(err) == 1
    assert err[0].startswith("error: The model's smallest margin is 2.49e-299")


# ---------------------------------------------------------------- crashes 6 and 7: CSV files

def test_a_value_that_overflows_the_model_is_refused_at_load():
    text = b"x0,x1,y\n1,0,0\n0,1,1\n1e308,0,0\n-1,1,1\n"
    with pytest.raises(InputError, match="'1e\\+308' in row 3, column 'x0': features must "
                                         "be at most 1e\\+150"):
        load_csv(text)


def test_a_row_of_minus_1e308_is_refused_too():
    text = b"a,b,y\n1,2,0\n-1e308,-1e308,1\n3,1,1\n"
    with pytest.raises(InputError, match="row 2, column 'a'"):
        load_csv(text)


def test_npz_arrays_with_huge_values_are_refused(tmp_path):
    path = tmp_path / "big.npz"
    X = np.eye(4)
    X[1, 2] = -3e200
    np.savez(path, X=X, y=np.array([0, 1, 0, 1]))
    with pytest.raises(InputError, match="Array 'X' of 'big.npz' has '-3e\\+200' in row 2, "
                                         "column 2"):
        load_npz(str(path))


def test_rows_longer_than_the_header_are_refused():
    with pytest.raises(InputError, match="rows with more fields than its header"):
        load_csv(b"a,b\n1,2,x,0\n3,4,y,1\n")


def test_the_cli_reports_both_csv_files_on_one_line(tmp_path, capsys):
    big = tmp_path / "big.csv"
    big.write_text("x0,x1,y\n1,0,0\n0,1,1\n1e308,0,0\n-1,1,1\n")
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("a,b\n1,2,x,0\n3,4,y,1\n")
    for path, words in ((big, "row 3, column 'x0'"), (ragged, "more fields than its header")):
        code, err = cli(capsys, "unlearn", "--data-file", str(path))
        assert code == 2 and len(err) == 1 and words in err[0]


# ---------------------------------------------------------------- crash 8: scenario files

@pytest.mark.parametrize("field, value", [("mu_norm", "4"), ("kink_tol", None),
                                          ("kink_tol", [0.1]), ("lr", {"a": 1}),
                                          ("active_tol", "0.1"), ("init_scale", "1e-3"),
                                          ("mu_norm", True)])
def test_a_non_number_in_a_number_field_is_refused(field, value):
    with pytest.raises(InputError, match=f"{field} must be a"):
        share.from_json(json.dumps({"scenario": {field: value}}))


@pytest.mark.parametrize("body, words", [
    ({"history": [[1.5]]}, "forget indices must be integers"),
    ({"history": [["3"]]}, "forget indices must be integers"),
    ({"history": [[True]]}, "forget indices must be integers"),
    ({"history": "3,8"}, "history must be a list of lists"),
    ({"forget": 3}, "history must be a list of lists"),
    ({"scale": "1.5"}, "c \\(the step-size multiplier\\) must be a finite number"),
    ({"sequential": "false"}, "sequential must be true or false"),
])
def test_the_scenario_files_other_values_keep_their_types(body, words):
    with pytest.raises(InputError, match=words):
        share.from_json(json.dumps(dict({"scenario": {}}, **body)))


@pytest.mark.parametrize("text", ["Infinity", '{"scenario": {}, "history": [[Infinity]]}',
                                  "1" * 5000, "[" * 100_000, b"\xff\xfe\x00"])
def test_json_python_cannot_hold_is_a_clear_error(text):
    with pytest.raises(InputError):
        share.from_json(text)


# ---------------------------------------------------------------- crash 9: reproduce --methods

def test_reproduce_with_only_ga_still_tests_its_claims(tmp_path, capsys, monkeypatch):
    """The claims compare GA with doing nothing and retraining: those run whatever
    --methods says (before: KeyError after every sweep had run). A small plan keeps it
    quick; the rules are the same."""
    from core.sweeps import reproduce
    from core.sweeps.store import read_results

    tiny = replace(reproduce.QUICK, dims=(50, 1000), seeds=3, scales=(0.0, 1.0),
                   removals=1, curve_seeds=3, break_ns=(10,), break_seeds=3,
                   relu_steps=(200,), linear_steps=(500,), cost_dim=200)
    monkeypatch.setattr(reproduce, "QUICK", tiny)
    code, _ = cli(capsys, "reproduce", "--out", str(tmp_path), "--quick", "--methods", "ga",
                  "--workers", "1")
    assert code == 0
    summary = (tmp_path / "summary.md").read_text()
    assert "GA beats doing nothing" in summary
    rows = read_results(tmp_path / "data" / "scaling_relu.csv")
    assert set(rows["method"]) == {"ga", "do_nothing", "retrain"}


# ---------------------------------------------------------------- crash 10: --methods exact

def test_the_exact_svm_on_the_relu_net_is_one_line(capsys):
    code, err = cli(capsys, "unlearn", "--methods", "exact")
    assert code == 2 and len(err) == 1 and "for the linear model only" in err[0]


def test_the_text_report_without_an_audit_has_no_audit_lines():
    from explorer.method_cli import audit_lines

    assert audit_lines({"methods": {}, "forget": [3]}) == []
    assert audit_lines({"methods": {"ga": {"eps": 1.0}}, "forget": [3]}) == []


# ---------------------------------------------------------------- crash 11: --out

@pytest.mark.parametrize("command", [("reproduce", "--quick"), ("slides",)])
def test_an_output_directory_that_cannot_be_made_is_one_line(capsys, tmp_path, command):
    a_file = tmp_path / "existing"
    a_file.write_text("x")
    for out, words in (("/proc/nope", "cannot be written to (No such file or directory)"),
                       (str(a_file), "is a file, not a directory")):
        code, err = cli(capsys, command[0], "--out", out, *command[1:])
        assert code == 2 and len(err) == 1 and words in err[0], err


def test_a_sweep_file_in_a_directory_that_cannot_be_made_is_one_line(capsys, tmp_path):
    for out, words in (("/proc/nope/x.csv", "cannot be written to"),
                       (str(tmp_path), "is a directory")):
        code, err = cli(capsys, "sweep", "--vary", "dim", "--values", "50", "--out", out)
        assert code == 2 and len(err) == 1 and words in err[0], err


# ---------------------------------------------------------------- issue 20: the text report

def test_the_text_report_says_round_off_and_n_a_for_the_linear_model(capsys):
    # the exact SVM has no gradient evaluations ("NaN" before); GA at round-off read "0.00 x"
    assert main(["unlearn", "--model", "linear", "--n-samples", "12", "--dim", "200",
                 "--forget", "3"]) == 0
    out = capsys.readouterr().out
    assert "NaN" not in out and "0.00 x" not in out
    assert "(round-off) against" in out
    exact = next(line for line in out.splitlines() if line.strip().startswith("exact SVM"))
    assert exact.rstrip().endswith("n/a")


def test_ga_ratio_words():
    assert ga_ratio(0.05, 0.2) == "0.25 x do-nothing's"
    assert ga_ratio(3.5e-16, 0.193) == "3.5e-16 (round-off) against 0.193 for doing nothing"
