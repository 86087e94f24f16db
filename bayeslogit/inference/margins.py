r"""Marginal effects of the logistic model with delta-method standard errors.

Reproduces statsmodels' ``LogitResults.get_margeff`` (``discrete_margins.py``) with analytic
Jacobians in place of its complex-step numerical ones (they agree to ~1e-15).

Definitions, for observation i and column j, with :math:`\eta_i = x_i^\top\beta + o_i`,
:math:`p_i = \Lambda(\eta_i)` and :math:`f_i = p_i(1-p_i)`:

=========  =====================================  =========================
method     effect :math:`m_{ij}`                  summary_frame column
=========  =====================================  =========================
``dydx``   :math:`f_i\beta_j`                     ``dy/dx``
``eyex``   :math:`f_i\beta_j x_{ij}/p_i`          ``d(lny)/d(lnx)``
``dyex``   :math:`f_i\beta_j x_{ij}`              ``dy/d(lnx)``
``eydx``   :math:`f_i\beta_j/p_i`                 ``d(lny)/dx``
=========  =====================================  =========================

* ``dummy=True``: columns with min 0, max 1 and integer values get
  :math:`F(\eta|x_j=1) - F(\eta|x_j=0)` (:math:`\log F` differences for ``eydx``).
* ``count=True``: other non-negative, non-constant integer columns get
  :math:`(F(\eta+\beta_j) - F(\eta-\beta_j))/2`.
* ``at="overall"`` averages :math:`m_{ij}` over rows; ``"mean"`` / ``"median"`` evaluate at
  the column means / medians; ``"zero"`` at x = 0 with constant columns at 1; ``"all"``
  returns the per-row effects (no inference). Columns with zero variance (the constant) are
  dropped from the output.
* Standard errors: :math:`\mathrm{Cov}(m) = J V J^\top` with :math:`J = \partial m/\partial
  \beta^\top` (averaged over rows for ``overall``); z, p-values and intervals use the normal.

Differences from statsmodels
----------------------------
* Offsets are supported (statsmodels raises ``NotImplementedError``): :math:`\eta_i`
  includes :math:`o_i` for ``overall``/``all``; ``mean``/``median`` use the mean/median
  offset, ``zero`` uses offset 0, and a full ``atexog`` array uses offset 0 (statsmodels'
  ``predict`` convention for new rows).
* ``atexog`` may be any array-like (statsmodels ignores non-ndarray input), a 1-D array is one
  row, and dict keys may be column names as well as indices.
* ``summary()`` returns text; t-values of effects with zero standard error are NaN silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import expit, log_expit

from ..validation import MargeffAt, MargeffMethod, check_choice

__all__ = ["marginal_effects", "MarginalEffects", "METHOD_LABELS", "format_table"]

METHOD_LABELS = {"dydx": "dy/dx", "eyex": "d(lny)/d(lnx)", "dyex": "dy/d(lnx)",
                 "eydx": "d(lny)/dx"}
_FRAME_COLUMNS = ("Std. Err.", "z", "Pr(>|z|)", "Conf. Int. Low", "Cont. Int. Hi.")


@dataclass(frozen=True, eq=False)
class MarginalEffects:
    """Marginal effects (statsmodels' ``DiscreteMargins`` attributes).

    ``margeff`` has one entry per non-constant column (``names``); with ``at="all"`` it is
    (n, m) and every inference attribute raises ``ValueError`` as in statsmodels.
    ``dummy_idx`` / ``count_idx`` are the design-column indices treated as discrete (or None).
    """

    margeff: np.ndarray
    margeff_cov: np.ndarray | None
    names: tuple[str, ...]
    method: str
    at: str
    dummy_idx: np.ndarray | None = None
    count_idx: np.ndarray | None = None
    endog_name: str | None = None

    def _check(self) -> np.ndarray:
        if self.margeff_cov is None:
            raise ValueError("Only margeff are available when `at` is 'all'. Please input "
                             "specific points if you would like to do inference.")
        return self.margeff_cov

    @property
    def margeff_se(self) -> np.ndarray:
        """Delta-method standard errors of the effects."""
        return np.sqrt(np.diag(self._check()))

    @property
    def tvalues(self) -> np.ndarray:
        """The z statistics, ``margeff / margeff_se`` (NaN where the standard error is 0)."""
        se = self.margeff_se
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.margeff / se

    @property
    def pvalues(self) -> np.ndarray:
        """Two-sided normal p-values of the effects."""
        return 2 * stats.norm.sf(np.abs(self.tvalues))

    def conf_int(self, alpha: float = 0.05) -> np.ndarray:
        """(m, 2) normal intervals ``margeff -/+ z_{1-alpha/2} se``."""
        if not 0 < alpha < 1:
            raise ValueError(f"alpha must be in (0, 1), got {alpha}.")
        q = stats.norm.ppf(1 - alpha / 2)
        se = self.margeff_se
        return np.column_stack([self.margeff - q * se, self.margeff + q * se])

    def summary_frame(self, alpha: float = 0.05) -> pd.DataFrame:
        """Return the effects as statsmodels' summary frame.

        Columns: the method (e.g. ``dy/dx``) (e.g. ``dy/dx``), ``Std. Err.``, ``z``,
        ``Pr(>|z|)``, ``Conf. Int. Low``, ``Cont. Int. Hi.`` (statsmodels' spelling).
        """
        ci = self.conf_int(alpha)
        table = np.column_stack([self.margeff, self.margeff_se, self.tvalues, self.pvalues, ci])
        return pd.DataFrame(table, columns=[METHOD_LABELS[self.method], *_FRAME_COLUMNS],
                            index=list(self.names))

    def summary(self, alpha: float = 0.05) -> str:
        """Text table in the layout of statsmodels' ``DiscreteMargins.summary()``."""
        ci = self.conf_int(alpha)
        top = [("Dep. Variable:", self.endog_name)] if self.endog_name else []
        top += [("Method:", self.method), ("At:", self.at)]
        title = ["Logit Marginal Effects".center(37), "=" * 37]
        title += [f"{key:<15}{val:>22}" for key, val in top]
        return format_table("", self.names, METHOD_LABELS[self.method],
                            [self.margeff, self.margeff_se, self.tvalues, self.pvalues,
                             ci[:, 0], ci[:, 1]], alpha, tuple(title))

    __str__ = summary

    def __repr__(self) -> str:
        return (f"<MarginalEffects method={self.method!r} at={self.at!r} "
                f"names={list(self.names)}>")


def _forg(x: float, prec: int) -> str:
    """Format a number as statsmodels' ``forg`` does (4 digits for estimates, 3 otherwise)."""
    if not np.isfinite(x):
        return "nan"
    spec = "g" if (x == 0 or abs(x) >= 1e4 or abs(x) < 1e-4) else "f"
    return f"{x:.{prec}{spec}}"


def format_table(title: str, names: tuple[str, ...], label: str, columns: list[np.ndarray],
                 alpha: float, preamble: tuple[str, ...] = ()) -> str:
    """Format a statsmodels-style parameter table: ``label, std err, z, P>|z|`` and the interval.

    ``columns`` holds estimate, std err, z, p-value, lower, upper (each of length m);
    ``title`` is centred over the table, ``preamble`` lines follow it verbatim.
    """
    name_w = max(11, *(len(s) + 2 for s in names))
    coef_w = max(10, len(label))
    widths = [coef_w, 11, 11, 11, 12, 12]
    labels = [label, "std err", "z", "P>|z|", f"[{alpha / 2:g}", f"{1 - alpha / 2:g}]"]
    head = " " * name_w + "".join(f"{h:>{w}}" for h, w in zip(labels, widths, strict=True))
    rule = max(78, len(head))
    out = [f"{title:^{rule}}"] if title else []
    out += [*preamble, "=" * rule, head, "-" * rule]
    for i, nm in enumerate(names):
        cells = [_forg(c[i], 4 if j == 0 else 3) for j, c in enumerate(columns)]
        out.append(f"{nm:<{name_w}}" + "".join(f"{c:>{w}}"
                                                 for c, w in zip(cells, widths, strict=True)))
    out.append("=" * rule)
    return "\n".join(out)


def _discrete_columns(X: np.ndarray, varying: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Find the dummy and count columns by statsmodels' rules.

    Dummies have min 0, max 1 and integer values; counts are other
    non-negative, non-constant integer columns. Integrality is checked only for candidates.
    """
    lo, hi = X.min(axis=0), X.max(axis=0)
    integer = np.zeros(X.shape[1], dtype=bool)
    for j in np.flatnonzero(lo >= 0):
        integer[j] = np.all(X[:, j] % 1.0 == 0)
    dummy = integer & (lo == 0) & (hi == 1)
    return dummy, integer & varying & ~dummy


def _check_options(at: Any, method: Any, dummy: bool, count: bool) -> tuple[str, str]:
    # statsmodels' wording leads, so its users recognise the error
    at = check_choice("at", at, MargeffAt, call="result.get_margeff", fold_case=True,
                      lead=f"{at} not a valid option for `at`. ")
    method = check_choice("method", method, MargeffMethod, call="result.get_margeff",
                          fold_case=True, lead=f"method is not understood.  Got {method}. ")
    if dummy or count:
        remedy = " (dummy=True or count=True); use dydx or eydx at 'overall' or 'mean'."
        if method in ("dyex", "eyex"):
            raise ValueError(f"{method} not allowed for discrete variables" + remedy)
        if at in ("median", "zero"):
            raise ValueError(f"{at} not allowed for discrete variables" + remedy)
    return at, method


def _apply_atexog(X: np.ndarray, off: np.ndarray | None, atexog: Any,
                  names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray | None]:
    k = X.shape[1]
    if isinstance(atexog, dict):
        X = X.copy()  # never write into the caller's design
        for key, val in atexog.items():
            j = names.index(key) if isinstance(key, str) and key in names else key
            if not isinstance(j, (int, np.integer)) or not -k <= j < k:
                raise ValueError(f"atexog key {key!r} is neither a column index in [0, {k}) nor "
                                 f"a name in {list(names)}.")
            v = np.asarray(val, dtype=float)
            if v.ndim > 1 or (v.ndim == 1 and v.shape[0] != X.shape[0]):
                raise ValueError(f"atexog[{key!r}] must be a scalar or have {X.shape[0]} values.")
            X[:, j] = v
        return X, off
    A = np.asarray(atexog, dtype=float)
    A = A[None, :] if A.ndim == 1 else A
    if A.ndim != 2 or A.shape[1] != k:
        raise ValueError(f"atexog does not have the same number of variables as exog ({k}); "
                         f"got shape {np.shape(atexog)}.")
    if not np.all(np.isfinite(A)):
        raise ValueError("atexog contains NaN or inf.")
    return A.copy(), None


def _point(X: np.ndarray, off: np.ndarray | None, at: str,
           varying: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Return the single evaluation row for ``at`` in {mean, median, zero} and its offset."""
    if at == "mean":
        return X.mean(axis=0)[None, :], None if off is None else np.array([off.mean()])
    if at == "median":
        return np.median(X, axis=0)[None, :], None if off is None else np.array([np.median(off)])
    row = np.zeros((1, X.shape[1]))
    row[0, ~varying] = 1.0
    return row, None


def _continuous(b: np.ndarray, X: np.ndarray, eta: np.ndarray, method: str,
                per_row: bool) -> tuple[np.ndarray, np.ndarray | None]:
    r"""Row-averaged effects (k,) and their Jacobian (k, k), or per-row effects (n, k).

    With :math:`g = f` (dy) or :math:`g = f/p = 1-p` (ey) and :math:`g' = dg/d\eta`
    (:math:`f(1-2p)` or :math:`-f`), :math:`m_{ij} = g_i b_j [x_{ij}]` and
    :math:`\partial m_{ij}/\partial b_l = g_i [x_{ij}] \delta_{jl} + b_j g'_i [x_{ij}] x_{il}`.
    Averages use matrix products, never an (n, k, k) array.
    """
    n = X.shape[0]
    p, q = expit(eta), expit(-eta)
    f = p * q
    g, dg = (f, f * (q - p)) if method.startswith("dy") else (q, -f)
    ex = method.endswith("ex")
    if per_row:
        eff = g[:, None] * b[None, :]
        return (eff * X if ex else eff), None
    if ex:
        gx = g @ X / n
        return b * gx, np.diag(gx) + b[:, None] * ((X * dg[:, None]).T @ X / n)
    return g.mean() * b, np.diag(np.full(b.shape[0], g.mean())) + np.outer(b, dg @ X / n)


def _discrete(eta0: np.ndarray, eta1: np.ndarray,
              log: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Compute discrete-change effects and their Jacobian weights.

    Per-row F(eta1) - F(eta0) (log F for ``ey`` methods) and the Jacobian weights
    g = dF/deta (f, or 1 - p for log F) at both points.
    """
    if log:
        return log_expit(eta1) - log_expit(eta0), expit(-eta0), expit(-eta1)
    p0, p1 = expit(eta0), expit(eta1)
    return p1 - p0, p0 * (1 - p0), p1 * (1 - p1)


def marginal_effects(params: Any, cov: Any, X: Any, offset: Any, names: Any,
                     intercept_index: int | None = None, at: str = "overall",
                     method: str = "dydx", dummy: bool = False, count: bool = False,
                     atexog: Any = None, endog_name: str | None = None) -> MarginalEffects:
    """Marginal effects as statsmodels' ``LogitResults.get_margeff`` (module docstring).

    Parameters
    ----------
    params : (k,) estimates; cov : (k, k) their covariance (robust if the fit was robust).
    X : (n, k) estimation design; offset : (n,) or None (supported, unlike statsmodels).
    names : k coefficient names.
    intercept_index : int or None
        Accepted for interface symmetry only: as in statsmodels, every zero-variance column
        (the intercept included) is treated as a constant and dropped.
    at : {"overall", "mean", "median", "zero", "all"}; method : {"dydx", "eyex", "dyex",
        "eydx"} (case-insensitive, as statsmodels).
    dummy, count : treat 0/1 columns / non-negative integer columns as discrete.
    atexog : dict {column index or name: value(s)} substituted before ``at`` is applied, or
        an array with k columns replacing X.
    endog_name : shown as "Dep. Variable" in ``summary()``.

    Raises
    ------
    ValueError
        statsmodels' messages for a bad ``at``/``method`` and for ``eyex``/``dyex``/``median``/
        ``zero`` with discrete variables; inconsistent shapes; no non-constant column.
    """
    at, method = _check_options(at, method, dummy, count)
    b = np.asarray(params, dtype=float).ravel()
    k = b.shape[0]
    V = np.asarray(cov, dtype=float)
    X = np.asarray(X, dtype=float)
    names = tuple(str(nm) for nm in names)
    if X.ndim != 2 or X.shape[1] != k or X.shape[0] == 0 or V.shape != (k, k) or len(names) != k:
        raise ValueError(f"Inconsistent inputs: params ({k},), cov {V.shape}, X {X.shape}, "
                         f"{len(names)} names; need (k,), (k, k), (n, k) with n >= 1, k names.")
    off = None if offset is None else np.asarray(offset, dtype=float).ravel()
    if off is not None and off.shape != (X.shape[0],):
        raise ValueError(f"offset has shape {off.shape}; expected ({X.shape[0]},).")
    varying = X.var(axis=0) != 0
    if not varying.any():
        raise ValueError("Every column of X is constant; marginal effects need a regressor "
                         "that varies.")
    dummy_idx = count_idx = np.array([], dtype=int)
    if dummy or count:  # detected on the estimation design, before atexog / at
        is_dummy, is_count = _discrete_columns(X, varying)
        dummy_idx = np.flatnonzero(is_dummy) if dummy else dummy_idx
        count_idx = np.flatnonzero(is_count) if count else count_idx
    if atexog is not None:
        X, off = _apply_atexog(X, off, atexog, names)
    if at in ("mean", "median", "zero"):
        X, off = _point(X, off, at, varying)
    eta = X @ b if off is None else X @ b + off
    per_row = at == "all"
    eff, J = _continuous(b, X, eta, method, per_row)
    log = method.startswith("ey")
    n = X.shape[0]
    for j, counting in [(j, False) for j in dummy_idx] + [(j, True) for j in count_idx]:
        if counting:
            eta0, eta1, half = eta - b[j], eta + b[j], 0.5
        else:
            eta0 = eta - X[:, j] * b[j]
            eta1, half = eta0 + b[j], 1.0
        diff, g0, g1 = _discrete(eta0, eta1, log)
        if per_row:
            eff[:, j] = half * diff
            continue
        eff[j] = half * diff.mean()
        row = (g1 - g0) @ X / n  # d/db of the row mean of F(x1'b) - F(x0'b)
        # column j of x1 / x0 is 1 / 0 (dummy) or x_j + 1 / x_j - 1 (count)
        row[j] = (g1.sum() + g0.sum() + (g1 - g0) @ X[:, j]) / n if counting else g1.mean()
        J[j] = half * row
    keep = np.flatnonzero(varying)
    if per_row:
        margeff, mcov = eff[:, keep], None
    else:
        full = J @ V @ J.T
        margeff, mcov = eff[keep], full[np.ix_(keep, keep)]
    return MarginalEffects(margeff, mcov, tuple(names[j] for j in keep), method, at,
                           dummy_idx if dummy_idx.size else None,
                           count_idx if count_idx.size else None, endog_name)
