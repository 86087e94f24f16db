"""What a result costs after the fit: ``to_arviz()`` and ``print()`` against the fit itself.

For each size, on seeded synthetic data (float64 X = [1, N(0, 1) columns], coefficients
~ N(0, 0.3^2), y ~ Bernoulli), it times, in one process:

* the MLE fit, ``bl.Logit(y, X).fit()`` (median of ``repeats`` fits, one warm-up);
* the first ``to_arviz()`` of a fresh result (4 chains x 1000 asymptotic-normal draws, the
  default), median over ``repeats`` fresh results, and the second call on the same result;
* the first and second ``print(result)`` (as ``str``) of a fresh result;
* for a posterior (importance sampling, 4 x 1000 draws): the first ``str(posterior)``, which
  must not build the pointwise log-likelihood, and its first ``to_arviz()``, which does
  (when chains x draws x n fits in ``to_arviz``'s ``max_elements``, default 2e7);
* ``result.save(path)`` of the MLE (median of ``repeats``) against the fit, and the file's
  size against the data's (X and y as float64); the same for the posterior, whose file
  also holds the draws.

Goals: the MLE's first ``to_arviz()`` costs at most 10x the fit at n = 50,000, k = 10, and
a second call is free (a cache hit: a shallow copy of the cached tree) (issue 13); saving
costs at most about the fit and the file is at most about the data plus the draws (issue 14).

Run from the repository root::

    python benchmarks/results.py                       # n = 50,000, k = 10
    python benchmarks/results.py --sizes 5e4x10,2e5x20 --repeats 5
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from _common import environment_lines, format_table, median

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def make_data(n: int, k: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.normal(size=(n, k - 1))])
    beta = rng.normal(scale=0.3, size=k)
    y = (rng.random(n) < 1 / (1 + np.exp(-X @ beta))).astype(float)
    return X, y


def clock(fn: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def run_size(n: int, k: int, repeats: int) -> dict[str, float]:
    import bayeslogit as bl

    X, y = make_data(n, k)
    model = bl.Logit(y, X)
    model.fit().to_arviz()  # warm-up: imports (arviz_base, xarray) and BLAS
    fits, first, second, p1, p2 = [], [], [], [], []
    for _ in range(repeats):
        t, r = clock(model.fit)
        fits.append(t)
        first.append(clock(r.to_arviz)[0])
        second.append(clock(r.to_arviz)[0])
        r2 = model.fit()
        p1.append(clock(lambda r2=r2: str(r2))[0])
        p2.append(clock(lambda r2=r2: str(r2))[0])
    pm = model.with_priors(bl.Normal(0, 2.5))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_sample, post = clock(lambda: pm.sample(sampler="is", random_seed=1,
                                                 progressbar=False))
    t_print = clock(lambda: str(post))[0]
    t_tree = clock(post.to_arviz)[0]
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "result.nc")
        mle = model.fit()
        saves = [clock(lambda: mle.save(path))[0] for _ in range(repeats)]
        mle_size = os.path.getsize(path)
        t_post_save = clock(lambda: post.save(path))[0]
        post_size = os.path.getsize(path)
    data = X.nbytes + y.nbytes
    return {"fit": median(fits), "first": median(first), "second": median(second),
            "print1": median(p1), "print2": median(p2), "sample": t_sample,
            "post_print": t_print, "post_tree": t_tree, "save": median(saves),
            "mle_file": mle_size / data, "post_save": t_post_save,
            "post_file": post_size / (data + post.draws.nbytes)}


def parse_size(text: str) -> tuple[int, int]:
    n, k = text.lower().split("x")
    return int(float(n)), int(k)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="5e4x10", help="comma-separated NxK (default 5e4x10)")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    print("\n".join(environment_lines(["bayeslogit", "numpy", "xarray", "arviz_base"])))
    rows = []
    for size in args.sizes.split(","):
        n, k = parse_size(size)
        f = run_size(n, k, args.repeats)
        ms = {key: 1e3 * v for key, v in f.items()}
        rows.append([f"{n}x{k}", f"{ms['fit']:.1f}", f"{ms['first']:.1f}",
                     f"{ms['second']:.2f}", f"{f['first'] / f['fit']:.1f}",
                     f"{ms['print1']:.1f}", f"{ms['print2']:.3f}", f"{ms['sample']:.0f}",
                     f"{ms['post_print']:.1f}", f"{ms['post_tree']:.1f}"])
        verdict = "meets" if f["first"] <= 10 * f["fit"] else "MISSES"
        print(f"n={n}, k={k}: first to_arviz / fit = {f['first'] / f['fit']:.1f} "
              f"({verdict} the 10x goal); second call {ms['second']:.2f} ms")
        print(f"n={n}, k={k}: MLE save / fit = {f['save'] / f['fit']:.2f} "
              f"({ms['save']:.1f} ms), file / data = {f['mle_file']:.2f}; posterior save "
              f"{ms['post_save']:.1f} ms, file / (data + draws) = {f['post_file']:.2f}")
    print(format_table(
        ["size", "fit ms", "to_arviz 1st ms", "2nd ms", "1st/fit", "print 1st ms",
         "2nd ms", "IS sample ms", "print(post) ms", "post to_arviz ms"], rows))


if __name__ == "__main__":
    main()
