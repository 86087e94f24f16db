"""Side-by-side comparison of fits: a table and a forest plot."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..results.base import SUMMARY_COLUMNS, LogitResultsBase
from ..validation import CompareScale, check_choice, check_probability

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["compare", "plot_compare"]


def _check_fits(fits: Mapping[str, LogitResultsBase]) -> None:
    if not isinstance(fits, Mapping) or not fits:
        raise TypeError("Pass a non-empty dict of results, e.g. {'MLE': r1, 'Posterior': r2}.")
    for name, r in fits.items():
        if not isinstance(r, LogitResultsBase):
            raise TypeError(f"{name!r} is a {type(r).__name__}, not a bayeslogit result.")


def compare(fits: Mapping[str, LogitResultsBase], ci_prob: float = 0.95,
            scale: CompareScale = "coefficients", by: str | list[str] | None = None
            ) -> pd.DataFrame:
    """Tabulate several fits side by side: estimate, std_error and interval per fit.

    Parameters
    ----------
    fits : dict of str to result
        MLE, MAP, Laplace and posterior results in any mix; coefficients missing from a fit
        show as NaN.
    ci_prob : float
        Interval probability (Wald intervals for MLE/MAP, equal-tailed posterior intervals
        for draws).

    Returns
    -------
    DataFrame
        Indexed by ``term`` (the union of the fits' coefficients, in first-seen order);
        columns a MultiIndex (fit, statistic) with statistics ``estimate, std_error,
        ci_lower, ci_upper``.

    Raises
    ------
    TypeError
        ``fits`` is not a non-empty dict of bayeslogit results.
    ValueError
        ``ci_prob`` outside (0, 1).

    References
    ----------
    .. [1] Seabold, S. and Perktold, J. (2010). "statsmodels: Econometric and statistical
       modeling with Python." Proc. 9th Python in Science Conference (the MLE's Wald
       intervals).
    .. [2] Gelman, A., Carlin, J. B., Stern, H. S., Dunson, D. B., Vehtari, A. and Rubin,
       D. B. (2013). Bayesian Data Analysis, 3rd ed. (posterior intervals).

    Examples
    --------
    >>> import numpy as np, bayeslogit as bl
    >>> X = np.column_stack([np.ones(8), [0.0, 1, 2, 3, 4, 5, 6, 7]])
    >>> model = bl.Logit([0, 0, 1, 0, 1, 0, 1, 1], X, priors=bl.Normal(0, 2.5))
    >>> table = bl.compare({"MLE": model.fit(), "MAP": model.fit(method="map")})
    >>> table.loc["x1", ("MAP", "estimate")].round(3)
    np.float64(0.577)
    """
    _check_fits(fits)
    ci_prob = check_probability("ci_prob", ci_prob)
    scale = check_choice("scale", scale, CompareScale, call="bl.compare")
    if scale != "coefficients":
        from .effect_compare import compare_effects

        return compare_effects(fits, ci_prob, scale, by)
    frames = {name: r.summary(ci_prob)[SUMMARY_COLUMNS] for name, r in fits.items()}
    terms: list[str] = []
    for f in frames.values():
        terms += [t for t in f.index if t not in terms]
    out = pd.concat({name: f.reindex(terms) for name, f in frames.items()}, axis=1)
    out.index.name = "term"
    out.columns.names = ["fit", "statistic"]
    return out


def plot_compare(fits: Mapping[str, LogitResultsBase], ci_prob: float = 0.95,
                 coefs: list[str] | None = None,
                 figsize: tuple[float, float] | None = None) -> Figure:
    """Draw a forest plot of several fits: one panel per coefficient, a row per fit.

    Each panel has its own x scale and shows each fit's estimate and interval (the table of
    :func:`compare`).

    Parameters
    ----------
    fits : dict of str to result
        As for :func:`compare`; the keys label the rows.
    ci_prob : float
        Interval probability.
    coefs : list of str, optional
        The coefficients to plot, in this order (default all).
    figsize : (float, float), optional
        Figure size in inches (default grows with the number of panels and fits).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    TypeError
        ``fits`` is not a non-empty dict of bayeslogit results.
    ValueError
        ``ci_prob`` outside (0, 1) or a coefficient in ``coefs`` no fit has.

    References
    ----------
    .. [1] Gelman, A., Carlin, J. B., Stern, H. S., Dunson, D. B., Vehtari, A. and Rubin,
       D. B. (2013). Bayesian Data Analysis, 3rd ed. (posterior intervals).

    Examples
    --------
    >>> import numpy as np, bayeslogit as bl
    >>> X = np.column_stack([np.ones(8), [0.0, 1, 2, 3, 4, 5, 6, 7]])
    >>> model = bl.Logit([0, 0, 1, 0, 1, 0, 1, 1], X, priors=bl.Normal(0, 2.5))
    >>> fig = bl.plot_compare({"MLE": model.fit(), "MAP": model.fit(method="map")})
    >>> len(fig.axes)
    2
    """
    import matplotlib.pyplot as plt

    table = compare(fits, ci_prob)
    if coefs is not None:
        missing = [c for c in coefs if c not in table.index]
        if missing:
            raise ValueError(f"Unknown coefficient(s) {missing}; known: {list(table.index)}.")
        table = table.loc[coefs]
    names = list(fits)
    rows = len(table.index)
    fig, axes = plt.subplots(rows, 1, figsize=figsize or (6.5, 0.55 * len(names) * rows + 0.8),
                             squeeze=False, sharex=False)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, term in zip(axes[:, 0], table.index, strict=True):
        for i, name in enumerate(names):
            est, lo, hi = (table.loc[term, (name, c)] for c in ("estimate", "ci_lower",
                                                                 "ci_upper"))
            y = len(names) - 1 - i
            color = colors[i % len(colors)]
            if np.isfinite(lo) and np.isfinite(hi):
                ax.hlines(y, lo, hi, color=color, lw=2)
            ax.plot([est], [y], "o", color=color, label=name)
        ax.set_yticks(range(len(names)), names[::-1])
        ax.set_ylim(-0.7, len(names) - 0.3)
        ax.set_title(str(term), fontsize=9, loc="left")
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle(f"Estimates with {ci_prob:.0%} intervals", fontsize=10)
    fig.tight_layout()
    return fig


