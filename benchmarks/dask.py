"""Logistic MLE on Dask data: bayeslogit vs dask-glm ``newton`` vs statsmodels in memory.

One run, one local cluster (``LocalCluster(processes=True, n_workers=2,
threads_per_worker=1)``):

* ``bayeslogit``: ``bl.Logit(y, X).fit().bse`` on Dask arrays -- the construction pass
  (missing values, response range, Gram rank check; the blocks persisted on the workers),
  then one map-reduce pass per Newton evaluation, and the standard errors.
* ``dask-glm``: ``dask_glm.algorithms.newton(X, y)`` on the same persisted Dask arrays --
  point estimates only.
* ``statsmodels``: ``sm.Logit(y, X).fit(disp=0).bse`` on the data in the client's memory,
  only where n * p * 8 bytes is under ``--memory-limit`` (default 2 GB): at n = 2e7, p = 20
  the design is 3.2 GB and statsmodels' temporaries several times that, so it is skipped.

Data: X = [1, N(0, 1) columns] (p columns), y ~ Bernoulli(expit(X beta)), generated lazily
by ``dask.array.random`` per chunk of 250,000 rows on the workers: the client never holds
the data. Throughput is rows per second of the whole fit. Peak memory per worker is the
largest resident size a worker reported (sampled every 0.1 s) minus its resident size before
the fit, i.e. the fit's own temporaries on top of the worker's share of the persisted data.

Run from the repository root::

    python benchmarks/dask.py            # n = 2e6 and 2e7, p = 20
    python benchmarks/dask.py --quick    # n = 2e5 and 1e6, a smoke run
"""

from __future__ import annotations

import os
import sys

# this file is named dask.py: keep its folder off the path so that "import dask" is Dask
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.getcwd()) != _HERE]

import argparse  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

CHUNK = 250_000


def make_data(n: int, p: int, seed: int = 18):
    import dask.array as da

    rs = da.random.RandomState(seed)
    Z = rs.standard_normal((n, p - 1), chunks=(CHUNK, p - 1))
    X = da.concatenate([da.ones((n, 1), chunks=(CHUNK, 1)), Z], axis=1).rechunk((CHUNK, p))
    beta = np.random.default_rng(seed).normal(scale=0.3, size=p)
    prob = 1 / (1 + da.exp(-(X @ beta)))
    y = (rs.random_sample(n, chunks=CHUNK) < prob).astype(float)
    return X, y


class WorkerMemory:
    """Sample every worker's resident memory in a thread; report the largest rise."""

    def __init__(self, client):
        self.client, self.peak, self.base, self._stop = client, {}, {}, threading.Event()

    def _rss(self):
        import psutil

        return self.client.run(lambda: psutil.Process().memory_info().rss)

    def __enter__(self):
        self.base = self._rss()
        self.peak = dict(self.base)
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def _loop(self):
        while not self._stop.is_set():
            for w, r in self._rss().items():
                self.peak[w] = max(self.peak.get(w, 0), r)
            time.sleep(0.1)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def rise_mb(self) -> float:
        return max(self.peak[w] - self.base[w] for w in self.base) / 2**20


def run(n: int, p: int, client, memory_limit: float) -> dict:
    import dask
    import dask_glm.algorithms as glm

    import bayeslogit as bl

    X, y = make_data(n, p)
    X, y = dask.persist(X, y)
    dask.compute(X.sum(), y.sum())  # materialise the data on the workers before timing
    out = {"n": n, "p": p}
    with WorkerMemory(client) as mem:
        t = time.perf_counter()
        res = bl.Logit(y, X).fit()
        _ = res.bse
        out["bayeslogit_s"] = time.perf_counter() - t
    out["bayeslogit_mb"] = mem.rise_mb()
    out["iterations"] = res.iterations
    with WorkerMemory(client) as mem:
        t = time.perf_counter()
        beta = glm.newton(X, y, tol=1e-8)
        out["daskglm_s"] = time.perf_counter() - t
    out["daskglm_mb"] = mem.rise_mb()
    out["max_diff_daskglm"] = float(np.max(np.abs(np.asarray(beta) - res.params.to_numpy())))
    if n * p * 8 <= memory_limit:
        import statsmodels.api as sm

        Xm, ym = dask.compute(X, y)
        t = time.perf_counter()
        ref = sm.Logit(ym, Xm).fit(disp=0)
        _ = ref.bse
        out["statsmodels_s"] = time.perf_counter() - t
        out["max_diff_statsmodels"] = float(np.max(np.abs(ref.params - res.params.to_numpy())))
        del Xm, ym
    client.cancel([X, y])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="n = 2e5 and 1e6")
    parser.add_argument("--p", type=int, default=20)
    parser.add_argument("--memory-limit", type=float, default=2e9,
                        help="bytes of X up to which statsmodels runs in memory")
    args = parser.parse_args()
    from distributed import Client, LocalCluster

    sizes = [200_000, 1_000_000] if args.quick else [2_000_000, 20_000_000]
    with LocalCluster(processes=True, n_workers=2, threads_per_worker=1,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        for n in sizes:
            r = run(n, args.p, client, args.memory_limit)
            sm_s = r.get("statsmodels_s")
            print(f"n={n:.0e} p={args.p} chunks={CHUNK}: bayeslogit {r['bayeslogit_s']:.2f} s "
                  f"({n / r['bayeslogit_s']:.3g} rows/s, {r['iterations']} iterations), "
                  f"dask-glm newton {r['daskglm_s']:.2f} s, statsmodels "
                  + (f"{sm_s:.2f} s" if sm_s else "skipped (does not fit in memory)"))
            print(f"  throughput ratio bayeslogit / dask-glm: "
                  f"{r['daskglm_s'] / r['bayeslogit_s']:.2f}x"
                  + (f"; bayeslogit / statsmodels: {sm_s / r['bayeslogit_s']:.2f}x"
                     if sm_s else ""))
            print(f"  peak memory rise per worker: bayeslogit {r['bayeslogit_mb']:.0f} MB, "
                  f"dask-glm {r['daskglm_mb']:.0f} MB (one chunk of X is "
                  f"{CHUNK * args.p * 8 / 2**20:.0f} MB)")
            print(f"  max |params difference|: dask-glm {r['max_diff_daskglm']:.2g}"
                  + (f", statsmodels {r['max_diff_statsmodels']:.2g}" if sm_s else ""))


if __name__ == "__main__":
    main()
