"""The command line's user errors and output files.

Every output is written atomically (temporary file, then rename) after early checks, so a
failed command never leaves a partial file and never replaces a file the user protected or gave
as an input.
"""

from __future__ import annotations

import contextlib
import os
import tempfile

import click


class UserError(click.ClickException):
    """A problem with the user's input: one line on stderr, exit code 2."""

    exit_code = 2


class Stopped(click.ClickException):
    """Ctrl-C (exit code 130) or SIGTERM (143): one line; temporary files are removed on the
    way out (the writers clean up on any exception)."""

    def __init__(self, message: str, exit_code: int):
        super().__init__(message)
        self.exit_code = exit_code


def terminate(signum, frame):
    """SIGTERM handler: ends the command as an exception, so writers remove their temporaries."""
    raise Stopped("terminated", 128 + signum)


def human_size(size: int) -> str:
    for exponent, unit in ((3, "GB"), (2, "MB"), (1, "KB")):
        if size >= 1024**exponent:
            return f"{size / 1024**exponent:.1f} {unit}"
    return f"{size} B"


def check_output(path: str, *inputs: str) -> None:
    """Fails early (before any slow work) when ``path`` cannot be written, is write-protected
    or is one of the command's ``inputs`` (the user's file would be lost)."""
    if not path.strip():
        raise UserError("-o/--output is empty: give the file to write")
    folder = os.path.dirname(os.path.realpath(path))
    for source in inputs:
        if os.path.exists(path) and os.path.exists(source) and os.path.samefile(path, source):
            raise UserError(f"cannot write {path}: it is the input file {source}")
    if os.path.isdir(path):
        raise UserError(f"cannot write {path}: it is a directory")
    if not os.path.isdir(folder):
        raise UserError(
            f"cannot write {path}: directory {os.path.dirname(path) or '.'} does not exist"
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UserError(f"cannot write {path}: permission denied")
    if os.path.isfile(path) and not os.stat(path).st_mode & 0o222:
        raise UserError(
            f"cannot write {path}: the file is write-protected (chmod u+w to replace it)"
        )


def write(data: bytes, path: str) -> None:
    """Writes ``data`` atomically with the mode a plain ``open`` would have given the file."""
    from kgraph.compiler.serde import save_bytes

    mode = os.stat(path).st_mode & 0o7777 if os.path.exists(path) else None
    try:
        save_bytes(data, path)  # a new file gets the mode that umask gives
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None
    if mode is not None:
        with contextlib.suppress(OSError):
            os.chmod(path, mode)


TEMP_PREFIX = ".kgraph-"  # as compiler/serde.py names them: ``.kgraph-<pid>-<random>.tmp``


def new_temporary(path: str) -> str:
    """Creates an empty temporary file in ``path``'s folder, named as kgraph names them (so a
    killed run's leftovers are removed by the next write), and returns its name.

    Stale temporaries are removed first; ``compiler.serde`` (which imports onnx) is only
    imported when there are some, so that ``kgraph predict`` stays light.
    """
    folder = os.path.dirname(os.path.realpath(path))
    with contextlib.suppress(OSError):
        own = f"{TEMP_PREFIX}{os.getpid()}-"
        names = os.listdir(folder)
        if any(n.startswith(TEMP_PREFIX) and not n.startswith(own) for n in names):
            from kgraph.compiler.serde import remove_stale_temporaries

            remove_stale_temporaries(folder)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None
    os.close(fd)
    return tmp


@contextlib.contextmanager
def temporary_beside(path: str):
    """Yields a :func:`new_temporary` that is removed if the block fails."""
    tmp = new_temporary(path)
    try:
        yield tmp
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def replace_with(tmp: str, path: str) -> None:
    """Renames the finished temporary ``tmp`` over ``path`` with the mode a plain ``open``
    would have given it (an existing file keeps its mode)."""
    if os.path.exists(path):
        mode = os.stat(path).st_mode & 0o7777
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    try:
        os.chmod(tmp, mode)
        os.replace(tmp, os.path.realpath(path))
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None
