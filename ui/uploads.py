"""Housekeeping of ``.uploads/``: uploaded data files are content-addressed
(``<sha256>.<ext>``, see ``store_upload``) and removed once no live session needs
them.

Every run records the data files its session's scenarios use (the trained one and the
draft on Data & training). After each new upload, a file is deleted when no live session
uses it and it is older than ``UNLEARN_UPLOAD_HOURS`` hours (default 6; its time is
refreshed whenever the same content is uploaded again). A link to a deleted upload asks
to upload the file again.
"""
import hashlib
import io
import os
import threading
import time
from pathlib import Path

from core.io import load_file

APP_DIR = Path(__file__).resolve().parent.parent
UPLOAD_DIR = APP_DIR / ".uploads"

DEFAULT_HOURS = 6.0
_LOCK = threading.Lock()
_USED = {}          # session id -> set of data_file paths (relative to the app directory)


def max_age_seconds():
    """How long an upload no live session uses is kept (``UNLEARN_UPLOAD_HOURS``)."""
    try:
        hours = float(os.environ.get("UNLEARN_UPLOAD_HOURS", DEFAULT_HOURS))
    except ValueError:
        hours = DEFAULT_HOURS
    return max(hours, 0.0) * 3600.0


def _session_id():
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx
        ctx = get_script_run_ctx()
    except ImportError:
        return None
    return None if ctx is None else ctx.session_id


def _is_live(session_id):
    """Whether the session is still connected (True where no runtime can tell: AppTest)."""
    try:
        from streamlit import runtime
        return not runtime.exists() or runtime.get_instance().is_active_session(session_id)
    except (ImportError, RuntimeError):
        return True


def remember(paths, session_id=None):
    """Record the data files the current session (or ``session_id``) uses; called on
    every run."""
    sid = session_id or _session_id()
    if sid is not None:
        with _LOCK:
            _USED[sid] = {str(p) for p in paths if p}


def in_use():
    """Data files used by live sessions; sessions that closed are forgotten."""
    with _LOCK:
        for sid in [s for s in _USED if not _is_live(s)]:
            del _USED[sid]
        return set().union(*_USED.values()) if _USED else set()


def clean(directory, root, keep=(), max_age=None, now=None):
    """Delete the files of ``directory`` that no live session uses (paths relative to
    ``root``), are not in ``keep`` and are older than ``max_age`` seconds. Returns the
    deleted names."""
    directory, root = Path(directory), Path(root)
    if not directory.is_dir():
        return []
    max_age = max_age_seconds() if max_age is None else max_age
    now = time.time() if now is None else now
    wanted = in_use() | {str(k) for k in keep}
    deleted = []
    for path in sorted(directory.iterdir()):
        data = path.with_suffix("") if path.suffix == NAME_SUFFIX else path   # a name sidecar
        if not path.is_file() or str(data.relative_to(root)) in wanted:
            continue
        try:
            if now - path.stat().st_mtime > max_age:
                path.unlink()
                deleted.append(path.name)
        except FileNotFoundError:          # another session cleaned it first
            continue
    return deleted


NAME_SUFFIX = ".name"


def remember_name(stored, original):
    """Keep the name a file was uploaded under beside its content-addressed copy."""
    Path(f"{stored}{NAME_SUFFIX}").write_text(Path(original).name, encoding="utf-8")


def original_name(stored):
    """The name ``stored`` (an upload's path) was uploaded under, or None."""
    try:
        return Path(f"{stored}{NAME_SUFFIX}").read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def display_name(data_file, fallback):
    """What to call a scenario's data on a page: the uploaded file's own name when
    ``data_file`` is an upload (paths are relative to the app), else ``fallback``."""
    if not data_file:
        return fallback
    return original_name(Path(__file__).resolve().parent.parent / data_file) or fallback


def store_upload(name, data):
    """Validate an uploaded CSV/NPZ with core.io and keep it as .uploads/<sha256>.<ext>.

    Returns (path relative to the app, Dataset). Raises InputError for invalid files, and
    then writes nothing.
    """
    suffix = Path(name).suffix.lower()
    dataset = load_file(io.BytesIO(data), name=name)
    UPLOAD_DIR.mkdir(exist_ok=True)
    target = UPLOAD_DIR / f"{hashlib.sha256(data).hexdigest()}{suffix}"
    if target.exists():
        target.touch()                  # uploaded again: young again (``clean``)
    else:
        target.write_bytes(data)
    remember_name(target, name)
    relative = str(target.relative_to(APP_DIR))
    clean(UPLOAD_DIR, APP_DIR, keep=(relative,))
    return relative, dataset
