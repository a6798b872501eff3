"""Decoding plain JPEG files with libjpeg-turbo, without Pillow's file parser.

``PIL.Image.open`` parses a JPEG's markers in Python (quantisation tables into lists, every
APP segment) before libjpeg runs: for the small images of an MNIST-sized folder that is about
half of the 0.13 ms each one costs, and it holds the GIL, so the loading threads of
``image_dataset_from_directory`` competed with the training step for it. This module reads
only the frame header (size, component count) and hands the whole file to the same libjpeg
decoder Pillow would use, with the same raw mode, so the pixels are identical.

With simplejpeg installed (a dependency; a thin Cython binding of libjpeg-turbo, which
releases the GIL) the decode itself goes through it: the same library with the same settings
(accurate DCT, smooth upsampling) gives the same pixels, and a 28x28 file costs ~10 us
instead of ~60-80 us through Pillow's decoder objects. That difference decides whether a
first epoch from a folder of MNIST-sized files waits for decoding on two cores (RESULTS.md).
Without it, Pillow's libjpeg decoder is used directly.

Files it does not handle (CMYK or Adobe-transformed, 12-bit, not a JPEG at all) return None,
and the caller falls back to ``PIL.Image.open``.
"""

from __future__ import annotations

import numpy as np

try:
    import simplejpeg
except ImportError:  # an optional speed-up: Pillow's decoder gives the same pixels
    simplejpeg = None

#: Start-of-frame markers of the DCT processes libjpeg decodes (not DHT C4, JPG C8, DAC CC).
_FRAME_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
#: Markers without a length field: TEM, RST0-7 (SOI and EOI are handled by the scan).
_STANDALONE = frozenset([0x01, *range(0xD0, 0xD8)])
_APP14 = 0xEE


def frame_header(data: bytes) -> tuple[int, int, int] | None:
    """``(height, width, components)`` of a baseline or progressive 8-bit JPEG, or None when
    ``data`` is something this fast path leaves to Pillow."""
    if data[:2] != b"\xff\xd8":
        return None
    pos, end = 2, len(data)
    while pos + 4 <= end:
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in _STANDALONE:
            pos += 2
            continue
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        if marker == _APP14 and data[pos + 4 : pos + 9] == b"Adobe":
            return None  # Adobe colour transform flags: Pillow's parser reads them
        if marker in _FRAME_MARKERS:
            if pos + 10 > end or data[pos + 4] != 8:
                return None
            height = int.from_bytes(data[pos + 5 : pos + 7], "big")
            width = int.from_bytes(data[pos + 7 : pos + 9], "big")
            components = data[pos + 9]
            ok = height > 0 and width > 0 and components in (1, 3)
            return (height, width, components) if ok else None
        if marker == 0xDA:  # a scan before any frame header: malformed
            return None
        pos += 2 + length
    return None


def decode_jpeg(data: bytes, mode: str) -> np.ndarray | None:
    """The pixels of the JPEG ``data`` as uint8 (H, W) for ``mode`` "L" or (H, W, 3) for
    "RGB", exactly as ``Image.open`` (with ``draft("L")`` for "L") then ``convert`` give
    them; None when the file needs Pillow's own parser. Corrupt or truncated data raises
    ValueError or OSError (the caller names the file)."""
    header = frame_header(data) if mode in ("L", "RGB") else None
    if header is None:
        return None
    if simplejpeg is not None:
        return _decode_with_simplejpeg(data, mode)
    return _decode_with_pillow_decoder(data, mode, *header)


def _decode_with_simplejpeg(data: bytes, mode: str) -> np.ndarray:
    # strict=True turns libjpeg's recoverable errors (a truncated file) into ValueError, as
    # Pillow raises for them instead of padding the image with grey.
    colorspace = "GRAY" if mode == "L" else "RGB"
    pixels = simplejpeg.decode_jpeg(
        data, colorspace=colorspace, fastdct=False, fastupsample=False, strict=True
    )
    return pixels[..., 0] if mode == "L" else pixels


def _decode_with_pillow_decoder(data: bytes, mode: str, height, width, components):
    from PIL import Image

    # libjpeg outputs luma for "L" from any 1- or 3-component file (as draft("L") asks),
    # RGB from a YCbCr file; a grayscale file wanted as RGB is decoded as L, then widened.
    rawmode = "L" if mode == "L" or components == 1 else "RGB"
    image = Image.frombytes(rawmode, (width, height), data, "jpeg", rawmode, "")
    if rawmode != mode:
        image = image.convert(mode)
    # Read-only, as np.asarray(image) is; half its cost (~4 instead of ~9 us), which goes
    # through the same tobytes() after building an array interface.
    shape = (height, width) if mode == "L" else (height, width, 3)
    return np.frombuffer(image.tobytes(), np.uint8).reshape(shape)
