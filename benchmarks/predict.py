"""Prediction cost from posterior draws against plain numpy, in one run.

A posterior of 4 chains x 1000 draws (importance sampling, k = 6) predicts ``--rows`` new
rows (default 1e6):

* reference: plain numpy, ``expit(X[block] @ B.T).mean(axis=1)`` over blocks of 1000 rows
  (numpy's default threaded BLAS);
* ``post.predict(new)``: the point prediction (posterior mean probability);
* ``post.predict(new, ci_prob=0.9)``: with the 90% equal-tailed interval.

Printed: each time and the ratios point / reference (goal <= 1.5) and interval / point
(goal <= 3). Before the blocked, threaded prediction with partial selection, 1e6 rows took
36 s (point) and 116 s (interval).

Run from the repository root::

    python benchmarks/predict.py                  # 1e6 rows x 4000 draws (~1-2 minutes)
    python benchmarks/predict.py --rows 2e5
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from scipy.special import expit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import environment_lines  # noqa: E402


def reference(X: np.ndarray, B: np.ndarray, block: int = 1000) -> np.ndarray:
    out = np.empty(X.shape[0])
    for s in range(0, X.shape[0], block):
        out[s:s + block] = expit(X[s:s + block] @ B.T).mean(axis=1)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=float, default=1e6)
    args = ap.parse_args()
    import bayeslogit as bl

    print("\n".join(environment_lines(("numpy", "scipy", "bayeslogit"))))
    rng = np.random.default_rng(2)
    n, k = 2000, 6
    X = np.column_stack([np.ones(n), rng.normal(size=(n, k - 1))])
    y = (rng.random(n) < expit(X @ rng.normal(0, 0.5, k))).astype(float)
    post = bl.Logit(y, X, priors=bl.Normal(0, 2.5)).sample(sampler="is", random_seed=1,
                                                           progressbar=False)
    rows = int(args.rows)
    new = np.column_stack([np.ones(rows), rng.normal(size=(rows, k - 1))])
    B = post.draws.reshape(-1, k)
    times = {}
    for label, fn in (("numpy reference", lambda: reference(new, B)),
                      ("predict(new)", lambda: post.predict(new)),
                      ("predict(new, ci_prob=0.9)", lambda: post.predict(new, ci_prob=0.9))):
        t0 = time.perf_counter()
        out = fn()
        times[label] = time.perf_counter() - t0
        if label == "numpy reference":
            ref = out
        elif label == "predict(new)":
            assert np.allclose(out.to_numpy(), ref, rtol=1e-12, atol=1e-14)
        print(f"{label:28s} {times[label]:7.2f} s")
    point = times["predict(new)"] / times["numpy reference"]
    interval = times["predict(new, ci_prob=0.9)"] / times["predict(new)"]
    print(f"{rows:,} rows x {B.shape[0]} draws: point / numpy reference = {point:.2f} "
          f"(goal <= 1.5: {'met' if point <= 1.5 else 'MISSED'}); interval / point = "
          f"{interval:.2f} (goal <= 3: {'met' if interval <= 3 else 'MISSED'})")


if __name__ == "__main__":
    main()
