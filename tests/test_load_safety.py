"""bl.load runs no code from the file, trusts no declared size and notices altered contents.

Crafted files are built the way an attacker or a damaged disk would: pickles that call
``os.system`` or ``builtins.eval`` in a version-3 style file (pickled state, no digests),
stored objects of the wrong type, a variable declaring gigabytes in a small file, a flipped
bit in the stored data and data edited through xarray. Every one must be a SavedFileError
naming the file, with no marker file created and no large allocation. Files of earlier
versions written without digests still load and give the estimates they were saved with.
The pickle-based files are made from ``tests/data/v4_arrays_mle.nc``, which the release
writing format 4 (pickled state) saved from the data of the ``saved`` fixture.
"""

from __future__ import annotations

import base64
import os
import pickle
import time
import tracemalloc
from pathlib import Path

import h5py
import numpy as np
import pytest
import xarray as xr

import bayeslogit as bl
from bayeslogit.errors import SavedFileError

DATA = Path(__file__).parent / "data"


class RunsShell:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


class RunsEval:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (eval, (f"open({self.marker!r}, 'w').close()",))


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    rng = np.random.default_rng(11)
    X = np.column_stack([np.ones(400), rng.normal(size=(400, 2))])
    y = (rng.random(400) < 1 / (1 + np.exp(-X @ [0.2, 1.0, -0.5]))).astype(float)
    result = bl.Logit(y, X).fit()
    path = tmp_path_factory.mktemp("saved") / "good.nc"
    result.save(path)
    return result, X, path


@pytest.fixture(scope="module")
def saved_v4(saved):
    """The same fit as ``saved``, written by the release whose format 4 stored pickles."""
    result, X, _ = saved
    return result, X, DATA / "v4_arrays_mle.nc"


def as_version_3(path, out, **attrs) -> str:
    """Rewrite a format-4 file as version 3 wrote it: the same pickles, no digests."""
    tree = xr.load_datatree(path)
    meta = tree["bayeslogit"].to_dataset()
    meta.attrs.pop("digests")
    meta.attrs.update(format_version=3, **attrs)
    tree["bayeslogit"] = meta
    tree.to_netcdf(out)
    return str(out)


def pickled(obj) -> str:
    return base64.b64encode(pickle.dumps(obj)).decode()


@pytest.mark.parametrize("attr", ["spec", "result"])
@pytest.mark.parametrize("payload", [RunsShell, RunsEval])
def test_crafted_pickle_runs_nothing(saved_v4, tmp_path, attr, payload):
    _, _, good = saved_v4
    marker = str(tmp_path / "MARKER")
    bad = as_version_3(good, tmp_path / "bad.nc", **{attr: pickled(payload(marker))})
    with pytest.raises(SavedFileError) as info:
        bl.load(bad)
    assert not os.path.exists(marker), "code in the file ran"
    assert repr(bad) in str(info.value)
    assert "nothing in it was run" in str(info.value)
    assert ("posix.system" in str(info.value) or "builtins.eval" in str(info.value))


def test_allow_list_refuses_classes_outside_it(saved_v4, tmp_path):
    _, _, good = saved_v4
    # a harmless standard-library class: still not something save() writes
    import fractions

    bad = as_version_3(good, tmp_path / "frac.nc",
                       spec=pickled({"design": fractions.Fraction(1, 3), "priors": None}))
    with pytest.raises(SavedFileError, match="fractions.Fraction"):
        bl.load(bad)


@pytest.mark.parametrize("attr, obj", [("spec", 3), ("spec", {}),
                                       ("spec", {"design": "x", "priors": None}),
                                       ("spec", {"design": None, "priors": {"x": 1}}),
                                       ("result", 3), ("result", None), ("result", {})])
def test_wrong_typed_stored_objects(saved_v4, tmp_path, attr, obj):
    _, _, good = saved_v4
    bad = as_version_3(good, tmp_path / "typed.nc", **{attr: pickled(obj)})
    with pytest.raises(SavedFileError) as info:
        bl.load(bad)
    assert repr(bad) in str(info.value)


def test_version_3_file_without_digests_still_loads(saved_v4, tmp_path):
    result, _, good = saved_v4
    back = bl.load(as_version_3(good, tmp_path / "v3.nc"))
    np.testing.assert_array_equal(back.params.to_numpy(), result.params.to_numpy())
    np.testing.assert_array_equal(back.cov_params().to_numpy(), result.cov_params().to_numpy())


def test_size_bomb_is_refused_before_reading(saved, tmp_path):
    _, _, good = saved
    bomb = tmp_path / "bomb.nc"
    bomb.write_bytes(good.read_bytes())
    with h5py.File(bomb, "a") as f:  # 3 GB declared, nothing written
        del f["bayeslogit"]  # keep the file small
        f.create_group("bayeslogit")
        f["bayeslogit"].create_dataset("array0", shape=(375_000_000,), dtype="f8")
    assert os.path.getsize(bomb) < 100_000
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(SavedFileError, match="declares") as info:
            bl.load(bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50_000_000 and time.perf_counter() - start < 5
    assert repr(str(bomb)) in str(info.value)


def test_flipped_bit_in_data_is_detected(saved, tmp_path):
    _, X, good = saved
    raw = bytearray(good.read_bytes())
    at = raw.find(X[123, 1].tobytes())
    assert at >= 0
    raw[at + 6] ^= 0x10
    flipped = tmp_path / "flipped.nc"
    flipped.write_bytes(bytes(raw))
    with pytest.raises(SavedFileError, match="altered after it was saved"):
        bl.load(flipped)


@pytest.mark.parametrize("group, name", [("constant_data", "X"), ("observed_data", "y"),
                                         ("constant_data", "offset")])
def test_data_edited_through_xarray_is_detected(saved, tmp_path, group, name):
    _, _, good = saved
    tree = xr.load_datatree(good)
    values = tree[group][name]
    tree[group][name] = (1 - values) if name == "y" else values + 0.5
    edited = tmp_path / "edited.nc"
    tree.to_netcdf(edited)
    with pytest.raises(SavedFileError, match="altered after it was saved"):
        bl.load(edited)


def test_edited_draws_are_detected(tmp_path):
    rng = np.random.default_rng(2)
    X = np.column_stack([np.ones(200), rng.normal(size=200)])
    y = (rng.random(200) < 0.4).astype(float)
    post = bl.Logit(y, X).sample(sampler="is", draws=50, chains=2, random_seed=1,
                                 progressbar=False)
    path = tmp_path / "post.nc"
    post.save(path)
    np.testing.assert_array_equal(bl.load(path).draws, post.draws)
    tree = xr.load_datatree(path)
    tree["posterior"]["beta"] = tree["posterior"]["beta"] * (1 + 1e-12)
    tree.to_netcdf(tmp_path / "edited.nc")
    with pytest.raises(SavedFileError, match="altered after it was saved"):
        bl.load(tmp_path / "edited.nc")


def test_bytes_and_bad_paths(saved, tmp_path):
    result, _, good = saved
    back = bl.load(os.fsencode(good))
    np.testing.assert_array_equal(back.params.to_numpy(), result.params.to_numpy())
    for bad in (None, 3, [str(good)]):
        with pytest.raises(TypeError, match="path must be a file path"):
            bl.load(bad)
    with pytest.raises(IsADirectoryError, match=repr(str(tmp_path))):
        bl.load(tmp_path)


def test_fortran_ordered_data_round_trip_and_check(tmp_path):
    rng = np.random.default_rng(5)
    X = np.asfortranarray(np.column_stack([np.ones(300), rng.normal(size=(300, 2))]))
    y = (rng.random(300) < 0.5).astype(float)
    result = bl.Logit(y, X).fit()
    path = tmp_path / "f.nc"
    result.save(path)
    back = bl.load(path)
    np.testing.assert_array_equal(back.model.design.X, result.model.design.X)
    tree = xr.load_datatree(path)
    tree["constant_data"]["X"][7, 2] = tree["constant_data"]["X"][7, 2] + 1e-9
    tree.to_netcdf(tmp_path / "edited.nc")
    with pytest.raises(SavedFileError, match="altered after it was saved"):
        bl.load(tmp_path / "edited.nc")


def test_mutated_pickles_are_saved_file_errors(saved_v4, tmp_path):
    """Random byte changes in the stored state: a SavedFileError every time, never a raw error."""
    result, _, good = saved_v4
    tree = xr.load_datatree(good)
    stream = bytearray(base64.b64decode(tree["bayeslogit"].attrs["result"]))
    rng = np.random.default_rng(0)
    for trial in range(25):
        mutated = bytearray(stream)
        for at in rng.integers(0, len(mutated), size=3):
            mutated[at] = int(rng.integers(0, 256))
        path = as_version_3(good, tmp_path / f"m{trial}.nc",
                            result=base64.b64encode(bytes(mutated)).decode())
        try:
            back = bl.load(path)
        except SavedFileError as exc:
            assert repr(path) in str(exc)
        else:  # a change in a float's bytes can still decode: a result of the same kind
            assert type(back) is type(result)
