"""Sweeps of wrong types over the public entry points, and data the boundary must not misread.

Every entry in a sweep must raise an error whose message names the argument (never a raw
numpy/pandas message, never silently accepted). The data cases are held to references:
statsmodels' MLE on the rows that remain, and the unweighted MLE for constant weights.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import bayeslogit as bl

RAW = ("could not convert", "has no attribute", "is not iterable", "unhashable",
       "truth value of an array", "inhomogeneous", "boolean index did not match",
       "No objects to concatenate", "must pass an index", "not supported between")


@pytest.fixture(scope="module")
def arrays():
    rng = np.random.default_rng(11)
    X = np.column_stack([np.ones(80), rng.normal(size=(80, 2))])
    y = (rng.random(80) < 1 / (1 + np.exp(-(X @ [0.2, 0.8, -0.5])))).astype(float)
    return y, X


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(12)
    n = 150
    df = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n),
                       "g": rng.choice(["a", "b", "c"], size=n)})
    eta = -0.2 + 0.9 * df.x1 - 0.4 * df.x2 + 0.5 * (df.g == "b")
    df["y"] = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(int)
    return df


@pytest.fixture(scope="module")
def fits(arrays, frame):
    y, X = arrays
    m = bl.Logit(y, X)
    mf = bl.Logit.from_formula("y ~ x1 + x2 + C(g)", frame)
    post = mf.sample(sampler="is", draws=100, chains=2, random_seed=1, progressbar=False)
    return m, m.fit(), mf, mf.fit(), post


def _refused(call, names):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as info:  # noqa: PT011 - the message is what matters
            call()
    msg = str(info.value)
    assert any(n.lower() in msg.lower() for n in names), f"{type(info.value).__name__}: {msg}"
    assert not any(r in msg for r in RAW), msg
    return msg


WRONG = {"None": None, "str": "zz", "dict": {"a": 1}, "set": {1}, "bytes": b"ab",
         "3-D": np.zeros((2, 2, 2)), "nan": np.nan, "bool": True, "list": [1, 2]}


def _sweep(values, skip=()):
    return [pytest.param(v, id=k) for k, v in values.items() if k not in skip]


@pytest.mark.parametrize("bad", _sweep(WRONG, skip=("bool",)))
@pytest.mark.parametrize("arg", ["check_rank", "persist"])
def test_constructor_flags(arrays, frame, arg, bad):
    y, X = arrays
    _refused(lambda: bl.Logit(y, X, **{arg: bad}), [arg])
    _refused(lambda: bl.Logit.from_formula("y ~ x1", frame, **{arg: bad}), [arg])


@pytest.mark.parametrize("bad", _sweep(WRONG, skip=("None", "nan", "bool", "list", "3-D")))
@pytest.mark.parametrize("arg", ["offset", "trials", "freq_weights"])
def test_constructor_vectors(arrays, arg, bad):
    y, X = arrays
    _refused(lambda: bl.Logit(y, X, **{arg: bad}), [arg])


def test_ragged_rows_and_event_of_many_values(arrays):
    y, X = arrays
    msg = _refused(lambda: bl.Logit(y[:3], [[1, 0.5], [1], [1, 2.0]]), ["exog"])
    assert "ragged" in msg
    _refused(lambda: bl.Logit(y, X, event=[0, 1]), ["event"])


@pytest.mark.parametrize(("kwargs", "names"), [
    ({"start_params": "x"}, ["start_params"]), ({"start_params": {"a": 1}}, ["start_params"]),
    ({"start_params": [0, 0]}, ["start_params"]), ({"start_params": [0, np.nan, 0]},
                                                  ["start_params"]),
    ({"check_separation": "no"}, ["check_separation"]), ({"cov_type": np.zeros(3)},
                                                         ["cov_type"]),
    ({"cov_type": "cluster", "cov_kwds": [1]}, ["cov_kwds"]),
    ({"method": "map", "start_params": "x"}, ["start_params"]),
])
def test_fit_arguments(fits, kwargs, names):
    m = fits[0]
    _refused(lambda: m.fit(**kwargs), names)


def test_start_params_series_is_matched_by_name(fits):
    m, r = fits[0], fits[1]
    start = pd.Series(r.params.to_numpy(), index=r.params.index)[::-1]  # reversed order
    np.testing.assert_allclose(m.fit(start_params=start).params, r.params, rtol=1e-10)


@pytest.mark.parametrize("bad", _sweep(WRONG, skip=("bool",)))
def test_sample_progressbar_is_a_flag(fits, bad):
    m = fits[0]
    _refused(lambda: m.sample(sampler="is", draws=10, chains=1, progressbar=bad),
             ["progressbar"])


@pytest.mark.parametrize(("arg", "bad"), [("draws", "100"), ("chains", 1.5), ("tune", None),
                                          ("random_seed", "1"), ("sampler", 5),
                                          ("draws", True)])
def test_sample_counts_and_options(fits, arg, bad):
    m = fits[0]
    _refused(lambda: m.sample(**{"sampler": "is", arg: bad}), [arg])


@pytest.mark.parametrize("method", ["avg_slopes", "slopes", "avg_comparisons", "comparisons"])
@pytest.mark.parametrize("bad", [5, 1.5, True, np.zeros((2, 2, 2)), [], {}])
def test_effects_variables(fits, method, bad):
    for result in (fits[3], fits[4]):
        _refused(lambda r=result: getattr(r, method)(variables=bad), ["variables"])


@pytest.mark.parametrize("bad", [5, 1.5, np.zeros((2, 2)), [], [1]])
def test_effects_by(fits, bad):
    _refused(lambda: fits[3].avg_predictions(by=bad), ["by"])


def test_effects_newdata_dict_of_values_is_one_row(fits, frame):
    r = fits[3]
    row = {"x1": 0.3, "x2": -1.0, "g": "b"}
    got = r.predictions(newdata=row)
    ref = r.predictions(newdata=pd.DataFrame([row]))
    assert len(got) == 1
    np.testing.assert_allclose(got["estimate"], ref["estimate"])


def test_datagrid(fits):
    r = fits[3]
    msg = _refused(lambda: bl.datagrid(r, g=["a", "zzz"]), ["zzz"])
    assert "'a'" in msg and "'b'" in msg  # the levels seen in training, as the remedy
    assert isinstance(pytest.raises(bl.UnseenLevelError, bl.datagrid, r, g="zzz").value,
                      ValueError)
    _refused(lambda: bl.datagrid(r, x1=["high"]), ["x1", "numeric"])
    _refused(lambda: bl.datagrid(r, x1=[]), ["x1"])
    _refused(lambda: bl.datagrid("result", x1=[0]), ["datagrid"])
    grid = bl.datagrid(r, g=["c", "a"], x1=[0.0, 1.0])
    assert len(grid) == 4 and set(grid["g"]) == {"a", "c"}


@pytest.mark.parametrize(("kwargs", "names"), [
    ({"scales": []}, ["scales"]), ({"scales": ["a"]}, ["scales"]), ({"scales": 5}, ["scales"]),
    ({"scales": "abc"}, ["scales"]), ({"scales": {1: 2}}, ["scales"]),
    ({"scales": [1, np.inf]}, ["scales"]), ({"scales": [0]}, ["scales", "positive"]),
    ({"coefs": 5}, ["coefs"]), ({"coefs": "nope"}, ["nope"]), ({"settings": {}}, ["settings"]),
    ({"settings": "wide"}, ["settings"]), ({"progressbar": "no"}, ["progressbar"]),
])
def test_prior_sensitivity_arguments(fits, kwargs, names):
    _refused(lambda: bl.prior_sensitivity(fits[0], **kwargs), names)


def test_scalar_scale_remedy_is_the_list(fits):
    msg = _refused(lambda: bl.prior_sensitivity(fits[0], scales=2.5), ["scales"])
    assert "scales=[2.5]" in msg


@pytest.mark.parametrize("which", [1, 3, 4])  # MLE, formula MLE, posterior
def test_result_passed_as_a_model(fits, which):
    msg = _refused(lambda: bl.prior_sensitivity(fits[which], scales=[1]), ["model"])
    assert "result.model" in msg


@pytest.mark.parametrize("bad", [None, "r", [1], 3, {}])
def test_compare_names_fits(fits, bad):
    _refused(lambda: bl.compare(bad), ["fits"])
    _refused(lambda: bl.compare({"mle": fits[1], "model": fits[0]}), ["'model'", "fit it"])


@pytest.mark.parametrize(("kwargs", "names"), [
    ({"rescale_priors": "no"}, ["rescale_priors"]), ({"rescale_priors": None},
                                                     ["rescale_priors"]),
    ({"missing": np.zeros(3)}, ["missing"]), ({"missing": "skip"}, ["missing"]),
    ({"offset": {"a": 1}}, ["offset"]),
])
def test_with_data_arguments(fits, frame, kwargs, names):
    _refused(lambda: fits[2].with_data(frame, **kwargs), names)


@pytest.mark.parametrize(("call", "names"), [
    (lambda r: r.to_arviz(draws="10"), ["draws"]), (lambda r: r.to_arviz(chains=0), ["chains"]),
    (lambda r: r.to_arviz(random_seed="x"), ["random_seed"]),
    (lambda r: r.pred_table(threshold="0.5"), ["threshold"]),
    (lambda r: r.pred_table(threshold=2), ["threshold"]),
    (lambda r: r.get_margeff(dummy="yes"), ["dummy"]),
    (lambda r: r.get_margeff(at=np.zeros(2)), ["at"]),
    (lambda r: r.get_margeff(atexog="x"), ["atexog"]),
    (lambda r: r.predict(np.zeros((2, 2, 2))), ["data"]),
    (lambda r: r.predict("abc"), ["data"]),
])
def test_result_methods(fits, call, names):
    _refused(lambda: call(fits[1]), names)


def test_loo_arguments(fits):
    post = fits[4]
    _refused(lambda: post.loo(pointwise="yes"), ["pointwise"])
    _refused(lambda: post.loo(reff="x"), ["reff"])
    _refused(lambda: post.loo(reff=-1.0), ["reff"])


# -- extreme counts and weights ------------------------------------------------------------
def test_constant_huge_weights_give_the_unweighted_mle(arrays):
    y, X = arrays
    ref = sm.Logit(y, X).fit(disp=0)
    for w in (1e3, 1e100, 1e200, 1e300):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no ConvergenceWarning either
            r = bl.Logit(y, X, freq_weights=np.full(len(y), w)).fit()
        assert r.converged, w
        np.testing.assert_allclose(r.params, ref.params, rtol=1e-8, atol=1e-10)


def test_weights_whose_total_overflows_are_refused(arrays):
    y, X = arrays
    with pytest.raises(ValueError, match="freq_weights overflows"):
        bl.Logit(y, X, freq_weights=np.full(len(y), 1e307))


def test_a_half_is_never_taken_for_rounding_noise(arrays):
    y, X = arrays
    n = len(y)
    trials = np.full(n, 1e15)
    succ = np.round(0.4 * trials)
    ok = bl.Logit(succ, X, trials=trials)  # whole counts at 1e15 are accepted
    assert ok.nobs == n
    for half in (succ + 0.5, succ + 0.25):
        with pytest.raises(ValueError, match="whole numbers"):
            bl.Logit(half, X, trials=trials)
    with pytest.raises(ValueError, match="freq_weights must be whole"):
        bl.Logit(y, X, freq_weights=np.full(n, 1e14 + 0.5))
    # rounding noise of proportion x trials is still accepted, as the whole counts
    noisy = (np.arange(n) % 10 / 10) * 700.0
    assert np.any(noisy != np.round(noisy))  # e.g. 0.7 * 700 = 489.99999999999994
    tri = np.full(n, 700.0)
    a = bl.Logit(noisy, X, trials=tri).fit()
    b = bl.Logit(np.round(noisy), X, trials=tri).fit()
    np.testing.assert_allclose(a.params, b.params, rtol=1e-12)


# -- masked arrays: the mask is missing data ------------------------------------------------
def test_masked_entries_are_missing_values(arrays):
    y, X = arrays
    mask = np.zeros_like(X, dtype=bool)
    mask[[3, 17], 1] = True
    Xm = np.ma.masked_array(X.copy(), mask=mask)
    Xm.data[3, 1] = 1e6  # the value under the mask must never be used
    before = Xm.data.copy()
    with pytest.raises(bl.MissingDataError, match=r"rows \[3, 17\]"):
        bl.Logit(y, Xm)
    r = bl.Logit(y, Xm, missing="drop").fit()
    keep = ~mask.any(axis=1)
    ref = sm.Logit(y[keep], X[keep]).fit(disp=0)
    np.testing.assert_allclose(r.params, ref.params, rtol=1e-8)
    np.testing.assert_array_equal(Xm.data, before)  # the caller's data are not modified
    np.testing.assert_array_equal(Xm.mask, mask)


@pytest.mark.parametrize("arg", ["endog", "offset", "trials", "freq_weights"])
def test_masked_vectors_are_missing_values(arrays, arg):
    y, X = arrays
    n = len(y)
    values = {"endog": y, "offset": np.zeros(n), "trials": np.full(n, 3.0),
              "freq_weights": np.full(n, 2.0)}[arg]
    masked = np.ma.masked_array(values, mask=np.arange(n) == 9)
    kwargs = {"endog": y, "exog": X, arg: masked}
    with pytest.raises(bl.MissingDataError, match=r"rows \[9\]"):
        bl.Logit(**kwargs)
    assert bl.Logit(**kwargs, missing="drop").nobs == n - 1


def test_masked_rows_in_predict_are_missing(fits, arrays):
    _, X = arrays
    r = fits[1]
    Xm = np.ma.masked_array(X[:4].copy(), mask=np.zeros((4, 3), dtype=bool))
    Xm.mask[2, 1] = True
    p = r.predict(Xm)
    assert np.isnan(p.iloc[2])
    np.testing.assert_allclose(p.iloc[[0, 1, 3]], r.predict(X[[0, 1, 3]]))


# -- column labels that print alike ----------------------------------------------------------
def test_labels_that_print_alike_are_refused(arrays, frame):
    y, X = arrays
    ex = pd.DataFrame({"const": X[:, 0], 1: X[:, 1], "1": X[:, 2]})
    msg = _refused(lambda: bl.Logit(y, ex), ["print alike"])
    assert "1 and '1'" in msg
    fixed = ex.rename(columns={"1": "1_str"})  # the remedy of the message
    assert bl.Logit(y, fixed).exog_names == ["const", "1", "1_str"]
    data = frame.assign(**{"7": 1.0})
    data[7] = 2.0
    _refused(lambda: bl.Logit.from_formula("y ~ x1", data), ["print alike"])


# -- warnings still point at the caller's line ----------------------------------------------
def test_warnings_point_at_the_callers_line(arrays):
    y, X = arrays
    with pytest.warns(bl.DataWarning) as rec:
        bl.Logit(y, X, trials=np.full(len(y), 5.0))
    assert rec[0].filename == __file__


# -- an unpickled Dask model without its cluster ---------------------------------------------
@pytest.mark.slow
def test_unpickled_dask_model_without_cluster_says_so(tmp_path):
    pytest.importorskip("distributed")
    import dask.array as da
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                      dashboard_address=None) as lc, Client(lc):
        rng = np.random.default_rng(0)
        X = np.column_stack([np.ones(2000), rng.normal(size=2000)])
        y = (rng.random(2000) < 0.4).astype(float)
        r = bl.Logit(da.from_array(y, chunks=500), da.from_array(X, chunks=(500, 2))).fit()
        path = tmp_path / "r.pkl"
        path.write_bytes(pickle.dumps(r))
        params = r.params.to_numpy()
    code = textwrap.dedent(f"""
        import pickle, numpy as np
        import bayeslogit as bl
        r = pickle.loads(open({str(path)!r}, "rb").read())
        assert np.allclose(r.params.to_numpy(), {params.tolist()!r})
        try:
            r.model.fit()
        except bl.DistributedDataError as exc:
            print("REFUSED", exc)
        else:
            print("REFIT")
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.startswith("REFUSED"), out.stdout + out.stderr[-2000:]
    assert "not connected" in out.stdout and "Client(" in out.stdout


@pytest.mark.parametrize("bad", ["1", None, [1.0], {"a": 1}, True, b"1"])
@pytest.mark.parametrize(("family", "arg"), [(bl.Normal, "sigma"), (bl.Normal, "mu"),
                                             (bl.Laplace, "b"), (bl.StudentT, "nu")])
def test_prior_parameters_are_numbers(family, arg, bad):
    _refused(lambda: family(**{arg: bad}), [arg])


def test_prior_parameters_accept_numpy_scalars():
    assert bl.Normal(np.float32(0.5), np.array(2.0)).sigma == 2.0
    assert bl.StudentT(np.int64(3)).nu == 3.0


@pytest.mark.parametrize("bad", [5, None, True, np.zeros((2, 2)), []])
def test_plot_arguments_are_names(fits, bad):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    _refused(lambda: bl.plot_predictions(fits[3], condition=bad), ["condition"])
    if bad is not None:
        _refused(lambda: fits[4].plot_trace(coefs=bad), ["coefs"])


def test_to_arviz_switches(fits):
    _refused(lambda: fits[4].to_arviz(log_likelihood=np.zeros(3)), ["log_likelihood"])
    _refused(lambda: fits[1].to_arviz(log_likelihood=np.zeros(3)), ["log_likelihood"])
    assert "log_likelihood" in fits[1].to_arviz(log_likelihood=np.True_, draws=10).children
