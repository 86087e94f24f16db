"""PSIS importance sampling: against an independent random-walk Metropolis reference.

The reference posteriors are sampled by a vectorised random-walk Metropolis written here,
with its own log posterior (scipy.stats densities, np.logaddexp, the centred-intercept
convention of bayeslogit.priors written out); tolerances come from Monte Carlo standard
errors (IS: sd / sqrt(importance ESS); reference: ArviZ MCSE), never hand-picked.
"""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
from arviz_stats.base import array_stats
from scipy import stats

from bayeslogit.engines.importance import (
    KHAT_THRESHOLD,
    _t_proposals,
    importance_sample,
    log_posterior,
)
from bayeslogit.engines.outputs import Draws
from bayeslogit.priors import Cauchy, Flat, Jeffreys, Laplace, Normal, resolve_priors

# ----------------------------------------------------------------------------- references


def ref_log_posterior(X, y, offset, priors):
    """Independent log posterior; column 0 is the intercept, whose prior is on the centred
    intercept. ``priors`` is a list of frozen scipy.stats distributions or "jeffreys"."""
    xbar = X[:, 1:].mean(axis=0)

    def logpost(B):  # B: (C, k)
        eta = B @ X.T + (0.0 if offset is None else offset)
        ll = np.sum(y * eta - np.logaddexp(0.0, eta), axis=1)
        if priors == "jeffreys":
            p = 1.0 / (1.0 + np.exp(-eta))
            info = np.einsum("cn,ni,nj->cij", p * (1 - p), X, X)
            return ll + 0.5 * np.linalg.slogdet(info)[1]
        theta = B.copy()
        theta[:, 0] = B[:, 0] + B[:, 1:] @ xbar
        return ll + sum(dist.logpdf(theta[:, j]) for j, dist in enumerate(priors))

    return logpost


def rwm(logpost, center, cov, rng, chains=64, steps=3000, burn=800):
    """Vectorised random-walk Metropolis, proposal N(0, 2.38^2/k cov), overdispersed start."""
    k = center.size
    L = np.linalg.cholesky(cov)
    x = center + 2.0 * rng.standard_normal((chains, k)) @ L.T
    lp = logpost(x)
    step = 2.38 / np.sqrt(k) * L
    out = np.empty((chains, steps, k))
    for t in range(burn + steps):
        prop = x + rng.standard_normal((chains, k)) @ step.T
        lpp = logpost(prop)
        acc = np.log(rng.random(chains)) < lpp - lp
        x[acc] = prop[acc]
        lp[acc] = lpp[acc]
        if t >= burn:
            out[:, t - burn] = x
    return out


def assert_matches_reference(out: Draws, ref):
    """|mean_is - mean_ref| <= 4 sqrt(se_is^2 + se_ref^2), and the same for the sd."""
    assert out.info["accepted"], out.info["notes"]
    draws = out.beta.reshape(-1, out.beta.shape[-1])
    ref_t = np.moveaxis(ref, -1, 0)  # (k, chain, draw)
    assert np.all(array_stats.rhat(ref_t) < 1.01)
    assert np.all(array_stats.rhat(np.moveaxis(out.beta, -1, 0)) < 1.01)  # random order
    mean, sd = draws.mean(axis=0), draws.std(axis=0, ddof=1)
    se_mean = sd / np.sqrt(out.info["ess_is"])
    dev2 = (draws - mean) ** 2
    se_sd = dev2.std(axis=0, ddof=1) / (2.0 * sd * np.sqrt(out.info["ess_is"]))
    ref_mean = ref_t.reshape(ref_t.shape[0], -1).mean(axis=1)
    ref_sd = ref_t.reshape(ref_t.shape[0], -1).std(axis=1, ddof=1)
    ref_se_mean = array_stats.mcse(ref_t, method="mean")
    ref_se_sd = array_stats.mcse(ref_t, method="sd")
    np.testing.assert_array_less(np.abs(mean - ref_mean), 4 * np.hypot(se_mean, ref_se_mean))
    np.testing.assert_array_less(np.abs(sd - ref_sd), 4 * np.hypot(se_sd, ref_se_sd))


@pytest.fixture(scope="module")
def spector_xy(spector):
    X = sm.add_constant(spector[["GPA", "TUCE", "PSI"]]).to_numpy(float)
    return X, spector["GRADE"].to_numpy(float)


@pytest.fixture(scope="module")
def offset_data():
    rng = np.random.default_rng(501)
    n = 500
    X = np.column_stack([np.ones(n), rng.standard_normal((n, 3))])
    off = rng.normal(0.0, 0.7, n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(X @ [-0.4, 0.8, -0.6, 0.3] + off)))).astype(float)
    return X, y, off


NAMES = ("a", "b", "c", "d")


def _mle(X, y, off=None):
    res = sm.Logit(y, X, offset=off).fit(disp=0)
    return np.asarray(res.params), np.asarray(res.cov_params())


# ----------------------------------------------------------------------------- accuracy


def test_spector_normal_matches_metropolis(spector_xy):
    X, y = spector_xy
    ps = resolve_priors(Normal(0, 2.5), NAMES, X, 0)
    out = importance_sample(X, y, None, ps, draws=1000, chains=4, random_seed=1)
    center, cov = _mle(X, y)
    ref = rwm(ref_log_posterior(X, y, None, [stats.norm(0, 2.5)] * 4), center, cov,
              np.random.default_rng(2))
    assert_matches_reference(out, ref)


def test_offset_normal_matches_metropolis(offset_data):
    X, y, off = offset_data
    ps = resolve_priors(Normal(0, 1.0), NAMES, X, 0)
    out = importance_sample(X, y, off, ps, draws=1000, chains=4, random_seed=3)
    center, cov = _mle(X, y, off)
    ref = rwm(ref_log_posterior(X, y, off, [stats.norm(0, 1.0)] * 4), center, cov,
              np.random.default_rng(4))
    assert_matches_reference(out, ref)


def test_spector_jeffreys_matches_metropolis(spector_xy):
    X, y = spector_xy
    ps = resolve_priors(Jeffreys(), NAMES, X, 0)
    out = importance_sample(X, y, None, ps, draws=1000, chains=4, random_seed=5)
    center, cov = _mle(X, y)
    ref = rwm(ref_log_posterior(X, y, None, "jeffreys"), center, cov,
              np.random.default_rng(6))
    assert_matches_reference(out, ref)


def test_laplace_with_offset_matches_metropolis(offset_data):
    """Laplace(0, 0.1) slopes put coefficients exactly at the kink at the mode."""
    X, y, off = offset_data
    X, y, off = X[:200], y[:200], off[:200]
    priors = {"a": Normal(0, 2.5), "b": Laplace(0, 0.1), "c": Laplace(0, 0.1),
              "d": Laplace(0, 0.1)}
    ps = resolve_priors(priors, NAMES, X, 0)
    out = importance_sample(X, y, off, ps, draws=1000, chains=4, random_seed=7)
    center, cov = _mle(X, y, off)
    ref = rwm(ref_log_posterior(X, y, off, [stats.norm(0, 2.5)] + [stats.laplace(0, 0.1)] * 3), center, cov,
              np.random.default_rng(8), steps=4000)
    assert_matches_reference(out, ref)


def test_log_posterior_blocks_match_direct(offset_data, spector_xy):
    rng = np.random.default_rng(9)
    cases = [(*offset_data, Laplace(0, 0.5), [stats.laplace(0, 0.5)] * 4),
             (*spector_xy, None, Jeffreys(), "jeffreys"),
             (*spector_xy, None, Flat(), [])]  # flat: log prior 0
    for X, y, off, prior, ref_priors in cases:
        ps = resolve_priors(prior, NAMES, X, 0)
        B = rng.normal(0, 0.5, (37, 4))
        direct = ref_log_posterior(X, y, off, ref_priors)(B)
        for rows in (None, 1, 7, X.shape[0], 10**6):
            np.testing.assert_allclose(log_posterior(X, y, off, ps, B, block_rows=rows),
                                       direct, rtol=1e-11)


def test_blocked_sampler_gives_identical_weights(offset_data):
    X, y, off = offset_data
    ps = resolve_priors(Normal(0, 1.0), NAMES, X, 0)
    a = importance_sample(X, y, off, ps, draws=250, chains=2, random_seed=11)
    b = importance_sample(X, y, off, ps, draws=250, chains=2, random_seed=11, block_rows=7)
    np.testing.assert_array_equal(a.beta, b.beta)
    np.testing.assert_allclose(a.sample_stats["log_weight"], b.sample_stats["log_weight"],
                               rtol=1e-11)
    assert a.info["khat"] == pytest.approx(b.info["khat"], rel=1e-9)
    assert a.info["ess_is"] == pytest.approx(b.info["ess_is"], rel=1e-9)


def test_t_proposal_density_matches_scipy():
    rng = np.random.default_rng(12)
    A = rng.standard_normal((3, 3))
    H = A @ A.T + 3 * np.eye(3)
    L = np.linalg.cholesky(H)
    mode = np.array([0.5, -1.0, 2.0])
    x, logq = _t_proposals(mode, L, 5.0, 2000, rng)
    ref = stats.multivariate_t(loc=mode, shape=np.linalg.inv(H), df=5.0)
    np.testing.assert_allclose(logq, ref.logpdf(x), rtol=1e-12)
    # L'(x - mode) has independent-scale t_5 margins
    assert stats.kstest(((x - mode) @ L)[:, 2], stats.t(5.0).cdf).pvalue > 1e-3


# ----------------------------------------------------------------------------- honesty


def test_quasi_separation_with_wide_cauchy_is_rejected():
    rng = np.random.default_rng(3)
    n = 40
    d = (rng.random(n) < 0.3).astype(float)
    x = rng.standard_normal(n)
    y = np.where(d == 1, 1.0, (rng.random(n) < 1 / (1 + np.exp(0.5 - x))).astype(float))
    X = np.column_stack([np.ones(n), d, x])
    ps = resolve_priors(Cauchy(0, 10), ("c", "d", "x"), X, 0)
    out = importance_sample(X, y, None, ps, draws=500, chains=4, random_seed=1)
    assert out.info["khat"] >= KHAT_THRESHOLD
    assert not out.info["accepted"]
    assert any("k-hat" in note for note in out.info["notes"])
    assert out.beta.shape == (4, 500, 3)


def test_proposal_cap_reports_insufficient_ess(spector_xy):
    X, y = spector_xy
    ps = resolve_priors(Normal(0, 2.5), NAMES, X, 0)
    out = importance_sample(X, y, None, ps, draws=100, chains=4, random_seed=1,
                            max_proposals=400)
    info = out.info
    assert info["n_proposals"] == 400 and info["ess_is"] < 400 and not info["accepted"]
    assert any("ESS" in note for note in out.info["notes"])


def test_no_mode_raises_value_error():
    X = np.column_stack([np.ones(20), np.arange(20.0)])
    y = (np.arange(20) >= 10).astype(float)  # perfectly separated, flat priors: no mode
    ps = resolve_priors(Flat(), ("c", "x"), X, 0)
    with pytest.raises(ValueError, match="posterior mode"):
        importance_sample(X, y, None, ps, draws=10, chains=1)


# ----------------------------------------------------------------------------- mechanics


def test_shapes_distinct_draws_and_stats(spector_xy):
    X, y = spector_xy
    X0, y0 = X.copy(), y.copy()
    ps = resolve_priors(Normal(0, 2.5), NAMES, X, 0)
    out = importance_sample(X, y, None, ps, draws=300, chains=3, random_seed=2)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)
    assert out.beta.shape == (3, 300, 4)
    assert np.unique(out.beta.reshape(-1, 4), axis=0).shape[0] == 900
    lw = out.sample_stats["log_weight"]
    assert lw.shape == (3, 300) and np.all(np.isfinite(lw)) and np.all(lw < 0)
    info = out.info
    assert info["n_proposals"] >= 4000 and info["ess_is"] >= 900 and info["sampling_time"] > 0
    assert info["accepted"] and info["notes"] == []
    # lp is each draw's unnormalised log posterior, against the independent reference
    lp = ref_log_posterior(X, y, None, [stats.norm(0, 2.5)] * 4)(out.beta.reshape(-1, 4))
    np.testing.assert_allclose(out.sample_stats["lp"], lp.reshape(3, 300), rtol=1e-11)


def test_seed_reproducibility(spector_xy):
    X, y = spector_xy
    ps = resolve_priors(Normal(0, 2.5), NAMES, X, 0)
    a = importance_sample(X, y, None, ps, draws=100, chains=2, random_seed=42)
    b = importance_sample(X, y, None, ps, draws=100, chains=2,
                          random_seed=np.random.default_rng(42))
    c = importance_sample(X, y, None, ps, draws=100, chains=2, random_seed=43)
    np.testing.assert_array_equal(a.beta, b.beta)
    assert not np.array_equal(a.beta, c.beta)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"draws": 0}, "draws"), ({"chains": 1.5}, "chains"), ({"df": 0.0}, "df"),
     ({"max_proposals": 10}, "max_proposals"), ({"block_rows": 0}, "block_rows")],
)
def test_bad_arguments(spector_xy, kwargs, match):
    X, y = spector_xy
    ps = resolve_priors(Normal(0, 2.5), NAMES, X, 0)
    with pytest.raises(ValueError, match=match):
        importance_sample(X, y, None, ps, **kwargs)
