"""`aitre generate`: deterministic output, and `--check` catches every stale file."""

from __future__ import annotations

import shutil
from pathlib import Path

from typer.testing import CliRunner

from aitre.cli import app
from aitre.generate.artifacts import generate, render
from aitre.generate.typescript import without_unknown_intersections

from .conftest import ROOT, SpecCopy

GENERATED = ROOT / "generated"
SPEC = ROOT / "spec" / "openapi.yaml"


def test_generated_is_current_and_byte_identical_on_rerun() -> None:
    """generated/ was written by an earlier process; this one must produce the very same bytes."""
    rendered = render(SPEC)
    for name, content in rendered.items():
        assert (GENERATED / name).read_bytes() == content, f"{name} differs"


def test_no_timestamps_in_models() -> None:
    header = (GENERATED / "models.py").read_text().splitlines()[:3]
    assert not any("timestamp" in line.lower() or "20" in line for line in header)


def test_check_names_every_stale_file(tmp_path: Path) -> None:
    out = tmp_path / "generated"
    shutil.copytree(GENERATED, out)
    (out / "openapi.yaml").write_text("stale: true\n")
    (out / "models.py").unlink()
    (out / "jsonschema" / "Leftover.json").write_text("{}")
    result = CliRunner().invoke(app, ["generate", "--check", "--spec", str(SPEC), "--out", str(out)])
    assert result.exit_code == 1
    stale = [line for line in result.stdout.splitlines() if line.startswith("stale:")]
    assert len(stale) == 3
    assert any(line.endswith("openapi.yaml") for line in stale)
    assert any(line.endswith("models.py") for line in stale)
    assert any("Leftover.json (no longer generated)" in line for line in stale)
    # and --check wrote nothing
    assert not (out / "models.py").exists()


def test_spec_change_makes_generated_stale(spec_copy: SpecCopy, tmp_path: Path) -> None:
    out = tmp_path / "generated"
    generate(spec_copy.root, out)
    spec_copy.edit(
        "components/schemas/Error.yaml", lambda d: d["properties"]["message"].update(description="Changed on purpose.")
    )
    stale = generate(spec_copy.root, out, check=True).stale
    expected = {"models.py", "openapi.json", "openapi.yaml", "openapi.d.ts", "reference.html", "Error.json"}
    assert {Path(s).name for s in stale} == expected


def test_generate_reports_a_broken_spec_in_one_line(spec_copy: SpecCopy, tmp_path: Path) -> None:
    (spec_copy.dir / "paths" / "v1_completions.yaml").write_text("post: [\n")
    result = CliRunner().invoke(app, ["generate", "--spec", str(spec_copy.root), "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert "v1_completions.yaml:" in result.output and "Traceback" not in result.output


def test_rule_only_allof_entries_leave_no_unknown_in_typescript() -> None:
    """openapi-typescript writes `} & (unknown & unknown);` for an object with two `if`/`then` rules."""
    written = "A: {\n    x?: string;\n} & (unknown & unknown);\nB: {\n    y: number;\n} & unknown;\n"
    cleaned = without_unknown_intersections(written)
    assert cleaned == "A: {\n    x?: string;\n};\nB: {\n    y: number;\n};\n"
    assert without_unknown_intersections("    C: D & unknown[];\n") == "    C: D & unknown[];\n"
    assert "& unknown" not in (GENERATED / "typescript" / "openapi.d.ts").read_text()
