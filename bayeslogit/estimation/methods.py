"""The estimation methods of a model spec: ``fit``, ``sample`` and the compiled samplers.

:class:`Estimable` is a :class:`~bayeslogit.spec.model_spec.ModelSpec` that compiles to an
estimate: :meth:`Estimable.fit` dispatches to :mod:`~bayeslogit.estimation.point` (MLE, MAP,
Laplace) and :meth:`Estimable.sample` to :mod:`~bayeslogit.estimation.posterior` (NUTS,
Gibbs, importance sampling), keeping the compiled samplers so that a NUTS model is compiled
once per data set. The :class:`bayeslogit.Logit` facade adds the constructors.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, overload

from ..checks import check_args
from ..spec.design import Design
from ..spec.model_spec import ModelSpec, PriorsArg
from ..validation import FitMethod, SamplerName, check_choice
from .arguments import SAMPLE_ARGUMENTS

if TYPE_CHECKING:
    import pymc as pm
    import xarray

    from ..results.draws import PosteriorResults
    from ..results.map import LaplaceResults, MAPResults
    from ..results.mle import MLEResults

__all__ = ["Estimable"]


class Estimable(ModelSpec):
    """A model spec with its estimators (the base of :class:`bayeslogit.Logit`).

    Parameters
    ----------
    design : Design
        The validated data.
    priors : Prior, dict of str to Prior, or None
        As for :class:`bayeslogit.Logit`.
    check_rank : bool
        As for :class:`bayeslogit.Logit`.
    """

    def __init__(self, design: Design, priors: PriorsArg = None,
                 check_rank: bool = True) -> None:
        super().__init__(design, priors, check_rank)
        # compiled samplers (the NUTS model), keyed by sampler name; shared with the models
        # with_priors() and with_data() derive from this one
        self._samplers: dict[str, Any] = {}

    # -- compiled samplers -------------------------------------------------------------
    @property
    def compiled_samplers(self) -> Mapping[str, Any]:
        """Return the samplers this model has compiled, by sampler name (read-only).

        The compiled samplers this model (and the models ``with_priors`` derived from it,
        which share them) has built, by sampler name, e.g. ``{"nuts": NutsSampler}``
        (read-only view; ``sample()`` fills it).
        """
        return MappingProxyType(self._samplers)

    # compiled samplers hold compiled code that cannot be pickled: a cache, dropped on
    # pickling and deepcopy and rebuilt by the next sample() that needs it
    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_samplers"] = {}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.__dict__.setdefault("_samplers", {})

    # -- estimation --------------------------------------------------------------------
    @overload
    def fit(self, method: Literal["mle"] = ..., **kwargs: Any) -> MLEResults: ...
    @overload
    def fit(self, method: Literal["map"], **kwargs: Any) -> MAPResults: ...
    @overload
    def fit(self, method: Literal["laplace"], **kwargs: Any) -> LaplaceResults: ...

    def fit(self, method: FitMethod = "mle",
            **kwargs: Any) -> MLEResults | MAPResults | LaplaceResults:
        r"""Fit a point estimate: the MLE, the posterior mode, or a Laplace approximation.

        Parameters
        ----------
        method : {"mle", "map", "laplace"}
            ``"mle"``: maximum likelihood by statsmodels-compatible Newton iterations
            (priors ignored). ``"map"``: the posterior mode under ``priors`` (Laplace priors:
            exact L1 solution with exact zeros; Jeffreys: Firth's bias-reduced estimate).
            ``"laplace"``: the Gaussian :math:`N(\hat\beta_{MAP}, H^{-1})` at the mode, with
            :math:`H` the Hessian of the negative log posterior, as draws. Case-insensitive.
        cov_type : {"nonrobust", "HC0", "HC1", "cluster"}
            MLE only; default "nonrobust" (the inverse Fisher information
            :math:`(X^\top W X)^{-1}`). "HC0" is White's sandwich, "HC1" scales it by
            n/(n-k) (statsmodels returns HC0 for HC1), "cluster" is cluster-robust with
            statsmodels' small-sample factor. Case-sensitive; "hc0", "hc1" accepted.
        cov_kwds : dict, optional
            MLE with ``cov_type="cluster"``: ``{"groups": labels}`` (one label per row of
            the data as given; dropped rows are dropped from it too) and optionally
            ``"use_correction": bool`` (default True).
        maxiter : int
            Iteration limit: 35 for the MLE (statsmodels'), 100 for MAP and Laplace.
        tol : float
            Default 1e-8. MLE: statsmodels' rule, stop when no coefficient moves by more
            than ``tol``; MAP: the same on the Newton step of the log posterior.
        ridge_factor : float
            MLE only: statsmodels' ridge added to a singular information (default 1e-10).
        start_params : array-like, shape (k,), optional
            MLE and MAP starting values, in the order of ``exog_names`` (zeros by default).
        check_separation : bool
            MLE only (default True): when fitted probabilities reach 0 or 1, test exactly
            for (quasi-)separation (a linear program) and warn.
        draws, chains : int
            Laplace only: draws per chain and chains of the approximation (1000, 4).
        random_seed : int, numpy Generator or None
            Laplace only: seed of the draws.

        Returns
        -------
        MLEResults, MAPResults or LaplaceResults
            By ``method``; ``result.options`` records the arguments (a frozen
            :class:`~bayeslogit.results.options.FitOptions`).

        Raises
        ------
        ValueError
            An unknown ``method`` or ``cov_type``, a bad ``cov_kwds``, a non-positive
            ``tol``, a negative ``maxiter``, ``start_params`` of the wrong length, or no
            Laplace approximation (singular Hessian at the mode).
        RankDeficiencyError
            ``method="mle"`` on collinear columns (the MLE is not identified).
        TypeError
            A keyword argument the method does not take.

        Warns
        -----
        ConvergenceWarning
            Newton stopped without meeting ``tol``, or the information is singular.
        PerfectSeparationWarning
            The data are (quasi-)separated: the MLE does not exist (use priors and
            ``method="map"``, or ``sample()``).

        See Also
        --------
        Logit.sample : The posterior by MCMC or importance sampling.

        References
        ----------
        .. [1] Seabold, S. and Perktold, J. (2010). "statsmodels: Econometric and statistical
           modeling with Python." Proc. 9th Python in Science Conference (``Logit.fit``:
           the Newton rule, the names and values this MLE reproduces).
        .. [2] White, H. (1980). "A heteroskedasticity-consistent covariance matrix estimator
           and a direct test for heteroskedasticity." Econometrica 48(4), 817-838 (HC0).
        .. [3] Cameron, A. C. and Miller, D. L. (2015). "A practitioner's guide to
           cluster-robust inference." Journal of Human Resources 50(2), 317-372.
        .. [4] Firth, D. (1993). "Bias reduction of maximum likelihood estimates."
           Biometrika 80(1), 27-38 (the Jeffreys-prior mode).
        .. [5] Gelman, A., Jakulin, A., Pittau, M. G. and Su, Y.-S. (2008). "A weakly
           informative default prior distribution for logistic and other regression
           models." Annals of Applied Statistics 2(4), 1360-1383.

        Examples
        --------
        >>> import numpy as np, bayeslogit as bl
        >>> X = np.column_stack([np.ones(8), [0.0, 1, 2, 3, 4, 5, 6, 7]])
        >>> model = bl.Logit([0, 0, 1, 0, 1, 0, 1, 1], X, priors=bl.Normal(0, 2.5))
        >>> model.fit(cov_type="HC0").params.round(3).tolist()
        [-2.079, 0.594]
        >>> model.fit(method="map").params.round(3).tolist()
        [-2.02, 0.577]
        """
        from . import point as fitting
        from .arguments import check_fit_kwargs

        methods = {"mle": fitting.fit_mle, "map": fitting.fit_map,
                   "laplace": fitting.fit_laplace}
        key = check_choice("method", method, FitMethod, call="model.fit", fold_case=True,
                           hint=" (or model.sample(...) for MCMC)")
        check_fit_kwargs(key, methods[key], kwargs, methods)
        if key == "mle":
            self._ensure_rank()  # the MAP solver checks the columns whose priors are flat
        return methods[key](self, **kwargs)

    def sample(self, draws: int = 1000, tune: int = 1000, chains: int = 4,
               sampler: SamplerName = "auto", random_seed: Any = None, progressbar: bool = True,
               **kwargs: Any) -> PosteriorResults:
        """Draw from the posterior under the model's priors.

        Parameters
        ----------
        draws : int
            Kept draws per chain (>= 1).
        tune : int
            Warm-up per chain (>= 0): NUTS adaptation, Gibbs burn-in; unused by "is".
        chains : int
            Chains (>= 1); importance sampling fills as many pseudo-chains.
        sampler : {"auto", "nuts", "gibbs", "is"}
            ``"nuts"``: PyMC's model compiled once per data set and run by nutpie.
            ``"gibbs"``: exact Polya-Gamma Gibbs (Normal, Laplace, StudentT, Cauchy, Flat
            priors). ``"is"``: Pareto-smoothed importance sampling from a multivariate t at
            the mode. ``"auto"``: importance sampling when its Pareto k-hat < 0.7 and its
            ESS suffices, else Gibbs for small binary data with supported priors, else NUTS;
            ``result.info["reason"]`` says why. Case-insensitive.
        random_seed : int, numpy Generator or None
            The same integer gives identical draws.
        progressbar : bool
            Show a progress bar (NUTS, Gibbs), and a message on standard error while NUTS
            compiles (the first NUTS fit of a model and of those ``with_priors`` and
            ``with_data`` derive from it).
        target_accept : float, optional
            NUTS step-size adaptation target (nutpie's default 0.8).
        **kwargs
            Passed to the sampler: NUTS ``maxdepth``, ``cores``; importance ``df`` (the t
            proposal's degrees of freedom, default 7), ``max_proposals``.

        Returns
        -------
        PosteriorResults
            Draws of shape (chain, draw, k); ``info`` holds the sampler's report (and the
            ``"auto"`` reason, the wall time), ``options`` the arguments and the sampler
            that ran.

        Raises
        ------
        ValueError
            Bad counts, an unknown ``sampler``; Flat priors on separated data (an improper
            posterior); a collinear design under improper priors.
        UnsupportedPriorError
            ``sampler="gibbs"`` with a prior it cannot update (e.g. Jeffreys).
        KeyboardInterrupt
            Ctrl-C: NUTS stops its chains and returns nothing (no partial draws); during a
            first NUTS call the interrupt takes effect once pymc is imported and the model
            compiled, so that later calls work.

        Warns
        -----
        SamplingWarning
            Divergent transitions or R-hat above 1.01 (NUTS, Gibbs).

        See Also
        --------
        Logit.fit : Point estimates and the Laplace approximation.

        References
        ----------
        .. [1] Hoffman, M. D. and Gelman, A. (2014). "The No-U-Turn sampler: adaptively
           setting path lengths in Hamiltonian Monte Carlo." JMLR 15, 1593-1623.
        .. [2] Polson, N. G., Scott, J. G. and Windle, J. (2013). "Bayesian inference for
           logistic models using Polya-Gamma latent variables." JASA 108(504), 1339-1349.
        .. [3] Park, T. and Casella, G. (2008). "The Bayesian lasso." JASA 103(482), 681-686
           (the Laplace prior as a scale mixture in the Gibbs sampler).
        .. [4] Vehtari, A., Simpson, D., Gelman, A., Yao, Y. and Gabry, J. (2024). "Pareto
           smoothed importance sampling." JMLR 25(72), 1-58.

        Examples
        --------
        >>> import numpy as np, bayeslogit as bl
        >>> X = np.column_stack([np.ones(8), [0.0, 1, 2, 3, 4, 5, 6, 7]])
        >>> model = bl.Logit([0, 0, 1, 0, 1, 0, 1, 1], X, priors=bl.Normal(0, 2.5))
        >>> post = model.sample(sampler="gibbs", random_seed=1, progressbar=False)
        >>> post.draws.shape
        (4, 1000, 2)
        """
        from .posterior import sample

        check_args(SAMPLE_ARGUMENTS, draws=draws, tune=tune, chains=chains, sampler=sampler,
                   random_seed=random_seed, progressbar=progressbar)
        if self.prior_set.flat_index.size:  # improper priors (Jeffreys: all flat) need rank
            self._ensure_rank()
        return sample(self, draws=draws, tune=tune, chains=chains, sampler=sampler,
                      random_seed=random_seed, progressbar=progressbar,
                      compiled=self._samplers, **kwargs)

    def to_pymc(self) -> pm.Model:
        """Build the PyMC model of this spec (for users who extend it).

        Returns
        -------
        pymc.Model
            Coefficients ``beta`` (dims ``coef``) and the likelihood of ``y``.
        """
        from ..engines.nuts import build_pymc_model

        d = self.design
        return build_pymc_model(d.X, d.y, d.offset, d.exog_names, self.prior_set,
                                endog_name=d.endog_name)

    def sample_prior_predictive(self, draws: int = 500,
                                random_seed: Any = None) -> xarray.DataTree:
        """Draw coefficients and y from the prior.

        Parameters
        ----------
        draws : int
            Number of draws (one chain).
        random_seed : int, numpy Generator or None
            Seed of the draws.

        Returns
        -------
        xarray.DataTree
            ``prior`` (``beta``, shape (1, draws, k)), ``prior_predictive`` (``y``, 0/1,
            shape (1, draws, n)) and ``observed_data``.

        Raises
        ------
        ValueError
            Improper (Flat) priors or the joint Jeffreys prior, which cannot be drawn from.
        """
        from .posterior import prior_predictive

        return prior_predictive(self, draws=draws, random_seed=random_seed)

