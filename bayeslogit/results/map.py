"""Posterior-mode (MAP) results and the Laplace approximation at the mode."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .draws import DrawResults
from .mode import ModeResults
from .options import FitOptions

if TYPE_CHECKING:
    from ..engines.map import ModeResult
    from ..spec.model_spec import ModelSpec

__all__ = ["MAPResults", "LaplaceResults"]


class MAPResults(ModeResults):
    """Result of ``Logit.fit(method="map")``.

    Standard errors: inverse Hessian of the negative log posterior for smooth priors;
    for Laplace priors statsmodels' L1 convention (unpenalised inverse information on the
    non-zero coefficients, NaN for exact zeros); for Jeffreys the inverse Fisher information
    at Firth's estimate (as R's logistf).
    """

    method = "map"

    def __init__(self, model: ModelSpec, mode: ModeResult,
                 options: FitOptions | None = None) -> None:
        super().__init__(model, mode.params, mode.cov, options)
        self.mode = mode
        self.prior_set = model.prior_set

    def _state(self) -> dict[str, Any]:
        return {"model": self.model, "mode": self.mode, "options": self.options}

    @property
    def converged(self) -> bool:
        """Whether the MAP solver converged."""
        return bool(self.mode.converged)

    @property
    def iterations(self) -> int:
        """Iterations the MAP solver took."""
        return int(self.mode.iterations)

    @property
    def nonzero(self) -> pd.Series:
        """Whether each coefficient is off its Laplace kink.

        Exact zeros arise at the mode under Laplace priors; all True for smooth priors.
        """
        active = self.mode.active
        values = np.ones(len(self._names), bool) if active is None else np.asarray(active)
        return pd.Series(values, index=self._names)

    def log_posterior(self) -> float:
        """Log posterior at the mode, up to the normalising constant.

        Returns
        -------
        float
            The objective the mode maximises (log-likelihood plus log prior), at
            ``params``.
        """
        return -float(self.mode.objective)

    def _tree_priors(self):
        return self.prior_set

    def _report(self) -> str:
        from .report import mode_report

        return mode_report(self)


class LaplaceResults(DrawResults):
    r"""Result of ``Logit.fit(method="laplace")``: a Gaussian approximation at the mode.

    Gaussian approximation :math:`N(\hat\beta_{MAP}, H^{-1})` at the posterior mode,
    represented by draws shaped (chains, draws, k). ``params`` are the draw means; the exact
    mode is ``result.mode.params``. Under Laplace priors, coefficients at their kink are
    drawn from their one-dimensional conditional.

    Parameters
    ----------
    model : ModelSpec
        The model (``result.model``).
    mode : MAPResults
        The posterior mode the approximation is centred on (``result.mode``).
    tree : xarray.DataTree
        The draws' DataTree (:func:`~bayeslogit.results.datatree.posterior_tree`), built by
        ``Logit.fit(method="laplace")`` or read back from a saved file.
    options : FitOptions, optional
        The arguments of the fit.
    info : dict, optional
        Defaults to ``{"sampler": "laplace approximation"}``.
    """

    method = "laplace"

    def __init__(self, model: ModelSpec, mode: MAPResults, tree: Any,
                 options: FitOptions | None = None, info: dict[str, Any] | None = None) -> None:
        super().__init__(model, tree, info or {"sampler": "laplace approximation"}, options)
        self.mode = mode

    def _state(self) -> dict[str, Any]:
        return {**super()._state(), "mode": self.mode}
