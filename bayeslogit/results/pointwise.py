r"""The pointwise log-likelihood on demand, in blocks: PSIS-LOO and power scaling at any n.

A posterior of S = chains x draws coefficient vectors on n observations has S x n pointwise
log-likelihood values :math:`\ell_{si} = y_i\eta_{si} - \log(1+e^{\eta_{si}})`; at n = 50,000
and S = 4000 that is 1.6 GB. Nothing here stores them whole:

* **PSIS-LOO** is computed one observation at a time (the smoothed importance weights of
  observation i depend only on :math:`\ell_{\cdot i}`), so :func:`blocked_loo` evaluates
  the log-likelihood for a block of observations, hands it to arviz-stats' PSIS (the same
  accessor :func:`arviz_stats.loo` uses), keeps the n pointwise ``elpd_i``, ``p_loo_i`` and
  Pareto k values, and aggregates them with arviz-stats' ``loo_summary``: the numbers are
  ArviZ's own, not an approximation.
* **Power scaling** of the likelihood only needs :math:`\sum_i \ell_{si}` per draw (ArviZ
  sums the ``log_likelihood`` group over observations before weighting), a (chain, draw)
  array accumulated over blocks of draws (:func:`~bayeslogit.blocks.loglike_sums`).

Extra memory is one block (about :data:`LOO_BLOCK_ELEMENTS` values and ArviZ's temporaries
for it) plus O(n) for the pointwise results.
"""

from __future__ import annotations

import gc
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..blocks import loglike_sums, pointwise_loglike

FloatArray = NDArray[np.float64]

#: default of the ``max_elements`` keyword of ``to_arviz``: pointwise groups (chains x draws x
#: n values) are built into the tree while they have at most this many values (160 MB)
DEFAULT_MAX_ELEMENTS = 20_000_000
#: (draw, observation) values per block of the blocked PSIS-LOO (16 MB)
LOO_BLOCK_ELEMENTS = 2**21
SAMPLE_DIMS = ["chain", "draw"]

__all__ = ["DEFAULT_MAX_ELEMENTS", "LOO_BLOCK_ELEMENTS", "fits", "loglik_blocks",
           "relative_ess", "blocked_loo", "power_scaling_tree"]


def fits(beta_shape: tuple[int, ...], n: int, max_elements: int) -> bool:
    """Whether chains * draws * n is at most ``max_elements``."""
    return int(np.prod(beta_shape[:-1])) * n <= max_elements


def loglik_blocks(beta: FloatArray, X: FloatArray, y: FloatArray, offset: FloatArray | None,
                  rows: int, weights: FloatArray | None = None,
                  const: FloatArray | None = None) -> Iterator[tuple[slice, FloatArray]]:
    """Yield ``(obs slice, log-likelihood of shape (chain, draw, rows))`` block by block.

    ``weights`` (trials times frequency weights) and ``const`` (per-row binomial
    log-coefficients) make each value an aggregated row's binomial log-likelihood.
    """
    def part(v: FloatArray | None, sl: slice) -> FloatArray | None:
        return None if v is None else v[sl]

    for start in range(0, X.shape[0], rows):
        sl = slice(start, min(start + rows, X.shape[0]))
        yield sl, pointwise_loglike(beta, X[sl], y[sl], part(offset, sl), part(weights, sl),
                                    part(const, sl))


def relative_ess(tree: Any) -> float:
    """Relative efficiency ``r_eff`` exactly as :func:`arviz_stats.loo` computes it.

    The mean "mean" ESS over every posterior variable divided by chains x draws; 1 for a
    single chain.
    """
    import arviz_stats  # noqa: F401 - registers the ``azstats`` accessor

    post = tree["posterior"]
    n_samples = post.sizes["chain"] * post.sizes["draw"]
    if post.sizes["chain"] == 1:
        return 1.0
    ess = post.to_dataset().azstats.ess(method="mean")
    return float(np.hstack([ess[v].values.flatten() for v in ess.data_vars]).mean() / n_samples)


def blocked_loo(tree: Any, beta: FloatArray, X: FloatArray, y: FloatArray,
                offset: FloatArray | None, *, pointwise: bool | None = None,
                reff: float | None = None, block_elements: int = LOO_BLOCK_ELEMENTS,
                weights: FloatArray | None = None, const: FloatArray | None = None) -> Any:
    """PSIS-LOO with the pointwise log-likelihood evaluated block by block.

    Parameters
    ----------
    tree : xarray.DataTree
        The result's tree (its ``posterior`` group gives ``reff`` as ArviZ computes it).
    beta : ndarray, shape (chain, draw, k)
        The coefficient draws.
    X, y, offset : arrays
        The training design, response and offset (None for none).
    weights, const : arrays, optional
        Binomial counts / frequency weights (see :func:`loglik_blocks`): LOO then leaves out
        one aggregated row at a time.
    pointwise : bool, optional
        Keep ``elpd_i`` and ``pareto_k`` in the result; ArviZ's default
        (``rcParams["stats.ic_pointwise"]``) when None.
    reff : float, optional
        Relative MCMC efficiency; computed from the posterior as ArviZ does when None.
    block_elements : int
        (draw, observation) values per block.

    Returns
    -------
    arviz_stats.utils.ELPDDataLOO
        ArviZ's result type with ArviZ's numbers (``elpd``, ``se``, ``p``, ``warning``,
        ``good_k``, and ``elpd_i`` / ``pareto_k`` over ``obs`` when pointwise). Its
        ``log_weights`` is None: the smoothed weights have chains x draws x n values.
    """
    import xarray as xr
    from arviz_base import rcParams
    from arviz_stats.utils import ELPDDataLOO

    c, d, _ = beta.shape
    n = X.shape[0]
    n_samples = c * d
    if reff is None:
        reff = relative_ess(tree)
    rows = max(1, block_elements // n_samples)
    elpd = np.empty(n)
    khat = np.empty(n)
    p_loo = np.empty(n)
    for sl, ll in loglik_blocks(beta, X, y, offset, rows, weights, const):
        da = xr.DataArray(ll, dims=[*SAMPLE_DIMS, "obs"])
        e_i, k_i, p_i = da.azstats.loo(sample_dims=SAMPLE_DIMS, r_eff=reff)
        elpd[sl], khat[sl], p_loo[sl] = e_i.values, k_i.values, p_i.values
        del da, e_i, k_i, p_i
        # xarray/ArviZ leave reference cycles holding the block's temporaries; collect the
        # young generations so that memory stays at one block, not several
        gc.collect(1)
    coords = {"obs": np.arange(n)}
    elpd_i = xr.DataArray(elpd, dims=["obs"], coords=coords)
    pareto_k = xr.DataArray(khat, dims=["obs"], coords=coords)
    total, se, p, _ = elpd_i.azstats.loo_summary(xr.DataArray(p_loo, dims=["obs"],
                                                              coords=coords))
    # arviz-stats' rule for its Pareto k warning, with its message
    good_k = min(1 - 1 / np.log10(n_samples), 0.7) if n_samples > 1 else 0.7
    warn = bool(np.any(khat > good_k))
    if warn:
        warnings.warn(
            f"Estimated shape parameter of Pareto distribution is greater than {good_k:.2f} "
            "for one or more samples. You should consider using a more robust model, this is "
            "because importance sampling is less likely to work well if the marginal "
            "posterior and LOO posterior are very different.", UserWarning, stacklevel=3)
    pointwise = rcParams["stats.ic_pointwise"] if pointwise is None else pointwise
    return ELPDDataLOO(elpd=total, se=se, p=p, n_samples=n_samples, n_data_points=n,
                       scale="log", warning=warn, good_k=good_k,
                       elpd_i=elpd_i if pointwise else None,
                       pareto_k=pareto_k if pointwise else None,
                       approx_posterior=False, log_weights=None)


def power_scaling_tree(tree: Any, beta: FloatArray, X: FloatArray, y: FloatArray,
                       offset: FloatArray | None, weights: FloatArray | None = None) -> Any:
    r"""Copy ``tree`` shallowly, with ``log_likelihood`` the per-draw sum.

    ``log_likelihood.y`` has dims (chain, draw): :math:`\sum_i \ell_{si}`, all that
    ArviZ's power scaling of the likelihood uses (it sums the group over observations),
    computed in blocks of draws.
    """
    import arviz_base as az

    out = tree.copy()
    total = az.from_dict({"log_likelihood": {"y": loglike_sums(beta, X, y, offset, weights)}})
    out["log_likelihood"] = total["log_likelihood"]
    return out
