r"""PyMC compilation of the model spec, and a compile-once NUTS sampler (nutpie).

The model
---------
NUTS runs on the *working* coefficients :math:`\theta = T\beta` (see
:mod:`bayeslogit.priors`): :math:`\theta` equals the reported :math:`\beta` except the
intercept, :math:`\theta_0 = \beta_0 + c^\top\beta` (the centred intercept, ``c`` the column
means). The priors of the spec are independent on :math:`\theta`; the reported coefficients
are the Deterministic ``beta`` :math:`= \theta - e_0\,c^\top\theta`, and the log-likelihood is

.. math:: \ell = \sum_i y_i\eta_i - \log(1 + e^{\eta_i}), \qquad \eta = X\beta + o,

a ``pm.Bernoulli(logit_p=eta)`` for 0/1 responses and a ``pm.Potential`` for fractional ones.
Because the map :math:`\theta \mapsto \beta` has unit Jacobian, the model's joint log density
equals ``loglike(beta) + prior_set.logpdf(beta)`` including every normalising constant.

Names in the ``pm.Model`` (all deterministic, so that nutpie's ``with_data`` can swap them):

* data: ``X`` (obs, coef), ``y_data`` (obs), ``offset`` (obs; zeros when absent),
  ``center`` (coef; only with an intercept);
* per prior family ``f`` (the registry name, :data:`bayeslogit.spec.priors.FAMILIES`:
  ``normal, laplace, studentt, cauchy, flat``) that occurs: a free vector ``theta_<f>``
  with dims ``coef_<f>`` (the coefficient names of that family), built by
  :data:`PYMC_PRIORS`, and the hyper-parameter vectors ``prior_<f>_<param>`` named by the
  family's ``param_names`` (e.g. ``prior_normal_sigma``, ``prior_laplace_b``,
  ``prior_studentt_nu``, ``prior_cauchy_gamma``);
* the joint Jeffreys term (its coefficients are ``theta_flat``): the Potential ``jeffreys``
  :math:`= \tfrac12\log|X^\top W X|`, built by :data:`PYMC_JOINT`;
* the likelihood term, named ``endog_name``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from ..spec.prior_set import PriorSet
from ..spec.priors import FAMILIES
from ..validation import check_arrays, check_count, check_probability, check_seed
from .outputs import Draws

if TYPE_CHECKING:
    import pymc as pm

FloatArray = NDArray[np.float64]

__all__ = ["build_pymc_model", "NutsSampler", "sample_prior_predictive",
           "prior_data", "PYMC_PRIORS", "PYMC_JOINT"]

#: per-coefficient prior family -> PyMC constructor ``(pm, name, hyper, dims)`` of the
#: family's working coefficients; ``hyper`` maps the family's ``param_names`` to data
PYMC_PRIORS: dict[str, Callable[..., Any]] = {
    "normal": lambda pm, name, h, dims: pm.Normal(name, mu=h["mu"], sigma=h["sigma"],
                                                  dims=dims),
    "laplace": lambda pm, name, h, dims: pm.Laplace(name, mu=h["mu"], b=h["b"], dims=dims),
    "studentt": lambda pm, name, h, dims: pm.StudentT(name, nu=h["nu"], mu=h["mu"],
                                                      sigma=h["sigma"], dims=dims),
    "cauchy": lambda pm, name, h, dims: pm.Cauchy(name, alpha=h["mu"], beta=h["gamma"],
                                                  dims=dims),
    "flat": lambda pm, name, h, dims: pm.Flat(name, dims=dims),
}


def _jeffreys_potential(pm, pt, Xd, eta, md=None) -> None:
    w = pt.sigmoid(eta) * pt.sigmoid(-eta)
    if md is not None:  # binomial weights: W = m p (1 - p)
        w = w * md
    info = pt.dot((Xd * w[:, None]).T, Xd)
    chol = pt.linalg.cholesky(info)  # NaN (rejected proposal) if not positive definite
    pm.Potential("jeffreys", pt.sum(pt.log(pt.diag(chol))))  # = 0.5 log|X'WX|


#: joint prior family -> ``(pm, pt, X data, eta) -> None``, adding its Potential to the model
PYMC_JOINT: dict[str, Callable[..., None]] = {"jeffreys": _jeffreys_potential}
_RESERVED = {"X", "y_data", "offset", "center", "beta", "jeffreys", "weights"}

#: nutpie sample-stat name -> ArviZ / PyMC name
_STAT_NAMES = {
    "diverging": "diverging", "energy": "energy", "energy_error": "energy_error",
    "max_energy_error": "max_energy_error", "depth": "tree_depth",
    "maxdepth_reached": "reached_max_treedepth", "step_size": "step_size",
    "step_size_bar": "step_size_bar", "n_steps": "n_steps", "logp": "lp",
    "mean_tree_accept": "acceptance_rate", "index_in_trajectory": "index_in_trajectory",
}


def _families(prior_set: PriorSet) -> tuple[str, ...]:
    """Return the PyMC family of each coefficient's prior (TypeError if there is none)."""
    for prior, name in zip(prior_set.priors, prior_set.names, strict=True):
        if prior.family not in PYMC_PRIORS:
            raise TypeError(f"The PyMC backend has no translation for the prior {prior!r} of "
                            f"{name!r}.")
    joint = prior_set.joint
    if joint is not None and joint.family not in PYMC_JOINT:
        raise TypeError(f"The PyMC backend has no translation for the joint prior {joint!r}.")
    return tuple(p.family for p in prior_set.priors)


def _structure(prior_set: PriorSet, y: FloatArray, weights: FloatArray | None = None) -> tuple:
    """Return what the compiled graph depends on beyond data values (a change recompiles)."""
    binary = "weighted" if weights is not None else bool(np.all((y == 0) | (y == 1)))
    joint = None if prior_set.joint is None else prior_set.joint.family
    return (prior_set.names, prior_set.intercept_index, prior_set.centred, joint,
            _families(prior_set), binary)


def prior_data(prior_set: PriorSet) -> dict[str, FloatArray]:
    """Values of the prior ``pm.Data`` containers (hyper-parameter vectors and ``center``)."""
    out: dict[str, FloatArray] = {}
    for fam in PYMC_PRIORS:
        members = [p for p in prior_set.priors if p.family == fam]
        for par in FAMILIES[fam].param_names if members else ():
            out[f"prior_{fam}_{par}"] = np.array([p.params()[par] for p in members])
    if prior_set.centred:
        out["center"] = np.asarray(prior_set.center, dtype=float).copy()
    return out


def _check_data(X, y, offset, names, prior_set) -> tuple[FloatArray, FloatArray, FloatArray]:
    if len(names) != prior_set.k or tuple(prior_set.names) != tuple(names):
        raise ValueError(f"names={tuple(names)} but the prior set covers "
                         f"{tuple(prior_set.names)}; rebuild the priors for this design.")
    # copies: the compiled model keeps the data and never aliases caller arrays
    X, y, offset = check_arrays(X, y, offset, prior_set.k, copy=True)
    return X, y, np.zeros(len(y)) if offset is None else offset


def _unique_endog(endog_name: str) -> str:
    name = str(endog_name)
    taken = _RESERVED | {f"theta_{f}" for f in PYMC_PRIORS} | {f"coef_{f}" for f in PYMC_PRIORS}
    while name in taken or name.startswith("prior_"):
        name += "_"
    return name


def _build(X, y, offset, names, prior_set, endog_name, bernoulli=None,
           weights=None) -> pm.Model:
    import pymc as pm
    import pytensor.tensor as pt

    n, k = X.shape
    names = tuple(names)
    endog = _unique_endog(endog_name)
    if bernoulli is None:
        bernoulli = _structure(prior_set, y, weights)[-1] is True
    fams = _families(prior_set)
    present = [f for f in PYMC_PRIORS if f in fams]
    coords: dict[str, Any] = {"coef": names, "obs": np.arange(n)}
    for f in present:
        coords[f"coef_{f}"] = [nm for nm, g in zip(names, fams, strict=True) if g == f]
    hyper = prior_data(prior_set)
    with pm.Model(coords=coords) as model:
        Xd = pm.Data("X", X, dims=("obs", "coef"))
        yd = pm.Data("y_data", y, dims="obs")
        od = pm.Data("offset", offset, dims="obs")
        md = None if weights is None else pm.Data("weights", weights, dims="obs")
        parts, order = [], []
        for f in present:
            dims = f"coef_{f}"
            h = {par: pm.Data(f"prior_{f}_{par}", hyper[f"prior_{f}_{par}"], dims=dims)
                 for par in FAMILIES[f].param_names}
            parts.append(PYMC_PRIORS[f](pm, f"theta_{f}", h, dims))
            order.extend(j for j in range(k) if fams[j] == f)
        theta = parts[0] if len(parts) == 1 else pt.concatenate(parts)
        if order != list(range(k)):
            theta = theta[np.argsort(order)]
        if "center" in hyper:
            c = pm.Data("center", hyper["center"], dims="coef")
            onehot = np.eye(k)[prior_set.intercept_index]
            beta = pm.Deterministic("beta", theta - onehot * pt.dot(c, theta), dims="coef")
        else:
            beta = pm.Deterministic("beta", theta, dims="coef")
        eta = pt.dot(Xd, beta) + od
        if prior_set.joint is not None:
            PYMC_JOINT[prior_set.joint.family](pm, pt, Xd, eta, md)
        if bernoulli:
            pm.Bernoulli(endog, logit_p=eta, observed=yd, dims="obs")
        elif md is not None:  # binomial counts / frequency weights: m (y eta - log(1 + e^eta))
            pm.Potential(endog, pt.sum(md * (yd * eta - pm.math.log1pexp(eta))))
        else:
            pm.Potential(endog, pt.sum(yd * eta - pm.math.log1pexp(eta)))
    return model


def build_pymc_model(X: FloatArray, y: FloatArray, offset: FloatArray | None,
                     names: tuple[str, ...], prior_set: PriorSet,
                     endog_name: str = "y") -> pm.Model:
    """Compile the spec to a ``pm.Model`` (see the module docstring for its variables).

    Parameters
    ----------
    X : ndarray, shape (n, k)
        Design matrix (copied).
    y : ndarray, shape (n,)
        Response in [0, 1]; 0/1 gives a Bernoulli likelihood, fractional values a Potential
        with the Bernoulli quasi-log-likelihood.
    offset : ndarray, shape (n,), or None
        Added to the linear predictor.
    names : tuple of str
        Coefficient names (the ``coef`` coordinate).
    prior_set : PriorSet
        Priors on the working coefficients.
    endog_name : str
        Name of the likelihood term (suffixed with ``_`` if it collides with a reserved name).
    """
    X, y, offset = _check_data(X, y, offset, names, prior_set)
    return _build(X, y, offset, names, prior_set, endog_name)


def _seed(random_seed: Any) -> int:
    """Return nutpie's seed (an unsigned 64-bit integer) for any accepted random_seed."""
    random_seed = check_seed(random_seed)
    if isinstance(random_seed, int) and random_seed < 2**64:
        return random_seed
    return int(np.random.default_rng(random_seed).integers(2**63))


class NutsSampler:
    """Compiles the model once with ``nutpie.compile_pymc_model`` and reuses it.

    Later calls to :meth:`sample` may pass a new ``prior_set`` and/or new ``X``, ``y``,
    ``offset``. When the prior families, the coefficient names, the intercept position and
    the kind of response (0/1 or fractional) are unchanged, the new values are swapped into
    the compiled model with ``with_data`` (no recompilation; the number of rows may change);
    otherwise the model is rebuilt and recompiled (counted in :attr:`n_compilations`). The new
    values stay in effect for later calls. The centring vector belongs to the prior set: new
    ``X`` without a new ``prior_set`` keeps the old centring, i.e. the same prior. New ``X``
    with a different number of rows and no ``offset`` gets a zero offset.

    Attributes
    ----------
    n_compilations : int
        How many times the model was compiled (0 before the first :meth:`sample`).
    """

    def __init__(self, X: FloatArray, y: FloatArray, offset: FloatArray | None,
                 names: tuple[str, ...], prior_set: PriorSet, endog_name: str = "y",
                 weights: FloatArray | None = None) -> None:
        self._names = tuple(names)
        self._endog_name = endog_name
        self._X, self._y, self._offset = _check_data(X, y, offset, self._names, prior_set)
        self._weights = None if weights is None else np.array(weights, dtype=float)
        self._prior_set = prior_set
        self._structure = _structure(prior_set, self._y, self._weights)
        self._model = _build(self._X, self._y, self._offset, self._names, prior_set, endog_name,
                             weights=self._weights)
        self._compiled: Any = None
        self.n_compilations = 0

    def model(self) -> pm.Model:
        """Return the built ``pm.Model``, with the data and prior values of the latest call."""
        return self._model

    def _update(self, prior_set, X, y, offset) -> None:
        ps = self._prior_set if prior_set is None else prior_set
        new_x = self._X if X is None else X
        new_y = self._y if y is None else y
        if offset is None and X is not None and len(new_x) != len(self._X):
            offset = np.zeros(len(new_x))
        new_off = self._offset if offset is None else offset
        Xc, yc, oc = _check_data(new_x, new_y, new_off, self._names, ps)
        if self._weights is not None and len(self._weights) != len(yc):
            raise ValueError("New data for a model with binomial weights must keep the number "
                             "of rows; build a new sampler for other counts.")
        structure = _structure(ps, yc, self._weights)
        self._X, self._y, self._offset, self._prior_set = Xc, yc, oc, ps
        if structure != self._structure:
            self._structure = structure
            self._model = _build(Xc, yc, oc, self._names, ps, self._endog_name,
                                 weights=self._weights)
            self._compiled = None
            return
        updates: dict[str, np.ndarray] = {}
        if prior_set is not None:
            updates.update(prior_data(ps))
        if X is not None:
            updates["X"] = Xc
        if y is not None or X is not None:
            updates["y_data"] = yc
        if offset is not None or X is not None:
            updates["offset"] = oc
        if not updates:
            return
        import pymc as pm

        pm.set_data(updates, model=self._model, coords={"obs": np.arange(len(Xc))})
        if self._compiled is not None:
            # with_data raises KeyError for data the compiled graph does not read
            known = {var.name for var in self._compiled.shared_var_keys}
            self._compiled = self._compiled.with_data(
                **{k: v for k, v in updates.items() if k in known})

    def sample(self, *, draws: int = 1000, tune: int = 1000, chains: int = 4,
               random_seed: Any = None, progressbar: bool = False,
               target_accept: float | None = None, prior_set: PriorSet | None = None,
               X: FloatArray | None = None, y: FloatArray | None = None,
               offset: FloatArray | None = None, **sampler_kwargs: Any) -> Draws:
        """Run nutpie's NUTS; warm-up draws are discarded.

        Parameters
        ----------
        draws, tune, chains : int
            Kept draws per chain, adaptation steps per chain, number of chains.
        random_seed : int, numpy Generator or None
            Same integer -> identical draws.
        progressbar : bool
            Show nutpie's progress bar.
        target_accept : float, optional
            Step-size adaptation target (nutpie's default 0.8).
        prior_set, X, y, offset : optional
            New priors / data for this and later calls (see the class docstring).
        **sampler_kwargs
            Passed to ``nutpie.sample`` (e.g. ``cores``, ``maxdepth``, ``adaptation``).
            ``cores`` defaults to ``min(chains, os.cpu_count())``.

        Returns
        -------
        Draws
            ``beta`` (chain, draw, k), the reported coefficients; ``sample_stats`` maps ArviZ
            names (``diverging``, ``energy``, ``tree_depth``, ``step_size``, ``n_steps``,
            ``lp``, ``acceptance_rate``, ...) to (chain, draw) arrays; ``info``: ``sampler``
            ("nuts (nutpie)"), ``sampling_time`` and ``compile_time`` (wall seconds; zero
            when the compiled model was reused) and ``tune``.
        """
        import nutpie

        draws = check_count("draws", draws, 1, example=1000)
        tune = check_count("tune", tune, 0, example=1000)
        chains = check_count("chains", chains, 1, example=4)
        seed = _seed(random_seed)
        if target_accept is not None:
            sampler_kwargs["target_accept"] = check_probability("target_accept", target_accept,
                                                                0.9)
        if any(v is not None for v in (prior_set, X, y, offset)):
            self._update(prior_set, X, y, offset)
        compile_time = 0.0
        if self._compiled is None:
            t0 = time.perf_counter()
            self._compiled = nutpie.compile_pymc_model(self._model)
            compile_time = time.perf_counter() - t0
            self.n_compilations += 1
        cores = sampler_kwargs.pop("cores", None) or min(int(chains), os.cpu_count() or 1)
        t0 = time.perf_counter()
        try:
            trace = nutpie.sample(self._compiled, draws=draws, tune=tune,
                                  chains=chains, cores=int(cores),
                                  seed=seed, save_warmup=False,
                                  progress_bar=bool(progressbar), **sampler_kwargs)
        except AttributeError as err:  # nutpie's message for an unknown keyword
            if "Unknown settings attribute" not in str(err):
                raise
            raise TypeError(f"{err}; NUTS options include target_accept, maxdepth, "
                            "adaptation and cores.") from None
        sampling_time = time.perf_counter() - t0
        beta = trace["posterior"]["beta"].transpose("chain", "draw", "coef").values
        raw = trace["sample_stats"]
        stats = {new: np.asarray(raw[old].values) for old, new in _STAT_NAMES.items()
                 if old in raw.data_vars and raw[old].dims == ("chain", "draw")}
        return Draws(beta=np.ascontiguousarray(beta, dtype=float), sample_stats=stats,
                     info={"sampler": "nuts (nutpie)", "sampling_time": sampling_time,
                           "compile_time": compile_time, "tune": tune})


def sample_prior_predictive(X: FloatArray, y: FloatArray, offset: FloatArray | None,
                            names: tuple[str, ...], prior_set: PriorSet, draws: int = 500,
                            random_seed: Any = None) -> dict[str, np.ndarray]:
    """Forward draws from the prior: ``{"beta": (1, draws, k), "y": (1, draws, n)}``.

    ``y`` are 0/1 Bernoulli draws with ``p = expit(X beta + offset)`` (also for a fractional
    response, whose quasi-likelihood has no generative form).

    Raises
    ------
    ValueError
        Some prior is improper (Flat) or is the Jeffreys prior, which PyMC cannot draw from.
    """
    import pymc as pm

    X, y, offset = _check_data(X, y, offset, names, prior_set)
    if prior_set.joint is not None:
        raise ValueError(f"The joint {prior_set.joint.describe()} prior cannot be sampled "
                         f"forward (coefficients {list(names)}); use proper priors such as "
                         "Normal(0, 2.5).")
    flat = [names[j] for j in prior_set.flat_index]
    if flat:
        raise ValueError(f"Flat priors are improper and cannot be sampled for {flat}; give "
                         "these coefficients proper priors such as Normal(0, 2.5).")
    draws = check_count("draws", draws, 1, example=500)
    random_seed = check_seed(random_seed)
    model = _build(X, (y > 0.5).astype(float), offset, names, prior_set, "y", bernoulli=True)
    pp = pm.sample_prior_predictive(draws=draws, model=model, var_names=["beta", "y"],
                                    random_seed=random_seed)
    beta = pp["prior"]["beta"].transpose("chain", "draw", "coef").values
    yy = pp["prior_predictive"]["y"].transpose("chain", "draw", "obs").values
    return {"beta": np.asarray(beta, dtype=float), "y": np.asarray(yy, dtype=float)}
