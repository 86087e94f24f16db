"""Dask DataFrames through a formula: the encoding learned once, applied per partition.

The formulaic encoding (levels, column names, the intercept) is learned from a small frame
built from the DataFrame's metadata, which holds every category of every categorical column
(known categories are required: ``df.categorize(columns=[...])``); each partition is then
encoded through it exactly as new data are at predict
(:func:`~bayeslogit.spec.formula.encode_formula_data`), so no partition can meet a level the
encoding lacks. The blocks go through :func:`~bayeslogit.spec.dask_data.finish_design`.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DistributedDataError
from .columns import check_missing_policy, outcome_to_float
from .dask_data import DaskDesign, finish_design
from .design import Design
from .formula import design_from_formula, encode_formula_data

__all__ = ["design_from_dask_frame", "categorize_used", "encode_partition",
           "encode_count_partition"]


def _used_columns(formula: str, columns: list[str]) -> list[str]:
    return [c for c in columns if re.search(rf"(?<![\w.]){re.escape(str(c))}(?![\w])", formula)]


def _check_categories(frame: Any, used: list[str]) -> None:
    unknown = [c for c in used if _unknown_categories(frame, c)]
    if unknown:
        raise DistributedDataError(
            f"Column(s) {unknown} of the Dask DataFrame have no known categories, so their "
            "encoding cannot be learned from the metadata (a partition may lack a level). "
            f"Make the categories known first: df = df.categorize(columns={unknown!r}).")


def categorize_used(frame: Any, formula: str) -> Any:
    """Learn the categories of the string and categorical columns ``formula`` reads."""
    used = _used_columns(formula, [str(c) for c in frame.columns])
    todo = [c for c in used if _unknown_categories(frame, c)]
    return frame.categorize(columns=todo) if todo else frame


def _unknown_categories(frame: Any, c: str) -> bool:
    dtype = frame.dtypes[c]
    if isinstance(dtype, pd.CategoricalDtype):
        return not frame[c].cat.known
    return bool(pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype))


def _sample_frame(meta: pd.DataFrame, used: list[str]) -> pd.DataFrame:
    """Build a small frame with every category of each categorical column, 0/1 elsewhere."""
    sizes = [len(meta[c].cat.categories) for c in used
             if isinstance(meta.dtypes[c], pd.CategoricalDtype)]
    m = max([2, *sizes])
    cols = {}
    for c in used:
        dtype = meta.dtypes[c]
        if isinstance(dtype, pd.CategoricalDtype):
            cats = list(dtype.categories)
            cols[c] = pd.Categorical([cats[i % len(cats)] for i in range(m)], dtype=dtype)
        elif pd.api.types.is_bool_dtype(dtype):
            cols[c] = pd.array([i % 2 == 0 for i in range(m)], dtype=dtype)
        else:
            cols[c] = pd.array([float(i % 2) for i in range(m)]).astype(dtype)
    return pd.DataFrame(cols)


def encode_partition(part: pd.DataFrame, design: Design, response: str, event: Any,
                     offset_column: str | None) -> tuple:
    """Encode one partition through the learned formula: ``(X, y, offset)``, NaN if missing."""
    X, term = encode_formula_data(design, part)
    y = outcome_to_float(part[response], response, event, "event={event!r}")
    off = None
    if offset_column is not None:
        off = part[offset_column].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    if term is not None:
        off = term if off is None else off + term
    return X, np.asarray(y, dtype=float), off


def encode_count_partition(part: pd.DataFrame, design: Design, response: str, event: Any,
                           offset_column: str | None, trials: str | None,
                           freq_weights: str | None) -> tuple:
    """Encode one partition with its counts: ``(X, y, offset, trials, freq_weights, index)``."""
    from .counts import counts_to_float

    X, y, off = encode_partition(part, design, response, event, offset_column)
    tri, fw = (None if c is None else counts_to_float(part[c], len(part), what)
               for c, what in ((trials, "trials"), (freq_weights, "freq_weights")))
    return X, y, off, tri, fw, part.index


def design_from_dask_frame(formula: str, data: Any, offset: Any = None, missing: str = "drop",
                           event: Any = None, persist: bool = True, trials: Any = None,
                           freq_weights: Any = None) -> DaskDesign:
    """Encode a Dask DataFrame through a formula, the encoding learned from its metadata.

    ``trials`` and ``freq_weights`` name columns of ``data``; their rows are checked per
    partition (:mod:`bayeslogit.spec.dask_counts`) and named by their index labels.

    Returns
    -------
    DaskDesign

    Raises
    ------
    DistributedDataError
        Categorical columns without known categories (the remedy is ``df.categorize``),
        stateful transforms, a response that is not a column, an array ``offset``,
        ``trials`` or ``freq_weights`` that are not column names.
    """
    import dask

    check_missing_policy(missing)
    if offset is not None and not isinstance(offset, str):
        raise DistributedDataError("With a Dask DataFrame, offset must name a column of it, "
                                   f"e.g. offset='exposure'; got {type(offset).__name__}.")
    columns = [str(c) for c in data.columns]
    for what, value in (("trials", trials), ("freq_weights", freq_weights)):
        if value is not None and (not isinstance(value, str) or value not in columns):
            raise DistributedDataError(
                f"With a Dask DataFrame, {what} must name a column of it, e.g. {what}='n'; "
                f"got {value!r}. Add it as a column first: df = df.assign(n=...).")
    used = _used_columns(formula, columns)
    _check_categories(data, used)
    meta = data._meta if hasattr(data, "_meta") else data.head(0)
    sample = design_from_formula(formula, _sample_frame(meta, used), missing="drop",
                                 event=event)
    if getattr(sample.model_spec, "transform_state", None):
        raise DistributedDataError(
            f"The formula {formula!r} uses a stateful transform (such as center() or scale()), "
            "which would learn its state from a single partition; compute the transformed "
            "column on the DataFrame first.")
    response = formula.split("~")[0].strip()
    if response not in columns:
        raise DistributedDataError(f"With a Dask DataFrame the response must be a column; got "
                                   f"{response!r}. Compute it as a column first.")
    parts = data.to_delayed()
    has = (trials is not None, freq_weights is not None)
    counts = None
    if any(has):
        raw = [dask.delayed(encode_count_partition)(p, sample, response, event, offset,
                                                    trials, freq_weights) for p in parts]
        counts = {"endog": sample.endog_name, "has": has,
                  "call": f"bl.Logit.from_formula({formula!r}, data)",
                  "sources": {k: f"data[{v!r}]" for k, v in (("trials", trials),
                              ("freq_weights", freq_weights)) if v is not None}}
    else:
        raw = [dask.delayed(encode_partition)(p, sample, response, event, offset)
               for p in parts]
    has_offset = offset is not None or bool(sample.offset_terms)
    return finish_design(raw, sample.exog_names, len(sample.exog_names), sample.endog_name,
                   has_offset, missing, persist,
                   f"bl.Logit.from_formula({formula!r}, df, missing='drop')", counts=counts,
                   trials_column=trials, weights_column=freq_weights,
                   intercept=sample.intercept_index, formula=formula,
                   model_spec=sample.model_spec,
                   categorical_levels=sample.categorical_levels, event=event,
                   offset_column=offset, offset_terms=sample.offset_terms, exog_named=True)
