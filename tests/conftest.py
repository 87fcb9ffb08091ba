"""Shared fixtures: the seed projects (real 2023 self-evaluations and 2026 declarations)."""

from __future__ import annotations

import json

import pytest

from perfxl.model import ProjectFile
from perfxl.demo import seed_dir

SEEDS = seed_dir()


def load_seed(name: str) -> ProjectFile:
    return ProjectFile.model_validate_json((SEEDS / name).read_text(encoding="utf-8"))


@pytest.fixture
def self_evaluations() -> ProjectFile:
    return load_seed("self_evaluation_2023.json")


@pytest.fixture
def declarations() -> ProjectFile:
    return load_seed("declaration_2026.json")


@pytest.fixture
def published() -> list[dict]:
    return json.loads((SEEDS / "published_2023.json").read_text(encoding="utf-8"))
