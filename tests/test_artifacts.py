"""The artifacts for other projects: TypeScript types, JSON Schema files, the HTML reference."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from aitre.generate.jsonschemas import SCHEMA_BASE

from .conftest import ROOT

GENERATED = ROOT / "generated"
TSC = ROOT / "node_modules" / ".bin" / "tsc"
SCHEMA_DIR = GENERATED / "jsonschema"


def tsc(file: Path) -> subprocess.CompletedProcess[str]:
    command = [str(TSC), "--noEmit", "--strict", "--target", "es2020", "--moduleResolution", "node", str(file)]
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)


def test_typescript_types_compile_in_use() -> None:
    result = tsc(ROOT / "tests" / "typescript" / "usage.ts")
    assert result.returncode == 0, result.stdout + result.stderr


def test_typescript_catches_a_wrong_call() -> None:
    result = tsc(ROOT / "tests" / "typescript" / "broken.ts")
    assert result.returncode != 0
    assert "broken.ts(6," in result.stdout, result.stdout  # the `temperature: "hot"` line


def _registry() -> Registry:
    resources = []
    for path in sorted(SCHEMA_DIR.glob("*.json")):
        contents = json.loads(path.read_text())
        resources.append((contents["$id"], Resource.from_contents(contents, default_specification=DRAFT202012)))
    return Registry().with_resources(resources)


def test_one_valid_2020_12_schema_per_component_with_stable_id() -> None:
    components = json.loads((GENERATED / "openapi.json").read_text())["components"]["schemas"]
    files = sorted(p.stem for p in SCHEMA_DIR.glob("*.json"))
    assert files == sorted(components)
    for path in SCHEMA_DIR.glob("*.json"):
        schema = json.loads(path.read_text())
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["$id"] == f"{SCHEMA_BASE}{path.name}"
        Draft202012Validator.check_schema(schema)
        assert "#/components/" not in path.read_text(), f"{path.name} still points into the bundle"


def _component_examples() -> list[tuple[str, str, Any]]:
    document = json.loads((GENERATED / "openapi.json").read_text())
    found = []
    for item in document["paths"].values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for body in [operation.get("requestBody", {}), *operation.get("responses", {}).values()]:
                for media in (body.get("content") or {}).values():
                    ref = (media.get("schema") or {}).get("$ref", "")
                    if ref.startswith("#/components/schemas/"):
                        for name, example in (media.get("examples") or {}).items():
                            if "value" in example:
                                found.append((ref.rsplit("/", 1)[1], name, example["value"]))
    return found


@pytest.mark.parametrize(("component", "name", "value"), _component_examples())
def test_json_schema_files_validate_the_spec_examples(component: str, name: str, value: Any) -> None:
    validator = Draft202012Validator({"$ref": f"{SCHEMA_BASE}{component}.json"}, registry=_registry())
    errors = [e.message for e in validator.iter_errors(value)]
    assert errors == [], f"{component} / {name}: {errors}"


def test_json_schema_files_reject_a_broken_example() -> None:
    validator = Draft202012Validator({"$ref": f"{SCHEMA_BASE}CreateCompletionResponse.json"}, registry=_registry())
    broken = {"id": "x", "object": "text_completion", "created": "yesterday", "model": "m", "choices": []}
    assert [e.message for e in validator.iter_errors(broken)] != []


def test_html_reference_is_one_offline_file_with_the_examples() -> None:
    html = (GENERATED / "reference.html").read_text()
    assert html.lstrip().lower().startswith("<!doctype html")
    # self-contained: no script or stylesheet fetched from elsewhere
    assert not re.search(r"<script[^>]+src=[\"']https?:", html)
    assert not re.search(r"<link[^>]+href=[\"']https?:[^>]+stylesheet", html)
    for text in ("Continue a text prompt", "cmpl-uqkvlQyYK7bGYrRHQ0eXlWi7", "Say this is a test"):
        assert text in html
