"""The generated pydantic models: they parse the spec's examples and reject malformed data."""

from __future__ import annotations

import copy
import json
from typing import Any

import pydantic
import pytest

from aitre.generated import OPENAPI_JSON, models

# The response shown on AITRE's Completions page (the seed), as data.
SEED_RESPONSE: dict[str, Any] = {
    "id": "cmpl-uqkvlQyYK7bGYrRHQ0eXlWi7",
    "object": "text_completion",
    "created": 1589478378,
    "model": "gpt-3.5-turbo-instruct",
    "system_fingerprint": "fp_44709d6fcb",
    "choices": [{"text": "\n\nThis is indeed a test", "index": 0, "logprobs": None, "finish_reason": "length"}],
    "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12},
}
SEED_REQUEST = {"model": "gpt-3.5-turbo-instruct", "prompt": "Say this is a test", "max_tokens": 7, "temperature": 0}


def test_parses_the_seed_response() -> None:
    parsed = models.CreateCompletionResponse.model_validate(SEED_RESPONSE)
    assert parsed.choices[0].finish_reason == "length"
    assert parsed.usage is not None and parsed.usage.total_tokens == 12


def test_parses_the_seed_request() -> None:
    parsed = models.CreateCompletionRequest.model_validate(SEED_REQUEST)
    assert parsed.max_tokens == 7


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("created",), "yesterday"),  # wrong type
        (("object",), "chat.completion"),  # wrong constant
        (("choices", 0, "finish_reason"), "exhausted"),  # not in the enum
        (("usage", "total_tokens"), "twelve"),
    ],
)
def test_rejects_wrong_types(path: tuple[Any, ...], value: Any) -> None:
    broken = copy.deepcopy(SEED_RESPONSE)
    target = broken
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(pydantic.ValidationError):
        models.CreateCompletionResponse.model_validate(broken)


@pytest.mark.parametrize("field", ["id", "choices", "model", "object", "created"])
def test_rejects_missing_required_field(field: str) -> None:
    broken = copy.deepcopy(SEED_RESPONSE)
    del broken[field]
    with pytest.raises(pydantic.ValidationError):
        models.CreateCompletionResponse.model_validate(broken)


def test_request_bounds_are_enforced() -> None:
    with pytest.raises(pydantic.ValidationError):
        models.CreateCompletionRequest.model_validate({**SEED_REQUEST, "temperature": 2.5})
    with pytest.raises(pydantic.ValidationError):
        models.CreateCompletionRequest.model_validate({**SEED_REQUEST, "stop": ["a", "b", "c", "d", "e"]})


def test_round_trip_is_stable() -> None:
    first = models.CreateCompletionResponse.model_validate(SEED_RESPONSE)
    dumped = first.model_dump(mode="json", exclude_unset=True)
    second = models.CreateCompletionResponse.model_validate(dumped)
    assert second == first
    assert second.model_dump(mode="json", exclude_unset=True) == dumped == SEED_RESPONSE


def _schema_examples() -> list[tuple[str, str, Any]]:
    """(component name, example name, value) for every media example whose schema is a component."""
    document = json.loads(OPENAPI_JSON.read_text())
    found = []
    for item in document["paths"].values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            bodies = [operation.get("requestBody", {}), *list(operation.get("responses", {}).values())]
            for body in bodies:
                for media_name, media in (body.get("content") or {}).items():
                    ref = (media.get("schema") or {}).get("$ref", "")
                    if not ref.startswith("#/components/schemas/") or media_name == "multipart/form-data":
                        continue
                    for name, example in (media.get("examples") or {}).items():
                        if "value" in example:
                            found.append((ref.rsplit("/", 1)[1], name, example["value"]))
    return found


@pytest.mark.parametrize(("component", "name", "value"), _schema_examples())
def test_models_parse_every_example(component: str, name: str, value: Any) -> None:
    model = getattr(models, component)
    model.model_validate(value)
