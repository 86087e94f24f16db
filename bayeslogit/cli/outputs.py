"""The command's output files: checked before the fit, written only after it, all or none.

:func:`check_outputs` refuses, before anything is fitted, an output that names the input data
(through a symbolic or hard link, or ``sub/../data.csv``: the files themselves are compared),
both outputs naming one file, a folder, a FIFO, a socket or a device (``--json /dev/null``
excepted), a missing or read-only folder, a read-only file, a name too long for the file
system and a name holding control characters. It opens nothing, so a FIFO nobody reads
cannot block the command. :class:`Outputs` then writes each output to a temporary file
beside its target and, once every one is complete, renames them over their targets with
Ctrl-C deferred for those few renames: an interrupt or an error before that leaves no new
file and every old one as it was.
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import tempfile
import threading
from collections.abc import Callable, Iterator
from typing import Any

from ..files import TEMP_PREFIX, describe_os_error, same_file
from ..results.report import printable
from .arguments import CLIError

__all__ = ["check_outputs", "Outputs", "discards", "watch_interrupts", "raise_if_interrupted"]

_INTERRUPTED = threading.Event()


def _on_sigint(signum: int, frame: Any) -> None:
    _INTERRUPTED.set()
    signal.default_int_handler(signum, frame)


@contextlib.contextmanager
def watch_interrupts() -> Iterator[None]:
    """Remember a Ctrl-C even when a library catches its ``KeyboardInterrupt`` and returns.

    Within the block, SIGINT raises ``KeyboardInterrupt`` as usual and is also recorded, so
    that :func:`raise_if_interrupted` refuses to write the outputs of a run that a library
    cut short and returned as if complete. Only in the main thread; elsewhere a no-op.
    """
    _INTERRUPTED.clear()
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, _on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        _INTERRUPTED.clear()


def raise_if_interrupted() -> None:
    """Raise ``KeyboardInterrupt`` if Ctrl-C was pressed since :func:`watch_interrupts`."""
    if _INTERRUPTED.is_set():
        raise KeyboardInterrupt


def discards(path: str) -> bool:
    """Return True when ``path`` is the null device (``/dev/null``): written directly."""
    try:
        return os.path.exists(path) and same_file(path, os.devnull)
    except (OSError, ValueError):
        return False


def _name_max(folder: str) -> int:
    try:
        return int(os.pathconf(folder, "PC_NAME_MAX"))
    except (OSError, ValueError, AttributeError):
        return 255


def _check_one(flag: str, path: str, data: str) -> None:
    shown = printable(path, newlines=False)
    if path == "-":
        if flag == "--json":
            return
        raise CLIError(f"{flag} -: a saved fit is a binary netCDF file and cannot go to "
                       "standard output; give a file name, e.g. --save fit.nc")
    if printable(path, newlines=False) != path:
        raise CLIError(f"{flag} {shown}: the file name holds control characters (a line break "
                       "or a terminal escape); give a plain name, e.g. --save fit.nc")
    if flag == "--json" and discards(path):
        return
    limit = _name_max(os.path.dirname(os.path.abspath(path)) or ".")
    if any(len(part.encode(errors="surrogateescape")) > limit
           for part in os.path.abspath(path).split(os.sep)):
        raise CLIError(f"{flag} {shown[:60]}...: a name in the path is longer than the "
                       f"{limit} bytes the file system allows; give a shorter name")
    if data != "-" and os.path.exists(path) and same_file(path, data):
        alias = "" if os.path.abspath(path) == os.path.abspath(data) else \
            f" {printable(data, False)} (the same file under another name)"
        raise CLIError(f"{flag} {shown} would overwrite the input data{alias}; choose another "
                       "file")
    real = os.path.realpath(path)
    folder = os.path.dirname(real)
    try:
        mode = os.stat(real).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise CLIError(f"{flag} {shown}: {describe_os_error(exc)}; choose another file") \
            from exc
    if mode is not None and stat.S_ISDIR(mode):
        raise CLIError(f"{flag} {shown}: is a directory; give a file name in it, e.g. "
                       f"{flag} {os.path.join(path, 'fit.nc' if flag == '--save' else 'fit.json')}")
    if mode is not None and not stat.S_ISREG(mode):
        kind = ("a FIFO (named pipe)" if stat.S_ISFIFO(mode) else
                "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else
                "a socket" if stat.S_ISSOCK(mode) else "not a regular file")
        extra = " (--json - writes to standard output)" if flag == "--json" else ""
        raise CLIError(f"{flag} {shown}: is {kind}, not a regular file; give a file name"
                       f"{extra}")
    if not os.path.isdir(folder):
        raise CLIError(f"{flag} {shown}: the folder {folder} does not exist; create it first")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise CLIError(f"{flag} {shown}: the folder {folder} is not writable; choose a "
                       "writable location")
    if mode is not None and not os.access(real, os.W_OK):
        raise CLIError(f"{flag} {shown}: the file is read-only; choose another file or make "
                       "it writable")


def check_outputs(json_path: str | None, save_path: str | None, data: str) -> None:
    """Refuse output paths that cannot be written, before the (possibly long) fit.

    Parameters
    ----------
    json_path, save_path : str or None
        The ``--json`` and ``--save`` values (``"-"``: standard output, ``--json`` only).
    data : str
        The input data path (``"-"``: standard input).

    Raises
    ------
    CLIError
        The input file under any name, both options naming one file, a folder, a FIFO,
        a socket or a device (but ``--json /dev/null``), a missing or read-only folder, a
        read-only file, a name too long or holding control characters, ``--save -``.
    """
    given = {flag: path for flag, path in (("--json", json_path), ("--save", save_path))
             if path is not None}
    for flag, path in given.items():
        _check_one(flag, path, data)
    if json_path and save_path and "-" not in (json_path, save_path) and not \
            discards(json_path) and (
            os.path.realpath(json_path) == os.path.realpath(save_path)
            or (os.path.exists(json_path) and same_file(json_path, save_path))):
        raise CLIError(f"--json and --save both name {printable(json_path, False)}; give two "
                       "files")


@contextlib.contextmanager
def _sigint_deferred() -> Iterator[list[int]]:
    """Hold Ctrl-C while the outputs are renamed into place (main thread only)."""
    caught: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield caught
        return
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield caught
    finally:
        signal.signal(signal.SIGINT, previous)


class Outputs:
    """Output files staged as temporary files and renamed into place together.

    Use as a context manager: :meth:`stage` each output, then :meth:`commit`; leaving the
    block without a commit (an error, ``KeyboardInterrupt``) removes every temporary file.
    """

    def __init__(self) -> None:
        self._staged: list[tuple[str, str, str]] = []  # (flag, target, temporary)

    def __enter__(self) -> Outputs:
        return self

    def __exit__(self, *exc: Any) -> None:
        for _, _, tmp in self._staged:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        self._staged.clear()

    def stage(self, flag: str, path: str, write: Callable[[str], None]) -> None:
        """Write one output to a temporary file beside ``path`` via ``write(temporary)``.

        Parameters
        ----------
        flag : str
            The option (``"--json"``, ``"--save"``), for messages.
        path : str
            The target file.
        write : callable
            Writes the whole content to the path it is given.

        Raises
        ------
        CLIError
            The write failed (disk full, permission...): the message says why in words.
        """
        target = os.path.realpath(path)
        suffix = os.path.splitext(target)[1]
        try:
            fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX + os.path.basename(target)[:60] + ".",
                                       suffix=suffix, dir=os.path.dirname(target))
            os.close(fd)
        except OSError as exc:
            raise CLIError(f"{flag} {printable(path, False)}: cannot write there: "
                           f"{describe_os_error(exc)}") from exc
        self._staged.append((flag, target, tmp))
        try:
            write(tmp)
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
        except (OSError, RuntimeError) as exc:
            raise CLIError(f"{flag} {printable(path, False)}: {describe_os_error(exc)}; "
                           "nothing was written") from exc
        try:
            os.chmod(tmp, stat.S_IMODE(os.stat(target).st_mode))
        except OSError:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)

    def commit(self) -> None:
        """Rename every staged file over its target, Ctrl-C held for those renames.

        Raises
        ------
        CLIError
            A rename failed (the message names what was written and what was not).
        """
        done: list[str] = []
        raise_if_interrupted()
        with _sigint_deferred():
            for flag, target, tmp in list(self._staged):
                try:
                    os.replace(tmp, target)
                except OSError as exc:
                    wrote = f" ({', '.join(done)} written)" if done else ""
                    raise CLIError(f"{flag} {printable(target, False)}: "
                                   f"{describe_os_error(exc)}{wrote}") from exc
                self._staged.remove((flag, target, tmp))
                done.append(flag)
                folder = os.open(os.path.dirname(target), os.O_RDONLY)
                try:
                    with contextlib.suppress(OSError):
                        os.fsync(folder)
                finally:
                    os.close(folder)
