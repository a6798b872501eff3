import platform

from kgraph.runtime.nchwc import nchwc_block_size


def test_block_size_is_a_simd_width_or_none():
    block = nchwc_block_size()
    if platform.machine().lower() not in ("x86_64", "amd64"):
        assert block is None  # onnxruntime's NCHWc kernels are x86-only
    else:
        assert block in (8, 16)
        assert nchwc_block_size() is block  # probed once per process
