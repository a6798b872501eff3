"""Running a user's MODEL.py in a child process for the command line.

A MODEL.py is arbitrary code: it may call ``os._exit(0)``, ``os.chdir`` elsewhere, or crash
the interpreter. ``kgraph compile`` runs it (and the compile) in a forked child and gets the
result back through a pipe, with what the child printed, so that such a file is reported as one
line instead of ending ``kgraph`` silently with exit code 0, and so that its ``chdir`` cannot
move kgraph's output.
Where ``os.fork`` does not exist, the work runs in-process.
"""

from __future__ import annotations

import contextlib
import io
import os
import pickle
import signal
import sys
import traceback


class ChildError(Exception):
    """The work failed in the child: ``exit_code`` 2 for a user error, 1 for an internal one
    (``details`` then holds the traceback)."""

    def __init__(self, message: str, exit_code: int, details: str = ""):
        super().__init__(message)
        self.exit_code, self.details = exit_code, details


def _child(work, user_errors: tuple, write_fd: int) -> None:
    """Runs ``work`` and writes ``(kind, payload)`` to the pipe; never returns."""
    code, printed = 0, io.StringIO()
    try:
        try:
            with contextlib.redirect_stdout(printed):
                result = ("ok", work())
        except user_errors as exc:
            result = ("user", (exc.format_message(), exc.exit_code))
        except KeyboardInterrupt:
            result, code = ("user", ("interrupted", 130)), 130
        except BaseException as exc:
            name = type(exc).__name__
            result = ("internal", (f"{name}: {exc}", traceback.format_exc()))
        payload = pickle.dumps((*result, printed.getvalue()))
        with os.fdopen(write_fd, "wb") as pipe:
            pipe.write(payload)
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def run_in_child(work, model_file: str, user_errors: tuple):
    """Returns ``work()``'s result (picklable), computed in a forked child.

    Args:
        work: The function that runs the user's file and compiles it.
        model_file: The file, for the message when the child ends without a result.
        user_errors: Exception types whose ``format_message()`` / ``exit_code`` are reported
            as user errors (the CLI's click exceptions).

    Raises:
        ChildError: the work raised, or the child ended without sending a result.
    """
    if not hasattr(os, "fork"):
        return work()
    sys.stdout.flush()
    sys.stderr.flush()
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child ends in os._exit
        os.close(read_fd)
        _child(work, user_errors, write_fd)
    os.close(write_fd)
    try:
        with os.fdopen(read_fd, "rb") as pipe:
            payload = pipe.read()
        _, status = os.waitpid(pid, 0)
    except BaseException:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        raise
    if not payload:
        raise ChildError(
            f"{model_file} ended the process ({_describe_status(status)}) before the model "
            "was compiled: a MODEL.py must define the model, not exit",
            2,
        )
    kind, value, printed = pickle.loads(payload)
    sys.stdout.write(printed)  # what MODEL.py and the summary printed, in the parent's stdout
    if kind == "ok":
        return value
    if kind == "user":
        raise ChildError(value[0], value[1])
    raise ChildError(value[0], 1, value[1])


def _describe_status(status: int) -> str:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(number).name}"
        return f"killed by signal {number}"
    return f"exit code {os.WEXITSTATUS(status)}"
