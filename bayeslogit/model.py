"""The ``Logit`` facade: the constructors over a model spec and its estimators.

``Logit`` holds one validated :class:`~bayeslogit.spec.design.Design` and the user's priors
(:class:`~bayeslogit.spec.model_spec.ModelSpec`: names, data facts, the resolved priors);
its methods compile the spec to an estimate
(:class:`~bayeslogit.estimation.methods.Estimable`): :meth:`Logit.fit` (MLE, MAP, Laplace
approximation, computed by :mod:`bayeslogit.estimation.point`) and :meth:`Logit.sample`
(NUTS, Gibbs or importance sampling, run by :mod:`bayeslogit.estimation.posterior`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .checks import boolean, check_args
from .errors import DistributedDataError
from .estimation.methods import Estimable
from .model_data import NewDataMixin
from .spec.dask_arrays import design_from_dask_arrays
from .spec.dask_data import is_dask
from .spec.dask_frame import design_from_dask_frame
from .spec.design import Design, design_from_arrays
from .spec.formula import design_from_formula
from .spec.model_spec import PriorsArg
from .validation import MissingPolicy

#: the checks of the constructors' flags (data arguments are checked where they are read)
_FLAGS = {"check_rank": boolean(), "persist": boolean()}

__all__ = ["Logit"]


class Logit(NewDataMixin, Estimable):
    r"""Binary (or fractional) logistic regression: one spec, several estimators.

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
    trials : array-like, shape (n,), optional
        Binomial counts: ``endog`` is then the number of successes out of ``trials`` per row
        (whole numbers, 0 <= endog <= trials, trials >= 1). Every estimator uses the binomial
        likelihood, equal to the expanded 0/1 rows' up to a constant (see Notes).
    freq_weights : array-like, shape (n,), optional
        Frequency weights: each row stands for w identical rows (whole numbers >= 1), as
        statsmodels ``GLM(freq_weights=...)``; ``results.nobs`` is their sum.
    persist : bool
        Dask arrays only (``endog``, ``exog`` and ``offset`` may all be Dask arrays, see
        README "Scaling out"): keep the prepared row blocks in the workers' memory for the
        fits (default); False recomputes them from the source at every pass, so a worker
        holds about one chunk. In-memory data ignore it.

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

    See Also
    --------
    Logit.from_formula : The model from a formula and a DataFrame.
    Logit.fit : MLE, MAP and Laplace fits.
    Logit.sample : The posterior by NUTS, Gibbs or importance sampling.

    Notes
    -----
    The likelihood is the Bernoulli log-likelihood :math:`\sum_i y_i\eta_i -
    \log(1 + e^{\eta_i})` with :math:`\eta = X\beta + \text{offset}`, summed (not averaged)
    over rows; for fractional y it is the quasi-likelihood. Names, conventions and the MLE
    follow statsmodels' ``Logit``. With trials :math:`n_i`, successes :math:`s_i` and
    frequency weights :math:`w_i` every engine uses
    :math:`\sum_i w_i[s_i\eta_i - n_i\log(1 + e^{\eta_i})]`, the log-likelihood of the
    expanded 0/1 rows; ``llf`` adds :math:`\sum_i w_i\log\binom{n_i}{s_i}` so that it is the
    binomial log-likelihood of statsmodels ``GLM(Binomial)``. Fitting costs O(rows), not
    O(total trials).

    References
    ----------
    .. [1] Seabold, S. and Perktold, J. (2010). "statsmodels: Econometric and statistical
       modeling with Python." Proceedings of the 9th Python in Science Conference.
    .. [2] Gelman, A., Jakulin, A., Pittau, M. G. and Su, Y.-S. (2008). "A weakly informative
       default prior distribution for logistic and other regression models." Annals of
       Applied Statistics 2(4), 1360-1383 (and rstanarm's default priors).

    Examples
    --------
    >>> import numpy as np, bayeslogit as bl
    >>> X = np.column_stack([np.ones(8), [0.0, 1, 2, 3, 4, 5, 6, 7]])
    >>> y = [0, 0, 1, 0, 1, 0, 1, 1]
    >>> model = bl.Logit(y, X, priors=bl.Normal(0, 2.5))
    >>> model.exog_names
    ['const', 'x1']
    >>> model.fit().params.round(3).tolist()
    [-2.079, 0.594]
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
        trials: Any = None,
        freq_weights: Any = None,
        persist: bool = True,
        _design: Design | None = None,
    ) -> None:
        check_rank, persist = check_args(_FLAGS, check_rank=check_rank,
                                         persist=persist).values()
        if _design is not None:
            design = _design
        elif is_dask(exog) or is_dask(endog):
            if event is not None:
                raise DistributedDataError("event= is not available for Dask arrays; recode "
                                           "the response first: y = (y == level).astype(float).")
            design = design_from_dask_arrays(endog, exog, offset, missing, persist=persist,
                                             trials=trials, freq_weights=freq_weights)
        else:
            design = design_from_arrays(endog, exog, offset, missing, event=event,
                                        trials=trials, freq_weights=freq_weights)
        super().__init__(design, priors, check_rank)

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
        trials: Any = None,
        freq_weights: Any = None,
        *,
        persist: bool = True,
    ) -> Logit:
        """Build the model from a formula such as ``"y ~ x1 + C(g)"`` (formulaic syntax).

        Parameters
        ----------
        formula : str
            ``"y ~ x1 + C(g)"``; the intercept is named ``Intercept``. A term
            ``offset(expr)`` (R's spelling) is an offset, read again from new data at predict.
            Formula terms are Python expressions that formulaic evaluates with Python's
            builtins: a formula is code, so never pass one from an untrusted source
            unchecked; :func:`bayeslogit.spec.formula_safety.check_formula` refuses any
            term beyond columns, numpy's element-wise functions and formulaic's transforms
            (what the ``bayeslogit`` command does).
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
        trials, freq_weights : str or array-like, optional
            A column name or an array aligned with ``data``'s rows (a Series on the index);
            as for :class:`Logit`. ``"successes + failures ~ x"`` is the same as
            ``"successes ~ x"`` with ``trials`` = successes + failures.
        persist : bool
            A Dask DataFrame only: keep the encoded partitions in the workers' memory for the
            fits (default); False re-encodes them from the source at every pass, so a worker
            holds about one partition. In-memory data ignore it.

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
        UnseenLevelError
            Not here: at ``predict``, a categorical level not seen in training.

        References
        ----------
        .. [1] formulaic: the formula grammar of R and patsy in Python,
           https://matthewwardrop.github.io/formulaic/.
        .. [2] Seabold, S. and Perktold, J. (2010). "statsmodels: Econometric and statistical
           modeling with Python." Proceedings of the 9th Python in Science Conference
           (``Logit.from_formula``, whose names this follows).

        Examples
        --------
        >>> import pandas as pd, bayeslogit as bl
        >>> df = pd.DataFrame({"y": [0, 0, 1, 0, 1, 0, 1, 1], "x": range(8)})
        >>> model = bl.Logit.from_formula("y ~ x", df)
        >>> model.exog_names
        ['Intercept', 'x']
        """
        check_args(_FLAGS, check_rank=check_rank, persist=persist)
        if is_dask(data):
            design = design_from_dask_frame(formula, data, offset=offset, missing=missing,
                                            event=event, persist=persist, trials=trials,
                                            freq_weights=freq_weights)
        else:
            design = design_from_formula(formula, data, offset=offset, missing=missing,
                                         event=event, trials=trials,
                                         freq_weights=freq_weights)
        return cls(None, None, priors=priors, check_rank=check_rank, _design=design)

    @classmethod
    def from_design(cls, design: Design, priors: PriorsArg = None,
                    check_rank: bool = False) -> Logit:
        """Build the model for an already validated :class:`~bayeslogit.spec.design.Design`.

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

    def with_priors(self, priors: PriorsArg) -> Logit:
        """Make a model on the same data with other priors (the data are shared, not copied).

        The new model shares this one's compiled samplers, so a NUTS model compiled for one
        prior setting is reused for the others (new prior values are swapped into it, a new
        prior family recompiles). Each ``sample()`` call binds its own model's priors and
        data to a copy of the compiled model for that run only, so models may be sampled in
        any order and from several threads at once: each gets its own posterior, the same
        bits as when sampled alone.

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

    def __repr__(self) -> str:
        lhs = self.formula or f"{self.endog_name} ~ {' + '.join(self.exog_names)}"
        return f"<bayeslogit.Logit {lhs!r}, nobs={self.nobs}>"

    def __str__(self) -> str:
        from .results.report import model_report

        return model_report(self)

    def _repr_html_(self) -> str:
        from .results.report import html_report

        return html_report(str(self))

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(repr(self) if cycle else str(self))

