"""Cross-field rules of the request schemas (DECISIONS G8).

Each rule rejects its bad combination through the bundled spec, and only because of the rule (the same
schema without the rules beside its `$ref` accepts it); the reference server answers that body with 400 naming the same
field; and on a table of sample bodies the spec and the server's own checks (`SEMANTIC_CHECKS`) agree.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

import jsonschema_rs
import pytest
from starlette.testclient import TestClient

from aitre.generated import OPENAPI_JSON
from aitre.server import DEFAULT_API_KEY, ServerSettings, create_app
from aitre.server.app import SEMANTIC_CHECKS
from aitre.server.errors import ApiError

DRAFT = "https://json-schema.org/draft/2020-12/schema"
DOCUMENT: dict[str, Any] = json.loads(OPENAPI_JSON.read_text(encoding="utf-8"))
SETTINGS = ServerSettings()
BINARY = "<binary>"  # how the server's form typing stands in for an uploaded file
CHAT = [{"role": "user", "content": "Hi"}]
TOOL = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}
FUNCTION = {"name": "lookup", "parameters": {"type": "object"}}


def _request_bodies() -> dict[str, tuple[str, str, str, str]]:
    """operationId -> (path, media type, request schema name, pointer to the body schema), read from the bundle."""
    found: dict[str, tuple[str, str, str, str]] = {}
    for path, item in DOCUMENT["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "requestBody" not in operation:
                continue
            for media, content in operation["requestBody"]["content"].items():
                ref = content["schema"].get("$ref", "")
                if ref.startswith("#/components/schemas/"):
                    escaped = path.replace("~", "~0").replace("/", "~1")
                    pointer = f"#/paths/{escaped}/{method}/requestBody/content/{media.replace('/', '~1')}/schema"
                    found[operation["operationId"]] = (path, media, ref.rsplit("/", 1)[1], pointer)
    return found


BODIES = _request_bodies()
# The keywords of a body schema that make up its rules (DECISIONS G8): a list of them, or one written directly.
RULE_KEYWORDS = ("allOf", "if", "then", "else", "description", "x-aitre-policy")


def _body_schema(document: dict[str, Any], operation_id: str) -> dict[str, Any]:
    """The request-body schema of an operation in `document`: the `$ref` to its component and the rules beside it."""
    path, media = BODIES[operation_id][:2]
    for operation in document["paths"][path].values():
        if isinstance(operation, dict) and operation.get("operationId") == operation_id:
            schema: dict[str, Any] = operation["requestBody"]["content"][media]["schema"]
            return schema
    raise KeyError(operation_id)


def _rules(operation_id: str) -> list[dict[str, Any]]:
    """The rule blocks of an operation's request body, where the spec keeps them: beside the body's `$ref`."""
    schema = _body_schema(DOCUMENT, operation_id)
    if "if" in schema:
        return [schema]
    rules: list[dict[str, Any]] = schema.get("allOf", [])
    return rules


@cache
def _validator(operation_id: str, with_rules: bool) -> jsonschema_rs.Validator:
    """The operation's request-body schema, as the bundle has it or with the rules beside its `$ref` removed."""
    document = DOCUMENT if with_rules else copy.deepcopy(DOCUMENT)
    if not with_rules:
        for keyword in RULE_KEYWORDS:
            _body_schema(document, operation_id).pop(keyword, None)
    # The whole document is the root, so the pointer into paths and the component $refs all resolve.
    return jsonschema_rs.validator_for({**document, "$schema": DRAFT, "$ref": BODIES[operation_id][3]})


def _spec_params(operation_id: str, body: dict[str, Any]) -> list[str]:
    """The fields the spec's errors point at (a missing property counts as its own field); empty when valid."""
    params = []
    for error in _validator(operation_id, True).iter_errors(body):
        path = [str(part) for part in error.instance_path]
        if isinstance(error.kind, jsonschema_rs.ValidationErrorKind.Required):
            path.append(str(error.kind.property))
        params.append(".".join(path))
    return params


def _server_param(operation_id: str, body: dict[str, Any]) -> str | None:
    """None when the server's own check passes the body, else the `param` of its 400 ("" for no param)."""
    try:
        SEMANTIC_CHECKS[operation_id](SETTINGS, copy.deepcopy(body))
    except ApiError as error:
        assert error.status == 400
        return error.param or ""
    return None


def _image(**fields: Any) -> dict[str, Any]:
    return {"prompt": "An otter", **fields}


def _edit(**fields: Any) -> dict[str, Any]:
    return {"image": [BINARY], "prompt": "Add a hat", **fields}


def _speech(**fields: Any) -> dict[str, Any]:
    return {"input": "Hello", **fields}


def _chat(**fields: Any) -> dict[str, Any]:
    return {"model": "gpt-4o-mini", "messages": CHAT, **fields}


def _completion(**fields: Any) -> dict[str, Any]:
    return {"model": "gpt-3.5-turbo-instruct", "prompt": "Say this is a test", **fields}


def _embedding(**fields: Any) -> dict[str, Any]:
    return {"input": "The food was delicious", **fields}


# (operationId, a body the rule allows, the same body breaking the rule, the field the 400 names)
RULES: list[tuple[str, dict[str, Any], dict[str, Any], str]] = [
    ("createImage", _image(model="dall-e-3", size="1792x1024"), _image(model="dall-e-3", size="1536x1024"), "size"),
    ("createImage", _image(model="dall-e-3", n=1), _image(model="dall-e-3", n=2), "n"),
    ("createImage", _image(model="dall-e-3", prompt="x" * 4000), _image(model="dall-e-3", prompt="x" * 4001), "prompt"),
    ("createImage", _image(model="dall-e-3", stream=False), _image(model="dall-e-3", stream=True), "stream"),
    ("createImage", _image(size="512x512"), _image(size="1536x1024"), "size"),
    ("createImage", _image(model=None, size="auto"), _image(model=None, size="1792x1024"), "size"),
    ("createImage", _image(model="dall-e-2", prompt="x" * 1000), _image(model="dall-e-2", prompt="x" * 1001), "prompt"),
    ("createImage", _image(prompt="x" * 1000), _image(prompt="x" * 1001), "prompt"),
    ("createImage", _image(model="dall-e-2", stream=None), _image(model="dall-e-2", stream=True), "stream"),
    ("createImage", _image(model="gpt-image-1", size="1536x1024"), _image(model="gpt-image-1", size="1792x1024"),
     "size"),
    ("createImage", _image(model="gpt-image-1-mini", size="auto"), _image(model="gpt-image-1-mini", size="512x512"),
     "size"),
    ("createImage", _image(model="gpt-image-1", background="transparent", output_format="png"),
     _image(model="gpt-image-1", background="transparent", output_format="jpeg"), "background"),
    ("createImage", _image(model="flux", stream=False), _image(model="flux", stream=True), "stream"),
    ("createSpeech", _speech(model="tts-1", voice="shimmer"), _speech(model="tts-1", voice="cedar"), "voice"),
    ("createSpeech", _speech(model="gpt-4o-mini-tts", voice="marin"), _speech(model="tts-1-hd", voice="marin"),
     "voice"),
    ("createSpeech", _speech(model="tts-1", voice="coral"), _speech(model="tts-1", voice="verse"), "voice"),
    ("createSpeech", _speech(model="gpt-4o-mini-tts", voice="alloy", stream_format="sse"),
     _speech(model="tts-1", voice="alloy", stream_format="sse"), "stream_format"),
    ("createChatCompletion", _chat(logprobs=True, top_logprobs=3), _chat(top_logprobs=3), "top_logprobs"),
    ("createChatCompletion", _chat(logprobs=False, top_logprobs=None), _chat(logprobs=False, top_logprobs=0),
     "top_logprobs"),
    ("createChatCompletion", _chat(stream=True, stream_options={"include_usage": True}),
     _chat(stream=False, stream_options={"include_usage": True}), "stream_options"),
    ("createChatCompletion", _chat(modalities=["text", "audio"], audio={"voice": "alloy", "format": "wav"}),
     _chat(modalities=["text", "audio"]), "audio"),
    ("createChatCompletion", _chat(modalities=["audio"], audio={"voice": "alloy", "format": "mp3"}),
     _chat(modalities=["audio"], audio=None), "audio"),
    ("createChatCompletion", _chat(tools=[TOOL], tool_choice="required"), _chat(tool_choice="required"),
     "tool_choice"),
    ("createChatCompletion", _chat(tools=[TOOL], tool_choice="none"), _chat(tools=[], tool_choice="none"),
     "tool_choice"),
    ("createChatCompletion", _chat(functions=[FUNCTION], function_call="auto"), _chat(function_call="auto"),
     "function_call"),
    ("createCompletion", _completion(stream=True, best_of=1), _completion(stream=True, best_of=2), "best_of"),
    ("createCompletion", _completion(stream=True, stream_options={"include_usage": True}),
     _completion(stream_options={"include_usage": True}), "stream_options"),
    ("createEmbedding", _embedding(model="text-embedding-ada-002"),
     _embedding(model="text-embedding-ada-002", dimensions=256), "dimensions"),
    ("createEmbedding", _embedding(model="text-embedding-3-small", dimensions=1536),
     _embedding(model="text-embedding-3-small", dimensions=1537), "dimensions"),
    ("createEmbedding", _embedding(model="text-embedding-3-large", dimensions=3072),
     _embedding(model="text-embedding-3-large", dimensions=3073), "dimensions"),
]

# More bodies both sides must judge alike: the neighbours of each rule that it must leave alone.
SAMPLES: list[tuple[str, dict[str, Any]]] = [
    ("createImage", _image(model="dall-e-3", n=None, size=None)),
    ("createImage", _image(model="dall-e-3", size="auto", quality="hd", style="natural")),
    ("createImage", _image(model="dall-e-2", n=10, size="256x256")),
    ("createImage", _image(model="gpt-image-1", n=4, stream=True, partial_images=2)),
    ("createImage", _image(model="gpt-image-1", background="transparent")),
    ("createImage", _image(model="gpt-image-1", background="opaque", output_format="jpeg")),
    ("createImage", _image(model="dall-e-2", background="transparent", output_format="jpeg")),
    ("createImage", _image(model="gpt-image-1", prompt="x" * 32000)),
    ("createImage", _image(model="flux", size="1024x768", n=2)),
    ("createImage", _image(model="dall-e-3", prompt="x" * 1001)),
    ("createImage", _image(model="dall-e-2", size="1024x1792")),
    ("createImageEdit", _edit(model="gpt-image-1", stream=True, n=3)),
    ("createImageEdit", _edit(stream=True, partial_images=1)),
    ("createImageEdit", _edit(model="dall-e-2", background="transparent", output_format="jpeg")),
    ("createImageEdit", _edit(model="gpt-image-1", background="transparent", output_format="jpeg")),
    ("createImageEdit", _edit(model="gpt-image-1", size="512x512")),
    ("createImageEdit", _edit(prompt="x" * 1001)),
    # Edits carry no rules (G8: multipart schemas have none): what OpenAI refuses per model is accepted here.
    ("createImageEdit", _edit(model="dall-e-3")),
    ("createImageEdit", _edit(model="dall-e-2", size="1024x1536", stream=True)),
    ("createImageEdit", _edit(model="gpt-image-1.5", size="512x512")),
    ("createImageVariation", {"image": BINARY, "model": None, "size": "512x512", "n": 4}),
    ("createSpeech", _speech(model="tts-1", voice={"id": "voice_1234"})),
    ("createSpeech", _speech(model="tts-1-hd", voice="nova", stream_format="audio")),
    ("createSpeech", _speech(model="gpt-4o-mini-tts", voice="marin", instructions="Slowly")),
    ("createSpeech", _speech(model="tts", voice="verse", stream_format="sse")),
    ("createSpeech", _speech(model="tts-1", voice="ballad")),
    ("createChatCompletion", _chat(logprobs=True)),
    ("createChatCompletion", _chat(logprobs=None, top_logprobs=None)),
    ("createChatCompletion", _chat(logprobs=True, top_logprobs=0)),
    ("createChatCompletion", _chat(stream=None, stream_options=None)),
    ("createChatCompletion", _chat(stream=True)),
    ("createChatCompletion", _chat(stream_options={"include_usage": True})),
    ("createChatCompletion", _chat(modalities=["text"])),
    ("createChatCompletion", _chat(modalities=None)),
    ("createChatCompletion", _chat(audio={"voice": "alloy", "format": "wav"})),
    ("createChatCompletion", _chat(tools=[TOOL])),
    ("createChatCompletion", _chat(tools=[])),
    ("createChatCompletion", _chat(tools=[TOOL], tool_choice="auto")),
    ("createChatCompletion", _chat(functions=[FUNCTION], function_call="none")),
    ("createChatCompletion", _chat(tools=[TOOL], function_call="auto")),
    ("createChatCompletion", _chat(tool_choice="none")),
    ("createCompletion", _completion(best_of=3, n=2)),
    ("createCompletion", _completion(stream=True, best_of=None)),
    ("createCompletion", _completion(stream=False, stream_options=None)),
    ("createCompletion", _completion(stream=True, best_of=3)),
    ("createEmbedding", _embedding(model="text-embedding-3-large", dimensions=2048)),
    ("createEmbedding", _embedding(model="text-embedding-3-small", dimensions=1)),
    ("createEmbedding", _embedding(model="text-embedding-ada-001", dimensions=8)),
    ("createEmbedding", _embedding(model="text-embedding-3-small", dimensions=3072)),
    # GPT image models after gpt-image-1 take other sizes, and every GPT image model streams.
    ("createImage", _image(model="gpt-image-2", size="1536x864")),
    ("createImage", _image(model="chatgpt-image-latest", stream=True)),
]


def _server_stricter(reason: str) -> pytest.MarkDecorator:
    return pytest.mark.xfail(strict=True, reason=f"the server is stricter than the spec: {reason}")


# Bodies the spec accepts on purpose and the reference server refuses: the server applies a rule to models
# no page documents it for (G8). Strict xfail, so a server that stops refusing them fails here until the
# entry is removed.
DIVERGENCES = [
    pytest.param("createImage", _image(model="flux", size="4096x4096"),
                 marks=_server_stricter("Flux sizes are held to 64..2048, which no page states"), id="flux-size"),
    pytest.param("createEmbedding", _embedding(model="my-embedder", dimensions=2048),
                 marks=_server_stricter("an unknown embedding model is held to 1536 dimensions"),
                 id="unknown-embedder-dimensions"),
]

# Rules the server enforces that JSON Schema cannot state: the spec accepts these bodies, the server refuses.
INEXPRESSIBLE: list[tuple[str, dict[str, Any], str]] = [
    ("createCompletion", _completion(best_of=2, n=3), "best_of"),
    ("createCompletion", _completion(best_of=0), "best_of"),  # n defaults to 1
    ("createChatCompletion", _chat(tools=[TOOL], tool_choice={"type": "function", "function": {"name": "other"}}),
     "tool_choice"),
    ("createChatCompletion", _chat(functions=[FUNCTION], function_call={"name": "other"}), "function_call"),
    ("createEmbedding", _embedding(model="text-embedding-3-small", input=" word" * 9000), "input"),
]


def _assert_base_valid(operation_id: str, body: dict[str, Any]) -> None:
    """Only the rules may decide: without them the schema must accept the body."""
    errors = [error.message for error in _validator(operation_id, False).iter_errors(body)]
    assert errors == [], f"sample is invalid even without the rules: {errors}"


MULTIPART = {"createImageEdit", "createImageVariation"}


def test_every_operation_with_server_checks_has_rules_and_samples() -> None:
    covered = {operation_id for operation_id, *_ in RULES}
    assert covered == set(SEMANTIC_CHECKS) - MULTIPART
    for operation_id in covered:
        rules = _rules(operation_id)
        assert rules, operation_id
        assert all(rule.get("x-aitre-policy") in ("model", "combination") for rule in rules), operation_id
        assert all(rule.get("description") and "if" in rule for rule in rules), operation_id
    for operation_id in SEMANTIC_CHECKS:  # rules inside a component make openapi-generator crash (DECISIONS G8)
        assert "allOf" not in DOCUMENT["components"]["schemas"][BODIES[operation_id][2]], operation_id
    for operation_id in MULTIPART:  # schemathesis cannot judge a form with a file against if/then rules
        assert _rules(operation_id) == [], operation_id


@pytest.mark.parametrize("model", ["gpt-image-1", "dall-e-3", "chatgpt-image-latest", "flux"])
def test_variations_take_dall_e_2_only_in_the_spec_and_the_server(model: str) -> None:
    """The one-model rule of variations sits on the property itself (an enum marked as model policy)."""
    good = {"image": BINARY, "model": "dall-e-2"}
    bad = {"image": BINARY, "model": model}
    assert _spec_params("createImageVariation", good) == [] and _server_param("createImageVariation", good) is None
    assert _spec_params("createImageVariation", bad) == ["model"]
    assert _server_param("createImageVariation", bad) == "model"


@pytest.mark.parametrize(("operation_id", "good", "bad", "param"), RULES)
def test_rule_rejects_the_bad_combination_only(
    operation_id: str, good: dict[str, Any], bad: dict[str, Any], param: str
) -> None:
    _assert_base_valid(operation_id, good)
    _assert_base_valid(operation_id, bad)
    assert _spec_params(operation_id, good) == []
    assert _spec_params(operation_id, bad) == [param]


@pytest.mark.parametrize(("operation_id", "body"),
                         [(op, good) for op, good, _, _ in RULES] + [(op, bad) for op, _, bad, _ in RULES] + SAMPLES)
def test_spec_and_server_check_agree(operation_id: str, body: dict[str, Any]) -> None:
    _assert_base_valid(operation_id, body)
    spec = _spec_params(operation_id, body)
    server = _server_param(operation_id, body)
    assert (spec == []) == (server is None), f"spec errors {spec}, server param {server!r}"
    if server is not None:
        assert server in spec


@pytest.mark.parametrize(("operation_id", "body"), DIVERGENCES)
def test_spec_and_server_check_agree_beyond_documented_models(operation_id: str, body: dict[str, Any]) -> None:
    _assert_base_valid(operation_id, body)
    assert _spec_params(operation_id, body) == []
    assert _server_param(operation_id, body) is None


@pytest.mark.parametrize(("operation_id", "body", "param"), INEXPRESSIBLE)
def test_rules_a_schema_cannot_state_are_left_to_the_server(
    operation_id: str, body: dict[str, Any], param: str
) -> None:
    _assert_base_valid(operation_id, body)
    assert _spec_params(operation_id, body) == []
    assert _server_param(operation_id, body) == param


@pytest.fixture(scope="module")
def server() -> TestClient:
    return TestClient(create_app(SETTINGS), headers={"Authorization": f"Bearer {DEFAULT_API_KEY}"})


def _form_value(value: Any) -> str:
    return json.dumps(value) if isinstance(value, bool | None) else str(value)


@pytest.mark.parametrize(("operation_id", "bad", "param"), [(op, bad, param) for op, _, bad, param in RULES])
def test_server_400_names_the_field(server: TestClient, operation_id: str, bad: dict[str, Any], param: str) -> None:
    """Through HTTP the body meets the spec-driven validator first; its 400 must name the rule's field."""
    path, media = BODIES[operation_id][:2]
    if media == "multipart/form-data":
        fields = {key: _form_value(value) for key, value in bad.items() if value != BINARY}
        response = server.post(path, data=fields, files={"image": ("in.png", b"\x89PNG\r\n\x1a\n", "image/png")})
    else:
        response = server.post(path, json=bad)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["param"] == param
