"""The design matrix from arrays or pandas: float values, statsmodels' column names."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ..checks import check_array_like
from ..errors import UnsupportedDtypeError
from .columns import (
    check_unique_columns,
    datetime_error,
    datetime_kind,
    describe_values,
    format_labels,
    series_to_float,
)
from .containers import unmask

FloatArray = NDArray[np.float64]

__all__ = ["exog_to_float", "find_intercept"]


def find_intercept(X: FloatArray) -> int | None:
    """Index of the first column equal to one in every row, or None."""
    if X.shape[0] == 0:
        return None
    for j in np.flatnonzero(X[0] == 1.0):
        if np.all(X[:, j] == 1.0):
            return int(j)
    return None


def _numpy_names(X: np.ndarray) -> tuple[str, ...]:
    """Name numpy columns as statsmodels does.

    As statsmodels: the first all-ones column is ``const``, the others ``x1, x2, ...``
    in order (a second constant column is just another ``x``).
    """
    const = find_intercept(X)
    names, counter = [], 0
    for j in range(X.shape[1]):
        if j == const:
            names.append("const")
        else:
            counter += 1
            names.append(f"x{counter}")
    return tuple(names)


def exog_to_float(exog: Any, what: str = "exog") -> tuple[np.ndarray, tuple[str, ...], bool]:
    """Float design (NaN where missing), column names, and whether names came from pandas.

    Raises
    ------
    ValueError
        Non-numeric columns (naming them and their values) or a wrong number of dimensions.
    ColumnMismatchError
        Duplicate column names.
    """
    exog = unmask(exog)
    if exog is None:
        raise ValueError(f"{what} is None: pass a design matrix (add a constant column yourself, "
                         "or use Logit.from_formula which adds 'Intercept').")
    if isinstance(exog, pd.Series):
        exog = exog.to_frame()
    if isinstance(exog, pd.DataFrame):
        check_unique_columns(exog, "exog")
        names = tuple(str(c) for c in exog.columns)
        if all(pd.api.types.is_numeric_dtype(t) or pd.api.types.is_bool_dtype(t)
               for t in exog.dtypes):
            return exog.to_numpy(dtype=float, na_value=np.nan, copy=True), names, True
        frame, named = exog, True
    else:
        check_array_like(what, exog, remedy="pass a 2-D numpy array, a list of equal-length "
                         "rows or a pandas DataFrame")
        values = np.asarray(exog)
        if values.ndim == 1:
            values = values[:, None]
        if values.ndim != 2:
            shown = f" ({exog!r:.40})" if values.ndim == 0 else ""
            raise ValueError(f"{what} must be 2-dimensional (rows x columns), got shape "
                             f"{values.shape}{shown}; pass a 2-D array or a DataFrame.")
        if values.dtype == bool or np.issubdtype(values.dtype, np.number):
            X = np.array(values, dtype=float, order="C")
            return X, _numpy_names(X), False
        if values.dtype.kind in "mM":
            start = str(np.nanmin(values).astype("M8[D]")) if values.dtype.kind == "M" else ""
            conv = "X / np.timedelta64(1, 'D')" if values.dtype.kind == "m" else \
                f"(X - np.datetime64({start!r})) / np.timedelta64(1, 'D')"
            kind = "durations" if values.dtype.kind == "m" else "dates"
            raise UnsupportedDtypeError(
                f"exog has dtype {values.dtype}: {kind} are not numbers, and converting them "
                "silently would give a number that depends on the unit they are stored in. "
                f"Convert it in the unit you mean, e.g. X = {conv} (days).")
        frame, named = pd.DataFrame(values), False
    X = np.empty(frame.shape, dtype=float)
    bads = []
    for j in range(frame.shape[1]):
        X[:, j], bad = series_to_float(frame.iloc[:, j])
        bads.append(bad)
    names = names if named else _numpy_names(X)
    problems = []
    for j, bad in enumerate(bads):
        col, label = frame.iloc[:, j], repr(names[j])
        if bad is None and datetime_kind(col.dtype) is not None:
            src = f"exog[{frame.columns[j]!r}]" if named else f"X[:, {j}]"
            raise datetime_error(col, f"exog column {label}", src,
                                 f"exog[{names[j] + '_days'!r}]" if named else "days")
        if bad is None:
            problems.append(f"column {label} has dtype {col.dtype} with values "
                            f"{describe_values(col.dropna())}")
        elif bad.any():
            problems.append(f"column {label} (dtype {col.dtype}) holds non-numeric values "
                            f"{describe_values(col[bad])} in rows "
                            f"{format_labels(frame.index, bad)}")
    if problems:
        raise ValueError(
            "exog must be numeric: " + "; ".join(problems) + ". Encode categorical columns "
            "(pd.get_dummies(X, drop_first=True, dtype=float)) or use Logit.from_formula with "
            "C(...); fix or remove non-numeric entries."
        )
    return X, names, named
