"""Each command imports only what it needs (issue 19): ``--help`` and a bad option answer
without loading Numba (the engine loads once the options are checked), and no command of
the CLI loads Streamlit or Altair. Speed itself is measured in benchmarks/bench_cli.py.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROBE = """import sys, runpy
sys.argv = ["explorer"] + sys.argv[1:]
try:
    runpy.run_module("explorer", run_name="__main__")
except SystemExit:
    pass
print("LOADED " + " ".join(sorted({m.split(".")[0] for m in sys.modules})), file=sys.stderr)
"""


def loaded(*argv):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1",
               NUMBA_CACHE_DIR=os.environ.get("NUMBA_CACHE_DIR", str(ROOT / ".numba_cache")))
    proc = subprocess.run([sys.executable, "-c", PROBE, *argv], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    line = [x for x in proc.stderr.splitlines() if x.startswith("LOADED ")][-1]
    return set(line.split()[1:]), proc.stderr


@pytest.mark.parametrize("argv", [("--help",), ("unlearn", "--help"), ("sweep", "--help"),
                                  ("reproduce", "--help"), ("slides", "--help"),
                                  ("unlearn", "--n-samples", "1"),
                                  ("unlearn", "--methods", "exact"),
                                  ("unlearn", "--forget", "3", "3")])
def test_help_and_bad_options_do_not_load_numba(argv):
    modules, err = loaded(*argv)
    assert not modules & {"numba", "llvmlite", "pandas", "streamlit", "altair", "sklearn"}, (
        modules & {"numba", "llvmlite", "pandas", "streamlit", "altair", "sklearn"})
    if "--help" not in argv:
        assert err.startswith("error: ")


@pytest.mark.slow
def test_unlearn_json_loads_no_tables_or_ui():
    modules, _ = loaded("unlearn", "--n-samples", "10", "--dim", "50", "--width", "8",
                        "--steps", "30", "--json")
    assert "numba" in modules
    assert not modules & {"pandas", "streamlit", "altair", "sklearn", "vl_convert"}
