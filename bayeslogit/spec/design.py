"""Turning user data into a validated design: arrays or pandas, missing values, rank.

The output is a :class:`Design`: float64 arrays ``X`` (n, k), ``y`` (n,), ``offset`` (n,) or
None, names, what was dropped for missing values, and for formula models
(:mod:`bayeslogit.spec.formula`) the formulaic model spec, so that new raw data is re-encoded
exactly as in training (:func:`bayeslogit.spec.newdata.encode_new_data`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import scipy.linalg
from numpy.typing import NDArray

from ..errors import (
    MissingDataError,
    RankDeficiencyError,
    UnsupportedDtypeError,
)
from .columns import (
    align_to_index,
    apply_missing_policy,
    check_missing_policy,
    check_outcome_range,
    check_unique_columns,
    datetime_error,
    datetime_kind,
    describe_values,
    drop_reason,
    format_labels,
    offset_to_float,
    outcome_to_float,
    series_to_float,
)

FloatArray = NDArray[np.float64]

__all__ = ["Design", "design_from_arrays", "exog_to_float", "check_rank",
           "find_intercept", "check_finite"]


@dataclass(frozen=True)
class Design:
    """Validated model data. Arrays are private copies; the caller's data is never touched.

    ``dropped`` counts, per source (e.g. ``"exog 'x1'"``, ``"column 'g'"``), the rows dropped
    for a missing value there (a row may count under several sources); ``dropped_labels``
    are the index labels of all dropped rows. ``event`` is the response level coded as 1
    when the response was categorical. ``offset_column`` is the data column read as offset
    (``offset="col"``), ``offset_terms`` the formula columns of ``offset(...)`` terms;
    ``exog_named`` says that the columns came from a DataFrame (matched by name at predict).
    """

    X: FloatArray
    y: FloatArray
    offset: FloatArray | None
    exog_names: tuple[str, ...]
    endog_name: str
    intercept_index: int | None
    row_labels: pd.Index
    n_dropped: int = 0
    formula: str | None = None
    model_spec: Any = None
    categorical_levels: dict[str, list] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)
    dropped_labels: pd.Index | None = None
    event: Any = None
    offset_column: str | None = None
    offset_terms: tuple[str, ...] = ()
    exog_named: bool = False

    @property
    def nobs(self) -> int:
        """Number of rows."""
        return self.X.shape[0]

    @cached_property
    def binary(self) -> bool:
        """Whether every response is 0 or 1 (else proportions: the quasi-likelihood)."""
        return bool(np.all((self.y == 0) | (self.y == 1)))

    @cached_property
    def rank(self) -> int:
        """Column rank of ``X``.

        Its column count once :meth:`check_full_rank` passed, else computed (one SVD) on
        first use.
        """
        return int(np.linalg.matrix_rank(self.X))

    def check_full_rank(self) -> None:
        """:func:`check_rank` on this design; on success ``rank`` is known without an SVD.

        Raises
        ------
        RankDeficiencyError, ColumnScaleError
            As :func:`check_rank`.
        """
        check_rank(self.X, self.exog_names)
        self.__dict__["rank"] = self.X.shape[1]  # the cached_property's slot: proven here

    def check_magnitudes(self) -> None:
        """:func:`~bayeslogit.conditioning.check_magnitudes` on ``X``."""
        from ..conditioning import check_magnitudes

        check_magnitudes(self.X, self.exog_names)

    @property
    def moments_basis(self) -> FloatArray:
        """Rows whose column means and standard deviations are X's (for prior autoscaling)."""
        return self.X

    @property
    def drop_note(self) -> str:
        """The rows dropped for missing values, as a sentence ('' when none were)."""
        return drop_reason(self.n_dropped, self.dropped)

    @property
    def has_offset(self) -> bool:
        """Whether the model has an offset."""
        return self.offset is not None


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


def exog_to_float(exog: Any) -> tuple[np.ndarray, tuple[str, ...], bool]:
    """Float design (NaN where missing), column names, and whether names came from pandas.

    Raises
    ------
    ValueError
        Non-numeric columns (naming them and their values) or a wrong number of dimensions.
    ColumnMismatchError
        Duplicate column names.
    """
    if exog is None:
        raise ValueError("exog is None: pass a design matrix (add a constant column yourself, "
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
        values = np.asarray(exog)
        if values.ndim == 1:
            values = values[:, None]
        if values.ndim != 2:
            raise ValueError(f"exog must be 2-dimensional, got shape {values.shape}.")
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


def check_finite(arrays: dict[str, np.ndarray], labels: pd.Index) -> None:
    """Raise :class:`MissingDataError` for infinite values, which are never dropped."""
    found = []
    for what, arr in arrays.items():
        bad = np.isinf(arr)
        if bad.any():
            rows = bad if bad.ndim == 1 else bad.any(axis=1)
            found.append(f"{what} row {format_labels(labels, rows, 1)[1:-1]}")
    if found:
        raise MissingDataError(
            f"Infinite values in {found[0]} (and {len(found) - 1} more places); infinite "
            "values are never dropped: fix or remove those rows."
        )


def check_rank(X: FloatArray, names: tuple[str, ...]) -> None:
    """Refuse designs the engines cannot fit reliably, naming the columns and a remedy.

    Raises
    ------
    RankDeficiencyError
        rank(X) < k (linear dependence to within rounding). Nearly collinear columns pass
        here; the fit diagnoses them (a ConvergenceWarning naming them and the condition
        number of the information).
    ColumnScaleError
        A column of magnitude above 1e150 or below 1e-150 (see
        :func:`~bayeslogit.conditioning.check_magnitudes`).
    """
    from ..conditioning import check_magnitudes

    n, k = X.shape
    if k == 0:
        raise ValueError("The design has no columns.")
    if n < k:
        raise RankDeficiencyError(
            f"Only {n} observations for {k} coefficients {list(names)}: the design cannot have "
            "full column rank. Drop terms or pass priors and use method='map'."
        )
    gram = X.T @ X
    diag = np.diag(gram)
    # the Gram's diagonal screens the magnitudes: max|x| > 1e150 or all |x| < 1e-150 put a
    # sum of squares outside [1e-280, 1e280] (for any n below 1e20); only then is X scanned
    if not np.all((diag > 1e-280) & (diag < 1e280)):
        check_magnitudes(X, names)
    scale = np.sqrt(diag).copy()
    scale[scale == 0] = 1.0
    evals = np.linalg.eigvalsh(gram / scale / scale[:, None])
    # eigenvalues of the scaled Gram are the squared singular values of X / scale, to within
    # about eps * k: a ratio far above eps proves full rank at the SVD tolerance below
    if evals[0] > 1e-8 * evals[-1]:
        return
    r = scipy.linalg.qr(X, mode="r", check_finite=False)[0][:k] / scale
    _, s, vt = np.linalg.svd(r)
    tol = s.max() * max(n, k) * np.finfo(float).eps
    null = vt[s <= tol]
    if null.shape[0]:
        involved = [names[j] for j in np.flatnonzero(np.abs(null).max(axis=0) > 1e-6)]
        zero_cols = [names[j] for j in np.flatnonzero(np.all(X == 0, axis=0))]
        hint = f" Column(s) {zero_cols} are all zero." if zero_cols else ""
        raise RankDeficiencyError(
            f"The design matrix is rank deficient (rank {k - null.shape[0]} < {k} columns): "
            f"columns {involved} are linearly dependent.{hint} Drop one of them (with C(...) "
            "this is often the dummy-variable trap), or pass check_rank=False with a proper prior."
        )


def _nulls_and_infs(y: np.ndarray, X: np.ndarray, off: np.ndarray | None,
                    names: tuple[str, ...], endog_name: str,
                    labels: pd.Index) -> dict[str, np.ndarray]:
    """Missing-value masks per source, after refusing infinite values."""
    if np.isfinite(X.sum()) and np.isfinite(y.sum()) and (off is None or np.isfinite(off.sum())):
        return {}  # sums of finite values are finite unless they overflow: then check in full
    inf_cols = np.flatnonzero(np.isinf(X).any(axis=0))
    check_finite({f"endog {endog_name!r}": y,
                  **{f"exog column {names[j]!r}": X[:, j] for j in inf_cols},
                  **({"offset": off} if off is not None else {})}, labels)
    nulls = {f"endog {endog_name!r}": np.isnan(y)}
    nan_cols = np.isnan(X).any(axis=0)
    nulls.update({f"exog {names[j]!r}": np.isnan(X[:, j]) for j in np.flatnonzero(nan_cols)})
    if off is not None:
        nulls["offset"] = np.isnan(off)
    return nulls


def design_from_arrays(endog: Any, exog: Any, offset: Any = None, missing: str = "none",
                       event: Any = None) -> Design:
    """Validate array or pandas input (names carried; numpy gets ``const``, ``x1``, ...).

    Parameters
    ----------
    endog, exog, offset, missing, event
        As for :class:`bayeslogit.Logit`. pandas ``endog`` and ``offset`` are aligned to
        ``exog``'s index when the labels match as a set.

    Returns
    -------
    Design
        Private float copies of the complete cases, with what was dropped and why.

    Raises
    ------
    ColumnMismatchError
        Indexes that differ as sets, duplicate column names.
    MissingDataError
        Missing values under ``missing="none"``/``"raise"``; infinite values.
    ValueError
        Non-numeric data, a response outside [0, 1], mismatched lengths or shapes.
    """
    check_missing_policy(missing)
    if isinstance(endog, pd.DataFrame):
        if endog.shape[1] != 1:
            raise ValueError(
                f"endog must be one column, got a DataFrame with {endog.shape[1]} columns "
                f"{list(endog.columns)}; pass the response column, e.g. df['y']."
            )
        endog = endog.iloc[:, 0]
    endog_name = str(endog.name) if isinstance(endog, pd.Series) and endog.name is not None \
        else "y"
    target = exog.index if isinstance(exog, pd.Series | pd.DataFrame) else (
        endog.index if isinstance(endog, pd.Series) else None)
    if target is not None:
        endog = align_to_index(endog, target, "endog", "exog")
        offset = align_to_index(offset, target, "offset", "exog")
    X, names, named = exog_to_float(exog)
    values = endog if isinstance(endog, pd.Series) else np.asarray(endog)
    if not isinstance(values, pd.Series):
        values = np.squeeze(values) if values.ndim == 2 and 1 in values.shape else values
        if values.ndim != 1:
            raise ValueError(f"endog must be one-dimensional, got shape {values.shape}.")
    y = outcome_to_float(values, endog_name, event, "bl.Logit(y, X, event={event!r})")
    n = y.shape[0]
    if X.shape[0] != n:
        raise ValueError(f"endog has {n} rows but exog has {X.shape[0]}; they must match.")
    off = offset_to_float(offset, n)
    labels = pd.Index(target) if target is not None else pd.RangeIndex(n)
    nulls = _nulls_and_infs(y, X, off, names, endog_name, labels)
    keep, counts = apply_missing_policy(nulls, labels, missing)
    dropped = int(n - keep.sum())
    dropped_labels = labels[~keep] if dropped else labels[:0]
    if dropped:
        y, X, labels = y[keep], X[keep], labels[keep]
        off = off[keep] if off is not None else None
    if y.shape[0] == 0:
        raise ValueError("No observations left (empty data, or every row had missing values).")
    check_outcome_range(y, endog_name, "bl.Logit(y, X, event={event!r})",
                        "y = (y == {event!r}).astype(int)")
    off = off.copy() if off is not None else None
    return Design(np.ascontiguousarray(X), y.copy(), off, names, endog_name, find_intercept(X),
                  pd.Index(labels), dropped, dropped=counts, dropped_labels=dropped_labels,
                  event=event, exog_named=named)
