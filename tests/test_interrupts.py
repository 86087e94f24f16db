"""Ctrl-C (SIGINT) during NUTS: the caller gets ``KeyboardInterrupt``, never a cut-short posterior.

nutpie answers an interrupt by returning the draws taken so far (NaN for the rest); the
package must instead stop the sampler and raise, and the model must sample normally
afterwards. An interrupt while pymc/nutpie are first imported and the model compiled must not
leave them half-initialised: it is held back until the set-up is done, then raised.

The signals are real: sent to a child interpreter (the main thread gets SIGINT), or raised in
this process's main thread for the small context manager.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading

import pytest

from bayeslogit.engines.nuts import interrupt_deferred


def test_an_interrupt_inside_the_window_is_raised_when_it_ends():
    steps = []
    with pytest.raises(KeyboardInterrupt):
        with interrupt_deferred():
            signal.raise_signal(signal.SIGINT)
            steps.append("after the signal")  # the block is not cut short
    assert steps == ["after the signal"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_no_interrupt_no_exception_and_errors_pass_through():
    with interrupt_deferred():
        pass
    with pytest.raises(ZeroDivisionError):
        with interrupt_deferred():
            raise ZeroDivisionError
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_handler_of_the_callers_own_is_left_in_charge():
    seen = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: seen.append(signum))
    try:
        with interrupt_deferred():
            signal.raise_signal(signal.SIGINT)
        assert seen == [signal.SIGINT]
    finally:
        signal.signal(signal.SIGINT, previous)


def test_other_threads_run_the_block_unchanged():
    errors = []

    def run():
        try:
            with interrupt_deferred():
                pass
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(10)
    assert errors == []
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


_CHILD = r"""
import json, os, signal, sys, threading, time
import numpy as np
import bayeslogit as bl

def interrupt_after(seconds):
    timer = threading.Timer(seconds, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    return timer

def outcome(call):
    t0 = time.perf_counter()
    try:
        call()
        return "returned", time.perf_counter() - t0
    except KeyboardInterrupt:
        return "KeyboardInterrupt", time.perf_counter() - t0

rng = np.random.default_rng(0)
X = np.column_stack([np.ones(200), rng.normal(size=200)])
y = (rng.random(200) < 1 / (1 + np.exp(-X @ [0.2, 1.0]))).astype(float)
m = bl.Logit(y, X, priors=bl.Normal(0, 2.5))
kw = dict(sampler="nuts", tune=100, chains=2, random_seed=5, progressbar=False)
out = {}
# 1. SIGINT while pymc and nutpie are imported and the model compiles (first call)
interrupt_after(1.0)
out["first"], out["first_seconds"] = outcome(lambda: m.sample(draws=100, **kw))
time.sleep(0.2)
reference = m.sample(draws=100, **kw).draws
out["reference_shape"] = list(reference.shape)
out["reference_nan"] = bool(np.isnan(reference).any())
# 2. SIGINT while the compiled model samples a long run
threads = threading.active_count()
interrupt_after(1.0)
out["long"], out["long_seconds"] = outcome(lambda: m.sample(draws=2_000_000, **kw))
time.sleep(0.5)
out["thread_delta"] = threading.active_count() - threads
# 3. the model samples normally again: the same draws as before the interrupt
out["same_after"] = bool(np.array_equal(m.sample(draws=100, **kw).draws, reference))
out["compilations"] = m.compiled_samplers["nuts"].n_compilations
print(json.dumps(out))
"""


@pytest.mark.slow
def test_sigint_during_first_compile_and_during_sampling_raises_and_model_recovers():
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run([sys.executable, "-c", _CHILD], env=env, text=True,
                          capture_output=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    # the first call is interrupted (at once, or once the set-up window has closed) ...
    assert out["first"] == "KeyboardInterrupt", out
    # ... and the next one works: a full posterior, no NaN
    assert out["reference_shape"] == [2, 100, 2] and not out["reference_nan"], out
    # a long run (minutes) stops within seconds of the signal, with an exception
    assert out["long"] == "KeyboardInterrupt", out
    assert out["long_seconds"] < 30, out
    assert out["thread_delta"] <= 0, out
    # nothing of the interrupted run lingers: the same seed gives the same draws, and the
    # compiled model is reused (an interrupt during compilation may leave it to the next call)
    assert out["same_after"], out
    assert out["compilations"] == 1, out
