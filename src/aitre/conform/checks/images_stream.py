"""Images: streamed generations and edits (partial_image events, one completed event, partial_images)."""

from __future__ import annotations

from typing import Any

from aitre.conform.checks._common import (
    IMAGE_EDITS,
    IMAGES,
    base64_field,
    is_int,
    js,
    model_with,
    skip_if_model_unknown,
    skip_if_refused,
)
from aitre.conform.checks.images import GPT_IMAGE_MODELS, gpt_image, image_body, multipart_form, send_upload
from aitre.conform.checks.streaming import read_typed_events
from aitre.conform.client import Exchange
from aitre.conform.context import CheckContext
from aitre.conform.failures import expect
from aitre.conform.registry import check
from aitre.conform.samples import image_kind

PARTIAL_IMAGES = 2
PREFIX = {IMAGES: "image_generation", IMAGE_EDITS: "image_edit"}


def _stream(ctx: CheckContext, operation: str) -> tuple[Exchange, list[dict[str, Any]]]:
    """A streamed picture with PARTIAL_IMAGES partials, shared by the checks of `operation`."""

    def fetch() -> tuple[Exchange, list[dict[str, Any]]]:
        model = model_with(ctx, "images", "streaming", gpt_image, GPT_IMAGE_MODELS, "gpt-image-1")
        if operation == IMAGES:
            body = image_body(ctx, model, stream=True, partial_images=PARTIAL_IMAGES)
            exchange = ctx.send(IMAGES, json_body=body)
        else:
            form = multipart_form(ctx, prompt=True, model=model, size="1024x1024", quality="low", stream="true",
                                  partial_images=str(PARTIAL_IMAGES))
            exchange = send_upload(ctx, operation, form)
        skip_if_model_unknown(exchange, model)
        skip_if_refused(exchange, "a streamed picture")
        return exchange, read_typed_events(exchange)

    result = ctx.shared(f"images:stream:{operation}", fetch)
    ctx.judging(result[0])
    return result


def _judge_events(ctx: CheckContext, operation: str) -> None:
    prefix = PREFIX[operation]
    _, payloads = _stream(ctx, operation)
    kinds = [payload["type"] for payload in payloads]
    completed = [position for position, kind in enumerate(kinds) if kind == f"{prefix}.completed"]
    expect(len(completed) == 1, f"{len(completed)} {prefix}.completed events, expected exactly one")
    last = completed[0]
    late = [position for position, kind in enumerate(kinds) if kind == f"{prefix}.partial_image" and position > last]
    expect(not late, f"{prefix}.partial_image event(s) #{late} come after the completed event")
    for position, payload in enumerate(payloads):
        if payload["type"] not in (f"{prefix}.partial_image", f"{prefix}.completed"):
            continue
        raw = base64_field(payload.get("b64_json"), f"event #{position} b64_json")
        kind = image_kind(raw)
        expect(kind in ("png", "jpeg", "webp"), f"event #{position} b64_json decodes to {js(raw[:8])}, not a picture")
        named = payload.get("output_format")
        expect(named in (None, kind), f"event #{position} says output_format {js(named)} for a {kind} picture")
        if payload["type"].endswith("partial_image"):
            index: Any = payload.get("partial_image_index")
            expect(is_int(index) and index >= 0, f"event #{position} partial_image_index is {js(index)}")


@check("images", "stream", IMAGES)
def image_stream_events(ctx: CheckContext) -> None:
    """stream=true gives text/event-stream of image_generation.partial_image events, then exactly one
    image_generation.completed; each event's b64_json decodes to a picture of its `output_format`.

    Asked of a GPT image model (DALL·E and Flux do not stream), the run's own or the cheapest listed;
    a refusal with a 4xx is skipped. A final `data: [DONE]` and events of other types are allowed.
    """
    _judge_events(ctx, IMAGES)


@check("images", "stream", IMAGE_EDITS)
def image_edit_stream_events(ctx: CheckContext) -> None:
    """A streamed edit gives text/event-stream of image_edit.partial_image events, then exactly one
    image_edit.completed; each event's b64_json decodes to a picture of its `output_format`.

    Asked of a GPT image model, the run's own or the cheapest listed; a refusal with a 4xx is skipped.
    A final `data: [DONE]` and events of other types are allowed.
    """
    _judge_events(ctx, IMAGE_EDITS)


def _judge_partials(ctx: CheckContext, operation: str) -> None:
    prefix = PREFIX[operation]
    _, payloads = _stream(ctx, operation)
    partials = [payload for payload in payloads if payload["type"] == f"{prefix}.partial_image"]
    expect(len(partials) <= PARTIAL_IMAGES,
           f"{len(partials)} {prefix}.partial_image events for partial_images={PARTIAL_IMAGES}")
    indices = [payload.get("partial_image_index") for payload in partials]
    expect(len(set(map(repr, indices))) == len(indices), f"partial_image_index values repeat: {indices}")


@check("images", "partial_images", IMAGES)
def image_stream_partial_images_bounded(ctx: CheckContext) -> None:
    """A streamed generation with partial_images=2 sends at most two partial_image events, with distinct
    indices.

    Fewer partials are fine (the final picture may be ready first); a model that refuses streaming with a
    4xx is skipped.
    """
    _judge_partials(ctx, IMAGES)


@check("images", "partial_images", IMAGE_EDITS)
def image_edit_stream_partial_images_bounded(ctx: CheckContext) -> None:
    """A streamed edit with partial_images=2 sends at most two partial_image events, with distinct indices.

    Fewer partials are fine (the final picture may be ready first); a refusal with a 4xx is skipped.
    """
    _judge_partials(ctx, IMAGE_EDITS)
