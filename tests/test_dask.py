"""Fits on Dask data equal the in-memory fits on the same rows (a local cluster of processes)."""

from __future__ import annotations

import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from distributed import Client, LocalCluster

import bayeslogit as bl
from bayeslogit.errors import DistributedDataError, MissingDataError, RankDeficiencyError

N, CHUNK = 20_000, 6_000


@pytest.fixture(scope="module")
def client():
    cluster = LocalCluster(processes=True, n_workers=2, threads_per_worker=1,
                           dashboard_address=None)
    c = Client(cluster)
    yield c
    c.close()
    cluster.close()


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(18)
    X = np.column_stack([np.ones(N), rng.normal(size=(N, 3)) * [1.0, 2.0, 0.5]])
    g = rng.choice(["a", "b", "c"], size=N)
    eta = X @ [-0.3, 0.8, -0.4, 1.1] + np.select([g == "b", g == "c"], [0.5, -0.7], 0.0)
    y = (rng.random(N) < 1 / (1 + np.exp(-eta))).astype(float)
    off = rng.normal(scale=0.2, size=N)
    df = pd.DataFrame({"y": y, "x1": X[:, 1], "x2": X[:, 2], "x3": X[:, 3],
                       "g": pd.Categorical(g), "firm": rng.integers(0, 40, N), "off": off})
    return X, y, off, df


@pytest.fixture(scope="module")
def fits(client, data):
    X, y, off, _ = data
    mem = bl.Logit(y, X, offset=off)
    dsk = bl.Logit(da.from_array(y, chunks=CHUNK), da.from_array(X, chunks=(CHUNK, 2)),
                   offset=da.from_array(off, chunks=CHUNK))
    return mem, dsk


def test_mle_equals_in_memory_and_statsmodels(fits, data):
    X, y, off, _ = data
    mem, dsk = fits
    a, b = mem.fit(), dsk.fit()
    ref = sm.Logit(y, X, offset=off).fit(disp=0)
    np.testing.assert_allclose(b.params, ref.params, rtol=0, atol=1e-9)
    np.testing.assert_allclose(b.bse, ref.bse, rtol=1e-9)
    np.testing.assert_allclose(b.params, a.params, rtol=0, atol=1e-9)
    assert b.iterations == a.iterations and b.converged
    assert b.llf == pytest.approx(ref.llf, rel=1e-12)
    assert b.llnull == pytest.approx(a.llnull, rel=1e-12)
    assert b.llnull == pytest.approx(ref.llnull, rel=1e-9)  # statsmodels' own tolerance
    assert b.aic == pytest.approx(ref.aic, rel=1e-12)
    assert b.bic == pytest.approx(ref.bic, rel=1e-12)
    np.testing.assert_array_equal(b.pred_table(), ref.pred_table())
    assert b.model.exog_names == ["const", "x1", "x2", "x3"]


@pytest.mark.parametrize("cov_type", ["HC0", "HC1"])
def test_robust_covariance_equals_in_memory(fits, cov_type):
    mem, dsk = fits
    np.testing.assert_allclose(dsk.fit(cov_type=cov_type).bse, mem.fit(cov_type=cov_type).bse,
                               rtol=1e-9)


def test_cluster_covariance_equals_statsmodels(fits, data):
    X, y, off, df = data
    _, dsk = fits
    groups = df["firm"].to_numpy()
    ref = sm.Logit(y, X, offset=off).fit(disp=0, cov_type="cluster",
                                         cov_kwds={"groups": groups})
    res = dsk.fit(cov_type="cluster",
                  cov_kwds={"groups": da.from_array(groups, chunks=CHUNK)})
    np.testing.assert_allclose(res.bse, ref.bse, rtol=1e-9)
    with pytest.raises(DistributedDataError, match="Dask array"):
        dsk.fit(cov_type="cluster", cov_kwds={"groups": groups})


def test_formula_with_categorical_equals_in_memory(client, data):
    _, _, _, df = data
    ddf = dd.from_pandas(df, npartitions=3)
    formula = "y ~ x1 + x2 + C(g)"
    a = bl.Logit.from_formula(formula, df).fit()
    b = bl.Logit.from_formula(formula, ddf).fit()
    assert list(b.params.index) == list(a.params.index)
    np.testing.assert_allclose(b.params, a.params, rtol=0, atol=1e-9)
    np.testing.assert_allclose(b.bse, a.bse, rtol=1e-9)
    p = b.predict(ddf)
    assert hasattr(p, "dask")  # lazy
    np.testing.assert_allclose(p.compute(), a.predict(df).to_numpy(), rtol=1e-9)


def test_unknown_categories_refused_with_remedy(client, data):
    _, _, _, df = data
    ddf = dd.from_pandas(df.assign(g=df["g"].astype(str)), npartitions=2)
    with pytest.raises(DistributedDataError, match=r"df = df.categorize\(columns=\['g'\]\)"):
        bl.Logit.from_formula("y ~ x1 + C(g)", ddf)


def test_map_laplace_and_l1_equal_in_memory(fits):
    mem, dsk = fits
    for priors in (bl.Normal(0, 1), bl.Laplace(0, 0.05)):
        a = mem.with_priors(priors).fit(method="map")
        b = type(dsk).from_design(dsk.design, priors=priors).fit(method="map")
        np.testing.assert_allclose(b.params, a.params, rtol=0, atol=1e-9)
        np.testing.assert_allclose(b.bse, a.bse, rtol=1e-8)
    a = mem.with_priors(bl.Normal(0, 1)).fit(method="laplace", random_seed=3)
    b = type(dsk).from_design(dsk.design, priors=bl.Normal(0, 1)).fit(method="laplace",
                                                                       random_seed=3)
    np.testing.assert_allclose(b.draws, a.draws, atol=1e-8)


def test_importance_sampling_equals_in_memory(fits):
    mem, dsk = fits
    a = mem.with_priors(bl.Normal(0, 1)).sample(sampler="is", draws=500, chains=2,
                                                random_seed=5)
    model = type(dsk).from_design(dsk.design, priors=bl.Normal(0, 1))
    b = model.sample(sampler="is", draws=500, chains=2, random_seed=5)
    # same seed, same mode and Hessian to rounding: the same proposals and weights
    assert b.info["n_proposals"] == a.info["n_proposals"]
    assert b.info["khat"] == pytest.approx(a.info["khat"], abs=1e-6)
    se = a.draws.reshape(-1, 4).std(axis=0) / np.sqrt(1000)
    assert np.all(np.abs(b.params.to_numpy() - a.params.to_numpy()) < 4 * se)


@pytest.mark.parametrize("sampler", ["nuts", "gibbs"])
def test_mcmc_refused_naming_alternatives(fits, sampler):
    _, dsk = fits
    with pytest.raises(DistributedDataError, match=r"sampler='is'.*method='laplace'"):
        dsk.sample(sampler=sampler)


def test_missing_values_drop_and_raise(client, data):
    X, y, _, _ = data
    Xm = X.copy()
    Xm[[5, 7000, 15000], 2] = np.nan
    keep = ~np.isnan(Xm).any(axis=1)
    dX = da.from_array(Xm, chunks=(CHUNK, 4))
    dy = da.from_array(y, chunks=CHUNK)
    with pytest.raises(MissingDataError, match="missing='drop'"):
        bl.Logit(dy, dX)
    model = bl.Logit(dy, dX, missing="drop")
    assert model.nobs == keep.sum() and model.n_dropped == 3
    ref = sm.Logit(y[keep], X[keep]).fit(disp=0)
    np.testing.assert_allclose(model.fit().params, ref.params, atol=1e-9)


def test_rank_and_response_checks(client, data):
    X, y, _, _ = data
    Xc = np.column_stack([X, X[:, 1] * 2])
    with pytest.raises(RankDeficiencyError, match="x1"):
        bl.Logit(da.from_array(y, chunks=CHUNK), da.from_array(Xc, chunks=CHUNK))
    with pytest.raises(ValueError, match="outside"):
        bl.Logit(da.from_array(y * 2, chunks=CHUNK), da.from_array(X, chunks=CHUNK))


def test_from_parquet(client, data, tmp_path):
    _, _, _, df = data
    path = tmp_path / "d.parquet"
    df.assign(g=df["g"].astype(str)).to_parquet(path)
    a = bl.Logit.from_formula("y ~ x1 + C(g)", df).fit()
    b = bl.Logit.from_parquet(str(path), "y ~ x1 + C(g)").fit()
    np.testing.assert_allclose(b.params, a.params, atol=1e-9)


@pytest.mark.parametrize("persist", [True, False])
def test_without_offset_equals_statsmodels(client, data, persist):
    # without an offset the first Newton evaluation comes from the construction pass
    X, y, _, df = data
    ref = sm.Logit(y, X).fit(disp=0)
    model = bl.Logit(da.from_array(y, chunks=CHUNK), da.from_array(X, chunks=CHUNK),
                     persist=persist)
    assert model.design.persisted is persist
    res = model.fit()
    np.testing.assert_allclose(res.params, ref.params, rtol=0, atol=1e-9)
    np.testing.assert_allclose(res.bse, ref.bse, rtol=1e-9)
    assert res.iterations == ref.mle_retvals["iterations"]
    assert res.llf == pytest.approx(ref.llf, rel=1e-12)
    assert res.llnull == pytest.approx(ref.llnull, rel=1e-9)
    ddf = dd.from_pandas(df, npartitions=3)
    b = bl.Logit.from_formula("y ~ x1 + C(g)", ddf, persist=persist).fit()
    a = sm.Logit.from_formula("y ~ x1 + C(g)", df).fit(disp=0)  # patsy orders terms apart
    np.testing.assert_allclose(b.params, a.params[b.params.index], rtol=0, atol=1e-9)


def test_persist_must_be_bool(client, data):
    X, y, _, _ = data
    with pytest.raises(ValueError, match="persist must be True or False, got 'no'"):
        bl.Logit(da.from_array(y, chunks=CHUNK), da.from_array(X, chunks=CHUNK), persist="no")


def test_many_proposals_summed_per_block(fits, data):
    # a large coefficient matrix is sent to the workers once per pass, not once per block
    from bayeslogit.blocks import loglike_sums
    from bayeslogit.engines.distributed import loglik_sums

    X, y, off, _ = data
    beta = np.random.default_rng(1).normal(scale=0.5, size=(3000, 4))
    np.testing.assert_allclose(loglik_sums(fits[1].design.blocks, beta),
                               loglike_sums(beta, X, y, off), rtol=1e-12)


def test_pass_survives_a_worker_leaving(client, fits, monkeypatch):
    # a pass pinned to a worker that is gone is submitted again without the restriction
    from bayeslogit.engines import distributed as engine
    from bayeslogit.engines import passes

    blocks = fits[1].design.blocks
    expected = engine.run_pass(blocks, engine.block_evaluate, np.zeros(4))
    monkeypatch.setattr(passes, "_LIVENESS_CHECK", 0.2)
    monkeypatch.setattr(client, "who_has", lambda futures: {
        f.key: ["tcp://127.0.0.1:9"] for f in futures})
    resubmitted = []
    submit = client.submit
    monkeypatch.setattr(client, "submit", lambda *a, **k: resubmitted.append(1) or submit(*a, **k))
    got = engine.run_pass(blocks, engine.block_evaluate, np.zeros(4))
    assert len(resubmitted) == len(blocks)
    for a, b in zip(got, expected, strict=True):
        assert a[0] == b[0]
        np.testing.assert_array_equal(a[2], b[2])


def test_map_without_offset_equals_in_memory(client, data):
    X, y, _, _ = data
    a = bl.Logit(y, X, priors=bl.Normal(0, 1)).fit(method="map")
    b = bl.Logit(da.from_array(y, chunks=CHUNK), da.from_array(X, chunks=CHUNK),
                 priors=bl.Normal(0, 1)).fit(method="map")
    np.testing.assert_allclose(b.params, a.params, rtol=0, atol=1e-9)
    np.testing.assert_allclose(b.bse, a.bse, rtol=1e-8)


def test_predict_new_dask_rows_with_an_offset_and_uneven_chunks(fits, data):
    X, y, off, _ = data
    _, dsk = fits
    res = dsk.fit()
    ref = sm.Logit(y, X, offset=off).fit(disp=0)
    rows = (4_000, 7, 9_000, N - 13_007)
    new_X, new_off = da.from_array(X, chunks=(rows, 2)), da.from_array(off, chunks=3_000)
    p = res.predict(new_X, offset=new_off)
    assert hasattr(p, "dask")
    np.testing.assert_allclose(p.compute(), ref.predict(X, offset=off), rtol=1e-9)
    eta = res.predict(new_X, kind="linear", offset=off)  # an in-memory offset too
    np.testing.assert_allclose(eta.compute(), X @ ref.params + off, rtol=1e-9, atol=1e-12)
    with pytest.raises(ValueError, match=r"offset has shape \(5,\)"):
        res.predict(new_X, offset=off[:5])


@pytest.mark.filterwarnings("ignore:The model was fitted with an offset array")
def test_effects_of_a_dask_fit_need_rows_in_memory(client, fits, data):
    X, y, off, df = data
    mem, dsk = fits
    a, b = mem.fit(), dsk.fit()
    new = X[:4]
    pd.testing.assert_frame_equal(b.predictions(newdata=new),
                                  a.predictions(newdata=new))
    ref = sm.Logit(y, X, offset=off).fit(disp=0)
    np.testing.assert_allclose(b.predictions(newdata=new)["estimate"], ref.predict(new),
                               rtol=1e-9)
    with pytest.raises(DistributedDataError, match=r"newdata=ddf.sample\(frac=0.01\)"):
        b.avg_predictions()
    with pytest.raises(DistributedDataError, match=r"newdata.compute\(\)"):
        b.predictions(newdata=da.from_array(X, chunks=CHUNK))
    with pytest.raises(DistributedDataError, match=r"ddf.sample\(frac=0.05\).compute\(\)"):
        b.avg_slopes(newdata=new)
    formula = bl.Logit.from_formula("y ~ x1 + C(g)", dd.from_pandas(df, npartitions=3)).fit()
    with pytest.raises(DistributedDataError, match="every variable"):
        bl.datagrid(formula, x1=[0, 1])
    with pytest.raises(DistributedDataError, match="Slopes and comparisons"):
        formula.avg_comparisons(newdata=df.head())
    in_memory = bl.Logit.from_formula("y ~ x1 + C(g)", df).fit()
    grid = pd.DataFrame({"x1": [0.0, 1.0], "g": pd.Categorical(["a", "c"])})
    pd.testing.assert_frame_equal(formula.predictions(newdata=grid),
                                  in_memory.predictions(newdata=grid))


# ------------------------------------------------------------ binomial counts and weights
@pytest.fixture(scope="module")
def counts_data():
    rng = np.random.default_rng(81)
    n = 3_000
    X = np.column_stack([np.ones(n), rng.normal(size=(n, 2))])
    trials = rng.integers(1, 9, n).astype(float)
    w = rng.integers(1, 4, n).astype(float)
    s = rng.binomial(trials.astype(int), 1 / (1 + np.exp(-(X @ [-0.2, 0.7, -0.5])))) * 1.0
    df = pd.DataFrame({"s": s, "n": trials, "w": w, "x1": X[:, 1], "x2": X[:, 2],
                       "firm": rng.integers(0, 30, n)})
    return X, s, trials, w, df


@pytest.fixture(scope="module")
def counts_fits(client, counts_data):
    X, s, trials, w, _ = counts_data
    mem = bl.Logit(s, X, trials=trials, freq_weights=w)
    dsk = bl.Logit(da.from_array(s, chunks=700), da.from_array(X, chunks=(700, 3)),
                   trials=da.from_array(trials, chunks=700),
                   freq_weights=da.from_array(w, chunks=700))
    return mem, dsk


def test_counts_mle_equals_in_memory_and_glm(counts_fits, counts_data):
    X, s, trials, w, _ = counts_data
    mem, dsk = counts_fits
    a, b = mem.fit(), dsk.fit()
    ref = sm.GLM(np.column_stack([s, trials - s]), X, family=sm.families.Binomial(),
                 freq_weights=w).fit(tol=1e-14)
    np.testing.assert_allclose(b.params, ref.params, rtol=0, atol=1e-9)
    np.testing.assert_allclose(b.bse, ref.bse, rtol=1e-9)
    np.testing.assert_allclose(b.params, a.params, rtol=0, atol=1e-9)
    np.testing.assert_allclose(b.bse, a.bse, rtol=1e-9)
    for name, want in (("llf", ref.llf), ("llnull", ref.llnull), ("aic", ref.aic),
                       ("bic", ref.bic_llf), ("deviance", ref.deviance)):
        assert getattr(b, name) == pytest.approx(want, rel=1e-9, abs=1e-9), name
        assert getattr(b, name) == pytest.approx(getattr(a, name), rel=1e-12), name
    assert b.nobs == a.nobs == ref.model.wnobs == w.sum()
    np.testing.assert_allclose(b.pred_table(), a.pred_table(), rtol=1e-12)


def test_counts_formula_robust_covariances_equal_in_memory(client, counts_data):
    *_, df = counts_data
    ddf = dd.from_pandas(df, npartitions=3)
    mem = bl.Logit.from_formula("s ~ x1 + x2", df, trials="n", freq_weights="w")
    dsk = bl.Logit.from_formula("s ~ x1 + x2", ddf, trials="n", freq_weights="w")
    assert dsk.design.trials_column == "n" and dsk.design.weights_column == "w"
    for cov_type in ("HC0", "HC1"):
        a, b = mem.fit(cov_type=cov_type), dsk.fit(cov_type=cov_type)
        np.testing.assert_allclose(b.params, a.params, rtol=0, atol=1e-9)
        np.testing.assert_allclose(b.bse, a.bse, rtol=1e-9)
    a = mem.fit(cov_type="cluster", cov_kwds={"groups": df["firm"].to_numpy()})
    b = dsk.fit(cov_type="cluster", cov_kwds={"groups": ddf["firm"]})
    np.testing.assert_allclose(b.bse, a.bse, rtol=1e-9)


def test_counts_map_laplace_and_is_equal_in_memory(counts_fits):
    mem, dsk = counts_fits
    for priors in (bl.Normal(0, 1), bl.Laplace(0, 0.05)):
        a = mem.with_priors(priors).fit(method="map")
        b = type(dsk).from_design(dsk.design, priors=priors).fit(method="map")
        np.testing.assert_allclose(b.params, a.params, rtol=0, atol=1e-9)
        np.testing.assert_allclose(b.bse, a.bse, rtol=1e-8)
        assert b.llf == pytest.approx(a.llf, rel=1e-12)
    model = type(dsk).from_design(dsk.design, priors=bl.Normal(0, 1))
    a = mem.with_priors(bl.Normal(0, 1)).fit(method="laplace", random_seed=3)
    b = model.fit(method="laplace", random_seed=3)
    np.testing.assert_allclose(b.draws, a.draws, atol=1e-8)
    a = mem.with_priors(bl.Normal(0, 1)).sample(sampler="is", draws=300, chains=2,
                                                random_seed=5)
    b = model.sample(sampler="is", draws=300, chains=2, random_seed=5)
    assert b.info["n_proposals"] == a.info["n_proposals"]
    assert b.info["khat"] == pytest.approx(a.info["khat"], abs=1e-6)
    np.testing.assert_allclose(b.draws, a.draws, atol=1e-6)


def test_bad_counts_refused_as_in_memory(client, counts_data):
    X, s, trials, w, df = counts_data
    bad = trials.copy()
    bad[1500] = 0.0
    with pytest.raises(ValueError, match=r"trials is 0 in rows \[1500\]"):
        bl.Logit(da.from_array(s, chunks=700), da.from_array(X, chunks=(700, 3)),
                 trials=da.from_array(bad, chunks=700))
    over = s.copy()
    over[2100] = trials[2100] + 1
    with pytest.raises(ValueError, match=r"exceeds trials in rows \[2100\]"):
        bl.Logit(da.from_array(over, chunks=700), da.from_array(X, chunks=(700, 3)),
                 trials=da.from_array(trials, chunks=700))
    frame = df.assign(w=df["w"].where(df.index != 2222, -1.0)).set_index(df.index + 10)
    with pytest.raises(ValueError, match=r"freq_weights must be positive; rows \[2232\].*"
                                         r"data = data\[data\['w'\] > 0\]"):
        bl.Logit.from_formula("s ~ x1", dd.from_pandas(frame, npartitions=3),
                              freq_weights="w")
    with pytest.raises(DistributedDataError, match="trials='n'"):
        bl.Logit.from_formula("s ~ x1", dd.from_pandas(df, npartitions=2), trials=trials)
    with pytest.raises(DistributedDataError, match="trials is in memory"):
        bl.Logit(da.from_array(s, chunks=700), da.from_array(X, chunks=(700, 3)),
                 trials=trials)


def test_counts_missing_rows_dropped_as_in_memory(client, counts_data):
    *_, df = counts_data
    frame = df.assign(n=df["n"].where(df.index % 97 != 0))
    mem = bl.Logit.from_formula("s ~ x1 + x2", frame, trials="n").fit()
    dsk = bl.Logit.from_formula("s ~ x1 + x2", dd.from_pandas(frame, npartitions=3),
                                trials="n")
    assert dsk.design.n_dropped == mem.model.design.n_dropped > 0
    b = dsk.fit()
    np.testing.assert_allclose(b.params, mem.params, rtol=0, atol=1e-9)
    assert b.llf == pytest.approx(mem.llf, rel=1e-12)
    with pytest.raises(MissingDataError, match="trials"):
        bl.Logit.from_formula("s ~ x1", dd.from_pandas(frame, npartitions=3), trials="n",
                              missing="raise")


def test_binary_response_with_trials_warns_as_in_memory(client, counts_data):
    X, s, trials, *_ = counts_data
    y01 = (s > 0).astype(float)
    with pytest.warns(bl.DataWarning, match="is 0 or 1, yet trials exceed 1"):
        bl.Logit(y01, X, trials=trials)
    with pytest.warns(bl.DataWarning, match="is 0 or 1, yet trials exceed 1"):
        bl.Logit(da.from_array(y01, chunks=700), da.from_array(X, chunks=(700, 3)),
                 trials=da.from_array(trials, chunks=700))
