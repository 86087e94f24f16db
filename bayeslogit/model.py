"""The model specification: data, formula state, offset and priors. No numerics here.

``Logit`` holds one validated :class:`~bayeslogit.design.Design` and the user's priors; its
methods compile the spec to an estimate: :meth:`Logit.fit` (MLE, MAP, Laplace approximation,
computed by :mod:`bayeslogit.fitting`) and :meth:`Logit.sample` (NUTS, Gibbs or importance
sampling, run by :mod:`bayeslogit.sampling`).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import pandas as pd

from .conditioning import check_magnitudes
from .spec.design import Design, design_from_arrays
from .spec.formula import design_from_formula
from .spec.prior_set import PriorSet, resolve_priors
from .spec.priors import Prior
from .validation import FitMethod, MissingPolicy, check_choice

if TYPE_CHECKING:
    import pymc as pm

__all__ = ["Logit"]

PriorsArg = Prior | Mapping[str, Prior] | None


class Logit:
    """Binary (or fractional) logistic regression: one spec, several estimators.

    Parameters
    ----------
    endog : array-like, shape (n,)
        Response: 0/1 numbers, bool, nullable ``Int64``/``boolean`` (``pd.NA`` is missing),
        or proportions in [0, 1]. A categorical or string response needs ``event``.
    exog : array-like, shape (n, k)
        Design matrix. No constant is added (as statsmodels): include a column of ones for an
        intercept. pandas column names are kept (and matched by name at predict); numpy input
        is named ``const`` (the first all-ones column), ``x1``, ``x2``, ... as statsmodels.
    offset : array-like, shape (n,), optional
        Known term added to the linear predictor. pandas ``endog`` and ``offset`` are aligned
        to ``exog``'s index when the labels match as a set.
    missing : {"none", "drop", "raise"}
        Missing-value policy (NaN, None, ``pd.NA``). "none" and "raise" raise a
        :class:`~bayeslogit.errors.MissingDataError` naming the columns and index labels;
        "drop" drops incomplete rows and records them (:attr:`dropped_rows`). Infinite values
        always raise.
    check_rank : bool
        Raise :class:`~bayeslogit.errors.RankDeficiencyError`, naming the collinear columns,
        when ``exog`` lacks full column rank. With ``priors`` given the check waits for a fit
        that needs it (the MLE, or improper priors).
    priors : Prior, dict of str to Prior, or None
        Priors for MAP, Laplace and sampling (ignored by the MLE); see :mod:`bayeslogit.priors`
        for the defaults and for where the intercept prior applies.
    event : scalar, optional
        The response value coded 1, e.g. ``event="Yes"``: the model is for P(y = event).

    Raises
    ------
    ValueError
        Non-numeric columns, a response outside [0, 1], shapes that do not match.
    ColumnMismatchError
        pandas indexes that do not match as sets, duplicate column names.
    MissingDataError
        Missing values under ``missing="none"`` or ``"raise"``, infinite values.
    RankDeficiencyError
        Collinear columns (see ``check_rank``).
    """

    def __init__(
        self,
        endog: Any,
        exog: Any,
        offset: Any = None,
        missing: MissingPolicy = "none",
        check_rank: bool = True,
        priors: PriorsArg = None,
        *,
        event: Any = None,
        _design: Design | None = None,
    ) -> None:
        self.design = _design if _design is not None else design_from_arrays(
            endog, exog, offset, missing, event=event)
        # magnitudes are checked whatever check_rank says: no engine can use such columns
        check_magnitudes(self.design.X, self.design.exog_names)
        self.check_rank = check_rank
        self._rank_checked = not check_rank
        if check_rank and priors is None:
            self._ensure_rank()
        self._priors = priors
        self._prior_set: PriorSet | None = None
        # compiled samplers (the NUTS model), keyed by sampler name; shared with the models
        # with_priors() derives from this one (see with_priors)
        self._samplers: dict[str, Any] = {}

    @classmethod
    def from_formula(
        cls,
        formula: str,
        data: pd.DataFrame,
        priors: PriorsArg = None,
        missing: MissingPolicy = "drop",
        offset: Any = None,
        check_rank: bool = True,
        event: Any = None,
    ) -> Logit:
        """Build the model from a formula such as ``"y ~ x1 + C(g)"`` (formulaic syntax).

        Parameters
        ----------
        formula : str
            ``"y ~ x1 + C(g)"``; the intercept is named ``Intercept``. A term
            ``offset(expr)`` (R's spelling) is an offset, read again from new data at predict.
        data : DataFrame
            Raw columns; string, category, bool and nullable dtypes are accepted.
        priors, check_rank
            As for :class:`Logit`.
        missing : {"drop", "raise", "none"}
            Rows with a missing value in any column the formula reads (NaN, None, ``pd.NA``,
            in any dtype) are dropped by default; "raise" and "none" raise naming them.
        offset : str or array-like, optional
            A column name (stored with the model and read from new data at predict) or an
            array aligned with ``data``'s rows (a Series is aligned on the index).
        event : scalar, optional
            The level of a categorical or string response coded 1, e.g. ``event="Yes"``.

        Returns
        -------
        Logit
            The model; ``predict(new_raw_data)`` re-encodes new data exactly as in training.

        Raises
        ------
        ValueError
            An unparsable formula, a categorical response without ``event``.
        MissingDataError
            Missing values under ``missing="raise"`` or ``"none"``.
        """
        design = design_from_formula(formula, data, offset=offset, missing=missing,
                                     event=event)
        return cls(None, None, priors=priors, check_rank=check_rank, _design=design)

    @classmethod
    def from_design(cls, design: Design, priors: PriorsArg = None,
                    check_rank: bool = False) -> Logit:
        """The model for an already validated :class:`~bayeslogit.spec.design.Design`.

        Parameters
        ----------
        design : Design
            Validated data (``model.design`` of another model, or one read from a file).
        priors : Prior, dict of str to Prior, or None
            As for :class:`Logit`.
        check_rank : bool
            As for :class:`Logit` (off by default: the design was checked when it was made).

        Returns
        -------
        Logit
        """
        return cls(None, None, priors=priors, check_rank=check_rank, _design=design)

    def _ensure_rank(self) -> None:
        if not self._rank_checked:
            self.design.check_full_rank()
            self._rank_checked = True

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

    @property
    def event(self) -> Any:
        """The response level coded 1 (None when the response was numeric or bool)."""
        return self.design.event

    @property
    def n_dropped(self) -> int:
        """Number of rows dropped for missing values (``missing="drop"``)."""
        return self.design.n_dropped

    @property
    def dropped_rows(self) -> pd.Index:
        """Index labels of the rows dropped for missing values."""
        labels = self.design.dropped_labels
        return labels if labels is not None else self.design.row_labels[:0]

    # -- priors ------------------------------------------------------------------------
    @property
    def priors(self) -> PriorsArg:
        """The priors as given (read-only: ``with_priors`` makes a model with others)."""
        return self._priors

    @priors.setter
    def priors(self, value: Any) -> None:
        raise AttributeError("Logit.priors is read-only, so that the resolved prior_set "
                             "cannot go stale; make a model with other priors instead: "
                             "model = model.with_priors(bl.Normal(0, 1)).")

    @property
    def prior_set(self) -> PriorSet:
        """The priors resolved for this design (defaults filled in, autoscaling applied)."""
        if self._prior_set is None:
            d = self.design
            self._prior_set = resolve_priors(self.priors, d.exog_names, d.X, d.intercept_index)
        return self._prior_set

    @property
    def compiled_samplers(self) -> Mapping[str, Any]:
        """The compiled samplers this model (and the models ``with_priors`` derived from it,
        which share them) has built, by sampler name, e.g. ``{"nuts": NutsSampler}``
        (read-only view; ``sample()`` fills it)."""
        return MappingProxyType(self._samplers)

    def with_priors(self, priors: PriorsArg) -> Logit:
        """A new model on the same data with other priors (the data are shared, not copied).

        The new model shares this one's compiled samplers, so a NUTS model compiled for one
        prior setting is reused for the others (new prior values are swapped into it, a new
        prior family recompiles). Each ``sample()`` call hands its own model's priors to the
        shared sampler before drawing, so models may be sampled in any order; do not sample
        models of one family from several threads at once.

        Parameters
        ----------
        priors : Prior, dict of str to Prior, or None
            As for :class:`Logit`.

        Returns
        -------
        Logit
        """
        other = Logit.from_design(self.design, priors=priors)
        other.check_rank, other._rank_checked = self.check_rank, self._rank_checked
        other._samplers = self._samplers
        return other

    def prior_summary(self, print_summary: bool = True) -> pd.DataFrame:
        """Print and return the prior of every coefficient, with autoscaled values shown."""
        table = self.prior_set.table()
        if print_summary:
            print(f"Priors for {self.endog_name} ~ {' + '.join(self.exog_names)}")
            print(table.to_string())
            if self.prior_set.centred:
                print("The intercept prior applies to the centred intercept (log-odds at the "
                      "predictor means); the reported intercept is the raw one.")
        return table

    # -- estimation --------------------------------------------------------------------
    def fit(self, method: str = "mle", **kwargs: Any):
        """Point estimates: ``"mle"`` (statsmodels-compatible Newton), ``"map"`` (posterior
        mode under the priors) or ``"laplace"`` (Gaussian approximation at the mode).

        See :func:`bayeslogit.estimation.point.fit_mle`,
        :func:`~bayeslogit.estimation.point.fit_map` and
        :func:`~bayeslogit.estimation.point.fit_laplace` for the keyword arguments; the
        result's ``options`` records them.
        """
        from .estimation import point as fitting

        methods = {"mle": fitting.fit_mle, "map": fitting.fit_map,
                   "laplace": fitting.fit_laplace}
        key = check_choice("method", method, FitMethod, call="model.fit", fold_case=True,
                           hint=" (or model.sample(...) for MCMC)")
        if key == "mle":
            self._ensure_rank()  # the MAP solver checks the columns whose priors are flat
        return methods[key](self, **kwargs)

    def sample(self, draws: int = 1000, tune: int = 1000, chains: int = 4,
               sampler: str = "auto", random_seed: Any = None, progressbar: bool = True,
               **kwargs: Any):
        """Sample the posterior with ``sampler`` in {"auto", "nuts", "gibbs", "is"}.

        See :func:`bayeslogit.estimation.posterior.sample` for details; the result's
        ``options`` records the arguments and the sampler that ran.
        """
        from .estimation.posterior import sample

        if self.prior_set.flat_index.size:  # improper priors (Jeffreys: all flat) need rank
            self._ensure_rank()
        return sample(self, draws=draws, tune=tune, chains=chains, sampler=sampler,
                      random_seed=random_seed, progressbar=progressbar,
                      compiled=self._samplers, **kwargs)

    def to_pymc(self) -> pm.Model:
        """The PyMC model of this spec (for users who extend it)."""
        from .engines.nuts import build_pymc_model

        d = self.design
        return build_pymc_model(d.X, d.y, d.offset, d.exog_names, self.prior_set,
                                endog_name=d.endog_name)

    def sample_prior_predictive(self, draws: int = 500, random_seed: Any = None):
        """Draws of coefficients and y from the prior, as a DataTree (``prior``,
        ``prior_predictive``)."""
        from .estimation.posterior import prior_predictive

        return prior_predictive(self, draws=draws, random_seed=random_seed)

    def __repr__(self) -> str:
        lhs = self.formula or f"{self.endog_name} ~ {' + '.join(self.exog_names)}"
        return f"<bayeslogit.Logit {lhs!r}, nobs={self.nobs}>"

