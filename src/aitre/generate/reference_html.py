"""A single-file, offline HTML reference of the API (Redoc, via `redocly build-docs`)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from aitre.node import run_tool


def reference_html(bundled_json: bytes) -> bytes:
    """The self-contained HTML page Redocly renders for the bundle, examples included."""
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "openapi.json"
        target = Path(tmp) / "reference.html"
        source.write_bytes(bundled_json)
        run_tool("redocly", "build-docs", str(source), "--output", str(target), cwd=Path(tmp))
        return target.read_bytes()
