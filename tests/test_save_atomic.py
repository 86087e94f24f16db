"""save() never destroys the file already at the path, whatever goes wrong while writing.

Faults are injected where they happen in practice: a failing rename or write (mocked, with
the errno a full disk gives and HDF5's way of reporting it in a RuntimeError's text), a
KeyboardInterrupt inside the write, a process file-size limit (RLIMIT_FSIZE) in a child
process, and SIGINT sent to a child process while it saves. After each, the old file must
load and give the old estimates (compared with the result that wrote it), and no temporary
file may be left beside it.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
import xarray as xr

import bayeslogit as bl
from bayeslogit import files
from bayeslogit.errors import SavedFileError


def simulate(n: int, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.normal(size=(n, k - 1))])
    y = (rng.random(n) < 1 / (1 + np.exp(-X @ np.linspace(-0.5, 0.5, k)))).astype(float)
    return y, X


@pytest.fixture(scope="module")
def old_and_new():
    old = bl.Logit(*simulate(300, 3, 1)).fit()
    new = bl.Logit(*simulate(500, 4, 2)).fit()
    return old, new


def assert_old_file_intact(path, old) -> None:
    back = bl.load(path)
    np.testing.assert_array_equal(back.params.to_numpy(), old.params.to_numpy())
    assert back.nobs == old.nobs
    assert os.listdir(os.path.dirname(path)) == [os.path.basename(path)], "temporary file left"


def test_failed_rename_keeps_old_file_and_names_the_cause(old_and_new, tmp_path, monkeypatch):
    old, new = old_and_new
    path = str(tmp_path / "fit.nc")
    old.save(path)

    def full(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.os, "replace", full)
    with pytest.raises(OSError) as info:
        new.save(path)
    assert info.value.errno == errno.ENOSPC
    assert repr(path) in str(info.value) and "the disk is full" in str(info.value)
    assert "unchanged" in str(info.value)
    monkeypatch.undo()
    assert_old_file_intact(path, old)


def test_hdf5_runtime_error_with_errno_is_worded(old_and_new, tmp_path, monkeypatch):
    old, new = old_and_new
    path = str(tmp_path / "fit.nc")
    old.save(path)

    def half_written(self, target, *args, **kwargs):
        with open(target, "wb") as fh:  # what a write stopped midway leaves
            fh.write(b"\x89HDF\r\n\x1a\n" + b"\0" * 1000)
        raise RuntimeError("Can't write data (file write failed: errno = 27, error message "
                           "= 'File too large')")

    monkeypatch.setattr(xr.DataTree, "to_netcdf", half_written)
    with pytest.raises(OSError, match="file size limit") as info:
        new.save(path)
    assert info.value.errno == errno.EFBIG and repr(path) in str(info.value)
    monkeypatch.undo()
    assert_old_file_intact(path, old)


def test_keyboard_interrupt_inside_the_write(old_and_new, tmp_path, monkeypatch):
    old, new = old_and_new
    path = str(tmp_path / "fit.nc")
    old.save(path)

    def interrupted(self, target, *args, **kwargs):
        with open(target, "wb") as fh:
            fh.write(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(xr.DataTree, "to_netcdf", interrupted)
    with pytest.raises(KeyboardInterrupt):
        new.save(path)
    monkeypatch.undo()
    assert_old_file_intact(path, old)


def test_new_file_replaces_old_and_keeps_permissions(old_and_new, tmp_path):
    old, new = old_and_new
    path = str(tmp_path / "fit.nc")
    old.save(path)
    os.chmod(path, 0o640)
    new.save(path)
    assert os.stat(path).st_mode & 0o777 == 0o640
    back = bl.load(path)
    np.testing.assert_array_equal(back.params.to_numpy(), new.params.to_numpy())


CHILD = textwrap.dedent("""
    import os, resource, signal, sys, numpy as np, bayeslogit as bl
    n, k, path, mode = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
    rng = np.random.default_rng(3)
    X = np.column_stack([np.ones(n), rng.normal(size=(n, k - 1))])
    y = (rng.random(n) < 0.5).astype(float)
    r = bl.Logit(y, X).fit()
    if mode == "fsize":
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (2**20, 2**20))
        try:
            r.save(path)
        except OSError as exc:
            print("ERR", exc.errno, exc)
        sys.exit(0)
    print("READY", flush=True)
    try:
        while True:
            r.save(path)
    except KeyboardInterrupt:
        print("INTERRUPTED", flush=True)
""")


def test_file_size_limit_in_child_process(old_and_new, tmp_path):
    old, _ = old_and_new
    path = str(tmp_path / "fit.nc")
    old.save(path)
    out = subprocess.run([sys.executable, "-c", CHILD, "60000", "5", path, "fsize"],
                         capture_output=True, text=True, timeout=120)
    assert out.stdout.startswith(f"ERR {errno.EFBIG}"), out.stdout + out.stderr[-2000:]
    assert repr(path) in out.stdout and "file size limit" in out.stdout
    assert_old_file_intact(path, old)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigint_during_save_leaves_a_whole_file(old_and_new, tmp_path):
    old, _ = old_and_new
    path = str(tmp_path / "fit.nc")
    for delay in (0.05, 0.2):
        old.save(path)
        child = subprocess.Popen([sys.executable, "-c", CHILD, "200000", "10", path, "loop"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert child.stdout.readline().strip() == "READY"
        time.sleep(delay)
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=60)
        assert "INTERRUPTED" in out, err[-2000:]
        back = bl.load(path)  # the old result or a new one, never a partial file
        assert back.nobs in (old.nobs, 200000)
        if back.nobs == old.nobs:
            np.testing.assert_array_equal(back.params.to_numpy(), old.params.to_numpy())
        assert os.listdir(tmp_path) == ["fit.nc"], "temporary file left"


def test_file_locked_by_a_writer_is_reported_busy(old_and_new, tmp_path):
    old, _ = old_and_new
    path = str(tmp_path / "fit.nc")
    old.save(path)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time, h5py\nf = h5py.File(sys.argv[1], 'a')\n"
         "print('HELD', flush=True)\ntime.sleep(30)", path],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "HELD"
        with pytest.raises(SavedFileError, match="being written or is held open") as info:
            bl.load(path)
        assert repr(path) in str(info.value) and "damaged" not in str(info.value)
    finally:
        holder.kill()
        holder.wait()
    assert_old_file_intact(path, old)
