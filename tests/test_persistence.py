"""Results survive save/load, pickle and deepcopy with every public attribute unchanged.

Each result kind (MLE with a cluster covariance and on separated data, MAP under Normal and
Laplace priors, the Laplace approximation with non-default settings, posteriors from
importance sampling, Gibbs and NUTS) is written and read back, pickled and deep-copied; the
copy must give the same values as the original for every public attribute, the printed
report and predictions on new raw data (formula re-encoding, offset column). The cluster
MLE is also checked against statsmodels after loading. One NUTS model is compiled for the
module and sampled briefly.
"""

from __future__ import annotations

import copy
import dataclasses
import pickle
import re
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
import xarray as xr

import bayeslogit as bl
from bayeslogit.errors import SavedFileError

FORMULA = "y ~ x1 + x2 + C(g)"
NEW = pd.DataFrame({"x1": [-1.0, 0.3, 2.0], "x2": [0.5, -1.5, 0.0], "g": ["c", "a", "b"],
                    "off": [0.1, 0.0, -0.2], "cnt": [1, 2, 3]})


@pytest.fixture(scope="module")
def formula_model(synthetic):
    return bl.Logit.from_formula(FORMULA, synthetic, offset="off")


@pytest.fixture(scope="module")
def separated():
    rng = np.random.default_rng(1)
    x = rng.normal(size=60)
    X = np.column_stack([np.ones(60), x])
    with pytest.warns(bl.PerfectSeparationWarning):
        r = bl.Logit((x > 0.2).astype(float), X).fit()
    return r


@pytest.fixture(scope="module")
def results(formula_model, synthetic, separated):
    m = formula_model
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bl.ConvergenceWarning)  # maxiter=2 on purpose
        laplace = m.fit(method="laplace", draws=40, chains=2, random_seed=3, maxiter=2,
                        tol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bl.SamplingWarning)  # short chains on purpose
        gibbs = m.sample(draws=60, tune=30, chains=2, sampler="gibbs", random_seed=4,
                         progressbar=False)
    return {
        "mle_cluster": m.fit(cov_type="cluster", cov_kwds={"groups": synthetic["cluster"]}),
        "mle_separated": separated,
        "map": m.with_priors(bl.Normal(0, 1.5)).fit(method="map"),
        "map_l1": m.with_priors(bl.Laplace(0, 0.05)).fit(method="map"),
        "laplace": laplace,
        "is": m.sample(draws=60, chains=2, sampler="is", random_seed=4, progressbar=False),
        "gibbs": gibbs,
    }


@pytest.fixture(scope="module")
def nuts(formula_model):
    """One compiled NUTS model for the module; its first result and the model itself."""
    m = formula_model.with_priors(bl.Normal(0, 2.0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bl.SamplingWarning)
        post = m.sample(draws=40, tune=40, chains=2, sampler="nuts", random_seed=5,
                        progressbar=False)
    return m, post


def assert_same(a, b, where="value"):
    """Equal values: frames, series, arrays (NaN equal to NaN), dataclasses, containers."""
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, check_exact=True, obj=where)
        assert a.attrs.keys() == b.attrs.keys(), where
        for key in a.attrs:
            assert_same(a.attrs[key], b.attrs[key], f"{where}.attrs[{key!r}]")
    elif isinstance(a, pd.Series):
        pd.testing.assert_series_equal(a, b, check_exact=True, obj=where)
    elif isinstance(a, pd.Index):
        pd.testing.assert_index_equal(a, b, exact=True, obj=where)
    elif isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.dtype == b.dtype, where
        np.testing.assert_array_equal(a, b, err_msg=where)
    elif dataclasses.is_dataclass(a) and not isinstance(a, type):
        assert type(a) is type(b), where
        for f in dataclasses.fields(a):
            assert_same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            assert_same(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, list | tuple):
        assert type(a) is type(b) and len(a) == len(b), where
        for i, (u, v) in enumerate(zip(a, b, strict=True)):
            assert_same(u, v, f"{where}[{i}]")
    elif isinstance(a, float) and np.isnan(a):
        assert isinstance(b, float) and np.isnan(b), where
    else:
        assert a == b, (where, a, b)


def public_values(r) -> dict:
    """Every public attribute of a result and its predictions on new raw data."""
    with np.errstate(divide="ignore", invalid="ignore"):  # residuals at p = 0 or 1
        return _public_values(r)


def _public_values(r) -> dict:
    out = {"type": type(r).__name__, "method": r.method, "options": r.options,
           "params": r.params, "bse": r.bse, "summary": r.summary(),
           "cov_params": r.cov_params(),
           "report": str(r), "repr": repr(r), "names": r.model.exog_names,
           "formula": r.model.formula, "priors": r.model.priors,
           "prior_set": r.model.prior_set.priors}
    small = {} if r.method in ("laplace", "posterior") else {"draws": 50, "chains": 2}
    out["beta"] = np.asarray(r.to_arviz(**small)["posterior"]["beta"].values)
    data = NEW if r.model.formula else np.array([[1.0, -0.5], [1.0, 0.1], [1.0, 1.5]])
    out.update(predict=r.predict(data), linear=r.predict(data, kind="linear"),
               interval=r.predict(data, ci_prob=0.9), fitted=r.predict())
    if r.method == "mle":
        for name in ("llf", "llnull", "llr", "llr_pvalue", "prsquared", "aic", "bic",
                     "df_model", "df_resid", "nobs", "converged", "iterations", "tvalues",
                     "pvalues", "mle_retvals", "cov_type", "cov_description", "separation",
                     "fittedvalues", "resid_response", "resid_pearson", "resid_dev"):
            out[name] = getattr(r, name)
        out.update(notes=r.notes(), conf_int=r.conf_int(), pred_table=r.pred_table(),
                   wald=r.wald_test(np.eye(len(r.params))[1:]))
        if r.converged:
            out["margeff"] = r.get_margeff().summary_frame()
    if r.method == "map":
        out.update(converged=r.converged, iterations=r.iterations, nonzero=r.nonzero,
                   log_posterior=r.log_posterior(), mode=r.mode, llf=r.llf)
    if r.method in ("laplace", "posterior"):
        tree = r.to_arviz()
        out.update(draws=r.draws, info=r.info, approximation=r.approximation,
                   diagnostics=r.diagnostics(),
                   groups=sorted(tree.children),
                   loglik=np.asarray(tree["log_likelihood"]["y"].values),
                   sample_stats=tree["sample_stats"].to_dataset().to_dict(data="array"))
    if r.method == "laplace":
        out.update(mode=public_values(r.mode))
    return out


def saved_and_loaded(r, tmp_path):
    path = tmp_path / "result.nc"
    r.save(path)
    return bl.load(path)


COPIES = {"save/load": saved_and_loaded,
          "pickle": lambda r, _: pickle.loads(pickle.dumps(r)),
          "deepcopy": lambda r, _: copy.deepcopy(r)}
KINDS = ["mle_cluster", "mle_separated", "map", "map_l1", "laplace", "is", "gibbs"]


def assert_copies_same(r, tmp_path, label):
    before = public_values(r)
    for how, make in COPIES.items():
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # rebuilding re-estimates nothing, so warns nothing
            back = make(r, tmp_path)
        assert back is not r and type(back) is type(r)
        assert_same(before, public_values(back), f"{label} after {how}")
    return back


@pytest.mark.parametrize("kind", KINDS)
def test_round_trip_keeps_every_public_attribute(results, kind, tmp_path):
    assert_copies_same(results[kind], tmp_path, kind)


def test_nuts_round_trip_and_pickle_after_compiling(nuts, tmp_path):
    model, post = nuts
    assert "nuts" in model.compiled_samplers
    back = assert_copies_same(post, tmp_path, "nuts")
    assert back.options.sampler == "nuts" and back.info["sampler"] == post.info["sampler"]
    # a result fitted on the model that compiled the sampler, and the model, pickle too
    assert_copies_same(model.fit(), tmp_path, "mle of the NUTS model")
    for how in ("pickle", "deepcopy"):
        twin = COPIES[how](model, tmp_path)
        assert dict(twin.compiled_samplers) == {}  # the compiled sampler is a dropped cache
        assert "nuts" in model.compiled_samplers  # the original keeps it
        assert twin.exog_names == model.exog_names and twin.priors == model.priors
        assert_same(twin.fit(method="map").params, model.fit(method="map").params)


def test_loaded_cluster_mle_matches_statsmodels(results, synthetic, tmp_path):
    back = saved_and_loaded(results["mle_cluster"], tmp_path)
    df = synthetic.assign(g=pd.Categorical(synthetic["g"]))
    codes = pd.factorize(df["cluster"])[0]
    ref = smf.logit(FORMULA, df, offset=df["off"]).fit(
        disp=0, cov_type="cluster", cov_kwds={"groups": codes})
    names = list(back.params.index)
    np.testing.assert_allclose(back.params, ref.params[names].to_numpy(), rtol=1e-7)
    np.testing.assert_allclose(back.bse, ref.bse[names].to_numpy(), rtol=1e-6)
    assert back.cov_type == "cluster" and back.options.cov_kwds["groups"] is not None


def test_separation_report_and_laplace_mode_restored_not_refitted(results, tmp_path):
    sep = saved_and_loaded(results["mle_separated"], tmp_path)
    assert sep.separation is not None and sep.separation.separated
    assert sep.notes() == results["mle_separated"].notes() and not sep.converged
    lap = results["laplace"]
    back = saved_and_loaded(lap, tmp_path)
    assert back.options.maxiter == 2 and back.options.tol == 1e-6
    assert back.mode.iterations == lap.mode.iterations and not back.mode.converged
    np.testing.assert_array_equal(back.mode.params, lap.mode.params)


def test_loaded_file_is_closed_and_can_be_overwritten(results, tmp_path):
    path = tmp_path / "fit.nc"
    results["map"].save(path)
    r = bl.load(path)
    r.save(path)  # the file is not held open
    results["is"].save(path)
    assert type(bl.load(path)).__name__ == "PosteriorResults"


def test_file_holds_the_data_once_and_no_pointwise_loglik(tmp_path):
    rng = np.random.default_rng(2)
    n, k = 4000, 6
    X = np.column_stack([np.ones(n), rng.normal(size=(n, k - 1))])
    y = (rng.random(n) < 0.4).astype(float)
    data_bytes = X.nbytes + y.nbytes
    m = bl.Logit(y, X)
    mle = m.fit()
    mle.to_arviz()  # its cached draws are not saved
    mle.save(tmp_path / "mle.nc")
    # X, y, the zero offset, the obs coordinate and the fit's linear predictor
    assert (tmp_path / "mle.nc").stat().st_size < 1.5 * data_bytes + 50_000
    post = m.with_priors(bl.Normal(0, 2.5)).sample(draws=250, chains=2, sampler="is",
                                                   random_seed=1, progressbar=False)
    assert "log_likelihood" in post.to_arviz().children  # 500 x 4000 values in memory
    post.save(tmp_path / "post.nc")
    draws_bytes = post.draws.nbytes * 4  # beta, log_prior, sample statistics
    assert (tmp_path / "post.nc").stat().st_size < 1.5 * data_bytes + draws_bytes + 100_000
    with xr.open_datatree(tmp_path / "post.nc") as tree:
        assert "log_likelihood" not in tree.children
        assert tree["constant_data"]["X"].shape == (n, k)
        assert len(tree["bayeslogit"].attrs["spec"]) < 20_000  # no copy of X in the spec


def rewrite(path, out, group=None, **attrs):
    """Copy a saved file with the bayeslogit attributes (or a whole group) replaced."""
    tree = xr.load_datatree(path)
    meta = tree["bayeslogit"].to_dataset()
    meta.attrs.update(attrs)
    tree["bayeslogit"] = meta
    if group is not None:
        tree[group[0]] = group[1]
    tree.to_netcdf(out)
    return out


def test_load_refuses_files_it_cannot_trust(results, tmp_path):
    good = tmp_path / "good.nc"
    results["is"].save(good)
    other = tmp_path / "other.nc"
    bl.Logit.from_formula("y ~ x1", NEW.assign(y=[0, 1, 0])).with_priors(
        bl.Normal(0, 1)).sample(draws=20, chains=2, sampler="is", random_seed=1,
                                progressbar=False).save(other)
    cases = {
        "format version 99": (rewrite(good, tmp_path / "v99.nc", format_version=99),
                              "format version 99, newer"),
        "unknown kind": (rewrite(good, tmp_path / "kind.nc", kind="FooResults"),
                         "unknown result kind 'FooResults'"),
        "version 0": (rewrite(good, tmp_path / "v0.nc", format_version=0),
                      "invalid format_version 0"),
        "kind mismatch": (rewrite(good, tmp_path / "mis.nc", kind="MLEResults"),
                          "says it holds a MLEResults"),
        "broken spec": (rewrite(good, tmp_path / "spec.nc", spec="bm90IGEgcGlja2xl"),
                        "the file was altered after it was saved"),
    }
    with xr.open_datatree(other) as small:  # draws of a 2-coefficient model
        cases["draws of another model"] = (
            rewrite(good, tmp_path / "mixed.nc", group=("posterior", small["posterior"]
                                                        .to_dataset().load())),
            "the stored model has 5 coefficients")
        cases["data of another model"] = (
            rewrite(good, tmp_path / "data.nc", group=("constant_data",
                                                       small["constant_data"]
                                                       .to_dataset().load())),
            "constant_data/X has shape (3, 2)")
    with xr.open_datatree(good) as full:  # the same draws, cut to 10 per chain
        cases["fewer draws than fitted"] = (
            rewrite(good, tmp_path / "cut.nc", group=("posterior", full["posterior"]
                                                      .to_dataset().isel(draw=slice(0, 10))
                                                      .load())),
            "10 draws, but the result was fitted with")
    damaged = tmp_path / "damaged.nc"  # bytes flipped inside the HDF5 metadata
    raw = bytearray(good.read_bytes())
    raw[499:515] = bytes(b ^ 0xFF for b in raw[499:515])
    damaged.write_bytes(bytes(raw))
    cases["damaged file"] = (damaged, "cannot be read as netCDF")
    text = tmp_path / "text.nc"
    text.write_text("not a netcdf file\n")
    cases["text file"] = (text, "cannot be read as netCDF")
    plain = tmp_path / "plain.nc"
    xr.Dataset({"a": ("x", [1.0, 2.0])}).to_netcdf(plain)
    cases["netCDF without the group"] = (plain, "no 'bayeslogit' group")
    for label, (path, message) in cases.items():
        with pytest.raises(SavedFileError, match=re.escape(repr(str(path)))) as info:
            bl.load(path)
        assert message in str(info.value), (label, str(info.value))
        assert "backend" not in str(info.value), (label, "xarray's internals leaked")
    with pytest.raises(FileNotFoundError, match="missing.nc"):
        bl.load(tmp_path / "missing.nc")
