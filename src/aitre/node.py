"""Run the pinned Node tools from the checkout's own node_modules (installed by `make setup`).

Both the spec tools (Redocly's lint) and the generators (TypeScript types, the HTML reference) run them,
so this sits below both, beside `aitre.paths`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from aitre import paths

NODE_BIN = paths.PROJECT_ROOT / "node_modules" / ".bin"
# Quiet, offline-friendly runs: no telemetry, no update notice.
NODE_ENV = {"REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true", "NO_COLOR": "1"}


class NodeToolError(Exception):
    """A Node tool is missing or failed; the message says which and what to do."""


def tool(name: str) -> Path:
    """Path of a pinned Node tool, or NodeToolError telling the user to run `make setup`."""
    if shutil.which("node") is None:
        raise NodeToolError("node is not installed; install Node.js >= 20.19 and run `make setup`")
    path = NODE_BIN / name
    if not path.exists():
        raise NodeToolError(f"{name} is not in {NODE_BIN}; run `make setup` (npm ci)")
    return path


def run_tool(
    name: str, *args: str, cwd: Path | None = None, ok_codes: tuple[int, ...] = (0,)
) -> subprocess.CompletedProcess[str]:
    """Run a Node tool and return the completed process; NodeToolError unless it exits with one of `ok_codes`."""
    command = [str(tool(name)), *args]
    result = subprocess.run(
        command, capture_output=True, text=True, check=False, cwd=cwd, env={**os.environ, **NODE_ENV}
    )
    if result.returncode not in ok_codes:
        lines = (result.stderr or result.stdout).strip().splitlines()
        raise NodeToolError(f"{name} failed: {lines[-1] if lines else f'exit code {result.returncode}'}")
    return result
