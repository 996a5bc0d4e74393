"""POST /v1/embeddings: deterministic unit vectors, `dimensions` shortening, float or base64 output.

Every component is +c or -c with c = 1/sqrt(d), so each vector has length 1 and a shortened vector is
still the prefix of the full one, renormalised, as OpenAI shortens text-embedding-3 vectors. The signs come
in blocks of 32, each block taken from the hash of one of the text's words (or of the whole text), so
equal texts give equal vectors and texts that share words point in similar directions. Vectors are built
from 8-component lookup tables, both as JSON text and as float32 bytes: a full 2048 x 3072 request stays
within seconds in pure Python.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import struct
from array import array
from functools import lru_cache
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from aitre.server import textgen
from aitre.server.contract import Operation
from aitre.server.errors import bad_request
from aitre.server.offload import off_loop
from aitre.server.runtime import Handler, Runtime
from aitre.server.settings import ServerSettings

NATIVE_DIMENSIONS = {"text-embedding-3-small": 1536, "text-embedding-3-large": 3072, "text-embedding-ada-002": 1536}
DEFAULT_DIMENSIONS = 1536
MAX_INPUT_TOKENS = 8192
MAX_REQUEST_TOKENS = 300_000
# Components plus input characters from which a request is answered off the event loop (about 10 ms of work).
OFFLOAD_WORK = 1 << 17


def _text(value: str | list[int]) -> tuple[str, int, list[str]]:
    """One input as (text, token count, tokens): a string is tokenized (once: the vector needs its words
    too); a token array counts one token per id and reads as vocabulary words."""
    if isinstance(value, str):
        tokens = textgen.tokenize(value)
        return value, len(tokens), tokens
    text = textgen.detokenize(value)
    return text, len(value), textgen.tokenize(text)


def _texts(value: Any) -> list[tuple[str, int, list[str]]]:
    """Every input of the request (a string, an array of them, a token array or an array of those)."""
    if isinstance(value, str) or (value and all(isinstance(item, int) for item in value)):
        return [_text(value)]
    return [_text(item) for item in value]


def _check_dimensions(model: Any, dimensions: Any) -> None:
    native = NATIVE_DIMENSIONS.get(str(model), DEFAULT_DIMENSIONS)
    if dimensions is not None:
        if str(model).startswith("text-embedding-ada"):
            raise bad_request(f"The model {model} does not support the dimensions parameter.", param="dimensions")
        if dimensions > native:
            raise bad_request(f"dimensions must be at most {native} for {model}.", param="dimensions")


def _check_tokens(counts: list[int]) -> None:
    for i, count in enumerate(counts):
        if count > MAX_INPUT_TOKENS:
            raise bad_request(f"Input {i} has {count} tokens; the limit is {MAX_INPUT_TOKENS}.", param="input")
    if sum(counts) > MAX_REQUEST_TOKENS:
        raise bad_request(f"The request has more than {MAX_REQUEST_TOKENS} tokens in all.", param="input")


def check_semantics(settings: ServerSettings, body: dict[str, Any]) -> None:
    """`dimensions` only for text-embedding-3 models and at most their native size; token limits."""
    _check_dimensions(body.get("model"), body.get("dimensions"))
    _check_tokens([count for _, count, _ in _texts(body.get("input"))])


def _float32_text(value: float) -> tuple[float, str]:
    """The float32 nearest `value`, and its shortest decimal text that reads back as that float32."""
    single = struct.unpack("<f", struct.pack("<f", value))[0]
    for digits in range(6, 10):
        text = f"{single:.{digits}g}"
        if struct.unpack("<f", struct.pack("<f", float(text)))[0] == single:
            return single, text
    return single, repr(single)


@lru_cache(maxsize=32)
def _tables(dimensions: int) -> tuple[tuple[str, ...], bytes, tuple[bytes, ...]]:
    """For `dimensions` components of magnitude c = 1/sqrt(dimensions):

    the JSON text of the 8 components a sign byte stands for (by byte value); the float32 bytes of +c; and
    eight translation tables, table j mapping a sign byte to the top byte of component j's float32 (the top
    byte holds the sign, the other three bytes are the same for +c and -c).
    """
    value, text = _float32_text(1.0 / math.sqrt(dimensions))
    json_parts = tuple(",".join(("-" + text) if bits >> i & 1 else text for i in range(8)) for bits in range(256))
    plus = struct.pack("<f", value)
    top = (plus[3], plus[3] | 0x80)
    tops = tuple(bytes(top[bits >> j & 1] for bits in range(256)) for j in range(8))
    return json_parts, plus, tops


def signs(text: str, model: str, seed: int, dimensions: int, tokens: list[str] | None = None) -> bytes:
    """One sign bit per component (8 per byte), blocks of 32 components taken from the text's words
    (`tokens`, when given, is the tokenization of `text`)."""
    words = sorted({token.strip().lower() for token in tokens or textgen.tokenize(text) if token.strip()})
    sources = [*words, "\x00" + text]  # the whole text is one more "word", so different texts differ
    blocks = -(-dimensions // 32)
    digests = [array("I", hashlib.shake_256(f"{seed}|{model}|{w}".encode()).digest(4 * blocks)) for w in sources]
    # Block k (4 bytes = 32 signs) comes from source k mod m: m strided copies instead of a loop over blocks.
    mixed = array("I", bytes(4 * blocks))
    for offset, digest in enumerate(digests[:blocks]):
        mixed[offset :: len(digests)] = digest[offset :: len(digests)]
    return mixed.tobytes()[: -(-dimensions // 8)]


def dimensions_for(model: str, requested: int | None) -> int:
    return requested or NATIVE_DIMENSIONS.get(model, DEFAULT_DIMENSIONS)


def vector_json(bits: bytes, dimensions: int) -> str:
    """The vector as a JSON number array."""
    json_parts, _, _ = _tables(dimensions)
    text = ",".join(map(json_parts.__getitem__, bits))
    extra = len(bits) * 8 - dimensions
    if extra:
        text = text.rsplit(",", extra)[0]
    return "[" + text + "]"


def vector_base64(bits: bytes, dimensions: int) -> str:
    """The vector as base64 of its little-endian float32 bytes, as the SDKs decode it."""
    _, plus, tops = _tables(dimensions)
    count = len(bits) * 8
    # All components share their three low bytes; only the top (sign) byte differs. Spread each sign bit into
    # its component's top byte with one translate per bit position, all in C.
    signs_out = bytearray(count)
    for j, table in enumerate(tops):
        signs_out[j::8] = bits.translate(table)
    raw = bytearray(plus * count)
    raw[3::4] = signs_out
    return base64.b64encode(bytes(raw[: 4 * dimensions])).decode("ascii")


def _size(inputs: Any) -> int:
    """Characters (or token ids) in all inputs: with the component count, what a request costs to answer."""
    if isinstance(inputs, str) or not inputs or isinstance(inputs[0], int):
        return len(inputs)
    return sum(len(item) for item in inputs)


def _answer(body: dict[str, Any], model: str, seed: int) -> str:
    """The response body: every vector rendered, repeated inputs once."""
    texts = _texts(body["input"])
    _check_tokens([count for _, count, _ in texts])
    dimensions = dimensions_for(model, body.get("dimensions"))
    render = vector_base64 if body.get("encoding_format") == "base64" else vector_json
    done: dict[str, str] = {}  # repeated inputs in one request are computed once
    items: list[str] = []
    for index, (text, _, words) in enumerate(texts):
        if text not in done:
            encoded = render(signs(text, model, seed, dimensions, words), dimensions)
            done[text] = encoded if render is vector_json else f'"{encoded}"'  # base64 needs no escaping
        items.append(f'{{"object":"embedding","index":{index},"embedding":{done[text]}}}')
    tokens = sum(count for _, count, _ in texts)
    # Assembled as text: the vectors are already JSON, and re-encoding millions of floats would dominate.
    tail = json.dumps({"model": model, "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})
    return '{"object":"list","data":[' + ",".join(items) + "]," + tail[1:]


async def create_embedding(runtime: Runtime, request: Request, op: Operation) -> Response:
    body = await runtime.json_body(request, op)
    model = runtime.check_model("embeddings", body["model"], "/v1/embeddings")
    _check_dimensions(model, body.get("dimensions"))
    inputs = body["input"]  # at most 2048 items: the spec's limit was checked before validation
    count = len(inputs) if isinstance(inputs, list) and inputs and not isinstance(inputs[0], int) else 1
    work = count * dimensions_for(model, body.get("dimensions")) + _size(inputs)
    if work < OFFLOAD_WORK:
        content = _answer(body, model, runtime.settings.seed)
    else:
        content = await off_loop(_answer, body, model, runtime.settings.seed)
    return Response(content, media_type="application/json")


HANDLERS: dict[str, Handler] = {"createEmbedding": create_embedding}
SEMANTIC_CHECKS = {"createEmbedding": check_semantics}
