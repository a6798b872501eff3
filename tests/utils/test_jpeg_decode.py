"""The fast JPEG path gives Pillow's own pixels, leaves what it cannot parse to Pillow, and still
names a corrupt file: through simplejpeg when it is installed and through Pillow's libjpeg
decoder when it is not (both run here)."""

import io

import numpy as np
import pytest
from PIL import Image

from kgraph.utils import image_utils, jpeg_decode

SAVE_OPTIONS = [
    {},
    {"progressive": True},
    {"subsampling": 0},
    {"subsampling": 2, "quality": 30},
    {"optimize": True},
]


@pytest.fixture(params=["simplejpeg", "pillow"], autouse=True)
def decoder(request, monkeypatch):
    """Runs every test once per decoding back end."""
    if request.param == "simplejpeg":
        pytest.importorskip("simplejpeg")
    else:
        monkeypatch.setattr(jpeg_decode, "simplejpeg", None)
    return request.param


def jpeg_bytes(source_mode: str, size, options) -> bytes:
    rng = np.random.default_rng(sum(size) + len(options))
    channels = {"L": 1, "RGB": 3, "CMYK": 4}[source_mode]
    pixels = (rng.random((size[1], size[0], channels)) * 255).astype(np.uint8)
    image = Image.fromarray(pixels[..., 0] if channels == 1 else pixels, source_mode)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", **options)
    return buffer.getvalue()


def pillow_pixels(data: bytes, mode: str) -> np.ndarray:
    """What ``decode_image`` did before the fast path: Image.open, luma draft, convert."""
    with Image.open(io.BytesIO(data)) as image:
        if mode == "L":
            image.draft("L", None)
        image.load()
        return np.asarray(image.convert(mode) if image.mode != mode else image)


@pytest.mark.parametrize("options", SAVE_OPTIONS, ids=lambda o: ",".join(o) or "baseline")
@pytest.mark.parametrize("source_mode", ["RGB", "L"])
@pytest.mark.parametrize("size", [(28, 28), (17, 33), (160, 96)])
@pytest.mark.parametrize("mode", ["L", "RGB"])
def test_pixels_equal_pillow(source_mode, size, options, mode):
    data = jpeg_bytes(source_mode, size, options)
    fast = jpeg_decode.decode_jpeg(data, mode)
    assert fast is not None
    np.testing.assert_array_equal(fast, pillow_pixels(data, mode))


def test_header_reads_size_and_components():
    assert jpeg_decode.frame_header(jpeg_bytes("RGB", (17, 33), {})) == (33, 17, 3)
    assert jpeg_decode.frame_header(jpeg_bytes("L", (5, 7), {"progressive": True})) == (7, 5, 1)


@pytest.mark.parametrize(
    "data",
    [
        b"GIF89a....",
        b"\xff\xd8\xff\xee\x00\x0eAdobe\x00\x64\x00\x00\x00\x00\x01",  # Adobe transform
        b"\xff\xd8\xff",  # too short to hold a frame
    ],
)
def test_leaves_other_files_to_pillow(data):
    assert jpeg_decode.decode_jpeg(data, "RGB") is None


def test_cmyk_and_rgba_go_through_pillow(tmp_path):
    cmyk = jpeg_bytes("CMYK", (20, 10), {})
    assert jpeg_decode.decode_jpeg(cmyk, "RGB") is None
    path = tmp_path / "cmyk.jpg"
    path.write_bytes(cmyk)
    np.testing.assert_array_equal(
        image_utils.decode_image(str(path), 3), pillow_pixels(cmyk, "RGB")
    )
    rgb = jpeg_bytes("RGB", (20, 10), {})
    assert jpeg_decode.decode_jpeg(rgb, "RGBA") is None
    path.write_bytes(rgb)
    np.testing.assert_array_equal(
        image_utils.decode_image(str(path), 4), pillow_pixels(rgb, "RGBA")
    )


@pytest.mark.parametrize("keep", [0.5, 0.1])
def test_truncated_file_is_named(tmp_path, keep):
    data = jpeg_bytes("RGB", (64, 64), {})
    path = tmp_path / "cut.jpg"
    path.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(ValueError, match=r"cut\.jpg"):
        image_utils.decode_image(str(path), 3)


def test_corrupt_scan(tmp_path, decoder):
    """libjpeg's "corrupt data" warnings are errors through simplejpeg (strict), naming the
    file; Pillow's decoder fills such a scan with whatever it decodes, as Image.open did."""
    data = bytearray(jpeg_bytes("RGB", (64, 64), {}))
    scan = data.index(b"\xff\xda") + 20
    garbage = b"\xff\x00\xd3" * (len(data) - 2 - scan)
    data[scan:-2] = garbage[: len(data) - 2 - scan]
    path = tmp_path / "garbled.jpg"
    path.write_bytes(bytes(data))
    if decoder == "pillow":
        assert image_utils.decode_image(str(path), 3).shape == (64, 64, 3)
        return
    with pytest.raises(ValueError, match=r"garbled\.jpg"):
        image_utils.decode_image(str(path), 3)
