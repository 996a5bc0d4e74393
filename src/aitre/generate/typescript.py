"""TypeScript types of the whole API, by openapi-typescript, from the bundled JSON."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from aitre.node import run_tool

# An `allOf` entry that holds only an `if`/`then` rule (DECISIONS G8) has no TypeScript type, so
# openapi-typescript intersects the object with `unknown` once per rule. `T & unknown` is `T`. The spec
# now keeps its rules beside the request-body `$ref`s, which openapi-typescript leaves out of the types;
# this stays for a component that carries rules of its own.
_UNKNOWN_RULES = re.compile(r"\} & (?:unknown|\(unknown(?: & unknown)+\));$", re.MULTILINE)


def without_unknown_intersections(source: str) -> str:
    """`} & (unknown & unknown);` -> `};`: the same type, without the noise of rule-only `allOf` entries."""
    return _UNKNOWN_RULES.sub("};", source)


def typescript_types(bundled_json: bytes) -> bytes:
    """The `.d.ts` module openapi-typescript writes for the bundle."""
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "openapi.json"
        target = Path(tmp) / "openapi.d.ts"
        source.write_bytes(bundled_json)
        # Fields with a default stay optional in requests; cwd=tmp keeps our redocly.yaml out of it.
        run_tool(
            "openapi-typescript", str(source), "--output", str(target), "--default-non-nullable=false", cwd=Path(tmp)
        )
        return without_unknown_intersections(target.read_text(encoding="utf-8")).encode("utf-8")
