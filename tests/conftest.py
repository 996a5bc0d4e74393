"""Shared fixtures: a private copy of spec/ that a test may break on purpose."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SPEC_DIR = ROOT / "spec"


class SpecCopy:
    """A writable copy of the spec with helpers to edit one file."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.root = directory / "openapi.yaml"

    def edit(self, relative: str, change: Callable[[Any], Any]) -> None:
        """Load a YAML file, let `change` mutate it in place (its return value is ignored), write it back."""
        path = self.dir / relative
        data = yaml.safe_load(path.read_text())
        change(data)
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))

    def write(self, relative: str, text: str) -> None:
        path = self.dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


@pytest.fixture
def spec_copy(tmp_path: Path) -> SpecCopy:
    target = tmp_path / "spec"
    shutil.copytree(SPEC_DIR, target)
    return SpecCopy(target)
