"""The kernel modules as they were at a git revision, read from git at run time (nothing of
them is stored in the repository), so a refactoring of the kernels can be checked bit for
bit against the code it replaced (tests/test_kernel_tuples.py) and timed against it in one
process (benchmarks/bench_kernel_args.py).

``load()`` writes ``core/<name>.py`` of ``REVISION`` (the kernel modules and their thin
callers) as ``before_<name>.py`` into a folder of the Numba cache directory, with the
imports between them redirected (the rest of ``core`` is today's), imports them, and
returns the modules; their compiled kernels are cached there like the current ones.
Without git or without that revision it returns None (the callers skip).
"""
import importlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REVISION = "f5edfeb259af0b505b3af25dbf3294233cad023e"   # the last positional kernels (issue 18)
MODULES = ("kernels", "method_kernels", "nnls_kernels", "train", "methods", "kkt")


def folder(revision=REVISION):
    """Where the old sources are written: NUMBA_CACHE_DIR (else .numba_cache)/before/REV."""
    cache = os.environ.get("NUMBA_CACHE_DIR") or str(ROOT / ".numba_cache")
    return Path(cache) / "before" / revision[:12]


def _source(revision, name):
    text = subprocess.run(["git", "show", f"{revision}:core/{name}.py"], cwd=ROOT,
                          capture_output=True, text=True, check=True).stdout
    for other in MODULES:
        text = text.replace(f"from core.{other} import", f"from before_{other} import")
    return text


def load(revision=REVISION):
    """{name: module} of the kernel modules at ``revision``, or None without git or it."""
    where = folder(revision)
    try:
        where.mkdir(parents=True, exist_ok=True)
        for name in MODULES:
            target = where / f"before_{name}.py"
            text = _source(revision, name)
            if not target.exists() or target.read_text() != text:   # unchanged: cache kept
                target.write_text(text)
    except (OSError, subprocess.CalledProcessError):
        return None
    if str(where) not in sys.path:
        sys.path.insert(0, str(where))
    return {name: importlib.import_module(f"before_{name}") for name in MODULES}
