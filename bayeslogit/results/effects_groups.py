"""Groups for averages (``by``) and the typical-values grid (``datagrid``) of the effects."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..checks import check_names
from ..errors import ColumnMismatchError, InvalidArgumentError
from ..inference.effects_data import datagrid_frame
from ..spec.design import Design

__all__ = ["By", "group_codes", "datagrid"]

#: ``by`` of the averaging methods: True (overall), False/None (unit level), column name(s)
By = bool | str | list[str] | None


def group_codes(frame: pd.DataFrame, by: By) -> tuple[np.ndarray | None, int,
                                                   pd.DataFrame | None]:
    """Assign the rows of ``frame`` to the groups of ``by`` (marginaleffects' ``by``).

    Returns
    -------
    codes : ndarray of int, shape (n,), or None
        The group of each row (None for ``by`` None/False: one output row per input row).
    n_groups : int
        The number of groups (0 without groups).
    keys : DataFrame or None
        One row per group with its ``by`` values (sorted), or one empty row for ``by=True``.

    Raises
    ------
    ValueError
        An empty list of columns.
    ColumnMismatchError
        A ``by`` column that ``frame`` lacks.
    """
    if by is None or by is False or by is np.False_:
        return None, 0, None
    if by is True or by is np.True_:
        return np.zeros(len(frame), dtype=np.intp), 1, pd.DataFrame(index=range(1))
    if isinstance(by, list | tuple) and not by:
        raise ValueError(f"by={by!r} names no column; pass by=True for the overall "
                         "average or by=['g'] for groups.")
    try:
        cols = check_names("by", by, example="g")
    except InvalidArgumentError as exc:
        raise InvalidArgumentError(f"{exc} by=True averages over all rows, by=False/None "
                                   "gives one row per row.") from None
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise ColumnMismatchError(
            f"by={by!r}: {missing} not column(s) of the data ({list(frame.columns)}); "
            "pass newdata=df holding them, e.g. result.avg_predictions(newdata=df, "
            f"by={missing[0]!r}).")
    grouped = frame.groupby(cols, sort=True, observed=True, dropna=False)
    codes = grouped.ngroup().to_numpy(dtype=np.intp)
    keys = frame[cols].iloc[[int(np.flatnonzero(codes == g)[0])
                             for g in range(int(codes.max()) + 1)]]
    return codes, int(codes.max()) + 1, keys.reset_index(drop=True)


def datagrid(result: Any, **values: Any) -> pd.DataFrame:
    """Build new data for a result: every combination of the given values, the rest typical.

    Variables not named are held at their training mean (numeric) or most frequent value
    (categorical), as marginaleffects' ``datagrid``; pass the grid as ``newdata``.

    Parameters
    ----------
    result : result or model
        A fitted result (or a ``bl.Logit`` model).
    **values
        ``variable=value`` or ``variable=[values]``.

    Returns
    -------
    DataFrame
        One row per combination, with every variable of the model.

    Raises
    ------
    ColumnMismatchError
        A name that is not a variable of the model.

    References
    ----------
    .. [1] Arel-Bundock, V., Greifer, N. and Heiss, A. (2024). "How to interpret statistical
       models using marginaleffects for R and Python." Journal of Statistical Software
       111(9), 1-32.

    Examples
    --------
    >>> import numpy as np, bayeslogit as bl
    >>> X = np.column_stack([np.ones(8), [0.0, 1, 2, 3, 4, 5, 6, 7]])
    >>> r = bl.Logit([0, 0, 1, 0, 1, 0, 1, 1], X).fit()
    >>> bl.datagrid(r, x1=[0, 7])["x1"].tolist()
    [0.0, 7.0]
    """
    design = getattr(getattr(result, "model", result), "design", None)
    if not isinstance(design, Design):
        raise InvalidArgumentError(
            f"datagrid needs a fitted result or a bl.Logit model as its first argument, not "
            f"a {type(result).__name__} ({result!r:.60}); e.g. bl.datagrid(result, x1=[0, 1]).")
    return datagrid_frame(design, values)
