"""Prior-sensitivity sweep by sampling: bayeslogit vs a loop of bambi fits, in one run.

The task: posterior draws (4 chains x 1000 draws) of Spector's ``GRADE ~ GPA + TUCE + PSI``
under 10 prior scales ``s`` in ``np.geomspace(0.1, 10, 10)``: every slope ``Normal(0, s)``
(raw scale, as given), the centred intercept ``Normal(0, 2.5)`` throughout.

Contenders:

* ``bl-auto``: ``bl.prior_sensitivity(model, prior=bl.Normal, scales=scales,
  method="sample", draws=1000, chains=4)`` with the default sampler (``"auto"``: importance
  sampling when it is reliable, else Gibbs, else NUTS; chosen per scale).
* ``bl-nuts``: the same with ``sampler="nuts"``: one nutpie compilation, then the prior
  hyper-parameters are swapped into the compiled model (``with_data``) for each scale.
* ``bambi-loop``: what a bambi user writes: for each scale ``bmb.Model(f, df,
  family="bernoulli", priors={...}).fit(draws=1000, tune=1000, chains=4, cores=2)`` (bambi's
  default inference, PyMC's NUTS; bambi centres the predictors and puts the intercept prior
  on the centred intercept, so the 10 models are the ones bayeslogit samples).

Each contender runs in a fresh Python process that has imported numpy and pandas and read the
data; ``import`` is the import of its top-level package, ``sweep`` the whole sweep (model
construction, compilation, lazy imports inside and all 10 posteriors). The printed checks:
min bulk ESS over coefficients and scales, and the largest difference between the
bayeslogit and bambi posterior means in units of bambi's posterior sd.

Goal: the bayeslogit sweep >= 10x faster than the bambi loop.

Run from the repository root::

    python benchmarks/sensitivity.py            # about 2 minutes on 2 cores
    python benchmarks/sensitivity.py --skip bambi-loop
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import environment_lines, format_table  # noqa: E402

CONTENDERS = ("bl-auto", "bl-nuts", "bambi-loop")
SCALES = np.geomspace(0.1, 10, 10)
DRAWS, TUNE, CHAINS, SEED = 1000, 1000, 4, 1
INTERCEPT_SCALE = 2.5
FORMULA = "GRADE ~ GPA + TUCE + PSI"
TERMS = ["Intercept", "GPA", "TUCE", "PSI"]


def worker(who: str, data: str) -> dict[str, Any]:
    import warnings

    warnings.simplefilter("ignore")
    import logging

    import pandas as pd

    df = pd.read_csv(data)
    t0 = time.perf_counter()
    if who.startswith("bl-"):
        import bayeslogit as bl
    else:
        import bambi as bmb
    import_s = time.perf_counter() - t0
    for name in ("pymc", "bambi", "pytensor"):
        logging.getLogger(name).setLevel(logging.ERROR)

    import arviz as az  # outside the timed sweep, for the checks only

    means, sds, ess, samplers, parts = [], [], [], [], {"compile": 0.0, "sampling": 0.0}
    if who.startswith("bl-"):
        sampler = who[3:]
        t0 = time.perf_counter()
        model = bl.Logit.from_formula(FORMULA, df)
        res = bl.prior_sensitivity(model, prior=bl.Normal, scales=SCALES, method="sample",
                                   sampler=sampler, draws=DRAWS, tune=TUNE, chains=CHAINS,
                                   random_seed=SEED)
        sweep_s = time.perf_counter() - t0
        for s in SCALES:
            r = res.fits[float(s)]
            beta = r.to_arviz()["posterior"]["beta"].transpose("chain", "draw", "coef")
            means.append(beta.mean(("chain", "draw")).values.tolist())
            sds.append(beta.std(("chain", "draw")).values.tolist())
            e = az.ess(r.to_arviz(), group="posterior", var_names=["beta"], method="bulk")
            ess.append(float(np.min(e["beta"].values)))
            samplers.append(r.info["sampler"].split(" ")[0])
            parts["compile"] += float(r.info.get("compile_time", 0.0))
            parts["sampling"] += float(r.info.get("sampling_time", 0.0))
    else:
        trees = []
        t0 = time.perf_counter()
        for s in SCALES:
            priors = {"Intercept": bmb.Prior("Normal", mu=0.0, sigma=INTERCEPT_SCALE)}
            priors.update({t: bmb.Prior("Normal", mu=0.0, sigma=float(s)) for t in TERMS[1:]})
            m = bmb.Model(FORMULA, df, family="bernoulli", priors=priors)
            trees.append(m.fit(draws=DRAWS, tune=TUNE, chains=CHAINS, cores=2,
                               random_seed=SEED, progressbar=False))
        sweep_s = time.perf_counter() - t0
        for tree in trees:
            post = tree["posterior"]
            means.append([float(post[t].mean()) for t in TERMS])
            sds.append([float(post[t].std()) for t in TERMS])
            e = az.ess(tree, group="posterior", var_names=TERMS, method="bulk")
            ess.append(float(min(np.min(e[t].values) for t in TERMS)))
            samplers.append("pymc-nuts")
            parts["sampling"] += float(post.attrs.get("sampling_time", 0.0))
    return {"contender": who, "import_s": import_s, "sweep_s": sweep_s, "means": means,
            "sds": sds, "ess": ess, "samplers": samplers, "parts": parts}


def run_worker(who: str, data: Path, timeout: float) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, __file__, "--worker", who, "--data", str(data)],
                          capture_output=True, text=True, timeout=timeout, check=False)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"{who} failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
    return json.loads(lines[-1])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--skip", default="", help=f"comma-separated, of {list(CONTENDERS)}")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per contender")
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--data", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.data)))
        return
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    if skip - set(CONTENDERS):
        ap.error(f"unknown contender(s) {sorted(skip - set(CONTENDERS))}; valid: {CONTENDERS}")
    from statsmodels.datasets import spector

    print("\n".join(environment_lines(("numpy", "bayeslogit", "pymc", "nutpie", "bambi",
                                       "arviz"))))
    print(f"Spector, {FORMULA}; slopes Normal(0, s), s = "
          + ", ".join(f"{s:.3g}" for s in SCALES)
          + f"; centred intercept Normal(0, {INTERCEPT_SCALE}); {CHAINS} chains x {DRAWS} "
          f"draws ({TUNE} warm-up for NUTS and Gibbs)\n")
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="sens-bench-") as folder:
        path = Path(folder) / "spector.csv"
        spector.load_pandas().data.to_csv(path, index=False)
        for who in CONTENDERS:
            if who not in skip:
                results[who] = run_worker(who, path, args.timeout)

    ref = results.get("bambi-loop")
    rows = []
    for who, r in results.items():
        dev = "-"
        if ref is not None and who != "bambi-loop":
            z = np.abs(np.subtract(r["means"], ref["means"])) / np.asarray(ref["sds"])
            dev = f"{z.max():.3f}"
        used = sorted(set(r["samplers"]))
        counts = ", ".join(f"{u} x{r['samplers'].count(u)}" for u in used)
        rows.append([who, f"{r['import_s']:.2f}", f"{r['sweep_s']:.2f}",
                     f"{r['import_s'] + r['sweep_s']:.2f}",
                     f"{r['sweep_s'] / len(SCALES):.3f}", f"{r['parts']['compile']:.2f}",
                     f"{r['parts']['sampling']:.2f}", f"{min(r['ess']):.0f}", dev, counts])
    print(format_table(["contender", "import s", "sweep s", "total s", "s per scale",
                        "compile s", "sampling s", "min ESS", "max |dmean|/sd", "samplers"],
                       rows))
    print("compile s: nutpie compilation inside the sweep (bambi: not separable, in sweep s); "
          "sampling s: the samplers' own timers (bl: importance sampling includes finding "
          "the mode; bambi: PyMC's sampling_time)")
    print(f"\nload average at end {os.getloadavg()[0]:.2f}")
    if ref is not None:
        print()
        for who in ("bl-auto", "bl-nuts"):
            if who not in results:
                continue
            r = results[who]
            ratio = ref["sweep_s"] / r["sweep_s"]
            ratio_imp = (ref["sweep_s"] + ref["import_s"]) / (r["sweep_s"] + r["import_s"])
            print(f"{who}: bambi loop / {who} = {ratio:.1f}x on the sweep, {ratio_imp:.1f}x "
                  f"with imports (goal >= 10x: {'met' if ratio >= 10 else 'MISSED'})")


if __name__ == "__main__":
    main()
