"""``get_margeff`` through the formula, for variables that enter several design columns.

statsmodels' ``get_margeff`` differentiates design columns one at a time, so in
``y ~ x1 * x2`` the "effect" of ``x1`` ignores the ``x1:x2`` column and ``x1:x2`` gets an
effect of its own (statsmodels #745, #6479). :func:`formula_margeff` gives, for
``at="overall"``, one row per design column that is not derived from such a variable (the
column-wise effect, as statsmodels) and one row per variable that enters several columns or
a transformed one (its average slope through the formula, as :meth:`avg_slopes`); derived
columns (``x1:x2``, ``I(x1 ** 2)``, spline bases) get no row. Where no variable does,
nothing changes: the caller keeps statsmodels' numbers.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..errors import DataWarning
from ..spec.design import Design
from .effects import EffectTerm, term_jacobian
from .effects_data import make_encoder, model_frame, model_variables
from .effects_terms import design_derivative
from .margins import MarginalEffects

__all__ = ["formula_margeff", "through_formula"]


def _design_derivatives(design: Design) -> dict[str, np.ndarray]:
    """Differentiate (n, k) the design with respect to each numeric raw variable."""
    frame = model_frame(design)
    encode, _, _ = make_encoder(design, frame, design.offset)
    out = {}
    for name, var in model_variables(design).items():
        if var.categorical:
            continue
        out[name] = design_derivative(encode, frame, design.X, var)
    return out


def formula_margeff(design: Design, params: np.ndarray, cov: np.ndarray,
                    method: str) -> tuple[tuple[str, ...], np.ndarray, np.ndarray] | None:
    """Average marginal effects through the formula, or None when column-wise is right.

    Parameters
    ----------
    design : Design
        A formula design (array designs return None).
    params, cov : ndarray
        Estimates and their covariance.
    method : {"dydx", "eyex", "dyex", "eydx"}
        As ``get_margeff``.

    Returns
    -------
    (names, margeff, margeff_cov) or None
        None when every numeric variable moves only its own column, with unit derivative.
    """
    if design.model_spec is None or design.frame is None:
        return None
    names = list(design.exog_names)
    k = len(names)
    derivs = _design_derivatives(design)
    moving: dict[str, np.ndarray] = {}
    derived: set[int] = set()
    for name, D in derivs.items():
        touched = np.flatnonzero(np.abs(D).max(axis=0) > 1e-9)
        own = names.index(name) if name in names else None
        if own is not None and touched.tolist() == [own] and np.allclose(D[:, own], 1.0):
            continue
        moving[name] = D
        derived |= {int(j) for j in touched if j != own}
    if not moving:
        return None
    X, off = design.X, design.offset
    varying = X.var(axis=0) != 0
    terms: list[EffectTerm] = []
    rows: list[str] = []
    for j, col in enumerate(names):
        if not varying[j] or j in derived:
            continue
        if col in moving:
            D, v = moving.pop(col), model_frame(design)[col].to_numpy(dtype=float)
        else:
            D, v = np.zeros_like(X), X[:, j]
            D[:, j] = 1.0
        terms.append(EffectTerm(col, method, "slope", X, off, D=D, v=v, transform=method))
        rows.append(col)
    frame = model_frame(design)
    for name, D in moving.items():  # variables with no column of their own (splines)
        terms.append(EffectTerm(name, method, "slope", X, off, D=D,
                                v=frame[name].to_numpy(dtype=float), transform=method))
        rows.append(name)
    b = np.asarray(params, dtype=float)
    V = np.nan_to_num(np.asarray(cov, dtype=float), nan=0.0)
    est = np.empty(len(terms))
    J = np.empty((len(terms), k))
    for i, t in enumerate(terms):
        val, jac = term_jacobian(t, b)
        est[i], J[i] = val.mean(), jac.mean(axis=0)
    return tuple(rows), est, J @ V @ J.T


def through_formula(design: Design, params: np.ndarray, cov: np.ndarray,
                    me: MarginalEffects, plain: bool) -> MarginalEffects:
    """Return ``me``, or the effects through the formula where a variable needs them.

    ``plain`` says that ``me`` was computed at ``"overall"`` without ``atexog``, ``dummy``
    or ``count``; otherwise a variable entering several columns leaves ``me`` column-wise,
    with a :class:`~bayeslogit.errors.DataWarning` naming the remedy.
    """
    through = formula_margeff(design, params, cov, me.method)
    if through is None:
        return me
    if not plain:
        warnings.warn(
            "get_margeff: a variable of the formula enters several columns; with "
            f"at={me.at!r}, atexog, dummy or count these are statsmodels' column-wise "
            "effects, not derivatives through the formula. Use "
            "result.slopes(newdata=bl.datagrid(result)) or result.avg_slopes(), or pass "
            "columnwise=True to keep the column-wise numbers silently.", DataWarning,
            stacklevel=3)
        return me
    names, eff, V = through
    return MarginalEffects(eff, V, names, me.method, me.at, endog_name=me.endog_name)
