"""Build ArviZ DataTrees from coefficient draws, the same way for every inference method.

Every sampler (NUTS, Gibbs, importance sampling) and every approximation (Laplace, the
asymptotic normal of an MLE/MAP fit) produces coefficient draws of shape (chain, draw, k);
:func:`posterior_tree` turns them into a DataTree with the groups

* ``posterior``: ``beta`` with dims (chain, draw, coef);
* ``log_likelihood``: ``y`` with dims (chain, draw, obs), the pointwise Bernoulli
  log-likelihood (stored when chains x draws x n is at most ``max_elements``, see
  ``log_likelihood``; samplers leave it to the result's ``to_arviz``, which builds it with
  :func:`log_likelihood_group`);
* ``log_prior``: ``beta`` with dims (chain, draw, coef), per-coefficient log prior densities
  as documented in :mod:`bayeslogit.priors` (the intercept entry is the density of the
  centred intercept), or ``jeffreys`` (chain, draw) for the joint Jeffreys prior; absent when
  every prior is flat;
* ``observed_data`` (``y``) and ``constant_data`` (``X`` and ``offset``);
* ``sample_stats``: the sampler's statistics, plus ``lp`` (the unnormalised log posterior of
  each draw) when the sampler does not report it.

Computing the log-likelihood and log-prior in numpy from the draws keeps them identical
across methods and avoids recompiling PyMC functions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..blocks import loglike_sums, pointwise_loglike
from ..spec.counts import binomial_constants_obs
from ..spec.prior_set import PriorSet
from .pointwise import DEFAULT_MAX_ELEMENTS, fits

FloatArray = NDArray[np.float64]

__all__ = ["posterior_tree", "log_likelihood_group", "pointwise_loglike",
           "log_prior_terms", "observed_outcomes", "DEFAULT_MAX_ELEMENTS"]


def observed_outcomes(y: FloatArray, design: Any = None) -> NDArray[Any]:
    """Return the ``observed_data`` values of a response.

    Binomial counts (a ``design`` with trials) give the success counts as integers, whatever
    their values (rows of 0 or all successes included); a 0/1 response gives 0/1 as
    integers, so ArviZ's discrete predictive checks (pava, rootogram) apply; proportions
    without trials stay floats.
    """
    if design is not None and design.trials is not None:
        return design.successes.astype(np.int64)
    y = np.asarray(y)
    if np.all((y == 0) | (y == 1)):
        return y.astype(np.int8)
    return y


def log_prior_terms(
    beta: FloatArray, X: FloatArray, offset: FloatArray | None, prior_set: PriorSet,
    weights: FloatArray | None = None,
) -> dict[str, FloatArray] | None:
    """Compute the ``log_prior`` group's variables for draws ``beta``.

    The ``log_prior`` group's variables for draws ``beta`` (None when all priors are flat):
    :meth:`PriorSet.log_density_terms`, ``beta`` and/or the joint term (``jeffreys``).
    """
    return prior_set.log_density_terms(beta, X, offset, weights) or None


def posterior_tree(
    beta: FloatArray,
    X: FloatArray,
    y: FloatArray,
    offset: FloatArray | None,
    names: tuple[str, ...],
    prior_set: PriorSet | None,
    *,
    sample_stats: Mapping[str, FloatArray] | None = None,
    attrs: Mapping[str, Any] | None = None,
    log_likelihood: bool | str = "auto",
    max_elements: int = DEFAULT_MAX_ELEMENTS,
    extra_posterior: Mapping[str, FloatArray] | None = None,
    lp: bool = True,
    design: Any = None,
):
    """Assemble the DataTree for coefficient draws.

    Parameters
    ----------
    beta : ndarray, shape (chain, draw, k)
        Draws of the reported coefficients.
    X, y, offset : arrays
        The training design, response and offset (None for no offset).
    names : tuple of str
        Coefficient names (the ``coef`` coordinate).
    prior_set : PriorSet or None
        Priors for the ``log_prior`` group (None: no ``log_prior`` group, e.g. for an MLE).
    sample_stats : mapping, optional
        Arrays of shape (chain, draw) for the ``sample_stats`` group.
    attrs : mapping, optional
        Attributes for the ``posterior`` group (``inference_method``, ``sampler``, ...).
    log_likelihood : bool or "auto"
        Whether to store the pointwise log-likelihood; "auto" stores it when
        chains * draws * n <= ``max_elements`` (False leaves it to
        :func:`log_likelihood_group`).
    max_elements : int
        The size limit of "auto".
    extra_posterior : mapping, optional
        Further posterior variables of shape (chain, draw, ...), e.g. latent scales.
    lp : bool
        Whether to add ``sample_stats.lp`` (the unnormalised log posterior of each draw) when
        ``sample_stats`` lacks it; without a stored ``log_likelihood`` this is a pass over
        the data per draw.
    design : Design, optional
        For binomial counts and frequency weights (:mod:`bayeslogit.spec.counts`): the
        pointwise log-likelihood is then each aggregated row's (binomial coefficient
        included), so LOO leaves out one row (group) at a time, and ``observed_data`` holds
        the success counts, with ``trials`` and ``freq_weights`` in ``constant_data``.
    """
    import arviz_base as az  # the light part of ArviZ: no plotting imports

    beta = np.asarray(beta, dtype=float)
    if beta.ndim != 3 or beta.shape[-1] != len(names):
        raise ValueError(f"beta must have shape (chain, draw, {len(names)}), got {beta.shape}.")
    n = X.shape[0]
    data: dict[str, dict[str, Any]] = {"posterior": {"beta": beta}}
    if extra_posterior:
        data["posterior"].update(extra_posterior)
    store_ll = log_likelihood is True or (
        log_likelihood == "auto" and fits(beta.shape, n, max_elements))
    weights, const = count_terms(design)
    if store_ll:
        data["log_likelihood"] = {"y": pointwise_loglike(beta, X, y, offset, weights, const)}
    terms = log_prior_terms(beta, X, offset, prior_set, weights) if prior_set is not None \
        else None
    if terms is not None:
        data["log_prior"] = terms
    stats = dict(sample_stats or {})
    if lp and "lp" not in stats:
        # unnormalised log posterior of each draw, as samplers report it
        ll = data["log_likelihood"]["y"].sum(axis=-1) if store_ll else loglike_sums(
            beta, X, y, offset, weights) + (0.0 if const is None else const.sum())
        stats["lp"] = ll + (0.0 if terms is None else sum(
            v if v.ndim == 2 else v.sum(axis=-1) for v in terms.values()))
    if stats:
        data["sample_stats"] = stats
    data["observed_data"] = {"y": observed_outcomes(y, design)}
    data["constant_data"] = {
        "X": X,
        "offset": np.zeros(n) if offset is None else offset,
    }
    for key in ("trials", "freq_weights"):
        if design is not None and getattr(design, key) is not None:
            data["constant_data"][key] = getattr(design, key)
    dims = {"beta": ["coef"], "y": ["obs"], "X": ["obs", "coef"], "offset": ["obs"],
            "trials": ["obs"], "freq_weights": ["obs"],
            "tau2": ["coef"], "lambda": ["coef"]}
    coords = {"coef": list(names), "obs": np.arange(n)}
    group_attrs = {"posterior": dict(attrs or {})}
    return az.from_dict(data, dims=dims, coords=coords, attrs=group_attrs)


def count_terms(design: Any) -> tuple[FloatArray | None, FloatArray | None]:
    """Binomial weights and per-row log-coefficients of a design (None, None for 0/1 rows)."""
    if design is None or design.weights is None:
        return None, None
    return design.weights, binomial_constants_obs(design.y, design.trials, design.freq_weights)


def log_likelihood_group(beta: FloatArray, X: FloatArray, y: FloatArray,
                         offset: FloatArray | None, design: Any = None) -> Any:
    """Build the ``log_likelihood`` group: ``y`` with dims (chain, draw, obs).

    With a ``design`` of binomial counts / frequency weights each aggregated row's
    log-likelihood (binomial coefficient included).

    The whole chains x draws x n array is computed: callers decide whether it fits.
    """
    import arviz_base as az

    weights, const = count_terms(design)
    group = az.from_dict({"log_likelihood": {"y": pointwise_loglike(beta, X, y, offset, weights,
                                                                    const)}},
                         dims={"y": ["obs"]}, coords={"obs": np.arange(X.shape[0])})
    return group["log_likelihood"]
