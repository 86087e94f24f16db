"""Estimation on Dask data: the MLE, MAP, Laplace and importance sampling as passes.

What ``fit`` and ``sample`` call when the model's design is a
:class:`~bayeslogit.spec.dask_data.DaskDesign`. The iteration rules are the in-memory
engines' (:mod:`bayeslogit.engines.distributed`), so the numbers are the in-memory fit's.
Gibbs and NUTS need the rows at every step and are refused, naming the alternatives.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from ..conditioning import collinearity, collinearity_message, scaled_inverse
from ..engines import distributed as engine
from ..errors import ConvergenceWarning, DistributedDataError
from ..results.options import FitOptions
from ..spec.dask_data import is_dask

if TYPE_CHECKING:
    from ..results.distributed import DaskMAPResults, DaskMLEResults
    from ..results.draws import PosteriorResults
    from ..results.map import LaplaceResults
    from ..spec.model_spec import ModelSpec

__all__ = ["fit_mle", "fit_map", "fit_laplace", "sample", "refuse_sampler"]


def _inverse(info: np.ndarray) -> np.ndarray:
    inv, _ = scaled_inverse(info)
    return np.full_like(info, np.nan) if inv is None else inv


def _at_zero(model: ModelSpec) -> Any:
    """Return the evaluation at zero from the construction pass (None with an offset)."""
    d = model.design
    if d.score_at_zero is None:
        return None
    return engine.zero_evaluation(d.nobs, d.gram, d.score_at_zero)


def _group_blocks(model: ModelSpec, groups: Any) -> list[Any]:
    import dask.array as da

    d = model.design
    if not is_dask(groups):
        raise DistributedDataError(
            "On Dask data, cov_kwds['groups'] must be a Dask array or Series with one label per "
            "row, e.g. cov_kwds={'groups': df['firm']} (or .to_dask_array(lengths=True)).")
    if d.n_dropped:
        raise DistributedDataError(
            f"{d.n_dropped} rows were dropped for missing values, so the groups no longer "
            "line up with the rows: drop them first (df = df.dropna()) and rebuild the model.")
    g = groups.to_dask_array(lengths=True) if hasattr(groups, "to_dask_array") else \
        da.asarray(groups)
    if g.shape[0] != d.nobs:
        raise ValueError(f"groups has {g.shape[0]} labels but the model has {d.nobs} rows.")
    return list(g.rechunk((d.block_rows,)).to_delayed().ravel())


def _covariance(model: ModelSpec, cov_type: str, cov_kwds: Any, params: np.ndarray,
                info_inv: np.ndarray) -> tuple[np.ndarray, str]:
    from ..inference.covariance import covariance
    from ..validation import COV_TYPE_ALIASES, CovType, check_choice

    d = model.design
    n, k = d.nobs if d.freq_weights is None else d.total_weight, len(d.exog_names)
    known = str(cov_type) in ("nonrobust", "HC0", "HC1", "cluster", "hc0", "hc1")
    if not known or cov_type == "nonrobust":  # the in-memory checks and messages
        return covariance(cov_type, np.zeros((0, k)), np.zeros(0), np.zeros(0), info_inv,
                          cov_kwds)
    key = check_choice("cov_type", cov_type, CovType, call="model.fit",
                       aliases=COV_TYPE_ALIASES)
    if cov_kwds is not None and not isinstance(cov_kwds, dict):
        raise ValueError(f"cov_kwds must be a dict or None, got {type(cov_kwds).__name__}.")
    kwds = dict(cov_kwds or {})
    if key in ("HC0", "HC1"):
        if kwds:
            raise ValueError(f"heteroscedasticity robust covariance ({key}) does not use "
                             f"keywords; got cov_kwds {sorted(kwds)}. Drop cov_kwds.")
        if key == "HC1" and n <= k:
            raise ValueError(f"HC1 needs more observations (n={n}) than coefficients "
                             f"(k={k}) for its n/(n-k) factor; use 'HC0'.")
        cov = info_inv @ engine.score_crossproduct(d.blocks, params) @ info_inv
        return (cov * n / (n - k) if key == "HC1" else cov), key
    unknown = sorted(set(kwds) - {"groups", "use_correction"})
    if unknown:
        raise ValueError(f"Unknown cov_kwds {unknown} for cov_type='cluster'; allowed keys are "
                         "'groups' and 'use_correction'.")
    if kwds.get("groups") is None:
        raise ValueError("cov_type='cluster' needs cov_kwds={'groups': labels} with one "
                         "cluster label per observation (a Dask array or Series).")
    use_correction = kwds.get("use_correction", True)
    if not isinstance(use_correction, bool | np.bool_):
        raise ValueError(f"use_correction must be True or False, got {use_correction!r}.")
    S = engine.cluster_score_sums(d.blocks, params, _group_blocks(model, kwds["groups"]))
    G = S.shape[0]
    if G < 2:
        raise ValueError(f"cluster covariance needs at least 2 clusters; got {G}.")
    cov = info_inv @ (S.T @ S) @ info_inv
    if not use_correction:
        return cov, f"cluster (G={G}, no correction)"
    cov *= G / (G - 1) * (n - 1) / (n - k)
    return cov, f"cluster (G={G})"


def fit_mle(model: ModelSpec, cov_type: str = "nonrobust", cov_kwds: dict | None = None,
            maxiter: int = 35, tol: float = 1e-8, ridge_factor: float = 1e-10,
            start_params: Any = None, check_separation: bool = True) -> DaskMLEResults:
    """Fit the MLE by Newton passes (arguments as :func:`~bayeslogit.estimation.point.fit_mle`).

    The separation screen needs the rows, so on Dask data a fit that does not converge
    warns (naming separation as a possible cause) instead of running the exact test.
    """
    from ..results.distributed import DaskMLEResults

    d = model.design
    k = len(d.exog_names)
    start = None if start_params is None else np.asarray(start_params, dtype=float).ravel()
    if start is not None and (start.shape != (k,) or not np.all(np.isfinite(start))):
        raise ValueError(f"start_params must be {k} finite values for {list(d.exog_names)}; "
                         f"got {start_params!r}.")
    res = engine.fit_newton(d.blocks, d.nobs, k, at_zero=_at_zero(model), start=start,
                            maxiter=maxiter, tol=tol, ridge=ridge_factor)
    info_inv = _inverse(res.information)
    if not np.all(np.isfinite(info_inv)):
        cond, cols = collinearity(res.information, d.exog_names)
        warnings.warn(collinearity_message(cond, cols, "information X'WX at the estimate"),
                      ConvergenceWarning, stacklevel=3)
        res = replace(res, converged=False)
    elif not res.converged:
        warnings.warn(
            f"Newton stopped after {res.iterations} iterations without meeting tol={tol:g} "
            f"(last step {res.last_step:.3g}). On Dask data the exact separation test is not "
            "run; if coefficients grow without bound the data may be separated (use priors "
            f"and method='map'). Else raise maxiter: fit(maxiter={max(2 * maxiter, 100)}).",
            ConvergenceWarning, stacklevel=3)
    cov, description = _covariance(model, cov_type, cov_kwds, res.params, info_inv)
    options = FitOptions(method="mle", cov_type=cov_type, cov_kwds=cov_kwds, maxiter=maxiter,
                         tol=tol, ridge_factor=ridge_factor, start_params=start_params,
                         check_separation=check_separation)
    return DaskMLEResults(model, res, cov, cov_type, description, None, options)


def _solve_map(model: ModelSpec, prior_set: Any, start: Any, tol: float, maxiter: int) -> Any:
    d = model.design
    if prior_set.joint is not None:
        raise DistributedDataError(
            "The Jeffreys prior (Firth's estimate) needs the leverages of every row and is not "
            "available on Dask data; use normal priors (priors=bl.Normal(0, 2.5)) or fit "
            "in memory.")
    return engine.fit_map_blocks(d.blocks, d.nobs, d.gram, prior_set, start=start, tol=tol,
                                 maxiter=maxiter, at_zero=_at_zero(model))


def fit_map(model: ModelSpec, maxiter: int = 100, tol: float = 1e-8,
            start_params: Any = None) -> DaskMAPResults:
    """Find the posterior mode by passes (as :func:`~bayeslogit.estimation.point.fit_map`)."""
    from ..results.distributed import DaskMAPResults

    ps = model.prior_set
    start = None if start_params is None else np.asarray(start_params, dtype=float).ravel()
    res = _solve_map(model, ps, start, tol, maxiter)
    if start is None and not all(p.log_concave for p in ps.priors):
        proxy = ps.with_priors(p.log_concave_proxy() for p in ps.priors)
        warm = _solve_map(model, proxy, None, tol, maxiter)
        alt = _solve_map(model, ps, warm.params, tol, maxiter)
        if alt.converged and (not res.converged or alt.objective < res.objective - 1e-9):
            res = alt
    if not res.converged:
        warnings.warn(f"MAP solver did not converge: {res.message}", ConvergenceWarning,
                      stacklevel=3)
    options = FitOptions(method="map", maxiter=maxiter, tol=tol, start_params=start_params)
    return DaskMAPResults(model, res, options)


def _draws_tree(model: ModelSpec, beta: np.ndarray, sample_stats: dict | None,
                attrs: dict) -> Any:
    """Build the DataTree of draws without the rows (no observed or constant data)."""
    import arviz_base as az

    d = model.design
    ps = model.prior_set
    terms = ps.log_density_terms(beta, None, None) or {}
    stats = dict(sample_stats or {})
    if "lp" not in stats:
        flat = beta.reshape(-1, beta.shape[-1])
        ll = engine.loglik_sums(d.blocks, flat).reshape(beta.shape[:-1])
        stats["lp"] = ll + sum(v if v.ndim == 2 else v.sum(axis=-1) for v in terms.values())
    data = {"posterior": {"beta": beta}, "sample_stats": stats}
    if terms:
        data["log_prior"] = terms
    return az.from_dict(data, dims={"beta": ["coef"]}, coords={"coef": list(d.exog_names)},
                        attrs={"posterior": attrs})


def fit_laplace(model: ModelSpec, draws: int = 1000, chains: int = 4, random_seed: Any = None,
                maxiter: int = 100, tol: float = 1e-8) -> LaplaceResults:
    """Approximate the posterior by a Gaussian at the mode found by passes.

    The settings were checked by :func:`~bayeslogit.estimation.point.fit_laplace`.
    """
    from ..results.map import LaplaceResults
    from ..results.mode import asymptotic_draws

    if model.prior_set.any_laplace:
        raise DistributedDataError(
            "The Laplace approximation under Laplace (L1) priors draws the zero coefficients "
            "from their exact conditionals, which needs the rows; on Dask data use "
            "fit(method='map') or normal priors.")
    mode = fit_map(model, maxiter=maxiter, tol=tol)
    cov = _inverse(mode.mode.neg_hessian)
    if not np.all(np.isfinite(cov)):
        raise ValueError("There is no Laplace approximation: the Hessian of the negative log "
                         "posterior at the mode is singular. Use proper priors.")
    beta = asymptotic_draws(mode.mode.params, cov, chains, draws, random_seed)
    tree = _draws_tree(model, beta, None, {
        "inference_method": "laplace",
        "approximation": "Gaussian (Laplace) at the posterior mode"})
    options = FitOptions(method="laplace", draws=draws, chains=chains, random_seed=random_seed,
                         maxiter=maxiter, tol=tol)
    return LaplaceResults(model, mode, tree, options)


def refuse_sampler(name: str) -> None:
    """Raise the refusal of a sampler that needs the rows in memory.

    Raises
    ------
    DistributedDataError
        Always, naming the alternatives.
    """
    raise DistributedDataError(
        f"sampler={name!r} needs every row at every step and is not available on Dask data. "
        "Use model.sample(sampler='is') (importance sampling with the log-likelihoods "
        "computed per block), model.fit(method='laplace') or model.fit(method='map'); or, "
        "if the data fit in memory, build the model on data.compute().")


def sample(model: ModelSpec, draws: int = 1000, tune: int = 1000, chains: int = 4,
           sampler: str = "auto", random_seed: Any = None, progressbar: bool = True,
           **kwargs: Any) -> PosteriorResults:
    """Sample by importance sampling at the mode, the log-likelihoods summed per block.

    ``sampler`` "is" or "auto" (which is importance sampling here); "nuts" and "gibbs" are
    refused (:func:`refuse_sampler`).
    """
    from ..engines.importance import importance_sample
    from ..results.draws import PosteriorResults
    from ..validation import SamplerName, check_choice, check_count, check_seed

    key = check_choice("sampler", sampler, SamplerName, call="model.sample", fold_case=True)
    if key in ("nuts", "gibbs"):
        refuse_sampler(key)
    draws = check_count("draws", draws, 1, example=1000)
    chains = check_count("chains", chains, 1, example=4)
    random_seed = check_seed(random_seed)
    unknown = sorted(set(kwargs) - {"df", "max_proposals"})
    if unknown:
        raise TypeError(f"model.sample(sampler='is') on Dask data takes df and max_proposals, "
                        f"not {unknown}.")
    start = time.perf_counter()
    mode = fit_map(model)
    ps = model.prior_set
    blocks = model.design.blocks

    def log_post(beta: np.ndarray) -> np.ndarray:
        out = engine.loglik_sums(blocks, beta) + ps.log_density(beta, None, None)
        out[~np.isfinite(out)] = -np.inf
        return out

    drawn = importance_sample(None, None, None, ps, draws=draws, chains=chains,
                              random_seed=random_seed, mode=mode.mode, posterior_fn=log_post,
                              **kwargs)
    info = dict(drawn.info)
    info["wall_time"] = time.perf_counter() - start
    if key == "auto":
        info["reason"] = "Dask data: importance sampling (Gibbs and NUTS need the rows)"
    attrs = {k: v for k, v in info.items()
             if isinstance(v, int | float | str) and not isinstance(v, bool)}
    attrs.update(inference_method="posterior", sampler=info["sampler"])
    tree = _draws_tree(model, drawn.beta, drawn.sample_stats, attrs)
    options = FitOptions(method="posterior", draws=draws, tune=None, chains=chains,
                         sampler="is", random_seed=random_seed, sampler_kwargs=kwargs)
    return PosteriorResults(model, tree, info, options)
