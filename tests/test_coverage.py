"""`aitre coverage`: the spec has every field of the installed openai SDK, and the check can fail."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

from aitre.cli import app
from aitre.coverage import OPERATIONS, check_coverage, main, render, sdk_fields

from .conftest import ROOT, SpecCopy

CHAT = "POST /v1/chat/completions"


def _missing(spec_root: Any) -> dict[str, list[str]]:
    """Per operation and part, the SDK fields the spec lacks (only entries that lack some)."""
    found: dict[str, list[str]] = {}
    for result in check_coverage(spec_root):
        if not result.in_spec:
            found[result.operation.name] = ["(operation not in the spec)"]
        for part in result.parts:
            if part.missing:
                found[f"{result.operation.name} {part.part}"] = part.missing
    return found


def test_the_spec_has_every_sdk_field() -> None:
    assert _missing(ROOT / "spec" / "openapi.yaml") == {}


def test_every_operation_row_compares_something() -> None:
    for result in check_coverage(ROOT / "spec" / "openapi.yaml"):
        assert result.sdk_fields > 0, result.operation.name
        assert result.percent == 100.0, render([result])


def test_a_removed_property_is_reported(spec_copy: SpecCopy) -> None:
    spec_copy.edit("components/schemas/ChatCompletionChunk.yaml", lambda s: s["properties"].pop("obfuscation"))
    assert _missing(spec_copy.root) == {f"{CHAT} stream": ["obfuscation"]}


def test_a_removed_nested_property_is_reported_under_every_path(spec_copy: SpecCopy) -> None:
    spec_copy.edit("components/schemas/ChatCompletionTopLogprob.yaml", lambda s: s["properties"].pop("bytes"))
    missing = _missing(spec_copy.root)
    assert missing[f"{CHAT} response"] == [
        "choices[].logprobs.content[].top_logprobs[].bytes",
        "choices[].logprobs.refusal[].top_logprobs[].bytes",
    ]
    assert f"{CHAT} stream" in missing


def test_a_removed_union_variant_is_reported(spec_copy: SpecCopy) -> None:
    def drop_file_part(schema: dict[str, Any]) -> None:
        schema["oneOf"] = [v for v in schema["oneOf"] if "File" not in v["$ref"]]
        del schema["discriminator"]["mapping"]["file"]

    spec_copy.edit("components/schemas/ChatCompletionUserContentPart.yaml", drop_file_part)
    assert _missing(spec_copy.root) == {
        f"{CHAT} request": [
            "messages[].content[].file",
            "messages[].content[].file.file_data",
            "messages[].content[].file.file_id",
            "messages[].content[].file.filename",
        ]
    }


def test_a_missing_operation_is_reported(spec_copy: SpecCopy) -> None:
    spec_copy.edit("openapi.yaml", lambda root: root["paths"].pop("/v1/embeddings"))
    result = next(r for r in check_coverage(spec_copy.root) if r.operation.path == "/v1/embeddings")
    assert not result.in_spec and not result.complete
    assert result.covered == 0 and result.sdk_fields > 0


def test_a_spec_only_field_is_reported_but_does_not_fail(
    spec_copy: SpecCopy, capsys: pytest.CaptureFixture[str]
) -> None:
    def add_field(schema: dict[str, Any]) -> None:
        schema["properties"]["x_relay_note"] = {"type": "string", "description": "A relay addition."}

    spec_copy.edit("components/schemas/Model.yaml", add_field)
    assert main(["--spec", str(spec_copy.root), "--operation", "get /v1/models"]) == 0
    assert "not in SDK:        data[].x_relay_note" in capsys.readouterr().out


def test_main_exits_1_when_a_field_is_missing(spec_copy: SpecCopy, capsys: pytest.CaptureFixture[str]) -> None:
    spec_copy.edit("components/schemas/Embedding.yaml", lambda s: s["properties"].pop("index"))
    assert main(["--spec", str(spec_copy.root)]) == 1
    out = capsys.readouterr().out
    assert "missing from spec: data[].index" in out
    row = next(line.split() for line in out.splitlines() if line.startswith("POST /v1/embeddings "))
    assert row[2:5] == ["14", "13", "92.9"]


def test_main_prints_the_summary_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--summary"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["operation", "SDK", "fields", "covered", "%", "spec", "only"]
    assert [line.split()[0] + " " + line.split()[1] for line in lines[1:-1]] == [op.name for op in OPERATIONS]
    assert lines[-1].split()[-1] == "100.0"


def test_sdk_walk_follows_unions_lists_and_aliases() -> None:
    chat = sdk_fields(["openai.types.chat.completion_create_params:CompletionCreateParamsStreaming"])
    assert {
        "stream",
        "messages[].content[].image_url.detail",
        "tool_choice.allowed_tools.mode",
        "tools[].custom.format.grammar.syntax",
        "audio.voice.id",
    } <= chat
    # A pydantic field named `schema_` travels as `schema`.
    response_format = sdk_fields(["openai.types.shared.response_format_json_schema:ResponseFormatJSONSchema"])
    assert "json_schema.schema" in response_format and "json_schema.schema_" not in response_format
    # A generic page takes its item type.
    assert sdk_fields(["openai.pagination:SyncPage[openai.types:Model]"]) >= {"object", "data[].owned_by"}


def test_cli_passes_its_arguments_through(spec_copy: SpecCopy) -> None:
    runner = CliRunner()
    clean = runner.invoke(app, ["coverage", "--summary", "--operation", "GET /v1/models"])
    assert clean.exit_code == 0, clean.output
    assert "GET /v1/models " in clean.output and "POST /v1/chat/completions" not in clean.output
    spec_copy.edit("components/schemas/Model.yaml", lambda s: s["properties"].pop("owned_by"))
    broken = runner.invoke(app, ["coverage", "--spec", str(spec_copy.root), "--operation", "GET /v1/models"])
    assert broken.exit_code == 1
    assert "missing from spec: data[].owned_by" in broken.output
