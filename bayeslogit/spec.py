"""The model specification: data, formula state, offset and priors. No numerics here.

``Logit`` holds one validated :class:`~bayeslogit.design.Design` and the user's priors; its
methods compile the spec to an estimate: :meth:`Logit.fit` (MLE, MAP, Laplace approximation,
computed by :mod:`bayeslogit.fitting`) and :meth:`Logit.sample` (NUTS, Gibbs or importance
sampling, run by :mod:`bayeslogit.sampling`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from .design import Design, design_from_arrays, design_from_formula
from .design import check_rank as _check_full_rank
from .prior_set import PriorSet, resolve_priors
from .priors import Prior

if TYPE_CHECKING:
    import pymc as pm

__all__ = ["Logit"]

PriorsArg = Prior | Mapping[str, Prior] | None


class Logit:
    """Binary (or fractional) logistic regression: one spec, several estimators.

    Parameters
    ----------
    endog : array-like, shape (n,)
        Response, 0/1 (bool and 0/1 integers accepted) or proportions in [0, 1].
    exog : array-like, shape (n, k)
        Design matrix. No constant is added (as statsmodels): include a column of ones for an
        intercept. pandas column names are kept; numpy input is named ``const``, ``x1``, ...
    offset : array-like, shape (n,), optional
        Known term added to the linear predictor.
    missing : {"none", "drop", "raise"}
        NaN policy. "none" and "raise" raise a :class:`~bayeslogit.errors.MissingDataError`
        that locates the NaN; "drop" drops incomplete rows. Infinite values always raise.
    check_rank : bool
        Raise :class:`~bayeslogit.errors.RankDeficiencyError`, naming the collinear columns,
        when ``exog`` lacks full column rank.
    priors : Prior, dict of str to Prior, or None
        Priors for MAP, Laplace and sampling (ignored by the MLE); see :mod:`bayeslogit.priors`
        for the defaults and for where the intercept prior applies.
    """

    def __init__(
        self,
        endog: Any,
        exog: Any,
        offset: Any = None,
        missing: str = "none",
        check_rank: bool = True,
        priors: PriorsArg = None,
        *,
        _design: Design | None = None,
    ) -> None:
        self.design = _design if _design is not None else design_from_arrays(
            endog, exog, offset, missing)
        self.check_rank = check_rank
        if check_rank:
            _check_full_rank(self.design.X, self.design.exog_names)
        self.priors = priors
        self._prior_set: PriorSet | None = None
        self._samplers: dict[str, Any] = {}

    @classmethod
    def from_formula(
        cls,
        formula: str,
        data: pd.DataFrame,
        priors: PriorsArg = None,
        missing: str = "drop",
        offset: Any = None,
        check_rank: bool = True,
    ) -> Logit:
        """Build the model from a formula such as ``"y ~ x1 + C(g)"`` (formulaic syntax).

        The intercept is named ``Intercept``. ``offset`` is an array aligned with ``data``'s
        rows or a column name. Rows with NaN are dropped by default (``missing="drop"``).
        The encoding state is kept so ``predict(new_raw_data)`` re-encodes new data exactly as
        in training; a categorical level unseen in training raises
        :class:`~bayeslogit.errors.UnseenLevelError`.
        """
        design = design_from_formula(formula, data, offset=offset, missing=missing)
        return cls(None, None, priors=priors, check_rank=check_rank, _design=design)

    # -- names -------------------------------------------------------------------------
    @property
    def exog_names(self) -> list[str]:
        return list(self.design.exog_names)

    @property
    def endog_name(self) -> str:
        return self.design.endog_name

    @property
    def nobs(self) -> int:
        return self.design.nobs

    @property
    def formula(self) -> str | None:
        return self.design.formula

    # -- priors ------------------------------------------------------------------------
    @property
    def prior_set(self) -> PriorSet:
        """The priors resolved for this design (defaults filled in, autoscaling applied)."""
        if self._prior_set is None:
            d = self.design
            self._prior_set = resolve_priors(self.priors, d.exog_names, d.X, d.intercept_index)
        return self._prior_set

    def with_priors(self, priors: PriorsArg) -> Logit:
        """A new model on the same data with other priors (the data are shared, not copied)."""
        other = Logit(None, None, priors=priors, check_rank=False, _design=self.design)
        other._samplers = self._samplers  # compiled samplers are shared across prior settings
        return other

    def prior_summary(self, print_summary: bool = True) -> pd.DataFrame:
        """Print and return the prior of every coefficient, with autoscaled values shown."""
        table = self.prior_set.table()
        if print_summary:
            print(f"Priors for {self.endog_name} ~ {' + '.join(self.exog_names)}")
            print(table.to_string())
            if self.prior_set.intercept_index is not None and not self.prior_set.jeffreys:
                print("The intercept prior applies to the centred intercept (log-odds at the "
                      "predictor means); the reported intercept is the raw one.")
        return table

    # -- estimation --------------------------------------------------------------------
    def fit(self, method: str = "mle", **kwargs: Any):
        """Point estimates: ``"mle"`` (statsmodels-compatible Newton), ``"map"`` (posterior
        mode under the priors) or ``"laplace"`` (Gaussian approximation at the mode).

        See :func:`bayeslogit.fitting.fit_mle`, :func:`~bayeslogit.fitting.fit_map` and
        :func:`~bayeslogit.fitting.fit_laplace` for the keyword arguments.
        """
        from . import fitting

        methods = {"mle": fitting.fit_mle, "map": fitting.fit_map,
                   "laplace": fitting.fit_laplace}
        key = str(method).lower()
        if key not in methods:
            raise ValueError(f"method={method!r} not understood; use one of {list(methods)} "
                             "(or model.sample(...) for MCMC).")
        return methods[key](self, **kwargs)

    def sample(self, draws: int = 1000, tune: int = 1000, chains: int = 4,
               sampler: str = "auto", random_seed: Any = None, progressbar: bool = True,
               **kwargs: Any):
        """Sample the posterior with ``sampler`` in {"auto", "nuts", "gibbs", "is"}.

        See :func:`bayeslogit.sampling.sample` for details.
        """
        from .sampling import sample

        return sample(self, draws=draws, tune=tune, chains=chains, sampler=sampler,
                      random_seed=random_seed, progressbar=progressbar, **kwargs)

    def to_pymc(self) -> pm.Model:
        """The PyMC model of this spec (for users who extend it)."""
        from .backends.pymc import build_pymc_model

        d = self.design
        return build_pymc_model(d.X, d.y, d.offset, d.exog_names, self.prior_set,
                                endog_name=d.endog_name)

    def sample_prior_predictive(self, draws: int = 500, random_seed: Any = None):
        """Draws of coefficients and y from the prior, as a DataTree (``prior``,
        ``prior_predictive``)."""
        from .sampling import prior_predictive

        return prior_predictive(self, draws=draws, random_seed=random_seed)

    def __repr__(self) -> str:
        lhs = self.formula or f"{self.endog_name} ~ {' + '.join(self.exog_names)}"
        return f"<bayeslogit.Logit {lhs!r}, nobs={self.nobs}>"

