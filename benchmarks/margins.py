"""Cost of probability-scale effects from draws against one ``predict`` with intervals.

On seeded synthetic data (n rows, ``y ~ x1 * x2 + I(x1**2) + C(g)``, 7 coefficients) and the
Laplace approximation's 4 chains x 1000 draws (a draws-based result like a posterior), it
times, interleaved (median of ``repeats``, one warm-up each):

* ``predict(ci_prob=0.9)`` on the training rows (per-row quantiles of 4000 draws);
* ``predict()`` (the posterior mean of the probability, per row);
* ``avg_slopes(variables="x1")`` (per-draw average slope, in row blocks);
* ``avg_slopes()`` (x1, x2 and the two level differences of g);
* ``avg_comparisons(variables="g")`` and ``avg_predictions(by="g")``;
* for the MLE: ``avg_slopes()`` (delta method).

Goal (issue 17): ``avg_slopes`` at n = 1e5 with 4000 draws costs at most a few times one
``predict`` with intervals.

Run from the repository root::

    python benchmarks/margins.py                 # n = 100,000
    python benchmarks/margins.py --n 20000 --repeats 5
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(__file__))
from _common import environment_lines, format_table, median, time_interleaved  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=float, default=1e5)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    import bayeslogit as bl

    n = int(args.n)
    rng = np.random.default_rng(17)
    df = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n),
                       "g": rng.choice(["a", "b", "c"], n)})
    eta = -0.2 + 0.7 * df.x1 + 0.4 * df.x2 + 0.6 * df.x1 * df.x2 - 0.5 * df.x1 ** 2
    df["y"] = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(int)
    model = bl.Logit.from_formula("y ~ x1 * x2 + I(x1**2) + C(g)", df,
                                  priors=bl.Normal(0, 2.5))
    lap = model.fit(method="laplace", random_seed=1)
    mle = bl.Logit.from_formula("y ~ x1 * x2 + I(x1**2) + C(g)", df).fit()
    print("\n".join(environment_lines(["numpy", "formulaic"])))
    print(f"n = {n}, draws = {lap.draws.shape[0] * lap.draws.shape[1]}, "
          f"k = {lap.draws.shape[2]}; machine possibly shared: compare ratios, not seconds")
    funcs = {
        "predict(ci_prob=0.9)": lambda: lap.predict(ci_prob=0.9),
        "predict()": lambda: lap.predict(),
        "avg_slopes(variables='x1')": lambda: lap.avg_slopes(variables="x1"),
        "avg_slopes()": lambda: lap.avg_slopes(),
        "avg_comparisons(variables='g')": lambda: lap.avg_comparisons(variables="g"),
        "avg_predictions(by='g')": lambda: lap.avg_predictions(by="g"),
        "MLE avg_slopes()": lambda: mle.avg_slopes(),
    }
    times, _ = time_interleaved(funcs, args.repeats)
    base = median(times["predict(ci_prob=0.9)"])
    rows = [(name, f"{median(t):.3f}", f"{median(t) / base:.2f}") for name, t in times.items()]
    print(format_table(["call", "median s", "x predict(ci)"], rows))
    ratio = median(times["avg_slopes(variables='x1')"]) / base
    print(f"goal: avg_slopes(x1) at most a few times predict(ci_prob=0.9): {ratio:.2f}x "
          f"-> {'met' if ratio <= 3 else 'NOT met'}")


if __name__ == "__main__":
    main()
