"""The one owner of a model's training.

``Model.compile`` creates a :class:`Trainer`; ``fit``, ``evaluate`` and the ``*_on_batch``
methods run on it. It holds what ``compile`` resolved (one ``OutputSpec`` per output and the
optimizer), the compiled programs (:class:`~kgraph.models.programs.TrainingPrograms`), the
runtime engine that keeps the training state (weights, optimizer slots, metric accumulators) on
the device, and the synchronisation between that state and the model's Variables.

Synchronisation is explicit, at known points, and nothing else moves weights:

- :meth:`push` before a step or an evaluation sends variables written since the last sync (by
  the user, a callback, ``set_weights``, a load) to the engine;
- :meth:`pull` brings the engine's state back into the variables (and the optimizer's slot
  variables): at each epoch end, before a callback hook that may look at the model, at the end
  of training and for saving. Between a step and the next pull the engine is *ahead*.
"""

from __future__ import annotations

import itertools

import numpy as np

from kgraph.models import optimizer_slots
from kgraph.models.compile_specs import loss_order, output_train_specs
from kgraph.models.data import Batches, as_input_arrays, unpack_batch
from kgraph.models.labels import label_shapes, prepare_targets, to_rank
from kgraph.models.loss_override import target_specs
from kgraph.models.programs import TrainingPrograms, step_spec
from kgraph.models.sample_weights import fed_weights, weight_dims
from kgraph.optimizer_iterations import step_count
from kgraph.tensor import Variable, generation
from kgraph.utils import seeds
from kgraph.utils.py_dataset import PyDataset


class Trainer:
    """Training state and programs of one compiled model.

    Args:
        model: The model (built or not; specs resolve once it is built).
        optimizer: A ``kgraph.optimizers.Optimizer``.
        compile_args: ``(loss, loss_weights, metrics, weighted_metrics)`` as given to compile.
    The engine runs on the model's device (``compile(device=...)``, ``"auto"`` by default),
    read when the programs are built.
    """

    def __init__(self, model, optimizer, compile_args):
        self.model, self.optimizer = model, optimizer
        self.compile_args = compile_args
        self._specs = None
        self.user_metrics: dict = {}  # display name -> (output name, the user's function)
        self.user_losses: dict = {}  # output name -> TracedLoss (the user's loss code)
        self.loss_order: list | None = None  # per-output losses' order, when not output order
        self._programs: TrainingPrograms | None = None
        self._eval_data: bytes | None = None
        self.engine = None
        self._synced = -1  # generation() at the last sync
        self._ahead = False  # the engine holds newer values than the variables
        self.with_targets = False  # an override's y holds every output's targets
        self.label_shapes: dict = {}  # output name -> its targets' shape, when not the output's
        self.weight_dims: tuple = ()  # the weights' extra axes, once given per element
        self.tracked = None  # the last loop's results, what model.metrics show
        self.metric_views: dict = {}  # model.metrics' objects, by name
        if model.built:
            self._specs = self._resolve_specs()  # unknown names fail at compile, as in Keras
            if not optimizer.slot_variables:
                optimizer_slots.initial_slots(self.optimizer, self.model)

    # -- compile specs -------------------------------------------------------------------------
    @property
    def specs(self):
        """Per-output loss and metric specs (resolved once the model is built)."""
        if self._specs is None:
            self._specs = self._resolve_specs()
        return self._specs

    def _resolve_specs(self):
        loss, loss_weights, metrics, weighted_metrics = self.compile_args
        shapes = [t.shape for t in self.output_specs()]
        names = self.model._target_names()
        self.user_metrics, self.user_losses = {}, {}
        self.loss_order = loss_order(getattr(self.model, "output", None), loss, names)
        return output_train_specs(
            names,
            shapes,
            loss,
            loss_weights,
            metrics,
            weighted_metrics,
            self.user_metrics,
            self.user_losses,
        )

    def output_specs(self):
        """The model's symbolic outputs, in output order."""
        return self.model._output_specs()

    # -- data ------------------------------------------------------------------------------------
    def prepare(self, x, y, sample_weight, class_weight=None) -> Batches:
        """Numpy inputs, targets and weights as the graphs take them."""
        model = self.model
        model._build_on_data(x)
        xs = as_input_arrays(x, model._trace_inputs(), model.name, model._input_keys())
        shapes = [t.shape for t in self.output_specs()]
        specs, self.with_targets = target_specs(model, self.specs, y)
        ys, sample_weight = prepare_targets(
            y, sample_weight, class_weight, specs, shapes, len(xs[0])
        )
        self.label_shapes = label_shapes(specs, ys, shapes)
        self.weight_dims = weight_dims(sample_weight, self.weight_dims)
        return Batches(xs, ys, sample_weight)

    def batch_source(self, data, batch_size, shuffle):
        """A function ``start(epoch)`` that starts a pass over ``data``: an iterator of
        ``(x, y, sample_weight)`` batches.

        Each epoch of numpy data is shuffled by its own generator, seeded with one draw of
        kgraph's generator (made here) and the epoch number: a run resumed at epoch k
        (``BackupAndRestore``, ``initial_epoch``) from the same script and seed shuffles epoch
        k as the uninterrupted run did. A ``PyDataset``'s batches are shuffled the same way
        (their order), as Keras' ``fit`` reads one.
        """
        reorders = shuffle and isinstance(data, (Batches, PyDataset))
        base = seeds.make_seed() if reorders else 0
        if isinstance(data, Batches):

            def start(epoch=0):
                rng = np.random.default_rng([base, epoch])
                return data(batch_size, shuffle=shuffle, rng=rng)

            return start

        def prepared(item):
            batch = self.prepare(*unpack_batch(item))
            return batch.x, batch.y, batch.sample_weight

        if reorders:
            return lambda epoch=0: map(
                prepared, data.iterate(shuffle=True, rng=np.random.default_rng([base, epoch]))
            )
        return lambda epoch=0: map(prepared, iter(data))

    def iterate(self, data, batch_size, shuffle, steps=None):
        return itertools.islice(self.batch_source(data, batch_size, shuffle)(), steps)

    def feed(self, batch, program) -> dict:
        """The graph inputs of one ``(x, y, sample_weight)`` batch for ``program``."""
        x_list, y_list, sample_weight = batch
        feed = dict(zip(self.model.input_names, x_list))
        wanted = program.batch_inputs  # outputs no loss or metric reads have no label input
        shapes = self._programs.label_shapes if self._programs is not None else {}
        feed.update(
            (s.label_name, to_rank(y, shapes.get(s.name)))
            for s, y in zip(self.specs, y_list)
            if s.label_name in wanted
        )
        dims = self._programs.weight_dims if self._programs is not None else ()
        feed["sample_weight"] = fed_weights(sample_weight, len(x_list[0]), dims)
        return feed

    # -- programs and state ----------------------------------------------------------------------
    def programs(self) -> TrainingPrograms:
        """The compiled programs, (re)built when the set of trainable weights changed (for
        example after ``layer.trainable = False``) or a frozen weight they hold as a constant
        was assigned (``load_weights`` into a frozen base); pending writes are pushed."""
        ids = tuple(id(w) for w in self.model.trainable_weights)
        stale = self._programs is None or self._programs.trainable_ids != ids
        stale = stale or self._programs.with_targets != self.with_targets
        stale = stale or self._programs.label_shapes != self.label_shapes
        stale = stale or self._programs.weight_dims != self.weight_dims
        if not stale and generation() != self._synced:
            stale = self._programs.constants_changed()
        if stale:
            from kgraph.compiler.engine_graph import engine_bytes
            from kgraph.runtime import TrainingEngine
            from kgraph.runtime.nchwc import nchwc_block_for

            self.pull()
            programs = TrainingPrograms(
                self.model,
                self.specs,
                self.optimizer.spec(),
                self.user_losses,
                self.user_metrics,
                self.with_targets,
                self.label_shapes,
                self.weight_dims,
            )
            step = programs.step
            optimizer_slots.track_slots(self.optimizer, self.model, programs)
            state = dict(step.initial_state)
            state.update({v.path: v.numpy() for v in self.optimizer.slot_variables})
            self.engine = TrainingEngine(
                engine_bytes(step, nchwc_block_for(self.model._device)),
                step_spec(step),
                state,
                self.model._device,
            )
            self._programs, self._synced, self._ahead = programs, generation(), False
            self._eval_data = None  # the engine's copy of the eval graph, made on first use
        self.push()
        return self._programs

    def _state_variables(self) -> dict[str, Variable]:
        """Engine state name -> the Variable it mirrors (weights, moving statistics, slots)."""
        programs = self._programs
        found = {p: programs.variables[p] for p in programs.changing}
        found.update({v.path: v for v in self.optimizer.slot_variables})
        return found

    def push(self) -> None:
        """Copies the variables into the engine when any was written since the last sync."""
        if self._programs is not None and generation() != self._synced:
            self.engine.set_state({p: v.numpy() for p, v in self._state_variables().items()})
            self._synced, self._ahead = generation(), False

    def pull(self) -> None:
        """Copies the engine's state into the variables, if the engine is ahead of them."""
        if not self._ahead:
            return
        state = self.engine.get_state()
        for path, variable in self._state_variables().items():
            variable.assign(state[path])
        self._programs.load_trackers(self._programs.step, state)  # compute_loss's trackers
        self._synced, self._ahead = generation(), False

    def reset_metrics(self) -> None:
        """Resets the step graph's metric accumulators (at each epoch start): zeros, or what a
        user metric's ``reset_state`` gives."""
        programs = self.programs()
        initial = {n: v.copy() for n, v in programs.metric_state(programs.step).items()}
        if initial:
            self.engine.set_state(initial)

    # -- steps -----------------------------------------------------------------------------------
    def built_programs(self) -> TrainingPrograms:
        """The programs as last built, without the rebuild check of :meth:`programs` (which
        walks every trainable weight): what a step uses. ``fit`` checks the trainable set at
        its start and at each epoch start, ``train_on_batch`` and ``evaluate`` at theirs."""
        programs = self._programs
        if programs is None or programs.with_targets != self.with_targets:
            return self.programs()  # a dataset's first batch told that targets come
        if (programs.label_shapes, programs.weight_dims) != (self.label_shapes, self.weight_dims):
            return self.programs()  # targets of another shape, or the first per-element weights
        return programs

    def train_step(self, batch) -> dict:
        """One optimizer step on ``(x, y, sample_weight)``; returns the fetched outputs by name.

        The learning rate is read at ``iterations`` (0-based, as in Keras); the graph gets the
        1-based step count used for bias corrections.
        """
        programs = self.built_programs()
        self.push()  # variables a callback wrote since the last step
        optimizer = self.optimizer
        lr = optimizer.current_learning_rate()
        scalars = {"lr": lr, **optimizer.extra_learning_rates()}  # lr:<i>: MultiOptimizer
        optimizer.iterations = step_count(optimizer) + 1
        out = self.engine.run_step(
            self.feed(batch, programs.step), {**scalars, "step": float(step_count(optimizer))}
        )
        self._ahead = True
        if self.tracked is not None:
            self.tracked.fetch = (programs.step, out)
        return out

    def undo_step(self) -> None:
        """Drops the last step (its loss was not finite): the state before it is live again."""
        self.engine.undo_step()
        self.optimizer.iterations = step_count(self.optimizer) - 1

    def _eval_graph(self, programs: TrainingPrograms) -> bytes:
        """The eval graph as this process's engine runs it: frozen convolutions folded, NCHWc
        convolutions, as the step (MobileNetV3Small with a frozen base: evaluate 2.2x faster)."""
        if self._eval_data is None:
            from kgraph.compiler.engine_graph import engine_bytes
            from kgraph.runtime.nchwc import nchwc_block_for

            block = nchwc_block_for(self.model._device)
            self._eval_data = engine_bytes(programs.eval, block, programs.eval_bytes)
        return self._eval_data

    def eval_step(self, batch, state: dict) -> dict:
        """Runs the eval graph on one batch with the live weights; ``state`` holds its metric
        accumulators and is updated in place. Returns the fetched outputs by name."""
        from kgraph.compiler.training import NEW

        programs = self.built_programs()
        self.push()  # variables a callback wrote since the last batch (SwapEMAWeights)
        feed = self.feed(batch, programs.eval)
        out = self.engine.run_eval(self._eval_graph(programs), feed, scalars=state)
        for name in state:
            state[name] = out[name + NEW]
        if self.tracked is not None:
            self.tracked.fetch = (programs.eval, out)
        return out

    def track(self, means, state=None):
        """Makes a loop's loss means (and eval accumulators) what ``model.metrics`` show;
        returns ``means``."""
        from kgraph.models.listed_logs import ListedLogs
        from kgraph.models.loss_override import overrides
        from kgraph.models.tracked_metrics import Tracked

        model = self.model  # Keras logs what model.metrics lists, or compute_metrics returns
        if overrides(model, "metrics") or overrides(model, "compute_metrics"):
            means = ListedLogs(means, self)
        self.tracked = Tracked(means, state)
        return means
