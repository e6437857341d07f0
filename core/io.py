"""Loading user files into a validated Dataset (docs/theory.md §4: upload).

CSV: feature columns plus one label column with two distinct values; ``.npz``: arrays X, y
and optionally X_test, y_test. Labels are mapped sorted-smaller -> -1, larger -> +1; every
other check (finite, sizes, both classes) is `core.data.make_dataset`'s. Every failure is an
InputError with one sentence; no pandas or NumPy traceback reaches the user.
"""
from __future__ import annotations

import io
import pickle
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np

from core.data import Dataset, make_dataset
from core.errors import InputError

LABEL_COLUMN_NAMES = ("y", "label")
NPZ_KEYS = ("X", "y", "X_test", "y_test")
# Largest |feature|: n d of its squares, summed for norms and Gram entries, stay below the
# float64 maximum (1.8e308) for any n <= 5000, d <= 1e5.
MAX_FEATURE = 1e150


def _open_source(source, default_name: str):
    """(readable, name): a path as is, bytes as BytesIO, a file-like rewound to its start."""
    if isinstance(source, (str, Path)):
        return source, Path(source).name
    if isinstance(source, (bytes, bytearray)):
        return io.BytesIO(bytes(source)), default_name
    if not hasattr(source, "read"):
        raise InputError(f"Cannot read data from a {type(source).__name__}: "
                         "pass a path, bytes or an uploaded file.")
    if hasattr(source, "seek"):
        source.seek(0)  # an upload may have been read on a previous rerun
    name = getattr(source, "name", None)
    return source, Path(name).name if isinstance(name, str) and name else default_name


def _describe(values, limit: int = 5) -> str:
    """'a', 'b', ... : the first `limit` values, each quoted."""
    shown = ", ".join(f"'{_plain(v)}'" for v in values[:limit])
    return shown + (", ..." if len(values) > limit else "")


def _plain(value):
    """A NumPy scalar as the Python int/float/str it holds (for JSON and messages)."""
    value = value.item() if isinstance(value, np.generic) else value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def label_mapping(values, what: str) -> tuple:
    """(low, high): the two distinct labels, sorted, to be mapped to -1 and +1."""
    import pandas as pd  # pandas only where a CSV is read (a fast CLI start)

    values = np.asarray(values)
    if pd.isna(values).any():
        raise InputError(f"{what} has missing values: every point needs a label.")
    try:
        distinct = np.unique(values)
    except TypeError:  # mixed types that do not sort: order them by their text
        distinct = np.array(sorted(set(values.tolist()), key=str), dtype=object)
    if len(distinct) != 2:
        noun = "value" if len(distinct) == 1 else "values"
        raise InputError(f"{what} has {len(distinct)} distinct {noun} ({_describe(distinct)}); "
                         "it needs exactly 2.")
    return _plain(distinct[0]), _plain(distinct[1])


def map_labels(values, mapping: tuple, what: str) -> np.ndarray:
    """y_i = -1 where values_i == low, +1 where values_i == high (others: InputError)."""
    values = np.asarray(values)
    low, high = mapping
    is_low, is_high = values == low, values == high
    if not (is_low | is_high).all():
        unknown = np.unique(values[~(is_low | is_high)].astype(str))
        raise InputError(f"{what} has labels ({_describe(unknown)}) not among the training "
                         f"labels ({low}, {high}).")
    return np.where(is_high, 1.0, -1.0)


def _pick_label_column(columns: list, label_column) -> object:
    """label_column if given, else a column named y/label (any case), else the last one."""
    if label_column is not None:
        if label_column not in columns:
            raise InputError(f"Label column {label_column!r} not found; columns are: "
                             f"{_describe([str(c) for c in columns], limit=20)}.")
        return label_column
    for column in columns:
        if str(column).strip().lower() in LABEL_COLUMN_NAMES:
            return column
    return columns[-1]


def _read_csv_frame(source) -> tuple:
    """(DataFrame, name) of a CSV source; raises InputError."""
    import pandas as pd

    readable, name = _open_source(source, "uploaded CSV")
    try:
        frame = pd.read_csv(readable)
    except pd.errors.EmptyDataError:
        raise InputError(f"File {name!r} is empty: upload a CSV with a header row and "
                         "data rows.") from None
    except (OSError, pd.errors.ParserError, UnicodeDecodeError, ValueError) as err:
        first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise InputError(f"Could not read {name!r} as CSV ({first_line}).") from None
    if frame.shape[0] == 0:
        raise InputError(f"File {name!r} has no data rows: add at least two points below "
                         "the header.")
    if not isinstance(frame.index, pd.RangeIndex):
        # pandas makes the extra leading fields of rows longer than the header an index
        raise InputError(f"File {name!r} has rows with more fields than its header "
                         f"({frame.shape[1]} columns): every row needs one value per column.")
    return frame, name


def load_csv(source, label_column=None) -> Dataset:
    """Dataset from a CSV of numeric feature columns and one two-valued label column.

    Parameters
    ----------
    source : str, Path, bytes or binary/text file-like (e.g. Streamlit's UploadedFile)
    label_column : column name, optional
        Default: a column named "y" or "label" (case-insensitive), else the last column.
    """
    import pandas as pd

    frame, name = _read_csv_frame(source)
    label = _pick_label_column(list(frame.columns), label_column)
    what = f"Label column {str(label)!r} of {name!r}"
    labels = frame[label].to_numpy()
    mapping = label_mapping(labels, what)
    y = map_labels(labels, mapping, what)
    features = frame.drop(columns=[label])
    if features.shape[1] == 0:
        raise InputError(f"File {name!r} has no feature columns: add numeric columns "
                         f"besides the label column {str(label)!r}.")
    for column in features.columns:
        if not pd.api.types.is_numeric_dtype(features[column]):
            numbers = pd.to_numeric(features[column], errors="coerce")
            bad = features[column][numbers.isna()]
            example = bad.iloc[0] if len(bad) else ""
            raise InputError(f"Feature column {str(column)!r} of {name!r} is not numeric: "
                             f"row {bad.index[0] + 1 if len(bad) else 1} holds {str(example)!r};"
                             " features must be numbers.")
    X = features.to_numpy(dtype=np.float64, na_value=np.nan)
    _check_finite(X, f"File {name!r}", [str(c) for c in features.columns])
    return _dataset(name, X, y, label_names=mapping)


def _check_finite(X, where, columns=None):
    """InputError naming the first entry of X that is NaN, inf or above MAX_FEATURE in
    magnitude (1-based row, column name or index).
    """
    with np.errstate(invalid="ignore"):
        bad = np.argwhere(~(np.abs(X) <= MAX_FEATURE))      # NaN compares False
    if bad.size:
        row, col = (int(v) for v in bad[0])
        column = f"column {columns[col]!r}" if columns else f"column {col}"
        value = X[row, col]
        rule = ("every feature must be a finite number (remove or fill it)"
                if not np.isfinite(value) else
                f"features must be at most {MAX_FEATURE:g} in magnitude, since the model "
                "sums their squares in float64 (rescale the column)")
        raise InputError(f"{where} has {str(value)!r} in row {row + 1}, {column}: {rule}.")


def _dataset(name, *arrays, label_names):
    """make_dataset(*arrays), its messages prefixed with the file name."""
    try:
        return make_dataset(*arrays, name=name, label_names=label_names)
    except InputError as err:
        raise InputError(f"File {name!r}: {err}") from None


def _read_npz_arrays(source) -> tuple[dict, str]:
    readable, name = _open_source(source, "uploaded npz")
    try:
        archive = np.load(readable, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):  # a single .npy array
            raise InputError(f"File {name!r} is not an .npz archive: save it with np.savez.")
        with archive:
            return {key: archive[key] for key in NPZ_KEYS if key in archive.files}, name
    except InputError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, pickle.UnpicklingError) as err:
        raise InputError(f"Could not read {name!r} as .npz ({type(err).__name__}): "
                         "save the arrays with np.savez(file, X=..., y=...).") from None


def load_npz(source) -> Dataset:
    """Dataset from an .npz with arrays X (n, d), y (n,) and optionally X_test, y_test.

    Labels are mapped like CSV labels (two distinct values; -1/+1 stay as they are);
    y_test uses the training mapping.
    """
    arrays, name = _read_npz_arrays(source)
    for key in ("X", "y"):
        if key not in arrays:
            raise InputError(f"File {name!r} is missing array {key!r}: it needs X and y "
                             "(and optionally X_test, y_test).")
    if ("X_test" in arrays) != ("y_test" in arrays):
        raise InputError(f"File {name!r} has only one of X_test, y_test: include both or neither.")
    for key in ("y", "y_test"):
        if key in arrays and arrays[key].ndim != 1:
            raise InputError(f"Array {key!r} must be 1-D, got shape {arrays[key].shape}.")
    mapping = label_mapping(arrays["y"], f"Array 'y' of {name!r}")
    y = map_labels(arrays["y"], mapping, f"Array 'y' of {name!r}")
    y_test = None
    if "y_test" in arrays:
        y_test = map_labels(arrays["y_test"], mapping, f"Array 'y_test' of {name!r}")
    for key in ("X", "X_test"):
        if key in arrays and arrays[key].ndim == 2 and arrays[key].dtype.kind in "fiu":
            _check_finite(np.asarray(arrays[key], dtype=np.float64), f"Array {key!r} of {name!r}")
    return _dataset(name, arrays["X"], y, arrays.get("X_test"), y_test, label_names=mapping)


def load_file(path_or_upload, name: str | None = None) -> Dataset:
    """load_csv or load_npz by the suffix of `name` (default: the path or the upload's .name)."""
    if name is None:
        if isinstance(path_or_upload, (str, Path)):
            name = str(path_or_upload)
        else:
            name = getattr(path_or_upload, "name", None) or ""
    suffix = Path(name).suffix.lower()
    loaders = {".csv": load_csv, ".npz": load_npz}
    if suffix in loaders:
        return replace(loaders[suffix](path_or_upload), name=Path(name).name)
    shown = Path(name).name or "the upload"
    raise InputError(f"Unsupported file type {suffix or '(no suffix)'!r} for {shown}: "
                     "use .csv or .npz.")
