"""Curves of predictions and slopes over a variable, several results overlaid in one figure.

The figures are built on a grid of :func:`bayeslogit.datagrid` (the ``condition`` variables
varied, the others at their mean or mode) through the results' public
:meth:`predictions` and :meth:`slopes`, and created as ``matplotlib.figure.Figure`` objects
(not registered in pyplot), so a notebook shows each once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..checks import check_names
from ..inference.effects_data import model_frame, model_variables
from ..results.base import LogitResultsBase
from ..results.effects_groups import datagrid

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["plot_predictions", "plot_slopes"]

_LINESTYLES = ["-", "--", ":", "-."]


def _fits(result_or_dict: Any) -> dict[str, LogitResultsBase]:
    if isinstance(result_or_dict, LogitResultsBase):
        return {result_or_dict.method: result_or_dict}
    if not isinstance(result_or_dict, Mapping) or not result_or_dict:
        raise TypeError("Pass a result or a non-empty dict of results, e.g. "
                        "{'MLE': mle, 'Posterior': post}.")
    for name, r in result_or_dict.items():
        if not isinstance(r, LogitResultsBase):
            raise TypeError(f"{name!r} is a {type(r).__name__}, not a bayeslogit result.")
    return dict(result_or_dict)


def _condition_values(result: LogitResultsBase, condition: Any,
                      points: int) -> dict[str, list]:
    cond = check_names("condition", condition, example="x1")
    if not 1 <= len(cond) <= 2:
        raise ValueError(f"condition={condition!r}: give one or two variables, e.g. "
                         "condition=['x1', 'g'] (x axis, then groups).")
    design = result.model.design
    known = model_variables(design)
    frame = model_frame(design)
    unknown = [c for c in cond if c not in known]
    if unknown:
        raise ValueError(f"condition={condition!r}: {unknown} not variable(s) of the model; "
                         f"its variables are {list(known)}.")
    out = {}
    for i, name in enumerate(cond):
        var = known[name]
        if var.categorical:
            out[name] = list(var.levels)
            continue
        x = frame[name].to_numpy(dtype=float)
        out[name] = (list(np.linspace(np.nanmin(x), np.nanmax(x), points)) if i == 0 else
                     sorted(set(np.round(np.nanquantile(x, [0.25, 0.5, 0.75]), 6))))
    return out


def _draw(ax: Any, table: pd.DataFrame, x: str, group: str | None, label: str,
          style: str, colors: list[str], offset: float, categorical: bool) -> None:
    groups = [None] if group is None else list(pd.unique(table[group]))
    for i, g in enumerate(groups):
        part = table if g is None else table[table[group] == g]
        color = colors[i % len(colors)]
        name = label if g is None else f"{label}, {group}={g}"
        if categorical:
            pos = np.arange(len(part)) + offset
            ax.errorbar(pos, part["estimate"], yerr=[part["estimate"] - part["ci_lower"],
                                                      part["ci_upper"] - part["estimate"]],
                        fmt="o", color=color, label=name, capsize=3, linestyle="none")
            ax.set_xticks(np.arange(len(part)), [str(v) for v in part[x]])
        else:
            ax.plot(part[x], part["estimate"], linestyle=style, color=color, label=name)
            ax.fill_between(part[x], part["ci_lower"], part["ci_upper"], color=color,
                            alpha=0.15, linewidth=0)


def _figure(fits: dict[str, LogitResultsBase], condition: Any, points: int,
            compute: Any, ylabel: str, title: str, ci_prob: float,
            figsize: tuple[float, float] | None) -> Figure:
    from matplotlib.figure import Figure

    first = next(iter(fits.values()))
    values = _condition_values(first, condition, points)
    x, group = list(values)[0], (list(values)[1] if len(values) > 1 else None)
    grid = datagrid(first, **values)
    fig = Figure(figsize=figsize or (6.4, 4.2), layout="constrained")
    ax = fig.subplots()
    categorical = model_variables(first.model.design)[x].categorical
    palette = ["C0", "C1", "C2", "C3", "C4", "C5", "C6", "C7"]
    for i, (name, r) in enumerate(fits.items()):
        table = compute(r, grid)
        colors = palette if group is not None else [palette[i % len(palette)]]
        _draw(ax, table, x, group, name, _LINESTYLES[i % len(_LINESTYLES)], colors,
              (i - (len(fits) - 1) / 2) * 0.12, categorical)
    ax.set_xlabel(x)
    ax.set_ylabel(ylabel)
    ax.set_title(f"{title} ({ci_prob:.0%} intervals)", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, frameon=False)
    return fig


def plot_predictions(result_or_dict: Any, condition: str | list[str], ci_prob: float = 0.95,
                     points: int = 50, figsize: tuple[float, float] | None = None) -> Figure:
    """Plot P(y=1) over a variable, with bands; several results overlaid.

    Parameters
    ----------
    result_or_dict : result or dict of str to result
        One result, or several (e.g. ``{"MLE": mle, "Posterior": post}``), told apart by
        line style (and colour when there are no groups).
    condition : str or list of str
        The x-axis variable (a numeric one spans its training range in ``points`` steps, a
        categorical one its levels), then optionally a grouping variable (its levels, or
        the quartiles of a numeric one), one colour each. Other variables are held at
        their mean or mode (:func:`bayeslogit.datagrid`).
    ci_prob : float
        Band probability (delta method for MLE/MAP, equal-tailed for draws).
    points : int
        Points along a numeric x axis.
    figsize : (float, float), optional
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    TypeError
        Not a result or a dict of results.
    ValueError
        ``condition`` names no variable of the model, or more than two.

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
    >>> fig = bl.plot_predictions(r, condition="x1")
    >>> fig.axes[0].get_ylabel()
    'P(y = 1)'
    """
    fits = _fits(result_or_dict)
    return _figure(fits, condition, points,
                   lambda r, grid: r.predictions(newdata=grid, ci_prob=ci_prob),
                   f"P({first_endog(fits)} = 1)", "Predicted probability", ci_prob, figsize)


def plot_slopes(result_or_dict: Any, variables: str, condition: str | list[str],
                slope: str = "dydx", ci_prob: float = 0.95, points: int = 50,
                figsize: tuple[float, float] | None = None) -> Figure:
    """Plot the slope of P(y=1) in one variable over another, with bands; results overlaid.

    Parameters
    ----------
    result_or_dict : result or dict of str to result
        As for :func:`plot_predictions`.
    variables : str
        The variable whose slope is drawn (:meth:`slopes`).
    condition : str or list of str
        The x-axis variable and an optional grouping variable (:func:`plot_predictions`).
    slope : {"dydx", "eyex", "dyex", "eydx"}
        As for :meth:`slopes`.
    ci_prob, points, figsize
        As for :func:`plot_predictions`.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    TypeError
        Not a result or a dict of results.
    ValueError
        A bad ``condition``, ``slope`` or a categorical ``variables`` (a slope needs a
        numeric variable; use ``comparisons`` for a categorical one).

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
    >>> fig = bl.plot_slopes(r, variables="x1", condition="x1")
    >>> fig.axes[0].get_title()
    'Slope dY/dX of x1 (95% intervals)'
    """
    fits = _fits(result_or_dict)
    first = next(iter(fits.values()))
    var = model_variables(first.model.design).get(variables) if isinstance(variables, str) \
        else None
    if var is None or var.categorical:
        raise ValueError(f"variables={variables!r}: plot_slopes takes one numeric variable of "
                         "the model; for a categorical one use result.comparisons(...).")
    label = {"dydx": "dY/dX", "eyex": "eY/eX", "dyex": "dY/eX", "eydx": "eY/dX"}.get(slope, slope)
    return _figure(fits, condition, points,
                   lambda r, grid: r.slopes(variables, newdata=grid, slope=slope,
                                            ci_prob=ci_prob),
                   f"{label} of P({first_endog(fits)} = 1)", f"Slope {label} of {variables}",
                   ci_prob, figsize)


def first_endog(fits: Mapping[str, LogitResultsBase]) -> str:
    """Return the response name of the first result ("y" when it has none)."""
    name = next(iter(fits.values())).model.endog_name
    return str(name) if name else "y"
