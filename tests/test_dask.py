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
