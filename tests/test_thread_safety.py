"""Models sampled from several threads at once each get their own posterior, bit for bit.

A model, its ``with_data`` copy and its ``with_priors`` copy share one compiled NUTS sampler;
runs overlapping in threads must not see each other's data or priors, during or after. The
data sets have opposite slopes, so a swap would show as a sign flip against the MLE.

Gibbs and importance sampling must give the same bits whichever thread runs them: also when
the main thread has taken control of the BLAS thread count (``threadpoolctl`` then ignores
other threads' limits), checked in a fresh interpreter.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import numpy as np
import pandas as pd
import pytest

import bayeslogit as bl

# compiling the NUTS model and a fresh interpreter take tens of seconds on a small machine
pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::bayeslogit.SamplingWarning")]

KW = dict(sampler="nuts", draws=300, tune=200, chains=2, progressbar=False)


def frame(sign: float, seed: int, n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-sign * 2 * x))).astype(int)
    return pd.DataFrame({"x1": x, "y": y})


@pytest.fixture(scope="module")
def family():
    """One compiled sampler shared by three models: the original, other rows, other priors."""
    m = bl.Logit.from_formula("y ~ x1", frame(+1, 0), priors=bl.Normal(0, 2.5))
    models = {"m": m, "other_rows": m.with_data(frame(-1, 1)),
              "other_priors": m.with_priors(bl.Normal(0, 0.1))}
    seeds = {"m": 1, "other_rows": 2, "other_priors": 3}
    serial = {name: models[name].sample(random_seed=seeds[name], **KW).draws.copy()
              for name in models}
    assert models["other_rows"].compiled_samplers["nuts"] is m.compiled_samplers["nuts"]
    return models, seeds, serial


def test_serial_posteriors_belong_to_their_own_models(family):
    models, _, serial = family
    for name in ("m", "other_rows"):
        mle = models[name].fit().params.iloc[1]
        assert abs(serial[name][..., 1].mean() - mle) < 0.5, name
    # a tight Normal(0, 0.1) prior pulls the slope most of the way to zero
    assert abs(serial["other_priors"][..., 1].mean()) < 0.6 * abs(serial["m"][..., 1].mean())


def test_threads_sharing_one_compiled_sampler_match_serial_runs(family):
    models, seeds, serial = family
    for _ in range(2):
        out: dict[str, np.ndarray] = {}
        barrier = threading.Barrier(len(models))

        def run(name: str, out=out, barrier=barrier) -> None:
            barrier.wait(10)
            out[name] = models[name].sample(random_seed=seeds[name], **KW).draws

        threads = [threading.Thread(target=run, args=(name,)) for name in models]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(300)
        for name in models:
            assert np.array_equal(out[name], serial[name]), name
    # and afterwards, one at a time, in another order
    for name in reversed(list(models)):
        again = models[name].sample(random_seed=seeds[name], **KW).draws
        assert np.array_equal(again, serial[name]), name
    assert models["m"].compiled_samplers["nuts"].n_compilations == 1


_BLAS_OWNED_BY_MAIN = r"""
import json, warnings
from concurrent.futures import ThreadPoolExecutor
import numpy as np
import bayeslogit as bl
warnings.simplefilter("ignore")

def model(n, k, seed, **kw):
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.normal(size=(n, k - 1))])
    y = (rng.random(n) < 1 / (1 + np.exp(-X @ rng.normal(scale=0.3, size=k)))).astype(float)
    if kw.get("offset"):
        kw["offset"] = rng.normal(scale=0.2, size=n)
    return bl.Logit(y, X, priors=bl.Normal(0, 2.5), **kw)

jobs = {
    "gibbs small k": lambda: model(400, 4, 1).sample(
        draws=150, tune=20, chains=2, sampler="gibbs", random_seed=1, progressbar=False).draws,
    "gibbs one chain, offset": lambda: model(20000, 6, 2, offset=True).sample(
        draws=20, tune=0, chains=1, sampler="gibbs", random_seed=2, progressbar=False).draws,
    "gibbs k > 64": lambda: model(3000, 80, 3).sample(
        draws=15, tune=0, chains=2, sampler="gibbs", random_seed=3, progressbar=False).draws,
    "is": lambda: model(1100, 3, 4).sample(
        draws=300, chains=2, sampler="is", random_seed=4, progressbar=False).draws,
}
# the main thread runs first: it takes control of the BLAS thread count for the process
serial = {name: job() for name, job in jobs.items()}
same = {}
for _ in range(2):
    with ThreadPoolExecutor(len(jobs)) as pool:
        futures = {name: pool.submit(job) for name, job in jobs.items()}
        for name, future in futures.items():
            same.setdefault(name, True)
            same[name] &= bool(np.array_equal(future.result(), serial[name]))
print(json.dumps(same))
"""


def test_gibbs_and_importance_bits_do_not_depend_on_the_calling_thread():
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "2"}  # threaded BLAS to differ from
    proc = subprocess.run([sys.executable, "-c", _BLAS_OWNED_BY_MAIN], env=env, text=True,
                          capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    same = json.loads(proc.stdout.strip().splitlines()[-1])
    assert same and all(same.values()), same
