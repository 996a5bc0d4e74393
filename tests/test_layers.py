"""The house rules (issue 17): the import contracts of ARCHITECTURE.md hold, and a forbidden import breaks them."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from .conftest import ROOT

SRC = ROOT / "src"
PACKAGE = SRC / "aitre"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
PYPROJECT: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text())
CONTRACTS = [contract["name"] for contract in PYPROJECT["tool"]["importlinter"]["contracts"]]

def _lint_imports(src: Path) -> tuple[int, dict[str, str]]:
    """Run lint-imports on the `aitre` package under `src`; its exit code and each contract's verdict."""
    result = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", str(ROOT / "pyproject.toml")],
        # lint-imports puts its working directory first on sys.path, so it reads the package found there.
        cwd=src,
        env={**os.environ, "COLUMNS": "200"},  # one verdict per line, however long the contract name
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    verdicts = dict(re.findall(r"^(.+?) (KEPT|BROKEN)\b", result.stdout, flags=re.MULTILINE))
    assert set(verdicts) == set(CONTRACTS), result.stdout + result.stderr
    return result.returncode, verdicts


def test_the_tree_keeps_every_import_contract() -> None:
    code, verdicts = _lint_imports(SRC)
    assert code == 0
    assert set(verdicts.values()) == {"KEPT"}


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("conform/checks/chat.py", "import aitre.server.app", "No check imports aitre.server"),
        ("server/app.py", "import aitre.cli", "Nothing imports aitre.cli"),
        ("spec/bundle.py", "from aitre.generate import artifacts", "Package layers"),
        ("server/chat.py", "import aitre.conform.runner", "Package layers"),
        ("conform/client.py", "from aitre.conform import runner", "conform layers"),
    ],
)
def test_a_forbidden_import_breaks_its_contract(tmp_path: Path, module: str, line: str, contract: str) -> None:
    copy = tmp_path / "src" / "aitre"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("generated", "__pycache__"))
    target = copy / module
    target.write_text(target.read_text() + f"\n{line}  # injected by tests/test_layers.py\n")
    code, verdicts = _lint_imports(copy.parent)
    assert code != 0
    assert verdicts[contract] == "BROKEN", verdicts
