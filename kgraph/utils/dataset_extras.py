"""More of ``tf.data.Dataset``'s methods that Keras examples call: ``from_tensors``,
``from_generator``, ``padded_batch``, ``flat_map``, ``take_while``, ``shard``, ``apply``,
``reduce`` and ``get_single_element``.

They are a base class of ``kgraph.utils.Dataset`` (kept apart to keep each file small): the
sources build the class they are called on, the transformations go through ``_derive`` and,
like the rest of ``Dataset``, are lazy and re-iterable.
"""

from __future__ import annotations

import itertools

import numpy as np

from kgraph.utils import dataset_iterators as its
from kgraph.utils import tree

UNKNOWN = -2


def lists_to_arrays(structure):
    """Lists in ``structure`` that numpy reads as one regular array become that array."""
    if isinstance(structure, list):
        try:
            array = np.asarray(structure)
        except ValueError:  # ragged
            array = None
        if array is not None and array.dtype != object:
            return array
        return [lists_to_arrays(item) for item in structure]
    if isinstance(structure, tuple):
        return type(structure)(lists_to_arrays(item) for item in structure)
    if isinstance(structure, dict):
        return {key: lists_to_arrays(value) for key, value in structure.items()}
    return structure


def _positive(value, name):
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive integer. Received: {name}={value!r}")
    return int(value)


def _call(fn, element):
    return fn(*element) if isinstance(element, tuple) else fn(element)


def _pad_value(value, dtype):
    if value is not None:
        return value
    return "" if np.dtype(dtype).kind in "USO" else 0


def _padded_stack(column, shape, value):
    """Leaves of one component padded at their ends to ``shape`` (None or -1: the largest
    in the batch) and stacked."""
    arrays = [np.asarray(leaf) for leaf in column]
    ranks = {a.ndim for a in arrays}
    if len(ranks) > 1:
        raise ValueError(f"padded_batch needs components of one rank; received ranks {ranks}.")
    longest = np.max([a.shape for a in arrays], axis=0) if arrays[0].ndim else ()
    target = (
        tuple(longest)
        if shape is None
        else tuple(int(m) if s is None or s == -1 else int(s) for s, m in zip(shape, longest))
    )
    if len(target) != arrays[0].ndim:
        raise ValueError(
            f"padded_shapes must have rank {arrays[0].ndim} for this component. "
            f"Received: padded_shapes={shape}"
        )
    out = np.full((len(arrays), *target), _pad_value(value, arrays[0].dtype), arrays[0].dtype)
    for i, a in enumerate(arrays):
        if any(n > t for n, t in zip(a.shape, target)):
            raise ValueError(
                f"An element of shape {a.shape} is larger than padded_shapes {target}."
            )
        out[(i, *(slice(0, n) for n in a.shape))] = a
    return its.element_array(out)


def _shapes_for(element, padded_shapes):
    """One padded shape (or None) per leaf of ``element``."""
    leaves = tree.flatten(element)
    if padded_shapes is None:
        return [None] * len(leaves)
    if isinstance(element, (tuple, dict)):
        return [None if s is None else tuple(s) for s in _shape_leaves(padded_shapes)]
    return [tuple(padded_shapes)]


def _shape_leaves(structure):
    """Leaves of a structure of shapes: a list or tuple of ints / None is one shape."""
    if isinstance(structure, dict):
        return [shape for key in sorted(structure) for shape in _shape_leaves(structure[key])]
    if isinstance(structure, tuple) and any(isinstance(s, (list, tuple, dict)) for s in structure):
        return [shape for s in structure for shape in _shape_leaves(s)]
    return [structure]


class DatasetExtras:
    """tf.data's less frequent methods, mixed into ``Dataset``."""

    # -- sources ---------------------------------------------------------------------------
    @classmethod
    def from_tensors(cls, tensors, name=None):
        """A dataset of one element: ``tensors`` itself (its leaves as numpy arrays)."""
        element = its.to_numpy(tensors)
        return cls(lambda _: iter([element]), 1)

    @classmethod
    def from_generator(
        cls,
        generator,
        output_types=None,
        output_shapes=None,
        args=None,
        output_signature=None,
        name=None,
    ):
        """The elements a new call of ``generator(*args)`` yields, on every pass. The type
        and shape arguments are accepted (numpy elements carry their own)."""
        if not callable(generator):
            raise TypeError(
                f"`generator` must be a Python callable. Received: generator={generator!r}"
            )
        arguments = tuple(args or ())
        return cls(lambda _: (its.to_numpy(e) for e in generator(*arguments)), UNKNOWN)

    # -- transformations -------------------------------------------------------------------
    def apply(self, transformation_func, name=None):
        """``transformation_func(self)``."""
        return transformation_func(self)

    def padded_batch(
        self,
        batch_size,
        padded_shapes=None,
        padding_values=None,
        drop_remainder=False,
        name=None,
    ):
        """Batches elements of different shapes, padding each component at its end to the
        largest in the batch (or to ``padded_shapes``, where None / -1 means the largest)
        with ``padding_values`` (0, or "" for strings)."""
        batch_size = _positive(batch_size, "batch_size")

        def pad(chunk):
            first = chunk[0]
            shapes = _shapes_for(first, padded_shapes)
            columns = list(zip(*(tree.flatten(e) for e in chunk)))
            values = (
                tree.flatten(padding_values)
                if isinstance(padding_values, (tuple, list, dict))
                else [padding_values] * len(columns)
            )
            leaves = [
                _padded_stack(column, shape, value)
                for column, shape, value in zip(columns, shapes, values)
            ]
            return tree.pack_like(first, leaves)

        def make(_):
            iterator = iter(self)
            while True:
                chunk = list(itertools.islice(iterator, batch_size))
                if not chunk or (drop_remainder and len(chunk) < batch_size):
                    return
                yield pad(chunk)

        count = self._cardinality
        if count >= 0:
            count = count // batch_size if drop_remainder else -(-count // batch_size)
        return self._derive(make, count)

    def flat_map(self, map_func, name=None):
        """The elements of the datasets ``map_func`` returns for each element, in turn."""
        return self._derive(
            lambda _: (e for element in self for e in _call(map_func, element)), UNKNOWN
        )

    def take_while(self, predicate, name=None):
        """The elements up to the first for which ``predicate`` is False."""
        return self._derive(
            lambda _: itertools.takewhile(
                lambda e: bool(np.asarray(_call(predicate, e))), iter(self)
            ),
            UNKNOWN,
        )

    def shard(self, num_shards, index, name=None):
        """Every ``num_shards``-th element, starting with element ``index``."""
        num_shards = _positive(num_shards, "num_shards")
        if not isinstance(index, (int, np.integer)) or not 0 <= index < num_shards:
            raise ValueError(
                f"index must be in [0, num_shards={num_shards}). Received: index={index!r}"
            )
        count = self._cardinality
        if count >= 0:
            count = max(0, -(-(count - index) // num_shards))
        return self._derive(lambda _: itertools.islice(iter(self), index, None, num_shards), count)

    # -- reductions ------------------------------------------------------------------------
    def reduce(self, initial_state, reduce_func, name=None):
        """Folds the elements into a state: ``reduce_func(state, element)`` for each."""
        state = its.to_numpy(initial_state)
        for element in self:
            state = its.to_numpy(reduce_func(state, element))
        return state

    def get_single_element(self, name=None):
        """The dataset's only element; a dataset of any other size is an error."""
        elements = list(itertools.islice(iter(self), 2))
        if len(elements) != 1:
            raise ValueError(
                "Dataset had no elements." if not elements else "Dataset had more than one element."
            )
        return elements[0]
