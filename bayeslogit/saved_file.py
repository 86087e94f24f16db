"""Opening a saved result file without trusting it: sizes, locks and digests.

:func:`read_tree` checks, before any value is read, that every stored variable's declared
size is held by the file (``save()`` writes uncompressed, so a variable whose declared bytes
exceed what the file stores for it was crafted or truncated: loading it would allocate
memory the file never held), then reads the whole file into memory and closes it. A file
held open (locked) by a program writing it is retried briefly, then reported as busy.
:func:`check_digest` compares an array with the sha256 digest stored at save.
"""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np

from .errors import SavedFileError
from .results.save import array_digest
from .spec.formula_safety import UnsafeFormulaError, check_formula

__all__ = ["read_tree", "check_digest", "path_name", "check_stored_formula"]

#: netCDF marks dimensions without coordinates with this attribute (no data stored)
_DIMENSION_ONLY = "This is a netCDF dimension but not a netCDF variable"
#: attempts and pause when the file is locked by a program writing it
_LOCK_RETRIES, _LOCK_PAUSE = 5, 0.1


def path_name(path: Any) -> str:
    """Return ``path`` as a str (bytes and path-like accepted); TypeError naming ``path``."""
    if not isinstance(path, str | bytes | os.PathLike):
        raise TypeError(f"path must be a file path (str, bytes or pathlib.Path) of a file "
                        f"written by result.save(path), not {type(path).__name__} {path!r}.")
    return os.fsdecode(os.fspath(path))


def _locked(exc: BaseException) -> bool:
    text = str(exc).lower()
    return isinstance(exc, BlockingIOError) or "lock" in text or "errno = 11" in text


def _check_sizes(name: str) -> None:
    """Refuse variables declaring more bytes than the file stores for them."""
    import h5py

    with h5py.File(name, "r", locking=False) as f:
        bad: list[str] = []
        declared = 0

        def visit(key: str, obj: Any) -> None:
            nonlocal declared
            if not isinstance(obj, h5py.Dataset) or obj.dtype.kind == "O":
                return
            if _DIMENSION_ONLY in str(obj.attrs.get("NAME", b"")):
                return
            want = int(np.prod(obj.shape, dtype=object)) * obj.dtype.itemsize
            declared += want
            if want > obj.id.get_storage_size() + 4096 and not bad:
                bad.append(f"{key} declares {obj.shape} {obj.dtype} values ({want:,} bytes) "
                           f"but the file stores {obj.id.get_storage_size():,} bytes for it")

        f.visititems(visit)
    size = os.path.getsize(name)
    if not bad and declared > size:
        bad.append(f"its variables declare {declared:,} bytes in a file of {size:,} bytes")
    if bad:
        raise SavedFileError(
            f"{name!r} cannot be a file written by result.save() (which stores every value "
            f"uncompressed): {bad[0]}. The file was truncated, altered or crafted; it was not "
            "read.")


def read_tree(name: str) -> Any:
    """Check the declared sizes, then read the whole file into memory and close it.

    Raises
    ------
    FileNotFoundError, IsADirectoryError
        No file at ``name``, or a folder.
    SavedFileError
        Not netCDF (damaged or of another kind), declared sizes the file does not hold, or
        the file still locked by a program writing it after a few retries.
    """
    import xarray as xr

    if os.path.isdir(name):
        raise IsADirectoryError(f"path={name!r} is a folder; pass the path of a file written "
                                "by result.save(path), e.g. " +
                                repr(os.path.join(name, "fit.nc")) + ".")
    if not os.path.isfile(name):
        raise FileNotFoundError(f"No file {name!r}: pass the path of a file written by "
                                "result.save(path).")
    for attempt in range(_LOCK_RETRIES):
        try:
            _check_sizes(name)
            return xr.load_datatree(name)
        except SavedFileError:
            raise
        except Exception as exc:  # HDF5 reports damage as OSError, KeyError, RuntimeError...
            if _locked(exc):
                if attempt + 1 < _LOCK_RETRIES:
                    time.sleep(_LOCK_PAUSE)
                    continue
                raise SavedFileError(
                    f"{name!r} is being written or is held open (locked) by another "
                    "program; load it again once that program has finished.") from exc
            raise SavedFileError(
                f"{name!r} is not a readable bayeslogit result file: it cannot be read as "
                f"netCDF ({type(exc).__name__}); it is incomplete, damaged or of another "
                "kind. Pass the path of a file written by result.save(path).") from exc
    raise AssertionError("unreachable")


def check_digest(values: np.ndarray, digests: dict[str, str] | None, key: str,
                 path: str) -> None:
    """Compare ``values`` with the digest stored under ``key`` at save (if digests are stored).

    Raises
    ------
    SavedFileError
        The digest is missing or differs: "the file was altered after it was saved".
    """
    if digests is None:
        return
    want = digests.get(key)
    if want is None:
        raise SavedFileError(f"{path!r} stores no digest of {key}; the file was altered after "
                             "it was saved. Save the result again.")
    order = want[:1]
    values = np.asarray(values)
    values = np.asfortranarray(values) if order == "F" else np.ascontiguousarray(values)
    if array_digest(values) != want:
        raise SavedFileError(f"{path!r}: {key} does not match the digest stored when it was "
                             "saved: the file was altered after it was saved (or damaged). "
                             "Save the result again from its source.")


def check_stored_formula(design: Any, path: str) -> None:
    """Refuse a stored formula whose terms would run code when new data are encoded.

    ``predict(new_raw_data)`` evaluates the stored formula's terms (formulaic evaluates them
    as Python), so a crafted file could hide code there that runs at the first prediction,
    after ``load`` returned. Every stored expression (the formula, the right-hand side of
    the stored formulaic spec, ``offset(...)`` terms) must pass
    :func:`bayeslogit.spec.formula_safety.check_formula`: columns, numbers, operators,
    numpy's element-wise functions and formulaic's transforms.

    Raises
    ------
    SavedFileError
        A stored expression goes beyond that; the message names the term and the remedy
        for a file the user wrote themselves (``bl.load(path, trust_formula=True)``).
    """
    spec = getattr(design, "model_spec", None)
    texts = [design.formula] if isinstance(design.formula, str) else []
    if spec is not None and getattr(spec, "formula", None) is not None:
        texts.append(str(spec.formula))
    texts += [f"offset({term})" for term in getattr(design, "offset_terms", ()) or ()]
    if not texts:
        return
    frame = getattr(design, "frame", None)
    columns = {str(c) for c in frame.columns} if frame is not None else set()
    columns |= {str(c) for c in (design.endog_name, design.offset_column,
                                 design.trials_column, design.weights_column) if c}
    if spec is not None:  # files without the raw frame name their columns only here
        columns |= {str(v) for v in getattr(spec, "variables", ()) if str(v).isidentifier()}
    for text in texts:
        try:
            check_formula(text, sorted(columns))
        except UnsafeFormulaError as exc:
            raise SavedFileError(
                f"{path!r} stores a formula that predict() would evaluate as Python code "
                f"beyond columns and transforms ({exc}); it was not loaded. If you wrote "
                f"this file yourself, load it with bl.load({path!r}, trust_formula=True)."
            ) from None
