"""Columns of user data as float arrays: dtypes, outcomes, index alignment, missing values.

Shared by the array path (:mod:`bayeslogit.spec.design`) and the formula path
(:mod:`bayeslogit.spec.formula`), so that both treat a value the same way: NaN, None and ``pd.NA``
are missing in every dtype; numbers (numpy, nullable ``Int64``/``Float64``, ``bool``,
``boolean``, object columns holding numbers) convert to float; anything else is refused with
a message naming the column and the offending values.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd

from ..checks import check_array_like
from ..errors import (
    ColumnMismatchError,
    EventLevelError,
    InvalidArgumentError,
    MissingDataError,
    UnsupportedDtypeError,
)
from ..validation import MissingPolicy, check_choice, choices
from .containers import unmask

__all__ = ["MISSING_POLICIES", "MissingPolicy", "describe_values",
           "format_labels",
           "align_groups", "series_to_float", "outcome_to_float", "align_to_index",
           "offset_to_float",
           "check_missing_policy", "apply_missing_policy", "drop_reason",
           "check_unique_columns", "check_outcome_range", "datetime_kind", "datetime_error",
           "event_literal", "pick_event"]

MISSING_POLICIES: tuple[str, ...] = choices(MissingPolicy)


def describe_values(values: Any, limit: int = 5) -> str:
    """List the first ``limit`` distinct values, comma-separated."""
    uniq = pd.unique(pd.Series(np.ravel(np.asarray(values, dtype=object))))
    shown = ", ".join(repr(v.item() if hasattr(v, "item") else v) for v in uniq[:limit])
    return shown + (", ..." if uniq.size > limit else "")


def format_labels(labels: pd.Index, mask: np.ndarray, limit: int = 5) -> str:
    """List the index labels of the rows where ``mask`` is true, e.g. ``[4, 17, ...]``."""
    picked = labels[np.asarray(mask, dtype=bool)]
    shown = [v.item() if hasattr(v, "item") else v for v in picked[:limit]]
    return repr(shown)[:-1] + (", ...]" if picked.size > limit else "]")


def check_missing_policy(missing: Any) -> None:
    """Refuse a ``missing`` policy other than "none", "drop" or "raise" (ValueError)."""
    check_choice("missing", missing, MissingPolicy)


def check_unique_columns(frame: pd.DataFrame, what: str) -> None:
    """Refuse duplicate column names in ``frame`` (ColumnMismatchError naming them)."""
    dup = frame.columns[frame.columns.duplicated()].unique().tolist()
    if dup:
        raise ColumnMismatchError(
            f"{what} has duplicate column names {dup}; each column needs its own name. "
            f"Rename them, e.g. {what}.columns = [...], or drop the copies with "
            f"{what}.loc[:, ~{what}.columns.duplicated()]."
        )
    printed = pd.Index([str(c) for c in frame.columns])
    alike = [[c for c in frame.columns if str(c) == p]
             for p in printed[printed.duplicated()].unique()]
    if alike:
        fix = {c: f"{c}_{type(c).__name__}" for c in alike[0][1:]}
        raise ColumnMismatchError(
            f"{what} has columns whose names print alike: "
            f"{'; '.join(' and '.join(repr(c) for c in group) for group in alike)} (labels "
            "of different types). Names are matched as text here, so they would be one "
            f"column; rename them, e.g. {what} = {what}.rename(columns={fix!r}), or make "
            f"every label a string: {what}.columns = {what}.columns.map(str) after renaming."
        )


def datetime_kind(dtype: Any) -> Literal["dates", "durations", "periods"] | None:
    """Name what a date-like dtype holds, or return None for any other dtype.

    What a date-like dtype holds (datetime64 with or without a time zone, timedelta64,
    Period), or None for any other dtype.
    """
    if isinstance(dtype, pd.PeriodDtype):
        return "periods"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "dates"
    if pd.api.types.is_timedelta64_dtype(dtype):
        return "durations"
    return None


def _literal(value: Any) -> str:
    """Python source for a pandas or plain scalar (``pd.Timestamp('2020-01-01 00:00:00')``)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, pd.Timestamp | pd.Timedelta | pd.Period):
        return "pd." + repr(value)
    return repr(value)


def datetime_error(s: pd.Series, what: str, src: str, new: str,
                   categorical: str = "") -> UnsupportedDtypeError:
    """Build the refusal of a date-like column used as numbers, with a conversion that works.

    ``what`` names the column in the message (``"column 'd'"``), ``src`` is the expression
    that reads it (``"data['d']"``) and ``new`` the column the remedy creates; ``categorical``
    is an alternative use to mention (``"C(d)"``), if any.
    """
    kind = datetime_kind(s.dtype)
    if kind == "durations":
        conv, unit = f'{src} / pd.Timedelta("1D")', "in days"
    else:
        stamps = s.dt.to_timestamp() if kind == "periods" else s
        first = stamps.min()
        first = first.normalize() if pd.notna(first) else pd.Timestamp("2000-01-01")
        ref = _literal(first)
        src_ts = f"{src}.dt.to_timestamp()" if kind == "periods" else src
        conv, unit = f'({src_ts} - {ref}) / pd.Timedelta("1D")', f"in days since {first.date()}"
    alt = f", or use it as categories with {categorical}" if categorical else ""
    return UnsupportedDtypeError(
        f"{what} has dtype {s.dtype}: {kind} are not numbers, and converting them silently "
        f"would give a number that depends on the unit they are stored in. Convert it in the "
        f"unit you mean, e.g. {new} = {conv} ({unit}), and use that{alt}."
    )


def event_literal(value: Any) -> str:
    """``value`` as it is written after ``event=`` (``'Yes'``, ``2``, ``pd.Timestamp(...)``)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return repr(int(value))
    return _literal(value)


def series_to_float(s: pd.Series) -> tuple[np.ndarray, np.ndarray | None]:
    """Float values (NaN where missing) and the mask of non-numeric entries.

    The mask is None when the dtype itself is not numeric (categorical, string, dates):
    then the values are all NaN and the caller refuses the column.
    """
    dtype = s.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return np.full(len(s), np.nan), None
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
        return s.to_numpy(dtype=float, na_value=np.nan), np.zeros(len(s), dtype=bool)
    if pd.api.types.is_object_dtype(dtype):
        conv = pd.to_numeric(s, errors="coerce")
        bad = (conv.isna() & s.notna()).to_numpy()
        return np.asarray(conv, dtype=float), bad
    return np.full(len(s), np.nan), None


def outcome_to_float(values: Any, name: str, event: Any, remedy: str,
                     src: str = "y") -> np.ndarray:
    """Convert the response to float 0/1 (or proportions), NaN where missing.

    ``event`` (any value of the response) codes the response as ``values == event``; it is
    required for categorical and string responses. ``remedy`` is the call to show with
    ``event=...`` filled in, e.g. ``"bl.Logit(y, X, event={event!r})"``; ``src`` is how the
    user reads the response (``"y"``, ``"data['y']"``) in a recoding remedy.

    Raises
    ------
    UnsupportedDtypeError
        A date, duration or period response.
    EventLevelError
        A non-numeric response without ``event``, or an ``event`` that is not a value.
    """
    if event is not None and (np.ndim(event) != 0 or isinstance(event, dict | set)):
        raise InvalidArgumentError(
            f"event must be one value of the response (the level coded 1), not "
            f"{event!r:.60}; e.g. event='yes'. To code several levels 1, recode first: "
            "y = y.isin(['a', 'b']).")
    s = values if isinstance(values, pd.Series) else pd.Series(np.asarray(unmask(values)))
    kind = datetime_kind(s.dtype)
    if kind is not None:
        known = s.dropna()
        cut = _literal(known.min()) if len(known) else "<value>"
        raise UnsupportedDtypeError(
            f"endog {name!r} has dtype {s.dtype}: {kind} are not an outcome. Code the event as "
            f"0/1 first, e.g. ({src} > {cut}).astype(int), with the cut that defines the event."
        )
    null = s.isna().to_numpy()

    def levels() -> list:
        return pd.unique(s[~null]).tolist()

    def fix(value: Any) -> str:
        return remedy.replace("{event!r}", event_literal(value))

    if event is not None:
        match = np.asarray((s == event).astype("boolean").fillna(False), dtype=bool)
        if not match.any():
            pick = pick_event(levels())
            raise EventLevelError(
                f"event={event_literal(event)} is not a value of the response {name!r}; its "
                f"values are {describe_values(levels())}. Pass one of them, e.g. "
                f"{fix(pick)}.", pick, fix(pick)
            )
        y = match.astype(float)
        y[null] = np.nan
        return y
    y, bad = series_to_float(s)
    if bad is None or bad.any():
        shown = describe_values(levels() if bad is None else s[bad])
        pick = pick_event(levels())
        raise EventLevelError(
            f"endog {name!r} must be numeric 0/1 (or proportions in [0, 1]); it holds "
            f"{'levels' if bad is None else 'non-numeric values'} {shown}. Say which value is "
            f"the event: {fix(pick)}.", pick, fix(pick)
        )
    return y


def check_outcome_range(y: np.ndarray, name: str, remedy: str, recode: str) -> None:
    """Refuse a numeric response outside [0, 1] with an ``event=`` remedy that works.

    ``remedy`` and ``recode`` show the call and a recoding with ``{event!r}`` filled in by the
    largest value found (``bl.Logit(y, X, event=2)``, ``y = (y == 2).astype(int)``).
    """
    bad = (y < 0) | (y > 1)
    if not bad.any():
        return
    values = np.unique(y[~np.isnan(y)])
    head = (f"endog {name!r} must lie in [0, 1] (binary 0/1, or proportions); found "
            f"{describe_values(y[bad])}.")
    if not np.all(values == np.round(values)):
        raise EventLevelError(head + " Recode it to 0/1 or to proportions in [0, 1] (e.g. "
                              "successes divided by trials).")
    pick = int(values.max())
    fix, rec = remedy.replace("{event!r}", repr(pick)), recode.replace("{event!r}", repr(pick))
    pm = " For -1/+1 coding, (y + 1) / 2 gives 0/1." if set(values) <= {-1.0, 1.0} else ""
    if values.min() >= 0 and values.size > 2:
        pm += (f" If {name!r} counts successes out of a number of trials, give the trials: "
               "trials= (the trials column or array), or the response 'successes + failures'.")
    raise EventLevelError(
        f"{head} Recode it, e.g. {rec}, or say which value is the event (coded 1, every "
        f"other value 0): {fix}.{pm}", pick, fix)


def pick_event(levels: list) -> Any:
    """Pick a plausible event level for a remedy: 'yes'-like when present, else the last level."""
    for v in levels:
        if str(v).strip().lower() in ("yes", "y", "true", "1", "event", "success"):
            return v
    try:
        return sorted(levels)[-1] if levels else "<level>"
    except TypeError:
        return levels[-1]


def align_to_index(obj: Any, target: pd.Index, what: str, target_what: str) -> Any:
    """Reorder a pandas ``obj`` to ``target``'s labels, or raise naming the mismatch.

    Objects without an index (arrays, lists) pair by position and are returned unchanged.
    """
    if not isinstance(obj, pd.Series | pd.DataFrame) or obj.index.equals(target):
        return obj
    index = obj.index
    if len(index) != len(target) or index.has_duplicates or target.has_duplicates or \
            not index.isin(target).all():
        only_obj = index.difference(target)[:5].tolist() if not index.has_duplicates else []
        only_target = target.difference(index)[:5].tolist() if not target.has_duplicates else []
        dup = " (an index has duplicate labels)" if index.has_duplicates or \
            target.has_duplicates else ""
        raise ColumnMismatchError(
            f"The index of {what} does not match the index of {target_what}{dup}: labels "
            f"{only_obj} are only in {what}, {only_target} only in {target_what} "
            f"({len(index)} vs {len(target)} rows). If the rows are in the same order, pass "
            f"{what}.to_numpy() to pair them by position; otherwise give both the same index "
            "labels."
        )
    return obj.reindex(target)


def offset_to_float(offset: Any, n: int, what: str = "offset") -> np.ndarray | None:
    """Convert an offset to floats of shape (n,) from a scalar, (n,) or (n, 1) input.

    None stays None.
    """
    if offset is None:
        return None
    offset = unmask(offset)
    check_array_like(what, offset, remedy=f"pass one number per row as a list, numpy array "
                     f"or pandas Series, e.g. {what.split(' ')[0]}=np.asarray(values, "
                     "dtype=float)")
    if isinstance(offset, pd.DataFrame):
        if offset.shape[1] != 1:
            raise ValueError(f"{what} must be one column; got a DataFrame with columns "
                             f"{list(offset.columns)}.")
        offset = offset.iloc[:, 0]
    if isinstance(offset, pd.Series):
        ser = offset
    else:
        arr = np.asarray(offset)
        if arr.ndim == 0:
            arr = np.full(n, arr.item() if arr.dtype != object else arr.item(), dtype=object)
        if arr.ndim == 2 and arr.shape[1] == 1:
            arr = arr[:, 0]
        if arr.ndim != 1:
            raise ValueError(f"{what} must have shape ({n},); got shape {arr.shape}. Pass one "
                             "value per row.")
        ser = pd.Series(arr)
    values, bad = series_to_float(ser)
    if bad is None and datetime_kind(ser.dtype) is not None:
        col = ser.name if what != "offset" else None  # an offset read from a data column
        src, new = (f"data[{col!r}]", f"data[{f'{col}_days'!r}]") if col is not None else \
            ("offset", "offset_days")
        raise datetime_error(ser, what, src, new)
    if bad is None or bad.any():
        shown = describe_values(offset if bad is None else np.asarray(offset, dtype=object)
                                .ravel()[bad])
        example = " (a log exposure, for example)" if what.startswith("offset") else ""
        fix = f"data[{ser.name!r}] = pd.to_numeric(data[{ser.name!r}])" \
            if what != "offset" and isinstance(ser.name, str) else \
            f"np.asarray({what}, dtype=float)"
        raise ValueError(f"{what} must be numeric{example}; got values {shown}. Convert it, "
                         f"e.g. {fix}.")
    if values.shape[0] != n:
        raise ValueError(f"{what} has length {values.shape[0]} but the data have {n} rows.")
    return values


def apply_missing_policy(nulls: dict[str, np.ndarray], labels: pd.Index,
                         missing: str) -> tuple[np.ndarray, dict[str, int]]:
    """Rows to keep under ``missing`` and, per source, how many of its rows are missing.

    ``nulls`` maps a description such as ``"exog 'x1'"`` to its boolean mask of missing rows.
    "none" and "raise" raise :class:`MissingDataError` naming sources and index labels.
    """
    n = len(labels)
    nulls = {k: np.asarray(m, dtype=bool) for k, m in nulls.items() if np.any(m)}
    if not nulls:
        return np.ones(n, dtype=bool), {}
    any_null = np.logical_or.reduce(list(nulls.values()))
    where = "; ".join(f"{k} rows {format_labels(labels, m)}" for k, m in nulls.items())
    if missing != "drop":
        raise MissingDataError(
            f"Missing values (NaN, None or NA) in {where} ({int(any_null.sum())} rows). Pass "
            "missing='drop' to drop incomplete rows, or impute them."
        )
    if any_null.all():
        whole = [k for k, m in nulls.items() if m.all()]
        cause = (f"{', '.join(whole)} {'is' if len(whole) == 1 else 'are'} missing in every "
                 "row; drop that column" if whole else f"missing values in {where}")
        raise ValueError(f"No observations left after dropping incomplete rows: {cause}.")
    return ~any_null, {k: int(m.sum()) for k, m in nulls.items()}


def drop_reason(n_dropped: int, counts: dict[str, int]) -> str:
    """One sentence on the rows dropped for missing values ('' when none were)."""
    if not n_dropped:
        return ""
    parts = ", ".join(f"{k}: {v}" for k, v in counts.items())
    rows = "row" if n_dropped == 1 else "rows"
    return f"{n_dropped} {rows} with missing values dropped (missing='drop'; {parts})."


def align_groups(groups: Any, row_labels: pd.Index, n_dropped: int) -> Any:
    """Cluster labels paired with the model's rows: by index label for pandas input.

    A Series (or Index-carrying object) is matched on its index labels, so it may also cover
    rows that ``missing="drop"`` removed; arrays pair by position and must have one label per
    row the model kept.

    Raises
    ------
    ColumnMismatchError
        A Series lacks some of the model's row labels, or an array has one label per row of
        the original data when rows were dropped.
    """
    if isinstance(groups, pd.Series):
        if groups.index.equals(row_labels):
            return groups.to_numpy()
        index = groups.index
        missing = row_labels.difference(index) if not index.has_duplicates else row_labels
        if index.has_duplicates or len(missing):
            raise ColumnMismatchError(
                "cov_kwds['groups'] is a Series whose index does not cover the model's rows"
                + (" (it has duplicate labels)" if index.has_duplicates else
                   f": labels {missing[:5].tolist()} are missing")
                + ". Give it the data's index, or pass groups.to_numpy() to pair by position.")
        return groups.reindex(row_labels).to_numpy()
    values = np.asarray(groups, dtype=object)
    if n_dropped and values.ndim == 1 and len(values) == len(row_labels) + n_dropped:
        raise ColumnMismatchError(
            f"cov_kwds['groups'] has {len(values)} labels, one per row of the original data, "
            f"but {n_dropped} rows were dropped for missing values. Pass the groups as a "
            "pandas Series with the data's index (e.g. cov_kwds={'groups': df['g']}) so the "
            "dropped rows are dropped from it too.")
    return groups
