"""Images: generations, edits and variations through the SDK; links served by this server."""

from __future__ import annotations

import base64
import struct
import zlib

import httpx
import openai
import pytest

from aitre.server import png

PNG_BYTES = png.render("test-input", 32, 32)


def _check_png(data: bytes, size: tuple[int, int]) -> None:
    assert png.dimensions(data) == size
    # Walk the chunks: every CRC must match and IDAT must inflate to the declared number of bytes.
    position, idat = 8, b""
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind, body = data[position + 4 : position + 8], data[position + 8 : position + 8 + length]
        (crc,) = struct.unpack(">I", data[position + 8 + length : position + 12 + length])
        assert zlib.crc32(kind + body) & 0xFFFFFFFF == crc
        idat += body if kind == b"IDAT" else b""
        position += 12 + length
    assert len(zlib.decompress(idat)) == size[1] * (1 + 3 * size[0])


def test_urls_point_at_real_pngs(client: openai.OpenAI) -> None:
    result = client.images.generate(model="dall-e-2", prompt="A cute baby sea otter", n=3, size="256x256")
    assert len(result.data or []) == 3
    for item in result.data or []:
        assert item.url and item.b64_json is None
        picture = httpx.get(item.url)
        assert picture.headers["content-type"] == "image/png"
        _check_png(picture.content, (256, 256))


def test_b64_json_and_determinism(client: openai.OpenAI) -> None:
    first = client.images.generate(model="flux", prompt="otter", response_format="b64_json", size="512x256")
    second = client.images.generate(model="flux", prompt="otter", response_format="b64_json", size="512x256")
    data = base64.b64decode((first.data or [])[0].b64_json or "")
    _check_png(data, (512, 256))
    assert (first.data or [])[0].b64_json == (second.data or [])[0].b64_json


def test_gpt_image_answers_base64_with_usage(client: openai.OpenAI) -> None:
    result = client.images.generate(model="gpt-image-1", prompt="otter", size="1536x1024", quality="low")
    assert result.usage is not None and result.usage.total_tokens == result.usage.input_tokens + \
        result.usage.output_tokens
    _check_png(base64.b64decode((result.data or [])[0].b64_json or ""), (1536, 1024))
    assert result.quality == "low" and result.size == "1536x1024"


def test_dall_e_3_makes_one_picture(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.generate(model="dall-e-3", prompt="otter", n=2)
    assert caught.value.body["param"] == "n"  # type: ignore[index]
    result = client.images.generate(model="dall-e-3", prompt="otter", size="1792x1024")
    assert (result.data or [])[0].revised_prompt == "otter"


def test_size_outside_the_model_list(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.generate(model="dall-e-2", prompt="otter", size="1792x1024")
    assert caught.value.body["param"] == "size"  # type: ignore[index]


def test_stream_partial_images(client: openai.OpenAI) -> None:
    events = list(client.images.generate(model="gpt-image-1", prompt="otter", stream=True, partial_images=2,
                                         size="1024x1024"))
    assert [event.type for event in events] == ["image_generation.partial_image"] * 2 + ["image_generation.completed"]
    assert [getattr(event, "partial_image_index", None) for event in events[:2]] == [0, 1]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the SDK marks create_variation deprecated
def test_edit_and_variation(client: openai.OpenAI) -> None:
    edited = client.images.edit(model="gpt-image-1", image=("in.png", PNG_BYTES, "image/png"), prompt="add a hat",
                                size="1024x1024")
    _check_png(base64.b64decode((edited.data or [])[0].b64_json or ""), (1024, 1024))
    varied = client.images.create_variation(image=("in.png", PNG_BYTES, "image/png"), n=2, size="256x256",
                                            response_format="b64_json")
    assert len(varied.data or []) == 2


def test_edit_without_image_is_refused(http: httpx.Client) -> None:
    response = http.post("/v1/images/edits", data={"prompt": "add a hat"}, files={"mask": ("m.png", PNG_BYTES)})
    assert response.status_code == 400 and response.json()["error"]["param"] == "image"


def test_svg_output(http: httpx.Client) -> None:
    body = {"model": "gpt-image-1", "prompt": "otter", "output_format": "svg"}
    item = http.post("/v1/images/generations", json=body).json()
    assert item["output_format"] == "svg"
    assert base64.b64decode(item["data"][0]["b64_json"]).startswith(b"<svg ")
