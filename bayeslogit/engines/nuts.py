"""A compile-once NUTS sampler: the model of :mod:`bayeslogit.engines.pymc_model`, by nutpie.

:class:`NutsSampler` compiles the model once with ``nutpie.compile_pymc_model`` and swaps new
data and prior hyper-parameters into the compiled model; :func:`sample_prior_predictive`
draws forward from the PyMC model. The model builders are re-exported here.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from ..spec.prior_set import PriorSet
from ..validation import check_count, check_probability, check_seed
from .outputs import Draws
from .pymc_model import (
    PYMC_JOINT,
    PYMC_PRIORS,
    build_model,
    build_pymc_model,
    check_model_data,
    graph_structure,
    prior_data,
)

if TYPE_CHECKING:
    import pymc as pm

FloatArray = NDArray[np.float64]

__all__ = ["build_pymc_model", "NutsSampler", "sample_prior_predictive", "interrupt_deferred",
           "prior_data", "PYMC_PRIORS", "PYMC_JOINT"]

#: nutpie sample-stat name -> ArviZ / PyMC name
_STAT_NAMES = {
    "diverging": "diverging", "energy": "energy", "energy_error": "energy_error",
    "max_energy_error": "max_energy_error", "depth": "tree_depth",
    "maxdepth_reached": "reached_max_treedepth", "step_size": "step_size",
    "step_size_bar": "step_size_bar", "n_steps": "n_steps", "logp": "lp",
    "mean_tree_accept": "acceptance_rate", "index_in_trajectory": "index_in_trajectory",
}


def _check_weights(weights: Any, n: int) -> FloatArray | None:
    """Return a private float copy of binomial weights (None for 0/1 rows)."""
    if weights is None:
        return None
    w = np.array(weights, dtype=float)
    if w.shape != (n,) or not np.all(np.isfinite(w) & (w > 0)):
        raise ValueError(f"weights: expected {n} positive finite values, got shape {w.shape}.")
    return w


@contextmanager
def interrupt_deferred(what: str = "the NUTS model is compiled") -> Iterator[None]:
    """Hold back Ctrl-C (SIGINT) while the block runs and raise it when the block ends.

    An interrupt in the middle of importing pymc, pytensor, numba or nutpie, or of compiling
    the model, can leave those modules half-initialised, so that every later NUTS call in
    the process fails or hangs. In the main thread, with Python's default SIGINT handler in
    place, a signal arriving inside the block is recorded (and a line on standard error says
    so) and ``KeyboardInterrupt`` is raised as soon as the block has finished. Elsewhere
    (other threads, a handler of the caller's own) the block runs unchanged.
    """
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        yield
        return
    received: list[int] = []

    def record(signum: int, frame: Any) -> None:
        if not received:
            print(f"\nInterrupted: stopping as soon as {what} (a few seconds).",
                  file=sys.stderr, flush=True)
        received.append(signum)

    signal.signal(signal.SIGINT, record)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if received:
        raise KeyboardInterrupt


def _run_nutpie(nutpie: Any, compiled: Any, **kwargs: Any) -> Any:
    """Run nutpie's sampler in the background and wait for it; an interrupt stops it.

    ``nutpie.sample`` catches ``KeyboardInterrupt`` and returns the draws taken so far (NaN
    for the rest). Here the wait is ours: on any exception, Ctrl-C included, the sampler is
    cancelled (its threads stopped, its draws discarded) and the exception propagates.
    """
    background = nutpie.sample(compiled, blocking=False, **kwargs)
    try:
        return background.wait()
    except BaseException:
        try:
            background.cancel()
        except Exception:  # noqa: BLE001 - already finished; the first error matters
            pass
        raise


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

    Thread-safe: the new values are swapped in under a lock, and each run samples an
    immutable copy of the compiled model bound to its own data and priors (nutpie's
    ``with_data`` copies), so runs overlapping in threads do not see each other's values.
    Ctrl-C raises ``KeyboardInterrupt`` (nutpie's sampler is cancelled, its draws
    discarded); while the model is built, compiled or given new values, the interrupt is
    held back until that is done (:func:`interrupt_deferred`).

    Attributes
    ----------
    n_compilations : int
        How many times the model was compiled (0 before the first :meth:`sample`).
    source : object
        What the caller says the data in the model came from (e.g. its design), so that a
        sampler shared by several data sets is given new data only when they change.
    """

    def __init__(self, X: FloatArray, y: FloatArray, offset: FloatArray | None,
                 names: tuple[str, ...], prior_set: PriorSet, endog_name: str = "y",
                 weights: FloatArray | None = None) -> None:
        self._names = tuple(names)
        self._endog_name = endog_name
        self._X, self._y, self._offset = check_model_data(X, y, offset, self._names, prior_set)
        self._weights = _check_weights(weights, len(self._y))
        self._prior_set = prior_set
        self._structure = graph_structure(prior_set, self._y, self._weights)
        with interrupt_deferred("pymc is imported"):
            self._model = build_model(self._X, self._y, self._offset, self._names, prior_set,
                                      endog_name, weights=self._weights)
        self._compiled: Any = None
        self.n_compilations = 0
        self.source: Any = None
        # held while the data are swapped in and the compiled model is taken for a run
        self._lock = threading.RLock()

    def model(self) -> pm.Model:
        """Return the built ``pm.Model``, with the data and prior values of the latest call."""
        return self._model

    def _update(self, prior_set, X, y, offset, weights) -> None:
        ps = self._prior_set if prior_set is None else prior_set
        new_x = self._X if X is None else X
        new_y = self._y if y is None else y
        if offset is None and X is not None and len(new_x) != len(self._X):
            offset = np.zeros(len(new_x))
        new_off = self._offset if offset is None else offset
        Xc, yc, oc = check_model_data(new_x, new_y, new_off, self._names, ps)
        if weights is not None:
            wc = _check_weights(None if isinstance(weights, str) else weights, len(yc))
        elif self._weights is not None and len(self._weights) != len(yc):
            raise ValueError(f"weights: the sampler holds {len(self._weights)} binomial "
                             f"weights but the new data have {len(yc)} rows; pass "
                             "weights=<trials x frequency weights of the new rows>.")
        else:
            wc = self._weights
        structure = graph_structure(ps, yc, wc)
        self._X, self._y, self._offset, self._prior_set = Xc, yc, oc, ps
        self._weights = wc
        if structure != self._structure:
            self._structure = structure
            self._model = build_model(Xc, yc, oc, self._names, ps, self._endog_name,
                                      weights=wc)
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
        if wc is not None and (weights is not None or X is not None):
            updates["weights"] = wc
        if not updates:
            return
        import pymc as pm

        pm.set_data(updates, model=self._model, coords={"obs": np.arange(len(Xc))})
        if self._compiled is not None:
            # with_data raises KeyError for data the compiled graph does not read
            known = {var.name for var in self._compiled.shared_var_keys}
            self._compiled = self._compiled.with_data(
                **{k: v for k, v in updates.items() if k in known})

    def _compile(self, progressbar: bool, nutpie: Any) -> float:
        """Compile the model (inside the caller's lock); return the wall seconds."""
        if progressbar:
            print("Compiling the NUTS model (once per model; later fits with new data or "
                  "prior values reuse it)...", end=" ", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        self._compiled = nutpie.compile_pymc_model(self._model)
        compile_time = time.perf_counter() - t0
        self.n_compilations += 1
        if progressbar:
            print(f"done in {compile_time:.1f} s.", file=sys.stderr, flush=True)
        return compile_time

    def sample(self, *, draws: int = 1000, tune: int = 1000, chains: int = 4,
               random_seed: Any = None, progressbar: bool = False,
               target_accept: float | None = None, prior_set: PriorSet | None = None,
               X: FloatArray | None = None, y: FloatArray | None = None,
               offset: FloatArray | None = None, weights: FloatArray | str | None = None,
               source: Any = None, **sampler_kwargs: Any) -> Draws:
        """Run nutpie's NUTS; warm-up draws are discarded.

        Parameters
        ----------
        draws, tune, chains : int
            Kept draws per chain, adaptation steps per chain, number of chains.
        random_seed : int, numpy Generator or None
            Same integer -> identical draws.
        progressbar : bool
            Show nutpie's progress bar, and a message on standard error while the model
            compiles.
        target_accept : float, optional
            Step-size adaptation target (nutpie's default 0.8).
        prior_set, X, y, offset : optional
            New priors / data for this and later calls (see the class docstring).
        weights : ndarray, shape (n,), or "none", optional
            New binomial weights (trials x frequency weights, ``y`` then the proportion);
            ``"none"`` returns to 0/1 rows; None keeps the current ones.
        source : object, optional
            What ``X``, ``y``, ``offset`` and ``weights`` came from (e.g. a design): when it
            is the :attr:`source` of the data already loaded, they are not loaded again;
            afterwards it is the :attr:`source`.
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
        draws = check_count("draws", draws, 1, example=1000)
        tune = check_count("tune", tune, 0, example=1000)
        chains = check_count("chains", chains, 1, example=4)
        seed = _seed(random_seed)
        if target_accept is not None:
            sampler_kwargs["target_accept"] = check_probability("target_accept", target_accept,
                                                                0.9)
        # one thread at a time binds data and priors (the run then uses its own copy);
        # Ctrl-C waits until the model is consistent again (and compiled, on a first call)
        with self._lock, interrupt_deferred():
            if source is not None and source is self.source:
                X = y = offset = weights = None  # these data are loaded already
            if any(v is not None for v in (prior_set, X, y, offset, weights)):
                self.source = None  # unknown until the update has succeeded
                self._update(prior_set, X, y, offset, weights)
            if source is not None:
                self.source = source
            import nutpie

            compile_time = 0.0
            if self._compiled is None:
                compile_time = self._compile(progressbar, nutpie)
            # an immutable compiled model bound to this call's data and priors: a later
            # call's with_data makes a new one and leaves this run's alone
            compiled = self._compiled
        cores = sampler_kwargs.pop("cores", None) or min(int(chains), os.cpu_count() or 1)
        t0 = time.perf_counter()
        try:
            trace = _run_nutpie(nutpie, compiled, draws=draws, tune=tune, chains=chains,
                                cores=int(cores), seed=seed, save_warmup=False,
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

    X, y, offset = check_model_data(X, y, offset, names, prior_set)
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
    model = build_model(X, (y > 0.5).astype(float), offset, names, prior_set, "y", bernoulli=True)
    pp = pm.sample_prior_predictive(draws=draws, model=model, var_names=["beta", "y"],
                                    random_seed=random_seed)
    beta = pp["prior"]["beta"].transpose("chain", "draw", "coef").values
    yy = pp["prior_predictive"]["y"].transpose("chain", "draw", "obs").values
    return {"beta": np.asarray(beta, dtype=float), "y": np.asarray(yy, dtype=float)}
