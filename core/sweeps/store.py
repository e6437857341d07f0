"""The CSV file of a sweep: incremental appends, resume, the final ordered rewrite.

Rows are appended as jobs finish; the sweep's spec is kept next to the CSV, in
``<stem>.sweep.json``, so a rerun of the same sweep resumes and a different sweep is
never mixed in. When every job has run, the file is rewritten in a fixed order: values as
given, then seeds, then methods.
"""
from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pandas as pd

from core.errors import InputError
from core.sweeps.spec import COLUMNS, TEXT_COLUMNS, order_methods


def spec_path(out):
    """Where the spec of the sweep written to ``out`` is kept: ``<stem>.sweep.json``."""
    out = Path(out)
    return out.with_name(out.stem + ".sweep.json")


def output_matches(spec, out):
    """True if ``out`` does not exist or holds rows of this very sweep."""
    out, side = Path(out), spec_path(out)
    if not out.exists():
        return True
    if not side.exists():
        return False
    try:
        return json.loads(side.read_text()) == spec.validated().to_dict()
    except (OSError, ValueError):
        return False


def open_output(spec, out, overwrite):
    """Finished rows of ``out`` by (value, seed) (complete jobs only), after checking that
    it holds this sweep; creates the file and its spec otherwise.
    """
    out = Path(out)
    if out.exists() and not overwrite and not output_matches(spec, out):
        raise InputError(f"{out} holds the results of a different sweep (see "
                         f"{spec_path(out).name}): use another --out, or --overwrite.")
    if out.parent and not out.parent.exists():
        out.parent.mkdir(parents=True)
    done = {}
    if out.exists() and not overwrite:
        done = complete_groups(spec, read_raw(out))
    write_all(out, [r for key in done for r in done[key]])
    spec_path(out).write_text(json.dumps(spec.to_dict(), indent=1) + "\n")
    return done


def read_raw(path):
    """Rows of a (possibly cut) sweep CSV as dicts of strings; a torn last line is dropped."""
    with open(path, newline="") as fh:
        text = fh.read()
    if not text.endswith("\n"):
        text = text[:text.rfind("\n") + 1]
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None:
        return []
    if tuple(reader.fieldnames) != COLUMNS:
        raise InputError(f"{path} is not a sweep CSV of this version (columns differ): "
                         "use another --out, or --overwrite.")
    return [r for r in reader if None not in r.values() and None not in r]


def group_rows(rows):
    """Rows grouped by (value, seed)."""
    groups = {}
    for r in rows:
        groups.setdefault((float(r["value"]), int(r["seed"])), []).append(r)
    return groups


def complete_groups(spec, raw):
    """(value, seed) -> rows, for groups that have a row for every expected method."""
    expected = set(spec.expected_methods)
    return {k: g for k, g in group_rows(raw).items()
            if {r["method"] for r in g} == expected and len(g) == len(expected)}


def ordered_rows(spec, rows):
    """Rows in the fixed order: values as given, seeds ascending, methods as
    core.compare.METHODS.
    """
    out = []
    for v in spec.values:
        for s in spec.seed_list:
            group = {r["method"]: r for r in rows.get((float(v), s), [])}
            out.extend(group[m] for m in order_methods(group))
    return out


class Appender:
    """Appends rows to the CSV and flushes after every job (an interrupted sweep keeps them)."""

    def __init__(self, path):
        self.fh = open(path, "a", newline="")
        self.writer = csv.DictWriter(self.fh, fieldnames=COLUMNS)

    def write(self, rows):
        """Append ``rows`` and flush."""
        self.writer.writerows(rows)
        self.fh.flush()

    def close(self):
        """Close the file."""
        self.fh.close()


def write_all(path, rows):
    """Replace ``path`` atomically with the header and ``rows``."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, path)


def rows_to_frame(rows):
    """DataFrame of formatted rows, typed exactly as ``read_results`` types the CSV."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    buf.seek(0)
    return read_results(buf)


def read_results(path_or_buffer):
    """A sweep CSV as a DataFrame (text columns as str, empty cells as NaN)."""
    frame = pd.read_csv(path_or_buffer, dtype={c: str for c in TEXT_COLUMNS},
                        keep_default_na=False, na_values=[""])
    for c in ("converged", "n_lt_d"):
        frame[c] = frame[c].astype(bool)
    for c in ("cosine_to_exact", "test_accuracy", "test_agreement", "grad_evals"):
        frame[c] = frame[c].astype(float)
    return frame
