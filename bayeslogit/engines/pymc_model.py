r"""PyMC compilation of the model spec (the ``pm.Model`` NUTS samples).

The model
---------
NUTS runs on the *working* coefficients :math:`\theta = T\beta` (see
:mod:`bayeslogit.priors`): :math:`\theta` equals the reported :math:`\beta` except the
intercept, :math:`\theta_0 = \beta_0 + c^\top\beta` (the centred intercept, ``c`` the column
means). The priors of the spec are independent on :math:`\theta`; the reported coefficients
are the Deterministic ``beta`` :math:`= \theta - e_0\,c^\top\theta`, and the log-likelihood is

.. math:: \ell = \sum_i y_i\eta_i - \log(1 + e^{\eta_i}), \qquad \eta = X\beta + o,

a ``pm.Bernoulli(logit_p=eta)`` for 0/1 responses and a ``pm.Potential`` for fractional ones.
Because the map :math:`\theta \mapsto \beta` has unit Jacobian, the model's joint log density
equals ``loglike(beta) + prior_set.logpdf(beta)`` including every normalising constant.

Names in the ``pm.Model`` (all deterministic, so that nutpie's ``with_data`` can swap them):

* data: ``X`` (obs, coef), ``y_data`` (obs), ``offset`` (obs; zeros when absent),
  ``center`` (coef; only with an intercept);
* per prior family ``f`` (the registry name, :data:`bayeslogit.spec.priors.FAMILIES`:
  ``normal, laplace, studentt, cauchy, flat``) that occurs: a free vector ``theta_<f>``
  with dims ``coef_<f>`` (the coefficient names of that family), built by
  :data:`PYMC_PRIORS`, and the hyper-parameter vectors ``prior_<f>_<param>`` named by the
  family's ``param_names`` (e.g. ``prior_normal_sigma``, ``prior_laplace_b``,
  ``prior_studentt_nu``, ``prior_cauchy_gamma``);
* the joint Jeffreys term (its coefficients are ``theta_flat``): the Potential ``jeffreys``
  :math:`= \tfrac12\log|X^\top W X|`, built by :data:`PYMC_JOINT`;
* the likelihood term, named ``endog_name``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from ..spec.prior_set import PriorSet
from ..spec.priors import FAMILIES
from ..validation import check_arrays

if TYPE_CHECKING:
    import pymc as pm

FloatArray = NDArray[np.float64]

__all__ = ["build_pymc_model", "build_model", "graph_structure", "check_model_data",
           "prior_data", "PYMC_PRIORS", "PYMC_JOINT"]

#: per-coefficient prior family -> PyMC constructor ``(pm, name, hyper, dims)`` of the
#: family's working coefficients; ``hyper`` maps the family's ``param_names`` to data
PYMC_PRIORS: dict[str, Callable[..., Any]] = {
    "normal": lambda pm, name, h, dims: pm.Normal(name, mu=h["mu"], sigma=h["sigma"],
                                                  dims=dims),
    "laplace": lambda pm, name, h, dims: pm.Laplace(name, mu=h["mu"], b=h["b"], dims=dims),
    "studentt": lambda pm, name, h, dims: pm.StudentT(name, nu=h["nu"], mu=h["mu"],
                                                      sigma=h["sigma"], dims=dims),
    "cauchy": lambda pm, name, h, dims: pm.Cauchy(name, alpha=h["mu"], beta=h["gamma"],
                                                  dims=dims),
    "flat": lambda pm, name, h, dims: pm.Flat(name, dims=dims),
}


def _jeffreys_potential(pm, pt, Xd, eta, md=None) -> None:
    w = pt.sigmoid(eta) * pt.sigmoid(-eta)
    if md is not None:  # binomial weights: W = m p (1 - p)
        w = w * md
    info = pt.dot((Xd * w[:, None]).T, Xd)
    chol = pt.linalg.cholesky(info)  # NaN (rejected proposal) if not positive definite
    pm.Potential("jeffreys", pt.sum(pt.log(pt.diag(chol))))  # = 0.5 log|X'WX|


#: joint prior family -> ``(pm, pt, X data, eta) -> None``, adding its Potential to the model
PYMC_JOINT: dict[str, Callable[..., None]] = {"jeffreys": _jeffreys_potential}
_RESERVED = {"X", "y_data", "offset", "center", "beta", "jeffreys", "weights"}

def _families(prior_set: PriorSet) -> tuple[str, ...]:
    """Return the PyMC family of each coefficient's prior (TypeError if there is none)."""
    for prior, name in zip(prior_set.priors, prior_set.names, strict=True):
        if prior.family not in PYMC_PRIORS:
            raise TypeError(f"The PyMC backend has no translation for the prior {prior!r} of "
                            f"{name!r}.")
    joint = prior_set.joint
    if joint is not None and joint.family not in PYMC_JOINT:
        raise TypeError(f"The PyMC backend has no translation for the joint prior {joint!r}.")
    return tuple(p.family for p in prior_set.priors)


def graph_structure(prior_set: PriorSet, y: FloatArray,
                    weights: FloatArray | None = None) -> tuple:
    """Return what the compiled graph depends on beyond data values (a change recompiles)."""
    binary = "weighted" if weights is not None else bool(np.all((y == 0) | (y == 1)))
    joint = None if prior_set.joint is None else prior_set.joint.family
    return (prior_set.names, prior_set.intercept_index, prior_set.centred, joint,
            _families(prior_set), binary)


def prior_data(prior_set: PriorSet) -> dict[str, FloatArray]:
    """Values of the prior ``pm.Data`` containers (hyper-parameter vectors and ``center``)."""
    out: dict[str, FloatArray] = {}
    for fam in PYMC_PRIORS:
        members = [p for p in prior_set.priors if p.family == fam]
        for par in FAMILIES[fam].param_names if members else ():
            out[f"prior_{fam}_{par}"] = np.array([p.params()[par] for p in members])
    if prior_set.centred:
        out["center"] = np.asarray(prior_set.center, dtype=float).copy()
    return out


def check_model_data(X: Any, y: Any, offset: Any, names: Any,
                     prior_set: PriorSet) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Return private float copies of the data (a zero offset when None), checked for the priors.

    Raises
    ------
    ValueError
        Names that are not the prior set's, or data of the wrong shapes.
    """
    if len(names) != prior_set.k or tuple(prior_set.names) != tuple(names):
        raise ValueError(f"names={tuple(names)} but the prior set covers "
                         f"{tuple(prior_set.names)}; rebuild the priors for this design.")
    # copies: the compiled model keeps the data and never aliases caller arrays
    X, y, offset = check_arrays(X, y, offset, prior_set.k, copy=True)
    return X, y, np.zeros(len(y)) if offset is None else offset


def _unique_endog(endog_name: str) -> str:
    name = str(endog_name)
    taken = _RESERVED | {f"theta_{f}" for f in PYMC_PRIORS} | {f"coef_{f}" for f in PYMC_PRIORS}
    while name in taken or name.startswith("prior_"):
        name += "_"
    return name


def build_model(X: FloatArray, y: FloatArray, offset: FloatArray, names: Any,
                prior_set: PriorSet, endog_name: str, bernoulli: bool | None = None,
                weights: FloatArray | None = None) -> pm.Model:
    """Build the ``pm.Model`` from checked data (:func:`check_model_data`), without copying.

    ``bernoulli`` forces the Bernoulli likelihood (True) or the quasi-likelihood Potential
    (False); by default it follows ``y`` (0/1 or fractional). ``weights`` (binomial trials
    times frequency weights, ``y`` then the proportion) gives the Potential
    ``sum(m (y eta - log(1 + e^eta)))``, the binomial kernel.
    """
    import pymc as pm
    import pytensor.tensor as pt

    n, k = X.shape
    names = tuple(names)
    endog = _unique_endog(endog_name)
    if bernoulli is None:
        bernoulli = graph_structure(prior_set, y, weights)[-1] is True
    fams = _families(prior_set)
    present = [f for f in PYMC_PRIORS if f in fams]
    coords: dict[str, Any] = {"coef": names, "obs": np.arange(n)}
    for f in present:
        coords[f"coef_{f}"] = [nm for nm, g in zip(names, fams, strict=True) if g == f]
    hyper = prior_data(prior_set)
    with pm.Model(coords=coords) as model:
        Xd = pm.Data("X", X, dims=("obs", "coef"))
        yd = pm.Data("y_data", y, dims="obs")
        od = pm.Data("offset", offset, dims="obs")
        md = None if weights is None else pm.Data("weights", weights, dims="obs")
        parts, order = [], []
        for f in present:
            dims = f"coef_{f}"
            h = {par: pm.Data(f"prior_{f}_{par}", hyper[f"prior_{f}_{par}"], dims=dims)
                 for par in FAMILIES[f].param_names}
            parts.append(PYMC_PRIORS[f](pm, f"theta_{f}", h, dims))
            order.extend(j for j in range(k) if fams[j] == f)
        theta = parts[0] if len(parts) == 1 else pt.concatenate(parts)
        if order != list(range(k)):
            theta = theta[np.argsort(order)]
        if "center" in hyper:
            c = pm.Data("center", hyper["center"], dims="coef")
            onehot = np.eye(k)[prior_set.intercept_index]
            beta = pm.Deterministic("beta", theta - onehot * pt.dot(c, theta), dims="coef")
        else:
            beta = pm.Deterministic("beta", theta, dims="coef")
        eta = pt.dot(Xd, beta) + od
        if prior_set.joint is not None:
            PYMC_JOINT[prior_set.joint.family](pm, pt, Xd, eta, md)
        if bernoulli:
            pm.Bernoulli(endog, logit_p=eta, observed=yd, dims="obs")
        elif md is not None:
            pm.Potential(endog, pt.sum(md * (yd * eta - pm.math.log1pexp(eta))))
        else:
            pm.Potential(endog, pt.sum(yd * eta - pm.math.log1pexp(eta)))
    return model


def build_pymc_model(X: FloatArray, y: FloatArray, offset: FloatArray | None,
                     names: tuple[str, ...], prior_set: PriorSet,
                     endog_name: str = "y") -> pm.Model:
    """Compile the spec to a ``pm.Model`` (see the module docstring for its variables).

    Parameters
    ----------
    X : ndarray, shape (n, k)
        Design matrix (copied).
    y : ndarray, shape (n,)
        Response in [0, 1]; 0/1 gives a Bernoulli likelihood, fractional values a Potential
        with the Bernoulli quasi-log-likelihood.
    offset : ndarray, shape (n,), or None
        Added to the linear predictor.
    names : tuple of str
        Coefficient names (the ``coef`` coordinate).
    prior_set : PriorSet
        Priors on the working coefficients.
    endog_name : str
        Name of the likelihood term (suffixed with ``_`` if it collides with a reserved name).
    """
    X, y, offset = check_model_data(X, y, offset, names, prior_set)
    return build_model(X, y, offset, names, prior_set, endog_name)

