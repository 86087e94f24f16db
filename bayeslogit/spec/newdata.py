"""New data for prediction, encoded exactly as the training data were.

What counts as one row: a dict of scalars; a Series indexed by the model's column names (or,
for a formula model, holding every column the formula reads); a 1-D array whose length is the
number of columns of a model with more than one column. A DataFrame's columns are matched by
name when the model has names to match (a named DataFrame at fit, a formula, or a DataFrame
whose columns are exactly the model's names); otherwise they pair by position.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ..errors import ColumnMismatchError
from .columns import check_unique_columns
from .containers import frame_from_dict
from .design import Design, exog_to_float
from .formula import encode_formula_data

FloatArray = NDArray[np.float64]

__all__ = ["as_new_data", "encode_new_data", "encode_array_data"]


def _row(series: pd.Series) -> pd.DataFrame:
    """Turn a Series of one row's values into a one-row DataFrame labelled by its name."""
    frame = series.to_frame().T.infer_objects()
    frame.columns = list(series.index)
    frame.index = pd.Index([series.name if series.name is not None else 0])
    return frame


def as_new_data(design: Design, data: Any) -> Any:
    """Turn a single row (a dict, a Series or a 1-D array) into one-row data.

    ``data`` with a single row given as a dict of scalars, a Series or a 1-D array turned
    into one row (a one-row DataFrame, or an array of shape (1, k)); other input unchanged.

    Raises
    ------
    ColumnMismatchError
        A dict whose values are neither all scalars nor of one length, or a 1-D array whose
        length is not the number of columns.
    """
    k = len(design.exog_names)
    if isinstance(data, dict):
        if data and all(np.ndim(v) == 0 for v in data.values()):
            return pd.DataFrame({c: [v] for c, v in data.items()})
        try:
            return pd.DataFrame(data)
        except ValueError as exc:
            raise ColumnMismatchError(
                "data as a dict must map column names to columns of one length (or to single "
                f"values, for one row): {exc}") from None
    if isinstance(data, pd.Series):
        labels = {str(c) for c in data.index}
        if design.model_spec is not None:
            sources = getattr(design.model_spec, "variables_by_source", {})
            needed = {str(v) for v in sources.get("data", ())}
            if not needed <= labels and data.name is not None and str(data.name) in needed:
                return data.to_frame()  # a column of a one-variable formula
            return _row(data)
        if labels == set(design.exog_names) and not data.index.has_duplicates:
            return _row(data.set_axis([str(c) for c in data.index]))
        if k > 1 and len(data) == k and not design.exog_named:
            return data.to_numpy()[None, :]
        if k > 1:
            raise ColumnMismatchError(
                f"A Series is one row of new data when its index holds the model's names "
                f"{list(design.exog_names)}; got index {list(data.index)[:8]}. Pass a "
                "DataFrame (one row per observation) with those columns.")
        return data
    if design.model_spec is None and not isinstance(data, pd.DataFrame):
        arr = np.asarray(data)
        if arr.ndim == 1 and k > 1 and arr.shape[0] == k:
            return arr[None, :]
        if arr.ndim == 0 and k == 1:
            return arr.reshape(1, 1)
    return data


def _select_named_columns(design: Design, data: pd.DataFrame) -> pd.DataFrame:
    check_unique_columns(data, "data")
    names = list(design.exog_names)
    cols = [str(c) for c in data.columns]
    missing = [c for c in names if c not in cols]
    extra = [c for c in cols if c not in names]
    if missing or extra:
        if missing and extra and len(missing) == len(extra):
            fix = (f"if they are the same columns under other names, rename them, e.g. "
                   f"data = data.rename(columns={dict(zip(extra, missing, strict=True))!r})")
        elif missing:
            const = design.intercept_index is not None and \
                names[design.intercept_index] in missing
            fix = (f"add {'it' if len(missing) == 1 else 'them'}"
                   + (f", e.g. data.insert({design.intercept_index}, "
                      f"{names[design.intercept_index]!r}, 1.0) for the constant" if const
                      else "") + "")
        else:
            fix = "select the model's columns with data[model.exog_names]"
        raise ColumnMismatchError(
            f"The new data's columns do not match the model's {names}: "
            + "; ".join(p for p in (f"missing {missing}" if missing else "",
                                    f"unexpected {extra}" if extra else "") if p)
            + f". Columns are matched by name; {fix}."
        )
    return data.set_axis(cols, axis=1)[names]


def encode_array_data(design: Design, data: Any) -> FloatArray:
    """Design matrix for new exog of a model built from arrays (not a formula).

    A DataFrame's columns are selected by name when the model was fitted on a named DataFrame,
    or when its column names are exactly the model's names (``const``, ``x1``, ... for a
    model fitted on a numpy array), in any order; otherwise columns pair by position, as in
    statsmodels.

    Raises
    ------
    ColumnMismatchError
        A DataFrame lacks some of the model's columns or has unexpected ones, or the number
        of columns differs.
    """
    data = frame_from_dict(data)
    if isinstance(data, pd.DataFrame) and (design.exog_named or (
            not data.columns.has_duplicates
            and {str(c) for c in data.columns} == set(design.exog_names))):
        data = _select_named_columns(design, data)
    X, _, _ = exog_to_float(data, "data (the new exog)")
    if X.shape[1] != len(design.exog_names):
        one_d = np.ndim(data) == 1 if not isinstance(data, pd.DataFrame) else False
        hint = (" A 1-D array is one row only when its length is the number of columns; pass "
                f"a 2-D array of shape (rows, {len(design.exog_names)})." if one_d else "")
        raise ColumnMismatchError(f"New exog has {X.shape[1]} columns; the model has "
                                  f"{len(design.exog_names)}: {list(design.exog_names)}.{hint}")
    return np.ascontiguousarray(X)


def encode_new_data(design: Design, data: Any) -> tuple[FloatArray, FloatArray | None]:
    """Design matrix for new data, and the offset a formula's ``offset(...)`` term gives.

    Formula models re-encode raw data through the stored formulaic spec
    (:func:`bayeslogit.spec.formula.encode_formula_data`); array models select a new
    DataFrame's columns by name when they have names to match (:func:`encode_array_data`).
    Rows with a missing value predict NaN. Pass single rows through :func:`as_new_data`
    first.

    Raises
    ------
    UnseenLevelError
        A categorical column holds a level absent from the training data.
    ColumnMismatchError
        A DataFrame lacks some of the model's columns or has unexpected ones.
    UnsupportedDtypeError
        A date, duration or period column where the model needs a number.
    """
    if design.model_spec is not None:
        return encode_formula_data(design, data)
    return encode_array_data(design, data), None
