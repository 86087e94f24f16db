"""Point estimation for a model spec: MLE, MAP and the Laplace approximation.

These functions are what ``Logit.fit(method=...)`` calls.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..checks import check_array_like, check_bool
from ..conditioning import collinearity, collinearity_message, scaled_inverse
from ..engines.newton import newton_mle
from ..errors import ConvergenceWarning, InvalidArgumentError, PerfectSeparationWarning
from ..logistic import expit
from ..results.options import FitOptions
from ..spec.columns import align_groups
from ..spec.dask_data import DaskDesign
from ..validation import CovType, check_choice, check_count, check_seed

if TYPE_CHECKING:
    from ..results.map import LaplaceResults, MAPResults
    from ..results.mle import MLEResults
    from ..spec.model_spec import ModelSpec

__all__ = ["fit_mle", "fit_map", "fit_laplace", "check_settings", "check_start"]

#: largest log-likelihood gain one more Newton step may promise at a converged MLE; at a
#: real optimum it is ~1e-16 or less, so this only catches a stopping rule met too early
_MAX_GAIN = 1e-6


def _mean_weight(weights: np.ndarray | None) -> float:
    """Return the mean row weight (at least 1).

    The log-likelihood, and so the gain one more Newton step may promise, scale with it,
    while the MLE does not (constant weights leave it unchanged).
    """
    return 1.0 if weights is None or not len(weights) else max(1.0, float(np.mean(weights)))


def _inverse(info: np.ndarray) -> np.ndarray:
    inv, _ = scaled_inverse(info)
    return np.full_like(info, np.nan) if inv is None else inv


def check_settings(**settings: Any) -> dict[str, Any]:
    """Check solver settings up front, naming the argument and its value.

    ``tol`` must be positive and finite; ``ridge_factor`` non-negative and finite;
    ``maxiter`` an integer >= 0; ``draws`` and ``chains`` integers >= 1 (counts as
    :func:`~bayeslogit.validation.check_count`); ``random_seed`` a seed
    (:func:`~bayeslogit.validation.check_seed`).

    Returns
    -------
    dict
        The settings, counts as ``int``.

    Raises
    ------
    ValueError
    """
    out: dict[str, Any] = {}
    for name, value in settings.items():
        if name in ("tol", "ridge_factor"):
            number = isinstance(value, int | float | np.integer | np.floating)
            v = float(value) if number else np.nan
            low_ok = v > 0 if name == "tol" else v >= 0
            if isinstance(value, bool) or not (np.isfinite(v) and low_ok):
                need = "a positive finite number" if name == "tol" else "a finite number >= 0"
                default = "1e-8" if name == "tol" else "1e-10"
                raise ValueError(f"{name} must be {need}, got {value!r}; the default is "
                                 f"{name}={default}.")
            out[name] = value
        elif name == "random_seed":
            out[name] = check_seed(value)
        else:
            low, example = _COUNTS[name]
            out[name] = check_count(name, value, low, example=example)
    return out


def check_start(start_params: Any, names: Any) -> np.ndarray | None:
    """Return ``start_params`` as k finite floats in the order of ``names``, or None.

    Raises
    ------
    InvalidArgumentError
        Not an array of numbers (a string, a dict, ...).
    ValueError
        The wrong number of values, or values that are not finite.
    """
    if start_params is None:
        return None
    names = list(names)
    example = f"start_params=np.zeros({len(names)})"
    check_array_like("start_params", start_params, remedy=f"e.g. {example}")
    if isinstance(start_params, pd.Series) and set(start_params.index) == set(names):
        start_params = start_params.reindex(names)
    try:
        start = np.asarray(start_params, dtype=float).ravel()
    except (TypeError, ValueError):
        raise InvalidArgumentError(
            f"start_params must be {len(names)} numbers (one per coefficient {names}), got "
            f"{start_params!r}; e.g. {example}.") from None
    if start.shape[0] != len(names):
        raise ValueError(f"start_params has {start.shape[0]} values; the model has "
                         f"{len(names)} coefficients {names}; e.g. {example}.")
    if not np.all(np.isfinite(start)):
        raise ValueError(f"start_params must be finite, got {start.tolist()}; e.g. {example}.")
    return start


#: lowest value and an example of each count setting
_COUNTS = {"maxiter": (0, 100), "draws": (1, 1000), "chains": (1, 4)}


def _suspect_separation(eta: np.ndarray, converged: bool) -> bool:
    """Tell whether the fit is worth testing exactly for separation.

    Cheap screen before the exact LP. Under (quasi-)separation the MLE does not exist and
    Newton cannot meet its tolerance, so a converged fit is only re-checked when some fitted
    probability is pinned at 0 or 1 (|eta| > 30, i.e. within 1e-13).
    """
    return (not converged) or bool(np.max(np.abs(eta), initial=0.0) > 30.0)


def _no_separation_on_subset(X, y, eta, names, rows_per_coef=10):
    """Prove non-separation on a subset of rows, if that suffices.

    Exact shortcut: if the cone {b: s_i x_i'b >= 0, i in S} is {0} for a subset S of rows
    (LP optimum 0 and X_S of full column rank), the full data are not separated either, since
    more rows only add constraints. S = the rows fitted least confidently. Returns the
    'not separated' report, or None when the subset proves nothing.
    """
    from ..engines.separation import detect_separation

    n, k = X.shape
    m = rows_per_coef * k
    if m >= n // 2:
        return None
    idx = np.argpartition(-np.abs(eta), -m)[-m:]  # smallest |eta|
    Xs = X[idx]
    if np.linalg.matrix_rank(Xs / np.maximum(np.abs(Xs).max(axis=0), 1e-300)) < k:
        return None
    report = detect_separation(Xs, y[idx], names)
    return None if report.separated else report


def fit_mle(
    model: ModelSpec,
    cov_type: str = "nonrobust",
    cov_kwds: dict[str, Any] | None = None,
    maxiter: int = 35,
    tol: float = 1e-8,
    ridge_factor: float = 1e-10,
    start_params: Any = None,
    check_separation: bool = True,
) -> MLEResults:
    """Maximum likelihood by statsmodels-compatible Newton iterations.

    Parameters
    ----------
    cov_type : {"nonrobust", "HC0", "HC1", "cluster"}
        Covariance of the estimates; "cluster" needs ``cov_kwds={"groups": g}``.
    maxiter, tol, ridge_factor : statsmodels' Newton settings (35, 1e-8, 1e-10).
    start_params : array-like, optional
        Starting values (zeros by default).
    check_separation : bool
        When fitted probabilities reach 0 or 1, test exactly for (quasi-)separation and warn
        with :class:`~bayeslogit.errors.PerfectSeparationWarning`.

    Warns
    -----
    PerfectSeparationWarning, ConvergenceWarning
    """
    from ..engines.separation import detect_separation
    from ..inference.covariance import covariance
    from ..results.mle import MLEResults

    maxiter = check_settings(maxiter=maxiter, tol=tol, ridge_factor=ridge_factor)["maxiter"]
    check_separation = check_bool("check_separation", check_separation, call="model.fit")
    if not isinstance(cov_type, str):
        check_choice("cov_type", cov_type, CovType, call="model.fit")
    if cov_kwds is not None and not isinstance(cov_kwds, Mapping):
        raise InvalidArgumentError(f"cov_kwds must be a dict, not {cov_kwds!r:.60}; e.g. "
                                   "model.fit(cov_type='cluster', cov_kwds={'groups': g}).")
    start = check_start(start_params, model.exog_names)
    if isinstance(model.design, DaskDesign):
        from . import distributed

        return distributed.fit_mle(model, cov_type, cov_kwds, maxiter, tol, ridge_factor,
                                   start_params, check_separation)
    d = model.design
    res = newton_mle(d.X, d.y, d.offset, start=start, maxiter=maxiter, tol=tol,
                     ridge=ridge_factor, weights=d.weights)
    eta = res.eta  # the engine's, offset included
    separation = None
    if check_separation and _suspect_separation(eta, res.converged):
        separation = _no_separation_on_subset(d.X, d.y, eta, d.exog_names)
        if separation is None:
            separation = detect_separation(d.X, d.y, d.exog_names)
        if separation.separated:
            warnings.warn(separation.message(), PerfectSeparationWarning, stacklevel=3)
    info_inv = _inverse(res.information)
    finite = bool(np.all(np.isfinite(res.params)) and np.isfinite(res.llf))
    singular = not np.all(np.isfinite(info_inv))
    if separation is not None and separation.separated:
        # the MLE does not exist; the separation warning names cause and remedy
        res = replace(res, converged=False)
    elif singular and finite:
        p_hat = expit(eta)
        cond, cols = collinearity(res.information, d.exog_names, d.X, p_hat * (1 - p_hat)
                                  * (1.0 if d.weights is None else d.weights))
        warnings.warn(collinearity_message(cond, cols, "information X'WX at the estimate")
                      + " (Also try check_separation=True if it was off.)"
                      * (not check_separation), ConvergenceWarning, stacklevel=3)
        res = replace(res, converged=False)
    elif not res.converged:
        warnings.warn(
            f"Newton stopped after {res.iterations} iterations without meeting tol={tol:g}: "
            f"the last step still moved a coefficient by {res.last_step:.3g}"
            + ("" if finite else " and the log-likelihood is not finite")
            + f". Raise maxiter (e.g. fit(maxiter={max(2 * maxiter, 100)})) or start "
            "closer: fit(start_params=...).", ConvergenceWarning, stacklevel=3)
    elif finite and (gain := 0.5 * float(res.score @ info_inv @ res.score)) > _MAX_GAIN * (
            _mean_weight(d.weights)):
        # the step rule was met, but the score is not zero: a huge ridge_factor or tol
        warnings.warn(
            f"The stopping rule was met after {res.iterations} iterations, but one more Newton "
            f"step would still raise the log-likelihood by {gain:.3g}, so this is not the MLE: "
            f"tol={tol!r} or ridge_factor={ridge_factor!r} is too large. Use the defaults: "
            "fit(tol=1e-8, ridge_factor=1e-10).", ConvergenceWarning, stacklevel=3)
        res = replace(res, converged=False)
    p = expit(eta)
    if str(cov_type).lower() == "cluster" and isinstance(cov_kwds, dict) and \
            cov_kwds.get("groups") is not None:
        cov_kwds = {**cov_kwds, "groups": align_groups(cov_kwds["groups"], d.row_labels,
                                                        d.n_dropped)}
    cov, description = covariance(cov_type, d.X, d.y, p, info_inv, cov_kwds, d.trials,
                                  d.freq_weights)
    if res.converged and not np.all(np.isfinite(np.diag(cov))):
        warnings.warn(f"The {description} covariance is not finite at the estimate, so it is "
                      "not reported as converged; use cov_type='nonrobust'.",
                      ConvergenceWarning, stacklevel=3)
        res = replace(res, converged=False)
    options = FitOptions(method="mle", cov_type=cov_type, cov_kwds=cov_kwds, maxiter=maxiter,
                         tol=tol, ridge_factor=ridge_factor, start_params=start_params,
                         check_separation=check_separation)
    return MLEResults(model, res, cov, cov_type, description, separation, options)


def fit_map(model: ModelSpec, maxiter: int = 100, tol: float = 1e-8,
            start_params: Any = None) -> MAPResults:
    """Posterior mode under the model's priors.

    Smooth priors: Newton on the log posterior. Laplace priors: an exact L1 solver (exact
    zeros; standard errors as statsmodels' L1 results, NaN for zeros). Jeffreys: Firth's
    bias-reduced estimate with standard errors from the inverse Fisher information.
    StudentT and Cauchy priors make the log posterior non-concave: the solver starts from
    zero and from the mode under normal priors of the same scales and keeps the better mode
    (a global optimum is not guaranteed).
    """
    from ..engines.map import fit_map as solve_map
    from ..results.map import MAPResults

    maxiter = check_settings(maxiter=maxiter, tol=tol)["maxiter"]
    start = check_start(start_params, model.exog_names)
    if isinstance(model.design, DaskDesign):
        from . import distributed

        return distributed.fit_map(model, maxiter, tol, start_params)
    d = model.design
    ps = model.prior_set
    res = solve_map(d.X, d.y, d.offset, ps, start=start, tol=tol, maxiter=maxiter,
                    weights=d.weights)
    if start is None and not all(p.log_concave for p in ps.priors):
        # heavy-tailed priors make the log posterior non-concave: also start from the mode
        # under normal priors of the same scales and keep the better mode
        proxy = ps.with_priors(p.log_concave_proxy() for p in ps.priors)
        warm = solve_map(d.X, d.y, d.offset, proxy, tol=tol, maxiter=maxiter,
                         weights=d.weights)
        alt = solve_map(d.X, d.y, d.offset, ps, start=warm.params, tol=tol, maxiter=maxiter,
                        weights=d.weights)
        if alt.converged and (not res.converged or alt.objective < res.objective - 1e-9):
            res = alt
    if not res.converged:
        warnings.warn(f"MAP solver did not converge: {res.message}", ConvergenceWarning,
                      stacklevel=3)
    if not ps.proper:  # flat priors do not keep a separated fit finite
        from ..engines.separation import detect_separation

        eta = d.X @ res.params + (0 if d.offset is None else d.offset)
        if _suspect_separation(eta, res.converged):
            report = detect_separation(d.X, d.y, d.exog_names)
            if report.separated:
                warnings.warn(report.message() + " Some coefficients here have Flat priors, "
                              "which do not fix this.", PerfectSeparationWarning, stacklevel=3)
    options = FitOptions(method="map", maxiter=maxiter, tol=tol, start_params=start_params)
    return MAPResults(model, res, options)


def fit_laplace(model: ModelSpec, draws: int = 1000, chains: int = 4, random_seed: Any = None,
                maxiter: int = 100, tol: float = 1e-8) -> LaplaceResults:
    r"""Approximate the posterior by a Gaussian at its mode (the Laplace approximation).

    Gaussian approximation at the posterior mode: :math:`N(\hat\beta_{MAP}, H^{-1})` with
    :math:`H` the Hessian of the negative log posterior, represented by draws of shape
    (chains, draws) so it compares and plots like a posterior.

    Under Laplace (L1) priors the coefficients exactly at their kink have no prior curvature;
    they are drawn from their exact one-dimensional conditional instead, and the Gaussian
    covers only the others (:mod:`bayeslogit.engines.laplace_draws`).

    Raises
    ------
    ValueError
        Invalid ``draws``, ``chains``, ``maxiter`` or ``tol``; or no approximation exists
        (singular Hessian at the mode: the message says to sample instead).
    """
    from ..results.datatree import posterior_tree
    from ..results.map import LaplaceResults
    from ..results.mode import asymptotic_draws

    checked = check_settings(draws=draws, chains=chains, maxiter=maxiter, tol=tol,
                             random_seed=random_seed)
    draws, chains, maxiter = checked["draws"], checked["chains"], checked["maxiter"]
    if isinstance(model.design, DaskDesign):
        from . import distributed

        return distributed.fit_laplace(model, draws, chains, random_seed, maxiter, tol)
    mode = fit_map(model, maxiter=maxiter, tol=tol)
    d = model.design
    ps = model.prior_set
    params = mode.mode.params
    if ps.any_laplace:
        from ..engines.laplace_draws import l1_laplace_draws

        beta = l1_laplace_draws(d.X, d.y, d.offset, ps, params, chains, draws, random_seed,
                                weights=d.weights)
    else:
        hess = mode.mode.neg_hessian  # the MAP engine's, at the mode
        cov = _inverse(hess)
        if not np.all(np.isfinite(cov)):
            cond, cols = collinearity(hess, d.exog_names)
            raise ValueError(
                "There is no Laplace approximation: "
                + collinearity_message(cond, cols, "Hessian of the negative log posterior at "
                                       "the mode") + " Or sample the posterior: model.sample().")
        beta = asymptotic_draws(params, cov, chains, draws, random_seed)
    tree = posterior_tree(beta, d.X, d.y, d.offset, d.exog_names, ps, design=d,
                          attrs={"inference_method": "laplace",
                                 "approximation": "Gaussian (Laplace) at the posterior mode"})
    options = FitOptions(method="laplace", draws=draws, chains=chains, random_seed=random_seed,
                         maxiter=maxiter, tol=tol)
    return LaplaceResults(model, mode, tree, options)
