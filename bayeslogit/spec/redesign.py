"""The same model on new rows: a design encoded with the training encoding state.

:func:`design_with_data` is what :meth:`bayeslogit.Logit.with_data` builds on. A formula
model keeps its formulaic encoding (categorical levels, column order, stateful transforms)
and reads the response, the predictors and the offset column from the new data; an array
model keeps its column names (a DataFrame's columns are matched by name, an array's by
position). The new data go through the same checks as at prediction time, so absent or
unexpected columns and unseen categorical levels raise the errors ``predict`` raises.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ColumnMismatchError, MissingDataError, UnseenLevelError
from .columns import align_to_index, check_unique_columns, offset_to_float
from .containers import frame_from_dict
from .design import Design, design_from_arrays
from .formula import FORMULA_CONTEXT, design_from_formula
from .newdata import encode_array_data, encode_new_data

__all__ = ["design_with_data"]


def _offset_rule(design: Design, offset: Any) -> None:
    if design.offset_column is not None and offset is not None:
        raise ValueError(f"This model reads its offset from the column "
                         f"{design.offset_column!r} of the new data; drop offset=.")
    array_offset = design.has_offset and design.offset_column is None and \
        not design.offset_terms
    if array_offset and offset is None:
        raise ValueError("This model was built with an offset array, so the new rows need "
                         "theirs: model.with_data(data, offset=new_offset) (offset=0 for none).")


def _count_argument(design: Design, what: str, given: Any, index: pd.Index | None) -> Any:
    """Return the ``trials`` / ``freq_weights`` for the new rows (a column name or array).

    A model reading them from a column reads that column of the new data; a model given an
    array needs the new rows' array; a model without them accepts none (a different
    likelihood is a new model, not new data).
    """
    column = getattr(design, "trials_column" if what == "trials" else "weights_column")
    had = getattr(design, what) is not None
    if column is not None:
        if given is not None:
            raise ValueError(f"This model reads {what} from the column {column!r} of the new "
                             f"data; drop {what}=.")
        return column
    if given is None:
        return None
    if not had:
        raise ValueError(f"This model has no {what}; {what}= would change the likelihood. "
                         f"Build a new model: bl.Logit(..., {what}=...).")
    if index is not None:
        given = align_to_index(given, index, what, "data")
    return given.to_numpy() if isinstance(given, pd.Series) else given


def _check_counts_given(design: Design, new: dict[str, Any]) -> None:
    """Refuse new rows without the trials / weights a model built with arrays needs."""
    for what in ("trials", "freq_weights"):
        if getattr(design, what) is not None and new[what] is None:
            raise ValueError(f"This model was built with a {what} array, so the new rows need "
                             f"theirs: model.with_data(data, ..., {what}=new_{what}).")


def _check_intercept(design: Design, X: np.ndarray) -> None:
    j = design.intercept_index
    if j is not None and not np.all(X[:, j] == 1.0):
        raise ValueError(f"Column {design.exog_names[j]!r} is the model's intercept (all "
                         "ones) but is not all ones in the new data; set it to 1.0.")


def _formula_design(design: Design, data: Any, endog: Any, offset: Any,
                    missing: str, trials: Any = None, freq_weights: Any = None) -> Design:
    import formulaic

    if endog is not None:
        raise ValueError(f"A formula model reads its response from the data "
                         f"({design.formula!r}); drop endog= and include the response column.")
    data = frame_from_dict(data)
    if not isinstance(data, pd.DataFrame):
        raise ColumnMismatchError(f"A formula model takes new data as a DataFrame of raw "
                                  f"columns (those in {design.formula!r}); got "
                                  f"{type(data).__name__}.")
    check_unique_columns(data, "data")
    lhs = formulaic.Formula(design.formula).lhs.required_variables
    absent = sorted(str(v) for v in lhs if v not in data.columns and v not in FORMULA_CONTEXT)
    if absent:
        raise ColumnMismatchError(f"The new data lack the response column(s) {absent} of "
                                  f"{design.formula!r}; add them.")
    frame = data.reset_index(drop=True)  # positions, whatever the caller's index holds
    try:
        X_all, term_all = encode_new_data(design, frame)
    except UnseenLevelError as exc:
        text = str(exc).removeprefix("Cannot predict: ").split(". Map them")[0]
        raise UnseenLevelError(
            f"model.with_data: {text}. The new model keeps this model's encoding: map them "
            f"to a known level, or build a new model: bl.Logit.from_formula("
            f"{design.formula!r}, data).") from None
    if design.offset_column is not None:
        off_arg: Any = design.offset_column
        base = offset_to_float(frame[design.offset_column], len(frame),
                               f"offset column {design.offset_column!r}")
    else:
        off_arg = offset_to_float(align_to_index(offset, data.index, "offset", "data"),
                                  len(frame))
        base = off_arg
    counts = {what: _count_argument(design, what, given, data.index)
              for what, given in (("trials", trials), ("freq_weights", freq_weights))}
    fresh = design_from_formula(design.formula, frame, offset=off_arg, missing=missing,
                                event=design.event, **counts)
    _check_counts_given(design, {"trials": fresh.trials, "freq_weights": fresh.freq_weights})
    rows = np.asarray(fresh.row_labels, dtype=np.intp)
    X = np.ascontiguousarray(X_all[rows])
    if np.isnan(X).any():
        raise MissingDataError("Some kept rows encode to missing values through the model's "
                               f"formula {design.formula!r}; drop them from the new data.")
    _check_intercept(design, X)
    off = None if base is None else base[rows]
    if term_all is not None:
        off = term_all[rows] if off is None else off + term_all[rows]
    kept = np.zeros(len(frame), dtype=bool)
    kept[rows] = True
    return replace(fresh, X=X, offset=off, exog_names=design.exog_names,
                   intercept_index=design.intercept_index, row_labels=data.index[rows],
                   dropped_labels=data.index[~kept], model_spec=design.model_spec,
                   categorical_levels=design.categorical_levels,
                   offset_terms=design.offset_terms)


def _array_design(design: Design, exog: Any, endog: Any, offset: Any, missing: str,
                  trials: Any = None, freq_weights: Any = None) -> Design:
    if endog is None:
        raise ValueError("An array model needs the new response as well: "
                         "model.with_data(new_exog, new_endog).")
    X = encode_array_data(design, exog)
    index = exog.index if isinstance(exog, pd.Series | pd.DataFrame) else None
    frame = pd.DataFrame(X, columns=list(design.exog_names), index=index)
    counts = {what: _count_argument(design, what, given, index)
              for what, given in (("trials", trials), ("freq_weights", freq_weights))}
    _check_counts_given(design, counts)
    new = design_from_arrays(endog, frame, offset, missing, event=design.event, **counts)
    _check_intercept(design, new.X)
    return replace(new, exog_named=design.exog_named, intercept_index=design.intercept_index)


def design_with_data(design: Design, data: Any, endog: Any = None, offset: Any = None,
                     missing: str | None = None, trials: Any = None,
                     freq_weights: Any = None) -> Design:
    """Encode new rows for the model of ``design``, keeping its encoding state and names.

    Parameters
    ----------
    design : Design
        The model's design.
    data : DataFrame, dict of columns or array-like
        Formula models: raw columns holding the response and every predictor the formula
        reads (and the offset column, if the model has one). Array models: the new exog.
    endog : array-like, optional
        Array models only: the new response.
    offset : array-like, optional
        Needed when the model's offset was given as an array (not a column name).
    missing : {"none", "drop", "raise"}, optional
        Missing-value policy for the new rows; default "drop" for formula models and
        "none" for array models, as their constructors.
    trials, freq_weights : array-like, optional
        Needed when the model's binomial trials / frequency weights were given as arrays
        (a model reading them from columns, or from a ``successes + failures`` response,
        reads them from ``data``); refused for a model without them.

    Returns
    -------
    Design
        The new rows, with this design's names, intercept, formula spec and levels.

    Raises
    ------
    ColumnMismatchError
        Absent, unexpected or extra columns, or data of the wrong kind.
    UnseenLevelError
        A categorical level the model was not trained on.
    MissingDataError
        Missing values under ``missing="none"`` or ``"raise"``.
    ValueError
        A response outside [0, 1], a missing offset, an intercept column not all ones.
    """
    _offset_rule(design, offset)
    if design.model_spec is not None:
        return _formula_design(design, data, endog, offset, missing or "drop", trials,
                               freq_weights)
    return _array_design(design, data, endog, offset, missing or "none", trials, freq_weights)
