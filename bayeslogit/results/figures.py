"""Figures of draw-based results: trace plots and power-scaling sensitivity.

Every figure is a ``matplotlib.figure.Figure`` that is not registered with pyplot (closed
in pyplot as soon as it is made, or after ArviZ drew it): a notebook cell ending with the call
shows it once, and ``fig.savefig(...)`` writes it. Each panel has a title naming the
coefficient and what it shows, and labelled axes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..checks import check_names

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["new_figure", "detach", "plot_trace", "plot_power_scaling", "select_coefs"]


def new_figure(figsize: tuple[float, float]) -> Figure:
    """Return a Figure that pyplot does not track (shown once when a cell returns it).

    It is made by pyplot and closed at once: making it loads the backend, whose notebook
    integration is what displays a returned figure, and closing it keeps pyplot from
    showing it a second time at the end of the cell.
    """
    import matplotlib.pyplot as plt

    return detach(plt.figure(figsize=figsize))


def detach(fig: Figure) -> Figure:
    """Unregister a pyplot-made figure (ArviZ's) so that a notebook shows it only once."""
    import matplotlib.pyplot as plt

    plt.close(fig)
    return fig


def select_coefs(names: Sequence[str], coefs: Sequence[str] | None) -> list[str]:
    """Return ``coefs`` (all ``names`` when None), refusing unknown names.

    Raises
    ------
    ValueError
        A name that is not a coefficient.
    """
    if coefs is None:
        return list(names)
    coefs = check_names("coefs", coefs, example=list(names)[-1])
    unknown = [c for c in coefs if c not in names]
    if unknown:
        raise ValueError(f"Unknown coefficient(s) {unknown}; the coefficients are "
                         f"{list(names)}.")
    return list(coefs)


def _density(values: np.ndarray, grid: np.ndarray) -> np.ndarray:
    from scipy.stats import gaussian_kde

    if np.ptp(values) == 0:
        return np.zeros_like(grid)
    return gaussian_kde(values)(grid)


def plot_trace(result: Any, coefs: Sequence[str] | None = None,
               figsize: tuple[float, float] | None = None) -> Figure:
    """Draw one row per coefficient: its density by chain (left) and its trace (right).

    Parameters
    ----------
    result : DrawResults
        A posterior or Laplace result.
    coefs : sequence of str, optional
        The coefficients, one row each (default all).
    figsize : (float, float), optional
        Default: 10 inches wide, 2 inches per row.

    Returns
    -------
    matplotlib.figure.Figure
    """
    names = list(result.model.exog_names)
    chosen = select_coefs(names, coefs)
    draws = np.asarray(result.draws)  # (chain, draw, k)
    chains, n_draws, _ = draws.shape
    stats = result.to_arviz(log_likelihood=False, predictive=False).children.get(
        "sample_stats")
    diverging = None
    if stats is not None and "diverging" in stats:
        diverging = np.asarray(stats["diverging"].values, dtype=bool)
    rows = len(chosen)
    fig = new_figure(figsize or (10.0, 2.0 * rows + 0.9))
    axes = fig.subplots(rows, 2, squeeze=False, gridspec_kw={"width_ratios": [1, 1.6]})
    colors = [f"C{i % 10}" for i in range(chains)]
    for (dens_ax, trace_ax), name in zip(axes, chosen, strict=True):
        vals = draws[:, :, names.index(name)]
        lo, hi = np.min(vals), np.max(vals)
        pad = 0.05 * (hi - lo) if hi > lo else 1.0
        grid = np.linspace(lo - pad, hi + pad, 200)
        for c in range(chains):
            dens_ax.plot(grid, _density(vals[c], grid), color=colors[c], lw=1.2,
                         label=f"chain {c}")
            trace_ax.plot(np.arange(n_draws), vals[c], color=colors[c], lw=0.5, alpha=0.7)
        if diverging is not None and diverging.any():
            where = np.nonzero(diverging)
            trace_ax.plot(where[1], vals[where], "|", color="k", ms=8, label="divergent")
        dens_ax.set_title(f"{name}: density by chain", fontsize=9, loc="left")
        dens_ax.set_xlabel(f"{name} (coefficient, log-odds scale)", fontsize=8)
        dens_ax.set_ylabel("density", fontsize=8)
        dens_ax.set_yticks([])
        trace_ax.set_title(f"{name}: trace", fontsize=9, loc="left")
        trace_ax.set_xlabel("draw (after warm-up)", fontsize=8)
        trace_ax.set_ylabel(name, fontsize=8)
        for ax in (dens_ax, trace_ax):
            ax.tick_params(labelsize=7)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    if chains > 1:
        fig.legend(handles, labels, loc="lower center", ncol=min(chains, 8), fontsize=8,
                   frameon=False)
    sampler = result.info.get("sampler", result.method)
    fig.suptitle(f"Trace plot: {sampler}, {chains} chains x {n_draws} draws", fontsize=10)
    fig.tight_layout(rect=(0, 0.05 if chains > 1 else 0, 1, 1))
    return fig


def plot_power_scaling(result: Any, coefs: Sequence[str] | None = None,
                       **kwargs: Any) -> Figure:
    """Plot the power-scaled posteriors of the coefficients (``arviz.plot_psense_dist``).

    One row per coefficient: the posterior when the prior (left) or the likelihood (right)
    is raised to the power alpha (0.8, 1, 1.25), reweighting the draws (no refit); curves
    that move apart show sensitivity.

    Parameters
    ----------
    result : DrawResults
        A result with a ``log_prior`` group (proper priors).
    coefs : sequence of str, optional
        The coefficients, one row each (default all).
    **kwargs
        Passed to ``arviz_plots.plot_psense_dist``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import arviz_plots as azp

    names = list(result.model.exog_names)
    chosen = select_coefs(names, coefs)
    tree = result.power_scaling_data()
    post = tree["posterior"].to_dataset()
    if len(post.data_vars) == 1:
        # arviz 1.3 returns a DataArray (not a Dataset) for a one-variable posterior and
        # then fails to plot it; a constant companion variable keeps it a Dataset.
        tree["posterior"] = post.assign(_pad=post["beta"].isel(coef=0) * 0.0)
    if coefs is not None:
        kwargs.setdefault("coords", {"coef": chosen})
    kwargs.setdefault("backend", "matplotlib")
    pc = azp.plot_psense_dist(tree, var_names=["beta"], **kwargs)
    fig = detach(pc.viz["figure"].item() if hasattr(pc, "viz") else pc)
    handles, labels = [], []
    for legend in list(fig.legends):
        handles, labels = legend.legend_handles, [t.get_text() for t in legend.texts]
        legend.remove()
    for ax in fig.axes:
        title = ax.get_title(loc="center").splitlines()  # ArviZ's "beta\n<coef>, prior"
        if title:
            coef, _, what = title[-1].rpartition(", ")
            ax.set_title("", loc="center")
            ax.set_title(f"{coef}: {what} scaled", fontsize=9, loc="left")
            ax.set_xlabel(f"{coef} (coefficient)", fontsize=8)
            ax.tick_params(labelsize=7)
    rows = max(1, len(fig.axes) // 2)
    fig.set_size_inches(10.0, 1.9 * rows + 1.2)
    if handles:
        fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=8,
                   title="power-scaling factor alpha (1 = the fitted posterior)",
                   title_fontsize=8, frameon=False)
    fig.suptitle("Power-scaling sensitivity: prior (left) and likelihood (right) raised to "
                 "alpha", fontsize=10)
    fig.tight_layout(rect=(0, 0.08, 1, 0.97))
    return fig
