"""Files written by earlier releases (saved-file format versions 1 and 2) still load.

tests/data/v1_*.nc were written by bayeslogit 0.1.0 from the data rebuilt in ``saved_files_data``:
``m.fit()``, ``m.fit(method="laplace", draws=50, chains=2, random_seed=3)`` and
``m.sample(sampler="is", draws=50, chains=2, random_seed=3)``. The references are
statsmodels' Logit on the same data (the MLE) and the draws read from the files with xarray
directly (the draw-based results). Version-2 files are written here as that release wrote
them: the result's whole DataTree plus a ``bayeslogit`` group of pickled attributes.
"""

from __future__ import annotations

import base64
import json
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import xarray as xr
from scipy.special import expit

import bayeslogit as bl

DATA = Path(__file__).parent / "data"


def design(df: pd.DataFrame) -> pd.DataFrame:
    """The treatment-coded design of ``y ~ x + C(g)``, written out by hand."""
    return pd.DataFrame({"Intercept": 1.0, "x": df["x"].astype(float),
                         "C(g)[T.b]": (df["g"] == "b").astype(float),
                         "C(g)[T.c]": (df["g"] == "c").astype(float)}, index=df.index)


NEW = pd.DataFrame({"x": [-1.0, 0.0, 2.5], "g": ["c", "a", "b"]})


def stored_beta(path: Path) -> np.ndarray:
    tree = xr.load_datatree(path)
    return tree["posterior"]["beta"].transpose("chain", "draw", "coef").values


def test_v1_mle_equals_statsmodels(saved_files_data):
    r = bl.load(DATA / "v1_mle.nc")
    X = design(saved_files_data)[r.model.exog_names]
    ref = sm.Logit(saved_files_data["y"].astype(float), X).fit(disp=0)
    np.testing.assert_allclose(r.params.to_numpy(), ref.params.to_numpy(), rtol=0, atol=1e-8)
    np.testing.assert_allclose(r.bse.to_numpy(), ref.bse.to_numpy(), rtol=0, atol=1e-8)
    assert r.llf == pytest.approx(ref.llf, abs=1e-8)
    expected = expit(design(NEW)[r.model.exog_names].to_numpy() @ ref.params.to_numpy())
    np.testing.assert_allclose(r.predict(NEW).to_numpy(), expected, rtol=1e-9)
    assert r.options.method == "mle" and r.options.cov_type == "nonrobust"
    assert r.options.maxiter == 35


@pytest.mark.parametrize("name, kind, method", [("v1_laplace.nc", bl.load, "laplace"),
                                                ("v1_posterior.nc", bl.load, "posterior")])
def test_v1_draws_restored(saved_files_data, name, kind, method):
    path = DATA / name
    r = kind(path)
    beta = stored_beta(path)
    assert beta.shape == (2, 50, 4)
    np.testing.assert_array_equal(r.draws, beta)
    np.testing.assert_allclose(r.params.to_numpy(), beta.mean(axis=(0, 1)), rtol=1e-12)
    X_new = design(NEW)[r.model.exog_names].to_numpy()
    expected = expit(beta.reshape(-1, 4) @ X_new.T).mean(axis=0)
    np.testing.assert_allclose(r.predict(NEW).to_numpy(), expected, rtol=1e-10)
    assert r.method == method and r.options.method == method
    assert (r.options.draws, r.options.chains) == (50, 2)
    assert r.model.prior_set.priors[1] == bl.Normal(0, 2.5)
    assert str(r)


def test_v1_laplace_mode_and_posterior_sampler(saved_files_data):
    lap = bl.load(DATA / "v1_laplace.nc")
    mode = bl.Logit.from_formula("y ~ x + C(g)", saved_files_data, priors=bl.Normal(0, 2.5)).fit(
        method="map")
    np.testing.assert_allclose(lap.mode.params.to_numpy(), mode.params.to_numpy(), rtol=1e-10)
    post = bl.load(DATA / "v1_posterior.nc")
    assert post.options.sampler == "is" and "importance" in post.info["sampler"]


def test_current_format_round_trip_keeps_options(saved_files_data, tmp_path):
    m = bl.Logit.from_formula("y ~ x + C(g)", saved_files_data, priors=bl.Normal(0, 2.5))
    fits = {"mle": m.fit(cov_type="HC0", maxiter=50),
            "laplace": m.fit(method="laplace", draws=30, chains=2, random_seed=5),
            "posterior": m.sample(sampler="is", draws=30, chains=2, random_seed=5,
                                  progressbar=False)}
    for kind, r in fits.items():
        path = tmp_path / f"{kind}.nc"
        r.save(path)
        with xr.open_datatree(path) as stored:
            assert stored["bayeslogit"].attrs["format_version"] == 5
        back = bl.load(path)
        assert back.options == r.options, kind
        np.testing.assert_array_equal(back.params.to_numpy(), r.params.to_numpy())
        np.testing.assert_array_equal(back.bse.to_numpy(), r.bse.to_numpy())


def write_v2(result, path):
    """The version-2 layout: ``to_arviz()`` plus the spec, options and info attributes."""
    def pickled(obj):
        return base64.b64encode(pickle.dumps(obj)).decode("ascii")

    model = result.model
    tree = result.to_arviz()
    tree["bayeslogit"] = xr.Dataset(attrs={
        "format_version": 2, "kind": type(result).__name__,
        "spec": pickled({"design": model.design, "priors": model.priors}),
        "options": pickled(result.options.to_dict()),
        "info": json.dumps({k: v for k, v in getattr(result, "info", {}).items()
                            if isinstance(v, int | float | str | list)}),
        "is_draws": int(result.stores_draws)})
    tree.to_netcdf(path)


def test_v2_files_load(saved_files_data, tmp_path):
    m = bl.Logit.from_formula("y ~ x + C(g)", saved_files_data, priors=bl.Normal(0, 2.5))
    fits = {"mle": m.fit(cov_type="HC1", maxiter=60),
            "map": m.fit(method="map", tol=1e-10),
            "laplace": m.fit(method="laplace", draws=30, chains=2, random_seed=7),
            "posterior": m.sample(sampler="is", draws=30, chains=2, random_seed=7,
                                  progressbar=False)}
    ref = sm.Logit(saved_files_data["y"].astype(float), design(saved_files_data)).fit(disp=0, cov_type="HC0")
    n, k = len(saved_files_data), 4
    for kind, r in fits.items():
        path = tmp_path / f"v2_{kind}.nc"
        write_v2(r, path)
        back = bl.load(path)
        assert type(back) is type(r) and back.options == r.options, kind
        if kind == "mle":  # re-estimated; statsmodels' HC0 times n / (n - k) is HC1
            np.testing.assert_allclose(back.params, ref.params, rtol=1e-8)
            np.testing.assert_allclose(back.bse, ref.bse * np.sqrt(n / (n - k)), rtol=1e-7)
        if kind in ("laplace", "posterior"):
            np.testing.assert_array_equal(back.draws, stored_beta(path))
        pd.testing.assert_series_equal(back.predict(NEW), r.predict(NEW))
        assert back.save(path) is None and bl.load(path).options == r.options  # now v3
