"""Fits running at the same time in threads leave no global state behind.

The BLAS thread limit is process-wide; runs that set it to one thread must give it back as it
was, whatever order overlapping runs enter and leave in, and a run's result must not depend
on what another thread is doing.

``threadpoolctl`` lets only one live thread change the limits (the first that does), so in
a test process where the main thread has already set one, other threads cannot. The
real-thread runs are therefore checked in a fresh interpreter whose main thread never sets a
limit: the situation of a web server or of notebook threads.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from bayeslogit import blocks


def blas_threads() -> list[int]:
    return sorted({p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"})


@pytest.fixture
def two_blas_threads():
    """BLAS at two threads for the test (one-core machines default to 1, which hides leaks)."""
    with threadpool_limits(limits=2, user_api="blas"):
        assert blas_threads() == [2]
        yield [2]


def hold_in_thread(entered: threading.Event, leave: threading.Event) -> threading.Thread:
    def run():
        with blocks.single_threaded_blas():
            entered.set()
            leave.wait(10)

    thread = threading.Thread(target=run)
    thread.start()
    assert entered.wait(10)
    return thread


def test_limit_restored_when_the_setter_leaves_before_another_holder(two_blas_threads):
    with blocks.single_threaded_blas():
        assert blas_threads() == [1]
        entered, leave = threading.Event(), threading.Event()
        other = hold_in_thread(entered, leave)
    assert blas_threads() == two_blas_threads  # restored by the thread that set it
    leave.set()
    other.join(10)
    assert blas_threads() == two_blas_threads  # and the later leaver does not undo that


def test_limit_restored_when_another_holder_leaves_first(two_blas_threads):
    entered, leave = threading.Event(), threading.Event()
    with blocks.single_threaded_blas():
        other = hold_in_thread(entered, leave)
        leave.set()
        other.join(10)
        assert blas_threads() == [1]  # still held here
    assert blas_threads() == two_blas_threads


def test_nested_holds_and_failures_restore(two_blas_threads):
    with pytest.raises(ZeroDivisionError):
        with blocks.single_threaded_blas(), blocks.numpy_blas_limit(1):
            with blocks.single_threaded_blas():
                assert blocks.blas_thread_budget() == 1
            assert blas_threads() == [1]
            raise ZeroDivisionError("a run that fails")
    assert blas_threads() == two_blas_threads


def test_budget_of_another_thread_is_the_original_setting(two_blas_threads):
    """While one thread holds the single-thread limit, another thread's budget for its own
    threaded passes is the setting from before the limit."""
    budgets = []
    with blocks.single_threaded_blas():
        reader = threading.Thread(target=lambda: budgets.append(blocks.blas_thread_budget()))
        reader.start()
        reader.join(10)
        assert blocks.blas_thread_budget() == 1
    assert budgets == [min(2, os.cpu_count() or 1)]


_CONCURRENT_RUNS = r"""
import json, time, warnings
from concurrent.futures import ThreadPoolExecutor
import numpy as np
from threadpoolctl import threadpool_info
import bayeslogit as bl
from bayeslogit import blocks
from bayeslogit.engines import newton

warnings.simplefilter("ignore")

def blas():
    return sorted({p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"})

def in_threads(jobs, stagger):
    # job i starts i * stagger seconds after the first: each later run enters while the
    # earlier ones hold the limit, and (being longer or later) leaves after them
    def delayed(i_job):
        time.sleep(i_job[0] * stagger)
        return i_job[1]()
    with ThreadPoolExecutor(len(jobs)) as pool:
        return list(pool.map(delayed, enumerate(jobs)))

def one_at_a_time(jobs):
    # in a worker thread that then ends, so the main thread never takes control of BLAS
    with ThreadPoolExecutor(1) as pool:
        return list(pool.map(lambda job: job(), jobs))

rng = np.random.default_rng(11)
X = np.column_stack([np.ones(300), rng.normal(size=(300, 3))])
y = (rng.random(300) < 1 / (1 + np.exp(-X @ [-0.3, 0.8, 0.0, -0.5]))).astype(float)
gibbs_model = bl.Logit(y, X, priors=bl.Normal(0, 2.5))
gibbs = [lambda d=d, s=s: gibbs_model.sample(draws=d, tune=20, chains=2, sampler="gibbs",
                                             random_seed=s, progressbar=False).draws
         for d, s in ((250, 1), (750, 2))]

n, k = 17_600, 60  # above the threshold of the chunked, threaded pass over X
assert n * k >= newton._THREAD_MIN_ELEMENTS
Xm = np.column_stack([np.ones(n), rng.normal(size=(n, k - 1))])
ym = (rng.random(n) < 1 / (1 + np.exp(-Xm @ rng.normal(scale=0.15, size=k)))).astype(float)
mle = [lambda yy=yy: (lambda r: np.r_[r.params.to_numpy(), r.bse.to_numpy(), r.iterations])(
           bl.Logit(yy, Xm).fit()) for yy in (ym, ym[::-1].copy())]

n_is = 1_100  # 4000 proposals x n rows: the threaded, blocked log-likelihood
assert 4000 * n_is >= blocks.THREAD_MIN_ELEMENTS
Xi = np.column_stack([np.ones(n_is), rng.normal(size=(n_is, 2))])
yi = (rng.random(n_is) < 1 / (1 + np.exp(-Xi @ [0.2, -0.6, 0.4]))).astype(float)
is_model = bl.Logit(yi, Xi, priors=bl.Normal(0, 2.5))
importance = [lambda s=s: is_model.sample(draws=100, chains=2, sampler="is", random_seed=s,
                                          progressbar=False).draws for s in (3, 4)]

out = {"start": blas()}
for name, jobs, stagger, repeats in (("gibbs", gibbs, 0.03, 2), ("mle", mle, 0.02, 1),
                                     ("is", importance, 0.01, 1)):
    serial = one_at_a_time(jobs)
    after = []
    same = True
    for _ in range(repeats):
        got = in_threads(jobs, stagger)
        after.append(blas())
        same = same and all(np.array_equal(a, b) for a, b in zip(got, serial))
    out[name] = {"blas_after": after, "same_as_serial": bool(same)}
print(json.dumps(out))
"""


def test_overlapping_fits_in_threads_restore_blas_and_match_serial_runs():
    """Concurrent Gibbs runs, chunked MLE fits and importance sampling, each started while
    the others hold the limit: BLAS is as before afterwards, results as when run alone."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "2"}  # something for a leak to change
    proc = subprocess.run([sys.executable, "-c", _CONCURRENT_RUNS], env=env, text=True,
                          capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["start"] == [2]
    for name in ("gibbs", "mle", "is"):
        assert out[name]["same_as_serial"], name
        assert all(after == [2] for after in out[name]["blas_after"]), (name, out[name])
