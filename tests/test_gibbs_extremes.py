"""Polya-Gamma Gibbs sampling under huge binomial weights (trials x freq_weights).

References: the exact moments of PG(h, z), the maximum-likelihood fit (statsmodels) with its
Bernstein-von Mises normal limit, and the choice ``sampler="auto"`` makes before running.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
import statsmodels.api as sm

import bayeslogit as bl
from bayeslogit.engines.pg import PG_MAX_SHAPE, SADDLE_MAX, pg_draws, pg_method_groups


def pg_moments(h, z):
    """Exact mean and variance of PG(h, z)."""
    z = abs(z)
    if z < 1e-6:
        return h / 4.0, h / 24.0
    mean = h / (2 * z) * np.tanh(z / 2)
    var = h / (4 * z**3) * (np.sinh(z) - z) / np.cosh(z / 2) ** 2
    return mean, var


@pytest.mark.parametrize("h", [2e5, 5e6, 0.9 * PG_MAX_SHAPE])
@pytest.mark.parametrize("z", [0.0, 1.5, -4.0])
def test_large_shape_draws_match_exact_moments(h, z):
    """Above the saddle-point sampler's safe range the draw is a sum of exact pieces; its mean
    and variance match PG(h, z) (the single saddle draw is biased there: at h = 1e8 its
    variance was off by 30 % and some draws never ended)."""
    n = 20_000
    m = np.full(n, h)
    out = np.empty(n)
    start = time.perf_counter()
    pg_draws(m, pg_method_groups(m), np.full(n, z), out, np.random.default_rng(11))
    assert time.perf_counter() - start < 5.0
    mean, var = pg_moments(h, z)
    assert abs(out.mean() - mean) < 5 * np.sqrt(var / n)
    # sample variance of near-normal draws: relative sd sqrt(2/n) = 1 %
    assert abs(out.var() / var - 1) < 0.05


def test_mixed_shapes_each_row_its_own_law():
    """Rows with small, mid and split shapes side by side keep their own moments."""
    shapes = np.array([1.0, 7.0, 40.0, 3e5, 3 * SADDLE_MAX + 1])
    reps = 4000
    m = np.tile(shapes, reps)
    z = np.tile(np.array([0.3, -1.0, 2.0, 0.0, 0.7]), reps)
    out = np.empty(m.size)
    pg_draws(m, pg_method_groups(m), z, out, np.random.default_rng(3))
    draws = out.reshape(reps, shapes.size)
    for j, h in enumerate(shapes):
        mean, var = pg_moments(h, z[j])
        assert abs(draws[:, j].mean() - mean) < 5 * np.sqrt(var / reps), h


def small_data(n=30, seed=4):
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.normal(size=n)])
    y = (rng.random(n) < 1 / (1 + np.exp(-(0.3 - 0.8 * X[:, 1])))).astype(float)
    return X, y


def test_heavy_weights_posterior_matches_normal_limit():
    """With freq_weights 2e7 per row (split PG draws) the posterior is the normal limit
    N(MLE, inverse weighted Fisher information) to high accuracy; the draws match it within
    Monte Carlo error, and the sampler does not slow down with the weight."""
    X, y = small_data()
    w = 2e7
    mle = sm.GLM(y, X, family=sm.families.Binomial(), freq_weights=np.full(y.size, w)).fit()
    ref_sd = np.sqrt(np.diag(mle.cov_params()))
    model = bl.Logit(y, X, freq_weights=np.full(y.size, w))
    start = time.perf_counter()
    res = model.sample(sampler="gibbs", draws=400, tune=100, chains=2, random_seed=2,
                       progressbar=False)
    assert time.perf_counter() - start < 20.0
    beta = np.asarray(res.draws).reshape(-1, 2)
    ess = res.summary()["ess_bulk"].to_numpy()
    assert np.all(ess > 100)
    # the prior shifts the mean by O(1/w) sd, far below the Monte Carlo error
    assert np.all(np.abs(beta.mean(0) - mle.params) < 5 * ref_sd / np.sqrt(ess))
    assert np.allclose(beta.std(0), ref_sd, rtol=0.2)


@pytest.mark.parametrize("weights, trials", [(1e12, None), (1e200, None), (1e5, 1e4)])
def test_gibbs_refuses_weights_without_exact_bounded_draw(weights, trials):
    """Weights above the exact range are refused at once, naming the argument and a remedy
    (they used to run for minutes, or at 1e200 return a wrong posterior mean)."""
    X, y = small_data()
    if trials is None:
        model = bl.Logit(y, X, freq_weights=np.full(y.size, weights))
    else:
        t = np.full(y.size, trials)
        model = bl.Logit(np.round(y * t), X, trials=t, freq_weights=np.full(y.size, weights))
    start = time.perf_counter()
    with pytest.raises(ValueError, match="freq_weights") as err:
        model.sample(sampler="gibbs", draws=50, tune=50, chains=1, random_seed=0,
                     progressbar=False)
    assert time.perf_counter() - start < 10.0
    msg = str(err.value)
    assert "trials" in msg and "sampler='nuts'" in msg and f"{weights * (trials or 1):.6g}" in msg


def test_auto_does_not_choose_gibbs_for_huge_weights():
    """sampler="auto" falls back to NUTS, not Gibbs, when importance sampling is rejected and
    the weights are beyond Gibbs (the decision only; nothing is compiled)."""
    from bayeslogit.estimation import posterior as sampling

    X, y = small_data()
    model = bl.Logit(y, X, freq_weights=np.full(y.size, 1e200))
    choice, reason, drawn = sampling.choose_sampler(model, 200, 2, 1)
    assert choice == "nuts" and drawn is None
    assert "freq_weights" in reason


def test_auto_still_chooses_gibbs_for_moderate_weights():
    """The refusal does not leak to weights within range: the same data with weights 3
    still get Gibbs when importance sampling is not accepted (forced by an absurd request)."""
    from bayeslogit.estimation import posterior as sampling

    X, y = small_data()
    model = bl.Logit(y, X, freq_weights=np.full(y.size, 3.0))
    choice, reason, _ = sampling.choose_sampler(model, 200, 2, 1, candidates=("gibbs", "nuts"))
    assert choice == "gibbs", reason
