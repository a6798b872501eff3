"""A Keras-style progress bar: ``12/422 ━━━━━━━━━━━━━━━━━━━━ 3s 6ms/step - loss: 0.51``."""

from __future__ import annotations

import sys
import time


def _format_time(seconds: float) -> str:
    if seconds >= 3600:
        return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"
    if seconds >= 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    return f"{round(seconds)}s"


def _per_step(seconds: float, steps: int) -> str:
    per = seconds / max(steps, 1)
    return f"{per * 1e3:.0f}ms/step" if per >= 1e-3 else f"{per * 1e6:.0f}us/step"


def format_logs(logs: dict) -> str:
    """`` - accuracy: 0.9000 - loss: 0.3000`` with keys sorted as Keras does."""
    return "".join(
        f" - {key}: {value:.4f}"
        for key, value in sorted(logs.items())
        if isinstance(value, (int, float))
    )


class Progbar:
    """Prints progress of ``target`` steps (unknown when None).

    Args:
        target: Number of steps, or None.
        verbose: 1 = live bar (redrawn at most every 0.1 s on terminals), 2 = final line only.
        width: Bar width in characters.
    """

    def __init__(self, target, verbose=1, width=20, stream=None):
        self.target, self.verbose, self.width = target, verbose, width
        self.stream = stream or sys.stdout
        self.start = time.perf_counter()
        self._last_draw = 0.0
        self._dynamic = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.seen = 0

    def _bar(self, current: int) -> str:
        if not self.target:
            return f"{current}/Unknown"
        filled = int(self.width * min(current, self.target) / self.target)
        digits = len(str(self.target))
        return f"{current:>{digits}}/{self.target} " + "━" * filled + "─" * (self.width - filled)

    def update(self, current: int, logs: dict | None = None) -> None:
        """Redraws the live bar (verbose=1) at most every 0.1 s."""
        self.seen = current
        if self.verbose != 1 or not self._dynamic:
            return
        now = time.perf_counter()
        if now - self._last_draw < 0.1:
            return
        self._last_draw = now
        elapsed = now - self.start
        eta = elapsed / current * (self.target - current) if self.target and current else 0
        text = f"\r{self._bar(current)} {_format_time(eta)} {_per_step(elapsed, current)}"
        self.stream.write(text + format_logs(logs or {}))
        self.stream.flush()

    def finish(self, logs: dict | None = None) -> None:
        """Prints the final line of the bar."""
        if not self.verbose:
            return
        elapsed = time.perf_counter() - self.start
        steps = self.seen or self.target or 0
        timing = f"{_format_time(elapsed)} {_per_step(elapsed, steps)}"
        if self.verbose == 1:
            line = f"{self._bar(steps)} {timing}"
        else:
            line = (
                f"{steps}/{self.target or steps} - {_format_time(elapsed)} - "
                f"{_per_step(elapsed, steps)}"
            )
        prefix = "\r" if self._dynamic and self.verbose == 1 else ""
        self.stream.write(prefix + line + format_logs(logs or {}) + "\n")
        self.stream.flush()
