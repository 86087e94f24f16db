"""Posterior sampling for a :class:`~bayeslogit.model.Logit`: the ``sample()`` dispatcher.

Samplers
--------
``"nuts"``
    PyMC model compiled once per spec with nutpie; later calls (other draws, seeds, prior
    hyper-parameters of the same families) reuse the compiled model.
``"gibbs"``
    Exact Polya-Gamma Gibbs sampler (Normal, Laplace, StudentT, Cauchy, Flat priors).
``"is"``
    Pareto-smoothed importance sampling from a multivariate-t proposal at the mode.
``"auto"`` (default)
    Importance sampling when its Pareto k-hat < 0.7 and its ESS supports the requested draws;
    otherwise Gibbs when every prior is supported and the data are small enough for Gibbs to
    win (``GIBBS_MAX_NOBS``); otherwise NUTS. The choice and the reason are recorded in
    ``result.info`` and printed.
"""

from __future__ import annotations

import time
from collections.abc import MutableMapping
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import UnsupportedPriorError
from ..spec.model_spec import ModelLike

if TYPE_CHECKING:
    from ..results.draws import PosteriorResults

__all__ = ["sample", "prior_predictive", "SAMPLERS", "GIBBS_MAX_NOBS"]

SAMPLERS = ("auto", "nuts", "gibbs", "is")
#: above this many observations ``auto`` prefers NUTS to Gibbs: Gibbs reaches 1000 effective
#: draws sooner than a first NUTS call (compilation included) up to n = 5000 and later from
#: n = 10000 (``benchmarks/crossover.py``, k = 10; see README)
GIBBS_MAX_NOBS = 5000


def _check_counts(draws: int, tune: int, chains: int) -> None:
    for name, val, low in (("draws", draws, 1), ("tune", tune, 0), ("chains", chains, 1)):
        if int(val) != val or val < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {val!r}.")


def _nuts(model: ModelLike, compiled: MutableMapping[str, Any], draws, tune, chains,
          random_seed, progressbar, target_accept, **kw):
    from ..engines.nuts import NutsSampler

    d = model.design
    sampler = compiled.get("nuts")
    if sampler is None:
        sampler = NutsSampler(d.X, d.y, d.offset, d.exog_names, model.prior_set,
                              endog_name=d.endog_name)
        compiled["nuts"] = sampler
    out = sampler.sample(draws=draws, tune=tune, chains=chains, random_seed=random_seed,
                         progressbar=progressbar, target_accept=target_accept,
                         prior_set=model.prior_set, **kw)
    info = {"sampler": out.sampler, "sampling_time": out.sampling_time,
            "compile_time": out.compile_time, "tune": out.tune}
    return out.beta, out.sample_stats, info, None


def _gibbs(model: ModelLike, draws, tune, chains, random_seed, progressbar, **kw):
    from ..engines.gibbs import gibbs_sample

    d = model.design
    if kw:
        raise TypeError(f"Unknown arguments for the Gibbs sampler: {sorted(kw)}.")
    out = gibbs_sample(d.X, d.y, d.offset, model.prior_set, draws=draws, tune=tune,
                       chains=chains, random_seed=random_seed, progressbar=progressbar)
    info = {"sampler": "gibbs (Polya-Gamma)", "sampling_time": out.sampling_time,
            "tune": out.tune}
    return out.beta, None, info, out.latent or None


def _importance(model: ModelLike, draws, chains, random_seed, **kw):
    from ..engines.importance import importance_sample

    d = model.design
    out = importance_sample(d.X, d.y, d.offset, model.prior_set, draws=draws, chains=chains,
                            random_seed=random_seed, **kw)
    info = {"sampler": "importance (PSIS)", "sampling_time": out.sampling_time,
            "khat": float(out.khat), "ess_is": float(out.ess),
            "n_proposals": int(out.n_proposals), "notes": list(out.notes)}
    return out.beta, out.sample_stats, info, None, out


def sample(model: ModelLike, draws: int = 1000, tune: int = 1000, chains: int = 4,
           sampler: str = "auto", random_seed: Any = None, progressbar: bool = True,
           target_accept: float | None = None, compiled: MutableMapping[str, Any] | None = None,
           **sampler_kwargs: Any) -> PosteriorResults:
    """Draw from the posterior of ``model`` and wrap the draws as a result.

    Parameters
    ----------
    draws, tune, chains : int
        Kept draws per chain, warm-up (NUTS adaptation / Gibbs burn-in) per chain, chains.
    sampler : {"auto", "nuts", "gibbs", "is"}
        See the module docstring.
    random_seed : int or numpy Generator, optional
        Makes runs reproducible.
    progressbar : bool
        Show a progress bar.
    target_accept : float, optional
        NUTS target acceptance rate.
    compiled : dict, optional
        Cache of compiled samplers, kept by the caller (the ``Logit`` facade keeps one per
        data set) so that a NUTS model is compiled once; a fresh one compiles anew.
    **sampler_kwargs
        Passed to the sampler (e.g. NUTS ``maxdepth``; importance ``df``).
    """
    from ..results.datatree import posterior_tree
    from ..results.draws import PosteriorResults

    _check_counts(draws, tune, chains)
    key = str(sampler).lower()
    if key not in SAMPLERS:
        raise ValueError(f"sampler={sampler!r} not understood; use one of {list(SAMPLERS)}.")
    d = model.design
    _check_proper_posterior(model)
    start = time.perf_counter()
    reason = drawn = None
    if key == "auto":
        key, reason, drawn = _auto_choice(model, draws, chains, random_seed)
    if drawn is None and key == "nuts":
        cache = {} if compiled is None else compiled
        drawn = _nuts(model, cache, draws, tune, chains, random_seed, progressbar,
                      target_accept, **sampler_kwargs)
    elif drawn is None and key == "gibbs":
        drawn = _gibbs(model, draws, tune, chains, random_seed, progressbar, **sampler_kwargs)
    elif drawn is None:
        drawn = _importance(model, draws, chains, random_seed, **sampler_kwargs)[:4]
    beta, stats, info, latent = drawn
    if reason is not None:
        info["reason"] = reason
    info["wall_time"] = time.perf_counter() - start
    info.setdefault("notes", [])
    attrs = {"inference_method": "posterior", "sampler": info["sampler"]}
    attrs.update({k: v for k, v in info.items() if isinstance(v, int | float | str)})
    tree = posterior_tree(beta, d.X, d.y, d.offset, d.exog_names, model.prior_set,
                          sample_stats=stats, attrs=attrs, extra_posterior=latent,
                          log_likelihood=False)  # added by to_arviz() on first use
    result = PosteriorResults(model, tree, info)
    if key in ("nuts", "gibbs"):
        result.warn_if_unreliable()
    return result


def _check_proper_posterior(model: ModelLike) -> None:
    """With Flat priors on separated data the posterior is improper: refuse to sample it."""
    ps = model.prior_set
    if ps.proper:
        return
    from ..engines.separation import detect_separation

    d = model.design
    report = detect_separation(d.X, d.y, d.exog_names)
    if report.separated:
        raise ValueError(report.message() + " With Flat priors the posterior is improper, so "
                         "it cannot be sampled: give the coefficients proper priors.")


def _auto_choice(model: ModelLike, draws: int, chains: int, random_seed: Any):
    """Pick the sampler for ``sampler="auto"``: returns (sampler, reason, draws), the draws
    being the importance sampler's when it was accepted, else None."""
    from ..engines.gibbs import gibbs_supported
    from ..engines.importance import KHAT_THRESHOLD

    d = model.design
    try:
        *drawn, out = _importance(model, draws, chains, random_seed)
        if out.accepted:
            return "is", (f"importance sampling accepted: k-hat {out.khat:.2f} < "
                          f"{KHAT_THRESHOLD}, importance ESS {out.ess:.0f}"), tuple(drawn)
        tried = (f"importance sampling rejected (k-hat {out.khat:.2f}, importance ESS "
                 f"{out.ess:.0f}); ")
    except (np.linalg.LinAlgError, UnsupportedPriorError, ValueError) as exc:
        tried = f"importance sampling unavailable ({exc}); "
    ok, why = gibbs_supported(model.prior_set)
    if ok and d.binary and d.nobs <= GIBBS_MAX_NOBS:
        return "gibbs", tried + f"Gibbs: all priors supported and n <= {GIBBS_MAX_NOBS}", None
    why_not = why if not ok else ("fractional y" if not d.binary else
                                  f"n > {GIBBS_MAX_NOBS}")
    return "nuts", tried + f"NUTS: Gibbs not chosen ({why_not})", None


def prior_predictive(model: ModelLike, draws: int = 500, random_seed: Any = None):
    """DataTree with ``prior`` (``beta``) and ``prior_predictive`` (``y``) groups, drawn in
    numpy from the priors (improper priors raise ValueError naming the coefficients)."""
    import arviz_base as az  # the light part of ArviZ: no plotting imports

    ps = model.prior_set
    d = model.design
    if ps.joint is not None:
        raise ValueError(f"The joint {ps.joint.describe()} prior cannot be drawn from "
                         "directly; prior predictive draws need per-coefficient proper priors "
                         "such as bl.Normal(0, 2.5).")
    improper = [ps.names[j] for j in ps.flat_index]
    if improper:
        raise ValueError(f"Improper (Flat) priors on {improper}: cannot draw from the prior. "
                         "Give them proper priors, e.g. bl.Normal(0, 2.5).")
    rng = np.random.default_rng(random_seed)
    theta = np.stack([p.rvs((1, draws), rng) for p in ps.priors], axis=-1)
    beta = ps.from_working(theta)
    eta = beta @ d.X.T + (0 if d.offset is None else d.offset)
    y = (rng.random(eta.shape) < 1 / (1 + np.exp(-eta))).astype(np.int8)
    return az.from_dict({"prior": {"beta": beta}, "prior_predictive": {"y": y},
                         "observed_data": {"y": d.y}},
                        dims={"beta": ["coef"], "y": ["obs"]},
                        coords={"coef": list(d.exog_names), "obs": np.arange(d.nobs)})
