"""Models: the list is well formed, retrieving a listed model agrees with the list, unknown ids are 404."""

from __future__ import annotations

import secrets
from typing import Any

from aitre.conform.checks._common import (
    MODEL,
    MODEL_DELETE,
    MODELS,
    check_id,
    is_int,
    js,
    json_type,
    ok_json,
    require_error,
)
from aitre.conform.context import CheckContext
from aitre.conform.failures import ContractViolation, NotSupported, Skipped, expect
from aitre.conform.registry import check

# Retrieving every model of a large relay costs a request each; a few show agreement as well.
RETRIEVE_SAMPLE = 3


def model_list(ctx: CheckContext) -> list[dict[str, Any]]:
    """The `data` of GET /v1/models (shared with discovery's request when possible)."""
    body = ok_json(ctx.send_shared("models:list", MODELS))
    expect(body.get("object") == "list", f"object is {js(body.get('object'))}, not 'list'")
    data = body.get("data")
    expect(isinstance(data, list), f"data is {json_type(data)}, not an array")
    return data  # type: ignore[return-value]  # expect() above checked the shape


@check("models", "list", MODELS)
def model_list_is_well_formed(ctx: CheckContext) -> None:
    """GET /v1/models is `{object: "list", data: [...]}`; every item has object "model", a unique id,
    integer `created` and a string `owned_by`.

    Extra item fields (`permission`, `root`, `supported_endpoint_types`) are allowed; an empty list is allowed.
    """
    seen: set[str] = set()
    for position, item in enumerate(model_list(ctx)):
        where = f"data[{position}]"
        expect(isinstance(item, dict), f"{where} is not an object")
        expect(item.get("object") == "model", f"{where}.object is {js(item.get('object'))}, not 'model'")
        check_id(item.get("id"), f"{where}.id")
        expect(item["id"] not in seen, f"{where}.id {js(item['id'])} is listed twice")
        seen.add(item["id"])
        expect(is_int(item.get("created")), f"{where}.created is {js(item.get('created'))}, not an integer")
        expect(isinstance(item.get("owned_by"), str), f"{where}.owned_by is {js(item.get('owned_by'))}")


@check("models", "retrieve", MODELS, MODEL)
def model_retrieve_matches_list(ctx: CheckContext) -> None:
    """GET /v1/models/{id} for a listed id returns the same id, object, created and owned_by as the list.

    Checks the first few listed models only; fields beyond those four may differ.
    """
    items = [item for item in model_list(ctx) if isinstance(item, dict) and isinstance(item.get("id"), str)]
    if not items:
        raise Skipped("the model list is empty")
    for item in items[:RETRIEVE_SAMPLE]:
        exchange = ctx.send(MODEL, path=f"/v1/models/{item['id']}")
        got = ok_json(exchange)
        for name in ("id", "object", "created", "owned_by"):
            expect(
                got.get(name) == item.get(name),
                f"retrieve {js(item['id'])}: {name} is {js(got.get(name))}, the list says {js(item.get(name))}",
            )


@check("models", "unknown id", MODEL)
def unknown_model_retrieve_is_404(ctx: CheckContext) -> None:
    """GET /v1/models/{id} for an id the server does not have gets 404 with the error object.

    spec/DECISIONS.md G3: a 200 carrying an error body (as one-api answers) is a violation.
    """
    exchange = ctx.send(MODEL, path=f"/v1/models/aitre-no-such-model-{secrets.token_hex(4)}")
    require_error(exchange, 404)


@check("models", "delete", MODEL_DELETE)
def model_delete_unknown_is_404(ctx: CheckContext) -> None:
    """DELETE /v1/models/{id} of an id the server does not have gets 404 with the error object (not a 200
    `{deleted: false}`, which a client reads as "it exists but stays").

    Listed models are never deleted by a conformance run (a fine-tuned model would be lost), so the
    success shape `{id, object: "model", deleted}` is not exercised. A server without the route (405) is
    reported as not supported.
    """
    exchange = ctx.send(MODEL_DELETE, path=f"/v1/models/aitre-no-such-model-{secrets.token_hex(4)}")
    if exchange.status == 405:
        raise NotSupported("DELETE /v1/models/{model} answers 405")
    require_error(exchange, 404)


@check("models", "listed models served", MODELS)
def listed_models_are_served(ctx: CheckContext) -> None:
    """A model GET /v1/models lists is taken by a request of its kind: no 404 or `model_not_found` for it.

    Only the listed ids the run tried while choosing its models are judged (one small request per role,
    up to three listed ids each); a listed id refused for anything else (a parameter that model lacks, a
    4xx naming another field) is not held against the server. Nothing to judge when the list is empty.
    """
    if not ctx.refused_models:
        if not ctx.listed:
            raise Skipped("the model list is empty")
        return
    model, first = ctx.refused_models[0]
    shown = "; ".join(f"{name} ({exchange.operation} -> {exchange.status})" for name, exchange in ctx.refused_models)
    raise ContractViolation(f"{len(ctx.refused_models)} listed model(s) refused as unknown: {shown}",
                            operation=first.operation, exchange=first,
                            cause=f"models listed by GET /v1/models are refused as unknown ({model}, ...)")
