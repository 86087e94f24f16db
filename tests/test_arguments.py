"""One argument contract for every engine of ``fit()`` and ``sample()``.

Every keyword is used by the engine that runs or refused with the list of valid ones; seeds,
counts and probabilities are checked by one validator each, so the same bad value gets the
same message from every engine, before any work (no NUTS model is compiled here).
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import bayeslogit as bl
from bayeslogit.errors import UnknownArgumentError
from bayeslogit.estimation import posterior

SEED_MESSAGE = ("random_seed must be an integer >= 0, a numpy Generator or SeedSequence, or "
                "None; got {}. E.g. random_seed=1 or random_seed=np.random.default_rng(1).")


@pytest.fixture(scope="module")
def model() -> bl.Logit:
    rng = np.random.default_rng(3)
    X = np.column_stack([np.ones(120), rng.normal(size=(120, 2))])
    y = (rng.random(120) < 1 / (1 + np.exp(-X @ [-0.4, 0.9, -0.5]))).astype(float)
    return bl.Logit(y, X, priors=bl.Normal(0, 2.5))


@pytest.fixture
def nuts_model(model) -> bl.Logit:
    """A model whose NUTS sampler must never be compiled by a refused call."""
    fresh = model.with_priors(bl.Normal(0, 2.5))
    yield fresh
    assert "nuts" not in fresh.compiled_samplers


def quick(sampler):
    def run(m, **kw):
        args = {"draws": 20, "tune": 20, "chains": 1, "progressbar": False, **kw}
        if sampler == "is":
            args.pop("tune")
        return m.sample(sampler=sampler, **args)
    return run


#: every engine that takes a seed, as ``run(model, **kwargs)``
SEEDED = {
    "gibbs": quick("gibbs"),
    "is": quick("is"),
    "auto": quick("auto"),
    "laplace": lambda m, **kw: m.fit(method="laplace", **{"draws": 20, "chains": 1, **kw}),
    "prior_predictive": lambda m, **kw: m.sample_prior_predictive(**{"draws": 20, **kw}),
    "prior_sensitivity": lambda m, **kw: bl.prior_sensitivity(m, scales=[1.0],
                                                              method="laplace", **kw),
}
#: the engines that draw (everything but the sensitivity study, which returns a table)
DRAWING = ["gibbs", "is", "auto", "laplace", "prior_predictive"]


def draws_of(result) -> np.ndarray:
    if hasattr(result, "draws"):
        return result.draws
    return result["prior"]["beta"].values


BAD_SEEDS = [1.5, "abc", -1, True, np.random.RandomState(1), [1, 2]]


@pytest.mark.parametrize("seed", BAD_SEEDS, ids=["1.5", "abc", "-1", "True", "RandomState",
                                                  "list"])
@pytest.mark.parametrize("engine", [*SEEDED, "nuts"])
def test_bad_seed_refused_with_one_message(model, nuts_model, engine, seed):
    run = quick("nuts") if engine == "nuts" else SEEDED[engine]
    with pytest.raises(ValueError) as info:
        run(nuts_model if engine == "nuts" else model, random_seed=seed)
    assert str(info.value) == SEED_MESSAGE.format(repr(seed))


@pytest.mark.parametrize("engine", DRAWING)
def test_every_accepted_seed_kind_reproduces(model, engine):
    run = SEEDED[engine]
    by_int = draws_of(run(model, random_seed=5))
    np.testing.assert_array_equal(draws_of(run(model, random_seed=np.int64(5))), by_int)
    np.testing.assert_array_equal(
        draws_of(run(model, random_seed=np.random.SeedSequence(9))),
        draws_of(run(model, random_seed=np.random.SeedSequence(9))))
    np.testing.assert_array_equal(
        draws_of(run(model, random_seed=np.random.default_rng(9))),
        draws_of(run(model, random_seed=np.random.default_rng(9))))
    assert draws_of(run(model, random_seed=None)).shape == by_int.shape


BAD_COUNTS = [None, float("nan"), float("inf"), 1.5, True, "10", 0, -3]


@pytest.mark.parametrize("value", BAD_COUNTS, ids=repr)
@pytest.mark.parametrize("engine", [*DRAWING, "nuts"])
def test_bad_draws_refused_with_one_message(model, nuts_model, engine, value):
    run = quick("nuts") if engine == "nuts" else SEEDED[engine]
    with pytest.raises(ValueError,
                       match=rf"^draws must be an integer >= 1, got {re.escape(repr(value))}; "
                             r"e\.g\. draws=\d+\.$"):
        run(nuts_model if engine == "nuts" else model, draws=value)


@pytest.mark.parametrize(("engine", "name", "value", "low"), [
    ("gibbs", "tune", -1, 0), ("nuts", "tune", 2.5, 0), ("auto", "tune", None, 0),
    ("gibbs", "chains", 0, 1), ("is", "chains", float("nan"), 1),
    ("nuts", "chains", True, 1), ("laplace", "chains", 1.5, 1),
    ("is", "max_proposals", 50, 100), ("nuts", "maxdepth", 0, 1), ("nuts", "cores", 1.5, 1),
])
def test_bad_counts_refused_naming_the_argument(model, nuts_model, engine, name, value, low):
    run = quick("nuts") if engine == "nuts" else SEEDED[engine]
    with pytest.raises(ValueError, match=rf"^{name} must be an integer >= {low}, got "
                                         rf"{re.escape(repr(value))}; e\.g\. {name}=\d+\.$"):
        run(nuts_model if engine == "nuts" else model, **{name: value})


@pytest.mark.parametrize("method", ["mle", "map", "laplace"])
@pytest.mark.parametrize("value", [-1, 2.5, None, float("inf")], ids=repr)
def test_bad_maxiter_refused_by_every_fit(model, method, value):
    with pytest.raises(ValueError, match=rf"^maxiter must be an integer >= 0, got "
                                         rf"{re.escape(repr(value))}; e\.g\. maxiter=100\.$"):
        model.fit(method=method, maxiter=value)


def test_integral_floats_count(model):
    assert model.sample(sampler="gibbs", draws=30.0, tune=1e1, chains=np.int64(1),
                        random_seed=1, progressbar=False).draws.shape == (1, 30, 3)
    assert model.fit(method="laplace", draws=1e2, chains=2.0).draws.shape == (2, 100, 3)


def test_importance_sampling_takes_a_single_draw(model):
    """draws=1 is a count like any other (the proposal budget is not the user's problem)."""
    for sampler in ("is", "auto"):
        r = model.sample(sampler=sampler, draws=1, chains=1, random_seed=2, progressbar=False)
        assert r.draws.shape == (1, 1, 3)


@pytest.mark.parametrize("value", [0, 1, 1.5, -0.2, float("nan"), "0.9", True], ids=repr)
def test_bad_target_accept_refused_with_one_message(nuts_model, value):
    for sampler in ("nuts", "auto"):
        with pytest.raises(ValueError, match=rf"^target_accept must be a probability in "
                                             rf"\(0, 1\), got {re.escape(repr(value))}; e\.g\. "
                                             r"target_accept=0\.9\.$"):
            quick(sampler)(nuts_model, target_accept=value)


@pytest.mark.parametrize("value", [0, 1, 95, float("nan"), "0.9", False], ids=repr)
def test_bad_ci_prob_refused_with_one_message(model, value):
    expected = rf"^ci_prob must be a probability in \(0, 1\), got {re.escape(repr(value))}; "
    with pytest.raises(ValueError, match=expected):
        bl.prior_sensitivity(model, scales=[1.0], ci_prob=value)
    with pytest.raises(ValueError, match=expected):
        model.fit(method="map").summary(ci_prob=value)


# -- keywords -------------------------------------------------------------------------------

@pytest.mark.parametrize("sampler", ["auto", "nuts", "gibbs", "is"])
def test_misspelt_keyword_refused_listing_valid_ones(nuts_model, sampler):
    with pytest.raises(UnknownArgumentError) as info:
        quick(sampler)(nuts_model, drawz=5)
    assert isinstance(info.value, TypeError) and isinstance(info.value, ValueError)
    message = str(info.value)
    assert f"model.sample(sampler='{sampler}') does not take ['drawz']" in message
    assert "'draws'" in message and "'random_seed'" in message


@pytest.mark.parametrize(("sampler", "keyword", "value", "owner"), [
    ("gibbs", "target_accept", 0.9, "nuts"), ("gibbs", "df", 3, "is"),
    ("is", "maxdepth", 5, "nuts"), ("is", "target_accept", 0.9, "nuts"),
    ("nuts", "df", 3, "is"), ("nuts", "max_proposals", 5000, "is"),
])
def test_another_samplers_keyword_refused_saying_where_it_belongs(nuts_model, sampler,
                                                                  keyword, value, owner):
    with pytest.raises(UnknownArgumentError,
                       match=rf"does not take \['{keyword}'\].*{keyword} is for "
                             rf"sampler='{owner}'"):
        quick(sampler)(nuts_model, **{keyword: value})


def test_auto_refuses_keywords_no_single_sampler_takes(nuts_model):
    with pytest.raises(UnknownArgumentError, match="no one sampler can use them all"):
        quick("auto")(nuts_model, df=3, target_accept=0.9)


def test_auto_passes_importance_keywords_to_importance_sampling(model):
    kw = {"draws": 200, "chains": 2, "random_seed": 1, "progressbar": False}
    auto = model.sample(sampler="auto", df=3, **kw)
    assert auto.info["sampler"].startswith("importance")
    direct = model.sample(sampler="is", df=3, **kw)
    np.testing.assert_array_equal(auto.draws, direct.draws)
    default_df = model.sample(sampler="is", **kw)
    assert not np.array_equal(auto.draws, default_df.draws)
    assert auto.options.sampler_kwargs == {"df": 3.0}


def test_auto_with_importance_keywords_refuses_to_fall_back_silently():
    """Quasi-separated data under a wide Cauchy prior: importance sampling is rejected, and
    Gibbs or NUTS could not use df, so auto says so instead of dropping it."""
    rng = np.random.default_rng(7)
    d = rng.integers(0, 2, 60)
    y = np.where(d == 1, 1.0, (rng.random(60) < 0.4).astype(float))
    m = bl.Logit(y, np.c_[np.ones(60), rng.standard_normal(60), d], priors=bl.Cauchy(0, 10))
    with pytest.raises(ValueError, match=r"only importance sampling takes.*rejected.*Drop "
                                         r"\['df'\].*sampler='is'"):
        m.sample(sampler="auto", df=4, draws=100, chains=2, random_seed=2, progressbar=False)


def test_auto_with_nuts_keywords_runs_nuts_with_them(model, monkeypatch):
    """The decision and the hand-over only: the NUTS run is replaced by a recorder."""
    seen = {}

    def fake_nuts(m, *, target_accept, maxdepth, **rest):
        seen.update(target_accept=target_accept, maxdepth=maxdepth)
        return posterior.SAMPLERS["gibbs"](m, target_accept=None, **rest)

    monkeypatch.setitem(posterior.SAMPLERS, "nuts", fake_nuts)
    r = model.sample(sampler="auto", target_accept=0.95, maxdepth=8, draws=20, tune=20,
                     chains=1, random_seed=1, progressbar=False)
    assert seen == {"target_accept": 0.95, "maxdepth": 8}
    assert r.options.sampler == "nuts" and r.options.target_accept == 0.95
    assert "NUTS: the only sampler that takes ['maxdepth', 'target_accept']" in r.info["reason"]


def test_nuts_adaptation_is_a_checked_option(nuts_model):
    with pytest.raises(ValueError, match=r"adaptation='fast' not understood; use one of "
                                         r"\['diag', 'draw_diag', 'low_rank', 'flow'\]"):
        quick("nuts")(nuts_model, adaptation="fast")


@pytest.mark.parametrize(("method", "keyword", "value", "where"), [
    ("mle", "draws", 100, "draws is for method='laplace'"),
    ("map", "cov_type", "HC0", "cov_type is for method='mle'"),
    ("laplace", "check_separation", False, "check_separation is for method='mle'"),
    ("laplace", "target_accept", 0.9, "sampler keywords go to model.sample()"),
    ("mle", "maxiterr", 10, ""),
])
def test_fit_refuses_keywords_of_other_methods(model, method, keyword, value, where):
    with pytest.raises(UnknownArgumentError) as info:
        model.fit(method=method, **{keyword: value})
    message = str(info.value)
    assert message.startswith(f"model.fit(method='{method}') does not take ['{keyword}']; "
                              "its keywords are [")
    assert "'maxiter'" in message and where in message


def test_prior_sensitivity_refuses_sampler_keywords_unless_it_samples(model):
    with pytest.raises(UnknownArgumentError, match=r"method='map'\) does not take \['draws'\]"
                                                   r".*need method='sample'"):
        bl.prior_sensitivity(model, scales=[1.0], draws=100)
