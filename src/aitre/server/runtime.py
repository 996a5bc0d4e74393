"""What every handler shares: settings, the spec, validators, stores, and the body/model helpers."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from aitre.server import surrogates
from aitre.server.bodies import Form, lone_surrogate, media_type, parse_json_object, parse_multipart, read_body
from aitre.server.contract import Operation
from aitre.server.errors import bad_request, model_not_found
from aitre.server.limits import SizeLimits
from aitre.server.offload import OFFLOAD_BODY_BYTES, off_loop
from aitre.server.settings import ServerSettings
from aitre.server.stores import BoundedStore, StoredImage
from aitre.server.validation import RequestValidator, misplaced_parts, typed_form

# Generated pictures are served from here, outside /v1 and /mj (the route is not part of the spec).
IMAGE_ROUTE = "/files/images"


@dataclass
class Runtime:
    """Per-app state. One instance per `create_app` call, so two embedded servers never share tasks."""

    settings: ServerSettings
    document: dict[str, Any]
    validator: RequestValidator
    limits: SizeLimits
    images: BoundedStore[StoredImage] = field(init=False)
    tasks: BoundedStore[Any] = field(init=False)

    def __post_init__(self) -> None:
        self.images = BoundedStore(
            self.settings.max_stored_images, self.settings.max_stored_image_bytes, lambda image: len(image.data)
        )
        self.tasks = BoundedStore(self.settings.max_stored_tasks)

    async def json_body(self, request: Request, op: Operation) -> dict[str, Any]:
        """The request's JSON object, validated against the operation's schema (400 / 413 otherwise)."""
        raw = await read_body(request, self.settings.max_body_bytes)
        if len(raw) < OFFLOAD_BODY_BYTES:
            return self._json_object(op, raw, media_type(request))
        return await off_loop(self._json_object, op, raw, media_type(request))

    def _json_object(self, op: Operation, raw: bytes, content_type: str) -> dict[str, Any]:
        # The spec's size limits are checked right after parsing, before anything that visits every item.
        body = parse_json_object(raw, content_type, lambda value: self.limits.check(op, "application/json", value))
        self.validator.validate(op, "application/json", body)
        return body

    async def form_body(self, request: Request, op: Operation) -> tuple[Form, dict[str, Any]]:
        """The multipart form and its typed view, validated against the operation's schema."""
        raw = await read_body(request, self.settings.max_body_bytes)
        content_type = request.headers.get("content-type", "")
        if len(raw) < OFFLOAD_BODY_BYTES:
            return self._form(op, raw, content_type)
        return await off_loop(self._form, op, raw, content_type)

    def _form(self, op: Operation, raw: bytes, content_type: str) -> tuple[Form, dict[str, Any]]:
        form = parse_multipart(raw, content_type)
        schema = self.validator.schema_for(op, "multipart/form-data")
        for name, problem in misplaced_parts(self.document, schema, form.fields, form.typed):
            raise bad_request(problem, param=name)
        typed = typed_form(self.document, schema, form.fields)
        self.limits.check(op, "multipart/form-data", typed)
        # Text parts are strict UTF-8, but a JSON-valued part can still escape a lone surrogate.
        where = surrogates.find(typed)
        if where is not None:
            raise lone_surrogate(where)
        self.validator.validate(op, "multipart/form-data", typed)
        return form, typed

    def check_model(self, area: str, model: Any, what: str) -> str:
        """The model id when this server serves it for `area`; 404 `model_not_found` otherwise."""
        if not isinstance(model, str) or not model:
            raise bad_request("You must provide a model parameter.", param="model")
        if model in self.settings.models_for(area):
            return model
        served = {model_id for model_id, _ in self.settings.all_models()}
        hint = f" It is not supported by {what}." if model in served else ""
        raise model_not_found(model, hint)

    def store_image(self, request: Request, image_id: str, data: bytes, media_type: str = "image/png") -> str:
        """Keep a picture (the oldest are evicted past either cap) and return the URL that serves it."""
        self.images.put(image_id, StoredImage(data, media_type))
        return f"{self.base_url(request)}{IMAGE_ROUTE}/{image_id}"

    def base_url(self, request: Request) -> str:
        """Where clients reach this server, for the image URLs it hands out."""
        if self.settings.public_base_url:
            return self.settings.public_base_url.rstrip("/")
        return str(request.base_url).rstrip("/")


def now() -> int:
    return int(time.time())


Handler = Callable[[Runtime, Request, Operation], Awaitable[Response]]
