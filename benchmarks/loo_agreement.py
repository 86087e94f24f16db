"""Blocked ``loo()`` and ``power_scaling()`` against ArviZ on the whole log-likelihood.

At n = 20,000 rows x 4 chains x 1000 draws (8e7 pointwise values, 640 MB) ArviZ can still
hold the whole array: this builds it with numpy, runs ``arviz_stats.loo`` and
``arviz_stats.psense_summary`` on it, and prints the largest differences from bayeslogit's
blocked computations (issue 15: "agree with ArviZ on the full log-likelihood at
n = 20,000"). The test suite checks the same identity at n = 1,000.

Run from the repository root::

    python benchmarks/loo_agreement.py            # n = 20,000
    python benchmarks/loo_agreement.py --n 5000
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import environment_lines  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=20_000)
    args = ap.parse_args()
    import arviz_base as azb
    import arviz_stats as azs
    from scipy.special import expit, log_expit

    import bayeslogit as bl

    print("\n".join(environment_lines(("numpy", "bayeslogit", "arviz_stats"))))
    rng = np.random.default_rng(20)
    n = args.n
    X = np.column_stack([np.ones(n), rng.normal(size=(n, 3))])
    y = (rng.random(n) < expit(X @ [-0.4, 0.8, -0.5, 0.3])).astype(float)
    post = bl.Logit(y, X, priors=bl.Normal(0, 2.5)).sample(random_seed=1, progressbar=False)

    t0 = time.perf_counter()
    got = post.loo(pointwise=True)
    t_blocked = time.perf_counter() - t0
    eta = np.asarray(post.draws) @ X.T
    ll = y * log_expit(eta) + (1 - y) * log_expit(-eta)
    tree = azb.from_dict({"posterior": {"beta": np.asarray(post.draws)},
                          "log_likelihood": {"y": ll},
                          "log_prior": post.to_arviz(log_likelihood=False, predictive=False)[
                              "log_prior"].to_dataset()},
                         dims={"beta": ["coef"], "y": ["obs"]})
    del eta, ll
    t0 = time.perf_counter()
    ref = azs.loo(tree, pointwise=True)
    t_full = time.perf_counter() - t0
    print(f"n = {n}, 4 x 1000 draws ({4000 * n:.1e} pointwise values)")
    print(f"elpd_loo  bayeslogit {got.elpd:.6f}  ArviZ {ref.elpd:.6f}  "
          f"|diff| {abs(got.elpd - ref.elpd):.1e}")
    print(f"se        |diff| {abs(got.se - ref.se):.1e};  p_loo |diff| {abs(got.p - ref.p):.1e}")
    print("max |Pareto k diff| "
          f"{np.max(np.abs(got.pareto_k.values - ref.pareto_k.values)):.1e}; "
          f"max |elpd_i diff| {np.max(np.abs(got.elpd_i.values - ref.elpd_i.values)):.1e}")
    print(f"time: blocked {t_blocked:.1f} s, ArviZ on the whole array {t_full:.1f} s")
    ps, ps_ref = post.power_scaling(), azs.psense_summary(tree, var_names=["beta"])
    diff = np.max(np.abs(ps[["prior", "likelihood"]].to_numpy(dtype=float)
                         - ps_ref[["prior", "likelihood"]].to_numpy(dtype=float)))
    print(f"power_scaling: max |sensitivity diff| {diff:.1e}")


if __name__ == "__main__":
    main()
