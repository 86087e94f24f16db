"""Writing the user's files so that a failure can never destroy what was there before.

:func:`atomic_write` writes to a temporary file in the target's directory, flushes and
fsyncs it, then renames it over the target with :func:`os.replace` (atomic on POSIX and
Windows), and fsyncs the directory. Until the rename the old file is untouched; on any
error or interrupt (``KeyboardInterrupt`` included) the temporary file is removed and the
old file is left as it was. :func:`describe_os_error` turns an ``OSError`` into words.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["atomic_write", "describe_os_error", "check_output_path", "same_file",
           "TEMP_PREFIX"]

#: temporary files of a save start with this (then the target's name), in its directory
TEMP_PREFIX = ".bayeslogit-tmp-"

_WORDS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EFBIG: "the file is larger than this system or process allows (file size limit)",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EROFS: "the file system is read-only",
    errno.EAGAIN: "the file is held open (locked) by another program",
    errno.ENAMETOOLONG: "the file name is too long",
    errno.ENOENT: "the folder does not exist",
    errno.ENOTDIR: "a part of the path is not a folder",
    errno.EISDIR: "the path is a folder",
    errno.EIO: "an input/output error of the device",
}


def _errno_of(exc: BaseException) -> int | None:
    """Return the errno of an OSError, or the one HDF5 writes in its message (``errno = 28``)."""
    code = getattr(exc, "errno", None)
    if isinstance(code, int):
        return code
    found = re.search(r"errno\s*=\s*(\d+)", str(exc))
    return int(found.group(1)) if found else None


def describe_os_error(exc: BaseException) -> str:
    """Say in words why a write failed: "the disk is full", "held open by another program"."""
    code = _errno_of(exc)
    if isinstance(exc, BlockingIOError):
        code = errno.EAGAIN
    if code in _WORDS:
        return _WORDS[code]
    if code is not None:
        return os.strerror(code).lower()
    return f"{type(exc).__name__}: {exc}"


def same_file(a: Any, b: Any) -> bool:
    """Return True when ``a`` and ``b`` are one file (links and ``..`` resolved): device + inode."""
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return os.path.realpath(os.fsdecode(a)) == os.path.realpath(os.fsdecode(b))


def check_output_path(path: Any, what: str = "path") -> str:
    """Return the real path to write for ``path``; raise if it cannot be an output file.

    A symbolic link is followed (the file it points to is replaced, the link kept); a folder,
    a FIFO, a socket or a device is refused, since replacing it would not write to it.

    Raises
    ------
    TypeError
        ``path`` is not a str, bytes or path-like object.
    IsADirectoryError, ValueError
        ``path`` is a folder, or exists and is not a regular file.
    """
    if not isinstance(path, str | bytes | os.PathLike):
        raise TypeError(f"{what} must be a file path (str or pathlib.Path), not "
                        f"{type(path).__name__} {path!r}.")
    name = os.fsdecode(os.fspath(path))
    real = os.path.realpath(name)
    try:
        mode = os.stat(real).st_mode
    except FileNotFoundError:
        return real
    except OSError:
        return real
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, f"{what}={name!r} is a folder; name a file in "
                                "it, e.g. " + repr(os.path.join(name, "fit.nc")) + ".", name)
    if not stat.S_ISREG(mode):
        kind = ("a FIFO (named pipe)" if stat.S_ISFIFO(mode) else
                "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else
                "a socket" if stat.S_ISSOCK(mode) else "not a regular file")
        raise ValueError(f"{what}={name!r} is {kind}, not a regular file; name a regular "
                         "file to write, e.g. 'fit.nc'.")
    return real


@contextlib.contextmanager
def _temporary_beside(target: str) -> Iterator[str]:
    folder = os.path.dirname(target) or "."
    fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX + os.path.basename(target)[:80] + ".",
                               dir=folder)
    os.close(fd)
    try:
        yield tmp
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _fsync_path(path: str, directory: bool = False) -> None:
    flags = os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        if directory:
            return  # some systems cannot open folders; the rename is still atomic
        raise
    try:
        os.fsync(fd)
    except OSError:
        if not directory:
            raise
    finally:
        os.close(fd)


def _mode_for(target: str) -> int:
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def atomic_write(path: Any, write: Callable[[str], None], what: str = "path") -> str:
    """Write a file through ``write(temporary_path)``, then move it over ``path`` atomically.

    Parameters
    ----------
    path : str, bytes or path-like
        The file to create or replace. A symbolic link is followed.
    write : callable
        Called once with the path of a new, empty temporary file in the same folder; it
        writes the whole content there (and may replace that file).
    what : str, default "path"
        The argument's name, used in error messages.

    Returns
    -------
    str
        The real path written.

    Raises
    ------
    OSError
        The write, the flush or the rename failed (the message names the path and the cause
        in words, and says the previous file is unchanged); ``errno`` is kept.
    KeyboardInterrupt
        Propagated as is; the previous file is unchanged and the temporary file removed.
    """
    target = check_output_path(path, what)
    shown = os.fsdecode(os.fspath(path))
    existed = os.path.exists(target)
    try:
        with _temporary_beside(target) as tmp:
            write(tmp)
            os.chmod(tmp, _mode_for(target))
            _fsync_path(tmp)
            os.replace(tmp, target)
    except OSError as exc:
        raise _named_os_error(exc, shown, existed) from exc
    except RuntimeError as exc:  # HDF5 reports some write failures as RuntimeError
        if _errno_of(exc) is None:
            raise
        raise _named_os_error(exc, shown, existed) from exc
    _fsync_path(os.path.dirname(target) or ".", directory=True)
    return target


def _named_os_error(exc: BaseException, shown: str, existed: bool) -> OSError:
    code = _errno_of(exc)
    kept = ("; the file already there is unchanged" if existed else "; nothing was written")
    return OSError(code, f"Cannot write {shown!r}: {describe_os_error(exc)}{kept}.", shown)
