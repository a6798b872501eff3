"""Request bodies of ``POST /v1/predict`` to model feeds, and outputs back to JSON.

JSON bodies (``application/json``):

* ``{"inputs": X}``: a batch. ``X`` is a nested list (models with one input) or an object
  ``{input name: nested list}``; the response's arrays keep the batch axis.
* ``{"instance": x}``: one example without the batch axis; the response has none either.

Image bodies (``image/png``, ``image/jpeg``, ... or ``application/octet-stream``) are accepted
when the model's input contract (ONNX metadata) declares an image input: the picture is decoded
with Pillow, converted to the contract's channel count (1 grey, 3 RGB, 4 RGBA), resized to the
input's fixed height and width, laid out NHWC or NCHW, scaled to the declared value range and
cast to the input's dtype; it is one example.

Every problem raises :class:`RequestError` with an HTTP status and a message naming it.
"""

from __future__ import annotations

import io
import json
import math

import numpy as np

from kgraph.runtime import Predictor

MAX_IMAGE_PIXELS = 40_000_000  # larger pictures are refused before decoding (memory bombs)
_MODES = {1: "L", 3: "RGB", 4: "RGBA"}


class RequestError(Exception):
    """A request the server refuses: ``status`` (4xx) and a one-line message."""

    def __init__(self, status: int, message: str, kind: str = "invalid_request"):
        super().__init__(message)
        self.status = status
        self.kind = kind


def json_feeds(body: bytes, predictor: Predictor) -> tuple[dict, bool]:
    """Parses a JSON body; returns ``(feeds, single)``. Nothing is checked against the model
    yet beyond the input names (the predictor checks shapes and dtypes)."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise RequestError(400, f"the body is not valid JSON: {exc}", "invalid_json") from None
    if not isinstance(payload, dict) or len({"inputs", "instance"} & payload.keys()) != 1:
        raise RequestError(
            400,
            'the JSON body must be an object with "inputs" (a batch) or "instance" (one example)',
            "invalid_json",
        )
    single = "instance" in payload
    value = payload["instance" if single else "inputs"]
    names = predictor.session.input_names
    if isinstance(value, dict):
        unknown = sorted(set(value) - set(names))
        missing = [n for n in names if n not in value]
        if unknown or missing:
            raise RequestError(
                422,
                f"the model's inputs are {names}; "
                + (f"unknown: {unknown}" if unknown else f"missing: {missing}"),
                "invalid_input",
            )
        raw = value
    elif len(names) == 1:
        raw = {names[0]: value}
    else:
        raise RequestError(
            422,
            f"the model has {len(names)} inputs {names}: send an object of them",
            "invalid_input",
        )
    feeds = {}
    for name, data in raw.items():
        try:
            array = np.asarray(data)
        except (ValueError, TypeError) as exc:
            raise RequestError(422, f"input '{name}': not a rectangular array ({exc})") from None
        if array.dtype == object:
            raise RequestError(
                422, f"input '{name}': not a rectangular array of numbers", "invalid_input"
            )
        feeds[name] = array[None] if single else array
    return feeds, single


def image_feeds(body: bytes, predictor: Predictor) -> dict:
    """Decodes an uploaded picture into the model's one image input (a batch of one)."""
    from PIL import Image, UnidentifiedImageError

    names = predictor.session.input_names
    contract = predictor.metadata.image_input(names[0]) if len(names) == 1 else None
    if contract is None:
        raise RequestError(
            415,
            "this model's input is not an image (its ONNX metadata declares no image input "
            "contract): send JSON",
            "unsupported_media_type",
        )
    _, shape, dtype = predictor.session.input_spec(names[0])
    nchw = contract.get("layout") == "NCHW"
    height, width, channels = (shape[2], shape[3], shape[1]) if nchw else shape[1:4]
    try:
        image = Image.open(io.BytesIO(body))
        if image.width * image.height > MAX_IMAGE_PIXELS:
            raise RequestError(
                413,
                f"the image has {image.width}x{image.height} pixels; at most {MAX_IMAGE_PIXELS}",
            )
        image = image.convert(_MODES.get(channels if isinstance(channels, int) else 3, "RGB"))
        if isinstance(height, int) and isinstance(width, int):
            image = image.resize((width, height), Image.Resampling.BILINEAR)
        pixels = np.asarray(image, dtype=np.float32)
    except UnidentifiedImageError:
        raise RequestError(
            400, "cannot decode the image: not a picture format Pillow reads", "invalid_image"
        ) from None
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise RequestError(400, f"cannot decode the image: {exc}", "invalid_image") from None
    if pixels.ndim == 2:
        pixels = pixels[..., None]
    low, high = predictor.metadata.value_range() or (0.0, 255.0)
    pixels = low + pixels * ((high - low) / 255.0)
    if nchw:
        pixels = pixels.transpose(2, 0, 1)
    if np.issubdtype(np.dtype(dtype), np.integer):
        pixels = np.rint(pixels)
    return {names[0]: pixels.astype(dtype)[None]}


def to_json(value: np.ndarray):
    """A JSON-ready nested list; NaN and infinities (not JSON) become null."""
    if value.dtype.kind == "f" and not np.isfinite(value).all():
        return _finite(value.tolist())
    if value.dtype.kind in "SU":
        return value.astype(str).tolist()
    return value.tolist()


def _finite(item):
    if isinstance(item, list):
        return [_finite(x) for x in item]
    return item if math.isfinite(item) else None
