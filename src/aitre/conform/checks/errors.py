"""Errors: every 4xx carries the OpenAI error object, and invalid input gets a 4xx (never 2xx or 5xx)."""

from __future__ import annotations

import secrets

from aitre.conform.checks._common import (
    CHAT,
    EMBEDDINGS,
    chat_body,
    error_cause,
    error_problem_for,
    error_shape_problem,
    js,
    require_client_error,
    require_error,
)
from aitre.conform.context import CheckContext
from aitre.conform.failures import ContractViolation, Skipped, expect
from aitre.conform.registry import check


@check("errors", "error shape", final=True)
def every_4xx_has_error_object(ctx: CheckContext) -> None:
    """Every 4xx answer this run received on /v1 and /mj routes is `{"error": {message, type, param, code}}`.

    Covers our requests and the schemathesis ones; `type`/`code` are open strings, `param`/`code` may be null.
    MidJourney routes may instead answer `{"code": <int>, "description": ...}`, the midjourney-proxy shape
    new-api sends for relay-side MJ failures (spec M18).
    """
    bad: list[str] = []
    problems: list[str] = []
    first = None
    judged = len(ctx.foreign_responses)
    for exchange in list(ctx.client.log):
        if exchange.status is None or not 400 <= exchange.status < 500:
            continue
        judged += 1
        problem = error_shape_problem(exchange)
        if problem:
            bad.append(f"{exchange.operation} -> {exchange.status}: {problem}")
            problems.append(problem)
            first = first or exchange
    for operation, status, content_type, body in list(ctx.foreign_responses):
        problem = error_problem_for(operation.partition(" ")[2], content_type, body)
        if problem:
            bad.append(f"{operation} -> {status}: {problem} (a schemathesis request)")
            problems.append(problem)
    if not judged and not bad:
        # A server that never answered 4xx (every answer a redirect, say) showed no error shape to judge.
        raise Skipped("no 4xx answer was seen, so no error shape could be judged")
    if bad:
        raise ContractViolation(
            f"{len(bad)} 4xx answer(s) without the OpenAI error object: {'; '.join(bad[:4])}",
            operation=first.operation if first else None,
            exchange=first,
            cause=error_cause(max(set(problems), key=problems.count)),
        )


@check("errors", "invalid input", CHAT)
def malformed_json_is_400(ctx: CheckContext) -> None:
    """A request body that is not JSON at all gets 400 with the error object.

    Any 4xx is accepted but 400 is what the format gives; 2xx and 5xx fail.
    """
    exchange = ctx.send(CHAT, content=b'{"model": "x", "messages": [', headers={"Content-Type": "application/json"},
                        isolated=True)
    require_client_error(exchange, "a truncated JSON body")


@check("errors", "invalid input", CHAT)
def missing_required_field_is_4xx(ctx: CheckContext) -> None:
    """A chat request without `messages` gets a 4xx error object; a non-null `param` must name `messages`.

    `param` may be null: relays often do not fill it.
    """
    body = chat_body(ctx)
    del body["messages"]
    error = require_client_error(ctx.send(CHAT, json_body=body), "a chat request without messages")
    param = error.get("param")
    expect(param is None or "messages" in param, f"error.param is {js(param)} for a missing `messages`")


@check("errors", "invalid input", CHAT)
def out_of_range_values_are_4xx(ctx: CheckContext) -> None:
    """Out-of-range numbers (temperature 5, top_p 2, n 0) each get a 4xx error object, never a completion.

    A non-null `param` must name the offending field.
    """
    for field, value in (("temperature", 5), ("top_p", 2), ("n", 0)):
        exchange = ctx.send(CHAT, json_body=chat_body(ctx, **{field: value}))  # type: ignore[arg-type]  # never `content`
        error = require_client_error(exchange, f"{field}={value}")
        param = error.get("param")
        expect(param is None or field in param, f"error.param is {js(param)} for an invalid `{field}`")


@check("errors", "invalid input", CHAT, EMBEDDINGS)
def wrong_types_are_4xx(ctx: CheckContext) -> None:
    """Fields of the wrong JSON type (messages as a string, embeddings input as an object) get a 4xx.

    Relays that coerce types are still wrong here: the contract gives 400 for a schema violation.
    """
    exchange = ctx.send(CHAT, json_body={**chat_body(ctx), "messages": "Say hello."})
    require_client_error(exchange, "`messages` as a string")
    body = {"model": ctx.models.get("embeddings") or "text-embedding-3-small", "input": {"text": "hello"}}
    require_client_error(ctx.send(EMBEDDINGS, json_body=body), "embeddings `input` as an object")


@check("errors", "unknown model", CHAT)
def unknown_model_is_404(ctx: CheckContext) -> None:
    """A chat request naming a model the server does not have gets 404 with the error object.

    spec/DECISIONS.md G3 follows OpenAI (404 `model_not_found`); `code` is not required to be that string.
    """
    body = chat_body(ctx, model=f"aitre-no-such-model-{secrets.token_hex(4)}")
    require_error(ctx.send(CHAT, json_body=body), 404)


@check("errors", "unknown route")
def unknown_route_is_404(ctx: CheckContext) -> None:
    """An authenticated request to a path outside the API gets 404 with the error object.

    OpenAI answers `invalid_request_error` "Invalid URL"; any message and type are accepted.
    """
    path = f"/v1/aitre-no-such-route-{secrets.token_hex(4)}"
    exchange = ctx.send(f"GET {path}")
    if exchange.status != 404:
        raise ContractViolation(f"GET {path} was answered {exchange.status}, not 404", exchange=exchange)
    require_error(exchange, 404)
