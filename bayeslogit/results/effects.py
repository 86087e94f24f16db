"""Predictions, slopes and comparisons on the probability scale, for every result.

The vocabulary of marginaleffects (Arel-Bundock, Greifer and Heiss, 2024): unit-level
``predictions``, ``slopes`` and ``comparisons``, and their averages ``avg_*`` (over all rows,
or within the groups of ``by``). Effects are with respect to the raw variables, through the
whole formula (interactions, transforms, splines): the computation is
:mod:`bayeslogit.inference.effects` (formulas and uncertainty) and
:mod:`bayeslogit.inference.effects_terms` (the counterfactual data and the slope's step).

Every method returns a DataFrame whose first columns are ``estimate, std_error, ci_lower,
ci_upper`` (then ``z, p_value`` for MLE and MAP: delta method with the result's covariance,
robust or clustered if it was fitted so), then ``term`` and ``contrast`` (slopes and
comparisons), then the ``by`` columns (averages) or the data's columns (unit level). For
draw-based results (posteriors, the Laplace approximation) the quantity is computed for every
draw: ``estimate`` is its posterior mean (marginaleffects reports the median),
``std_error`` its sd and the interval an equal-tailed or highest-density one.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ColumnMismatchError, DataWarning
from ..inference.effects import EffectTerm, draw_effects, point_effects
from ..inference.effects_data import (
    make_encoder,
    model_frame,
    model_variables,
    refuse_dask,
)
from ..inference.effects_terms import comparison_terms, select_variables, slope_terms
from ..validation import (
    CIKind,
    ComparisonType,
    SlopeType,
    check_choice,
    check_probability,
)
from .effects_groups import By, group_codes

__all__ = ["EffectsMixin"]


class EffectsMixin:
    """The probability-scale methods shared by every result (module docstring)."""

    model: Any
    stores_draws: bool

    # -- the pipeline ----------------------------------------------------------------------
    def _effect_rows(self, newdata: Any) -> tuple[pd.DataFrame, Any, np.ndarray,
                                                  np.ndarray | None]:
        """Return the evaluation frame, its encoder, design and offset (missing rows dropped)."""
        design = self.model.design
        if newdata is None:
            frame = model_frame(design)
        else:
            refuse_dask(newdata)
            if isinstance(newdata, dict):  # columns; a dict of scalars is one row
                newdata = pd.DataFrame([newdata] if all(
                    np.ndim(v) == 0 for v in newdata.values()) else newdata)
            if not isinstance(newdata, pd.DataFrame):
                if design.model_spec is not None:
                    raise ColumnMismatchError(
                        f"newdata must be a DataFrame of raw columns (those of "
                        f"{design.formula!r}); got {type(newdata).__name__}.")
                newdata = pd.DataFrame(np.atleast_2d(np.asarray(newdata, dtype=float)),
                                       columns=list(design.exog_names))
            frame = newdata
        _, off, _ = self._prediction_inputs(newdata, None)  # type: ignore[attr-defined]
        encode, X, off = make_encoder(design, frame, off)
        bad = np.isnan(X).any(axis=1) | (np.isnan(off) if off is not None else False)
        if bad.any():
            warnings.warn(f"{int(bad.sum())} of {len(frame)} rows of newdata have a missing "
                          "value the model needs and are left out; pass "
                          "newdata=newdata.dropna() to drop them yourself.", DataWarning,
                          stacklevel=4)
            keep = ~bad
            frame = frame.loc[keep]
            encode, X, off = make_encoder(design, frame, None if off is None else off[keep])
        if len(frame) == 0:
            raise ValueError("newdata has no rows to evaluate at.")
        return frame, encode, X, off

    def _effects(self, terms: Callable[[pd.DataFrame, Any, np.ndarray, np.ndarray | None],
                                       Iterable[EffectTerm]],
                 newdata: Any, by: By, ci_prob: float, ci_kind: str, call: str,
                 labels: bool = True) -> pd.DataFrame:
        ci_prob = check_probability("ci_prob", ci_prob)
        ci_kind = check_choice("ci_kind", ci_kind, CIKind, call=call)
        frame, encode, X, off = self._effect_rows(newdata)
        codes, n_groups, keys = group_codes(frame, by)
        built = terms(frame, encode, X, off)
        # binomial counts / frequency weights: averages over the training rows are over the
        # individuals (trials x weight per row), as on the expanded 0/1 rows
        weights = self.model.design.weights  # type: ignore[attr-defined]
        wts = weights if newdata is None and weights is not None and \
            len(weights) == len(frame) else None
        if self.stores_draws:
            beta = self._beta  # type: ignore[attr-defined]
            table = draw_effects(built, beta.reshape(-1, beta.shape[-1]), ci_prob, ci_kind,
                                 codes, n_groups, wts=wts)
        else:
            table = point_effects(built, self._params, self._cov,  # type: ignore[attr-defined]
                                  ci_prob, codes, n_groups, wts=wts)
        reps = len(table) // (n_groups if codes is not None else len(frame))
        extra = keys if codes is not None else frame.reset_index(drop=True)
        extra = pd.concat([extra] * reps, ignore_index=True)
        extra = extra[[c for c in extra.columns if c not in ("term", "contrast")]]
        out = pd.concat([table if labels else table.drop(columns=["term", "contrast"]),
                         extra.drop(columns=[c for c in extra.columns if c in table.columns])],
                        axis=1)
        if codes is None:
            out.index = pd.Index(np.tile(frame.index.to_numpy(), reps), name=frame.index.name)
        out.attrs.update({"ci_prob": ci_prob,
                          "uncertainty": "draws" if self.stores_draws else "delta method",
                          "ci_kind": ci_kind if self.stores_draws else "normal"})
        return out

    # -- predictions -----------------------------------------------------------------------
    def predictions(self, newdata: Any = None, by: By = None, ci_prob: float = 0.95,
                    ci_kind: CIKind = "eti") -> pd.DataFrame:
        r"""Predicted probabilities, with their uncertainty.

        MLE/MAP unit-level intervals are on the link scale, mapped back (R marginaleffects'
        GLM default): :math:`\Lambda(\hat\eta \mp z\,se_\eta)`, inside (0, 1), equal to
        ``predict(ci_prob=...)``; ``std_error`` is :math:`\hat p(1-\hat p)\,se_\eta` and
        ``z``, ``p_value`` test :math:`\eta = 0`. Averages (``by``) use the delta method
        on the probability scale, as marginaleffects does with ``by``.

        Parameters
        ----------
        newdata : DataFrame, optional
            The rows to evaluate at (raw columns; e.g. :func:`bayeslogit.datagrid`); None
            uses the training rows (complete cases). Rows with a missing value are dropped,
            with a :class:`~bayeslogit.errors.DataWarning`.
        by : bool, str or list of str, optional
            None or False: one row per row of ``newdata``; True: the average over all rows;
            column name(s) of ``newdata``: the averages within their groups.
        ci_prob : float
            Interval probability in (0, 1).
        ci_kind : {"eti", "hdi"}
            Draw-based results: equal-tailed or highest-density interval (point estimates
            always use the normal interval of the delta method).

        Returns
        -------
        DataFrame
            ``estimate, std_error, ci_lower, ci_upper`` (``z, p_value`` for MLE/MAP), then
            the ``by`` columns or the rows' columns.

        Raises
        ------
        ValueError
            ``ci_prob`` outside (0, 1), an unknown ``ci_kind``.
        ColumnMismatchError
            ``newdata`` lacking a column of the model, a ``by`` column it lacks.

        References
        ----------
        .. [1] Arel-Bundock, V., Greifer, N. and Heiss, A. (2024). "How to interpret
           statistical models using marginaleffects for R and Python." Journal of
           Statistical Software 111(9), 1-32.

        Examples
        --------
        >>> import numpy as np, bayeslogit as bl
        >>> X = np.column_stack([np.ones(8), [0.0, 1, 2, 3, 4, 5, 6, 7]])
        >>> r = bl.Logit([0, 0, 1, 0, 1, 0, 1, 1], X).fit()
        >>> r.avg_predictions()["estimate"].round(3).tolist()
        [0.5]
        """
        def build(frame, encode, X, off):
            return [EffectTerm("prediction", "", "prediction", X, off)]
        return self._effects(build, newdata, by, ci_prob, ci_kind, "result.predictions",
                             labels=False)

    def avg_predictions(self, newdata: Any = None, by: By = True, ci_prob: float = 0.95,
                        ci_kind: CIKind = "eti") -> pd.DataFrame:
        """Average predicted probability, overall or within the groups of ``by``.

        :meth:`predictions` with ``by=True`` by default; same parameters and columns.

        Parameters
        ----------
        newdata, by, ci_prob, ci_kind
            As for :meth:`predictions`.

        Returns
        -------
        DataFrame
            One row per group.
        """
        return self.predictions(newdata, True if by is None else by, ci_prob, ci_kind)

    # -- slopes ----------------------------------------------------------------------------
    def slopes(self, variables: str | list[str] | None = None, newdata: Any = None,
               slope: SlopeType = "dydx", by: By = None, ci_prob: float = 0.95,
               ci_kind: CIKind = "eti") -> pd.DataFrame:
        """Slopes of P(y=1) with respect to raw variables, through the whole formula.

        The derivative of the predicted probability with respect to a variable, wherever it
        enters (``x1`` in ``y ~ x1 * x2 + I(x1**2)`` moves three columns): exact through
        the link, with the design differenced around each value (centred, step
        ``1e-4 * range(x)`` in the training data, marginaleffects' default step). A
        categorical variable gets the difference of each level with the reference
        (``contrast`` ``"b - a"``), as in marginaleffects. Unlike ``get_margeff``, which
        differentiates design columns one at a time (statsmodels' convention).

        Parameters
        ----------
        variables : str or list of str, optional
            The variables (default every variable of the model).
        slope : {"dydx", "eyex", "dyex", "eydx"}
            dP/dx, the elasticity (dP/dx) x/P, dP/dx * x, or (dP/dx) / P (``contrast``
            ``dY/dX``, ``eY/eX``, ``dY/eX``, ``eY/dX``).
        newdata : DataFrame, optional
            The rows to evaluate at (raw columns; e.g. :func:`bayeslogit.datagrid`); None
            uses the training rows (complete cases). Rows with a missing value are dropped,
            with a :class:`~bayeslogit.errors.DataWarning`.
        by : bool, str or list of str, optional
            None or False: one row per row of ``newdata``; True: the average over all rows;
            column name(s) of ``newdata``: the averages within their groups.
        ci_prob : float
            Interval probability in (0, 1).
        ci_kind : {"eti", "hdi"}
            Draw-based results: equal-tailed or highest-density interval (point estimates
            always use the normal interval of the delta method).

        Returns
        -------
        DataFrame
            ``estimate, std_error, ci_lower, ci_upper`` (``z, p_value`` for MLE/MAP),
            ``term`` (the variable), ``contrast``, then the ``by`` or the rows' columns.

        Raises
        ------
        ValueError
            An unknown ``slope``, ``ci_prob`` or ``ci_kind``.
        ColumnMismatchError
            A name in ``variables`` that is not a variable of the model.

        References
        ----------
        .. [1] Arel-Bundock, V., Greifer, N. and Heiss, A. (2024). "How to interpret
           statistical models using marginaleffects for R and Python." Journal of
           Statistical Software 111(9), 1-32.

        Examples
        --------
        >>> import numpy as np, bayeslogit as bl
        >>> X = np.column_stack([np.ones(8), [0.0, 1, 2, 3, 4, 5, 6, 7]])
        >>> r = bl.Logit([0, 0, 1, 0, 1, 0, 1, 1], X).fit()
        >>> r.avg_slopes()[["term", "contrast"]].values.tolist()
        [['x1', 'dY/dX']]
        """
        slope = check_choice("slope", slope, SlopeType, call="result.slopes")
        known = model_variables(self.model.design)
        chosen = select_variables(known, variables, "result.slopes")

        def build(frame, encode, X, off):
            return slope_terms(encode, frame, X, off, known, chosen, slope)
        return self._effects(build, newdata, by, ci_prob, ci_kind, "result.slopes")

    def avg_slopes(self, variables: str | list[str] | None = None, newdata: Any = None,
                   slope: SlopeType = "dydx", by: By = True, ci_prob: float = 0.95,
                   ci_kind: CIKind = "eti") -> pd.DataFrame:
        """Average slopes (average marginal effects), overall or within groups.

        :meth:`slopes` with ``by=True`` by default: the mean over the rows of the unit-level
        slopes. Where every variable enters one column linearly (no interactions or
        transforms), ``avg_slopes()`` equals ``get_margeff()`` (statsmodels' AME).

        Parameters
        ----------
        variables, newdata, slope, by, ci_prob, ci_kind
            As for :meth:`slopes`.

        Returns
        -------
        DataFrame
            One row per (term, contrast, group).
        """
        return self.slopes(variables, newdata, slope, True if by is None else by, ci_prob,
                           ci_kind)

    # -- comparisons -----------------------------------------------------------------------
    def comparisons(self, variables: Any = None, newdata: Any = None,
                    comparison: ComparisonType = "difference", by: By = None,
                    ci_prob: float = 0.95, ci_kind: CIKind = "eti") -> pd.DataFrame:
        """Counterfactual comparisons of P(y=1): a variable changed, all else as observed.

        Each row is predicted twice, with the variable at ``lo`` and at ``hi``, and the
        two probabilities compared. Numeric variables: ``hi = x + 1`` and ``lo = x``
        (``contrast`` ``"+1"``), or another step, or two values; a 0/1 variable compares 1
        with 0; categorical variables: every level against the reference (the first
        level), ``contrast`` ``"b - a"``.

        Parameters
        ----------
        variables : str, list of str or dict, optional
            The variables (default every variable); a dict gives each its change: a step
            (``{"x1": 10}``), two values (``{"x1": [0, 10]}``) or two levels
            (``{"g": ["a", "c"]}``; ``hi`` second).
        comparison : {"difference", "ratio", "lnor"}
            ``p_hi - p_lo``, ``p_hi / p_lo`` or the log odds ratio. Averages are of the
            unit-level values (marginaleffects' ``avg_comparisons``).
        newdata : DataFrame, optional
            The rows to evaluate at (raw columns; e.g. :func:`bayeslogit.datagrid`); None
            uses the training rows (complete cases). Rows with a missing value are dropped,
            with a :class:`~bayeslogit.errors.DataWarning`.
        by : bool, str or list of str, optional
            None or False: one row per row of ``newdata``; True: the average over all rows;
            column name(s) of ``newdata``: the averages within their groups.
        ci_prob : float
            Interval probability in (0, 1).
        ci_kind : {"eti", "hdi"}
            Draw-based results: equal-tailed or highest-density interval (point estimates
            always use the normal interval of the delta method).

        Returns
        -------
        DataFrame
            ``estimate, std_error, ci_lower, ci_upper`` (``z, p_value`` for MLE/MAP),
            ``term``, ``contrast``, then the ``by`` or the rows' columns.

        Raises
        ------
        ValueError
            An unknown ``comparison``, a bad step or level pair.
        ColumnMismatchError
            A name that is not a variable of the model.

        References
        ----------
        .. [1] Arel-Bundock, V., Greifer, N. and Heiss, A. (2024). "How to interpret
           statistical models using marginaleffects for R and Python." Journal of
           Statistical Software 111(9), 1-32.

        Examples
        --------
        >>> import numpy as np, bayeslogit as bl
        >>> X = np.column_stack([np.ones(8), [0.0, 1, 2, 3, 4, 5, 6, 7]])
        >>> r = bl.Logit([0, 0, 1, 0, 1, 0, 1, 1], X).fit()
        >>> r.avg_comparisons(comparison="lnor")["estimate"].round(3).tolist()
        [0.594]
        """
        comparison = check_choice("comparison", comparison, ComparisonType,
                                  call="result.comparisons")
        known = model_variables(self.model.design)
        chosen = select_variables(known, variables, "result.comparisons")

        def build(frame, encode, X, off):
            return comparison_terms(encode, frame, known, chosen, comparison)
        return self._effects(build, newdata, by, ci_prob, ci_kind, "result.comparisons")

    def avg_comparisons(self, variables: Any = None, newdata: Any = None,
                        comparison: ComparisonType = "difference", by: By = True,
                        ci_prob: float = 0.95, ci_kind: CIKind = "eti") -> pd.DataFrame:
        """Average counterfactual comparisons, overall or within groups.

        :meth:`comparisons` with ``by=True`` by default (the mean of the unit-level
        comparisons).

        Parameters
        ----------
        variables, newdata, comparison, by, ci_prob, ci_kind
            As for :meth:`comparisons`.

        Returns
        -------
        DataFrame
            One row per (term, contrast, group).
        """
        return self.comparisons(variables, newdata, comparison, True if by is None else by,
                                ci_prob, ci_kind)

