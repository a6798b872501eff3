"""What every ImageNet application shares: ``preprocess_input`` in Keras' three modes,
``decode_predictions`` with Keras' class index file, and the argument checks and small graph
pieces (input shape, padding before strided convolutions, the classifier or pooling head).

Images are channels-last inside the models (kgraph has no global ``image_data_format``); the
``data_format`` argument of ``preprocess_input`` still accepts ``channels_first`` arrays.
"""

from __future__ import annotations

import json
import warnings

import numpy as np

from kgraph import activations, layers, ops
from kgraph.applications import weights as weights_lib
from kgraph.models.functional import Functional
from kgraph.tensor import KerasTensor

CLASS_INDEX = None
CLASS_INDEX_PATH = (
    "https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json"
)
CLASS_INDEX_HASH = "c2c37ea517e94d9795004a39431a14cb"

#: mode -> (mean, std) per RGB channel after the mode's scaling (caffe's mean is in BGR order)
_MODES = {
    "caffe": ([103.939, 116.779, 123.68], None),
    "torch": ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
}


def _check_format(mode, data_format):
    if mode not in {"caffe", "tf", "torch"}:
        raise ValueError(
            f"Expected mode to be one of `caffe`, `tf` or `torch`. Received: mode={mode}"
        )
    if data_format is None:
        return "channels_last"
    if data_format not in {"channels_first", "channels_last"}:
        raise ValueError(
            "Expected data_format to be one of `channels_first` or `channels_last`. "
            f"Received: data_format={data_format}"
        )
    return data_format


def _channel_shape(ndim: int, data_format: str) -> tuple:
    if data_format == "channels_first":
        return (3, 1, 1) if ndim == 3 else (1, 3) + (1,) * (ndim - 2)
    return (1,) * (ndim - 1) + (3,)


def preprocess_input(x, data_format=None, mode="caffe"):
    """Scales a batch of RGB images in ``[0, 255]`` as the ImageNet weights were trained.

    ``mode``: ``"caffe"`` (RGB to BGR, then minus the ImageNet mean, no scaling), ``"tf"``
    (to ``[-1, 1]``) or ``"torch"`` (to ``[0, 1]``, then per-channel ImageNet mean and std).
    A numpy array is processed in numpy (into a new array); a symbolic
    tensor becomes graph ops, so the preprocessing can live inside an exported model.
    """
    data_format = _check_format(mode, data_format)
    if isinstance(x, np.ndarray):
        if not np.issubdtype(x.dtype, np.floating):
            x = x.astype("float32")
        xp = np
    else:
        xp = ops
    axis = 1 if data_format == "channels_first" else -1
    if x.ndim == 3 and data_format == "channels_first":
        axis = 0
    if mode == "tf":
        return x / 127.5 - 1.0
    mean, std = _MODES[mode]
    if mode == "torch":
        x = x / 255.0
    else:
        x = xp.flip(x, axis=axis)  # RGB -> BGR
    shape = _channel_shape(x.ndim, data_format)
    x = x - np.reshape(np.asarray(mean, "float32"), shape)
    if std is not None:
        x = x / np.reshape(np.asarray(std, "float32"), shape)
    return x


def decode_predictions(preds, top=5):
    """The ``top`` classes of each row of ``preds`` (``(samples, 1000)``) as
    ``(class_name, class_description, score)`` tuples, best first, from Keras' class index file
    (``imagenet_class_index.json`` in the Keras cache, downloaded once)."""
    global CLASS_INDEX
    preds = np.asarray(preds)
    if preds.ndim != 2 or preds.shape[1] != 1000:
        raise ValueError(
            "`decode_predictions` expects a batch of predictions (i.e. a 2D array of shape "
            f"(samples, 1000)). Received array with shape: {preds.shape}"
        )
    if CLASS_INDEX is None:
        path = weights_lib.cached_file(
            "imagenet_class_index.json", CLASS_INDEX_PATH, CLASS_INDEX_HASH, what="Class index"
        )
        with open(path) as f:
            CLASS_INDEX = json.load(f)
    results = []
    for pred in preds:
        best = pred.argsort()[-top:][::-1]
        result = [(*CLASS_INDEX[str(i)], pred[i]) for i in best]
        result.sort(key=lambda item: item[2], reverse=True)
        results.append(result)
    return results


def obtain_input_shape(input_shape, default_size, min_size, require_flatten, weights=None):
    """The model's input shape (channels last), checked as Keras checks it: 3 channels for the
    ImageNet weights, at least ``min_size`` pixels, the default size with a flattened top."""
    if weights != "imagenet" and input_shape and len(input_shape) == 3:
        if input_shape[-1] not in {1, 3}:
            warnings.warn(
                "This model usually expects 1 or 3 input channels. However, it was passed "
                f"an input_shape with {input_shape[-1]} input channels.",
                stacklevel=3,
            )
        default_shape = (default_size, default_size, input_shape[-1])
    else:
        default_shape = (default_size, default_size, 3)
    if weights == "imagenet" and require_flatten:
        if input_shape is not None and tuple(input_shape) != default_shape:
            raise ValueError(
                "When setting `include_top=True` and loading `imagenet` weights, "
                f"`input_shape` should be {default_shape}.  Received: input_shape={input_shape}"
            )
        return default_shape
    if input_shape:
        input_shape = tuple(input_shape)
        if len(input_shape) != 3:
            raise ValueError("`input_shape` must be a tuple of three integers.")
        if input_shape[-1] != 3 and weights == "imagenet":
            raise ValueError(
                f"The input must have 3 channels; Received `input_shape={input_shape}`"
            )
        if any(size is not None and size < min_size for size in input_shape[:2]):
            raise ValueError(
                f"Input size must be at least {min_size}x{min_size}; Received: "
                f"input_shape={input_shape}"
            )
    else:
        input_shape = default_shape if require_flatten else (None, None, 3)
    if require_flatten and None in input_shape:
        raise ValueError(
            "If `include_top` is True, you should specify a static `input_shape`. "
            f"Received: input_shape={input_shape}"
        )
    return input_shape


def correct_pad(inputs, kernel_size):
    """Zero padding ``((top, bottom), (left, right))`` before a stride-2 'valid' convolution,
    so the output matches TensorFlow's 'same' padding the weights were trained with."""
    size = inputs.shape[1:3]
    if isinstance(kernel_size, int):
        kernel_size = (kernel_size, kernel_size)
    adjust = (1, 1) if size[0] is None else (1 - size[0] % 2, 1 - size[1] % 2)
    correct = (kernel_size[0] // 2, kernel_size[1] // 2)
    return ((correct[0] - adjust[0], correct[0]), (correct[1] - adjust[1], correct[1]))


def validate_activation(classifier_activation, weights):
    """Pretrained classifiers allow only ``None`` and ``"softmax"`` (Keras' rule)."""
    if weights is None:
        return
    function = activations.get(classifier_activation)
    if function not in {activations.get("softmax"), activations.get(None)}:
        raise ValueError(
            "Only `None` and `softmax` activations are allowed for the "
            "`classifier_activation` argument when using pretrained weights, with "
            f"`include_top=True`; Received: classifier_activation={classifier_activation}"
        )


def source_inputs(tensor):
    """The ``Input`` tensors ``tensor`` was computed from (Keras' ``get_source_inputs``)."""
    found, seen, stack = [], set(), [tensor]
    while stack:
        t = stack.pop()
        layer, node_index, _ = t._history
        node = layer._inbound_nodes[node_index]
        if not node.input_tensors and id(t) not in seen:
            seen.add(id(t))
            found.append(t)
        stack.extend(reversed(node.input_tensors))
    return found[0] if len(found) == 1 else found


def image_input(input_tensor, input_shape):
    """The model's image tensor: a new ``Input`` of ``input_shape``, or ``input_tensor``."""
    if input_tensor is None:
        return layers.Input(shape=input_shape)
    if not isinstance(input_tensor, KerasTensor) or input_tensor._history is None:
        raise ValueError(
            f"input_tensor must be a kgraph symbolic tensor (from kgraph.Input or a layer). "
            f"Received: input_tensor={input_tensor!r}"
        )
    return input_tensor


def model_inputs(input_tensor, img_input):
    return img_input if input_tensor is None else source_inputs(input_tensor)


def top_or_pooling(
    x,
    include_top,
    pooling,
    classes,
    classifier_activation,
    weights,
    top_pool_name="avg_pool",
    named_pooling=True,
):
    """Keras' usual ending: global average pooling (``top_pool_name``) + the ``predictions``
    Dense with the top, else the optional global pooling, named ``avg_pool``/``max_pool``
    where Keras names it (``named_pooling``; the Inception family, Xception, NASNet and
    MobileNetV2 leave it unnamed)."""
    if include_top:
        x = layers.GlobalAveragePooling2D(name=top_pool_name)(x)
        validate_activation(classifier_activation, weights)
        return layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    return pool(x, pooling, named_pooling)


def inception_family_model(body, min_size, weight_files, base_url, **args):
    """What InceptionV3, InceptionResNetV2 and Xception share around their ``body``: 299x299
    inputs by default (at least ``min_size``), Keras' unnamed optional pooling, and their
    ``(top, no top)`` ``weight_files`` of ``(file name, hash)`` under ``base_url``. ``args``
    are the application's Keras arguments."""
    include_top, weights = args["include_top"], args["weights"]
    weights_lib.check_weights_argument(weights, include_top, args["classes"])
    input_shape = obtain_input_shape(
        args["input_shape"], 299, min_size, require_flatten=include_top, weights=weights
    )
    img_input = image_input(args["input_tensor"], input_shape)
    x = top_or_pooling(
        body(img_input),
        include_top,
        args["pooling"],
        args["classes"],
        args["classifier_activation"],
        weights,
        named_pooling=False,
    )
    model = Functional(model_inputs(args["input_tensor"], img_input), x, name=args["name"])
    file_name, file_hash = weight_files[0 if include_top else 1]
    weights_lib.load(model, weights, file_name, file_hash, base_url + file_name)
    return model


def pool(x, pooling, named=True):
    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name="avg_pool" if named else None)(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(name="max_pool" if named else None)(x)
    return x


def square_size(input_shape, input_tensor, sizes, default=224):
    """The input's size when square and one of ``sizes`` (the sizes with published
    weights), else ``default``: the MobileNets' default input size."""
    if input_shape is not None:
        rows, cols = input_shape[0], input_shape[1]
    elif input_tensor is not None:
        rows, cols = input_tensor.shape[1], input_tensor.shape[2]
    else:
        return default
    return rows if rows == cols and rows in sizes else default
