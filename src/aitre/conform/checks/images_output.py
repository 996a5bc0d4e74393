"""Images: the picture files themselves, read from their bytes: size, output_format, GIF frame_count."""

from __future__ import annotations

from typing import Any

from aitre.conform.checks._common import (
    IMAGE_EDITS,
    IMAGE_VARIATIONS,
    IMAGES,
    base64_field,
    js,
    model_with,
    ok_json,
    skip_if_model_unknown,
    skip_if_refused,
)
from aitre.conform.checks.images import (
    GPT_IMAGE_MODELS,
    b64_generation,
    gpt_image,
    image_body,
    images_of,
    multipart_form,
    send_upload,
)
from aitre.conform.client import Exchange
from aitre.conform.context import CheckContext
from aitre.conform.failures import Skipped, expect
from aitre.conform.registry import check
from aitre.conform.samples import gif_frames, image_dimensions, image_kind

# A GIF of this many frames: not the documented default (9), so a server that ignores it shows.
GIF_FRAMES = 3


def documented_size(model: str, operation: str) -> str | None:
    """A size the spec documents for `model` on `operation`, not its default where it has a choice.

    DALL·E 2 takes its smallest square (the default is 1024x1024); DALL·E 3 and the GPT image models a
    wide format, so a server that swaps width and height shows. None where the spec lists no sizes.
    """
    if model.startswith("dall-e-2"):
        return "256x256"
    if model.startswith("dall-e-3") and operation == IMAGES:
        return "1792x1024"
    if gpt_image(model) and operation != IMAGE_VARIATIONS:
        return "1536x1024"
    return None


def _first_picture(exchange: Exchange, what: str) -> tuple[dict[str, Any], bytes]:
    """The answer and the bytes of its one picture; skipped when the model refused `what`."""
    skip_if_refused(exchange, what)
    body = ok_json(exchange)
    item = images_of(body, 1)[0]
    if not isinstance(item.get("b64_json"), str):
        raise Skipped("not observable: the answer carries no b64_json to read the picture from")
    return body, base64_field(item["b64_json"], "data[0].b64_json")


def _judge_size(exchange: Exchange, size: str) -> None:
    _, raw = _first_picture(exchange, f"size {size}")
    dimensions = image_dimensions(raw)
    if dimensions is None:
        raise Skipped(f"not observable: the picture ({js(raw[:8])}) has no width and height this check can read")
    width, height = dimensions
    expect(f"{width}x{height}" == size, f"data[0] is {width}x{height} pixels, but size {size} was asked for")


def _size_for(ctx: CheckContext, operation: str) -> tuple[str, str]:
    model = ctx.model("images")
    size = documented_size(model, operation)
    if size is None:
        raise Skipped(f"not observable: the spec documents no sizes for {model} on {operation}")
    return model, size


@check("images", "size", IMAGES)
def image_size_honoured(ctx: CheckContext) -> None:
    """A generated picture has the width and height `size` asked for, read from the decoded file's header.

    Only a size the model documents is asked (DALL·E 2 256x256, DALL·E 3 1792x1024, GPT image models
    1536x1024); a model without documented sizes (Flux) is skipped, and a refusal with a 4xx is skipped.
    """
    _, size = _size_for(ctx, IMAGES)
    _judge_size(b64_generation(ctx, size=size), size)


@check("images", "size", IMAGE_EDITS)
def image_edit_size_honoured(ctx: CheckContext) -> None:
    """An edited picture has the width and height `size` asked for, read from the decoded file's header.

    Only a size the model documents for edits is asked (DALL·E 2 256x256, GPT image models 1536x1024);
    other models are skipped, and a refusal with a 4xx is skipped.
    """
    model, size = _size_for(ctx, IMAGE_EDITS)
    extra = {"quality": "low"} if gpt_image(model) else {}
    _judge_size(send_upload(ctx, IMAGE_EDITS, multipart_form(ctx, prompt=True, size=size, **extra)), size)


@check("images", "size", IMAGE_VARIATIONS)
def image_variation_size_honoured(ctx: CheckContext) -> None:
    """A variation has the width and height `size` asked for (256x256, not the 1024x1024 default), read
    from the decoded file's header.

    Variations are DALL·E 2's; a run whose image model is another is skipped, and a refusal with a 4xx
    (or 501, reported as not supported) is not failed.
    """
    _, size = _size_for(ctx, IMAGE_VARIATIONS)
    _judge_size(send_upload(ctx, IMAGE_VARIATIONS, multipart_form(ctx, prompt=False, size=size)), size)


def _judge_formats(ctx: CheckContext, operation: str, formats: tuple[str, ...]) -> None:
    model = model_with(ctx, "images", "output_format", gpt_image, GPT_IMAGE_MODELS, "gpt-image-1")
    judged = 0
    for wanted in formats:
        if operation == IMAGES:
            exchange = ctx.send(IMAGES, json_body=image_body(ctx, model, output_format=wanted))
        else:
            form = multipart_form(ctx, prompt=True, model=model, size="1024x1024", quality="low",
                                  output_format=wanted)
            exchange = send_upload(ctx, operation, form)
        skip_if_model_unknown(exchange, model)
        try:
            body, raw = _first_picture(exchange, f"output_format {wanted}")
        except Skipped:
            continue
        kind = image_kind(raw)
        expect(kind == wanted, f"output_format {wanted} gave a picture that decodes to {js(kind or raw[:8])}")
        named = body.get("output_format")
        expect(named in (None, wanted), f"the answer's output_format is {js(named)} for a {wanted} picture")
        judged += 1
    if not judged:
        raise Skipped(f"the server refused output_format {' and '.join(formats)} for {model}")


@check("images", "output_format", IMAGES)
def image_output_format_honoured(ctx: CheckContext) -> None:
    """output_format jpeg and webp give pictures whose base64 decodes to JPEG and WebP files, and the
    answer's `output_format`, when present, names that format.

    Asked of a GPT image model (the spec gives output_format to them; DALL·E ignores it): the run's own,
    or the cheapest one the server lists. A format the model refuses with a 4xx is skipped.
    """
    _judge_formats(ctx, IMAGES, ("jpeg", "webp"))


@check("images", "output_format", IMAGE_EDITS)
def image_edit_output_format_honoured(ctx: CheckContext) -> None:
    """An edit with output_format webp gives a picture whose base64 decodes to a WebP file, and the answer's
    `output_format`, when present, says webp.

    Asked of a GPT image model, the run's own or the cheapest listed; a refusal with a 4xx is skipped.
    """
    _judge_formats(ctx, IMAGE_EDITS, ("webp",))


def _judge_gif(ctx: CheckContext, operation: str) -> None:
    model = model_with(ctx, "images", "GIF output", gpt_image, GPT_IMAGE_MODELS, "gpt-image-1")
    extra = {"output_format": "gif", "frame_count": GIF_FRAMES}
    if operation == IMAGES:
        exchange = ctx.send(IMAGES, json_body=image_body(ctx, model, **extra))
    else:
        form = multipart_form(ctx, prompt=True, model=model, size="1024x1024", quality="low",
                              **{name: str(value) for name, value in extra.items()})
        exchange = send_upload(ctx, operation, form)
    skip_if_model_unknown(exchange, model)
    _, raw = _first_picture(exchange, f"output_format gif with frame_count {GIF_FRAMES}")
    kind = image_kind(raw)
    expect(kind == "gif", f"output_format gif gave a picture that decodes to {js(kind or raw[:8])}")
    frames = gif_frames(raw)
    expect(frames is not None, "the GIF's blocks cannot be walked to its end (a truncated or malformed file)")
    expect(frames == GIF_FRAMES, f"the GIF has {frames} frame(s), but frame_count {GIF_FRAMES} was asked for")


@check("images", "frame_count", IMAGES)
def image_gif_frame_count(ctx: CheckContext) -> None:
    """output_format gif with frame_count 3 gives a GIF file of exactly three frames (image blocks).

    GIF output needs preview access upstream: a model that refuses it with a 4xx is skipped. Asked of a
    GPT image model, the run's own or the cheapest listed; frame timing is not judged.
    """
    _judge_gif(ctx, IMAGES)


@check("images", "frame_count", IMAGE_EDITS)
def image_edit_gif_frame_count(ctx: CheckContext) -> None:
    """An edit with output_format gif and frame_count 3 gives a GIF file of exactly three frames.

    GIF output needs preview access upstream: a refusal with a 4xx is skipped. Frame timing is not judged.
    """
    _judge_gif(ctx, IMAGE_EDITS)
