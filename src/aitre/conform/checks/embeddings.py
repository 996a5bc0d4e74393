"""Embeddings: one vector per input in order, equal lengths, dimensions, base64 encoding, usage."""

from __future__ import annotations

from typing import Any

from aitre.conform.checks._common import (
    EMBEDDINGS,
    base64_field,
    check_usage,
    is_number,
    js,
    json_type,
    ok_json,
    skip_if_refused,
)
from aitre.conform.context import CheckContext
from aitre.conform.failures import Skipped, expect
from aitre.conform.registry import check

INPUTS = ["The quick brown fox.", "Jumps over", "the lazy dog."]
DIMENSIONS = 8


def embed(ctx: CheckContext, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"model": ctx.model("embeddings"), "input": INPUTS}
    body.update(extra)
    return body


def data_of(body: dict[str, Any], count: int) -> list[dict[str, Any]]:
    expect(body.get("object") == "list", f"object is {js(body.get('object'))}, not 'list'")
    data = body.get("data")
    expect(isinstance(data, list), f"data is {json_type(data)}, not an array")
    expect(len(data) == count, f"{len(data)} embeddings for {count} inputs",  # type: ignore[arg-type]  # expect() above checked it
           cause="embeddings answers do not hold one vector per input")
    for position, item in enumerate(data):  # type: ignore[arg-type]  # expect() above checked it
        expect(isinstance(item, dict), f"data[{position}] is not an object")
        expect(item.get("object") == "embedding", f"data[{position}].object is {js(item.get('object'))}")
        expect(item.get("index") == position, f"data[{position}].index is {js(item.get('index'))}")
    return data  # type: ignore[return-value]  # expect() above checked the shape


def float_vectors(ctx: CheckContext) -> list[list[float]]:
    """The default-encoded embeddings of INPUTS (shared)."""

    def fetch() -> list[list[float]]:
        data = data_of(ok_json(ctx.send(EMBEDDINGS, json_body=embed(ctx))), len(INPUTS))
        vectors: list[list[float]] = []
        for position, item in enumerate(data):
            vector: Any = item.get("embedding")
            expect(
                isinstance(vector, list) and vector and all(is_number(value) for value in vector),
                f"data[{position}].embedding is {str(vector)[:60]}, not a non-empty array of numbers "
                "(float is the default encoding)",
            )
            vectors.append(vector)
        return vectors

    return ctx.shared("embeddings:float", fetch)


@check("embeddings", "count and order", EMBEDDINGS)
def embedding_count_and_index(ctx: CheckContext) -> None:
    """Three inputs give object "list" with three "embedding" items, `index` 0..2 in order, all of one length.

    The vector length is the model's; only equality across items is required.
    """
    lengths = {len(vector) for vector in float_vectors(ctx)}
    expect(len(lengths) == 1, f"vectors of different lengths {sorted(lengths)} in one answer")


@check("embeddings", "float default", EMBEDDINGS)
def embedding_float_by_default(ctx: CheckContext) -> None:
    """Without encoding_format every embedding is an array of numbers, not a base64 string.

    The openai SDK asks for base64 itself when it wants it, so the default must stay float.
    """
    float_vectors(ctx)


@check("embeddings", "dimensions", EMBEDDINGS)
def embedding_dimensions_honoured(ctx: CheckContext) -> None:
    """With dimensions=8 every vector has exactly 8 numbers.

    Models without adjustable dimensions (text-embedding-ada-002) may refuse with a 4xx (skipped).
    """
    exchange = ctx.send(EMBEDDINGS, json_body=embed(ctx, dimensions=DIMENSIONS))
    skip_if_refused(exchange, "dimensions")
    for position, item in enumerate(data_of(ok_json(exchange), len(INPUTS))):
        vector: Any = item.get("embedding")
        expect(isinstance(vector, list), f"data[{position}].embedding is not an array")
        expect(len(vector) == DIMENSIONS, f"data[{position}] has {len(vector)} numbers for dimensions={DIMENSIONS}")


@check("embeddings", "base64", EMBEDDINGS)
def embedding_base64_decodes(ctx: CheckContext) -> None:
    """encoding_format "base64" gives strings that decode to 4 x dimensions bytes (little-endian float32).

    The dimension is the one a float request for the same model gives. Both requests are this check's
    own (the float one has a single input), so a defect in the shared three-input answer cannot hide a
    base64 defect. Values are not compared: a model need not give the same numbers twice.
    """
    single = data_of(ok_json(ctx.send(EMBEDDINGS, json_body=embed(ctx, input=INPUTS[0]))), 1)[0].get("embedding")
    expect(isinstance(single, list) and single, "the float embedding of one input is not a non-empty array")
    expected = len(single) * 4  # type: ignore[arg-type]  # expect() above checked it
    data = data_of(ok_json(ctx.send(EMBEDDINGS, json_body=embed(ctx, encoding_format="base64"))), len(INPUTS))
    for position, item in enumerate(data):
        raw = base64_field(item.get("embedding"), f"data[{position}].embedding")
        expect(len(raw) == expected, f"data[{position}] decodes to {len(raw)} bytes, expected {expected} (4 x dim)")


@check("embeddings", "usage", EMBEDDINGS)
def embedding_usage_adds_up(ctx: CheckContext) -> None:
    """usage has prompt_tokens > 0 and total_tokens equal to it (embeddings have no completion tokens).

    Extra usage fields are allowed. The request is its own (one input), so a defect in the shared
    three-input answer cannot hide one in usage.
    """
    body = ok_json(ctx.send_shared("embeddings:single", EMBEDDINGS, json_body=embed(ctx, input="Hello there.")))
    data_of(body, 1)
    usage = body.get("usage")
    if usage is None:
        raise Skipped("the answer carries no usage")
    check_usage(usage, completion=False)
    expect(usage["prompt_tokens"] > 0, "usage.prompt_tokens is 0 for a non-empty input")
