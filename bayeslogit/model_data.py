"""``Logit`` constructors for new data: the same model on new rows, and Parquet via Dask.

A mixin of :class:`bayeslogit.Logit` (kept apart so that the facade stays small); the methods
build designs with :mod:`bayeslogit.spec.redesign` and :mod:`bayeslogit.spec.dask_frame`
and call the class's own ``from_design`` / constructor.
"""

from __future__ import annotations

from typing import Any, Self

from .checks import check_bool
from .spec.dask_frame import design_from_dask_frame
from .spec.model_spec import PriorsArg
from .validation import MissingPolicy, check_choice

__all__ = ["NewDataMixin"]


class NewDataMixin:
    """``with_data`` and ``from_parquet`` of :class:`bayeslogit.Logit`."""

    @classmethod
    def from_parquet(
        cls,
        path: Any,
        formula: str,
        priors: PriorsArg = None,
        missing: MissingPolicy = "drop",
        offset: str | None = None,
        check_rank: bool = True,
        event: Any = None,
        *,
        columns: list[str] | None = None,
        categorize: bool = True,
        persist: bool = True,
        **read_kwargs: Any,
    ) -> Self:
        """Build the model from Parquet files read by Dask (data beyond one machine's memory).

        Parameters
        ----------
        path : str or list of str
            Parquet file(s) or directory, local or remote (``"s3://bucket/claims/"``), as
            ``dask.dataframe.read_parquet`` reads them.
        formula, priors, missing, offset, check_rank, event
            As for :meth:`from_formula` (``offset`` a column name).
        columns : list of str, optional
            Columns to read (by default all).
        categorize : bool
            Learn the categories of string and categorical columns the formula reads (one
            pass over those columns) so they can be encoded per partition.
        persist : bool
            Keep the encoded blocks in the workers' memory for the fits (default); False
            re-reads the files at every pass, so a worker holds about one partition.
        **read_kwargs
            Passed to ``dask.dataframe.read_parquet``.

        Returns
        -------
        Logit
            A model whose fits run as passes over the cluster (see ``Logit.fit``).

        Raises
        ------
        DistributedDataError
            Categorical columns without known categories when ``categorize=False``.
        """
        import dask.dataframe as dd

        for flag, value in (("check_rank", check_rank), ("categorize", categorize),
                            ("persist", persist)):
            check_bool(flag, value, call="bl.Logit.from_parquet")

        from .spec.dask_frame import categorize_used

        df = dd.read_parquet(path, columns=columns, **read_kwargs)
        if categorize:
            df = categorize_used(df, formula)
        design = design_from_dask_frame(formula, df, offset=offset, missing=missing,
                                        event=event, persist=persist)
        return cls(None, None, priors=priors, check_rank=check_rank, _design=design)

    def with_data(self, data: Any, endog: Any = None, *, offset: Any = None,
                  missing: MissingPolicy | None = None, trials: Any = None,
                  freq_weights: Any = None, rescale_priors: bool = True) -> Self:
        """Make the same model on new rows, reusing the compiled samplers.

        The new model keeps this one's formula and encoding state (a formula model's
        categorical levels, column order and stateful transforms are those learned on the
        training data; an array model keeps its column names) and its priors as given, and
        shares its compiled samplers: a NUTS model compiled for these data samples the new
        rows without compiling again (``info["compile_time"]`` is 0), whatever their number.

        Rules: the new data must hold every column the model reads (a formula model: the
        response and the predictors as raw columns; an array model: the same columns, matched
        by name for a named model, else by position) and no categorical level that was not
        seen in training; these raise the errors ``predict`` raises. Rows with missing values
        follow ``missing``. The caller's data are not modified.

        Priors: by default (``rescale_priors=True``) the priors as given are resolved again
        on the new data, as a new model would do and as rstanarm's ``update(fit, data=)``
        and a new bambi model do: autoscaled scales (the default slope priors, and priors
        with ``autoscale=True``) follow the new columns' standard deviations, and the
        centred intercept prior the new column means. So ``model.with_data(df)`` fits
        exactly as ``Logit.from_formula(formula, df, priors=...)`` would (with the training
        encoding). With ``rescale_priors=False`` the priors resolved on this model's data
        (the numbers ``prior_summary()`` shows) are kept for every coefficient; the
        intercept prior still applies at the new data's column means.

        Parameters
        ----------
        data : DataFrame, dict of columns or array-like
            Formula models: the new raw data (response, predictors and the offset column, if
            the model reads one). Array models: the new exog.
        endog : array-like, optional
            Array models only: the new response (0/1, bool or proportions; with ``event``
            as in training).
        offset : array-like, optional
            The new rows' offset, when this model's offset was given as an array (a model
            reading its offset from a column reads it from ``data``).
        missing : {"drop", "raise", "none"}, optional
            Missing-value policy for the new rows (default: the constructor's, "drop" for
            formula models and "none" for array models).
        trials, freq_weights : array-like, optional
            The new rows' binomial trials / frequency weights, when this model's were given
            as arrays (a model reading them from columns, or from a ``successes + failures``
            response, reads them from ``data``). Refused for a model without them.
        rescale_priors : bool
            Resolve the priors on the new data (True, the default) or keep this model's
            resolved priors (False); see above.

        Returns
        -------
        Logit
            A new model; this one is unchanged.

        Raises
        ------
        ColumnMismatchError
            Absent, unexpected or extra columns, or a formula model given an array.
        UnseenLevelError
            A categorical level not seen in training.
        MissingDataError
            Missing values under ``missing="raise"`` or ``"none"``; infinite values.
        RankDeficiencyError
            Collinear columns in the new data (as for a new model).
        ValueError
            A response outside [0, 1], ``endog`` given to a formula model or not given to an
            array model, an offset the model needs but was not given.

        References
        ----------
        .. [1] Goodrich, B., Gabry, J., Ali, I. and Brilleman, S. (2024). rstanarm: Bayesian
           applied regression modeling via Stan, ``update(fit, data = new)``: the same model
           on new data, priors re-resolved.
        .. [2] PyMC developers. ``pm.set_data`` / ``pm.Data``: new data for a compiled model
           without recompiling (what the NUTS model reuses here).

        Examples
        --------
        >>> import pandas as pd, bayeslogit as bl
        >>> df = pd.DataFrame({"y": [0, 0, 1, 0, 1, 0, 1, 1], "x": range(8)})
        >>> model = bl.Logit.from_formula("y ~ x", df)
        >>> new = model.with_data(df.assign(x=df.x * 2.0))
        >>> new.nobs, new.exog_names
        (8, ['Intercept', 'x'])
        """
        from .spec.redesign import design_with_data

        rescale_priors = check_bool("rescale_priors", rescale_priors, call="model.with_data")
        if missing is not None:
            missing = check_choice("missing", missing, MissingPolicy, call="model.with_data")
        design = design_with_data(self.design, data, endog, offset, missing, trials,
                                  freq_weights)
        priors: PriorsArg = self.priors
        if not rescale_priors:
            ps = self.prior_set
            priors = ps.joint if ps.joint is not None else dict(
                zip(ps.names, ps.priors, strict=True))
        other = type(self).from_design(design, priors=priors, check_rank=self.check_rank)
        other._samplers = self._samplers
        return other
