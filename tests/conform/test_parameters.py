"""The parameter table covers the spec: every request parameter of every operation has a check or a reason."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aitre.conform.parameters import PARAMETERS
from aitre.conform.registry import load_checks

SPEC = Path(__file__).resolve().parents[2] / "generated" / "openapi.json"
METHODS = ("get", "post", "put", "patch", "delete")


def _resolve(spec: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = spec
        for step in node["$ref"].removeprefix("#/").split("/"):
            target = target[step.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def _properties(spec: dict[str, Any], schema: Any, found: set[str]) -> set[str]:
    """Top-level property names of a request schema, through allOf/oneOf/anyOf."""
    schema = _resolve(spec, schema)
    for keyword in ("allOf", "oneOf", "anyOf"):
        for part in schema.get(keyword, []):
            _properties(spec, part, found)
    found.update(schema.get("properties", {}))
    return found


def spec_parameters() -> dict[str, set[str]]:
    spec = json.loads(SPEC.read_text())
    table: dict[str, set[str]] = {}
    for path, item in spec["paths"].items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            names = {_resolve(spec, p)["name"] for p in operation.get("parameters", []) if
                     _resolve(spec, p)["in"] in ("path", "query")}
            body = _resolve(spec, operation.get("requestBody") or {})
            for media in (body.get("content") or {}).values():
                _properties(spec, media["schema"], names)
            table[f"{method.upper()} {path}"] = names
    return table


def test_every_spec_parameter_has_a_row_and_no_row_is_stale() -> None:
    spec = spec_parameters()
    assert sorted(spec) == sorted(PARAMETERS)
    for operation, names in spec.items():
        assert sorted(names) == sorted(PARAMETERS[operation]), operation


def test_every_row_names_registered_checks_or_gives_a_reason() -> None:
    checks = load_checks()
    for operation, rows in PARAMETERS.items():
        for name, row in rows.items():
            assert bool(row.checks) != bool(row.reason), (operation, name)
            unknown = [check for check in row.checks if check not in checks]
            assert not unknown, (operation, name, unknown)
            # A check that verifies a parameter of an operation must exercise that operation.
            for check in row.checks:
                assert operation in checks[check].operations or not checks[check].operations, (operation, check)
