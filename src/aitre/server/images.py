"""POST /v1/images/generations, /edits and /variations: real PNG (or SVG) pictures, URLs or base64.

Per-model rules follow the spec's field descriptions: DALL·E 2 and 3 and the GPT image models accept only
their listed sizes, DALL·E 3 makes one picture, prompts have per-model length limits, only the GPT image
models stream, and they always answer in base64 (with usage). Pictures are colour bands seeded by the
request, so the same request draws the same picture. The GPT image models honour `output_format` (PNG,
JPEG, WebP, an animated GIF of `frame_count` frames, SVG; `imagecodecs.py`); streams carry PNG, JPEG or
WebP only, as their event schemas say, so a streamed GIF or SVG request gets PNG. DALL·E and Flux draw PNG.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from aitre.server import imagecodecs, png, sse, textgen
from aitre.server.contract import Operation
from aitre.server.encoding import json_response
from aitre.server.errors import bad_request
from aitre.server.ids import new_id
from aitre.server.offload import off_loop
from aitre.server.runtime import Handler, Runtime, now
from aitre.server.settings import ServerSettings

SIZES: dict[str, tuple[str, ...]] = {
    "dall-e-2": ("256x256", "512x512", "1024x1024"),
    "dall-e-3": ("1024x1024", "1792x1024", "1024x1792"),
    "gpt-image-1": ("1024x1024", "1536x1024", "1024x1536"),
}
PROMPT_LIMITS = {"dall-e-2": 1000, "dall-e-3": 4000}
FREE_SIZE_RANGE = (64, 2048)  # models without a documented size list (Flux)
DEFAULT_MODEL = {"createImage": "dall-e-2", "createImageEdit": "gpt-image-1", "createImageVariation": "dall-e-2"}
EVENT_PREFIX = {"createImage": "image_generation", "createImageEdit": "image_edit"}
# Pixels in all pictures of a request from which they are drawn off the event loop (two 1024x1024, ~40 ms).
OFFLOAD_PIXELS = 1 << 21


# The gpt-image-1 models (dated ids included) draw three sizes; later GPT image models take others (spec G8).
_GPT_IMAGE_1 = re.compile(r"gpt-image-1(\.5)?(-|$)")


def _family(model: str) -> str:
    """The size family: a key of SIZES, or the model id itself (sizes free within FREE_SIZE_RANGE)."""
    return "gpt-image-1" if _GPT_IMAGE_1.match(model) else model


def _gpt_image(model: str) -> bool:
    """A GPT image model: it streams and always answers in base64."""
    return model.startswith(("gpt-image", "chatgpt-image"))


def _model(operation_id: str, body: dict[str, Any]) -> str:
    return str(body.get("model") or DEFAULT_MODEL[operation_id])


def _size(model: str, size: Any, *, per_model: bool = True) -> tuple[int, int]:
    """(width, height) for a size allowed for `model`; 400 naming `size` otherwise.

    Without `per_model` (edits, whose spec states no per-model sizes: G8) every WIDTHxHEIGHT is accepted,
    and a side outside FREE_SIZE_RANGE is drawn at the nearest bound rather than refused.
    """
    text = "1024x1024" if size in (None, "auto") else str(size)
    allowed = SIZES.get(_family(model)) if per_model else None
    if allowed is not None and text not in allowed:
        raise bad_request(f"'{text}' is not a supported size for {model}; use one of {', '.join(allowed)}.",
                          param="size")
    width, _, height = text.partition("x")
    if not (width.isdigit() and height.isdigit()):
        raise bad_request(f"'{text}' is not a size of the form WIDTHxHEIGHT.", param="size")
    low, high = FREE_SIZE_RANGE
    if not per_model:
        return min(max(int(width), low), high), min(max(int(height), low), high)
    if not (low <= int(width) <= high and low <= int(height) <= high):
        raise bad_request(f"Both sides of size must be between {low} and {high} pixels for {model}.", param="size")
    return int(width), int(height)


def _check_common(operation_id: str, body: dict[str, Any]) -> None:
    model = _model(operation_id, body)
    prompt = body.get("prompt")
    limit = PROMPT_LIMITS.get(model)
    if isinstance(prompt, str) and limit is not None and len(prompt) > limit:
        raise bad_request(f"prompt is longer than {limit} characters, the limit of {model}.", param="prompt")
    if model == "dall-e-3" and (body.get("n") or 1) != 1:
        raise bad_request("dall-e-3 makes one image per request; n must be 1.", param="n")
    if body.get("stream") and not _gpt_image(model):
        raise bad_request(f"{model} cannot stream; streaming is for the GPT image models.", param="stream")
    transparent_jpeg = body.get("background") == "transparent" and body.get("output_format") == "jpeg"
    if model.startswith("gpt-image") and transparent_jpeg:
        raise bad_request("A transparent background needs png or webp output.", param="background")
    _size(model, body.get("size"))


def check_generation(settings: ServerSettings, body: dict[str, Any]) -> None:
    """Per-model rules of /v1/images/generations (most are also if/then rules in the spec, G8)."""
    _check_common("createImage", body)


def check_edit(settings: ServerSettings, body: dict[str, Any]) -> None:
    """Edits: no per-model rules. The spec states none for this multipart operation (G8), and the server
    accepts exactly what the spec accepts; the per-model limits OpenAI applies are model policy."""


def check_variation(settings: ServerSettings, body: dict[str, Any]) -> None:
    """Variations are a DALL·E 2 feature."""
    model = _model("createImageVariation", body)
    if model != "dall-e-2":
        raise bad_request(f"{model} does not support image variations; use dall-e-2.", param="model")
    _size(model, body.get("size"))


@dataclass(frozen=True)
class Job:
    """One images request, normalised."""

    operation_id: str
    model: str
    prompt: str
    n: int
    width: int
    height: int
    key: str
    body: dict[str, Any]
    inputs: int = 0  # pictures uploaded (edits and variations)

    @property
    def gpt_image(self) -> bool:
        return _gpt_image(self.model)

    @property
    def size(self) -> str:
        return f"{self.width}x{self.height}"

    @property
    def format(self) -> str:
        """The file format drawn: `output_format` for the GPT image models (PNG, JPEG or WebP when streaming)."""
        asked = self.body.get("output_format")
        streamable = ("png", "jpeg", "webp")
        if not self.gpt_image or asked not in (*streamable, "gif", "svg"):
            return "png"
        return str(asked) if asked in streamable or not self.body.get("stream") else "png"

    @property
    def quality(self) -> str:
        quality = self.body.get("quality")
        return quality if quality in ("low", "medium", "high", "xhigh", "max") else "high"

    @property
    def background(self) -> str:
        return "transparent" if self.body.get("background") == "transparent" else "opaque"

    def picture(self, index: int, rows: int | None = None) -> bytes:
        """Picture `index` in `format`; with `rows`, a partial rendering of that many rows (streams)."""
        seed, height = f"{self.key}|{index}", rows or self.height
        if self.format == "gif":
            duration = self.body.get("frame_duration_ms")
            return imagecodecs.gif(seed, self.width, height, self.body.get("frame_count") or 9,
                                   200 if duration is None else duration)
        drawers = {"svg": _svg, "jpeg": imagecodecs.jpeg, "webp": imagecodecs.webp}
        return drawers.get(self.format, png.render)(seed, self.width, height)

    def usage(self) -> dict[str, Any]:
        text = textgen.count_tokens(self.prompt)
        images = 65 * self.inputs
        output = self.n * (self.width * self.height // 1000)
        return {"input_tokens": text + images, "input_tokens_details": {"text_tokens": text, "image_tokens": images},
                "output_tokens": output, "total_tokens": text + images + output}


def _svg(seed: str, width: int, height: int) -> bytes:
    colours = hashlib.blake2b(seed.encode(), digest_size=12).hexdigest()
    band = height / 4
    rects = "".join(
        f'<rect y="{i * band:g}" width="{width}" height="{band:g}" fill="#{colours[6 * i : 6 * i + 6]}"/>'
        for i in range(4)
    )
    return f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}">{rects}</svg>'.encode()


def _data_item(runtime: Runtime, request: Request, job: Job, index: int) -> dict[str, Any]:
    picture = job.picture(index)
    item: dict[str, Any]
    if job.gpt_image or job.body.get("response_format") == "b64_json":
        item = {"b64_json": base64.b64encode(picture).decode("ascii")}
    else:
        item = {"url": runtime.store_image(request, new_id("img_") + ".png", picture)}
    if job.model == "dall-e-3":
        item["revised_prompt"] = job.prompt
    return item


def _stream(job: Job) -> Iterator[bytes]:
    prefix = EVENT_PREFIX[job.operation_id]
    common = {"background": job.background, "output_format": job.format, "quality": job.quality, "size": job.size}
    partials = job.body.get("partial_images") or 0
    for index in range(job.n):
        final = job.picture(index)
        for part in range(partials):
            # A partial rendering is the final picture with fewer rows filled in.
            rows = max(1, job.height * (part + 1) // (partials + 1))
            partial = job.picture(index, rows)
            yield sse.event({"type": f"{prefix}.partial_image", "b64_json": base64.b64encode(partial).decode("ascii"),
                             "created_at": now(), "partial_image_index": part, **common}, f"{prefix}.partial_image")
        yield sse.event({"type": f"{prefix}.completed", "b64_json": base64.b64encode(final).decode("ascii"),
                         "created_at": now(), "usage": job.usage(), **common}, f"{prefix}.completed")


def _answer(runtime: Runtime, request: Request, job: Job) -> Response:
    if job.body.get("stream"):
        return sse.stream(_stream(job))
    result: dict[str, Any] = {"created": now(), "data": [_data_item(runtime, request, job, i) for i in range(job.n)],
                              "size": job.size}
    if job.gpt_image:
        result.update(background=job.background, output_format=job.format, quality=job.quality,
                      usage=job.usage())
    return json_response(result)


async def _respond(runtime: Runtime, request: Request, job: Job) -> Response:
    """`_answer`, drawn off the event loop when the pictures are big (streams already iterate on a thread)."""
    if job.body.get("stream") or job.n * job.width * job.height < OFFLOAD_PIXELS:
        return _answer(runtime, request, job)
    return await off_loop(_answer, runtime, request, job)


def _job(runtime: Runtime, operation_id: str, body: dict[str, Any], uploads: list[bytes] | None = None) -> Job:
    model = runtime.check_model("images", _model(operation_id, body), "the images endpoints")
    width, height = _size(model, body.get("size"), per_model=operation_id != "createImageEdit")
    # Uploaded pictures enter the key by digest: the form's own view of them is only a placeholder.
    digest = hashlib.blake2b(b"".join(hashlib.blake2b(data).digest() for data in uploads or [])).hexdigest()
    key = textgen.request_key(body, runtime.settings.seed, extra=f"{operation_id}|{digest}")
    return Job(operation_id, model, str(body.get("prompt", "")), body.get("n") or 1, width, height, key, body,
               len(uploads or []))


async def create_image(runtime: Runtime, request: Request, op: Operation) -> Response:
    body = await runtime.json_body(request, op)
    job = _job(runtime, op.operation_id, body)
    check_generation(runtime.settings, body)
    return await _respond(runtime, request, job)


async def _from_uploads(runtime: Runtime, request: Request, op: Operation, check: Callable[..., None]) -> Response:
    """Edits and variations: a multipart form with at least one `image` part, then the operation's own rules."""
    form, typed = await runtime.form_body(request, op)
    images = [upload.data for upload in form.uploads("image")]
    if not images:
        raise bad_request("An image file is required.", param="image")
    job = _job(runtime, op.operation_id, typed, images)
    check(runtime.settings, typed)
    return await _respond(runtime, request, job)


async def create_image_edit(runtime: Runtime, request: Request, op: Operation) -> Response:
    return await _from_uploads(runtime, request, op, check_edit)


async def create_image_variation(runtime: Runtime, request: Request, op: Operation) -> Response:
    return await _from_uploads(runtime, request, op, check_variation)


HANDLERS: dict[str, Handler] = {
    "createImage": create_image,
    "createImageEdit": create_image_edit,
    "createImageVariation": create_image_variation,
}
SEMANTIC_CHECKS = {
    "createImage": check_generation,
    "createImageEdit": check_edit,
    "createImageVariation": check_variation,
}
