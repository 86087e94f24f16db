"""Dask arrays (``exog``, ``endog``, ``offset``, ``trials``, ``freq_weights``) to a design.

The arrays are rechunked to ``exog``'s row chunks and go through
:func:`~bayeslogit.spec.dask_data.finish_design` as row blocks.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import DistributedDataError
from .columns import check_missing_policy
from .dask_data import DaskDesign, finish_design, is_dask

__all__ = ["design_from_dask_arrays"]


def design_from_dask_arrays(endog: Any, exog: Any, offset: Any = None, missing: str = "none",
                            persist: bool = True, trials: Any = None,
                            freq_weights: Any = None) -> DaskDesign:
    """Validate Dask arrays in one pass: ``exog`` (n, k), the others (n,).

    ``trials`` and ``freq_weights`` are checked per block as for rows in memory; rows with
    bad counts are named by their position.

    Columns are named as statsmodels names numpy columns (``const``, ``x1``, ...).

    Returns
    -------
    DaskDesign

    Raises
    ------
    DistributedDataError
        Mixed Dask and in-memory inputs, wrong dimensions or lengths.
    MissingDataError, ValueError
        As :func:`~bayeslogit.spec.design.design_from_arrays`.
    """
    import dask
    import dask.array as da


    check_missing_policy(missing)
    items = {"endog": endog, "exog": exog, "offset": offset, "trials": trials,
             "freq_weights": freq_weights}
    mixed = [name for name, v in items.items() if v is not None and not is_dask(v)]
    if mixed:
        raise DistributedDataError(
            f"{mixed[0]} is in memory while the other inputs are Dask collections; pass all "
            f"of them as Dask arrays, e.g. {mixed[0]} = da.from_array({mixed[0]}, "
            "chunks=250_000).")
    X = da.asarray(exog, dtype=float) if not hasattr(exog, "to_dask_array") else \
        exog.to_dask_array(lengths=True).astype(float)
    y = da.asarray(endog, dtype=float) if not hasattr(endog, "to_dask_array") else \
        endog.to_dask_array(lengths=True).astype(float)
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2 or y.ndim != 1:
        raise DistributedDataError(f"exog must be 2-dimensional and endog 1-dimensional; got "
                                   f"shapes {X.shape} and {y.shape}.")
    if np.isnan(X.shape[0]) or any(np.isnan(c) for c in X.chunks[0]):
        X = X.compute_chunk_sizes()
    X = X.rechunk({1: -1})
    if y.shape[0] != X.shape[0]:
        raise DistributedDataError(f"endog has {y.shape[0]} rows but exog has {X.shape[0]}; "
                                   "they must match.")
    y = y.rechunk((X.chunks[0],))
    xs, ys = X.to_delayed().ravel(), y.to_delayed().ravel()
    rest = []
    for name, v in (("offset", offset), ("trials", trials), ("freq_weights", freq_weights)):
        v = None if v is None else da.asarray(v, dtype=float)
        if v is not None and (v.ndim != 1 or v.shape[0] != X.shape[0]):
            raise DistributedDataError(f"{name} has shape {v.shape} but exog has "
                                       f"{X.shape[0]} rows; pass one value per row.")
        rest.append([None] * len(xs) if v is None else
                    v.rechunk((X.chunks[0],)).to_delayed().ravel())
    has = (trials is not None, freq_weights is not None)
    counts = None
    if any(has):
        starts = np.concatenate([[0], np.cumsum(X.chunks[0])])
        rest.append([pd.RangeIndex(a, b) for a, b in zip(starts[:-1], starts[1:], strict=True)])
        counts = {"endog": "y", "call": "bl.Logit(y, X) without trials=", "has": has}
    raw = [dask.delayed(tuple)([xb, yb, *more])
           for xb, yb, *more in zip(xs, ys, *rest, strict=True)]
    return finish_design(raw, None, X.shape[1], "y", offset is not None, missing, persist,
                         "bl.Logit(y, X, missing='drop')", counts=counts)
