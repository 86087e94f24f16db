"""Side-by-side comparison of fits: a table and a forest plot."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..errors import InvalidArgumentError
from ..results.base import SUMMARY_COLUMNS, LogitResultsBase
from ..validation import CompareScale, check_choice, check_probability

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["compare", "plot_compare", "ComparisonTable"]


class ComparisonTable(pd.DataFrame):
    """The table :func:`compare` returns: a DataFrame that prints one row per (term, fit).

    It is indexed and sliced as the wide DataFrame (columns ``(fit, statistic)``); printed
    in a terminal it is laid out long, one row per coefficient and fit with the four
    statistics as columns, so that it fits in 80 columns whatever the number of fits.
    Notebooks show the wide table (HTML). Derived tables (``.round()``, ``.loc[...]``) are
    plain DataFrames.
    """

    @property
    def _constructor(self) -> type[pd.DataFrame]:
        return pd.DataFrame

    def long(self) -> pd.DataFrame:
        """Return the table with one row per (term, fit) and one column per statistic."""
        out = pd.DataFrame(self).stack(level="fit", future_stack=True)
        fits = list(dict.fromkeys(self.columns.get_level_values("fit")))
        rows = [(*(t if isinstance(t, tuple) else (t,)), f) for t in self.index for f in fits]
        out = out.reindex(pd.MultiIndex.from_tuples(rows, names=[*self.index.names, "fit"]))
        return out[list(dict.fromkeys(self.columns.get_level_values("statistic")))]

    def __repr__(self) -> str:
        return self.long().to_string(float_format=lambda x: f"{x:.4f}", sparsify=True)


def _check_fits(fits: Mapping[str, LogitResultsBase]) -> None:
    if not isinstance(fits, Mapping) or not fits:
        got = "an empty dict" if isinstance(fits, Mapping) else \
            f"a {type(fits).__name__} ({fits!r:.40})"
        raise InvalidArgumentError(f"fits must be a non-empty dict of label to result, not "
                                   f"{got}; e.g. bl.compare({{'MLE': r1, 'Posterior': r2}}).")
    for name, r in fits.items():
        if not isinstance(r, LogitResultsBase):
            hint = " (a model: fit it first, e.g. model.fit())" if hasattr(r, "fit") else ""
            raise InvalidArgumentError(f"fits[{name!r}] is a {type(r).__name__}, not a "
                                       f"bayeslogit result{hint}.")


def compare(fits: Mapping[str, LogitResultsBase], ci_prob: float = 0.95,
            scale: CompareScale = "coefficients", by: str | list[str] | None = None
            ) -> ComparisonTable:
    """Tabulate several fits side by side: estimate, std_error and interval per fit.

    Parameters
    ----------
    fits : dict of str to result
        MLE, MAP, Laplace and posterior results in any mix; coefficients missing from a fit
        show as NaN.
    ci_prob : float
        Interval probability (Wald intervals for MLE/MAP, equal-tailed posterior intervals
        for draws).
    scale : {"coefficients", "probability", "predictions"}
        What is compared: the coefficients (log-odds, the default), the average slopes on
        the probability scale (``avg_slopes``: average marginal effects, level differences
        for categorical variables; rows ``(term, contrast)``), or the average predicted
        probabilities (``avg_predictions``).
    by : str or list of str, optional
        With ``scale="probability"`` or ``"predictions"``: average within the groups of
        these columns (rows gain the group columns).

    Returns
    -------
    ComparisonTable
        A DataFrame indexed by ``term`` (the union of the fits' coefficients, in first-seen
        order); columns a MultiIndex (fit, statistic) with statistics ``estimate,
        std_error, ci_lower, ci_upper``. ``print()`` lays it out long (one row per term and
        fit, :meth:`ComparisonTable.long`) so that it fits a terminal; notebooks show it
        wide.

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

        return ComparisonTable(compare_effects(fits, ci_prob, scale, by))
    frames = {name: r.summary(ci_prob)[SUMMARY_COLUMNS] for name, r in fits.items()}
    terms: list[str] = []
    for f in frames.values():
        terms += [t for t in f.index if t not in terms]
    out = pd.concat({name: f.reindex(terms) for name, f in frames.items()}, axis=1)
    out.index.name = "term"
    out.columns.names = ["fit", "statistic"]
    return ComparisonTable(out)


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
        Not registered with pyplot: a notebook cell ending with the call shows it once;
        save it with ``fig.savefig(path)``.

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
    import matplotlib as mpl

    from ..results.figures import new_figure

    table = compare(fits, ci_prob)
    if coefs is not None:
        missing = [c for c in coefs if c not in table.index]
        if missing:
            raise ValueError(f"Unknown coefficient(s) {missing}; known: {list(table.index)}.")
        table = table.loc[coefs]
    names = list(fits)
    rows = len(table.index)
    fig = new_figure(figsize or (6.5, 0.55 * len(names) * rows + 1.1))
    axes = fig.subplots(rows, 1, squeeze=False, sharex=False)
    colors = mpl.rcParams["axes.prop_cycle"].by_key()["color"]
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
        ax.tick_params(labelsize=8)
    axes[-1, 0].set_xlabel("coefficient (log-odds scale)", fontsize=8)
    fig.suptitle(f"Estimates with {ci_prob:.0%} intervals (MLE/MAP: Wald; draws: "
                 "equal-tailed)", fontsize=10)
    fig.tight_layout()
    return fig


