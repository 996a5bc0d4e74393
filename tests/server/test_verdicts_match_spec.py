"""The reference server accepts exactly the JSON bodies the spec accepts, on bodies drawn from the spec.

schemathesis draws valid and invalid bodies for every JSON operation from generated/openapi.json; each is
judged twice, by a JSON Schema validator over the bundle and by the server (through HTTP). A model id is
replaced by one the server serves first, so an unknown model (404) does not hide the body's verdict.
The only bodies allowed to differ are the rules a schema cannot state (DECISIONS G8, C4), named below.
"""

from __future__ import annotations

import json
from typing import Any

import jsonschema_rs
import pytest
import schemathesis
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from starlette.testclient import TestClient

from aitre.paths import BUNDLED_SPEC
from aitre.server import DEFAULT_API_KEY, ServerSettings, create_app

DOCUMENT: dict[str, Any] = json.loads(BUNDLED_SPEC.read_text(encoding="utf-8"))
SCHEMA = schemathesis.openapi.from_dict(DOCUMENT)
SETTINGS = ServerSettings()
CLIENT = TestClient(create_app(SETTINGS), headers={"Authorization": f"Bearer {DEFAULT_API_KEY}"})
# A served model per operation, for bodies whose drawn model is not one.
SERVED = {"createChatCompletion": "gpt-4o-mini", "createCompletion": "gpt-3.5-turbo-instruct",
          "createEmbedding": "text-embedding-3-small", "createImage": "dall-e-2", "createSpeech": "tts-1"}
# Server refusals no schema can predict: (param, why). Everything else must agree.
UNSTATABLE = {
    "best_of": "best_of >= n compares two values (C4)",
    "tool_choice": "a named tool must be one of `tools`",
    "function_call": "a named function must be one of `functions`",
    "input": "embedding inputs are limited in tokens, which needs the tokenizer (E1)",
}
JSON_OPERATIONS = sorted(
    operation["operationId"]
    for path, item in DOCUMENT["paths"].items() if not path.startswith("/mj/")
    for operation in item.values()
    if isinstance(operation, dict) and "application/json" in operation.get("requestBody", {}).get("content", {})
)


# OpenAPI defines these formats as signed integers of that width; JSON Schema validators ignore them.
WIDTHS = {"int32": 31, "int64": 63}


def _formats_bound(node: Any) -> Any:
    """The document with `format: int32/int64` also stated as bounds, as OpenAPI defines the formats."""
    if isinstance(node, list):
        return [_formats_bound(item) for item in node]
    if not isinstance(node, dict):
        return node
    copy = {key: _formats_bound(value) for key, value in node.items()}
    bits = WIDTHS.get(copy.get("format")) if isinstance(copy.get("format"), str) else None
    if bits is not None:
        copy.setdefault("minimum", -(2**bits))
        copy.setdefault("maximum", 2**bits - 1)
    return copy


def _validator(operation_id: str) -> tuple[str, jsonschema_rs.Validator]:
    for path, item in DOCUMENT["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and operation.get("operationId") == operation_id:
                escaped = path.replace("~", "~0").replace("/", "~1")
                pointer = f"#/paths/{escaped}/{method}/requestBody/content/application~1json/schema"
                schema = {**_formats_bound(DOCUMENT), "$ref": pointer,
                          "$schema": "https://json-schema.org/draft/2020-12/schema"}
                return path, jsonschema_rs.validator_for(schema)
    raise LookupError(operation_id)


def _verdicts(operation_id: str, body: Any, path: str, validator: jsonschema_rs.Validator) -> None:
    if isinstance(body, dict) and isinstance(body.get("model"), str) and operation_id in SERVED:
        body["model"] = SERVED[operation_id]
    try:
        raw = json.dumps(body, allow_nan=False).encode()
    except (ValueError, TypeError):
        return  # not JSON at all: nothing to compare
    spec_valid = validator.is_valid(body)
    response = CLIENT.post(path, content=raw, headers={"Content-Type": "application/json"})
    assert response.status_code < 500, (response.status_code, response.text[:300])
    if response.status_code == 200 or (spec_valid is False and response.status_code == 400):
        assert (response.status_code == 200) == spec_valid, (body, response.text[:300])
        return
    error = response.json().get("error", {})
    if spec_valid and response.status_code == 400 and error.get("param") in UNSTATABLE:
        return
    if response.status_code == 404 and error.get("code") == "model_not_found":
        return  # a model outside SERVED's reach (a null model means the operation's default)
    pytest.fail(f"spec says {'valid' if spec_valid else 'invalid'}, server answered {response.status_code}: "
                f"{response.text[:300]} for {json.dumps(body)[:300]}")


@pytest.mark.parametrize("operation_id", JSON_OPERATIONS)
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_server_verdict_equals_spec_verdict(operation_id: str, mode: GenerationMode) -> None:
    path, validator = _validator(operation_id)
    operation = SCHEMA.find_operation_by_id(operation_id)
    strategy = operation.as_strategy(generation_mode=mode)

    @seed(20261204)
    @settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        case = data.draw(strategy)
        if case.media_type == "application/json":
            _verdicts(operation_id, case.body, path, validator)

    run()
