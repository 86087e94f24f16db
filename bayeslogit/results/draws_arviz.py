"""The ArviZ side of draw results: ``to_arviz``, ``loo`` and ``power_scaling`` at any n.

:class:`DrawsArviz` is a mixin of :class:`~bayeslogit.results.draws.DrawResults`; it uses
the result's ``_tree`` (the stored groups), ``_beta`` (chain, draw, k), ``model`` and a
``_derived`` dict where groups built from a fixed seed are kept.

Groups of chains x draws x n values (``log_likelihood``, ``posterior_predictive``,
``prior_predictive``) are built only on request or while they fit in ``max_elements``;
``loo()`` and ``power_scaling()`` never need them (:mod:`~bayeslogit.results.pointwise`).
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from ..checks import check_bool, check_number
from ..errors import DataWarning, UnsupportedPriorError
from ..validation import check_count
from .datatree import count_terms, log_likelihood_group, observed_outcomes
from .pointwise import DEFAULT_MAX_ELEMENTS, blocked_loo, fits, power_scaling_tree
from .predictive import prior_draws, simulate_outcomes

if TYPE_CHECKING:
    import xarray

__all__ = ["DrawsArviz"]

_SWITCH = (True, False, "auto")


def _check_switch(name: str, value: Any) -> bool | str:
    if isinstance(value, bool | np.bool_) or (isinstance(value, str) and value == "auto"):
        return value if isinstance(value, str) else bool(value)
    raise ValueError(f"{name}={value!r} is not one of {list(_SWITCH)}; e.g. "
                     f"to_arviz({name}=True) includes the group at any size.")


def _node(group: str, var: dict[str, Any], dims: dict[str, list[str]],
          coords: dict[str, Any]) -> Any:
    import arviz_base as az

    return az.from_dict({group: var}, dims=dims, coords=coords)[group]


class DrawsArviz:
    """``to_arviz``, ``loo`` and ``power_scaling`` of results made of coefficient draws."""

    _tree: Any
    _beta: np.ndarray
    _derived: dict[tuple[str, Any], Any]
    model: Any

    def to_arviz(self, *, log_likelihood: bool | Literal["auto"] = "auto",
                 predictive: bool | Literal["auto"] = "auto",
                 max_elements: int = DEFAULT_MAX_ELEMENTS,
                 random_seed: int | None = 0) -> xarray.DataTree:
        """Return the draws as an ArviZ DataTree.

        Groups: ``posterior``, ``sample_stats``, ``log_prior``, ``observed_data``,
        ``constant_data`` always; ``prior`` (``beta`` drawn from each coefficient's prior,
        chains x draws as the posterior) unless a prior is flat/improper or joint
        (Jeffreys), which cannot be drawn from; and the three groups of chains x draws x n
        values: ``log_likelihood`` (``y``, the pointwise log-likelihood),
        ``posterior_predictive`` and ``prior_predictive`` (``y``, 0/1 outcomes simulated
        from the posterior and prior draws; the latter only with a ``prior`` group). Large
        groups are left out above ``max_elements`` values, with a
        :class:`~bayeslogit.errors.DataWarning` saying which and how to get them; ``loo()``
        and ``power_scaling()`` never need them.

        Parameters
        ----------
        log_likelihood : bool or "auto"
            Include the ``log_likelihood`` group: "auto" while chains x draws x n is at
            most ``max_elements``; True at any size (chains x draws x n x 8 bytes).
        predictive : bool or "auto"
            Include ``posterior_predictive`` and ``prior_predictive``, likewise (1 byte
            per value).
        max_elements : int
            The size limit of "auto", in values (default 2e7: 160 MB of log-likelihood).
        random_seed : int or None
            Seed of the ``prior`` and predictive draws; groups for an integer seed are
            built once per result and kept (None: fresh draws each call).

        Returns
        -------
        xarray.DataTree
            A shallow copy of the result's tree: replacing or adding groups in it leaves the
            result alone; the arrays are shared and must not be modified in place.

        Raises
        ------
        ImportError
            ArviZ is not installed.
        ValueError
            ``log_likelihood`` or ``predictive`` not a bool or "auto", or ``max_elements``
            not a non-negative integer.

        Warns
        -----
        DataWarning
            A group left out under "auto" because it is larger than ``max_elements``.

        References
        ----------
        .. [1] Kumar, R., Carroll, C., Hartikainen, A. and Martin, O. (2019). "ArviZ a unified
           library for exploratory analysis of Bayesian models in Python." Journal of Open
           Source Software 4(33), 1143.
        .. [2] Vehtari, A., Gelman, A. and Gabry, J. (2017). "Practical Bayesian model
           evaluation using leave-one-out cross-validation and WAIC." Statistics and
           Computing 27(5), 1413-1432 (what the ``log_likelihood`` group serves).

        Examples
        --------
        >>> import numpy as np, bayeslogit as bl
        >>> X = np.column_stack([np.ones(8), [0.0, 1, 2, 3, 4, 5, 6, 7]])
        >>> model = bl.Logit([0, 0, 1, 0, 1, 0, 1, 1], X, priors=bl.Normal(0, 2.5))
        >>> post = model.sample(sampler="gibbs", random_seed=1, progressbar=False)
        >>> sorted(post.to_arviz().children)[:4]
        ['constant_data', 'log_likelihood', 'log_prior', 'observed_data']
        """
        tree = self._tree.copy()
        for name, group in self._extra_groups(log_likelihood, predictive, max_elements,
                                              random_seed).items():
            tree[name] = group
        return tree

    def loo(self, pointwise: bool | None = None, reff: float | None = None,
            **kwargs: Any) -> Any:
        """Estimate leave-one-out predictive accuracy by PSIS-LOO, at any number of rows.

        The pointwise log-likelihood is evaluated block by block of observations and each
        block goes through arviz-stats' PSIS (the code :func:`arviz_stats.loo` runs), so
        memory is bounded by a block, not by chains x draws x n, and the numbers are
        ArviZ's (PSIS is computed per observation; ``elpd``, ``se`` and ``p`` are
        aggregated from the pointwise values by arviz-stats).

        Parameters
        ----------
        pointwise : bool, optional
            Keep ``elpd_i`` and ``pareto_k`` (one value per observation) in the result;
            ArviZ's default when None.
        reff : float, optional
            Relative MCMC efficiency; computed from the posterior as ArviZ does when None.
        **kwargs
            Other arguments of :func:`arviz_stats.loo` (``log_jacobian``, ``mixture``,
            ...). They need the whole log-likelihood, so they are passed to
            :func:`arviz_stats.loo` on ``to_arviz(log_likelihood=True)``: chains x draws x n
            values in memory.

        Returns
        -------
        ELPDDataLOO
            ArviZ's result: ``elpd``, ``se``, ``p``, ``warning``, ``good_k``, and
            ``elpd_i`` / ``pareto_k`` (dims ``obs``) when pointwise. Computed block by
            block its ``log_weights`` is None (chains x draws x n values); with extra
            ``kwargs`` it is ArviZ's own result, weights included.

        References
        ----------
        .. [1] Vehtari, A., Gelman, A. and Gabry, J. (2017). "Practical Bayesian model
           evaluation using leave-one-out cross-validation and WAIC." Statistics and
           Computing 27(5), 1413-1432.
        """
        if pointwise is not None:
            pointwise = check_bool("pointwise", pointwise, call="result.loo")
        if reff is not None:
            reff = check_number("reff", reff, low=0.0, low_open=True, example=1.0)
        if kwargs:
            import arviz_stats as az

            return az.loo(self.to_arviz(log_likelihood=True, predictive=False),
                          pointwise=pointwise, reff=reff, **kwargs)
        d = self.model.design
        weights, const = count_terms(d)
        return blocked_loo(self._tree, self._beta, d.X, d.y, d.offset, pointwise=pointwise,
                           reff=reff, weights=weights, const=const)

    def _require_log_prior(self, caller: str) -> None:
        if "log_prior" not in self._tree.children:
            raise UnsupportedPriorError(
                f"{caller}() scales the prior, but every prior of this model is flat, so there "
                "is no log_prior to scale. Sample under proper priors, e.g. the defaults: "
                "post = post.model.with_priors(None).sample()")

    def power_scaling(self, **kwargs: Any) -> pd.DataFrame:
        """Measure prior and likelihood sensitivity by power scaling (no refit), at any n.

        Uses ArviZ's ``psense_summary`` on the ``log_prior`` group and the log-likelihood
        summed over observations per draw (all that power scaling the likelihood uses),
        accumulated in blocks: memory does not grow with chains x draws x n.

        Parameters
        ----------
        **kwargs
            Passed to ``arviz_stats.psense_summary``. ``likelihood_coords`` (a subset of
            observations) needs the pointwise values and uses
            ``to_arviz(log_likelihood=True)``.

        Returns
        -------
        DataFrame
            Prior and likelihood sensitivity and a diagnosis per coefficient.

        Raises
        ------
        UnsupportedPriorError
            Every prior is flat, so there is no ``log_prior`` group to scale.

        References
        ----------
        .. [1] Kallioinen, N., Paananen, T., Burkner, P.-C. and Vehtari, A. (2024). "Detecting
           and diagnosing prior and likelihood sensitivity with power-scaling." Statistics
           and Computing 34, 57.
        """
        import arviz_stats as az

        self._require_log_prior("power_scaling")
        import contextlib
        import io
        import logging

        tree = (self.to_arviz(log_likelihood=True, predictive=False)
                if kwargs.get("likelihood_coords") is not None else self.power_scaling_data())
        # psense_summary logs and prints a reading guide; the returned table is the result
        logger = logging.getLogger("arviz_stats.psense")
        level = logger.level
        logger.setLevel(logging.ERROR)
        try:
            with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
                warnings.simplefilter("ignore")
                return az.psense_summary(tree, var_names=["beta"], **kwargs)
        finally:
            logger.setLevel(level)

    def power_scaling_data(self) -> Any:
        """Return the tree ArviZ's power scaling needs, at any n.

        Returns
        -------
        xarray.DataTree
            ``posterior``, ``log_prior`` and ``log_likelihood.y`` summed over observations
            (shape (chain, draw)), built in blocks of observations; what
            ``arviz_stats.psense_summary`` and ``arviz_plots.plot_psense_dist`` use.

        Raises
        ------
        UnsupportedPriorError
            Every prior is flat, so there is no ``log_prior`` group to scale.
        """
        self._require_log_prior("power_scaling_data")
        d = self.model.design
        return power_scaling_tree(self._tree, self._beta, d.X, d.y, d.offset, d.weights)

    def _extra_groups(self, log_likelihood: Any, predictive: Any, max_elements: Any,
                      random_seed: Any) -> dict[str, Any]:
        """Return the groups ``to_arviz`` adds to the stored tree (built or from the cache)."""
        log_likelihood = _check_switch("log_likelihood", log_likelihood)
        predictive = _check_switch("predictive", predictive)
        max_elements = check_count("max_elements", max_elements, 0, example=20_000_000)
        if random_seed is not None and not isinstance(random_seed, int | np.integer):
            raise ValueError(f"random_seed={random_seed!r} must be an integer or None, e.g. "
                             "to_arviz(random_seed=1).")
        d = self.model.design
        c, dr, _ = self._beta.shape
        small = fits(self._beta.shape, d.nobs, max_elements)
        obs = {"coords": {"obs": np.arange(d.nobs)}, "dims": {"y": ["obs"]}}
        out: dict[str, Any] = {}
        left_out = []

        def cached(name: str, build: Any, keep: bool, seeded: bool = True) -> Any:
            key = (name, random_seed if seeded else None)
            if key in self._derived:
                return self._derived[key]
            value = build()
            if keep and (not seeded or random_seed is not None):
                self._derived[key] = value
            return value

        if "log_likelihood" in self._tree.children:
            pass  # stored with the draws (a Laplace fit of a small data set)
        elif log_likelihood is True or (log_likelihood == "auto" and small):
            out["log_likelihood"] = cached("log_likelihood", lambda: log_likelihood_group(
                self._beta, d.X, d.y, d.offset, d), small, seeded=False)
        elif log_likelihood == "auto":
            left_out.append("log_likelihood")
        seeds = np.random.SeedSequence(random_seed).spawn(3)

        def prior_node() -> Any:
            beta = prior_draws(self.model.prior_set, c, dr, np.random.default_rng(seeds[0]))
            return None if beta is None else _node("prior", {"beta": beta},
                                                   {"beta": ["coef"]},
                                                   {"coef": list(d.exog_names)})

        node = cached("prior", prior_node, True)
        prior = None if node is None else node["beta"].values
        if node is not None:
            out["prior"] = node
        if predictive is True or (predictive == "auto" and small):
            out["posterior_predictive"] = cached("posterior_predictive", lambda: _node(
                "posterior_predictive", {"y": simulate_outcomes(
                    self._beta, d.X, d.offset, np.random.default_rng(seeds[1]),
                    trials=d.trials)}, **obs),
                small)
            if prior is not None:
                out["prior_predictive"] = cached("prior_predictive", lambda: _node(
                    "prior_predictive", {"y": simulate_outcomes(
                        prior, d.X, d.offset, np.random.default_rng(seeds[2]),
                        trials=d.trials)}, **obs),
                    small)
        elif predictive == "auto":
            left_out.append("posterior_predictive" + (
                " and prior_predictive" if prior is not None else ""))
        if d.binary or d.trials is not None:
            # integers (0/1 or success counts), as the predictive groups hold them
            out["observed_data"] = cached("observed_data", lambda: _node(
                "observed_data", {"y": observed_outcomes(d.y, d)}, **obs), True, seeded=False)
        if left_out:
            warnings.warn(
                f"to_arviz() left out {' and '.join(left_out)}: {c} chains x {dr} draws x "
                f"{d.nobs} rows = {c * dr * d.nobs:,} values each, above "
                f"max_elements={max_elements:,}. Include them with "
                "to_arviz(log_likelihood=True, predictive=True) (or a larger max_elements); "
                "result.loo() and result.power_scaling() do not need them.",
                DataWarning, stacklevel=3)
        return out
