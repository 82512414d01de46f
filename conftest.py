"""Shared pytest fixtures: the standard world of organisations, members and personas."""

import pytest

from cosodang.core.testing import World, build_world


@pytest.fixture
def world(db) -> World:
    return build_world()
