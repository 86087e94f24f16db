"""The frozen outputs the engines return: the only shapes that leave :mod:`bayeslogit.engines`.

* :class:`NewtonResult`: the statsmodels-compatible Newton MLE
  (:func:`~bayeslogit.engines.newton.newton_mle`), with the final linear predictor, so the
  covariance, the separation screen and the result reuse it;
* :class:`ModeResult`: the posterior-mode engines (:mod:`bayeslogit.engines.map`,
  :mod:`bayeslogit.engines.firth`), with the negative Hessian at the mode, so the Laplace
  approximation and importance sampling reuse it;
* :class:`Draws`: every sampler (importance, Gibbs, NUTS).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

__all__ = ["NewtonResult", "ModeResult", "Draws"]


@dataclass(frozen=True)
class NewtonResult:
    r"""Outcome of :func:`~bayeslogit.engines.newton.newton_mle`.

    Attributes
    ----------
    params : ndarray
        Final iterate.
    iterations : int
        Newton iterations taken (statsmodels' count).
    converged : bool
        ``iterations < maxiter`` and every quantity finite.
    llf : float
        Summed log-likelihood at ``params``.
    score : ndarray
        Gradient of the summed log-likelihood at ``params``.
    information : ndarray
        :math:`X^\top W X` at ``params`` (positive; no ridge).
    last_step : float
        :math:`\max|\Delta|` of the last iteration (how far from the tolerance it stopped).
    halvings : int
        Total number of step halvings performed.
    rule : {"absolute", "scaled"}
        "absolute": stopped exactly where statsmodels' absolute rule stops; "scaled": the
        rule on the scaled problem decided (statsmodels would stop at ``statsmodels_iterations``
        or never).
    statsmodels_iterations : int or None
        Iteration at which statsmodels' absolute rule alone was first met (None if never).
    scale : ndarray
        The column scales (powers of two) of the scaled problem.
    eta : ndarray, shape (n,)
        Linear predictor :math:`X\beta + \text{offset}` at ``params``, the one ``llf``,
        ``score`` and ``information`` were computed from.
    """

    params: FloatArray
    iterations: int
    converged: bool
    llf: float
    score: FloatArray
    information: FloatArray
    last_step: float
    halvings: int
    rule: str = "absolute"
    statsmodels_iterations: int | None = None
    scale: FloatArray | None = None
    eta: FloatArray | None = None


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
    cov : (k, k) covariance for Wald inference (module docstring of
        :mod:`bayeslogit.engines.map`).
    active : for fits with Laplace priors, True where :math:`\theta_j \ne \mu_j` (always True
        for smooth-prior coefficients); None otherwise.
    neg_hessian : (k, k) negative Hessian of the log posterior at ``params`` with respect to
        the reported :math:`\beta`, summed scale, as
        :func:`~bayeslogit.engines.map.neg_log_posterior_hessian` defines it (Laplace priors
        add no curvature; Jeffreys: the Fisher information :math:`X^\top WX`). None only for
        results built by hand.
    """

    params: FloatArray
    iterations: int
    converged: bool
    objective: float
    kkt_residual: float
    message: str
    cov: FloatArray
    active: NDArray[np.bool_] | None
    neg_hessian: FloatArray | None = None


@dataclass(frozen=True)
class Draws:
    """Posterior draws from any sampler (importance sampling, Gibbs, NUTS).

    Attributes
    ----------
    beta : ndarray, shape (chain, draw, k)
        Draws of the reported coefficients.
    sample_stats : dict of str to ndarray (chain, draw), or None
        Per-draw statistics under ArviZ names (``lp``, ``diverging``, ``log_weight``, ...).
    latent : dict of str to ndarray (chain, draw, ...), or None
        Further posterior variables (the Gibbs mixing variables ``tau2``, ``lambda``).
    info : dict
        What the sampler reports: always ``sampler`` (its name), ``sampling_time`` (wall
        seconds) and ``notes`` (list of str); NUTS adds ``compile_time`` (0 when the compiled
        model was reused) and ``tune``; Gibbs ``tune``; importance sampling ``khat``,
        ``ess_is``, ``n_proposals`` and ``accepted``.
    """

    beta: FloatArray
    sample_stats: dict[str, FloatArray] | None = None
    latent: dict[str, FloatArray] | None = None
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.info.setdefault("notes", [])
