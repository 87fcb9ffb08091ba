"""Shared fixtures: the seed projects (real 2023 self-evaluations and 2026 declarations)."""

from __future__ import annotations

import json
import os

import pytest

from perfxl.demo import seed_dir
from perfxl.libreoffice import soffice_path
from perfxl.model import ProjectFile

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


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Tests marked ``libreoffice`` need soffice: skipped where it is missing, except in CI
    (the environment variable CI set), where a missing LibreOffice fails them."""
    if item.get_closest_marker("libreoffice") is None or soffice_path() is not None:
        return
    if os.environ.get("CI"):
        pytest.fail("LibreOffice (soffice) is not installed, and CI requires it", pytrace=False)
    pytest.skip("LibreOffice (soffice) not installed")
