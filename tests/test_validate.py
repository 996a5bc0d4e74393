"""`aitre validate`: the real spec is clean, and each rule catches a spec broken on purpose."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from aitre.cli import app
from aitre.spec.problems import Problem
from aitre.spec.validate import validate_spec

from .conftest import ROOT, SpecCopy

COMPLETIONS = "paths/v1_completions.yaml"
REQUEST = "components/schemas/CreateCompletionRequest.yaml"


def problems_of(spec: SpecCopy, rule: str | None = None) -> list[Problem]:
    found = validate_spec(spec.root)
    return [p for p in found if rule is None or p.rule == rule]


def test_the_spec_is_valid() -> None:
    assert validate_spec(ROOT / "spec" / "openapi.yaml") == []


def test_a_clean_copy_is_valid(spec_copy: SpecCopy) -> None:
    assert problems_of(spec_copy) == []


def _only(problems: list[Problem], file: str) -> Problem:
    assert len(problems) == 1, problems
    problem = problems[0]
    assert problem.file.endswith(file), problem
    assert problem.line > 0, problem
    return problem


def test_operation_without_operation_id(spec_copy: SpecCopy) -> None:
    spec_copy.edit(COMPLETIONS, lambda d: d["post"].pop("operationId"))
    problem = _only(problems_of(spec_copy, "operation-identity"), COMPLETIONS)
    assert "operationId" in problem.message


def test_operation_with_undeclared_tag(spec_copy: SpecCopy) -> None:
    spec_copy.edit(COMPLETIONS, lambda d: d["post"].update(tags=["Legacy"]))
    assert "Legacy" in _only(problems_of(spec_copy, "operation-identity"), COMPLETIONS).message


def test_operation_missing_a_shared_error_response(spec_copy: SpecCopy) -> None:
    spec_copy.edit(COMPLETIONS, lambda d: d["post"]["responses"].pop("401"))
    assert "401" in _only(problems_of(spec_copy, "operation-responses"), COMPLETIONS).message


def test_operation_without_2xx(spec_copy: SpecCopy) -> None:
    spec_copy.edit(COMPLETIONS, lambda d: d["post"]["responses"].pop("200"))
    found = problems_of(spec_copy, "operation-responses")
    assert any("2xx" in p.message for p in found)


def test_property_without_description(spec_copy: SpecCopy) -> None:
    spec_copy.edit(REQUEST, lambda d: d["properties"]["echo"].pop("description"))
    assert "echo" in _only(problems_of(spec_copy, "property-description"), REQUEST).message


def test_invalid_schema_under_a_path_is_found(spec_copy: SpecCopy) -> None:
    """openapi-spec-validator skips schemas inline under paths; our rule does not."""

    def inline(d: dict) -> None:
        d["post"]["requestBody"]["content"]["application/json"]["schema"] = {
            "type": "array",
            "minItems": -1,
            "items": {"type": "string"},
        }
        d["post"]["requestBody"]["content"]["application/json"].pop("examples")

    spec_copy.edit(COMPLETIONS, inline)
    assert "-1" in _only(problems_of(spec_copy, "schema-valid"), COMPLETIONS).message


def test_wrong_type_name(spec_copy: SpecCopy) -> None:
    spec_copy.edit(REQUEST, lambda d: d["properties"]["echo"].update(type="bool"))
    _only(problems_of(spec_copy, "schema-valid"), REQUEST)


def test_unknown_keyword_and_nullable(spec_copy: SpecCopy) -> None:
    spec_copy.edit(REQUEST, lambda d: d["properties"]["user"].update(desciption="typo", nullable=True))
    found = problems_of(spec_copy, "schema-keywords")
    assert {"desciption" in p.message or "nullable" in p.message for p in found} == {True}
    assert len(found) == 2


def test_request_example_that_breaks_its_schema(spec_copy: SpecCopy) -> None:
    path = ["post", "requestBody", "content", "application/json", "examples", "SayThisIsATest", "value"]

    def breaks(d: dict) -> None:
        value = d
        for key in path:
            value = value[key]
        value["max_tokens"] = "seven"

    spec_copy.edit(COMPLETIONS, breaks)
    assert "max_tokens" in _only(problems_of(spec_copy, "example-valid"), COMPLETIONS).message


def _example_value(d: dict, name: str) -> dict:
    return d["post"]["requestBody"]["content"]["application/json"]["examples"][name]["value"]


def test_example_with_an_undeclared_field(spec_copy: SpecCopy) -> None:
    """Examples are closed: a misspelt field is an error, although the schema allows unknown properties."""
    spec_copy.edit(COMPLETIONS, lambda d: _example_value(d, "SayThisIsATest").update(tempurature=0))
    assert "tempurature" in _only(problems_of(spec_copy, "example-valid"), COMPLETIONS).message


def test_example_that_breaks_a_cross_field_rule(spec_copy: SpecCopy) -> None:
    spec_copy.edit(COMPLETIONS, lambda d: _example_value(d, "Streamed").update(best_of=2))
    assert "best_of" in _only(problems_of(spec_copy, "example-valid"), COMPLETIONS).message


# A rule block (which the spec's examples all satisfy) naming only declared properties, none of them
# described: every conditional keyword is exempt from property-description.
RULE_BLOCK = {
    "description": "Illustrative rules: echo excludes a suffix, an empty suffix is refused, logprobs cap n.",
    "if": {"required": ["echo"], "properties": {"echo": {"const": True}}},
    "then": {"properties": {"suffix": {"type": "null"}}},
    "else": {"not": {"required": ["suffix"], "properties": {"suffix": {"const": ""}}}},
    "dependentSchemas": {"logprobs": {"properties": {"n": {"maximum": 2}}}},
}


def _body_rules(document: dict) -> list:
    """The rule list beside the `$ref` of the completions request body (DECISIONS G8)."""
    rules: list = document["post"]["requestBody"]["content"]["application/json"]["schema"]["allOf"]
    return rules


def test_properties_under_conditional_keywords_need_no_description(spec_copy: SpecCopy) -> None:
    spec_copy.edit(COMPLETIONS, lambda d: _body_rules(d).append(RULE_BLOCK))
    assert problems_of(spec_copy) == []


# Rules beside a body's `$ref` name the component's properties; a component may also hold rules of its own.
@pytest.mark.parametrize(
    ("relative", "add"),
    [(COMPLETIONS, lambda d, block: _body_rules(d).append(block)),
     (REQUEST, lambda d, block: d.setdefault("allOf", []).append(block))],
    ids=["beside-the-ref", "in-the-component"],
)
def test_conditional_rule_on_an_undeclared_property(spec_copy: SpecCopy, relative: str, add: Any) -> None:
    """`then: {properties: {bset_of: ...}}` would constrain nothing; the name must be declared."""
    block = {**RULE_BLOCK, "then": {"properties": {"bset_of": {"maximum": 1}}, "required": ["ghost"]}}
    spec_copy.edit(relative, lambda d: add(d, block))
    found = problems_of(spec_copy, "conditional-properties")
    assert sorted(p.message.split("'")[1] for p in found) == ["bset_of", "ghost"]
    assert {p.file.endswith(relative) and p.line > 0 for p in found} == {True}
    assert [p for p in problems_of(spec_copy) if p.rule != "conditional-properties"] == []


def test_stream_example_whose_json_breaks_the_chunk_schema(spec_copy: SpecCopy) -> None:
    def breaks(d: dict) -> None:
        examples = d["post"]["responses"]["200"]["content"]["text/event-stream"]["examples"]
        examples["FirstChunk"]["value"]["data"] = '{"object": "text_completion"}'

    spec_copy.edit(COMPLETIONS, breaks)
    assert "contentSchema" in _only(problems_of(spec_copy, "example-valid"), COMPLETIONS).message


def test_schema_level_example(spec_copy: SpecCopy) -> None:
    spec_copy.edit(REQUEST, lambda d: d["properties"]["temperature"].update(examples=[3]))
    _only(problems_of(spec_copy, "example-valid"), REQUEST)


def test_unused_component_file(spec_copy: SpecCopy) -> None:
    spec_copy.write("components/schemas/Orphan.yaml", "type: object\ndescription: Nobody uses me.\n")
    problem = _only(problems_of(spec_copy, "no-unused-components"), "components/schemas/Orphan.yaml")
    assert "not reached" in problem.message


def test_internal_ref_that_dangles(spec_copy: SpecCopy) -> None:
    spec_copy.edit(REQUEST, lambda d: d["properties"]["user"].update({"$ref": "#/components/schemas/Nope"}))
    assert "Nope" in _only(problems_of(spec_copy, "no-dangling-ref"), REQUEST).message


def test_file_ref_that_dangles_stops_with_one_line(spec_copy: SpecCopy) -> None:
    spec_copy.edit(REQUEST, lambda d: d["properties"]["stream_options"]["anyOf"][0].update({"$ref": "./Missing.yaml"}))
    found = problems_of(spec_copy)
    problem = _only(found, REQUEST)
    assert problem.rule == "dangling-ref" and "Missing.yaml" in problem.message


def test_duplicate_key(spec_copy: SpecCopy) -> None:
    path = spec_copy.dir / REQUEST
    path.write_text(path.read_text().replace("  echo:\n", "  echo:\n    type: boolean\n", 1))
    _only(problems_of(spec_copy, "duplicate-key"), REQUEST)


def test_yaml_syntax_error(spec_copy: SpecCopy) -> None:
    path = spec_copy.dir / REQUEST
    lines = path.read_text().splitlines()
    lines[5] = "  model: [unclosed"
    path.write_text("\n".join(lines) + "\n")
    problem = _only(problems_of(spec_copy), REQUEST)
    assert problem.rule == "yaml-syntax"


@pytest.mark.parametrize("breakage", ["wrong-type", "dangling-ref", "invalid-example", "yaml-syntax"])
def test_cli_prints_one_line_per_problem_and_exits_1(spec_copy: SpecCopy, breakage: str) -> None:
    if breakage == "wrong-type":
        spec_copy.edit(REQUEST, lambda d: d["properties"]["n"].update(type="int"))
    elif breakage == "dangling-ref":
        spec_copy.edit(
            COMPLETIONS, lambda d: d["post"]["responses"]["401"].update({"$ref": "../components/responses/Gone.yaml"})
        )
    elif breakage == "invalid-example":
        spec_copy.edit(
            COMPLETIONS,
            lambda d: d["post"]["responses"]["200"]["content"]["application/json"]["examples"]["SayThisIsATest"][
                "value"
            ].pop("id"),
        )
    else:
        (spec_copy.dir / COMPLETIONS).write_text("post:\n  summary: [broken\n")
    result = CliRunner().invoke(app, ["validate", "--spec", str(spec_copy.root)])
    assert result.exit_code == 1
    lines = [line for line in result.stdout.splitlines() if line]
    assert len(lines) == 1, result.stdout
    file_part = lines[0].split(": ", 1)[0]
    file, line = file_part.rsplit(":", 1)
    assert file.endswith(".yaml") and int(line) > 0
    assert "Traceback" not in result.output


def test_cli_missing_root_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["validate", "--spec", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1
    assert "not found" in result.output and "Traceback" not in result.output


def test_redocly_rule_set_finds_what_our_rules_do_not(spec_copy: SpecCopy) -> None:
    """A `required` name with no property passes openapi-spec-validator and our rules; Redocly flags it.

    (openapi-spec-validator does compare the two lists in a schema that has `allOf`, which the request
    schemas with cross-field rules have; so the ghost goes into a plain object schema.)
    """
    from aitre.spec.redocly import redocly_problems

    usage = "components/schemas/CompletionUsage.yaml"
    assert redocly_problems(spec_copy.root) == []
    spec_copy.edit(usage, lambda d: d["required"].append("ghost"))
    assert [p for p in validate_spec(spec_copy.root) if "ghost" in p.message and "defined" in p.message] == []
    found = [p for p in redocly_problems(spec_copy.root) if p.rule == "redocly:no-required-schema-properties-undefined"]
    problem = _only(found, usage)
    assert "ghost" in problem.message


def test_cli_validate_with_redocly(spec_copy: SpecCopy) -> None:
    spec_copy.edit(COMPLETIONS, lambda d: d["post"].update(sumary="typo"))
    result = CliRunner().invoke(app, ["validate", "--redocly", "--spec", str(spec_copy.root)])
    assert result.exit_code == 1
    assert "[redocly:struct]" in result.stdout and "v1_completions.yaml:" in result.stdout


def test_binary_placeholders_in_examples_are_whole() -> None:
    """A YAML flow list `[(binary PNG, a photo)]` splits at the comma into two items; each placeholder
    for file content must be one string that opens and closes its parenthesis."""
    import json

    from aitre.paths import BUNDLED_SPEC

    def strings(node: Any) -> list[str]:
        if isinstance(node, dict):
            return [text for value in node.values() for text in strings(value)]
        if isinstance(node, list):
            return [text for value in node for text in strings(value)]
        return [node] if isinstance(node, str) else []

    spec = json.loads(BUNDLED_SPEC.read_text())
    found = [text for path in spec["paths"].values() for text in strings(path)
             if "(binary" in text and text.count("(") != text.count(")")]
    found += [text for path in spec["paths"].values() for text in strings(path)
              if text.endswith(")") and text.count("(") < text.count(")") and len(text) < 80]
    assert found == []
