"""Containers the user's data may come in, turned into plain ones before any check.

A numpy masked array becomes an array with its masked entries missing (NaN or None), so the
missing-value policy sees them; a dict of columns becomes a DataFrame.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ColumnMismatchError

__all__ = ["unmask", "frame_from_dict"]


def unmask(value: Any) -> Any:
    """Return a numpy masked array with its masked entries as missing values (NaN or None).

    Masked entries are missing data: the missing-value policy then drops or refuses them,
    as NaN. Other input is returned unchanged.
    """
    if not np.ma.isMaskedArray(value):
        return value
    mask = np.ma.getmaskarray(value)
    data = np.ma.getdata(value)
    if not mask.any():
        return data
    if data.dtype.kind in "biuf":
        out = data.astype(float)
        out[mask] = np.nan
        return out
    out = data.astype(object)
    out[mask] = None
    return out


def frame_from_dict(data: Any, what: str = "data") -> Any:
    """Return a dict of columns as a DataFrame (a dict of single values: one row).

    Anything else is returned unchanged.

    Raises
    ------
    ColumnMismatchError
        Columns of different lengths (naming ``what``).
    """
    if not isinstance(data, Mapping):
        return data
    if data and all(np.ndim(v) == 0 for v in data.values()):
        return pd.DataFrame({c: [v] for c, v in data.items()})
    try:
        return pd.DataFrame(dict(data))
    except (TypeError, ValueError) as exc:
        raise ColumnMismatchError(
            f"{what} as a dict must map column names to columns of one length (or to single "
            f"values, for one row); pandas says: {exc}. E.g. {what}={{'x1': [0.5, 1.0], "
            "'g': ['a', 'b']}.") from None
