"""TypeScript types of the whole API, by openapi-typescript, from the bundled JSON."""

from __future__ import annotations

import tempfile
from pathlib import Path

from aitre.generate.node import run_tool


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
        return target.read_bytes()
