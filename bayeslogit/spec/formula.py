"""Formula models: formulaic encodes the data; missing values, outcome and offsets are ours.

A row is missing when any data column the formula reads is missing (NaN, None or ``pd.NA``,
in any dtype) or when a term evaluates to NaN, so ``C(g)`` with a missing ``g`` and
``C(x > 0)`` with a missing ``x`` are missing rows, never a reference level. The encoding
state is learned on the rows that are kept, exactly as a fit on the complete cases.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ColumnMismatchError, EventLevelError, InvalidArgumentError, UnseenLevelError
from .columns import (
    align_to_index,
    apply_missing_policy,
    check_missing_policy,
    check_outcome_range,
    check_unique_columns,
    describe_values,
    event_literal,
    offset_to_float,
    outcome_to_float,
    pick_event,
)
from .containers import frame_from_dict
from .counts import check_counts, counts_to_float, whole_numbers
from .design import Design, check_finite, find_intercept
from .formula_frame import column_uses, match_numeric_columns, prepare_frame

__all__ = ["design_from_formula", "encode_formula_data", "offset", "FORMULA_CONTEXT"]


def offset(values: Any) -> Any:
    """Evaluate the ``offset(...)`` formula terms of R's spelling.

    The ``offset(...)`` formula term (R's spelling): its values enter the linear predictor
    with coefficient one, e.g. ``"y ~ x + offset(np.log(exposure))"``.
    """
    return values


FORMULA_CONTEXT: dict[str, Any] = {"np": np, "numpy": np, "pd": pd, "offset": offset}
_PLAIN_FACTOR = re.compile(r"\s*(?:C\(\s*([A-Za-z_]\w*)\s*(?:,.*)?\)|([A-Za-z_]\w*))\s*", re.S)
def _materialize(formula: str, frame: pd.DataFrame):
    import formulaic

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            mm = formulaic.model_matrix(formula, frame, na_action="drop",
                                        context=FORMULA_CONTEXT)
    except Exception as exc:  # formulaic raises many types; surface them with context
        raise ValueError(f"Could not build the design from formula {formula!r}: {exc}") from exc
    if not hasattr(mm, "lhs"):
        raise ValueError(f"formula {formula!r} has no response; write it as 'y ~ x1 + x2'.")
    return mm


def _data_variables(*specs: Any) -> list[str]:
    names: set[str] = set()
    for spec in specs:
        names |= {str(v) for v in getattr(spec, "variables_by_source", {}).get("data", ())}
    return sorted(names)


def _formula_nulls(mm: Any, frame: pd.DataFrame) -> dict[str, np.ndarray]:
    n = len(frame)
    nulls = {f"column {v!r}": frame[v].isna().to_numpy()
             for v in _data_variables(mm.lhs.model_spec, mm.rhs.model_spec) if v in frame}
    kept = np.zeros(n, dtype=bool)
    kept[np.intersect1d(np.asarray(mm.rhs.index), np.asarray(mm.lhs.index))] = True
    explained = np.logical_or.reduce(list(nulls.values())) if nulls else np.zeros(n, bool)
    unexplained = ~kept & ~explained
    if unexplained.any():
        nulls["terms evaluating to NaN"] = unexplained
    return nulls


def _offset_columns(rhs: Any) -> list[str]:
    cols = []
    for part in rhs.model_spec.structure:
        factors = [str(f.expr).replace(" ", "") for f in part.term.factors]
        if any(f.startswith("offset(") for f in factors):
            if len(factors) > 1:
                raise ValueError(f"The offset term {part.term} is part of an interaction; an "
                                 "offset enters alone, e.g. 'y ~ x + offset(log_exposure)'.")
            cols += list(part.columns)
    return cols


def _two_column_counts(lhs: Any, formula: str) -> tuple[np.ndarray, np.ndarray, str]:
    """Successes, trials and name of a ``successes + failures ~ ...`` left-hand side."""
    s = lhs.iloc[:, 0].to_numpy(dtype=float)
    f = lhs.iloc[:, 1].to_numpy(dtype=float)
    name = f"{lhs.columns[0]} + {lhs.columns[1]}"
    bad = (f < 0) | ~whole_numbers(f)
    if bad.any():
        raise ValueError(f"The failures column {str(lhs.columns[1])!r} of {formula!r} must hold "
                         f"non-negative whole numbers; found {f[bad][:5].tolist()}.")
    return s, s + f, name


def _outcome(lhs: Any, event: Any, formula: str, counts: bool = False
             ) -> tuple[np.ndarray, str]:
    state = lhs.model_spec.encoder_state
    structure = lhs.model_spec.structure
    name = str(structure[0].term) if len(structure) == 1 else str(list(lhs.columns))
    remedy = f"bl.Logit.from_formula({formula!r}, data, event={{event!r}})"
    categorical = [s for kind, s in state.values() if getattr(kind, "value", kind) ==
                   "categorical"]
    if categorical:
        levels = list(categorical[0].get("categories", []))
        if len(structure) != 1 or len(levels) != lhs.shape[1]:
            raise ValueError(f"The response in {formula!r} must be one column; got "
                             f"{list(lhs.columns)}.")
        pick = pick_event(levels)
        fix = remedy.replace("{event!r}", event_literal(pick))
        if event is None:
            raise EventLevelError(
                f"The response {name!r} is categorical with levels {describe_values(levels)}; "
                f"say which level is the event (coded 1), e.g. {fix}.", pick, fix)
        hits = [j for j, v in enumerate(levels) if v == event]
        if not hits:
            raise EventLevelError(
                f"event={event_literal(event)} is not a level of the response {name!r}; its "
                f"levels are {describe_values(levels)}. Pass one of them, e.g. {fix}.",
                pick, fix)
        return lhs.iloc[:, hits[0]].to_numpy(dtype=float), name
    if lhs.shape[1] != 1:
        raise ValueError(f"The response in {formula!r} evaluated to {lhs.shape[1]} columns "
                         f"{list(lhs.columns)}; it must be one 0/1 column (or two count "
                         "columns, 'successes + failures ~ x').")
    col = lhs.iloc[:, 0]
    y = outcome_to_float(col, str(lhs.columns[0]), event, remedy)
    left, right = formula.split("~", 1)
    if not counts:
        check_outcome_range(y, str(lhs.columns[0]), remedy,
                            f"'I({left.strip()} == {{event!r}}) ~ {right.strip()}'")
    return y, str(lhs.columns[0])


def _categorical_levels(spec: Any) -> dict[str, list]:
    return {str(f): list(s.get("categories", [])) for f, (kind, s) in spec.encoder_state.items()
            if getattr(kind, "value", kind) == "categorical"}


def _count_column(value: Any, data: pd.DataFrame, what: str) -> np.ndarray | None:
    """``trials`` / ``freq_weights`` as a column name or an array aligned with ``data``."""
    if isinstance(value, str):
        if value not in data.columns:
            raise ColumnMismatchError(f"{what}={value!r} is not a column of data; columns are "
                                      f"{list(data.columns)}.")
        value = data[value]
    else:
        value = align_to_index(value, data.index, what, "data")
    return counts_to_float(value, len(data), what)


def design_from_formula(formula: str, data: Any, offset: Any = None, missing: str = "drop",
                        event: Any = None, trials: Any = None,
                        freq_weights: Any = None) -> Design:
    """Encode ``data`` with a formulaic formula ``"y ~ x1 + C(g)"``; intercept ``Intercept``.

    ``offset`` is an array aligned with the rows of ``data`` (a Series aligned on the index)
    or the name of a column, read again from new data at predict; ``offset(...)`` terms in
    the formula are added to it. ``event`` names the level of a categorical response coded 1.

    Parameters
    ----------
    formula, data, offset, missing, event, trials, freq_weights
        As for :meth:`bayeslogit.Logit.from_formula`.

    Returns
    -------
    Design
        The complete cases encoded by formulaic, with the spec that re-encodes new data.

    Raises
    ------
    ValueError
        An unparsable formula, a categorical response without ``event``, non-numeric columns.
    MissingDataError
        Missing values under ``missing="raise"``/``"none"``; infinite values.
    ColumnMismatchError
        An ``offset`` column absent from ``data``, duplicate column names.
    """
    if not isinstance(formula, str):
        raise ValueError(f"formula must be a string such as 'y ~ x1 + C(g)'; got {formula!r}.")
    if "~" not in formula:
        raise ValueError(f"formula {formula!r} has no '~'; write it as 'y ~ x1 + x2'.")
    check_missing_policy(missing)
    data = frame_from_dict(data)
    if not isinstance(data, pd.DataFrame):
        raise InvalidArgumentError(
            f"data must be a DataFrame (or a dict of columns), not a {type(data).__name__}; "
            f"e.g. bl.Logit.from_formula({formula!r}, data=pd.DataFrame(...)).")
    check_unique_columns(data, "data")
    n, labels = len(data), data.index
    if n == 0:
        raise ValueError(f"No observations: data has 0 rows (columns {list(data.columns)}).")
    off_column = offset if isinstance(offset, str) else None
    if off_column is not None:
        if off_column not in data.columns:
            raise ColumnMismatchError(f"offset={off_column!r} is not a column of data; columns "
                                      f"are {list(data.columns)}.")
        off_all = offset_to_float(data[off_column], n, f"offset column {off_column!r}")
    else:
        off_all = offset_to_float(align_to_index(offset, labels, "offset", "data"), n)
    uses = column_uses(formula, data.columns)
    frame = prepare_frame(data, fit=True, uses=uses)
    mm = _materialize(formula, frame)
    nulls = _formula_nulls(mm, frame)
    if off_all is not None:
        check_finite({"offset": off_all}, labels)
        nulls["offset"] = np.isnan(off_all)
    extra = {"trials": _count_column(trials, data, "trials"),
             "freq_weights": _count_column(freq_weights, data, "freq_weights")}
    for what, values in extra.items():
        if values is not None:
            check_finite({what: values}, labels)
            nulls[what] = np.isnan(values)
    keep, counts = apply_missing_policy(nulls, labels, missing)
    rows = np.flatnonzero(keep)
    if rows.size < n:  # learn the encoding (levels, transforms) on the complete cases only
        mm = _materialize(formula, prepare_frame(data.iloc[rows], fit=True, uses=uses))
    lhs, rhs = mm.lhs, mm.rhs
    if len(rhs) != rows.size or len(lhs) != rows.size:
        raise ValueError(f"formula {formula!r} dropped rows that have no missing values.")
    off_cols = _offset_columns(rhs)
    tri = None if extra["trials"] is None else extra["trials"][rows]
    fw = None if extra["freq_weights"] is None else extra["freq_weights"][rows]
    two_column = lhs.shape[1] == 2 and not _categorical_levels(lhs.model_spec)
    if two_column and tri is not None:
        raise ValueError(f"The response of {formula!r} is 'successes + failures', which gives "
                         f"the trials already; drop trials= (or write the response as the "
                         f"successes alone with trials=).")
    if two_column:
        y, tri, endog_name = _two_column_counts(lhs, formula)
    else:
        y, endog_name = _outcome(lhs, event, formula, counts=tri is not None)
    names = tuple(str(c) for c in rhs.columns if c not in off_cols)
    try:
        X = rhs[list(names)].to_numpy(dtype=float)
    except (TypeError, ValueError):
        bad = [c for c in names if not pd.api.types.is_numeric_dtype(rhs[c])]
        raise ValueError(f"Formula columns {bad} are not numeric; wrap a categorical column in "
                         "C(...) or convert it.") from None
    kept_labels = labels[rows]
    check_finite({f"exog column {c!r}": X[:, j] for j, c in enumerate(names)}, kept_labels)
    off = off_all[rows] if off_all is not None else None
    if off_cols:
        term = rhs[off_cols].to_numpy(dtype=float).sum(axis=1)
        check_finite({"offset term": term}, kept_labels)
        off = term if off is None else off + term
    sources = {what: f"data[{value!r}]" for what, value in
               (("trials", trials), ("freq_weights", freq_weights)) if isinstance(value, str)}
    if two_column:
        sources["trials"] = " + ".join(f"data[{str(c)!r}]" for c in lhs.columns)
    y, tri, fw = check_counts(y, tri, fw, pd.Index(kept_labels), endog_name,
                              f"bl.Logit.from_formula({formula!r}, data) without trials=",
                              sources)
    return Design(np.ascontiguousarray(X), y.copy(), off, names, endog_name, find_intercept(X),
                  pd.Index(kept_labels), n - rows.size, formula, rhs.model_spec,
                  _categorical_levels(rhs.model_spec), dropped=counts,
                  dropped_labels=labels[~keep], event=event, offset_column=off_column,
                  offset_terms=tuple(str(c) for c in off_cols), trials=tri,
                  freq_weights=fw,
                  trials_column=trials if isinstance(trials, str) else None,
                  weights_column=freq_weights if isinstance(freq_weights, str) else None,
                  frame=data.iloc[rows][[v for v in _data_variables(rhs.model_spec)
                                         if v in data.columns]].copy())


def _unseen_levels(design: Design, frame: pd.DataFrame) -> list[str]:
    problems = []
    for factor, cats in design.categorical_levels.items():
        m = _PLAIN_FACTOR.fullmatch(factor)
        col = (m.group(1) or m.group(2)) if m else None
        if col is None or col not in frame.columns:
            continue
        seen = set(cats)
        new = [v for v in pd.unique(frame[col].dropna()) if v not in seen]
        if new:
            problems.append(f"column {col!r} has level(s) {describe_values(new)} not seen in "
                            f"training (known levels: {describe_values(cats, 20)})")
    return problems


def encode_formula_data(design: Design, data: Any) -> tuple[np.ndarray, np.ndarray | None]:
    """Re-encode raw ``data`` through the training spec.

    Parameters
    ----------
    design : Design
        A formula design (``design.model_spec`` set).
    data : DataFrame or dict of columns
        Raw new data; columns are found by name.

    Returns
    -------
    X : ndarray, shape (m, k)
        The design; rows with a missing value in a column the formula reads are NaN.
    offset : ndarray, shape (m,), or None
        The sum of the formula's ``offset(...)`` terms, None without such terms.

    Raises
    ------
    ColumnMismatchError
        A column the formula reads is absent, or ``data`` is not a DataFrame.
    UnseenLevelError
        A categorical value that was not seen in training.
    """
    if isinstance(data, dict):
        data = pd.DataFrame(data)
    if not isinstance(data, pd.DataFrame):
        raise ColumnMismatchError(
            f"A formula model predicts from a DataFrame of raw columns (those in "
            f"{design.formula!r}); got {type(data).__name__}.")
    check_unique_columns(data, "data")
    frame = prepare_frame(data, fit=False,
                          uses=({}, column_uses(design.formula, data.columns)[1]))
    spec = design.model_spec
    frame = match_numeric_columns(frame, spec.encoder_state)
    absent = [v for v in _data_variables(spec) if v not in frame.columns]
    if absent:
        raise ColumnMismatchError(f"The new data lack column(s) {absent} used by "
                                  f"{design.formula!r}; add them.")
    problems = _unseen_levels(design, frame)
    if problems:
        raise UnseenLevelError("Cannot predict: " + "; ".join(problems) +
                               ". Map them to a known level or refit with them.")
    from formulaic.errors import DataMismatchWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            mm = spec.get_model_matrix(frame, context=FORMULA_CONTEXT)
        except Exception as exc:
            raise ValueError(f"Could not encode new data through {design.formula!r}: {exc}") \
                from exc
    for w in caught:
        if issubclass(w.category, DataMismatchWarning):
            raise UnseenLevelError(
                f"Cannot predict: a categorical term of {design.formula!r} met values outside "
                f"its levels ({str(w.message).split('. ')[0]}). Map them to a known level or "
                "refit with them.")
        if not issubclass(w.category, DeprecationWarning | FutureWarning):
            warnings.warn(w.message, w.category, stacklevel=3)
    cols = [str(c) for c in mm.columns]
    if sorted(cols) != sorted(list(design.exog_names) + list(design.offset_terms)):
        raise ValueError("New data encoded to other columns than in training: "
                         f"{cols} vs {list(design.exog_names)}.")
    full = np.full((len(frame), len(cols)), np.nan)
    full[np.asarray(mm.index)] = mm.to_numpy(dtype=float)
    missing = frame[_data_variables(spec)].isna().to_numpy().any(axis=1) if \
        _data_variables(spec) else np.zeros(len(frame), bool)
    full[missing] = np.nan
    where = {c: j for j, c in enumerate(cols)}
    X = np.ascontiguousarray(full[:, [where[c] for c in design.exog_names]])
    term = full[:, [where[c] for c in design.offset_terms]].sum(axis=1) \
        if design.offset_terms else None
    return X, term
