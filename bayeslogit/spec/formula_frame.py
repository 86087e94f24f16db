"""The data frame formulaic sees: which columns a formula reads, and how they are prepared.

A column a formula reads as a number (``x``, ``I(k - 3)``, ``np.log(z)``) is float64 before
formulaic evaluates it, so small integer dtypes cannot wrap around inside a transform; a
date, duration or period column read as a number or as the response is refused (its number
would depend on the storage unit); ``C(col)`` keeps the column's own levels.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ColumnMismatchError
from .columns import datetime_error, datetime_kind, outcome_to_float

__all__ = ["Uses", "column_uses", "prepare_frame", "match_numeric_columns"]

_C_OF_COLUMN = re.compile(r"\s*C\(\s*(`[^`]+`|[A-Za-z_]\w*)\s*(?:,.*)?\)\s*", re.S)
_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")

Uses = dict[str, set[str]]


def _reads(expr: str, col: str) -> bool:
    if col not in expr:
        return False
    if f"`{col}`" in expr:
        return True
    return col.isidentifier() and re.search(
        rf"(?<![\w.]){re.escape(col)}(?!\w)", _QUOTED.sub("''", expr)) is not None


def column_uses(formula: str, columns: Any) -> tuple[Uses, Uses]:
    """Find how each side of ``formula`` reads each data column.

    How each side of ``formula`` reads each data column: ``{"categorical"}`` when only
    as ``C(col, ...)``, ``"number"`` when in any other factor (``col``, ``I(col - 3)``,
    ``np.log(col)``). Empty when formulaic cannot parse the formula (it reports why later).
    """
    import formulaic

    cols = [str(c) for c in columns]
    try:
        parsed = formulaic.Formula.from_spec(
            formula, context={"__formulaic_variables_available__": cols})
        sides = (parsed.lhs, parsed.rhs) if hasattr(parsed, "lhs") else ((), parsed)
    except Exception:  # noqa: BLE001 - any parse error is reported by _materialize
        return {}, {}
    out: tuple[Uses, Uses] = ({}, {})
    for side, uses in zip(sides, out, strict=True):
        for term in side:
            for factor in term.factors:
                expr, method = str(factor.expr), getattr(factor.eval_method, "value", "")
                if method == "lookup":
                    if expr in cols:
                        uses.setdefault(expr, set()).add("number")
                    continue
                m = _C_OF_COLUMN.fullmatch(expr)
                if m and m.group(1).strip("`") in cols:
                    uses.setdefault(m.group(1).strip("`"), set()).add("categorical")
                    continue
                for c in cols:
                    if _reads(expr, c):
                        uses.setdefault(c, set()).add("number")
    return out


def _as_number(col: pd.Series, how: set[str]) -> pd.Series | np.ndarray:
    """Cast the columns the formula reads as numbers to float64.

    Small or nullable integers and non-float64 floats read as numbers become float64 (so
    that ``I(k - 3)`` on a uint8 column cannot wrap around); a column also read as ``C(k)``
    keeps integer levels (int64) when it has no missing values.
    """
    if pd.api.types.is_integer_dtype(col.dtype) and "categorical" in how and \
            not col.isna().any():
        return col.astype(np.int64)
    return col.to_numpy(dtype=float, na_value=np.nan)


def prepare_frame(data: pd.DataFrame, fit: bool,
                   uses: tuple[Uses, Uses] = ({}, {})) -> pd.DataFrame:
    """Prepare a frame for formulaic.

    A shallow copy with positions as index, ``string`` (pd.NA) columns as object (which
    formulaic treats as categorical, like ``str``), numbers the formula reads as float64, and,
    at fit, unused categories removed.

    Raises
    ------
    UnsupportedDtypeError
        A date, duration or period column read as a number or as the response.
    """
    lhs, rhs = uses
    frame = data.reset_index(drop=True)
    for c in frame.columns:
        col, dtype = frame[c], frame[c].dtype
        how = lhs.get(str(c), set()) | rhs.get(str(c), set())
        if how and datetime_kind(dtype) is not None:
            if str(c) in lhs:
                outcome_to_float(col, str(c), None, "", src=f"data[{c!r}]")
            if "number" in how:
                name = f"`{c}`" if not str(c).isidentifier() else str(c)
                raise datetime_error(col, f"column {c!r}", f"data[{c!r}]",
                                     f"data[{f'{c}_days'!r}]", categorical=f"C({name})")
        if isinstance(dtype, pd.StringDtype) and dtype.na_value is pd.NA:
            frame[c] = col.astype(object).where(col.notna(), np.nan)
        elif "number" in how and (pd.api.types.is_integer_dtype(dtype) or (
                pd.api.types.is_float_dtype(dtype) and dtype != np.float64)):
            frame[c] = _as_number(col, how)
        elif fit and isinstance(dtype, pd.CategoricalDtype):
            frame[c] = col.cat.remove_unused_categories()
    return frame




def match_numeric_columns(frame: pd.DataFrame, encoder_state: dict[str, Any]) -> pd.DataFrame:
    """Give new data's columns the numeric type they had in training.

    A column the training spec encoded as a number (a bool or numeric column) but that
    arrives as ``object``, ``category`` or text (a bool column holding a missing value,
    numbers read as text) would be taken for a categorical and encode to other columns; its values
    become float64 (True/False as 1/0, missing as NaN). ``frame`` is a copy of the caller's
    data (:func:`prepare_frame`) and is modified in place.

    Raises
    ------
    ColumnMismatchError
        Such a column holding a value that is not a number or a bool.
    """
    for name, (kind, _) in encoder_state.items():
        if name not in frame.columns or getattr(kind, "value", kind) != "numerical":
            continue
        col = frame[name]
        if not (col.dtype == object or isinstance(col.dtype, pd.CategoricalDtype | pd.StringDtype)):
            continue
        values = col.astype(object).map(lambda v: float(v) if isinstance(v, bool | np.bool_)
                                        else v)
        number = pd.to_numeric(values, errors="coerce")
        bad = number.isna() & values.notna()
        if bad.any():
            raise ColumnMismatchError(
                f"Column {name!r} was a number (or bool) in training but the new data hold "
                f"{values[bad].iloc[0]!r} (dtype {col.dtype}); convert it, e.g. "
                f"data[{name!r}] = data[{name!r}].astype(float).")
        frame[name] = number.to_numpy(dtype=float, na_value=np.nan)
    return frame
