"""Rules on operations: identity, documentation and the shared error responses."""

from __future__ import annotations

import re
from collections.abc import Iterator

from aitre.spec.bundle import Bundle
from aitre.spec.problems import Problem
from aitre.spec.rules import rule
from aitre.spec.walk import operations

# Shared error responses every operation declares, by status code.
ALWAYS = {
    "401": "Unauthorized",
    "403": "Forbidden",
    "429": "TooManyRequests",
    "500": "InternalServerError",
    "503": "ServiceUnavailable",
}
WITH_INPUT = {"400": "BadRequest"}
WITH_TARGET = {"404": "NotFound"}
# MidJourney routes use their own variants, which also allow the midjourney-proxy error shape (spec M18).
MJ_VARIANTS = {"BadRequest": "MjBadRequest", "NotFound": "MjNotFound", "TooManyRequests": "MjTooManyRequests"}


@rule("operation-identity")
def operation_identity(bundle: Bundle) -> Iterator[Problem]:
    """Every operation has a unique camelCase operationId, a summary and one known tag."""
    known_tags = {t.get("name") for t in bundle.document.get("tags") or [] if isinstance(t, dict)}
    seen: dict[str, str] = {}
    for pointer, path, method, operation in operations(bundle.document):
        label = f"{method.upper()} {path}"
        operation_id = operation.get("operationId")
        if not operation_id:
            yield bundle.problem(pointer, "operation-identity", f"{label} has no operationId")
        elif not re.fullmatch(r"[a-z][A-Za-z0-9]*", operation_id):
            yield bundle.problem(
                (*pointer, "operationId"),
                "operation-identity",
                f"{label}: operationId {operation_id!r} is not camelCase",
            )
        elif operation_id in seen:
            yield bundle.problem(
                (*pointer, "operationId"),
                "operation-identity",
                f"{label}: operationId {operation_id!r} is also used by {seen[operation_id]}",
            )
        else:
            seen[operation_id] = label
        if not str(operation.get("summary") or "").strip():
            yield bundle.problem(pointer, "operation-identity", f"{label} has no summary")
        tags = operation.get("tags") or []
        if len(tags) != 1:
            yield bundle.problem(pointer, "operation-identity", f"{label} must have exactly one tag, has {len(tags)}")
        for tag in tags:
            if tag not in known_tags:
                yield bundle.problem((*pointer, "tags"), "operation-identity", f"{label}: tag {tag!r} is not declared")


@rule("operation-responses")
def operation_responses(bundle: Bundle) -> Iterator[Problem]:
    """Every operation has a 2xx response and references the shared error responses it can meet."""
    for pointer, path, method, operation in operations(bundle.document):
        label = f"{method.upper()} {path}"
        responses = operation.get("responses") or {}
        if not any(str(code).startswith("2") for code in responses):
            yield bundle.problem(pointer, "operation-responses", f"{label} has no 2xx response")
        parameters = operation.get("parameters") or []
        path_item = bundle.document["paths"][path]
        parameters = [*parameters, *(path_item.get("parameters") or [])]
        has_body = "requestBody" in operation
        has_path_param = "{" in path
        required = dict(ALWAYS)
        if has_body or parameters:
            required.update(WITH_INPUT)
        if has_body or has_path_param:
            required.update(WITH_TARGET)
        midjourney = path.startswith("/mj/")
        for code, shared in sorted(required.items()):
            name = MJ_VARIANTS.get(shared, shared) if midjourney else shared
            response = responses.get(code)
            expected = f"#/components/responses/{name}"
            if response is None:
                yield bundle.problem(
                    (*pointer, "responses"),
                    "operation-responses",
                    f"{label} lacks the shared {code} response ($ref {name})",
                )
            elif not (isinstance(response, dict) and response.get("$ref") == expected):
                yield bundle.problem(
                    (*pointer, "responses", code),
                    "operation-responses",
                    f"{label}: {code} should be $ref to the shared {name} response",
                )
