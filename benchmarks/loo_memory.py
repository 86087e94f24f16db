"""Memory and time of ``loo()`` and ``power_scaling()`` at a size whose pointwise
log-likelihood would not fit the old limit: n = 50,000 rows x 4 chains x 1000 draws
(chains x draws x n = 2e8 values: 1.6 GB as float64).

Each call is measured on its own: peak extra resident memory (``VmHWM`` reset before the
call, Linux) and the tracemalloc peak, against the 1.5 GB the whole array would take; then
``loo()`` is timed again without tracing (PSIS costs about the same per observation as
``arviz_stats.loo`` on the whole array: it is the same code).
Goal (issue 15): each under 1 GB of extra memory.

Run from the repository root::

    python benchmarks/loo_memory.py               # n = 50,000, 4 x 1000 draws
    python benchmarks/loo_memory.py --n 100000
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import environment_lines, measure_peak  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=50_000)
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--chains", type=int, default=4)
    args = ap.parse_args()
    import bayeslogit as bl

    print("\n".join(environment_lines(("numpy", "bayeslogit", "arviz_stats"))))
    rng = np.random.default_rng(15)
    n = args.n
    X = np.column_stack([np.ones(n), rng.normal(size=(n, 4))])
    y = (rng.random(n) < 1 / (1 + np.exp(-X @ [-0.3, 0.8, -0.5, 0.3, 0.0]))).astype(float)
    post = bl.Logit(y, X, priors=bl.Normal(0, 2.5)).sample(
        sampler="is", draws=args.draws, chains=args.chains, random_seed=1, progressbar=False)
    whole_mb = args.chains * args.draws * n * 8 / 2**20
    print(f"n = {n}, {args.chains} x {args.draws} draws: the whole pointwise "
          f"log-likelihood would be {whole_mb:.0f} MB")
    for name, call in (("loo()", post.loo), ("power_scaling()", post.power_scaling)):
        out = {}

        def run(call=call, out=out):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out["value"] = call()

        t0 = time.perf_counter()
        peak = measure_peak(run)
        seconds = time.perf_counter() - t0
        rss = "-" if peak["rss_mb"] is None else f"{peak['rss_mb']:.0f}"
        print(f"{name:16s} {seconds:7.1f} s (tracemalloc on)  peak RSS +{rss} MB  "
              f"tracemalloc peak {peak['traced_mb']:.0f} MB  "
              f"({'met' if (peak['rss_mb'] or peak['traced_mb']) < 1024 else 'MISSED'}: "
              "goal < 1024 MB)")
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loo = post.loo()
    print(f"loo() without tracing: {time.perf_counter() - t0:.1f} s; "
          f"elpd_loo {loo.elpd:.1f} (se {loo.se:.1f}), p_loo {loo.p:.2f}, "
          f"max Pareto k {float(loo.pareto_k.max()):.2f}")


if __name__ == "__main__":
    main()
