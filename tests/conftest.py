"""Shared pytest fixtures.

Tests that read the real ONS files in ``../shared`` use the ``shared_data``
fixture, which skips (never fails) when those files are absent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    """Path to ``../shared/data``; skips the test when it is not there."""
    if not SHARED.is_dir():
        pytest.skip("reference data ../shared/data not available")
    return SHARED
