"""Redocly's linter on the split source, with our rule set (`redocly.yaml`), as Problems.

Redocly reads the split files itself, so its findings already carry the source file and line.
"""

from __future__ import annotations

import json
from pathlib import Path

from aitre import paths
from aitre.node import run_tool
from aitre.spec.problems import Problem

CONFIG = paths.PROJECT_ROOT / "redocly.yaml"


def redocly_problems(root: Path, config: Path = CONFIG) -> list[Problem]:
    """Run `redocly lint` on the spec rooted at `root`; every error or warning becomes a Problem."""
    root = root.resolve()
    base = root.parent.parent
    # lint exits 1 when it finds problems; the JSON on stdout is what we want either way.
    args = ("lint", str(root), "--config", str(config), "--format", "json")
    output = run_tool("redocly", *args, cwd=base, ok_codes=(0, 1)).stdout
    try:
        report = json.loads(output[output.index("{") :])
    except ValueError:
        return [Problem(str(root), 1, "redocly", "redocly lint produced no readable report")]
    problems = []
    for item in report.get("problems", []):
        location = (item.get("location") or [{}])[0]
        source = (location.get("source") or {}).get("ref", str(root))
        path = (base / source).resolve()
        try:
            shown = str(path.relative_to(base))
        except ValueError:
            shown = str(path)
        line = (location.get("start") or {}).get("line", 1)
        problems.append(Problem(shown, line, f"redocly:{item.get('ruleId')}", item.get("message", "").strip()))
    return problems
