"""The data side of predictions, slopes and comparisons: variables, counterfactuals, grids.

Effects are taken with respect to the raw variables a model reads, not its design columns:
a formula model's data columns (``x1`` in ``y ~ x1 * x2 + I(x1**2)``), or, for a model built
from arrays, its non-constant columns. Counterfactual data (a variable shifted, or set to a
level) are re-encoded through the model's stored encoding (formulaic's spec for a formula),
so every term a variable enters moves with it.

A variable is categorical when its column is boolean, text or ``category``, or when the
formula reads it only as ``C(x)``; its levels are the training levels, the first one being
the reference (as marginaleffects takes the first factor level). Other variables are numeric.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ColumnMismatchError, DistributedDataError, UnseenLevelError
from ..spec.dask_data import DaskDesign, is_dask
from ..spec.design import Design
from ..spec.newdata import encode_new_data

__all__ = ["Variable", "model_frame", "model_variables", "Encoder", "make_encoder",
           "datagrid_frame", "set_column", "RELATIVE_STEP", "refuse_dask"]

#: slopes use a centred difference of the design with step RELATIVE_STEP * range(x) (the
#: default step size of marginaleffects, 1e-4 times the variable's range in the data)
RELATIVE_STEP = 1e-4
_FACTOR = re.compile(r"\s*(?:C\(\s*`?([^`,)]+?)`?\s*(?:,.*)?\)|([A-Za-z_]\w*))\s*", re.S)

Encoder = Callable[[pd.DataFrame], tuple[np.ndarray, np.ndarray | None]]


@dataclass(frozen=True)
class Variable:
    """A raw variable of a model: its name, whether it is categorical, its training levels.

    ``step`` is the slope's finite-difference step (numeric variables); ``binary`` marks a
    numeric variable whose training values are only 0 and 1; ``low``/``high`` its training
    range (a spline basis refuses values outside it).
    """

    name: str
    categorical: bool
    levels: tuple[Any, ...] = ()
    step: float = RELATIVE_STEP
    binary: bool = False
    low: float = -np.inf
    high: float = np.inf


def refuse_dask(newdata: Any) -> None:
    """Refuse ``newdata`` that is a Dask collection, with the in-memory remedy.

    Raises
    ------
    DistributedDataError
        ``newdata`` is a Dask array or DataFrame.
    """
    if is_dask(newdata):
        raise DistributedDataError(
            "newdata is a Dask collection; predictions, slopes and comparisons work on rows "
            "in memory: pass newdata=newdata.compute(), or a sample of it, e.g. "
            "newdata=newdata.sample(frac=0.01).compute().")


def model_frame(design: Design) -> pd.DataFrame:
    """Return the raw training data of the model's variables (complete cases).

    Formula models keep the columns their right-hand side reads; array models are their own
    raw data (the design columns).

    Raises
    ------
    ColumnMismatchError
        A formula model whose raw data were not kept (a result saved by an earlier version).
    DistributedDataError
        A model on Dask data: its rows stay on the cluster.
    """
    if isinstance(design, DaskDesign):
        raise DistributedDataError(
            "The training rows of a model on Dask data stay on the cluster, so effects "
            "over them (newdata=None) and datagrid's means and modes are not computed. Pass "
            "rows in memory, e.g. newdata=ddf.sample(frac=0.01).compute(), or a grid with "
            "every variable, e.g. newdata=pd.DataFrame({...}).")
    if design.model_spec is None:
        return pd.DataFrame(design.X, columns=list(design.exog_names),
                            index=design.row_labels)
    if design.frame is None:
        raise ColumnMismatchError(
            "This model does not hold its raw training data (it was saved by an earlier "
            "version); pass the data explicitly, e.g. newdata=df.")
    return design.frame


def _categorical_columns(design: Design) -> dict[str, list]:
    out = {}
    for factor, levels in design.categorical_levels.items():
        m = _FACTOR.fullmatch(factor)
        if m:
            out[(m.group(1) or m.group(2)).strip()] = list(levels)
    return out


def _is_text_like(col: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)


def model_variables(design: Design) -> dict[str, Variable]:
    """Return the model's raw variables, in data order (numeric and categorical).

    For formula models these are the data columns of the right-hand side, without the
    ``offset="col"`` column; for array models the columns that vary (not the constant).

    Raises
    ------
    DistributedDataError
        A model on Dask data.
    """
    if isinstance(design, DaskDesign):
        raise DistributedDataError(
            "Slopes and comparisons of a model on Dask data are not available: their steps, "
            "ranges and levels come from the training rows, which stay on the cluster. "
            "predictions(newdata=...) works with rows in memory; for slopes, fit a sample in "
            "memory, e.g. bl.Logit.from_formula(formula, ddf.sample(frac=0.05).compute()).")
    frame = model_frame(design)
    levels = _categorical_columns(design)
    out: dict[str, Variable] = {}
    for name in frame.columns:
        if design.model_spec is None and frame[name].nunique() <= 1:
            continue  # the constant of an array model
        if name == design.offset_column:
            continue
        col = frame[name]
        if name in levels or _is_text_like(col):
            if name in levels:
                lev = levels[name]
            elif isinstance(col.dtype, pd.CategoricalDtype):
                lev = list(col.cat.categories)
            elif pd.api.types.is_bool_dtype(col):
                lev = [False, True]
            else:
                lev = sorted(pd.unique(col.dropna()), key=str)
            out[str(name)] = Variable(str(name), True, tuple(lev))
            continue
        x = col.to_numpy(dtype=float)
        span = float(np.nanmax(x) - np.nanmin(x)) if x.size else 0.0
        binary = bool(x.size) and bool(np.all((x == 0) | (x == 1)))
        out[str(name)] = Variable(str(name), False,
                                  step=RELATIVE_STEP * (span if span > 0 else 1.0),
                                  binary=binary, low=float(np.nanmin(x)) if x.size else -np.inf,
                                  high=float(np.nanmax(x)) if x.size else np.inf)
    return out


def make_encoder(design: Design, frame: pd.DataFrame,
                 offset: np.ndarray | None) -> tuple[Encoder, np.ndarray, np.ndarray | None]:
    """Encode ``frame`` and return an encoder for its counterfactual versions.

    ``offset`` is the total offset of the rows of ``frame`` (None for none). The encoder maps
    a counterfactual frame (same rows) to its design and offset: the offset's
    ``offset(...)`` formula terms are recomputed from the frame, the rest kept.

    Returns
    -------
    encode : callable
        ``frame -> (X, offset)``.
    X : ndarray
        The design of ``frame``.
    offset : ndarray or None
        Its offset.
    """
    if design.model_spec is None:
        names = list(design.exog_names)

        def encode(f: pd.DataFrame) -> tuple[np.ndarray, np.ndarray | None]:
            return np.ascontiguousarray(f[names].to_numpy(dtype=float)), offset

        X, _ = encode(frame)
        return encode, X, offset
    X, term = encode_new_data(design, frame)
    fixed = offset if term is None or offset is None else offset - term

    def encode(f: pd.DataFrame) -> tuple[np.ndarray, np.ndarray | None]:
        Xf, t = encode_new_data(design, f)
        if t is None:
            return Xf, fixed
        return Xf, t if fixed is None else fixed + t

    return encode, X, offset


def set_column(frame: pd.DataFrame, name: str, value: Any) -> pd.DataFrame:
    """Return a copy of ``frame`` with column ``name`` replaced (a scalar level or an array).

    A categorical column stays categorical with its own categories, so the encoding sees the
    same levels.
    """
    out = frame.copy(deep=False)
    col = frame[name]
    if isinstance(col.dtype, pd.CategoricalDtype):
        vals = [value] * len(frame) if np.ndim(value) == 0 else value
        out[name] = pd.Categorical(vals, categories=col.cat.categories,
                                   ordered=col.cat.ordered)
    elif np.ndim(value) == 0:
        out[name] = pd.Series([value] * len(frame), index=frame.index, dtype=object) \
            if _is_text_like(col) and not pd.api.types.is_bool_dtype(col) else value
    else:
        out[name] = np.asarray(value)
    return out


def _typical(col: pd.Series, wts: np.ndarray | None) -> Any:
    """Mean or mode of a training column; rows weighted by ``wts`` (trials x weights)."""
    if _is_text_like(col) or isinstance(col.dtype, pd.CategoricalDtype):
        counts = (col.value_counts(sort=False, dropna=True) if wts is None else
                  pd.Series(wts, index=col.index).groupby(col, sort=False, observed=True).sum())
        return counts.index[int(np.argmax(counts.to_numpy()))]
    if wts is None:
        return float(col.mean())
    keep = col.notna().to_numpy()
    return float(np.average(col.to_numpy(dtype=float)[keep], weights=wts[keep]))


def _check_grid_values(design: Design, frame: pd.DataFrame,
                       axes: Mapping[str, list]) -> None:
    """Refuse datagrid values a variable never takes: unseen levels, text for numbers."""
    levels = _categorical_columns(design)
    for name, vals in axes.items():
        if not vals:
            raise ValueError(f"datagrid: {name}=[] gives no rows; pass at least one value, "
                             f"e.g. bl.datagrid(result, {name}=...).")
        col = frame[name]
        if name in levels or isinstance(col.dtype, pd.CategoricalDtype) or (
                _is_text_like(col) and not pd.api.types.is_bool_dtype(col)):
            known = levels.get(name) or (list(col.cat.categories) if isinstance(
                col.dtype, pd.CategoricalDtype) else list(pd.unique(col.dropna())))
            unseen = [v for v in vals if v not in known]
            if unseen:
                raise UnseenLevelError(
                    f"datagrid: {name}={unseen!r} not level(s) seen in training; the levels "
                    f"of {name!r} are {known!r}, e.g. bl.datagrid(result, "
                    f"{name}={known[:2]!r}).")
        elif pd.api.types.is_bool_dtype(col):
            bad = [v for v in vals if not isinstance(v, bool | np.bool_)]
            if bad:
                raise ValueError(f"datagrid: {name} is True/False in training, got {bad!r}; "
                                 f"e.g. bl.datagrid(result, {name}=[False, True]).")
        else:
            bad = [v for v in vals if isinstance(v, bool | np.bool_) or not isinstance(
                v, int | float | np.integer | np.floating) or not np.isfinite(v)]
            if bad:
                raise ValueError(f"datagrid: {name} is numeric, got {bad!r}; pass finite "
                                 f"numbers, e.g. bl.datagrid(result, {name}=[0, 1]).")


def datagrid_frame(design: Design, values: Mapping[str, Any]) -> pd.DataFrame:
    """Every combination of ``values``; the other variables at their mean or mode.

    Numeric variables are held at their training mean, categorical ones (text, boolean,
    ``category``) at their most frequent training value (the first such level on ties), as
    marginaleffects' ``datagrid`` does. With binomial trials or frequency weights each
    training row counts trials x weight times, so the grid is that of the expanded 0/1
    rows. Categorical columns keep their dtype.

    Raises
    ------
    ColumnMismatchError
        A name that is not a variable of the model.
    """
    frame = model_frame(design)
    wts = design.weights
    wts = None if wts is None or len(wts) != len(frame) else np.asarray(wts, dtype=float)
    unknown = [k for k in values if k not in frame.columns]
    if unknown:
        raise ColumnMismatchError(
            f"datagrid: {unknown} not variable(s) of the model; its variables are "
            f"{[str(c) for c in frame.columns]}, e.g. bl.datagrid(result, "
            f"{frame.columns[0]}=[...]).")
    axes = {k: list(np.atleast_1d(np.asarray(v, dtype=object))) if np.ndim(v) else [v]
            for k, v in values.items()}
    _check_grid_values(design, frame, axes)
    rows = list(itertools.product(*axes.values())) if axes else [()]
    grid = pd.DataFrame(rows, columns=list(axes))
    out = {}
    for name in frame.columns:
        col = frame[name]
        vals = grid[name] if name in axes else pd.Series([_typical(col, wts)] * len(grid))
        if isinstance(col.dtype, pd.CategoricalDtype):
            out[name] = pd.Categorical(vals, categories=col.cat.categories,
                                       ordered=col.cat.ordered)
        elif pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            out[name] = pd.to_numeric(vals).astype(float)
        else:
            out[name] = vals.to_numpy()
    return pd.DataFrame(out)
