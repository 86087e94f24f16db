"""Logistic MLE on Dask data: bayeslogit vs dask-glm ``newton`` vs statsmodels in memory.

One run, one local cluster (``LocalCluster(processes=True, n_workers=2,
threads_per_worker=1)``):

* ``bayeslogit``: ``bl.Logit(y, X).fit().bse`` on Dask arrays -- the construction pass
  (missing values, response range, Gram rank check, and the first Newton evaluation; the
  prepared blocks persisted on the workers, sharing the memory of the persisted chunks),
  then one map-reduce pass per Newton iteration, and the standard errors.
* ``dask-glm``: ``dask_glm.algorithms.newton(X, y, tol=1e-8)`` on the same persisted
  Dask arrays -- point estimates only.
* ``statsmodels``: ``sm.Logit(y, X).fit(disp=0).bse`` on the data gathered into the
  client's memory (timed with its default BLAS threads and with one; the faster is
  reported), only where n * p * 8 bytes is under ``--memory-limit`` (default 2 GB):
  at n = 2e7, p = 20 the design alone is 3.2 GB and statsmodels' temporaries several times
  that, so it is skipped there.

Data: X = [1, N(0, 1) columns] (p columns), y ~ Bernoulli(expit(X beta)), generated lazily
by ``dask.array.random`` per chunk of 250,000 rows on the workers and persisted there: the
client never holds it. Both libraries are warmed up on a small fit first (imports on the
workers), and the timings cover the whole fit. Throughput is rows per second.

Peak memory per worker: before each fit every worker resets its peak resident size
(Linux: ``/proc/self/clear_refs``, read back as ``VmHWM``) through ``client.run`` -- between
fits, never while one runs -- and afterwards reports it; the figure is the largest rise
over the resident size at the reset, i.e. the fit's own memory on top of the worker's
share of the persisted data. Where ``/proc`` is not available the cluster-wide trace of
``distributed.diagnostics.MemorySampler`` (sampled every 0.1 s) divided by the number of
workers is used instead.

Run from the repository root::

    python benchmarks/dask_scaling.py            # n = 2e6 and 2e7, p = 20
    python benchmarks/dask_scaling.py --quick    # n = 2e5 and 1e6, a smoke run
    python benchmarks/dask_scaling.py --lazy     # also persist=False on data never persisted

With ``--lazy`` bayeslogit also fits first with ``persist=False`` on the lazy arrays: every
pass generates the chunks again, and the peak rise per worker is its whole footprint.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import logging
import os
import time

import numpy as np

CHUNK = 250_000


def make_data(n: int, p: int, seed: int = 18):
    """Return lazy Dask arrays X (n, p) and y (n,) in chunks of :data:`CHUNK` rows."""
    import dask.array as da

    rs = da.random.RandomState(seed)
    Z = rs.standard_normal((n, p - 1), chunks=(CHUNK, p - 1))
    X = da.concatenate([da.ones((n, 1), chunks=(CHUNK, 1)), Z], axis=1).rechunk((CHUNK, p))
    beta = np.random.default_rng(seed).normal(scale=0.3, size=p)
    prob = 1 / (1 + da.exp(-(X @ beta)))
    y = (rs.random_sample(n, chunks=CHUNK) < prob).astype(float)
    return X, y


def _reset_peak() -> int:
    """On a worker: reset the peak resident size; return the resident size (bytes)."""
    gc.collect()
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    return _status("VmRSS")


def _status(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(field)


def _peak() -> int:
    return _status("VmHWM")


class PeakMemory:
    """Largest rise of a worker's resident memory during a block of code (see module doc)."""

    def __init__(self, client):
        self.client, self.rise = client, 0.0
        self.exact = os.path.exists("/proc/self/clear_refs")

    def __enter__(self):
        if self.exact:
            self.base = self.client.run(_reset_peak)
        else:
            from distributed.diagnostics import MemorySampler

            self._sampler = MemorySampler()
            self._ctx = self._sampler.sample("fit", client=self.client, interval=0.1)
            self._ctx.__enter__()
        return self

    def __exit__(self, *exc):
        if self.exact:
            peak = self.client.run(_peak)
            self.rise = max(peak[w] - self.base[w] for w in self.base) / 2**20
        else:
            self._ctx.__exit__(*exc)
            trace = [m for _, m in self._sampler.samples["fit"]]
            workers = len(self.client.scheduler_info()["workers"])
            self.rise = (max(trace) - trace[0]) / workers / 2**20


class PassCounter(logging.Handler):
    """Count bayeslogit's passes over the blocks (its ``bayeslogit.distributed`` log)."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.passes = 0

    def emit(self, record):
        if " blocks: " in record.getMessage():
            self.passes += 1


def warm_up(client) -> None:
    """Fit both libraries once on small data: imports on the workers, not timed."""
    import dask
    import dask_glm.algorithms as glm

    import bayeslogit as bl

    X, y = dask.persist(*make_data(20_000, 3))
    bl.Logit(y, X).fit()
    glm.newton(X, y, tol=1e-8)
    del X, y


def fit_bayeslogit(X, y, client, persist: bool = True) -> dict:
    """Time ``bl.Logit(y, X, persist=persist).fit().bse``; count its passes and memory."""
    import bayeslogit as bl

    counter = PassCounter()
    log = logging.getLogger("bayeslogit.distributed")
    log.addHandler(counter)
    log.setLevel(logging.INFO)
    try:
        with PeakMemory(client) as mem:
            t = time.perf_counter()
            model = bl.Logit(y, X, persist=persist)
            construct = time.perf_counter() - t
            res = model.fit()
            _ = res.bse
            total = time.perf_counter() - t
    finally:
        log.removeHandler(counter)
    return {"s": total, "construct_s": construct, "mb": mem.rise,
            "iterations": res.iterations, "passes": counter.passes,
            "params": res.params.to_numpy()}


def run(n: int, p: int, client, memory_limit: float, lazy: bool = False) -> dict:
    import dask
    import dask_glm.algorithms as glm
    from distributed import wait

    out = {"n": n, "p": p}
    if lazy:  # nothing persisted: every pass generates the chunks again
        r = fit_bayeslogit(*make_data(n, p), client, persist=False)
        out.update(lazy_s=r["s"], lazy_mb=r["mb"], lazy_passes=r["passes"])
    X, y = dask.persist(*make_data(n, p))
    wait([X, y])
    r = fit_bayeslogit(X, y, client)
    out.update(bayeslogit_s=r["s"], construct_s=r["construct_s"], bayeslogit_mb=r["mb"],
               iterations=r["iterations"], passes=r["passes"])
    params = r["params"]
    with PeakMemory(client) as mem:
        t = time.perf_counter()
        beta = glm.newton(X, y, tol=1e-8)
        out["daskglm_s"] = time.perf_counter() - t
    out["daskglm_mb"] = mem.rise
    out["max_diff_daskglm"] = float(np.max(np.abs(np.asarray(beta) - params)))
    if n * p * 8 <= memory_limit:
        import statsmodels.api as sm
        from threadpoolctl import threadpool_limits

        Xm, ym = dask.compute(X, y)
        times = {}
        for blas in (None, 1):  # its default BLAS threads, and one (faster on busy cores)
            with threadpool_limits(blas):
                t = time.perf_counter()
                ref = sm.Logit(ym, Xm).fit(disp=0)
                _ = ref.bse
                times["default" if blas is None else "1"] = time.perf_counter() - t
        out["statsmodels_blas"] = min(times, key=times.get)
        out["statsmodels_s"] = times[out["statsmodels_blas"]]
        out["max_diff_statsmodels"] = float(np.max(np.abs(ref.params - params)))
        del Xm, ym, ref
    # release the data by dropping the last references (client.cancel on chunks that
    # released intermediate tasks still depend on trips an assertion in the scheduler)
    del X, y
    gc.collect()
    return out


def report(r: dict, p: int) -> None:
    n, sm_s = r["n"], r.get("statsmodels_s")
    print(f"n={n:.0e} p={p} chunks={CHUNK}: bayeslogit {r['bayeslogit_s']:.2f} s "
          f"({n / r['bayeslogit_s']:.3g} rows/s; construction {r['construct_s']:.2f} s, "
          f"{r['iterations']} iterations, {r['passes']} passes), dask-glm newton "
          f"{r['daskglm_s']:.2f} s ({n / r['daskglm_s']:.3g} rows/s), statsmodels "
          + (f"{sm_s:.2f} s (BLAS threads: {r['statsmodels_blas']})" if sm_s
             else "skipped (does not fit in memory)"))
    print(f"  throughput ratio bayeslogit / dask-glm: {r['daskglm_s'] / r['bayeslogit_s']:.2f}x"
          + (f"; bayeslogit / statsmodels: {sm_s / r['bayeslogit_s']:.2f}x" if sm_s else ""))
    print(f"  peak memory rise per worker: bayeslogit {r['bayeslogit_mb']:.0f} MB, dask-glm "
          f"{r['daskglm_mb']:.0f} MB (one chunk of X is {CHUNK * p * 8 / 2**20:.0f} MB; "
          f"each worker holds {n * (p + 1) * 8 / 2 / 2**20:.0f} MB of persisted data)")
    print(f"  max |params difference|: dask-glm {r['max_diff_daskglm']:.2g}"
          + (f", statsmodels {r['max_diff_statsmodels']:.2g}" if sm_s else ""), flush=True)
    if "lazy_s" in r:
        print(f"  bayeslogit persist=False on data not persisted (generated again at every "
              f"pass): {r['lazy_s']:.2f} s, {r['lazy_passes']} passes, peak memory rise per "
              f"worker {r['lazy_mb']:.0f} MB", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="n = 2e5 and 1e6")
    parser.add_argument("--p", type=int, default=20)
    parser.add_argument("--memory-limit", type=float, default=2e9,
                        help="bytes of X up to which statsmodels runs in memory")
    parser.add_argument("--lazy", action="store_true",
                        help="also fit with persist=False on data that are not persisted")
    args = parser.parse_args()
    from distributed import Client, LocalCluster

    sizes = [200_000, 1_000_000] if args.quick else [2_000_000, 20_000_000]
    with contextlib.ExitStack() as stack:
        cluster = stack.enter_context(LocalCluster(
            processes=True, n_workers=2, threads_per_worker=1, dashboard_address=None))
        client = stack.enter_context(Client(cluster))
        warm_up(client)
        for n in sizes:
            report(run(n, args.p, client, args.memory_limit, args.lazy), args.p)


if __name__ == "__main__":
    main()
