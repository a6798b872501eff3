"""A Keras-style progress bar: ``12/422 ━━━━━━━━━━━━━━━━━━━━ 3s 6ms/step - loss: 0.51``.

Two ways in. Keras' API (``keras.utils.Progbar``): ``update(current, values)`` with ``values``
a list of ``(name, value_for_last_step)`` pairs, averaged over steps unless the name is a
stateful metric, and the final line printed when ``current`` reaches ``target`` (or on
``finalize=True``); ``add(n, values)``. kgraph's training loop passes its logs as a dict (already
running means, shown as they are, sorted) and ends the bar with :meth:`finish`.
"""

from __future__ import annotations

import sys
import time

from kgraph.utils.keras_utils import is_interactive_logging_enabled


def _format_time(seconds: float) -> str:
    if seconds >= 3600:
        return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"
    if seconds >= 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    return f"{round(seconds)}s"


def _per_step(seconds: float, steps: int, unit: str = "step") -> str:
    per = seconds / max(steps, 1)
    if per >= 1:
        return f"{per:.0f}s/{unit}"
    return f"{per * 1e3:.0f}ms/{unit}" if per >= 1e-3 else f"{per * 1e6:.0f}us/{unit}"


def format_logs(logs: dict) -> str:
    """`` - accuracy: 0.9000 - loss: 0.3000`` with keys sorted as Keras does."""
    return "".join(
        f" - {key}: {value:.4f}"
        for key, value in sorted(logs.items())
        if isinstance(value, (int, float))
    )


class Progbar:
    """Displays a progress bar (Keras' ``keras.utils.Progbar``).

    Args:
        target: Total number of steps, or None when unknown.
        width: Bar width in characters.
        verbose: 0 = silent, 1 = live bar (redrawn at most every ``interval`` seconds on
            terminals), 2 = the final line only.
        interval: Minimum seconds between redraws.
        stateful_metrics: Names shown as given (not averaged over steps).
        stateless_metrics: Names averaged over steps (all others shown as given); at most one
            of the two lists may be set.
        unit_name: Name of a step in the timing (``"step"``, ``"sample"``).
        stream: Where to write (``sys.stdout`` by default).
    """

    def __init__(
        self,
        target,
        width=20,
        verbose=1,
        interval=0.05,
        stateful_metrics=None,
        stateless_metrics=None,
        unit_name="step",
        stream=None,
    ):
        if stateful_metrics is not None and stateless_metrics is not None:
            raise ValueError(
                "Only one of `stateful_metrics` or `stateless_metrics` can be provided. "
                f"Received: stateful_metrics={stateful_metrics}, "
                f"stateless_metrics={stateless_metrics}"
            )
        self.target, self.width, self.verbose = target, width, verbose
        self.interval, self.unit_name = interval, unit_name
        self.stateful_metrics = set(stateful_metrics or ())
        self.stateless_metrics = None if stateless_metrics is None else set(stateless_metrics)
        self.stream = stream or sys.stdout
        self.start = time.perf_counter()
        self._last_draw = 0.0
        self._dynamic = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.seen = 0
        self._values: dict[str, list] = {}  # name -> [sum, count] (count 1: shown as is)
        self._finalized = False

    def _averaged(self, name: str) -> bool:
        if self.stateless_metrics is not None:
            return name in self.stateless_metrics
        return name not in self.stateful_metrics

    def _record(self, current: int, values, finalize: bool) -> None:
        for name, value in values:
            if self._averaged(name) and not finalize:
                base = max(current - self.seen, 1)
                total, count = self._values.get(name, [0.0, 0])
                self._values[name] = [total + float(value) * base, count + base]
            else:
                self._values[name] = [value, 1]

    def _values_text(self) -> str:
        text = ""
        for name, (total, count) in self._values.items():
            try:
                avg = float(total) / max(1, count)
            except (TypeError, ValueError):
                text += f" - {name}: {total}"
                continue
            text += f" - {name}: {avg:.4f}" if abs(avg) > 1e-3 else f" - {name}: {avg:.4e}"
        return text

    def _bar(self, current: int) -> str:
        if not self.target:
            return f"{current}/Unknown"
        filled = int(self.width * min(current, self.target) / self.target)
        digits = len(str(self.target))
        return f"{current:>{digits}}/{self.target} " + "━" * filled + "─" * (self.width - filled)

    def update(self, current: int, values=None, finalize=None) -> None:
        """Moves the bar to step ``current``.

        Args:
            current: Index of the current step.
            values: ``[(name, value_for_last_step), ...]`` (Keras) or a dict of logs shown
                as they are.
            finalize: Whether this is the last update; by default when ``current`` reaches
                ``target`` (never for a dict of logs: :meth:`finish` ends those).
        """
        logs = values if isinstance(values, dict) else None
        if finalize is None:
            finalize = logs is None and self.target is not None and current >= self.target
        if logs is None:
            self._record(current, values or [], finalize)
        self.seen = current
        if finalize:
            self._final_line(logs)
            return
        if self.verbose != 1 or not self._dynamic or not is_interactive_logging_enabled():
            return
        now = time.perf_counter()
        if now - self._last_draw < self.interval:
            return
        self._last_draw = now
        elapsed = now - self.start
        eta = elapsed / current * (self.target - current) if self.target and current else 0
        timing = f"{_format_time(eta)} {_per_step(elapsed, current, self.unit_name)}"
        extra = format_logs(logs) if logs is not None else self._values_text()
        self.stream.write(f"\r{self._bar(current)} {timing}{extra}")
        self.stream.flush()

    def add(self, n: int, values=None) -> None:
        """Advances the bar by ``n`` steps."""
        self.update(self.seen + n, values)

    def finish(self, logs: dict | None = None) -> None:
        """Prints the final line of the bar (once, unless new ``logs`` come)."""
        if self._finalized and not logs:
            return
        self._final_line(logs)

    def _final_line(self, logs: dict | None) -> None:
        self._finalized = True
        if not self.verbose:
            return
        elapsed = time.perf_counter() - self.start
        steps = self.seen or self.target or 0
        timing = f"{_format_time(elapsed)} {_per_step(elapsed, steps, self.unit_name)}"
        if self.verbose == 1:
            line = f"{self._bar(steps)} {timing}"
        else:
            line = (
                f"{steps}/{self.target or steps} - {_format_time(elapsed)} - "
                f"{_per_step(elapsed, steps, self.unit_name)}"
            )
        extra = format_logs(logs) if logs is not None else self._values_text()
        prefix = "\r" if self._dynamic and self.verbose == 1 else ""
        self.stream.write(prefix + line + extra + "\n")
        self.stream.flush()
