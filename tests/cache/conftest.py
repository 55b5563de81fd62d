"""Real Redis for the cache tests (tests/conftest.py), each test under its own key prefix."""

from __future__ import annotations

import pytest


@pytest.fixture
def prefix(redis_prefix: str) -> str:
    return f"{redis_prefix}cache"
