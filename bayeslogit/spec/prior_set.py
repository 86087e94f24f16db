"""Priors resolved for one design: :class:`PriorSet` and :func:`resolve_priors`.

See :mod:`bayeslogit.priors` for the conventions (centred intercept, defaults).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from .priors import DEFAULT_INTERCEPT_SCALE, DEFAULT_SLOPE_SCALE, Flat, Normal, Prior

FloatArray = NDArray[np.float64]

__all__ = ["PriorSet", "resolve_priors"]


@dataclass(frozen=True)
class PriorSet:
    r"""Priors resolved for one design: one prior per coefficient and an optional joint term.

    Per-coefficient priors apply to the *working* coefficients :math:`\theta = T\beta`, equal
    to :math:`\beta` except at the intercept, where :math:`\theta_0 = \beta_0 + c^\top\beta`
    with ``center`` :math:`c` (column means, zero at the intercept). ``center`` is all zeros
    when the model has no intercept or a joint prior.

    Attributes
    ----------
    names : tuple of str
        Coefficient names.
    priors : tuple of Prior
        One per coefficient (:class:`~bayeslogit.spec.priors.Flat` for every coefficient
        under a joint prior).
    center : ndarray, shape (k,)
        Centring vector :math:`c`.
    intercept_index : int or None
        Column of the intercept.
    is_default : tuple of bool
        Whether each prior is the default one.
    autoscale_factor : tuple of float
        Factor applied to each prior's scale by autoscaling (1 when none).
    joint : Prior or None
        A joint prior term on all coefficients (:class:`~bayeslogit.spec.priors.Jeffreys`),
        evaluated with the design by ``joint.log_density(beta, X, offset)``.
    """

    names: tuple[str, ...]
    priors: tuple[Prior, ...]
    center: FloatArray
    intercept_index: int | None
    is_default: tuple[bool, ...]
    autoscale_factor: tuple[float, ...] = field(default=())
    joint: Prior | None = None

    def __post_init__(self) -> None:
        if len(self.priors) != len(self.names):
            raise ValueError(f"PriorSet needs one prior per coefficient {list(self.names)}, "
                             f"got {len(self.priors)}.")
        if any(p.joint for p in self.priors):
            raise ValueError("A joint prior such as Jeffreys() belongs in joint=, not among "
                             "the per-coefficient priors.")
        if self.joint is not None and not self.joint.joint:
            raise ValueError(f"joint= must be a joint prior such as bl.Jeffreys(), got "
                             f"{self.joint.describe()}.")

    @property
    def k(self) -> int:
        """Number of coefficients."""
        return len(self.names)

    @property
    def jeffreys(self) -> bool:
        """Whether the joint term is Jeffreys' prior (read-only convenience)."""
        return self.joint is not None and self.joint.family == "jeffreys"

    @property
    def proper(self) -> bool:
        """Whether the joint prior of all coefficients is proper.

        The joint term's propriety when there is one, else whether every per-coefficient
        prior is proper.
        """
        if self.joint is not None:
            return self.joint.proper
        return all(p.proper for p in self.priors)

    @property
    def flat_index(self) -> NDArray[np.intp]:
        """Indices of the coefficients with improper (flat) priors.

        Coefficients whose per-coefficient prior is improper (flat); all under a joint
        prior. Their columns must be linearly independent for a unique mode.
        """
        return np.flatnonzero([not p.proper for p in self.priors])

    @property
    def centred(self) -> bool:
        """Whether the intercept prior applies to the centred intercept.

        True with an intercept and no joint prior (a joint prior is invariant to the
        reparametrisation).
        """
        return self.intercept_index is not None and self.joint is None

    @property
    def any_laplace(self) -> bool:
        """Whether some prior has an L1 kink (:meth:`Prior.l1_term`)."""
        return any(p.l1_term() is not None for p in self.priors)

    def with_priors(self, priors: Sequence[Prior]) -> PriorSet:
        """Return the same set with other per-coefficient priors (``dataclasses.replace``)."""
        return replace(self, priors=tuple(priors))

    def to_working(self, beta: FloatArray) -> FloatArray:
        r"""Map reported coefficients (shape (..., k)) to working coefficients :math:`T\beta`."""
        beta = np.asarray(beta, dtype=float)
        if self.intercept_index is None:
            return beta.copy()
        theta = beta.copy()
        theta[..., self.intercept_index] = beta @ self.center + beta[..., self.intercept_index]
        return theta

    def from_working(self, theta: FloatArray) -> FloatArray:
        r"""Inverse of :meth:`to_working`: :math:`\beta_0 = \theta_0 - c^\top\theta`."""
        theta = np.asarray(theta, dtype=float)
        if self.intercept_index is None:
            return theta.copy()
        beta = theta.copy()
        beta[..., self.intercept_index] = theta[..., self.intercept_index] - theta @ self.center
        return beta

    def transform_matrix(self) -> FloatArray:
        """Return the matrix ``T`` with ``theta = T @ beta``."""
        T = np.eye(self.k)
        if self.intercept_index is not None:
            T[self.intercept_index] += self.center
        return T

    def inverse_transform(self) -> FloatArray:
        r""":math:`T^{-1} = I - e_0 c^\top = 2I - T` (``c_0 = 0``), so ``beta = T^{-1} theta``."""
        return 2.0 * np.eye(self.k) - self.transform_matrix()

    def working_design(self, X: FloatArray) -> FloatArray:
        r"""Return the design of the working coefficients.

        The design of the working coefficients, :math:`X T^{-1} = X - x_0 c^\top`
        (a new array; ``x_0`` the intercept column).
        """
        X = np.asarray(X, dtype=float)
        if self.intercept_index is None or not np.any(self.center):
            return X.copy()
        return X - np.outer(X[:, self.intercept_index], self.center)

    def logpdf_terms(self, beta: FloatArray) -> FloatArray:
        """Evaluate the per-coefficient log prior densities.

        Per-coefficient log prior densities, shape (..., k) for ``beta`` of shape (..., k)
        (zeros for flat priors; the joint term is not included).
        """
        theta = self.to_working(beta)
        out = np.empty_like(theta)
        for j, prior in enumerate(self.priors):
            out[..., j] = prior.logpdf(theta[..., j])
        return out

    def logpdf(self, beta: FloatArray) -> FloatArray:
        """Evaluate the joint log prior density of the reported coefficients.

        Joint log prior density of the reported coefficients, for priors without a joint
        term (which needs the design: use :meth:`log_density`).
        """
        if self.joint is not None:
            raise ValueError(f"The {self.joint.describe()} prior is joint; evaluate it with the "
                             "design matrix: prior_set.log_density(beta, X, offset).")
        return self.logpdf_terms(beta).sum(axis=-1)

    def log_density_terms(
        self, beta: FloatArray, X: FloatArray, offset: FloatArray | None,
        weights: FloatArray | None = None,
    ) -> dict[str, FloatArray]:
        """Evaluate the log prior of ``beta`` term by term.

        The log prior of ``beta`` (shape (..., k)) by term: ``"beta"`` the per-coefficient
        densities (..., k), left out when every one is flat; the joint term (...) under its
        family name (``"jeffreys"``). Empty when every prior is flat.
        """
        terms: dict[str, FloatArray] = {}
        if self.flat_index.size < self.k:
            terms["beta"] = self.logpdf_terms(beta)
        if self.joint is not None:
            terms[self.joint.family] = self.joint.log_density(beta, X, offset, weights)
        return terms

    def log_density(
        self, beta: FloatArray, X: FloatArray, offset: FloatArray | None,
        weights: FloatArray | None = None,
    ) -> FloatArray:
        r"""Log prior density of the reported coefficients, shape ``beta.shape[:-1]``.

        Parameters
        ----------
        beta : ndarray, shape (..., k)
            Coefficient vectors (draws).
        X : ndarray, shape (n, k)
            The design (used by a joint term only).
        offset : ndarray, shape (n,), or None
            The offset (used by a joint term only).
        weights : ndarray, shape (n,), optional
            Binomial weights of the rows (used by a joint term only).

        Returns
        -------
        ndarray
            Per-coefficient densities with their normalising constants (flat priors
            contribute 0) plus the joint term, for Jeffreys the unnormalised
            :math:`\tfrac12\log|X^\top W(\beta)X|`.
        """
        beta = np.asarray(beta, dtype=float)
        out = np.zeros(beta.shape[:-1])
        for value in self.log_density_terms(beta, X, offset, weights).values():
            out = out + (value if value.ndim == out.ndim else value.sum(axis=-1))
        return out

    def grad(self, beta: FloatArray) -> FloatArray:
        r"""Gradient of the per-coefficient log prior w.r.t. ``beta`` (:math:`T^\top g(\theta)`)."""
        theta = self.to_working(beta)
        g = np.array([p.grad(t) for p, t in zip(self.priors, theta, strict=True)], dtype=float)
        return self.transform_matrix().T @ g

    def hess(self, beta: FloatArray) -> FloatArray:
        r"""Return the Hessian of the per-coefficient log prior w.r.t. ``beta``.

        Hessian of the per-coefficient log prior w.r.t. ``beta``,
        :math:`T^\top D(\theta) T`.
        """
        theta = self.to_working(beta)
        d = np.array([p.hess(t) for p, t in zip(self.priors, theta, strict=True)], dtype=float)
        T = self.transform_matrix()
        return T.T @ (d[:, None] * T)

    def table(self) -> pd.DataFrame:
        """One row per coefficient: prior, whether default, autoscale factor, applies-to."""
        rows = []
        for j, name in enumerate(self.names):
            prior = self.priors[j] if self.joint is None else self.joint
            on = "coefficient" if self.joint is None else "all coefficients (joint)"
            if j == self.intercept_index and self.centred:
                on = "centred intercept" if np.any(self.center != 0) else "intercept"
            factor = self.autoscale_factor[j] if self.autoscale_factor else 1.0
            rows.append(
                {
                    "term": name,
                    "prior": prior.describe(),
                    "applies_to": on,
                    "default": self.is_default[j],
                    "autoscale_factor": factor,
                }
            )
        return pd.DataFrame(rows).set_index("term")


def _column_sd(X: FloatArray, weights: FloatArray | None = None) -> FloatArray:
    if weights is None:
        if X.shape[0] < 2:
            return np.ones(X.shape[1])
        return X.std(axis=0, ddof=1)
    total = float(np.sum(weights))  # the expanded rows' sd: each row counts m_i times
    if total < 2:
        return np.ones(X.shape[1])
    dev = X - weights @ X / total
    return np.sqrt(weights @ (dev * dev) / (total - 1))


def resolve_priors(
    priors: Prior | Mapping[str, Prior] | None,
    names: Sequence[str],
    X: FloatArray,
    intercept_index: int | None,
    weights: FloatArray | None = None,
) -> PriorSet:
    """Resolve the user's ``priors=`` argument into one concrete prior per coefficient.

    Parameters
    ----------
    priors : Prior, dict of str to Prior, or None
        One prior for all coefficients, a dict keyed by coefficient name (others get the
        default), or None for the defaults described in the module docstring.
    names : sequence of str
        Coefficient names, in column order of ``X``.
    X : ndarray, shape (n, k)
        The design matrix (used for autoscaling and the intercept centring).
    intercept_index : int or None
        Column holding the intercept (all ones), if any.
    weights : ndarray, shape (n,), optional
        Binomial weights (trials times frequency weights): the column means and standard
        deviations are those of the expanded 0/1 rows, so counts get the same priors.

    Raises
    ------
    ValueError
        A dict names a coefficient that does not exist (the message lists the valid names),
        a value is not a prior, or ``Jeffreys`` is mixed with other priors.
    """
    names = tuple(names)
    k = len(names)
    sd = _column_sd(X, weights)
    center = np.zeros(k)
    if intercept_index is not None:
        center = X.mean(axis=0) if weights is None else weights @ X / float(np.sum(weights))
        center[intercept_index] = 0.0

    def autoscaled(prior: Prior, j: int, factor: float) -> Prior:
        try:
            return prior.scaled(factor)
        except ValueError as exc:
            raise ValueError(
                f"Column {names[j]!r} has standard deviation {sd[j]:.3g}, so its autoscaled "
                f"prior {prior.describe()} / sd is out of range ({exc}) Rescale the column "
                f"(e.g. X[{names[j]!r}] / {sd[j]:.0e}) or give it a prior without autoscale."
            ) from None

    def default_for(j: int) -> tuple[Prior, float]:
        if j == intercept_index:
            return Normal(0.0, DEFAULT_INTERCEPT_SCALE), 1.0
        s = sd[j]
        factor = 1.0 / s if s > 0 and np.isfinite(s) else 1.0
        return autoscaled(Normal(0.0, DEFAULT_SLOPE_SCALE), j, factor), factor

    def concrete(prior: Prior, j: int) -> tuple[Prior, float]:
        if not isinstance(prior, Prior):
            raise TypeError(
                f"Prior for {names[j]!r} must be a bayeslogit prior such as bl.Normal(0, 2.5), "
                f"got {prior!r}."
            )
        if prior.autoscale and j != intercept_index and sd[j] > 0:
            return autoscaled(prior, j, 1.0 / sd[j]), 1.0 / sd[j]
        return prior, 1.0

    if isinstance(priors, Prior) and priors.joint:
        return PriorSet(names, (Flat(),) * k, center * 0.0, intercept_index, (False,) * k,
                        (1.0,) * k, joint=priors)

    resolved: list[Prior] = []
    factors: list[float] = []
    is_default: list[bool] = []
    if priors is None or isinstance(priors, Prior):
        for j in range(k):
            p, f = default_for(j) if priors is None else concrete(priors, j)
            resolved.append(p)
            factors.append(f)
            is_default.append(priors is None)
    elif isinstance(priors, Mapping):
        unknown = [key for key in priors if key not in names]
        if unknown:
            raise ValueError(
                f"priors names unknown coefficient(s) {unknown}; valid names are {list(names)}."
            )
        joint = [p for p in priors.values() if isinstance(p, Prior) and p.joint]
        if joint:
            raise ValueError(
                f"{joint[0].describe()} is a joint prior on all coefficients: pass "
                f"priors=bl.{joint[0].describe()}, not inside a dict."
            )
        for j, name in enumerate(names):
            if name in priors:
                p, f = concrete(priors[name], j)
                is_default.append(False)
            else:
                p, f = default_for(j)
                is_default.append(True)
            resolved.append(p)
            factors.append(f)
    else:
        raise TypeError(
            "priors= must be None, one prior (e.g. bl.Normal(0, 2.5)) or a dict keyed by "
            f"coefficient name; got {type(priors).__name__}."
        )
    return PriorSet(names, tuple(resolved), center, intercept_index, tuple(is_default),
                    tuple(factors))
