"""Where does Gibbs stop beating NUTS? Seconds per 1000 effective draws by n (k = 10).

Measures, on synthetic data with the default priors, for each n:
Gibbs (no compilation), NUTS first call (compilation included, what a user pays once per
model), NUTS second call on the same model (compiled, reused), and importance sampling.
The crossover sets ``bayeslogit.estimation.posterior.GIBBS_MAX_NOBS`` (the fallback used by
``sampler="auto"`` when importance sampling is rejected).

Run: ``python benchmarks/crossover.py [--sizes 500 2000 5000 10000 20000]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import bayeslogit as bl


def data(n: int, k: int = 10, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = np.c_[np.ones(n), rng.standard_normal((n, k - 1))]
    beta = rng.normal(0, 0.4, k)
    y = (rng.random(n) < 1 / (1 + np.exp(-X @ beta))).astype(float)
    return y, X


def per_1000_ess(result, seconds: float) -> tuple[float, float]:
    ess = float(result.summary()["ess_bulk"].min())
    return seconds / (ess / 1000), ess


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 2000, 5000, 10000, 20000])
    args = parser.parse_args()
    print(f"{'n':>7} {'sampler':<18} {'seconds':>8} {'min ESS':>8} {'s/1000 ESS':>11}")
    for n in args.sizes:
        y, X = data(n)
        m = bl.Logit(y, X)
        for label, kwargs in [("gibbs", {"sampler": "gibbs"}),
                              ("nuts (1st call)", {"sampler": "nuts"}),
                              ("nuts (2nd call)", {"sampler": "nuts"}),
                              ("is", {"sampler": "is"})]:
            t0 = time.perf_counter()
            r = m.sample(draws=1000, tune=1000, chains=4, random_seed=1, progressbar=False,
                         **kwargs)
            secs = time.perf_counter() - t0
            s1000, ess = per_1000_ess(r, secs)
            print(f"{n:>7} {label:<18} {secs:>8.2f} {ess:>8.0f} {s1000:>11.2f}", flush=True)


if __name__ == "__main__":
    main()
