"""Fits side by side on the probability scale: average slopes or average predictions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from ..results.base import SUMMARY_COLUMNS, LogitResultsBase

__all__ = ["compare_effects"]


def compare_effects(fits: Mapping[str, LogitResultsBase], ci_prob: float, scale: str,
                    by: Any = None) -> pd.DataFrame:
    """Tabulate ``avg_slopes`` (``scale="probability"``) or ``avg_predictions`` per fit.

    Parameters
    ----------
    fits : dict of str to result
        Checked by the caller.
    ci_prob : float
        Interval probability.
    scale : {"probability", "predictions"}
        Average slopes (average marginal effects; level differences for categorical
        variables) or average predicted probabilities.
    by : str or list of str, optional
        Average within the groups of these columns.

    Returns
    -------
    DataFrame
        Indexed by ``term, contrast`` (slopes) or the ``by`` columns (predictions); columns
        a MultiIndex (fit, statistic) with ``estimate, std_error, ci_lower, ci_upper``.
    """
    frames = {}
    for name, r in fits.items():
        if scale == "probability":
            t = r.avg_slopes(by=True if by is None else by, ci_prob=ci_prob)
            keys = ["term", "contrast"] + ([by] if isinstance(by, str) else list(by or []))
        else:
            t = r.avg_predictions(by=True if by is None else by, ci_prob=ci_prob)
            keys = [by] if isinstance(by, str) else list(by or [])
        frames[name] = t.set_index(keys)[SUMMARY_COLUMNS] if keys else \
            t[SUMMARY_COLUMNS].set_axis(pd.Index(["P(y=1)"], name="term"))
    rows: list[Any] = []
    for f in frames.values():
        rows += [i for i in f.index if i not in rows]
    first = next(iter(frames.values()))
    index = pd.MultiIndex.from_tuples(rows, names=first.index.names) \
        if isinstance(first.index, pd.MultiIndex) else pd.Index(rows, name=first.index.name)
    out = pd.concat({name: f.reindex(index) for name, f in frames.items()}, axis=1)
    out.columns.names = ["fit", "statistic"]
    return out
