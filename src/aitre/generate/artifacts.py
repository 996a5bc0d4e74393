"""The list of generated files and the write / drift-check logic shared by all of them."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from aitre.generate.bundled import openapi_json, openapi_yaml
from aitre.generate.models import pydantic_models
from aitre.spec.bundle import bundle_spec

PACKAGE_INIT = b'''"""Artifacts generated from spec/ by `aitre generate`; never edit by hand.

`openapi.json` / `openapi.yaml` are the bundled spec, `models` the pydantic v2 models.
"""

from pathlib import Path

OPENAPI_JSON = Path(__file__).with_name("openapi.json")
OPENAPI_YAML = Path(__file__).with_name("openapi.yaml")
'''


@dataclass(frozen=True)
class Outcome:
    """What `generate` did or found: files written, and (in check mode) files that are stale."""

    written: list[str]
    stale: list[str]


def render(spec_root: Path) -> dict[str, bytes]:
    """Every generated file, by name relative to `generated/`, computed in memory."""
    document = bundle_spec(spec_root).document
    bundled = openapi_json(document)
    return {
        "__init__.py": PACKAGE_INIT,
        "openapi.json": bundled,
        "openapi.yaml": openapi_yaml(document),
        "models.py": pydantic_models(bundled),
    }


def generate(spec_root: Path, out_dir: Path, check: bool = False) -> Outcome:
    """Write the artifacts into `out_dir`, or with `check` only list those that differ."""
    files = render(spec_root)
    written: list[str] = []
    stale: list[str] = []
    for name, content in files.items():
        target = out_dir / name
        current = target.read_bytes() if target.exists() else None
        if current == content:
            continue
        if check:
            stale.append(os.path.relpath(target))
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
            written.append(os.path.relpath(target))
    return Outcome(written=written, stale=stale)
