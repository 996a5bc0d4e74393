"""POST /v1/embeddings through the SDK, including its default base64 encoding."""

from __future__ import annotations

import base64
import math
import struct

import httpx
import openai
import pytest


def _norm(vector: list[float]) -> float:
    return math.sqrt(sum(value * value for value in vector))


def test_sdk_default_base64_decodes(client: openai.OpenAI, transport: object) -> None:
    result = client.embeddings.create(model="text-embedding-3-small", input=["hello world", "hello", "x"])
    assert [item.index for item in result.data] == [0, 1, 2]
    assert all(len(item.embedding) == 1536 for item in result.data)
    assert all(abs(_norm(item.embedding) - 1) < 1e-4 for item in result.data)
    assert result.usage.total_tokens == result.usage.prompt_tokens == 4


def test_wire_format_is_little_endian_float32(http: httpx.Client) -> None:
    body = {"model": "text-embedding-3-large", "input": "hello", "encoding_format": "base64", "dimensions": 8}
    data = http.post("/v1/embeddings", json=body).json()["data"][0]["embedding"]
    raw = base64.b64decode(data)
    assert len(raw) == 32
    assert abs(_norm(list(struct.unpack("<8f", raw))) - 1) < 1e-5


def test_float_format_and_dimensions(client: openai.OpenAI) -> None:
    floats = client.embeddings.create(model="text-embedding-3-large", input="hello", encoding_format="float",
                                      dimensions=256)
    assert len(floats.data[0].embedding) == 256 and abs(_norm(floats.data[0].embedding) - 1) < 1e-5
    decoded = client.embeddings.create(model="text-embedding-3-large", input="hello", dimensions=256)
    assert decoded.data[0].embedding == pytest.approx(floats.data[0].embedding, abs=1e-7)


@pytest.mark.parametrize("dimensions", [1, 31, 33, 256, 1000])
def test_a_shortened_vector_is_the_renormalised_prefix_of_the_full_one(client: openai.OpenAI, dimensions: int) -> None:
    """As text-embedding-3 shortens vectors: the first components keep their direction, rescaled to length 1."""
    text = "the food was delicious and the waiter was friendly"
    model = "text-embedding-3-large"
    full = client.embeddings.create(model=model, input=text).data[0].embedding
    short = client.embeddings.create(model=model, input=text, dimensions=dimensions).data[0].embedding
    assert len(short) == dimensions and abs(_norm(short) - 1) < 1e-5
    scale = 1 / _norm(full[:dimensions])
    assert short == pytest.approx([value * scale for value in full[:dimensions]], abs=1e-6)


def test_similar_texts_are_closer(client: openai.OpenAI) -> None:
    a, b, c = (item.embedding for item in client.embeddings.create(
        model="text-embedding-3-small", input=["the quiet river", "the quiet river stone", "bright mountain fire"],
    ).data)
    assert sum(x * y for x, y in zip(a, b, strict=True)) > sum(x * y for x, y in zip(a, c, strict=True))


def test_token_inputs(client: openai.OpenAI) -> None:
    result = client.embeddings.create(model="text-embedding-ada-002", input=[[1, 2, 3], [4]])
    assert len(result.data) == 2 and result.usage.prompt_tokens == 4


def test_ada_refuses_dimensions(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.embeddings.create(model="text-embedding-ada-002", input="x", dimensions=8)
    assert caught.value.body["param"] == "dimensions"  # type: ignore[index]


def test_dimensions_above_native_are_refused(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError):
        client.embeddings.create(model="text-embedding-3-small", input="x", dimensions=4000)
