"""The list of generated files and the write / drift-check logic shared by all of them."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from aitre.generate.bundled import openapi_json, openapi_yaml
from aitre.generate.jsonschemas import json_schemas
from aitre.generate.models import pydantic_models
from aitre.generate.reference_html import reference_html
from aitre.generate.typescript import typescript_types
from aitre.spec.bundle import bundle_spec

# Folders whose every file is generated: a file there that generation no longer produces is stale.
MANAGED_DIRS = ("jsonschema", "typescript")

PACKAGE_INIT = b'''"""Artifacts generated from spec/ by `aitre generate`; never edit by hand.

`openapi.json` / `openapi.yaml` are the bundled spec, `models` the pydantic v2 models,
`typescript/openapi.d.ts` the TypeScript types, `jsonschema/` one JSON Schema per component,
`reference.html` the offline API reference.
"""

from pathlib import Path

OPENAPI_JSON = Path(__file__).with_name("openapi.json")
OPENAPI_YAML = Path(__file__).with_name("openapi.yaml")
'''


@dataclass(frozen=True)
class Outcome:
    """What `generate` did or found: files written or removed, and (in check mode) stale files."""

    written: list[str]
    stale: list[str]


def render(spec_root: Path) -> dict[str, bytes]:
    """Every generated file, by name relative to `generated/`, computed in memory."""
    document = bundle_spec(spec_root).document
    bundled = openapi_json(document)
    # The three external generators are separate processes; run them side by side.
    with ThreadPoolExecutor(max_workers=3) as pool:
        models = pool.submit(pydantic_models, bundled)
        types = pool.submit(typescript_types, bundled)
        html = pool.submit(reference_html, bundled)
        files = {
            "__init__.py": PACKAGE_INIT,
            "openapi.json": bundled,
            "openapi.yaml": openapi_yaml(document),
            "models.py": models.result(),
            "typescript/openapi.d.ts": types.result(),
            "reference.html": html.result(),
        }
    files.update({f"jsonschema/{name}": content for name, content in json_schemas(document).items()})
    return files


def _leftovers(out_dir: Path, files: dict[str, bytes]) -> list[Path]:
    """Files in managed folders that generation no longer produces."""
    found = []
    for folder in MANAGED_DIRS:
        directory = out_dir / folder
        if directory.is_dir():
            for path in sorted(directory.rglob("*")):
                if path.is_file() and path.relative_to(out_dir).as_posix() not in files:
                    found.append(path)
    return found


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
    for path in _leftovers(out_dir, files):
        if check:
            stale.append(f"{os.path.relpath(path)} (no longer generated)")
        else:
            path.unlink()
            written.append(f"{os.path.relpath(path)} (removed)")
    return Outcome(written=written, stale=stale)
