"""Posterior-mode (MAP) results and the Laplace approximation at the mode."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .draws import DrawResults
from .mode import ModeResults, asymptotic_draws

if TYPE_CHECKING:
    from ..engines.map import ModeResult
    from ..spec.model_spec import ModelLike

__all__ = ["MAPResults", "LaplaceResults"]


class MAPResults(ModeResults):
    """Result of ``Logit.fit(method="map")``.

    Standard errors: inverse Hessian of the negative log posterior for smooth priors;
    for Laplace priors statsmodels' L1 convention (unpenalised inverse information on the
    non-zero coefficients, NaN for exact zeros); for Jeffreys the inverse Fisher information
    at Firth's estimate (as R's logistf).
    """

    method = "map"

    def __init__(self, model: ModelLike, mode: ModeResult) -> None:
        super().__init__(model, mode.params, mode.cov)
        self.mode = mode
        self.prior_set = model.prior_set

    @property
    def converged(self) -> bool:
        return bool(self.mode.converged)

    @property
    def iterations(self) -> int:
        return int(self.mode.iterations)

    @property
    def nonzero(self) -> pd.Series:
        """Whether each coefficient is off its Laplace kink (exact zeros arise at the mode);
        all True for smooth priors."""
        active = self.mode.active
        values = np.ones(len(self._names), bool) if active is None else np.asarray(active)
        return pd.Series(values, index=self._names)

    def log_posterior(self) -> float:
        """Log posterior at the mode, up to the normalising constant."""
        return -float(self.mode.objective)

    def _tree_priors(self):
        return self.prior_set

    def __str__(self) -> str:
        from .report import mode_report

        return mode_report(self)


class LaplaceResults(DrawResults):
    r"""Gaussian approximation :math:`N(\hat\beta_{MAP}, H^{-1})` at the posterior mode,
    represented by draws shaped (chains, draws, k). ``params`` are the draw means; the exact
    mode is ``result.mode.params``. Under Laplace priors, coefficients at their kink are
    drawn from their one-dimensional conditional (``beta`` holds the prepared draws)."""

    method = "laplace"

    def __init__(self, model: ModelLike, mode: MAPResults, cov: np.ndarray | None,
                 draws: int = 1000, chains: int = 4, random_seed: Any = None,
                 beta: np.ndarray | None = None) -> None:
        from .datatree import posterior_tree

        d = model.design
        if beta is None:
            beta = asymptotic_draws(mode._params, cov, chains, draws, random_seed)
        tree = posterior_tree(beta, d.X, d.y, d.offset, d.exog_names, model.prior_set,
                              attrs={"inference_method": "laplace",
                                     "approximation": "Gaussian (Laplace) at the posterior "
                                                      "mode"})
        super().__init__(model, tree, {"sampler": "laplace approximation"})
        self.mode = mode
