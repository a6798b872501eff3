"""The op tables build hundreds of one-node sessions: one intra-op thread keeps that fast."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True, scope="package")
def _one_thread_sessions():
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KGRAPH_NUM_THREADS", "1")
        yield
