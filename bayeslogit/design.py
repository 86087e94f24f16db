"""Turning user data into a validated design: arrays or formulas, missing values, rank.

The output is a :class:`Design`: float64 arrays ``X`` (n, k), ``y`` (n,), ``offset`` (n,) or
None, names, and for formula models the formulaic model spec, so that new raw data is
re-encoded exactly as in training (:func:`encode_new_data`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.linalg
from numpy.typing import NDArray

from .errors import MissingDataError, RankDeficiencyError, UnseenLevelError

FloatArray = NDArray[np.float64]

__all__ = ["Design", "design_from_arrays", "design_from_formula", "encode_new_data",
           "check_rank", "find_intercept"]

_MISSING = ("none", "drop", "raise")


@dataclass(frozen=True)
class Design:
    """Validated model data. Arrays are private copies; the caller's data is never touched."""

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

    @property
    def nobs(self) -> int:
        return self.X.shape[0]

    @property
    def binary(self) -> bool:
        return bool(np.all((self.y == 0) | (self.y == 1)))


def find_intercept(X: FloatArray) -> int | None:
    """Index of the first column equal to one in every row, or None."""
    if X.shape[0] == 0:
        return None
    for j in np.flatnonzero(X[0] == 1.0):
        if np.all(X[:, j] == 1.0):
            return int(j)
    return None


def _describe_values(values: np.ndarray, limit: int = 5) -> str:
    uniq = pd.unique(pd.Series(np.ravel(values)))
    shown = ", ".join(repr(v.item() if hasattr(v, "item") else v) for v in uniq[:limit])
    return shown + (", ..." if uniq.size > limit else "")


def _as_y(endog: Any) -> tuple[np.ndarray, str]:
    name = "y"
    if isinstance(endog, pd.DataFrame):
        if endog.shape[1] != 1:
            raise ValueError(
                f"endog must be one column, got a DataFrame with {endog.shape[1]} columns "
                f"{list(endog.columns)}; for a formula with a factor response use y['level']."
            )
        name = str(endog.columns[0])
        endog = endog.iloc[:, 0]
    if isinstance(endog, pd.Series):
        name = str(endog.name) if endog.name is not None else name
        if isinstance(endog.dtype, pd.CategoricalDtype) or endog.dtype == object:
            values = endog.to_numpy()
        else:
            values = endog.to_numpy(dtype=float, na_value=np.nan) if endog.dtype != bool \
                else endog.to_numpy(dtype=float)
    else:
        values = np.asarray(endog)
    values = np.squeeze(values) if values.ndim == 2 and 1 in values.shape else values
    if values.ndim != 1:
        raise ValueError(f"endog must be one-dimensional, got shape {values.shape}.")
    values = _to_float(values, "endog must be numeric 0/1 (or proportions in [0, 1])",
                       "Recode it, e.g. (y == 'yes').astype(int).")
    return values, name


def _to_float(values: np.ndarray, problem: str, remedy: str) -> np.ndarray:
    """Cast bool/number/object arrays to float, or raise naming the offending values."""
    if values.dtype == bool or np.issubdtype(values.dtype, np.number):
        return values.astype(float, copy=False)  # callers copy once, where they store
    try:
        return values.astype(float)
    except (TypeError, ValueError):
        raise ValueError(f"{problem}; got values {_describe_values(values)}. {remedy}") from None


def _as_X(exog: Any, n: int) -> tuple[np.ndarray, tuple[str, ...]]:
    if exog is None:
        raise ValueError("exog is None: pass a design matrix (add a constant column yourself, "
                         "or use Logit.from_formula which adds 'Intercept').")
    if isinstance(exog, pd.Series):
        exog = exog.to_frame()
    if isinstance(exog, pd.DataFrame):
        names = tuple(str(c) for c in exog.columns)
        bad = [c for c in exog.columns
               if not (pd.api.types.is_numeric_dtype(exog[c]) or pd.api.types.is_bool_dtype(
                   exog[c]))]
        if bad:
            raise ValueError(
                f"exog column(s) {bad} are not numeric; encode them (e.g. pd.get_dummies) or "
                "use Logit.from_formula with C(...)."
            )
        values = exog.to_numpy(dtype=float, na_value=np.nan)
    else:
        values = np.asarray(exog)
        if values.ndim == 1:
            values = values[:, None]
        if values.ndim != 2:
            raise ValueError(f"exog must be 2-dimensional, got shape {values.shape}.")
        values = _to_float(values, "exog must be numeric", "Encode categorical columns or use "
                           "Logit.from_formula with C(...).")
        first = values[0] if n > 0 and values.shape[1] else np.zeros(values.shape[1])
        names = tuple(
            "const" if first[j] == 1 and np.all(values[:, j] == 1) else f"x{j}"
            for j in range(values.shape[1])
        )
        # statsmodels numbers regressors x1, x2, ... counting the constant's position
        names = tuple(nm if nm == "const" else f"x{j + (0 if 'const' in names[:j + 1] else 1)}"
                      for j, nm in enumerate(names))
    return np.array(values, dtype=float, order="C"), names  # the one private copy


def _handle_missing(y, X, offset, missing, names, endog_name) -> tuple[np.ndarray, int]:
    """Return the boolean mask of rows to keep, applying the ``missing`` policy."""
    if missing not in _MISSING:
        raise ValueError(f"missing={missing!r} not understood; use one of {list(_MISSING)}.")
    finite = np.isfinite(X.sum()) and np.isfinite(y.sum()) and (
        offset is None or np.isfinite(offset.sum()))
    if finite:  # sums of finite values are finite unless they overflow: then check in full
        return np.ones(y.shape[0], dtype=bool), 0
    inf_found = []
    for label, arr in [("endog", y[:, None]), ("exog", X)] + (
        [("offset", offset[:, None])] if offset is not None else []
    ):
        bad_inf = np.isinf(arr)
        if bad_inf.any():
            r, c = np.argwhere(bad_inf)[0]
            col = names[c] if label == "exog" else label
            inf_found.append(f"{label} column {col!r} row {r}")
    if inf_found:
        raise MissingDataError(
            f"Infinite values in {inf_found[0]} (and {len(inf_found) - 1} more places); "
            "infinite values are never dropped: fix or remove those rows."
        )
    nan_rows = np.isnan(y) | np.isnan(X).any(axis=1)
    if offset is not None:
        nan_rows |= np.isnan(offset)
    if nan_rows.any():
        where = []
        if np.isnan(y).any():
            where.append(f"endog {endog_name!r} rows {np.flatnonzero(np.isnan(y))[:5].tolist()}")
        for j in np.flatnonzero(np.isnan(X).any(axis=0))[:5]:
            where.append(f"exog {names[j]!r} rows {np.flatnonzero(np.isnan(X[:, j]))[:5].tolist()}")
        if offset is not None and np.isnan(offset).any():
            where.append(f"offset rows {np.flatnonzero(np.isnan(offset))[:5].tolist()}")
        if missing in ("none", "raise"):
            raise MissingDataError(
                f"NaN found in {'; '.join(where)} ({int(nan_rows.sum())} rows). Pass "
                "missing='drop' to drop incomplete rows, or impute them."
            )
    return ~nan_rows, int(nan_rows.sum())


def _check_y(y: np.ndarray, endog_name: str) -> None:
    bad = (y < 0) | (y > 1)
    if bad.any():
        raise ValueError(
            f"endog {endog_name!r} must lie in [0, 1] (binary 0/1, or proportions); found "
            f"{_describe_values(y[bad])}. Recode it, e.g. y = (y == 2).astype(int) for 1/2 "
            "coding or (y + 1) / 2 for -1/+1."
        )


def _as_offset(offset: Any, n: int) -> np.ndarray | None:
    if offset is None:
        return None
    values = np.asarray(offset, dtype=float).ravel().copy()
    if values.shape[0] != n:
        raise ValueError(f"offset has length {values.shape[0]} but the data have {n} rows.")
    return values


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
    from .conditioning import check_magnitudes

    n, k = X.shape
    if k == 0:
        raise ValueError("The design has no columns.")
    if n < k:
        raise RankDeficiencyError(
            f"Only {n} observations for {k} coefficients {list(names)}: the design cannot have "
            "full column rank. Drop terms or pass priors and use method='map'."
        )
    check_magnitudes(X, names)
    gram = X.T @ X
    scale = np.sqrt(np.diag(gram)).copy()
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


def design_from_arrays(endog, exog, offset=None, missing="none") -> Design:
    """Validate array or pandas input (names carried; numpy gets ``const``, ``x1``, ...)."""
    y, endog_name = _as_y(endog)
    n = y.shape[0]
    X, names = _as_X(exog, n)
    if X.shape[0] != n:
        raise ValueError(f"endog has {n} rows but exog has {X.shape[0]}; they must match.")
    off = _as_offset(offset, n)
    labels = endog.index if isinstance(endog, pd.Series | pd.DataFrame) else (
        exog.index if isinstance(exog, pd.Series | pd.DataFrame) else pd.RangeIndex(n))
    keep, dropped = _handle_missing(y, X, off, missing, names, endog_name)
    if dropped:
        y, X, labels = y[keep], X[keep], labels[keep]
        off = off[keep] if off is not None else None
    if y.shape[0] == 0:
        raise ValueError("No observations left (empty data, or every row had missing values).")
    _check_y(y, endog_name)
    return Design(X, y.copy(), off, names, endog_name, find_intercept(X), pd.Index(labels),
                  dropped)


def design_from_formula(formula: str, data: pd.DataFrame, offset=None, missing="drop") -> Design:
    """Encode ``data`` with a formulaic formula ``"y ~ x1 + C(g)"``; intercept ``Intercept``.

    ``offset`` is an array aligned with the rows of ``data`` or the name of a column.
    """
    import formulaic

    if not isinstance(data, pd.DataFrame):
        data = pd.DataFrame(data)
    if missing not in _MISSING:
        raise ValueError(f"missing={missing!r} not understood; use one of {list(_MISSING)}.")
    if "~" not in formula:
        raise ValueError(f"formula {formula!r} has no '~'; write it as 'y ~ x1 + x2'.")
    off_all = None
    if isinstance(offset, str):
        if offset not in data.columns:
            raise ValueError(f"offset column {offset!r} not in data; columns are "
                             f"{list(data.columns)}.")
        off_all = data[offset].to_numpy(dtype=float)
    elif offset is not None:
        off_all = _as_offset(offset, len(data))
    try:
        mm = formulaic.model_matrix(formula, data, na_action="ignore")
    except Exception as exc:  # formulaic raises many types; surface them with context
        raise ValueError(f"Could not build the design from formula {formula!r}: {exc}") from exc
    lhs, rhs = mm.lhs, mm.rhs
    if lhs.shape[1] != 1:
        raise ValueError(
            f"The response in {formula!r} evaluated to {lhs.shape[1]} columns "
            f"{list(lhs.columns)}; a non-numeric response must be recoded, e.g. "
            "(y == 'yes') or use a 0/1 column."
        )
    design = design_from_arrays(lhs.iloc[:, 0], rhs, off_all, missing=missing)
    levels = {}
    for factor, (kind, state) in rhs.model_spec.encoder_state.items():
        if getattr(kind, "value", kind) == "categorical":
            levels[str(factor)] = list(state.get("categories", []))
    spec = rhs.model_spec.update(na_action="ignore")
    return Design(design.X, design.y, design.offset, design.exog_names, design.endog_name,
                  design.intercept_index, design.row_labels, design.n_dropped, formula, spec,
                  levels)


def _unseen_levels(design: Design, data: pd.DataFrame) -> list[str]:
    problems = []
    variables = getattr(design.model_spec, "factor_variables", {}) or {}
    for factor, cats in design.categorical_levels.items():
        vars_in = [str(v) for key, vs in variables.items() if str(key) == factor for v in vs]
        for var in vars_in or [factor]:
            if var in data.columns:
                seen = set(cats)
                new = [v for v in pd.unique(data[var].dropna()) if v not in seen]
                if new:
                    problems.append(f"column {var!r} has level(s) {new} not seen in training "
                                    f"(known levels: {cats})")
    return problems


def encode_new_data(design: Design, data: Any) -> FloatArray:
    """Design matrix for new data: raw data re-encoded through the formula, or an exog array.

    Raises
    ------
    UnseenLevelError
        A categorical column holds a level absent from the training data.
    """
    if design.model_spec is None:
        X, _ = _as_X(data, len(data) if hasattr(data, "__len__") else 0)
        if X.shape[1] != len(design.exog_names):
            raise ValueError(f"New exog has {X.shape[1]} columns; the model has "
                             f"{len(design.exog_names)}: {list(design.exog_names)}.")
        return X
    if not isinstance(data, pd.DataFrame):
        data = pd.DataFrame(data)
    problems = _unseen_levels(design, data)
    if problems:
        raise UnseenLevelError("Cannot predict: " + "; ".join(problems) +
                               ". Map them to a known level or refit with them.")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            mm = design.model_spec.get_model_matrix(data)
        except Exception as exc:
            raise ValueError(f"Could not encode new data through {design.formula!r}: {exc}") \
                from exc
    for w in caught:
        if "categor" in str(w.message) or "levels" in str(w.message):
            raise UnseenLevelError(f"Cannot predict: {w.message}")
    X = mm.to_numpy(dtype=float) if hasattr(mm, "to_numpy") else np.asarray(mm, dtype=float)
    if X.shape[1] != len(design.exog_names):
        raise ValueError("New data encoded to a different number of columns than in training.")
    return np.ascontiguousarray(X)
