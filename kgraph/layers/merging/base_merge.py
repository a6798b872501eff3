"""``Merge``: the base of element-wise merge layers (Add, Multiply, Maximum…)."""

from __future__ import annotations

from kgraph import ops
from kgraph.layers import masking_support
from kgraph.layers.layer import Layer
from kgraph.ops.shapes import static_shape


def _as_shapes(input_shape) -> list[tuple]:
    if (
        not isinstance(input_shape, (list, tuple))
        or not input_shape
        or not all(isinstance(s, (list, tuple)) for s in input_shape)
    ):
        raise ValueError(
            "A merge layer should be called on a list of inputs. "
            f"Received: input_shape={input_shape} (not a list of shapes)"
        )
    return [tuple(s) for s in input_shape]


def elementwise_shape(shape1: tuple, shape2: tuple) -> tuple:
    """Broadcast shape of two per-sample shapes (size-1 axes stretch, as in Keras).

    Raises:
        ValueError: naming both shapes when a pair of known sizes differs and neither is 1.
    """
    if len(shape1) < len(shape2):
        return elementwise_shape(shape2, shape1)
    if not shape2:
        return shape1
    out = list(shape1[: len(shape1) - len(shape2)])
    for i, j in zip(shape1[len(shape1) - len(shape2) :], shape2):
        if i is None or j is None:
            out.append(None)
        elif i == 1 or j == 1:
            out.append(j if i == 1 else i)
        elif i != j:
            raise ValueError(
                f"Inputs have incompatible shapes. Received shapes {shape1} and {shape2}"
            )
        else:
            out.append(i)
    return tuple(out)


class Merge(Layer):
    """Combines a list of tensors with an element-wise function.

    Inputs of different ranks get length-1 axes inserted after the batch axis, as in Keras;
    per-sample axes of size 1 broadcast.
    """

    min_inputs = 1
    max_inputs = None

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def compute_mask(self, inputs, mask=None):
        """Keras' merged mask: the OR of the inputs' masks, or None unless all have one."""
        if mask is None:
            return None
        _check_masks(inputs, mask)
        if any(m is None for m in mask):
            return None
        return reduce_pairwise(ops.logical_or, list(mask))

    def _merge_function(self, inputs):
        raise NotImplementedError

    def _check_count(self, shapes_: list) -> None:
        n = len(shapes_)
        if n < self.min_inputs or (self.max_inputs is not None and n > self.max_inputs):
            expected = (
                f"exactly {self.min_inputs}"
                if self.min_inputs == self.max_inputs
                else f"at least {self.min_inputs}"
            )
            raise ValueError(
                f"A `{type(self).__name__}` layer should be called on {expected} "
                f"inputs. Received: {n} inputs (shapes {shapes_})"
            )

    def _output_shape(self, input_shape) -> tuple:
        shapes_ = _as_shapes(input_shape)
        self._check_count(shapes_)
        batch = {s[0] for s in shapes_ if s} - {None}
        if len(batch) > 1:
            raise ValueError(
                f"Cannot merge tensors with different batch sizes. Received tensors "
                f"with shapes {shapes_}"
            )
        out = shapes_[0][1:]
        for s in shapes_[1:]:
            out = elementwise_shape(out, s[1:])
        return (batch.pop() if batch else None, *out)

    def build(self, input_shape):
        self._output_shape(input_shape)
        self.built = True

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(
                "A merge layer should be called on a list of inputs. "
                f"Received: inputs={inputs} (not a list of tensors)"
            )
        self._output_shape([static_shape(x) for x in inputs])
        rank = max(len(static_shape(x)) for x in inputs)
        aligned = []
        for x in inputs:
            for _ in range(rank - len(static_shape(x))):
                x = ops.expand_dims(x, 1)
            aligned.append(x)
        return self._merge_function(aligned)

    def compute_output_shape(self, input_shape):
        return self._output_shape(input_shape)


def reduce_pairwise(fn, inputs):
    """``fn(fn(x0, x1), x2)…`` over ``inputs``."""
    out = inputs[0]
    for x in inputs[1:]:
        out = fn(out, x)
    return out


def _check_masks(inputs, mask) -> None:
    if not isinstance(mask, (tuple, list)):
        raise ValueError(f"`mask` should be a list. Received: mask={mask}")
    if not isinstance(inputs, (tuple, list)):
        raise ValueError(f"`inputs` should be a list. Received: inputs={inputs}")
    if len(mask) != len(inputs):
        raise ValueError(
            "The lists `inputs` and `mask` should have the same length. "
            f"Received: inputs={inputs} of length {len(inputs)}, and "
            f"mask={mask} of length {len(mask)}"
        )


def masked_pairwise(fn, inputs):
    """``fn`` over ``inputs`` as Keras' Maximum and Minimum apply it to masked inputs: a
    masked step of one input takes the other's value, so only unmasked steps compete."""
    output = output_mask = None
    for x in inputs:
        mask = masking_support.get_mask(x)
        if mask is not None:  # (batch, steps, 1): broadcast over the features by Where
            mask = ops.expand_dims(ops.cast(mask, "bool"), -1)
        if output is None:
            output, output_mask = x, mask
            continue
        if mask is not None:
            x = ops.where(mask, x, output)
        if output_mask is not None:
            output = ops.where(output_mask, output, x)
        both = mask is not None and output_mask is not None
        output_mask = ops.logical_or(output_mask, mask) if both else None
        output = fn(output, x)
    return output
