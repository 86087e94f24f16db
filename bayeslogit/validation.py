"""Validation of the plain arrays that the solvers and samplers take (X, y, offset)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

__all__ = ["check_arrays", "check_count"]


def check_arrays(
    X: Any, y: Any, offset: Any, k: int, *, copy: bool = False
) -> tuple[FloatArray, FloatArray, FloatArray | None]:
    """Float arrays X (n, k), y (n,) in [0, 1] and offset (n,) or None, all finite.

    ``copy=True`` returns private copies (for objects that keep the data).

    Raises
    ------
    ValueError
        Naming the shape, the non-finite array or the out-of-range y values.
    """
    as_float = np.array if copy else np.asarray
    X, y = as_float(X, dtype=float), as_float(y, dtype=float)
    if X.ndim != 2 or y.ndim != 1 or X.shape[0] != y.shape[0] or X.shape[1] != k:
        raise ValueError(f"X must have shape (n, {k}) and y shape (n,); got X {X.shape} and "
                         f"y {y.shape}.")
    if offset is not None:
        offset = as_float(offset, dtype=float)
        if offset.shape != y.shape:
            raise ValueError(f"offset must have shape {y.shape} to match y, got {offset.shape}.")
    for name, a in (("X", X), ("y", y), ("offset", offset)):
        if a is not None and not np.all(np.isfinite(a)):
            raise ValueError(f"{name} contains NaN or infinite values; drop or impute those "
                             "rows first.")
    out_of_range = (y < 0) | (y > 1)
    if out_of_range.any():
        raise ValueError(f"y must lie in [0, 1]; found values "
                         f"{np.unique(y[out_of_range])[:5].tolist()}.")
    return X, y, offset


def check_count(name: str, value: Any, low: int) -> int:
    """``value`` as an int >= ``low``; otherwise a ValueError naming ``name`` and the value."""
    try:
        ok = not isinstance(value, bool) and int(value) == value and value >= low
    except (TypeError, ValueError, OverflowError):
        ok = False
    if not ok:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}.")
    return int(value)
