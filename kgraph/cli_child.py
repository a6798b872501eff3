"""Running a user's MODEL.py in a child process for the command line.

A MODEL.py is arbitrary code: it may call ``os._exit(0)``, ``os.chdir`` elsewhere, or crash
the interpreter. ``kgraph compile`` runs it (and the compile) in a fresh Python process
(``python -m kgraph.cli_child``) and gets the result back through a pipe of its own, with what
the child printed, so that such a file is reported as one line instead of ending ``kgraph``
silently with exit code 0, and so that its ``chdir`` cannot move kgraph's output.

A fresh interpreter rather than ``fork``: forking a process that runs threads (onnxruntime's
pools, a test runner, a service calling the CLI in-process) can leave a lock held forever in
the child.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import pickle
import signal
import subprocess
import sys
import traceback


class ChildError(Exception):
    """The work failed in the child: ``exit_code`` 2 for a user error (or the exit code of a
    signal), 1 for an internal one (``details`` then holds the traceback)."""

    def __init__(self, message: str, exit_code: int, details: str = ""):
        super().__init__(message)
        self.exit_code, self.details = exit_code, details


def run_in_child(function: str, args: tuple, model_file: str):
    """Returns ``function(*args)`` (``"module:name"``; picklable arguments and result),
    computed in a child process.

    Raises:
        ChildError: the work raised, or the child ended without sending a result.
    """
    read_fd, write_fd = os.pipe()
    job = pickle.dumps((function, args, write_fd))
    command = [sys.executable, "-m", "kgraph.cli_child"]
    with os.fdopen(read_fd, "rb") as pipe:
        try:
            child = subprocess.Popen(command, stdin=subprocess.PIPE, pass_fds=(write_fd,))
        finally:
            os.close(write_fd)
        try:
            child.stdin.write(job)
            child.stdin.close()
            payload = pipe.read()
            status = child.wait()
        except BaseException:  # Ctrl-C, SIGTERM: the child goes too
            with contextlib.suppress(OSError):
                child.kill()
                child.wait()
            raise
    if not payload:
        raise ChildError(
            f"{model_file} ended the process ({_describe(status)}) before the model was "
            "compiled: a MODEL.py must define the model, not exit",
            2,
        )
    kind, value, printed = pickle.loads(payload)
    sys.stdout.write(printed)  # what MODEL.py and the summary printed, in the parent's stdout
    if kind == "ok":
        return value
    if kind == "user":
        raise ChildError(value[0], value[1])
    raise ChildError(value[0], 1, value[1])


def _describe(status: int) -> str:
    if status < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-status).name}"
        return f"killed by signal {-status}"
    return f"exit code {status}"


def main() -> None:
    """The child: reads the job from stdin, writes ``(kind, value, printed)`` to its pipe."""
    import click

    function, args, fd = pickle.load(sys.stdin.buffer)
    module, name = function.split(":")
    printed = io.StringIO()
    code = 0
    try:
        with contextlib.redirect_stdout(printed):
            result = ("ok", getattr(importlib.import_module(module), name)(*args))
    except click.ClickException as exc:
        result = ("user", (exc.format_message(), exc.exit_code))
    except KeyboardInterrupt:
        result, code = ("user", ("interrupted", 130)), 130
    except BaseException as exc:
        result = ("internal", (f"{type(exc).__name__}: {exc}", traceback.format_exc()))
    with os.fdopen(fd, "wb") as pipe:
        pipe.write(pickle.dumps((*result, printed.getvalue())))
    sys.stdout.flush()
    sys.exit(code)


if __name__ == "__main__":
    main()
