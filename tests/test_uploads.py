"""Housekeeping of .uploads/ (ui/uploads.py) and the server settings that must hold however
the app is started (.streamlit/config.toml beside app.py)."""
import os
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from ui import uploads

ROOT = Path(__file__).resolve().parent.parent
HOUR = 3600.0


@pytest.fixture
def upload_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(uploads, "_USED", {})
    folder = tmp_path / ".uploads"
    folder.mkdir()
    now = time.time()
    for name, age in (("old.csv", 10 * HOUR), ("used.csv", 10 * HOUR), ("young.npz", 0.5 * HOUR),
                      ("kept.csv", 10 * HOUR)):
        path = folder / name
        path.write_text("x,label\n1,0\n")
        os.utime(path, (now - age, now - age))
    return folder


def test_clean_deletes_only_old_files_no_live_session_uses(upload_dir):
    root = upload_dir.parent
    uploads.remember([".uploads/used.csv", None], session_id="s1")
    deleted = uploads.clean(upload_dir, root, keep=[".uploads/kept.csv"], max_age=6 * HOUR)
    assert deleted == ["old.csv"]
    assert sorted(p.name for p in upload_dir.iterdir()) == ["kept.csv", "used.csv", "young.npz"]


def test_a_file_is_released_when_its_session_moves_on(upload_dir):
    root = upload_dir.parent
    uploads.remember([".uploads/used.csv"], session_id="s1")
    uploads.remember([], session_id="s1")           # the session trained something else
    assert "used.csv" in uploads.clean(upload_dir, root, max_age=6 * HOUR)


def test_closed_sessions_no_longer_hold_files(upload_dir, monkeypatch):
    root = upload_dir.parent
    uploads.remember([".uploads/used.csv"], session_id="gone")
    monkeypatch.setattr(uploads, "_is_live", lambda sid: sid != "gone")
    assert "used.csv" in uploads.clean(upload_dir, root, max_age=6 * HOUR)
    assert uploads.in_use() == set()


def test_the_uploaded_name_is_kept_beside_the_hash_and_cleaned_with_it(upload_dir):
    root = upload_dir.parent
    uploads.remember_name(upload_dir / "used.csv", "/home/me/My data.csv")
    uploads.remember_name(upload_dir / "old.csv", "old one.csv")
    for name in ("used.csv.name", "old.csv.name"):
        os.utime(upload_dir / name, (time.time() - 10 * HOUR,) * 2)
    assert uploads.original_name(upload_dir / "used.csv") == "My data.csv"
    assert uploads.original_name(upload_dir / "young.npz") is None
    uploads.remember([".uploads/used.csv"], session_id="s1")
    deleted = uploads.clean(upload_dir, root, keep=[".uploads/kept.csv"], max_age=6 * HOUR)
    assert sorted(deleted) == ["old.csv", "old.csv.name"]       # the used file keeps its name
    assert (upload_dir / "used.csv.name").exists()


def test_the_age_limit_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("UNLEARN_UPLOAD_HOURS", "2")
    assert uploads.max_age_seconds() == 2 * HOUR
    monkeypatch.setenv("UNLEARN_UPLOAD_HOURS", "soon")
    assert uploads.max_age_seconds() == uploads.DEFAULT_HOURS * HOUR


def test_the_config_beside_app_py_binds_loopback_and_limits_uploads():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "127.0.0.1"
    assert 0 < config["server"]["maxUploadSize"] <= 200


def test_the_config_applies_when_the_server_starts_from_another_directory(tmp_path):
    """`streamlit run /abs/path/app.py` from elsewhere reads the config beside app.py (the
    CLI records the script's path before parsing the config; this asks the same parser)."""
    probe = ("from streamlit import config\n"
             f"config._main_script_path = {str(ROOT / 'app.py')!r}\n"
             "config.get_config_options(force_reparse=True)\n"
             "print(config.get_option('server.address'), "
             "config.get_option('server.maxUploadSize'))\n")
    out = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True,
                         text=True, timeout=60, env={**os.environ, "HOME": str(tmp_path)})
    assert out.returncode == 0, out.stderr
    address, limit = out.stdout.split()
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert address == "127.0.0.1" and int(limit) == config["server"]["maxUploadSize"]
