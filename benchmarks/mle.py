"""Maximum-likelihood speed: bayeslogit vs statsmodels vs scikit-learn, in one run.

Contenders, each timed on the same data in the same process:

* ``bayeslogit``: ``bl.Logit(y, X).fit().bse`` -- input validation, rank check, Newton,
  separation screen and standard errors.
* ``statsmodels``: ``sm.Logit(y, X).fit(disp=0).bse`` -- Newton (its default) and standard
  errors.
* ``scikit-learn``: ``LogisticRegression(C=np.inf, solver="newton-cholesky",
  fit_intercept=False, tol=1e-8, max_iter=100).fit(X, y)`` -- the fit alone, no standard
  errors. ``C=np.inf`` is the unpenalised fit (``penalty=None`` is deprecated since
  scikit-learn 1.8). ``tol=1e-8``: scikit-learn stops when max |mean gradient| <= tol and half
  the squared Newton decrement <= tol; at 1e-8 its coefficients agree with statsmodels' to
  about 1e-12 (printed below), as close as Newton's step tolerance 1e-8 gets bayeslogit and
  statsmodels (quadratic convergence makes the last iterate far closer than 1e-8). The default
  1e-4 stops 1e-4 to 1e-7 short and would make the comparison unfair to the others.

Data: float64, C-contiguous X = [1, N(0, 1) columns] with p columns in all (constant
included), true coefficients ~ N(0, 0.3^2), y ~ Bernoulli(expit(X beta)); seeded, generated
once per size. Timing: one warm-up call each, then ``repeats`` round-robin rounds; medians of
``time.perf_counter`` wall time. Memory: one fit per contender in a fresh process (same data,
same seed), reported as MB above the resident size before the fit (the data are already
resident), see ``_common.measure_peak``.

Goal: bayeslogit >= 2x faster than statsmodels at n >= 1e5 and not slower than scikit-learn's
fit alone.

Run from the repository root::

    python benchmarks/mle.py                  # all four sizes
    python benchmarks/mle.py --quick          # 1e4 x 10 and 1e5 x 20, 3 repeats
    python benchmarks/mle.py --sizes 1e6x20 --repeats 5 --no-memory
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from _common import (
    MB,
    environment_lines,
    format_table,
    load_average,
    measure_peak,
    median,
    run_child,
    time_interleaved,
)

DEFAULT_SIZES = "1e4x10,1e5x20,1e6x20,2e5x200"
QUICK_SIZES = "1e4x10,1e5x20"
CONTENDERS = ("bayeslogit", "statsmodels", "scikit-learn")
LABELS = {"bayeslogit": "bayeslogit fit + bse", "statsmodels": "statsmodels fit + bse",
          "scikit-learn": "scikit-learn fit", "bayeslogit-noscreen":
          "bayeslogit fit + bse, check_separation=False"}
SKLEARN_TOL = 1e-8


def parse_sizes(text: str) -> list[tuple[int, int]]:
    """``"1e4x10,2e5x200"`` -> [(10000, 10), (200000, 200)]."""
    sizes = []
    for item in text.split(","):
        n, _, p = item.strip().lower().partition("x")
        if not p:
            raise argparse.ArgumentTypeError(f"size {item!r} is not NxP, e.g. 1e5x20")
        sizes.append((int(float(n)), int(float(p))))
    return sizes


def make_data(n: int, p: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded synthetic data; the seed is mixed with (n, p) so each size has its own data."""
    rng = np.random.default_rng([seed, n, p])
    X = np.empty((n, p))
    X[:, 0] = 1.0
    X[:, 1:] = rng.standard_normal((n, p - 1))
    beta = rng.normal(0.0, 0.3, size=p)
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-(X @ beta)))).astype(np.float64)
    return X, y


def contender(name: str, X: np.ndarray, y: np.ndarray) -> Callable[[], dict[str, Any]]:
    """A zero-argument callable fitting ``name`` on (X, y) and returning its estimates."""
    if name.startswith("bayeslogit"):
        import bayeslogit as bl

        screen = name == "bayeslogit"

        def run() -> dict[str, Any]:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                r = bl.Logit(y, X).fit(check_separation=screen)
                bse = r.bse.to_numpy()
            sep = r.separation
            return {"params": r.params.to_numpy(), "bse": bse, "iterations": r.iterations,
                    "screen_ran": sep is not None, "separated": bool(sep and sep.separated)}
        return run
    if name == "statsmodels":
        import statsmodels.api as sm

        def run() -> dict[str, Any]:
            r = sm.Logit(y, X).fit(disp=0)
            bse = np.asarray(r.bse)
            return {"params": np.asarray(r.params), "bse": bse,
                    "iterations": r.mle_retvals["iterations"]}
        return run
    if name == "scikit-learn":
        from sklearn.linear_model import LogisticRegression

        def run() -> dict[str, Any]:
            m = LogisticRegression(C=np.inf, solver="newton-cholesky", fit_intercept=False,
                                   tol=SKLEARN_TOL, max_iter=100).fit(X, y)
            return {"params": m.coef_[0].copy(), "iterations": int(m.n_iter_[0])}
        return run
    raise ValueError(f"unknown contender {name!r}; use one of {CONTENDERS}")


def memory_child(n: int, p: int, seed: int, name: str, threads: int | None) -> None:
    """Entry point of the fresh process that measures one contender's peak memory."""
    limit = _limit_threads(threads)
    X, y = make_data(n, p, seed)
    # import everything a fit may load lazily, then warm up on a small slice, so that the
    # measured fit allocates only what the fit itself needs
    import scipy.optimize  # noqa: F401  (the separation LP)
    import scipy.stats  # noqa: F401
    for mod in ("bayeslogit.inference.covariance", "bayeslogit.engines.separation",
                "bayeslogit.results.mle"):
        try:
            __import__(mod)
        except ImportError:
            pass
    small = min(n, 2000)
    contender(name, np.ascontiguousarray(X[:small]), y[:small])()
    out = measure_peak(contender(name, X, y))
    del limit
    print(json.dumps(out))


def _limit_threads(threads: int | None) -> Any:
    if threads is None:
        return None
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=threads)


def fmt_mb(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def bench_size(n: int, p: int, args: argparse.Namespace) -> str:
    X, y = make_data(n, p, args.seed)
    load_at_start = load_average()
    repeats = args.repeats or (3 if args.quick or n * p > 2_000_000 else 5)
    names = list(CONTENDERS)
    probe = contender("bayeslogit", X, y)()  # bayeslogit's warm-up
    if probe["screen_ran"]:
        names.insert(1, "bayeslogit-noscreen")  # show what the separation LP costs
    funcs = {name: contender(name, X, y) for name in names}
    times, out = time_interleaved(funcs, repeats=repeats, warmup=1,
                                  warmed={"bayeslogit": probe})
    med = {name: median(ts) for name, ts in times.items()}
    memory: dict[str, dict[str, float | None]] = {}
    if not args.no_memory:
        for name in names:
            argv = [__file__, "--memory-child", f"{n}x{p}", name, "--seed", str(args.seed)]
            if args.blas_threads:
                argv += ["--blas-threads", str(args.blas_threads)]
            memory[name] = run_child(argv)
    rows = []
    for name in names:
        mem = memory.get(name, {})
        rows.append([LABELS[name], f"{med[name]:.4f}", f"{med[name] / med['bayeslogit']:.2f}",
                     fmt_mb(mem.get("rss_mb")), fmt_mb(mem.get("traced_mb")),
                     " ".join(f"{t:.3f}" for t in times[name])])
    header = (f"== n={n:,}  p={p}  (data {(X.nbytes + y.nbytes) / MB:.1f} MB; median of "
              f"{repeats} after 1 warm-up; {load_at_start} at the start, "
              f"{load_average()} at the end) ==")
    table = format_table(["contender", "median s", "ratio vs bayeslogit",
                          "peak MB (RSS)", "peak MB (traced)", "all runs s"], rows)
    bl_, sm_, sk_ = out["bayeslogit"], out["statsmodels"], out["scikit-learn"]
    agree = (
        f"agreement: max|params bl - sm| = {np.max(np.abs(bl_['params'] - sm_['params'])):.1e}, "
        f"max rel|bse bl - sm| = {np.max(np.abs(bl_['bse'] / sm_['bse'] - 1)):.1e}, "
        f"max|params sk - sm| = {np.max(np.abs(sk_['params'] - sm_['params'])):.1e}; "
        f"iterations bl {bl_['iterations']}, sm {sm_['iterations']}, sk {sk_['iterations']}"
        + (f"; the separation screen ran the exact LP (separation found: "
           f"{probe['separated']})" if probe["screen_ran"] else ""))
    r_sm = med["statsmodels"] / med["bayeslogit"]
    r_sk = med["scikit-learn"] / med["bayeslogit"]
    goals = [f"not slower than sklearn: {'met' if r_sk >= 1 else 'MISSED'}"]
    if n >= 100_000:
        goals.insert(0, f">=2x statsmodels: {'met' if r_sm >= 2 else 'MISSED'}")
    summary = (f"summary n={n:,} p={p}: statsmodels/bayeslogit = {r_sm:.1f}x, "
               f"sklearn/bayeslogit = {r_sk:.1f}x  [{'; '.join(goals)}]")
    return "\n".join([header, table, agree, summary])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"only {QUICK_SIZES}, 3 repeats")
    parser.add_argument("--sizes", type=parse_sizes, default=None,
                        help=f"comma-separated NxP (p counts the constant); default "
                             f"{DEFAULT_SIZES}")
    parser.add_argument("--repeats", type=int, default=None,
                        help="timed rounds per size (default 5, or 3 when n*p > 2e6)")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--no-memory", action="store_true",
                        help="skip the peak-memory processes")
    parser.add_argument("--blas-threads", type=int, default=None,
                        help="cap BLAS/OpenMP threads (threadpoolctl); default: leave as is")
    parser.add_argument("--memory-child", nargs=2, metavar=("NxP", "CONTENDER"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_child:
        (n, p), = parse_sizes(args.memory_child[0])
        memory_child(n, p, args.seed, args.memory_child[1], args.blas_threads)
        return 0
    sizes = args.sizes or parse_sizes(QUICK_SIZES if args.quick else DEFAULT_SIZES)
    limit = _limit_threads(args.blas_threads)
    print(f"benchmarks/{Path(__file__).name} {' '.join(sys.argv[1:])}".rstrip())
    for line in environment_lines(["numpy", "scipy", "statsmodels", "sklearn", "bayeslogit"]):
        print(line)
    if args.blas_threads:
        print(f"thread pools capped at {args.blas_threads} for this run (--blas-threads)")
    print(f"sklearn tol={SKLEARN_TOL:g}; seed={args.seed}\n", flush=True)
    for n, p in sizes:
        print(bench_size(n, p, args) + "\n", flush=True)
    del limit
    return 0


if __name__ == "__main__":
    sys.exit(main())
