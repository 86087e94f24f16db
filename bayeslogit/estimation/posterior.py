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
    otherwise Gibbs when every prior is supported, the data are small enough for Gibbs to
    win (``GIBBS_MAX_NOBS``) and every binomial weight (trials x freq_weights) is within the
    range of its exact Polya-Gamma draws; otherwise NUTS. The choice and the reason are recorded in
    ``result.info`` and printed.
"""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Callable, Mapping, MutableMapping
from typing import TYPE_CHECKING, Any

import numpy as np

from ..engines.outputs import Draws
from ..errors import DataWarning, UnsupportedPriorError
from ..spec.dask_data import is_dask
from ..spec.model_spec import ModelSpec
from ..validation import SamplerName, check_choice, check_count, check_seed
from .arguments import auto_candidates, check_sampler_kwargs

if TYPE_CHECKING:
    from ..results.draws import PosteriorResults

__all__ = ["sample", "choose_sampler", "prior_predictive", "SAMPLERS", "GIBBS_MAX_NOBS"]

#: the warning and report note for a fractional response sampled without trials
QUASI_NOTE = ("Fractional response without trials: the posterior uses the Bernoulli "
              "quasi-likelihood, each row counting as one trial, so it is too wide if the "
              "proportions are successes out of several trials. Pass the counts instead: "
              "bl.Logit.from_formula('successes ~ x', data, trials='n').")

#: above this many observations ``auto`` prefers NUTS to Gibbs: Gibbs reaches 1000 effective
#: draws sooner than a first NUTS call (compilation included) up to n = 5000 and later from
#: n = 10000 (``benchmarks/crossover.py``, k = 10; see README)
GIBBS_MAX_NOBS = 5000

#: guards the creation of a model family's compiled NUTS sampler
_CACHE_LOCK = threading.Lock()


def _with_target_accept(kwargs: Mapping[str, Any],
                        target_accept: float | None) -> dict[str, Any]:
    return {**kwargs, **({} if target_accept is None else {"target_accept": target_accept})}


def _nuts(model: ModelSpec, *, draws: int, tune: int, chains: int, random_seed: Any,
          progressbar: bool, target_accept: float | None,
          compiled: MutableMapping[str, Any] | None, **kw: Any) -> Draws:
    from ..engines.nuts import NutsSampler

    check_sampler_kwargs("nuts", _with_target_accept(kw, target_accept))
    d = model.design
    cache: MutableMapping[str, Any] = {} if compiled is None else compiled
    with _CACHE_LOCK:  # two threads starting at once build one sampler, not two
        sampler = cache.get("nuts")
        if sampler is None:
            sampler = NutsSampler(d.X, d.y, d.offset, d.exog_names, model.prior_set,
                                  endog_name=d.endog_name, weights=d.weights)
            sampler.source = d
            cache["nuts"] = sampler
    # the cache is shared by models with other priors (with_priors) and other rows
    # (with_data): always pass this model's priors and data; the sampler loads the data
    # unless they are the ones it holds (the same design), and binds them to this call only
    return sampler.sample(draws=draws, tune=tune, chains=chains, random_seed=random_seed,
                          progressbar=progressbar, target_accept=target_accept,
                          prior_set=model.prior_set, X=d.X, y=d.y,
                          offset=np.zeros(d.nobs) if d.offset is None else d.offset,
                          weights="none" if d.weights is None else d.weights, source=d,
                          **kw)


def _gibbs(model: ModelSpec, *, draws: int, tune: int, chains: int, random_seed: Any,
           progressbar: bool, target_accept: float | None,
           compiled: MutableMapping[str, Any] | None, **kw: Any) -> Draws:
    from ..engines.gibbs import gibbs_sample

    check_sampler_kwargs("gibbs", _with_target_accept(kw, target_accept))
    d = model.design
    return gibbs_sample(d.X, d.y, d.offset, model.prior_set, draws=draws, tune=tune,
                        chains=chains, random_seed=random_seed, progressbar=progressbar,
                        weights=d.weights)


def _importance(model: ModelSpec, *, draws: int, tune: int, chains: int, random_seed: Any,
                progressbar: bool, target_accept: float | None,
                compiled: MutableMapping[str, Any] | None, **kw: Any) -> Draws:
    from ..engines.importance import importance_sample

    check_sampler_kwargs("is", _with_target_accept(kw, target_accept))
    d = model.design
    return importance_sample(d.X, d.y, d.offset, model.prior_set, draws=draws, chains=chains,
                             random_seed=random_seed, weights=d.weights, **kw)


#: the samplers by name; each takes the model and the keyword arguments of :func:`sample`
#: (``draws, tune, chains, random_seed, progressbar, target_accept, compiled`` and the
#: sampler's own) and returns :class:`~bayeslogit.engines.outputs.Draws`
SAMPLERS: dict[str, Callable[..., Draws]] = {"nuts": _nuts, "gibbs": _gibbs,
                                             "is": _importance}


def sample(model: ModelSpec, draws: int = 1000, tune: int = 1000, chains: int = 4,
           sampler: SamplerName = "auto", random_seed: Any = None, progressbar: bool = True,
           target_accept: float | None = None, compiled: MutableMapping[str, Any] | None = None,
           **sampler_kwargs: Any) -> PosteriorResults:
    """Draw from the posterior of ``model`` and wrap the draws as a result.

    Parameters
    ----------
    draws, tune, chains : int
        Kept draws per chain, warm-up (NUTS adaptation / Gibbs burn-in) per chain, chains.
        Importance sampling has no warm-up: it ignores ``tune`` and its ``options.tune`` is
        None.
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

    Returns
    -------
    PosteriorResults
        With ``info`` (the sampler's report plus ``reason`` for "auto" and ``wall_time``)
        and ``options`` (the sampler that ran and these arguments).

    Raises
    ------
    ValueError
        Bad counts or sampler name; Flat priors on separated data (improper posterior).
    """
    from ..results.draws import PosteriorResults
    from ..results.options import FitOptions

    if is_dask(model.design.X):
        from .distributed import sample as sample_blocks

        return sample_blocks(model, draws=draws, tune=tune, chains=chains, sampler=sampler,
                             random_seed=random_seed, progressbar=progressbar,
                             **_with_target_accept(sampler_kwargs, target_accept))
    draws = check_count("draws", draws, 1, example=1000)
    tune = check_count("tune", tune, 0, example=1000)
    chains = check_count("chains", chains, 1, example=4)
    random_seed = check_seed(random_seed)
    key = check_choice("sampler", sampler, SamplerName, call="model.sample", fold_case=True)
    given = check_sampler_kwargs(key, _with_target_accept(sampler_kwargs, target_accept))
    candidates = auto_candidates(given) if key == "auto" else (key,)
    d = model.design
    _check_proper_posterior(model)
    if d.quasi:
        warnings.warn(QUASI_NOTE, DataWarning, stacklevel=3)
    start = time.perf_counter()
    reason = drawn = None
    if key == "auto":
        key, reason, drawn = choose_sampler(model, draws, chains, random_seed,
                                            candidates=candidates, kwargs=given)
    target_accept = given.get("target_accept")
    sampler_kwargs = {k: v for k, v in given.items() if k != "target_accept"}
    if drawn is None:
        drawn = SAMPLERS[key](model, draws=draws, tune=tune, chains=chains,
                              random_seed=random_seed, progressbar=progressbar,
                              target_accept=target_accept, compiled=compiled,
                              **sampler_kwargs)
    info = dict(drawn.info)
    info["notes"] = list(info.get("notes", [])) + ([QUASI_NOTE] if d.quasi else [])
    if reason is not None:
        info["reason"] = reason
    info["wall_time"] = time.perf_counter() - start
    attrs = {k: v for k, v in info.items()
             if isinstance(v, int | float | str) and not isinstance(v, bool)}
    attrs.update(inference_method="posterior", sampler=info["sampler"])

    def build_tree() -> Any:
        # on first use (summary, print, to_arviz): a first fit pays only for its draws
        from ..results.datatree import posterior_tree

        return posterior_tree(drawn.beta, d.X, d.y, d.offset, d.exog_names, model.prior_set,
                              design=d, sample_stats=drawn.sample_stats, attrs=attrs,
                              extra_posterior=drawn.latent,
                              log_likelihood=False)  # added by to_arviz() on first use

    # importance sampling has no warm-up: record that no tune was used, as for the CLI
    options = FitOptions(method="posterior", draws=draws, tune=None if key == "is" else tune,
                         chains=chains, sampler=key, random_seed=random_seed,
                         target_accept=target_accept,
                         sampler_kwargs=sampler_kwargs)
    result = PosteriorResults(model, build_tree, info, options, beta=drawn.beta)
    if key in ("nuts", "gibbs"):
        result.warn_if_unreliable()
    return result


def _check_proper_posterior(model: ModelSpec) -> None:
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


def choose_sampler(model: ModelSpec, draws: int, chains: int, random_seed: Any, *,
                   candidates: tuple[str, ...] = ("is", "gibbs", "nuts"),
                   kwargs: Mapping[str, Any] | None = None) -> tuple[str, str, Draws | None]:
    """Choose the sampler ``sampler="auto"`` runs, and say why.

    Importance sampling is tried first; its draws are kept when accepted (k-hat below
    :data:`~bayeslogit.engines.importance.KHAT_THRESHOLD`, enough importance ESS). Otherwise
    Gibbs when every prior has a Gibbs update, y is 0/1, n <= :data:`GIBBS_MAX_NOBS` and
    every binomial weight is at most :data:`~bayeslogit.engines.pg.PG_MAX_SHAPE`;
    otherwise NUTS. Only the samplers in ``candidates`` are considered: those that take every
    sampler keyword given (:func:`~bayeslogit.estimation.arguments.auto_candidates`).

    Parameters
    ----------
    model : ModelSpec
        The model to sample.
    draws, chains : int
        As for :func:`sample`.
    random_seed : int, numpy Generator or None
        Seed of the importance sampler.
    candidates : tuple of str
        The samplers that may be chosen, in ``("is", "gibbs", "nuts")``.
    kwargs : mapping, optional
        Sampler keywords (checked), passed to importance sampling when it is tried.

    Returns
    -------
    name : {"is", "gibbs", "nuts"}
        The chosen sampler.
    reason : str
        Why, in words (stored as ``info["reason"]`` and printed).
    draws : Draws or None
        The importance sampler's draws when it was chosen (nothing to run again), else None.
    """
    from ..engines.importance import KHAT_THRESHOLD

    d = model.design
    kwargs = dict(kwargs or {})
    tried = ""
    if "is" in candidates:
        try:
            drawn = _importance(model, draws=draws, tune=0, chains=chains,
                                random_seed=random_seed, progressbar=False,
                                target_accept=None, compiled=None, **kwargs)
            khat, ess = drawn.info["khat"], drawn.info["ess_is"]
            if drawn.info["accepted"]:
                return "is", (f"importance sampling accepted: k-hat {khat:.2f} < "
                              f"{KHAT_THRESHOLD}, importance ESS {ess:.0f}"), drawn
            tried = (f"importance sampling rejected (k-hat {khat:.2f}, importance ESS "
                     f"{ess:.0f}); ")
        except (np.linalg.LinAlgError, UnsupportedPriorError, ValueError) as exc:
            tried = f"importance sampling unavailable ({exc}); "
        if candidates == ("is",):
            names = sorted(kwargs)
            raise ValueError(
                f"sampler='auto' was given {names}, which only importance sampling takes, but "
                f"{tried.rstrip('; ')}. Drop {names} so that 'auto' can fall back to Gibbs "
                "or NUTS, or keep the importance draws anyway: model.sample(sampler='is', "
                "...).")
    # what is left includes NUTS: Gibbs has no keyword of its own
    if "gibbs" not in candidates:
        return "nuts", tried + f"NUTS: the only sampler that takes {sorted(kwargs)}", None
    from ..engines.gibbs import gibbs_supported  # not needed when importance sampling wins
    from ..engines.pg import pg_shapes_supported

    ok, why = gibbs_supported(model.prior_set)
    shapes_ok, shapes_why = pg_shapes_supported(d.weights)
    if ok and not d.quasi and d.nobs <= GIBBS_MAX_NOBS and shapes_ok:
        return "gibbs", tried + f"Gibbs: all priors supported and n <= {GIBBS_MAX_NOBS}", None
    why_not = why if not ok else ("fractional y" if d.quasi else
                                  f"n > {GIBBS_MAX_NOBS}" if d.nobs > GIBBS_MAX_NOBS
                                  else shapes_why)
    return "nuts", tried + f"NUTS: Gibbs not chosen ({why_not})", None


def prior_predictive(model: ModelSpec, draws: int = 500, random_seed: Any = None):
    """Draw coefficients and responses from the prior.

    DataTree with ``prior`` (``beta``) and ``prior_predictive`` (``y``) groups, drawn in
    numpy from the priors (improper priors raise ValueError naming the coefficients).
    """
    import arviz_base as az  # the light part of ArviZ: no plotting imports

    from ..results.datatree import observed_outcomes
    from ..results.predictive import prior_draws, simulate_outcomes

    draws = check_count("draws", draws, 1, example=500)
    random_seed = check_seed(random_seed)
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
    beta = prior_draws(ps, 1, draws, rng)
    y = simulate_outcomes(beta, d.X, d.offset, rng, trials=d.trials)
    return az.from_dict({"prior": {"beta": beta}, "prior_predictive": {"y": y},
                         "observed_data": {"y": observed_outcomes(d.y, d)}},
                        dims={"beta": ["coef"], "y": ["obs"]},
                        coords={"coef": list(d.exog_names), "obs": np.arange(d.nobs)})
