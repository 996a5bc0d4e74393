"""Images: count, url versus b64_json, decodable images, and edits/variations input checks."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from aitre.conform.checks._common import (
    IMAGE_EDITS,
    IMAGE_VARIATIONS,
    IMAGES,
    base64_field,
    check_created,
    js,
    json_type,
    ok_json,
    require_client_error,
    shown,
    skip_if_refused,
)
from aitre.conform.client import Exchange
from aitre.conform.context import CheckContext
from aitre.conform.failures import expect
from aitre.conform.registry import check
from aitre.conform.samples import image_kind, tiny_png

PROMPT = "A small red cube on a white table."


def gpt_image(model: str) -> bool:
    """A GPT image model: it streams, honours `output_format` and answers in base64 only."""
    return model.startswith(("gpt-image", "chatgpt-image"))


# The cheapest GPT image models first, for features only they offer.
GPT_IMAGE_MODELS = ("gpt-image-1-mini", "gpt-image-1", "gpt-image-1.5")


def image_body(ctx: CheckContext, model: str | None = None, **extra: Any) -> dict[str, Any]:
    model = model or ctx.model("images")
    # The smallest size each family accepts keeps generation cheap; others use the common 1024 square.
    size = "256x256" if model.startswith("dall-e-2") else "1024x1024"
    body: dict[str, Any] = {"model": model, "prompt": PROMPT, "n": 1, "size": size}
    if gpt_image(model):
        body["quality"] = "low"
    body.update(extra)
    return body


def b64_generation(ctx: CheckContext, **extra: Any) -> Exchange:
    """One generated picture as base64 (`image_body` with `extra`), sent once per run for equal bodies."""
    body = image_body(ctx, response_format="b64_json", **extra)
    return ctx.send_shared(f"images:b64:{sorted(body.items())}", IMAGES, json_body=body)


def images_of(body: dict[str, Any], count: int) -> list[dict[str, Any]]:
    check_created(body.get("created"), "created")
    data = body.get("data")
    expect(isinstance(data, list), f"data is {json_type(data)}, not an array")
    expect(len(data) == count, f"{len(data)} images for n={count}")  # type: ignore[arg-type]  # expect() above checked it
    for position, item in enumerate(data):  # type: ignore[arg-type]  # expect() above checked it
        expect(isinstance(item, dict), f"data[{position}] is not an object")
    return data  # type: ignore[return-value]  # expect() above checked the shape


def _check_url_items(items: list[dict[str, Any]]) -> None:
    for position, item in enumerate(items):
        url: Any = item.get("url")
        expect(isinstance(url, str), f"data[{position}].url is {js(url)} for response_format url")
        parsed = urlparse(url)
        expect(parsed.scheme in ("http", "https") and parsed.netloc, f"data[{position}].url {js(url)} is not absolute")
        expect(item.get("b64_json") is None, f"data[{position}] has b64_json although url was asked for")


def check_b64_items(items: list[dict[str, Any]]) -> None:
    for position, item in enumerate(items):
        raw = base64_field(item.get("b64_json"), f"data[{position}].b64_json")
        expect(image_kind(raw) is not None,
               f"data[{position}].b64_json decodes to {shown(raw, 8)}, not PNG/JPEG/WebP/GIF")
        expect(item.get("url") is None, f"data[{position}] has a url although b64_json was asked for")


@check("images", "n", IMAGES)
def image_count_matches_n(ctx: CheckContext) -> None:
    """n=2 gives exactly two images and an integer `created`.

    Models limited to one image per request (dall-e-3) may refuse n=2 with a 4xx (skipped).
    """
    n = min(2, ctx.limits.max_images)
    exchange = ctx.send(IMAGES, json_body=image_body(ctx, n=n, response_format="url"))
    skip_if_refused(exchange, f"n={n}")
    images_of(ok_json(exchange), n)


@check("images", "url", IMAGES)
def image_url_format(ctx: CheckContext) -> None:
    """response_format "url" gives each image as an absolute http(s) `url` and no b64_json.

    GPT image models only return b64_json and may refuse url with a 4xx (skipped).
    """
    exchange = ctx.send(IMAGES, json_body=image_body(ctx, response_format="url"))
    skip_if_refused(exchange, "response_format url")
    _check_url_items(images_of(ok_json(exchange), 1))


@check("images", "b64_json", IMAGES)
def image_b64_decodes(ctx: CheckContext) -> None:
    """response_format "b64_json" gives each image as base64 that decodes to PNG, JPEG, WebP or GIF bytes.

    `revised_prompt` and other extra fields are allowed.
    """
    check_b64_items(images_of(ok_json(b64_generation(ctx)), 1))


def multipart_form(ctx: CheckContext, *, prompt: bool, **fields: str) -> dict[str, str]:
    """The form fields of a one-picture base64 edit or variation, with `fields` added or replaced."""
    form: dict[str, str] = {"model": ctx.model("images"), "n": "1", "size": "256x256", "response_format": "b64_json"}
    if prompt:
        form["prompt"] = PROMPT
    form.update(fields)
    return form


def send_upload(ctx: CheckContext, operation: str, form: dict[str, str]) -> Exchange:
    """`form` with the tiny PNG as its `image` part, sent once per run for equal forms."""
    files = {"image": ("square.png", tiny_png(), "image/png")}
    return ctx.send_shared(f"{operation}:{sorted(form.items())}", operation, form=form, files=files)


def _multipart_image(ctx: CheckContext, operation: str, *, with_image: bool, prompt: bool) -> Any:
    form = multipart_form(ctx, prompt=prompt)
    if with_image:
        return send_upload(ctx, operation, form)
    # Still multipart, with every field but the image: a plain field sent as a part without a filename.
    return ctx.send(operation, form=form, files={"user": (None, b"aitre-conform")})


@check("images", "edits", IMAGE_EDITS)
def image_edit_returns_images(ctx: CheckContext) -> None:
    """A multipart edit with a PNG and a prompt gives one decodable image (b64_json).

    The spec allows 501 for relays without an edit channel; that is reported as not supported.
    """
    exchange = _multipart_image(ctx, IMAGE_EDITS, with_image=True, prompt=True)
    skip_if_refused(exchange, "this edit")
    check_b64_items(images_of(ok_json(exchange), 1))


@check("images", "edits", IMAGE_EDITS)
def image_edit_requires_image(ctx: CheckContext) -> None:
    """An edit without the `image` part gets a 4xx error object, never an image.

    Any 4xx is accepted (400 or 422).
    """
    exchange = _multipart_image(ctx, IMAGE_EDITS, with_image=False, prompt=True)
    require_client_error(exchange, "an edit without an image")


@check("images", "variations", IMAGE_VARIATIONS)
def image_variation_returns_images(ctx: CheckContext) -> None:
    """A multipart variation of a PNG gives one decodable image (b64_json).

    The spec allows 501 (variations are retired upstream); that is reported as not supported.
    """
    exchange = _multipart_image(ctx, IMAGE_VARIATIONS, with_image=True, prompt=False)
    skip_if_refused(exchange, "this variation")
    check_b64_items(images_of(ok_json(exchange), 1))


@check("images", "variations", IMAGE_VARIATIONS)
def image_variation_requires_image(ctx: CheckContext) -> None:
    """A variation without the `image` part gets a 4xx error object.

    Any 4xx is accepted.
    """
    exchange = _multipart_image(ctx, IMAGE_VARIATIONS, with_image=False, prompt=False)
    require_client_error(exchange, "a variation without an image")


def _two_as_urls(ctx: CheckContext, operation: str, *, prompt: bool) -> Any:
    """A multipart request for two pictures as links (`n=2`, `response_format=url`)."""
    form: dict[str, str] = {"model": ctx.model("images"), "n": "2", "size": "256x256", "response_format": "url"}
    if prompt:
        form["prompt"] = PROMPT
    return ctx.send(operation, form=form, files={"image": ("square.png", tiny_png(), "image/png")})


@check("images", "edits", IMAGE_EDITS)
def image_edit_n_and_url(ctx: CheckContext) -> None:
    """An edit with `n=2` and `response_format=url` gives exactly two items, each an absolute URL and no
    base64.

    A model that cannot answer with links or make two pictures (the GPT image models answer in base64
    only) may refuse with a 4xx naming the field: skipped, not failed.
    """
    exchange = _two_as_urls(ctx, IMAGE_EDITS, prompt=True)
    skip_if_refused(exchange, "two edited pictures as links")
    _check_url_items(images_of(ok_json(exchange), 2))


@check("images", "variations", IMAGE_VARIATIONS)
def image_variation_n_and_url(ctx: CheckContext) -> None:
    """A variation with `n=2` and `response_format=url` gives exactly two items, each an absolute URL and
    no base64.

    A relay may refuse links or several pictures for its model with a 4xx naming the field: skipped.
    """
    exchange = _two_as_urls(ctx, IMAGE_VARIATIONS, prompt=False)
    skip_if_refused(exchange, "two variations as links")
    _check_url_items(images_of(ok_json(exchange), 2))
