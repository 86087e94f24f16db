"""The frozen outputs the engines return.

:class:`ModeResult` is what the posterior-mode engines (:mod:`bayeslogit.engines.map` and
:mod:`bayeslogit.engines.firth`) return; the Newton MLE returns its own
:class:`~bayeslogit.engines.newton.NewtonResult`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

__all__ = ["ModeResult"]


@dataclass(frozen=True)
class ModeResult:
    r"""Outcome of a posterior-mode fit.

    Attributes
    ----------
    params : reported coefficients :math:`\beta` (raw intercept), shape (k,).
    iterations : Newton / proximal Newton / Fisher-scoring steps taken.
    converged : whether the stopping rule was met with finite values.
    objective : :math:`-\ell - \log p` at ``params`` (Jeffreys:
        :math:`-\ell - \tfrac12\log|X^\top WX|`), up to a constant.
    kkt_residual : max violation of the optimality conditions, column-scaled working
        coordinates (units-free), summed scale: :math:`|\partial_j F|` (smooth), the
        subgradient violation (Laplace), :math:`|U^*_j|` (Firth).
    message : what happened; on non-convergence, how far it got.
    cov : (k, k) covariance for Wald inference (module docstring).
    active : for fits with Laplace priors, True where :math:`\theta_j \ne \mu_j` (always True
        for smooth-prior coefficients); None otherwise.
    """

    params: FloatArray
    iterations: int
    converged: bool
    objective: float
    kkt_residual: float
    message: str
    cov: FloatArray
    active: NDArray[np.bool_] | None
