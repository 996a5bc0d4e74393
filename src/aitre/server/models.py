"""GET /v1/models, GET and DELETE /v1/models/{model}: the configured model list."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from aitre.server.contract import Operation
from aitre.server.encoding import json_response
from aitre.server.errors import ApiError, model_not_found
from aitre.server.runtime import Handler, Runtime

# A fixed creation date: the list must be identical on every call (and OpenAI's dates are not ours to copy).
CREATED = 1700000000
# Not "aitre-reference": that is the tail of the published test key, and a key checker would see an echo.
OWNER = "aitre"


def model_object(model_id: str) -> dict[str, Any]:
    return {"id": model_id, "object": "model", "created": CREATED, "owned_by": OWNER}


async def list_models(runtime: Runtime, request: Request, op: Operation) -> Response:
    data = [model_object(model_id) for model_id, _ in runtime.settings.all_models()]
    return json_response({"object": "list", "data": data})


def _served(runtime: Runtime, request: Request) -> str:
    model_id = str(request.path_params.get("model", ""))
    if model_id not in {served for served, _ in runtime.settings.all_models()}:
        raise model_not_found(model_id)
    return model_id


async def retrieve_model(runtime: Runtime, request: Request, op: Operation) -> Response:
    return json_response(model_object(_served(runtime, request)))


async def delete_model(runtime: Runtime, request: Request, op: Operation) -> Response:
    # This server has base models only; OpenAI refuses to delete those with 403.
    model_id = _served(runtime, request)
    raise ApiError(
        403,
        f"You cannot delete the base model '{model_id}'; only fine-tuned models can be deleted.",
        type="permission_error",
        param="model",
        code="model_not_deletable",
    )


HANDLERS: dict[str, Handler] = {
    "listModels": list_models,
    "retrieveModel": retrieve_model,
    "deleteModel": delete_model,
}
