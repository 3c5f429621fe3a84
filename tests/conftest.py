"""Shared fixtures: paths to our own examples and to ../shared/data when present."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "data" / "examples"
SHARED = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def taxonomy():
    from classifier.labels import load_taxonomy

    return load_taxonomy()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not (SHARED / "stories" / "manifest.csv").exists():
        pytest.skip("../shared/data is not present")
    return SHARED


def read_one(text: str, name: str = "story.txt"):
    """Read a single story from text written in a test."""
    from classifier.readers import read_text

    return read_text(text, name)
