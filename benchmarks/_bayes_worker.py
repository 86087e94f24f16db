"""Worker side of ``benchmarks/bayes.py``: the data sets, one timed (contender, data set)
run in a fresh process, and the breakdown of ``bl-auto``'s first call.

See ``bayes.py`` for the protocol; this module is imported by it and by nothing else.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

DATASETS = {"spector": (32, 3), "n1000": (1000, 10), "n20000": (20000, 20)}
CHAINS = 4
PRIOR_SCALE = 2.5
SEED = 1


# --------------------------------------------------------------------------- data
def make_synthetic(n: int, p: int, seed: int = 20240) -> dict[str, np.ndarray]:
    """Correlated predictors with unequal scales and means; y ~ Bernoulli(expit(eta))."""
    rng = np.random.default_rng(seed + 7919 * p + n)
    idx = np.arange(p)
    corr = 0.3 ** np.abs(idx[:, None] - idx[None, :])
    z = rng.standard_normal((n, p)) @ np.linalg.cholesky(corr).T
    scales = np.geomspace(0.5, 3.0, p)
    means = rng.normal(0.0, 2.0, p)
    x = z * scales + means
    eta = -0.4 + z @ rng.normal(0.0, 0.5, p)
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-eta))).astype(float)
    return {"X": x, "y": y, "names": np.array([f"x{j + 1}" for j in range(p)]),
            "endog": np.array("y")}


def load_spector() -> dict[str, np.ndarray]:
    from statsmodels.datasets import spector

    df = spector.load_pandas().data
    return {"X": df[["GPA", "TUCE", "PSI"]].to_numpy(float), "y": df["GRADE"].to_numpy(float),
            "names": np.array(["GPA", "TUCE", "PSI"]), "endog": np.array("GRADE")}


def write_datasets(names: list[str], folder: Path) -> dict[str, Path]:
    out = {}
    for name in names:
        data = load_spector() if name == "spector" else make_synthetic(*DATASETS[name])
        path = folder / f"{name}.npz"
        np.savez(path, **data)
        out[name] = path
    return out


# --------------------------------------------------------------------------- worker
def _frame(path: str):
    import pandas as pd

    z = np.load(path)
    names = [str(s) for s in z["names"]]
    endog = str(z["endog"])
    df = pd.DataFrame(z["X"], columns=names)
    df.insert(0, endog, z["y"])
    return df, endog, names, f"{endog} ~ " + " + ".join(names)


def _min_ess(tree, var_names: list[str]) -> tuple[float, float]:
    """(min bulk ESS, max R-hat) over the listed posterior variables."""
    import arviz as az

    ess = az.ess(tree, group="posterior", var_names=var_names, method="bulk")
    rhat = az.rhat(tree, group="posterior", var_names=var_names)
    return (float(min(np.min(ess[v].values) for v in var_names)),
            float(max(np.max(rhat[v].values) for v in var_names)))


def _divergences(tree) -> int | None:
    try:
        return int(np.asarray(tree["sample_stats"]["diverging"].values).sum())
    except (KeyError, AttributeError):
        return None


def _pymc_model(df, endog: str, names: list[str]):
    """Normal(0, 2.5) on the centred intercept and the standardised slopes; raw-scale
    coefficients as Deterministics (their ESS is what is compared)."""
    import pymc as pm

    x = df[names].to_numpy(float)
    mean, sd = x.mean(axis=0), x.std(axis=0, ddof=1)
    xs = (x - mean) / sd
    with pm.Model(coords={"coef": names}) as model:
        alpha_c = pm.Normal("alpha_c", 0.0, PRIOR_SCALE)
        b_std = pm.Normal("b_std", 0.0, PRIOR_SCALE, dims="coef")
        pm.Bernoulli(endog, logit_p=alpha_c + pm.math.dot(xs, b_std),
                     observed=df[endog].to_numpy(float))
        pm.Deterministic("Intercept", alpha_c - pm.math.dot(mean / sd, b_std))
        pm.Deterministic("slopes", b_std / sd, dims="coef")
    return model


def numpyro_chain_method(n: int) -> str:
    """numpyro's faster chain method here: one chain per (virtual) device while a gradient is
    cheap; all chains batched into one computation (``X @ B`` on 4 columns) for large n.
    Measured on 2 cores: n=1000 parallel 6.7 s vs vectorized 12.5 s sampling; n=20000
    parallel 66 s vs vectorized 51 s."""
    return "parallel" if n < 10_000 else "vectorized"


def worker(args: argparse.Namespace) -> dict[str, Any]:
    import warnings

    warnings.simplefilter("ignore")
    import logging

    df, endog, names, formula = _frame(args.data)
    who = args.worker
    draws, tune, chains, seed = args.draws, args.tune, CHAINS, SEED
    out: dict[str, Any] = {"contender": who, "draws": draws, "tune": tune, "chains": chains}
    t0 = time.perf_counter()
    if who.startswith("bl-"):
        import bayeslogit as bl
    elif who == "bambi":
        import bambi as bmb
    else:
        import pymc as pm
    out["import_s"] = time.perf_counter() - t0
    for name in ("pymc", "bambi", "pytensor", "jax", "numpyro"):
        logging.getLogger(name).setLevel(logging.ERROR)

    if who.startswith("bl-"):
        sampler = who[3:]

        def first():
            m = bl.Logit.from_formula(formula, df)
            return m, m.sample(draws=draws, tune=tune, chains=chains, sampler=sampler,
                               random_seed=seed)

        def again(m):
            return m.sample(draws=draws, tune=tune, chains=chains, sampler=sampler,
                            random_seed=seed + 1)

        def examine(r):
            tree = r.to_arviz()
            info = {k: v for k, v in r.info.items()
                    if isinstance(v, int | float | str) and k != "notes"}
            ess, rhat = _min_ess(tree, ["beta"])
            if "ess_is" in info:
                ess = min(ess, info["ess_is"])
            return ess, rhat, _divergences(tree), info
    elif who == "bambi":
        priors = None
        if not args.bambi_default_priors:
            sd = df[names].std(ddof=1)
            priors = {"Intercept": bmb.Prior("Normal", mu=0.0, sigma=PRIOR_SCALE)}
            priors.update({nm: bmb.Prior("Normal", mu=0.0, sigma=PRIOR_SCALE / float(sd[nm]))
                           for nm in names})

        def first():
            m = bmb.Model(formula, df, family="bernoulli", priors=priors)
            return m, m.fit(draws=draws, tune=tune, chains=chains, cores=2, random_seed=seed,
                            progressbar=False)

        def again(m):
            return m.fit(draws=draws, tune=tune, chains=chains, cores=2,
                         random_seed=seed + 1, progressbar=False)

        def examine(tree):
            ess, rhat = _min_ess(tree, ["Intercept", *names])
            return ess, rhat, _divergences(tree), {
                "sampling_time": float(tree["posterior"].attrs.get("sampling_time", math.nan))}
    else:
        engine = who.split("-", 1)[1]
        kw: dict[str, Any] = {}
        if engine == "numpyro":
            kw["nuts_sampler_kwargs"] = {"chain_method": numpyro_chain_method(len(df))}

        def first():
            m = _pymc_model(df, endog, names)
            return m, pm.sample(draws=draws, tune=tune, chains=chains, cores=2,
                                random_seed=seed, nuts_sampler=engine, progressbar=False,
                                model=m, **kw)

        def again(m):
            return pm.sample(draws=draws, tune=tune, chains=chains, cores=2,
                             random_seed=seed + 1, nuts_sampler=engine, progressbar=False,
                             model=m, **kw)

        def examine(tree):
            ess, rhat = _min_ess(tree, ["Intercept", "slopes"])
            return ess, rhat, _divergences(tree), {
                "sampling_time": float(tree["posterior"].attrs.get("sampling_time", math.nan))}

    t0 = time.perf_counter()
    model, res = first()
    out["fit1_s"] = time.perf_counter() - t0
    out["ess1"], out["rhat1"], out["div1"], out["info1"] = examine(res)
    if args.second and out["fit1_s"] <= args.second_max:
        t0 = time.perf_counter()
        res = again(model)
        out["fit2_s"] = time.perf_counter() - t0
        out["ess2"], out["rhat2"], out["div2"], out["info2"] = examine(res)
    return out


def one_process_worker(data: str, bambi_first: bool = False,
                       hide_jax: bool = False) -> dict[str, Any]:
    """bayeslogit and bambi imported in one process, then each one's first fit on the same
    data; the one fitted first pays the imports the two share (dask, imported by xarray's
    duck-array probe when the first DataTree is built). bayeslogit's first fit also pays
    jax wherever it is installed, in either order: scipy's ``logsumexp`` (called by
    arviz-stats' PSIS) loads the lazy ``jax`` module that ArviZ registers. ``hide_jax``
    makes jax, jaxlib and numpyro look uninstalled, as without numpyro. bayeslogit builds
    its DataTree on first use, so its first ``to_arviz()`` (the tree bambi's fit returns)
    is timed on its own."""
    import importlib
    import logging
    import warnings

    warnings.simplefilter("ignore")
    if hide_jax:
        _hide_modules(("jax", "jaxlib", "numpyro"))
    df, endog, names, formula = _frame(data)
    t0 = time.perf_counter()
    bl = importlib.import_module("bayeslogit")
    bmb = importlib.import_module("bambi")
    out: dict[str, Any] = {"import_s": time.perf_counter() - t0, "bambi_first": bambi_first}
    for name in ("pymc", "bambi", "pytensor"):
        logging.getLogger(name).setLevel(logging.ERROR)

    def fit_bl() -> None:
        before = set(sys.modules)
        t0 = time.perf_counter()
        post = bl.Logit.from_formula(formula, df).sample(random_seed=1, progressbar=False)
        out["bl_s"] = time.perf_counter() - t0
        out["bl_new_modules"] = sorted({m.split(".")[0] for m in set(sys.modules) - before})
        t0 = time.perf_counter()
        tree = post.to_arviz(log_likelihood=False, predictive=False)
        out["bl_tree_s"] = time.perf_counter() - t0
        ess, _ = _min_ess(tree, ["beta"])
        out["bl_ess"] = min(ess, post.info.get("ess_is", ess))
        out["bl_sampler"] = post.info["sampler"]

    def fit_bambi() -> None:
        sd = df[names].std(ddof=1)
        priors = {"Intercept": bmb.Prior("Normal", mu=0.0, sigma=PRIOR_SCALE)}
        priors.update({nm: bmb.Prior("Normal", mu=0.0, sigma=PRIOR_SCALE / float(sd[nm]))
                       for nm in names})
        t0 = time.perf_counter()
        tree = bmb.Model(formula, df, family="bernoulli", priors=priors).fit(
            draws=1000, tune=1000, chains=CHAINS, cores=2, random_seed=1, progressbar=False)
        out["bambi_s"] = time.perf_counter() - t0
        out["bambi_ess"], _ = _min_ess(tree, ["Intercept", *names])

    for fit in ((fit_bambi, fit_bl) if bambi_first else (fit_bl, fit_bambi)):
        fit()
    return out


#: installed here only for the peers (numpyro; bambi needs sparse), not by bayeslogit
BENCH_EXTRAS = ("jax", "jaxlib", "numpyro", "sparse")


def _hide_modules(names: tuple[str, ...]) -> None:
    """Make ``names`` look uninstalled to ``import`` and to ``importlib.util.find_spec``."""
    import importlib.abc
    import importlib.util

    class Hide(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in names:
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, Hide())
    real = importlib.util.find_spec

    def find_spec(name, package=None):
        return None if name.split(".")[0] in names else real(name, package)

    importlib.util.find_spec = find_spec


def breakdown_worker(data: str, hide_extras: bool) -> list[tuple[str, float]]:
    """Stages of bl-auto's first call in a fresh process: the imports it triggers, pre-paid
    one by one, then the sampling itself, then a second call."""
    import importlib
    import warnings

    warnings.simplefilter("ignore")
    if hide_extras:
        _hide_modules(BENCH_EXTRAS)
    df, _, _, formula = _frame(data)
    out: list[tuple[str, float]] = []

    def step(label, fn):
        t0 = time.perf_counter()
        val = fn()
        out.append((label, time.perf_counter() - t0))
        return val

    bl = step("import bayeslogit", lambda: importlib.import_module("bayeslogit"))
    model = step("Logit.from_formula (imports formulaic)",
                 lambda: bl.Logit.from_formula(formula, df))
    for mod, why in (("scipy.stats", "via arviz_stats -> xarray_einstats"),
                     ("xarray", ""),
                     ("sparse", "xarray's duck-array probe; imports numba; bambi's dep"),
                     ("arviz_base", "registers a lazy 'jax' module"),
                     ("arviz_stats", "PSIS"),
                     ("threadpoolctl", "single-threaded BLAS in worker threads"),
                     ("jax", "imported by scipy's array-API check of the lazy module")):
        if hide_extras and mod in BENCH_EXTRAS:
            continue
        if mod == "jax" and "jax" in sys.modules:
            step(f"import {mod} ({why})", lambda: sys.modules["jax"].Array)
        elif mod != "jax":
            step(f"import {mod}" + (f" ({why})" if why else ""),
                 lambda mod=mod: importlib.import_module(mod))
    before = set(sys.modules)
    r = step("first sample() after those imports", lambda: model.sample(random_seed=SEED))
    out.append(("  of which the sampler's own timer", float(r.info["sampling_time"])))
    others = sorted({m.split(".")[0] for m in set(sys.modules) - before} - {"__mp_main__"})
    out.append((f"  (packages it still imported: {', '.join(others) or 'none'})", 0.0))
    step("second sample()", lambda: model.sample(random_seed=SEED + 1))
    return out
