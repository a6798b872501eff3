"""``perspective_transform`` of ``kgraph.ops.image``: the projective map between two quads.

Keras solves an 8x8 linear system per image; ONNX has no solver, so the homography is built in
closed form instead: Heckbert's unit-square-to-quad matrix for each quad, and the map from the
output quad (``end_points``) to the input quad (``start_points``) is
``square_to(start) @ adjugate(square_to(end))``, normalised so its last entry is 1. The image is
then resampled by ``affine_transform``, whose transforms include the projective row.
"""

from __future__ import annotations

from kgraph.ops.array import concatenate, reshape
from kgraph.ops.core import _spec_of
from kgraph.ops.indexing import get_item


def _square_to_quad(points):
    """Rows ``[a, b, c, d, e, f, g, h]`` (each (batch, 1)) of the matrix taking (0,0), (1,0),
    (0,1), (1,1) to the four points, given in Keras' corner order (top-left, top-right,
    bottom-left, bottom-right)."""

    def coord(i, j):
        return get_item(points, (slice(None), slice(i, i + 1), j))

    x0, y0 = coord(0, 0), coord(0, 1)
    x1, y1 = coord(1, 0), coord(1, 1)
    x3, y3 = coord(2, 0), coord(2, 1)  # (0, 1): bottom-left
    x2, y2 = coord(3, 0), coord(3, 1)  # (1, 1): bottom-right
    sx, sy = x0 - x1 + x2 - x3, y0 - y1 + y2 - y3
    dx1, dx2, dy1, dy2 = x1 - x2, x3 - x2, y1 - y2, y3 - y2
    den = dx1 * dy2 - dx2 * dy1
    g = (sx * dy2 - dx2 * sy) / den
    h = (dx1 * sy - sx * dy1) / den
    return [x1 - x0 + g * x1, x3 - x0 + h * x3, x0, y1 - y0 + g * y1, y3 - y0 + h * y3, y0, g, h]


def homography(start_points, end_points):
    """(batch, 8) transforms mapping output pixels (``end_points``) to input pixels."""
    a, b, c, d, e, f, g, h = _square_to_quad(end_points)
    inv = [  # adjugate of [[a, b, c], [d, e, f], [g, h, 1]]
        [e - f * h, c * h - b, b * f - c * e],
        [f * g - d, a - c * g, c * d - a * f],
        [d * h - e * g, b * g - a * h, a * e - b * d],
    ]
    s = _square_to_quad(start_points)
    m = [[s[0], s[1], s[2]], [s[3], s[4], s[5]], [s[6], s[7], None]]
    rows = []
    for i in range(3):
        row = []
        for j in range(3):
            total = m[i][0] * inv[0][j] + m[i][1] * inv[1][j]
            total = total + (inv[2][j] if m[i][2] is None else m[i][2] * inv[2][j])
            row.append(total)
        rows.append(row)
    norm = rows[2][2]
    flat = [rows[0][0], rows[0][1], rows[0][2], rows[1][0], rows[1][1], rows[1][2]]
    flat += [rows[2][0], rows[2][1]]
    return concatenate([v / norm for v in flat], axis=1)


def perspective_transform(
    images, start_points, end_points, interpolation="bilinear", fill_value=0, data_format=None
):
    """Warps images so that ``start_points`` (4 corners, (batch, 4, 2) or (4, 2), as
    ``(x, y)`` in Keras' corner order) land on ``end_points``; outside points read
    ``fill_value``."""
    from kgraph.ops.image import affine_transform

    shapes = (_spec_of(start_points).shape, _spec_of(end_points).shape)
    if any(tuple(s[-2:]) != (4, 2) or len(s) not in (2, 3) for s in shapes):
        raise ValueError(
            "start_points and end_points must be (4, 2) or (batch, 4, 2). "
            f"Received start_points.shape={shapes[0]}, end_points.shape={shapes[1]}"
        )
    single = len(shapes[0]) == 2
    if single:
        start_points = reshape(start_points, (1, 4, 2))
        end_points = reshape(end_points, (1, 4, 2))
    matrix = homography(start_points, end_points)
    if single:
        matrix = reshape(matrix, (8,))
    return affine_transform(
        images, matrix, interpolation, "constant", fill_value, data_format=data_format
    )
