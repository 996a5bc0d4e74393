"""The MidJourney routes of the spec carry every endpoint and field of the relayed midjourney-proxy API.

The lists below restate section 10 of `shared/reference/openai-format-and-midjourney.md` as data: each
endpoint with its request fields and the fields of its answer, plus the enums. A field is a dotted
path as in `aitre.coverage` (`buttons[].customId`). Whatever the spec leaves out on purpose is in
`OMITTED`, and `spec/DECISIONS.md` must argue each of those entries.
"""

from __future__ import annotations

import copy
import re
from functools import cache
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from aitre.coverage import schema_fields
from aitre.spec.bundle import bundle_spec

from .conftest import ROOT

# Fields every submit body has (midjourney-proxy's base DTO).
BASE = ("notifyHook", "state")
SUBMIT_RESULT = (
    "code",
    "description",
    "result",
    "properties",
    "properties.status",
    "properties.imageUrl",
    "properties.numberOfQueues",
    "properties.discordInstanceId",
    "properties.promptEn",
    "properties.bannedWord",
)
BUTTON = ("customId", "emoji", "label", "type", "style")
TASK = (
    "id",
    "action",
    "status",
    "prompt",
    "promptEn",
    "description",
    "state",
    "submitTime",
    "startTime",
    "finishTime",
    "imageUrl",
    "progress",
    "failReason",
    "properties",
    "properties.finalPrompt",
    "properties.finalZhPrompt",
    "properties.notifyHook",
    "properties.discordInstanceId",
    "properties.messageId",
    "buttons",
    *(f"buttons[].{name}" for name in BUTTON),
    "customId",
    "botType",
    "maskBase64",
    "videoUrl",
    "videoUrls",
    "videoUrls[].url",
)

# (method, path) -> (request fields, response fields); a list response prefixes the task fields with `[]`.
ENDPOINTS: dict[tuple[str, str], tuple[tuple[str, ...], tuple[str, ...]]] = {
    ("post", "/mj/submit/imagine"): (("prompt", "base64Array", "botType", "accountFilter", *BASE), SUBMIT_RESULT),
    ("post", "/mj/submit/change"): (("taskId", "action", "index", *BASE), SUBMIT_RESULT),
    ("post", "/mj/submit/simple-change"): (("content", *BASE), SUBMIT_RESULT),
    ("post", "/mj/submit/describe"): (("base64", "botType", "link", "language", *BASE), SUBMIT_RESULT),
    ("post", "/mj/submit/blend"): (("base64Array", "dimensions", "botType", *BASE), SUBMIT_RESULT),
    ("post", "/mj/submit/action"): (
        ("taskId", "customId", "chooseSameChannel", "enableRemix", "strong", *BASE),
        SUBMIT_RESULT,
    ),
    ("post", "/mj/submit/modal"): (("taskId", "prompt", "maskBase64", *BASE), SUBMIT_RESULT),
    ("post", "/mj/submit/shorten"): (("prompt", "botType", *BASE), SUBMIT_RESULT),
    ("post", "/mj/submit/upload-discord-images"): (("base64Array",), ("code", "description", "result")),
    ("post", "/mj/submit/edits"): (("prompt", "image", *BASE), SUBMIT_RESULT),
    ("post", "/mj/submit/video"): (
        ("prompt", "image", "endImage", "motion", "loop", "action", "index", "taskId", "videoType", "batchSize", *BASE),
        SUBMIT_RESULT,
    ),
    ("post", "/mj/insight-face/swap"): (
        ("sourceBase64", "targetBase64", "sourceUrl", "targetUrl", *BASE),
        SUBMIT_RESULT,
    ),
    ("get", "/mj/task/{id}/fetch"): ((), TASK),
    ("post", "/mj/task/list-by-condition"): (("ids",), tuple(f"[].{name}" for name in TASK)),
    ("get", "/mj/task/{id}/image-seed"): ((), ("code", "description", "result")),
    ("get", "/mj/task/list"): ((), ()),
    ("get", "/mj/task/queue"): ((), ()),
    ("post", "/mj/notify"): ((), ()),
    ("post", "/mj/task/{id}/cancel"): ((), ()),
    ("post", "/mj/submit/retexture"): ((), ()),
    ("post", "/mj/submit/show"): ((), ()),
    ("get", "/mj/image/{id}"): ((), ()),
}

# The enums of section 10.5: component schema -> values it must accept.
ENUMS: dict[str, tuple[str, ...]] = {
    "MjTaskStatus": ("NOT_START", "SUBMITTED", "MODAL", "IN_PROGRESS", "FAILURE", "SUCCESS", "CANCEL", ""),
    "MjTaskAction": (
        "IMAGINE",
        "UPSCALE",
        "VARIATION",
        "REROLL",
        "DESCRIBE",
        "BLEND",
        "INPAINT",
        "MODAL",
        "ZOOM",
        "CUSTOM_ZOOM",
        "SHORTEN",
        "HIGH_VARIATION",
        "LOW_VARIATION",
        "PAN",
        "SWAP_FACE",
        "UPLOAD",
        "VIDEO",
        "EDITS",
        "ACTION",
        "OUTPAINT",
        "SHOW",
        "SWAP_VIDEO_FACE",
        "VIDEO_EXTEND",
        "EDIT",
        "RETEXTURE",
        "PIC_READER",
        "UPSCALE_HD",
    ),
    "MjBotType": ("MID_JOURNEY", "NIJI_JOURNEY"),
}
BLEND_DIMENSIONS = ("PORTRAIT", "SQUARE", "LANDSCAPE")
# Submit return codes of section 10.3; each must be explained in the `code` description.
SUBMIT_CODES = (1, 3, 4, 5, 9, 21, 22, 23, 24, 30)

# What the spec leaves out on purpose: "METHOD /path" for a whole endpoint, "METHOD /path field" for one
# field. The value names the reason; spec/DECISIONS.md argues each entry under "## MidJourney".
OMITTED: dict[str, str] = {
    "POST /mj/submit/edits": "newer relays only; AITRE documents no such page",
    "POST /mj/submit/video": "newer relays only; AITRE documents no such page",
    "POST /mj/insight-face/swap": "face swap appears only in the Chinese snapshot, without a field list",
    "GET /mj/task/list": "served by the proxy itself, not relayed",
    "GET /mj/task/queue": "served by the proxy itself, not relayed",
    "POST /mj/notify": "a callback receiver of one relay, not part of the client API",
    "POST /mj/task/{id}/cancel": "one proxy clone only",
    "POST /mj/submit/retexture": "one proxy clone only",
    "POST /mj/submit/show": "one proxy clone only",
    "GET /mj/image/{id}": "an unauthenticated image proxy of one relay; `imageUrl` already points at it",
    "POST /mj/submit/imagine accountFilter": "one proxy clone only; relays drop it",
    "POST /mj/submit/describe link": "one proxy clone only",
    "POST /mj/submit/describe language": "one proxy clone only",
    "POST /mj/submit/action enableRemix": "one proxy clone only",
    "POST /mj/submit/action strong": "one proxy clone only",
    "GET /mj/task/{id}/fetch videoUrl": "belongs to the omitted video tasks",
    "GET /mj/task/{id}/fetch videoUrls": "belongs to the omitted video tasks",
    "GET /mj/task/{id}/fetch videoUrls[].url": "belongs to the omitted video tasks",
    "POST /mj/task/list-by-condition [].videoUrl": "belongs to the omitted video tasks",
    "POST /mj/task/list-by-condition [].videoUrls": "belongs to the omitted video tasks",
    "POST /mj/task/list-by-condition [].videoUrls[].url": "belongs to the omitted video tasks",
}


def missing_from(document: dict[str, Any]) -> list[str]:
    """Every endpoint or field of `ENDPOINTS` that the bundled `document` lacks and `OMITTED` does not excuse."""
    missing = []
    for (method, path), (request, response) in ENDPOINTS.items():
        name = f"{method.upper()} {path}"
        operation = ((document.get("paths") or {}).get(path) or {}).get(method)
        if operation is None:
            missing.append(name)
            continue
        have_request = _request_fields(document, operation)
        have_response = _response_fields(document, operation)
        missing += [f"{name} {field}" for field in request if field not in have_request]
        missing += [f"{name} {field}" for field in response if field not in have_response]
    return [entry for entry in missing if entry not in OMITTED]


def _request_fields(document: dict[str, Any], operation: dict[str, Any]) -> frozenset[str]:
    content = (operation.get("requestBody") or {}).get("content") or {}
    return schema_fields(document, (content.get("application/json") or {}).get("schema"))


def _response_fields(document: dict[str, Any], operation: dict[str, Any]) -> frozenset[str]:
    media = ((operation.get("responses") or {}).get("200") or {}).get("content", {}).get("application/json") or {}
    return schema_fields(document, _array_root(document, media.get("schema")))


def _array_root(document: dict[str, Any], schema: Any) -> Any:
    """A list answer's fields are written `[].field`: wrap its items under a `[]` property."""
    if isinstance(schema, dict) and schema.get("type") == "array":
        return {"properties": {"[]": schema["items"]}}
    return schema


@cache
def _document() -> dict[str, Any]:
    return bundle_spec(ROOT / "spec" / "openapi.yaml").document


def _validator(document: dict[str, Any], component: str) -> Draft202012Validator:
    registry = Registry().with_resource("urn:bundle", Resource.from_contents(document, DRAFT202012))
    return Draft202012Validator({"$ref": f"urn:bundle#/components/schemas/{component}"}, registry=registry)


def test_every_mj_endpoint_and_field_is_in_the_spec() -> None:
    assert missing_from(_document()) == []


def test_nothing_omitted_is_in_the_spec_after_all() -> None:
    document = _document()
    saved = dict(OMITTED)
    try:
        OMITTED.clear()
        still_missing = set(missing_from(document))
    finally:
        OMITTED.update(saved)
    assert sorted(set(saved) - still_missing) == []


def test_every_omission_is_argued_in_decisions() -> None:
    decisions = (ROOT / "spec" / "DECISIONS.md").read_text(encoding="utf-8")
    assert "\n## MidJourney\n" in decisions
    section = decisions.split("\n## MidJourney\n", 1)[1].split("\n## ", 1)[0]
    for entry in OMITTED:
        subject = entry.split(" ")[2].removeprefix("[].") if entry.count(" ") == 2 else entry.split(" ")[1]
        assert f"`{subject}`" in section, f"DECISIONS.md does not argue the omission of {entry!r}"


@pytest.mark.parametrize("component", sorted(ENUMS))
def test_enum_values_are_accepted(component: str) -> None:
    validator = _validator(_document(), component)
    rejected = [value for value in ENUMS[component] if not validator.is_valid(value)]
    assert rejected == []


def test_blend_dimensions_are_the_documented_three() -> None:
    dimensions = _document()["components"]["schemas"]["MjSubmitBlendRequest"]["properties"]["dimensions"]
    assert tuple(dimensions["enum"]) == BLEND_DIMENSIONS


def test_every_submit_code_is_explained() -> None:
    text = _document()["components"]["schemas"]["MjSubmitResponse"]["properties"]["code"]["description"]
    unexplained = [code for code in SUBMIT_CODES if not re.search(rf"\b{code}\b", text)]
    assert unexplained == []


def test_a_removed_field_is_reported() -> None:
    document = copy.deepcopy(_document())
    del document["components"]["schemas"]["MjSubmitActionRequest"]["properties"]["chooseSameChannel"]
    del document["components"]["schemas"]["MjButton"]["properties"]["emoji"]
    assert missing_from(document) == [
        "POST /mj/submit/action chooseSameChannel",
        "GET /mj/task/{id}/fetch buttons[].emoji",
        "POST /mj/task/list-by-condition [].buttons[].emoji",
    ]


def test_a_removed_endpoint_is_reported() -> None:
    document = copy.deepcopy(_document())
    del document["paths"]["/mj/task/{id}/image-seed"]
    assert missing_from(document) == ["GET /mj/task/{id}/image-seed"]


def test_a_narrowed_enum_is_caught() -> None:
    document = copy.deepcopy(_document())
    document["components"]["schemas"]["MjTaskStatus"]["enum"].remove("CANCEL")
    assert not _validator(document, "MjTaskStatus").is_valid("CANCEL")
