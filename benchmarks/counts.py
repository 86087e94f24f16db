"""Aggregated binomial rows vs the same data expanded to 0/1 rows: fit cost by total trials.

G = 20 dose groups (k = 3), every group with the same number of trials per row, so the total
number of trials grows while the aggregated data stay 20 rows. For each total it times the
MLE (``fit()``) and the Polya-Gamma Gibbs sampler (``sample(sampler="gibbs")``, 1000 draws
after 200 warm-up, 2 chains) on the aggregated model (``trials=``) and on the expanded 0/1
rows, and prints the median wall time of 3 repeats (MLE) or one run (Gibbs) and the largest
difference of the estimates. The aggregated cost stays flat (O(G)); the expanded one grows
with the total (O(total trials)).

Run: ``python benchmarks/counts.py [--trials 10 100 1000 10000]``
"""

from __future__ import annotations

import argparse
import statistics
import time
from functools import partial

import numpy as np

import bayeslogit as bl

G = 20


def data(per_row: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = np.linspace(-2, 2, G)
    X = np.c_[np.ones(G), x, x**2 / 4]
    n = np.full(G, per_row)
    s = rng.binomial(n, 1 / (1 + np.exp(-(X @ np.array([-0.3, 0.8, -0.4])))))
    Xe = np.repeat(X, n, axis=0)
    ye = np.concatenate([np.r_[np.ones(a), np.zeros(b - a)] for a, b in zip(s, n, strict=True)])
    return X, s, n, Xe, ye


def timed(fn, repeats: int):
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, nargs="+", default=[10, 100, 1000, 5000],
                        help="trials per row (total = 20 x this)")
    args = parser.parse_args()
    print(f"{'total':>8} {'what':<6} {'aggregated s':>13} {'expanded s':>11} {'ratio':>7} "
          f"{'max |diff|':>11}")
    for per_row in args.trials:
        X, s, n, Xe, ye = data(per_row)
        agg, exp = bl.Logit(s, X, trials=n), bl.Logit(ye, Xe)
        ta, ra = timed(agg.fit, 3)
        te, re = timed(exp.fit, 3)
        diff = float(np.max(np.abs(ra.params.to_numpy() - re.params.to_numpy())))
        print(f"{G * per_row:>8} {'mle':<6} {ta:>13.4f} {te:>11.4f} {te / ta:>7.1f} "
              f"{diff:>11.2e}", flush=True)
        kw = {"sampler": "gibbs", "draws": 1000, "tune": 200, "chains": 2, "random_seed": 1,
              "progressbar": False}
        ta, ra = timed(partial(agg.sample, **kw), 1)
        te, re = timed(partial(exp.sample, **kw), 1)
        diff = float(np.max(np.abs(ra.params.to_numpy() - re.params.to_numpy())))
        print(f"{G * per_row:>8} {'gibbs':<6} {ta:>13.4f} {te:>11.4f} {te / ta:>7.1f} "
              f"{diff:>11.2e}", flush=True)


if __name__ == "__main__":
    main()
