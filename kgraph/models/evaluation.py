"""``evaluate`` and ``test_on_batch`` for ``Model``: the eval graph run over batches, with the
metric accumulators kept on the host between them, Keras' progress output and ``on_test_*``
callbacks (also during ``fit``'s validation).
"""

from __future__ import annotations

import numpy as np

from kgraph.callbacks import CallbackList, ProgbarLogger
from kgraph.models import logs
from kgraph.models.data import checked_batch_size, holds_arrays


class EvaluationMixin:
    """Adds Keras' evaluation API to ``Model`` (used by ``TrainerMixin``)."""

    def evaluate(
        self,
        x=None,
        y=None,
        batch_size=None,
        verbose="auto",
        sample_weight=None,
        steps=None,
        callbacks=None,
        return_dict=False,
    ):
        """Loss and metrics over the data (a scalar loss, or a list, or a dict).

        Args:
            x, y, sample_weight: Numpy data, or ``x`` an iterable of ``(x, y[, w])`` batches.
            batch_size: Samples per batch for numpy data (32 by default).
            verbose: 0 = silent, 1 or "auto" = progress bar, 2 = one line.
            steps: Stop after this many batches.
            callbacks: Callbacks whose ``on_test_*`` hooks run.
            return_dict: Return ``{name: value}`` instead of a value or list.
        """
        self._check_compiled("evaluate")
        batch_size = checked_batch_size(batch_size)
        data = self._prepare(x, y, sample_weight) if holds_arrays(x, y) else x
        verbose = 1 if verbose == "auto" else verbose
        count = data.num_batches(batch_size) if hasattr(data, "num_batches") else None
        count = min(count, steps) if count is not None and steps is not None else count or steps
        cbs = CallbackList(
            [*(callbacks or []), *([ProgbarLogger(verbose)] if verbose else [])],
            model=self,
            steps=count,
            verbose=verbose,
        )
        return self._returned(self._evaluate_data(data, batch_size, steps, cbs), return_dict)

    def _returned(self, results: dict, return_dict: bool):
        return logs.returned(results, return_dict, logs.metrics_names(self._output_train_specs))

    def _evaluate_data(self, data, batch_size, steps=None, cbs=None) -> dict:
        """Runs the eval graph over ``data``; ``cbs`` gets the ``on_test_*`` hooks."""
        setup = self._setup()
        cbs = cbs or CallbackList()
        state = {n: np.zeros_like(v) for n, v in setup.eval_metric_state.items()}
        means, out = logs.LossMeans(), None
        cbs.on_test_begin({})
        for index, (bx, by, bsw) in enumerate(self._iterate(data, batch_size, False, steps)):
            cbs.on_test_batch_begin(index, {})
            out = setup.eval_step(self._feed(bx, by, bsw, setup.eval), state)
            means.update(logs.losses(setup.eval, out), len(bx[0]))
            cbs.on_test_batch_end(index, means.logs(setup.eval, out))
        if out is None:
            raise ValueError("evaluate() received no data.")
        results = means.logs(setup.eval, out)
        cbs.on_test_end(results)
        return results

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Loss (and metrics) on one batch, without updating weights."""
        self._check_compiled("test_on_batch")
        data = self._prepare(x, y, sample_weight)
        return self._returned(self._evaluate_data(data, data.size), return_dict)
