"""Writing a set of files into a folder as a whole: after a failure or a kill, the folder holds
either the complete old set or the complete new one, never a mix.

The new set is built in a staging folder beside the target (``.kgraph-<pid>-*.tmp``, the naming
``compiler.serde.remove_stale_temporaries`` clears after a kill), together with hard links to
the target's other files, and then swapped with the target in one ``renameat2(RENAME_EXCHANGE)``
(Linux). Where that call does not exist, or the target holds sub-folders, each file is renamed
into place in turn after all were written (a kill between two renames can mix the sets there).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import shutil
import tempfile

from kgraph.compiler.serde import TEMP_PREFIX, remove_stale_temporaries

_AT_FDCWD, _RENAME_EXCHANGE = -100, 2


def write_file_set(outdir: str, payloads: dict[str, bytes]) -> None:
    """Writes ``{file name: bytes}`` into ``outdir`` (created if missing) as one change."""
    if os.path.exists(outdir) and not os.path.isdir(outdir):
        raise NotADirectoryError(errno.ENOTDIR, "not a directory", outdir)
    parent = os.path.dirname(os.path.abspath(outdir))
    remove_stale_temporaries(parent)
    if os.path.isdir(outdir) and any(e.is_dir() for e in os.scandir(outdir)):
        return _rename_each(outdir, payloads)
    try:
        staging = tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-", suffix=".tmp", dir=parent)
    except OSError:
        return _rename_each(outdir, payloads)
    try:
        _fill(staging, outdir, payloads)
        if not os.path.exists(outdir):
            os.rename(staging, outdir)
            return None
        if not _exchange(staging, outdir):
            shutil.rmtree(staging)
            return _rename_each(outdir, payloads)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(staging, ignore_errors=True)  # now the old set
    return None


def _fill(staging: str, outdir: str, payloads: dict[str, bytes]) -> None:
    """The new folder: the payloads, links to the target's other files, the target's mode."""
    umask = os.umask(0)
    os.umask(umask)
    for name, data in payloads.items():
        path = os.path.join(staging, name)
        with open(path, "wb") as file:
            file.write(data)
        os.chmod(path, 0o666 & ~umask)
    mode = 0o777 & ~umask
    if os.path.isdir(outdir):
        mode = os.stat(outdir).st_mode & 0o7777
        for entry in os.scandir(outdir):
            if entry.name not in payloads:
                target = os.path.join(staging, entry.name)
                try:
                    os.link(entry.path, target, follow_symlinks=False)
                except OSError:
                    shutil.copy2(entry.path, target, follow_symlinks=False)
    os.chmod(staging, mode)


def _exchange(a: str, b: str) -> bool:
    """Swaps two paths atomically; False where the system has no such call."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    done = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if done == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), b)


def _rename_each(outdir: str, payloads: dict[str, bytes]) -> None:
    """Every file to a temporary name first, then each renamed into place."""
    created = not os.path.isdir(outdir)
    os.makedirs(outdir, exist_ok=True)
    umask = os.umask(0)
    os.umask(umask)
    staged = []
    try:
        for name, data in payloads.items():
            fd, tmp = tempfile.mkstemp(
                prefix=f"{TEMP_PREFIX}{os.getpid()}-", suffix=".tmp", dir=outdir
            )
            staged.append((tmp, os.path.join(outdir, name)))
            with os.fdopen(fd, "wb") as file:
                file.write(data)
            os.chmod(tmp, 0o666 & ~umask)
        for tmp, path in staged:
            os.replace(tmp, path)
    except BaseException:
        for tmp, _ in staged:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        if created:
            with contextlib.suppress(OSError):
                os.rmdir(outdir)
        raise
