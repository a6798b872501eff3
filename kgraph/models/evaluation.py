"""Evaluation on a :class:`~kgraph.models.trainer.Trainer`: the eval graph run over batches with
the live weights, the metric accumulators kept on the host between batches, Keras' progress
output and ``on_test_*`` callbacks (also during ``fit``'s validation).
"""

from __future__ import annotations

from kgraph.callbacks import CallbackList, ProgbarLogger
from kgraph.models import logs


def test_callbacks(trainer, callbacks, verbose, count) -> CallbackList:
    """The callbacks of an ``evaluate`` call (with its own progress bar)."""
    return CallbackList(
        [*(callbacks or []), *([ProgbarLogger(verbose)] if verbose else [])],
        model=trainer.model,
        sync=trainer.pull,
        steps=count,
        verbose=verbose,
    )


def evaluate_data(trainer, data, batch_size, steps=None, cbs=None) -> dict:
    """Runs the eval graph over ``data``; ``cbs`` gets the ``on_test_*`` hooks.

    Returns Keras' logs: ``loss``, the metrics, then the per-output losses.
    """
    programs = trainer.programs()
    program = programs.eval
    cbs = cbs or CallbackList()
    state = {n: v.copy() for n, v in programs.metric_state(program).items()}
    means, out = trainer.track(logs.LossMeans(), state), None
    cbs.on_test_begin({})
    for index, batch in enumerate(trainer.iterate(data, batch_size, False, steps)):
        cbs.on_test_batch_begin(index, {})
        out = trainer.eval_step(batch, state)
        means.update(logs.losses(program, out), len(batch[0][0]))
        cbs.on_test_batch_end(index, means.logs(program, out))
    if out is None:
        raise ValueError("evaluate() received no data.")
    results = means.logs(program, out)
    cbs.on_test_end(results)
    return results


def returned(trainer, results: dict, return_dict: bool):
    """What ``evaluate`` and the ``*_on_batch`` methods return (Keras' order)."""
    return logs.returned(
        results, return_dict, logs.metrics_names(trainer.specs, trainer.loss_order)
    )
