r"""Backend-neutral prior descriptions and the default-prior policy.

Every prior is a small frozen dataclass that knows its log density and, where smooth, the
first and second derivatives of that log density (elementwise, for a scalar coefficient).
Each class declares its place in the family registry :data:`FAMILIES`: its ``family`` name
(the CLI spelling and the PyMC variable suffix), ``param_names``, the ``scale_name`` that
:meth:`Prior.from_scale` and autoscaling act on, and, through :meth:`Prior.scale_mixture`,
how it is a normal scale mixture (what the Gibbs sampler needs). The engines read these:
:mod:`bayeslogit.engines.map` uses the derivatives, :mod:`bayeslogit.engines.nuts` maps
families onto PyMC distributions and :mod:`bayeslogit.engines.gibbs` onto scale mixtures.
:class:`Cauchy` acts through :meth:`Cauchy.as_student_t` (Student-t with one degree of
freedom) and keeps its own name and ``gamma`` for display.

Where the intercept prior applies
---------------------------------
The intercept prior applies to the **centred intercept**
:math:`\alpha_c = \alpha + \sum_j \bar x_j \beta_j` (the log-odds at the mean of the
predictors), as in rstanarm; the reported intercept is always the raw :math:`\alpha`. Because
the map :math:`(\alpha, \beta) \mapsto (\alpha_c, \beta)` has unit Jacobian, the joint prior
density of the reported coefficients is :math:`p_0(\alpha_c)\prod_j p_j(\beta_j)`; this is what
MAP maximises, what PyMC samples and what the ``log_prior`` group stores (its ``Intercept``
entry is :math:`\log p_0(\alpha_c)`). A flat intercept prior makes the distinction moot.

Default priors (rstanarm's weakly informative set)
-------------------------------------------------
* slopes: ``Normal(0, 2.5 / sd(x_j))`` (``sd`` with ``ddof=1``; a constant non-intercept
  column falls back to ``Normal(0, 2.5)``);
* centred intercept: ``Normal(0, 2.5)``.

``priors=`` accepts ``None`` (all defaults), one prior applied to every coefficient, or a dict
keyed by coefficient name; coefficients a dict does not name keep their default.
:class:`Jeffreys` is a joint prior and must be given alone: the resolved
:class:`~bayeslogit.spec.prior_set.PriorSet` then holds it as its ``joint`` term, with
:class:`Flat` per-coefficient priors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import override

import numpy as np
from scipy import special

from ..blocks import information_logdets
from .prior_base import FloatArray, Prior, ScaleMixture, check_finite, check_positive

__all__ = [
    "Prior",
    "Normal",
    "Laplace",
    "StudentT",
    "Cauchy",
    "Flat",
    "Jeffreys",
    "ScaleMixture",
    "FAMILIES",
    "prior_family",
    "DEFAULT_SLOPE_SCALE",
    "DEFAULT_INTERCEPT_SCALE",
]

DEFAULT_SLOPE_SCALE = 2.5
DEFAULT_INTERCEPT_SCALE = 2.5
_LOG_2PI = math.log(2.0 * math.pi)


@dataclass(frozen=True)
class Normal(Prior):
    r"""Normal prior :math:`\log p(x) = -\tfrac12\log(2\pi\sigma^2) - (x-\mu)^2/(2\sigma^2)`.

    With ``autoscale=True`` the scale is divided by ``sd(x_j)`` of the coefficient's column.
    """

    family = "normal"
    param_names = ("mu", "sigma")
    scale_name = "sigma"
    mixture = "fixed"
    mu: float = 0.0
    sigma: float = 1.0
    autoscale: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "mu", check_finite("Normal", self.mu, "mu"))
        object.__setattr__(self, "sigma", check_positive("Normal", self.sigma, "sigma"))

    @override
    def logpdf(self, x):
        z = (np.asarray(x, dtype=float) - self.mu) / self.sigma
        return -0.5 * z * z - math.log(self.sigma) - 0.5 * _LOG_2PI

    @override
    def grad(self, x):
        return -(np.asarray(x, dtype=float) - self.mu) / self.sigma**2

    @override
    def hess(self, x):
        return np.full(np.shape(x), -1.0 / self.sigma**2)

    @override
    def rvs(self, size, rng):
        return rng.normal(self.mu, self.sigma, size)

    @override
    def scale_mixture(self):
        return ScaleMixture("fixed", self.mu, self.sigma)


@dataclass(frozen=True)
class Laplace(Prior):
    r"""Laplace (double-exponential) prior, :math:`\log p(x) = -\log(2b) - |x-\mu|/b`.

    The Bayesian analog of the L1 penalty: its MAP with a flat intercept equals the lasso with
    penalty weight :math:`1/b` on the summed log-likelihood scale.
    """

    family = "laplace"
    param_names = ("mu", "b")
    scale_name = "b"
    mixture = "exponential"
    smooth = False
    mu: float = 0.0
    b: float = 1.0
    autoscale: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "mu", check_finite("Laplace", self.mu, "mu"))
        object.__setattr__(self, "b", check_positive("Laplace", self.b, "b"))

    @override
    def logpdf(self, x):
        return -np.abs(np.asarray(x, dtype=float) - self.mu) / self.b - math.log(2.0 * self.b)

    def grad(self, x):
        """Return the derivative away from the kink (a subgradient, 0, at ``x == mu``)."""
        return -np.sign(np.asarray(x, dtype=float) - self.mu) / self.b

    @override
    def hess(self, x):
        return np.zeros(np.shape(x))

    @override
    def rvs(self, size, rng):
        return rng.laplace(self.mu, self.b, size)

    @override
    def scale_mixture(self):
        return ScaleMixture("exponential", self.mu, self.b)

    @override
    def l1_term(self):
        return self.mu, 1.0 / self.b


@dataclass(frozen=True)
class StudentT(Prior):
    r"""Student-t prior with ``nu`` degrees of freedom, location ``mu`` and scale ``sigma``.

    :math:`\log p(x) = c - \tfrac{\nu+1}{2}\log(1 + z^2/\nu)`, :math:`z = (x-\mu)/\sigma`.
    """

    family = "studentt"
    spellings = ("student_t", "t")
    param_names = ("nu", "mu", "sigma")
    scale_name = "sigma"
    mixture = "gamma"
    log_concave = False
    nu: float = 3.0
    mu: float = 0.0
    sigma: float = 1.0
    autoscale: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "nu", check_positive(type(self).__name__, self.nu, "nu"))
        object.__setattr__(self, "mu", check_finite(type(self).__name__, self.mu, "mu"))
        object.__setattr__(
            self, "sigma", check_positive(type(self).__name__, self.sigma, "sigma")
        )

    def _const(self) -> float:
        nu = self.nu
        return (
            special.gammaln((nu + 1) / 2)
            - special.gammaln(nu / 2)
            - 0.5 * math.log(nu * math.pi)
            - math.log(self.sigma)
        )

    @override
    def logpdf(self, x):
        z = (np.asarray(x, dtype=float) - self.mu) / self.sigma
        return self._const() - 0.5 * (self.nu + 1) * np.log1p(z * z / self.nu)

    @override
    def grad(self, x):
        d = np.asarray(x, dtype=float) - self.mu
        # in z = d / sigma, so that sigma**2 and d**2 never under- or overflow
        z = d / self.sigma
        return -(self.nu + 1) * z / (self.nu + z * z) / self.sigma

    @override
    def hess(self, x):
        d = np.asarray(x, dtype=float) - self.mu
        z = d / self.sigma
        q = self.nu + z * z
        return -(self.nu + 1) * ((self.nu - z * z) / q) / q / self.sigma / self.sigma

    @override
    def rvs(self, size, rng):
        return self.mu + self.sigma * rng.standard_t(self.nu, size)

    @override
    def scale_mixture(self):
        return ScaleMixture("gamma", self.mu, self.sigma, self.nu)

    @override
    def log_concave_proxy(self):
        return Normal(self.mu, self.sigma)


@dataclass(frozen=True)
class Cauchy(Prior):
    r"""Cauchy prior (Student-t with one degree of freedom), location ``mu``, scale ``gamma``.

    Engines use it through :meth:`as_student_t`; it keeps its own name and ``gamma`` for
    display.
    """

    family = "cauchy"
    param_names = ("mu", "gamma")
    scale_name = "gamma"
    mixture = "gamma"
    log_concave = False
    mu: float = 0.0
    gamma: float = 1.0
    autoscale: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "mu", check_finite("Cauchy", self.mu, "mu"))
        object.__setattr__(self, "gamma", check_positive("Cauchy", self.gamma, "gamma"))

    def as_student_t(self) -> StudentT:
        """Return the same prior as ``StudentT(nu=1, mu, sigma=gamma)``."""
        return StudentT(1.0, self.mu, self.gamma)

    @override
    def logpdf(self, x):
        return self.as_student_t().logpdf(x)

    @override
    def grad(self, x):
        return self.as_student_t().grad(x)

    @override
    def hess(self, x):
        return self.as_student_t().hess(x)

    @override
    def rvs(self, size, rng):
        return self.mu + self.gamma * rng.standard_cauchy(size)

    @override
    def scale_mixture(self):
        return self.as_student_t().scale_mixture()

    @override
    def log_concave_proxy(self):
        return self.as_student_t().log_concave_proxy()


@dataclass(frozen=True)
class Flat(Prior):
    """Improper flat prior (log density 0). MAP under flat priors is the MLE."""

    family = "flat"
    mixture = "flat"
    proper = False

    @override
    def logpdf(self, x):
        return np.zeros(np.shape(x))

    @override
    def grad(self, x):
        return np.zeros(np.shape(x))

    @override
    def hess(self, x):
        return np.zeros(np.shape(x))

    @override
    def scale_mixture(self):
        return ScaleMixture("flat")

    @override
    def describe(self):
        return "Flat()"


@dataclass(frozen=True)
class Jeffreys(Prior):
    r"""Jeffreys' joint prior :math:`p(\beta) \propto |X^\top W(\beta) X|^{1/2}`.

    A joint prior on all coefficients (it must be given alone, ``priors=Jeffreys()``); its
    posterior mode is Firth's bias-reduced estimate, finite even under separation. For
    logistic regression it is proper (Ibrahim & Laud 1991). Its density depends on the
    design, so the per-coefficient methods are not defined: use :meth:`log_density`.
    """

    family = "jeffreys"
    joint = True

    def log_density(
        self, beta: FloatArray, X: FloatArray, offset: FloatArray | None,
        weights: FloatArray | None = None,
    ) -> FloatArray:
        r"""Unnormalised :math:`\tfrac12\log|X^\top W(\beta)X|` for each coefficient vector.

        Parameters
        ----------
        beta : ndarray, shape (..., k)
            Coefficient vectors (reported scale).
        X : ndarray, shape (n, k)
            Design matrix.
        offset : ndarray, shape (n,), or None
            Added to the linear predictor.
        weights : ndarray, shape (n,), optional
            Binomial weights (trials times frequency weights): :math:`W = m p(1-p)`.

        Returns
        -------
        ndarray, shape ``beta.shape[:-1]``
            ``-inf`` where :math:`X^\top WX` is not positive definite. Computed in blocks
            (:func:`bayeslogit.blocks.information_logdets`).
        """
        return 0.5 * information_logdets(beta, X, offset, weights=weights)

    @override
    def describe(self):
        return "Jeffreys()"


#: the prior families by registry name, in display order
FAMILIES: dict[str, type[Prior]] = {
    cls.family: cls for cls in (Normal, Laplace, StudentT, Cauchy, Flat, Jeffreys)
}


def prior_family(name: str) -> type[Prior]:
    """Return the prior class for a family name or one of its spellings (case-insensitive).

    Raises
    ------
    ValueError
        Unknown name; the message lists the families with their parameters.
    """
    key = str(name).strip().lower()
    for cls in FAMILIES.values():
        if key == cls.family or key in cls.spellings:
            return cls
    known = ", ".join(cls.usage() for cls in FAMILIES.values())
    raise ValueError(f"Unknown prior family {name!r}; the families are {known}.")
