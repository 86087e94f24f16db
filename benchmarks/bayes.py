"""Posterior speed: wall time to a posterior with min bulk ESS >= 1000, in one run.

Contenders (every one sees the same data and, except where noted, the same priors):

* ``bl-auto``, ``bl-is``, ``bl-gibbs``, ``bl-nuts``: ``bl.Logit.from_formula(f, df)
  .sample(sampler=...)``; ``auto`` chooses importance sampling, Gibbs or NUTS itself and the
  choice is printed.
* ``bambi``: ``bmb.Model(f, df, family="bernoulli", priors=...).fit(...)``, bambi's default
  inference (PyMC's own NUTS sampler), chains sampled on ``cores=2`` processes.
* ``pymc-nutpie``: a hand-written PyMC model (standardised predictors) sampled with
  ``pm.sample(nuts_sampler="nutpie")``.
* ``pymc-numpyro``: the same model with ``pm.sample(nuts_sampler="numpyro")``. JAX is given
  as many host devices as chains (``XLA_FLAGS=--xla_force_host_platform_device_count``) so
  numpyro runs its chains in parallel (``chain_method="parallel"``), its best setting here.

Priors (all contenders): every slope ``Normal(0, 2.5 / sd(x_j))`` (``sd`` with ddof=1), the
centred intercept (log-odds at the predictor means) ``Normal(0, 2.5)``; i.e. ``Normal(0, 2.5)``
on every coefficient of the standardised predictors. This is bayeslogit's default; bambi gets
it through ``priors=`` (bambi centres predictors and puts its intercept prior on the centred
intercept, so the models are identical); the PyMC model is written on standardised
predictors. ``--bambi-default-priors`` gives bambi its own defaults instead (then the
posteriors differ slightly).

Data: statsmodels' Spector (n=32, ``GRADE ~ GPA + TUCE + PSI``, k=4) and two synthetic sets
(n=1000, p=10 and n=20000, p=20 predictors plus an intercept): correlated normal predictors
(AR(1) correlation 0.3) with unequal scales and non-zero means, standardised effects
~ N(0, 0.5^2), intercept -0.4 at the means; seeded.

Protocol. Each (contender, data set) runs in a fresh Python process (``--worker``) that has
imported only numpy and pandas and read the data: it then times the import of the
contender's top-level package (``import bayeslogit`` / ``import bambi`` / ``import pymc``),
then the *first* fit in the process, model construction and every compilation included (lazy
imports inside the fit, e.g. nutpie or JAX, are counted in the fit), then a second fit on the
same model object (what a user pays when resampling in the same session). Disk caches
(PyTensor, numba) are left as they are: the first run of a fresh installation is slower
still for the PyTensor-based contenders (``--cold-cache`` points PyTensor at an empty
compile directory per process to measure that). Sampling settings: 4 chains, 1000 draws
after 1000 warm-up iterations (Gibbs: 1500 draws after 500 burn-in); a run whose min bulk ESS
falls short of 1000 is redone in a fresh process with proportionally more draws (marked
``*``). ESS is ArviZ's bulk ESS (``az.ess(method="bulk")``) of the reported coefficients on
the raw scale, minimised over coefficients; for importance sampling the smaller of that and
the importance ESS is used.

Columns: ``import`` (s), ``fit 1`` (first fit, s), ``fit 2`` (second fit, s), ``min ESS``
(of fit 1), ``s/1k ESS`` = fit 1 / (min ESS / 1000), ``ESS/s`` = min ESS / fit 1, ``+import``
= (import + fit 1) / (min ESS / 1000), ``s/1k ESS 2`` from the second fit.

Goals: bayeslogit (``auto``) >= 10x fewer seconds per 1000 effective draws than bambi for
n <= 5000, and fewer than numpyro at n = 20000.

Run from the repository root::

    python benchmarks/bayes.py                       # everything (~10-15 minutes on 2 cores)
    python benchmarks/bayes.py --quick               # Spector and n=1000, no second fits
    python benchmarks/bayes.py --skip bambi,pymc-numpyro --datasets spector
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import environment_lines, format_table  # noqa: E402

CONTENDERS = ("bl-auto", "bl-is", "bl-gibbs", "bl-nuts", "bambi", "pymc-nutpie",
              "pymc-numpyro")
DATASETS = {"spector": (32, 3), "n1000": (1000, 10), "n20000": (20000, 20)}
QUICK_DATASETS = ("spector", "n1000")
CHAINS = 4
TARGET_ESS = 1000.0
PRIOR_SCALE = 2.5
SEED = 1
#: (draws, tune) per chain
SETTINGS = {"bl-gibbs": (1500, 500)}
DEFAULT_SETTING = (1000, 1000)


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
            kw["nuts_sampler_kwargs"] = {"chain_method": "parallel"}

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
    if args.second:
        t0 = time.perf_counter()
        res = again(model)
        out["fit2_s"] = time.perf_counter() - t0
        out["ess2"], out["rhat2"], out["div2"], out["info2"] = examine(res)
    return out


# --------------------------------------------------------------------------- parent
def run_worker(contender: str, data: Path, draws: int, tune: int, second: bool,
               timeout: float, opts: argparse.Namespace) -> dict[str, Any]:
    argv = [sys.executable, __file__, "--worker", contender, "--data", str(data),
            "--draws", str(draws), "--tune", str(tune)]
    if second:
        argv.append("--second")
    if opts.bambi_default_priors:
        argv.append("--bambi-default-priors")
    env = dict(os.environ)
    if contender == "pymc-numpyro":
        env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") +
                            f" --xla_force_host_platform_device_count={CHAINS}").strip()
    tmp = None
    if opts.cold_cache:
        tmp = tempfile.TemporaryDirectory(prefix="pytensor-cold-")
        env["PYTENSOR_FLAGS"] = f"base_compiledir={tmp.name}"
    # own session, so a timeout can stop the whole process group (PyMC's chain processes)
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, start_new_session=True)
    start = time.perf_counter()
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return {"contender": contender, "timeout": timeout,
                "elapsed": time.perf_counter() - start}
    finally:
        if tmp is not None:
            tmp.cleanup()
    lines = [ln for ln in stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {"contender": contender, "error": (stderr or stdout).strip()[-1500:]}
    return json.loads(lines[-1])


def measure(contender: str, data: Path, second: bool, timeout: float,
            opts: argparse.Namespace) -> dict[str, Any]:
    draws, tune = SETTINGS.get(contender, DEFAULT_SETTING)
    res = run_worker(contender, data, draws, tune, second, timeout, opts)
    if "ess1" in res and res["ess1"] < TARGET_ESS:
        # not there yet: redo in a fresh process with proportionally more draws
        scale = 1.25 * TARGET_ESS / max(res["ess1"], 1.0)
        more = int(math.ceil(draws * scale / 100.0) * 100)
        res2 = run_worker(contender, data, more, tune, second, timeout, opts)
        if "ess1" in res2:
            res2["rerun_from"] = {"draws": draws, "ess1": res["ess1"], "fit1_s": res["fit1_s"]}
            res = res2
    return res


def _f(x: float | None, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    return f"{x:.{digits}f}"


def per_1k(seconds: float | None, ess: float | None) -> float | None:
    if seconds is None or not ess:
        return None
    return seconds / (ess / 1000.0)


def row(res: dict[str, Any]) -> list[str]:
    who = res["contender"]
    if "timeout" in res:
        return [who, "-", f"> {res['timeout']:.0f}", "-", "-", f"> {res['timeout']:.0f}",
                "-", "-", "-", "-", "timed out"]
    if "error" in res:
        return [who, "-", "-", "-", "-", "-", "-", "-", "-", "-", "failed"]
    s1 = per_1k(res["fit1_s"], res["ess1"])
    note = []
    info = res.get("info1", {})
    if info.get("sampler") and who == "bl-auto":
        note.append(info["sampler"].split(" ")[0])
    if "khat" in info:
        note.append(f"k-hat {info['khat']:.2f}")
    if info.get("compile_time"):
        note.append(f"compile {info['compile_time']:.1f}s")
    if who in ("bambi", "pymc-nutpie", "pymc-numpyro") and math.isfinite(
            info.get("sampling_time", math.nan)):
        note.append(f"sampling {info['sampling_time']:.1f}s")
    if res.get("div1"):
        note.append(f"{res['div1']} div")
    if res.get("rhat1", 1.0) > 1.01:
        note.append(f"R-hat {res['rhat1']:.3f}")
    draws = f"{res['draws']}{'*' if 'rerun_from' in res else ''}"
    return [who, draws, _f(res["import_s"]), _f(res["fit1_s"]), _f(res.get("fit2_s")),
            f"{res['ess1']:.0f}", _f(s1, 3), f"{res['ess1'] / res['fit1_s']:.0f}",
            _f(per_1k(res["import_s"] + res["fit1_s"], res["ess1"]), 3),
            _f(per_1k(res.get("fit2_s"), res.get("ess2")), 3), "; ".join(note)]


HEADERS = ["contender", "draws", "import", "fit 1", "fit 2", "min ESS", "s/1k ESS", "ESS/s",
           "+import", "s/1k ESS 2", "notes"]


def summary(results: dict[str, dict[str, dict[str, Any]]]) -> str:
    """Ratios of s/1k ESS (first fit) of each bayeslogit sampler vs bambi and numpyro."""
    rows = []
    for ds, by in results.items():
        def rate(who, key="fit1_s", ess="ess1", imp=False):
            r = by.get(who, {})
            if "timeout" in r and key == "fit1_s":
                return -r["timeout"] / 1000.0  # lower bound of wall/ESS, ESS unknown: ">"
            if key not in r:
                return None
            secs = r[key] + (r["import_s"] if imp else 0.0)
            return per_1k(secs, r[ess])

        for who in ("bl-auto", "bl-is", "bl-gibbs", "bl-nuts"):
            mine = rate(who)
            if mine is None:
                continue
            cells = [f"{ds} {who}", _f(mine, 3)]
            for peer in ("bambi", "pymc-numpyro", "pymc-nutpie"):
                for imp in (False, True):
                    other = rate(peer, imp=imp)
                    mine_i = rate(who, imp=imp)
                    if other is None or mine_i is None:
                        cells.append("-")
                    elif other < 0:
                        cells.append(f"> {-other / (mine_i * 1000) * 1000 / 1000:.0f}x")
                    else:
                        cells.append(f"{other / mine_i:.1f}x")
            rows.append(cells)
    heads = ["data / sampler", "s/1k ESS", "vs bambi", "(+imp)", "vs numpyro", "(+imp)",
             "vs nutpie", "(+imp)"]
    return format_table(heads, rows)


def goals(results: dict[str, dict[str, dict[str, Any]]]) -> list[str]:
    lines = []
    for ds, by in results.items():
        n = DATASETS[ds][0]
        mine = by.get("bl-auto", {})
        if "ess1" not in mine:
            continue
        r_bl = per_1k(mine["fit1_s"], mine["ess1"])
        peer = "bambi" if n <= 5000 else "pymc-numpyro"
        other = by.get(peer, {})
        need = 10.0 if n <= 5000 else 1.0
        if "ess1" in other:
            ratio = per_1k(other["fit1_s"], other["ess1"]) / r_bl
            verdict = "met" if ratio >= need else "MISSED"
            lines.append(f"{ds}: bl-auto {ratio:.1f}x fewer s/1k ESS than {peer} "
                         f"(goal >= {need:g}x): {verdict}")
        elif "timeout" in other:
            lines.append(f"{ds}: {peer} timed out after {other['timeout']:.0f} s; bl-auto "
                         f"{r_bl:.3f} s/1k ESS")
    return lines


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="Spector and n=1000, no second fit")
    ap.add_argument("--skip", default="", help="comma-separated contenders to skip")
    ap.add_argument("--datasets", default=None, help=f"comma-separated, of {list(DATASETS)}")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per worker process")
    ap.add_argument("--cold-cache", action="store_true",
                    help="empty PyTensor compile directory per process")
    ap.add_argument("--bambi-default-priors", action="store_true")
    ap.add_argument("--json", default=None, help="write all results to this file")
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--data", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--draws", type=int, default=1000, help=argparse.SUPPRESS)
    ap.add_argument("--tune", type=int, default=1000, help=argparse.SUPPRESS)
    ap.add_argument("--second", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args)))
        return

    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    unknown = skip - set(CONTENDERS)
    if unknown:
        ap.error(f"unknown contender(s) in --skip: {sorted(unknown)}; valid: {CONTENDERS}")
    names = (args.datasets.split(",") if args.datasets else
             list(QUICK_DATASETS if args.quick else DATASETS))
    bad = [d for d in names if d not in DATASETS]
    if bad:
        ap.error(f"unknown data set(s) {bad}; valid: {list(DATASETS)}")
    contenders = [c for c in CONTENDERS if c not in skip]
    print("\n".join(environment_lines(("numpy", "bayeslogit", "pymc", "pytensor", "nutpie",
                                       "bambi", "numpyro", "jax", "arviz"))))
    print(f"{CHAINS} chains; priors Normal(0, {PRIOR_SCALE}) on the centred intercept and the "
          "standardised slopes" + (" (bambi: its defaults)" if args.bambi_default_priors
                                   else " for every contender") +
          f"; PyTensor cache {'cold' if args.cold_cache else 'as found'}\n")
    start = time.perf_counter()
    results: dict[str, dict[str, dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory(prefix="bayes-bench-") as folder:
        paths = write_datasets(names, Path(folder))
        for ds in names:
            n, p = DATASETS[ds]
            results[ds] = {}
            for who in contenders:
                results[ds][who] = measure(who, paths[ds], not args.quick, args.timeout, args)
                if "error" in results[ds][who]:
                    print(f"  {who} on {ds} failed:\n{results[ds][who]['error']}",
                          file=sys.stderr)
            print(f"== {ds}: n={n}, k={p + 1} ==")
            print(format_table(HEADERS, [row(results[ds][w]) for w in contenders]))
            for who in contenders:
                r = results[ds][who]
                if "rerun_from" in r:
                    f = r["rerun_from"]
                    print(f"  * {who}: {f['draws']} draws gave min ESS {f['ess1']:.0f} in "
                          f"{f['fit1_s']:.2f} s; rerun with {r['draws']} draws")
                if who == "bl-auto" and "info1" in r:
                    print(f"  bl-auto: {r['info1'].get('reason', '')}")
            print()
    print("== summary: seconds per 1000 effective draws (first fit, compilation included) and "
          "how many times more the others need ==")
    print(summary(results))
    print("\n" + "\n".join(goals(results)))
    print(f"\ntotal benchmark time {time.perf_counter() - start:.0f} s")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, default=float))


if __name__ == "__main__":
    main()
