"""Saved files store their state as JSON (format 5): every result kind comes back exactly.

Each kind of result (MLE with robust and clustered covariances, MAP, L1 MAP, Firth, Laplace,
posteriors by importance sampling and Gibbs) of formula models with categorical and centred
terms, offsets, binomial trials and frequency weights is saved and loaded; the loaded result
must give the same bits as the one saved (estimates, standard errors, summary, printed report,
predictions on new raw rows). The stored state must be strict JSON (``json.loads`` with no NaN
literal) and hold no pickle; a crafted state naming ``os.system`` or ``builtins.eval`` is
refused without running anything. Files written by the release whose format 4 stored pickles
(tests/data/v4_*.nc, written from the data of ``saved_files_data`` by ``m.fit(cov_type="HC0")``,
``m.fit(method="laplace", draws=50, chains=2, random_seed=3)`` and
``m.sample(sampler="is", draws=50, chains=2, random_seed=3)``) still load, equal to fits
made now.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

import bayeslogit as bl
from bayeslogit.errors import SavedFileError
from bayeslogit.json_read import loads_state
from bayeslogit.json_state import dumps_state
from bayeslogit.results.save import text_digest

DATA = Path(__file__).parent / "data"
# the short Gibbs run of the fixture is a round-trip subject, not an inference
pytestmark = pytest.mark.filterwarnings("ignore:Sampling diagnostics")


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(23)
    n = 320
    df = pd.DataFrame({"x": rng.normal(size=n), "g": rng.choice(["a", "b", "c"], n),
                       "off": rng.normal(scale=0.2, size=n), "t": rng.integers(1, 6, n),
                       "w": rng.integers(1, 4, n), "cl": rng.integers(0, 12, n)})
    eta = -0.3 + 0.8 * df.x + 0.5 * (df.g == "c") + df.off
    df["k"] = rng.binomial(df.t, 1 / (1 + np.exp(-eta)))
    df["y"] = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(int)
    return df


NEW = pd.DataFrame({"x": [-1.0, 0.25, 2.0], "g": ["b", "a", "c"], "off": [0.1, 0.0, -0.2],
                    "t": [2, 3, 4], "w": [1, 1, 2], "cl": [0, 1, 2]})


@pytest.fixture(scope="module")
def results(frame):
    binom = bl.Logit.from_formula("k ~ C(g) + center(x) + offset(off)", frame, trials="t")
    weighted = bl.Logit.from_formula("y ~ C(g) + x", frame, offset="off", freq_weights="w")
    plain = bl.Logit.from_formula("y ~ C(g) + center(x)", frame)
    return {
        "mle_hc0": binom.fit(cov_type="HC0"),
        "mle_cluster": plain.fit(cov_type="cluster", cov_kwds={"groups": frame["cl"]}),
        "mle_weights": weighted.fit(),
        "map": binom.with_priors(bl.Normal(0, 1.5)).fit(method="map"),
        "map_l1": plain.with_priors(bl.Laplace(0, 0.1)).fit(method="map"),
        "firth": plain.with_priors(bl.Jeffreys()).fit(method="map"),
        "laplace": weighted.fit(method="laplace", draws=40, chains=2, random_seed=3),
        "is": binom.sample(sampler="is", draws=60, chains=2, random_seed=4,
                           progressbar=False),
        "gibbs": plain.sample(sampler="gibbs", draws=60, tune=60, chains=2, random_seed=5,
                              progressbar=False),
    }


def stored_attrs(path) -> dict[str, str]:
    with h5py.File(path, "r") as f:
        return {k: f["bayeslogit"].attrs[k] for k in ("spec", "result", "digests")} | {
            "format_version": int(np.asarray(f["bayeslogit"].attrs["format_version"]).item())}


def strict_json(text: str):
    def refuse(name):
        raise AssertionError(f"non-standard JSON constant {name}")
    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("kind", ["mle_hc0", "mle_cluster", "mle_weights", "map", "map_l1",
                                  "firth", "laplace", "is", "gibbs"])
def test_every_kind_round_trips_exactly(results, tmp_path, kind):
    r = results[kind]
    path = tmp_path / f"{kind}.nc"
    r.save(path)
    attrs = stored_attrs(path)
    assert attrs["format_version"] == 5
    for attr in ("spec", "result"):  # strict JSON, and no pickle left in it
        node = strict_json(attrs[attr])
        assert isinstance(node, dict)
        assert "gASV" not in attrs[attr] and "\\x80" not in attrs[attr]
    back = bl.load(path)
    assert type(back) is type(r)
    assert back.options == r.options
    pd.testing.assert_series_equal(back.params, r.params, check_exact=True)
    pd.testing.assert_series_equal(back.bse, r.bse, check_exact=True)
    pd.testing.assert_frame_equal(back.summary(), r.summary(), check_exact=True)
    assert str(back) == str(r)
    pd.testing.assert_series_equal(back.predict(NEW), r.predict(NEW), check_exact=True)
    if r.method in ("laplace", "posterior"):
        np.testing.assert_array_equal(back.draws, r.draws)


def test_formula_state_restored_for_new_levels_and_centring(results, frame, tmp_path):
    """The formula's stored state (levels, centring mean) encodes new rows as at fit."""
    r = results["mle_hc0"]
    r.save(tmp_path / "f.nc")
    back = bl.load(tmp_path / "f.nc")
    # by hand: treatment coding of g with the levels seen at fit, x centred at the fit's mean
    mean = frame["x"].mean()
    X = np.column_stack([np.ones(3), NEW.g == "b", NEW.g == "c", NEW.x - mean])
    eta = X @ r.params.to_numpy() + NEW.off.to_numpy()
    np.testing.assert_allclose(back.predict(NEW).to_numpy(), 1 / (1 + np.exp(-eta)),
                               rtol=1e-12)
    with pytest.raises(Exception, match="'d'"):
        back.predict(NEW.assign(g=["d", "a", "b"]))


def test_state_encoding_of_json_foreign_values():
    """NaN, infinities, tuples, non-str keys, sets, arrays and numpy scalars survive JSON."""
    obj = {"nan": math.nan, "inf": -math.inf, (1, "a"): (2.5, None), 3: {4, 5},
           "$x": "a key that looks like a tag", "arr": np.array([[1.0, np.nan], [np.inf, 2]]),
           "f": np.asfortranarray(np.arange(6.0).reshape(2, 3)), "i8": np.int8(-3),
           "dt": np.dtype("<i4"), "s": pd.Series([1.5, 2.5], index=["p", "q"], name="s"),
           "cat": pd.Categorical(["b", "a", "b"], categories=["b", "a"], ordered=True),
           "mi": pd.MultiIndex.from_tuples([("a", 1), ("b", 2)], names=["k", "v"]),
           "df": pd.DataFrame({"x": [1, 2], 0: ["u", "v"]}, index=pd.Index([10, 20]))}
    text = dumps_state(obj, lambda o: None, "obj")
    strict_json(text)
    back = loads_state(text, "f.nc", "state", lambda ref: None)
    assert math.isnan(back["nan"]) and back["inf"] == -math.inf
    assert back[(1, "a")] == (2.5, None) and back[3] == {4, 5}
    assert back["$x"] == obj["$x"]
    np.testing.assert_array_equal(back["arr"], obj["arr"])
    assert back["f"].flags.f_contiguous and back["f"].dtype == np.float64
    np.testing.assert_array_equal(back["f"], obj["f"])
    assert type(back["i8"]) is np.int8 and back["i8"] == -3
    assert back["dt"] == np.dtype("<i4")
    pd.testing.assert_series_equal(back["s"], obj["s"])
    pd.testing.assert_extension_array_equal(back["cat"], obj["cat"])
    pd.testing.assert_index_equal(back["mi"], obj["mi"])
    pd.testing.assert_frame_equal(back["df"], obj["df"])


def test_unencodable_object_is_a_type_error_naming_its_place():
    with pytest.raises(TypeError, match=r"the state\['opts'\]\[1\].*fractions.Fraction"):
        import fractions

        dumps_state({"opts": [1, fractions.Fraction(1, 3)]}, lambda o: None, "the state")
    with pytest.raises(TypeError, match=r"Cannot save x\['h'\]: .*Holder is not in the allow"):
        dumps_state({"h": type("Holder", (), {})()}, lambda o: None, "x")


def craft(good, out, attr, node) -> str:
    """Replace a stored state attribute, digest updated, as an attacker would."""
    shutil.copyfile(good, out)
    text = json.dumps(node)
    with h5py.File(out, "r+") as f:
        attrs = f["bayeslogit"].attrs
        digests = json.loads(attrs["digests"])
        digests[f"attr:{attr}"] = text_digest(text)
        attrs[attr] = text
        attrs["digests"] = json.dumps(digests)
    return str(out)


@pytest.mark.parametrize("attr", ["spec", "result"])
@pytest.mark.parametrize("target", [["os", "system"], ["posix", "system"],
                                    ["builtins", "eval"], ["subprocess", "Popen"]])
@pytest.mark.parametrize("tag", ["$object", "$class", "$enum", "$result", "$namedtuple"])
def test_crafted_json_naming_code_runs_nothing(results, tmp_path, attr, target, tag):
    good = tmp_path / "good.nc"
    results["map"].save(good)
    marker = tmp_path / "MARKER"
    args = {"$enum": [*target, "x"]}.get(tag, target)
    node = {tag: args, "state": {"command": f"touch {marker}"},
            "dict": {"cmd": f"touch {marker}"}, "items": [f"touch {marker}"]}
    bad = craft(good, tmp_path / "bad.nc", attr, {"design": node, "priors": None}
                if attr == "spec" else node)
    with pytest.raises(SavedFileError) as info:
        bl.load(bad)
    assert not marker.exists(), "code in the file ran"
    message = str(info.value)
    assert repr(bad) in message and "nothing in it was run" in message
    assert ".".join(target) in message


@pytest.mark.parametrize("node", [
    {"$tuple": 3}, {"$float": "1e999x"}, {"$array": {"dtype": "<f8", "shape": [5],
                                                      "fortran": False, "data": [1.0]}},
    {"$array": {"dtype": "|V8", "shape": [1], "fortran": False, "data": [1]}},
    {"$ref": ["array", "nowhere", "X", [3], "<f8", False]}, {"$nosuch": 1},
    {"$object": ["bayeslogit.spec.design", "Design"], "dict": 5},
    {"$object": ["pandas", "DataFrame"], "dict": {}},
    # declared sizes the file does not hold: refused before anything is allocated
    {"$array": {"dtype": "<U1000000000", "shape": [1], "fortran": False, "data": ["a"]}},
    {"$ref": ["array", "constant_data", "X", [320, 4], "<U1000000000", False]},
    {"$array": {"dtype": "<f8", "shape": [10**12], "fortran": False, "data": [1.0]}},
])
def test_malformed_state_is_a_saved_file_error(results, tmp_path, node):
    good = tmp_path / "good.nc"
    results["mle_hc0"].save(good)
    bad = craft(good, tmp_path / "bad.nc", "result", node)
    with pytest.raises(SavedFileError) as info:
        bl.load(bad)
    assert repr(bad) in str(info.value)


def test_nan_literal_in_state_is_refused(results, tmp_path):
    good = tmp_path / "good.nc"
    results["mle_hc0"].save(good)
    bad = tmp_path / "nan.nc"
    shutil.copyfile(good, bad)
    with h5py.File(bad, "r+") as f:
        attrs = f["bayeslogit"].attrs
        text = attrs["result"].replace('"$float":"nan"', "NaN", 1) if '"$float":"nan"' in \
            attrs["result"] else attrs["result"][:-1] + ',"z":NaN}'
        digests = json.loads(attrs["digests"])
        digests["attr:result"] = text_digest(text)
        attrs["result"] = text
        attrs["digests"] = json.dumps(digests)
    with pytest.raises(SavedFileError, match="NaN"):
        bl.load(bad)


def test_format_4_files_load_as_fitted(saved_files_data, tmp_path):
    m = bl.Logit.from_formula("y ~ x + C(g)", saved_files_data, priors=bl.Normal(0, 2.5))
    now = {"mle": m.fit(cov_type="HC0"),
           "laplace": m.fit(method="laplace", draws=50, chains=2, random_seed=3),
           "posterior": m.sample(sampler="is", draws=50, chains=2, random_seed=3,
                                 progressbar=False)}
    for kind, r in now.items():
        path = DATA / f"v4_{kind}.nc"
        assert stored_attrs(path)["format_version"] == 4
        old = bl.load(path)
        assert old.options == r.options, kind
        np.testing.assert_array_equal(old.params.to_numpy(), r.params.to_numpy())
        np.testing.assert_array_equal(old.bse.to_numpy(), r.bse.to_numpy())
        np.testing.assert_array_equal(old.predict(NEW[["x", "g"]]).to_numpy(),
                                      r.predict(NEW[["x", "g"]]).to_numpy())
        # saved again in the current format, it comes back the same (report included)
        str(old)
        old.save(tmp_path / f"{kind}.nc")
        again = bl.load(tmp_path / f"{kind}.nc")
        assert str(again) == str(old)
        np.testing.assert_array_equal(again.bse.to_numpy(), old.bse.to_numpy())
    assert os.path.getsize(DATA / "v4_mle.nc") < 100_000


def test_mutated_json_is_a_saved_file_error_or_the_same_kind(results, tmp_path):
    """Random character changes in the stored state: a SavedFileError, never a raw error."""
    good = tmp_path / "good.nc"
    results["is"].save(good)
    text = stored_attrs(good)["result"]
    rng = np.random.default_rng(1)
    alphabet = '{}[]",:$0123456789.-eaxnNtrufl '
    for trial in range(30):
        chars = list(text)
        for at in rng.integers(0, len(chars), size=2):
            chars[at] = alphabet[int(rng.integers(0, len(alphabet)))]
        path = tmp_path / f"m{trial}.nc"
        shutil.copyfile(good, path)
        with h5py.File(path, "r+") as f:
            attrs = f["bayeslogit"].attrs
            digests = json.loads(attrs["digests"])
            digests["attr:result"] = text_digest("".join(chars))
            attrs["result"] = "".join(chars)
            attrs["digests"] = json.dumps(digests)
        try:
            back = bl.load(path)
        except SavedFileError as exc:
            assert repr(str(path)) in str(exc)
        else:
            assert type(back) is type(results["is"])


@pytest.mark.parametrize("labels", [
    pd.date_range("2020-01-01", periods=80, tz="Europe/Paris", unit="s"),
    pd.period_range("2020-01", periods=80, freq="M"),
    pd.MultiIndex.from_arrays([np.arange(80) // 2, np.arange(80) % 2], names=["id", "t"]),
    pd.Index([f"row {i}" for i in range(80)]),
])
def test_row_labels_and_nullable_columns_round_trip(tmp_path, labels):
    rng = np.random.default_rng(8)
    df = pd.DataFrame({"x": pd.array(rng.integers(0, 4, 80), dtype="Int64"),
                       "z": pd.array(rng.normal(size=80), dtype="Float64"),
                       "b": pd.array(rng.random(80) < 0.5, dtype="boolean"),
                       "y": rng.integers(0, 2, 80)}, index=labels)
    df.loc[df.index[3], "x"] = pd.NA  # dropped as missing: its label is kept in the design
    r = bl.Logit.from_formula("y ~ x + z + b", df).fit()
    r.save(tmp_path / "l.nc")
    back = bl.load(tmp_path / "l.nc")
    d, e = back.model.design, r.model.design
    pd.testing.assert_index_equal(d.row_labels, e.row_labels, exact=True)
    pd.testing.assert_index_equal(d.dropped_labels, e.dropped_labels, exact=True)
    pd.testing.assert_frame_equal(d.frame, e.frame, check_exact=True)
    pd.testing.assert_series_equal(back.predict(df.iloc[5:9]), r.predict(df.iloc[5:9]),
                                   check_exact=True)
