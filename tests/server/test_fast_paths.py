"""The server's fast paths give exactly what the slow, obvious code would.

Generated text carries its tokens (so requests skip a regex pass), JSON goes through orjson with the
standard library as fallback, and bodies are read straight from `receive`. Each shortcut is compared
here with the plain computation it replaces.
"""

from __future__ import annotations

import json
import math

import pytest

from aitre.server import encoding, textgen
from aitre.server.bodies import MAX_NESTING, parse_json_object
from aitre.server.errors import ApiError

SEEDS = [textgen.entropy("key", index) for index in range(300)]


@pytest.mark.parametrize("leading_space", [False, True])
def test_pool_tokens_are_the_tokenization_of_the_text(leading_space: bool) -> None:
    for seed in SEEDS:
        tokens = textgen.sentence_tokens(seed, 8, 40, leading_space=leading_space)
        assert textgen.tokenize("".join(tokens)) == tokens
        assert 8 <= len(tokens) <= 40 + max(len(plain) for plain, _ in textgen.SENTENCES)


def test_text_length_follows_the_seed() -> None:
    lengths = {len(textgen.sentence_tokens(seed, 8, 40, leading_space=False)) for seed in SEEDS}
    assert len(lengths) > 10  # not one canned answer


@pytest.mark.parametrize("max_tokens", [None, 0, 1, 5, 17, 1000])
@pytest.mark.parametrize("stop", [[], ["."], [" the", "!"], ["zzz"]])
def test_cut_with_known_tokens_matches_cut_without(max_tokens: int | None, stop: list[str]) -> None:
    for seed in SEEDS[:60]:
        tokens = textgen.sentence_tokens(seed, 8, 40, leading_space=True)
        full = "".join(tokens)
        fast = textgen.cut(full, max_tokens, stop, tokens)
        slow = textgen.cut(full, max_tokens, stop)
        assert (fast.text, fast.finish_reason, fast.tokens) == (slow.text, slow.finish_reason, slow.tokens)
        assert fast.tokens == textgen.tokenize(fast.text)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"s": "\\ud800"}',
        b'{"x": NaN, "y": Infinity}',
        b'{"a": [1, 2.0, {"b": 3.25}], "c": "\\u00e9\\u6f22"}',
    ],
)
def test_loads_agrees_with_the_standard_library(raw: bytes) -> None:
    fast, slow = encoding.loads(raw), json.loads(raw)
    assert json.dumps(fast, sort_keys=True) == json.dumps(slow, sort_keys=True)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"seed": 123456789012345678901234567890, "n": 2.0}',
        b'{"a": [{"b": -98765432109876543210}], "m": 1.5, "n": 9007199254740993}',
        b'{"big": 1e300, "small": 3}',
    ],
)
def test_the_body_parser_is_exact_where_orjson_alone_is_not(raw: bytes) -> None:
    body = parse_json_object(raw, "application/json")
    assert body == json.loads(raw)
    assert [type(value) for value in body.values()] == [
        int if isinstance(value, float) and value.is_integer() else type(value) for value in json.loads(raw).values()
    ]


def test_bad_bodies_are_still_refused() -> None:
    for raw in (b"", b"[1]", b'{"a": ', b"nul"):
        with pytest.raises(ApiError) as caught:
            parse_json_object(raw, "application/json")
        assert caught.value.status == 400
    deep = b'{"a": ' * (MAX_NESTING + 5) + b"1" + b"}" * (MAX_NESTING + 5)
    with pytest.raises(ApiError, match="nested"):
        parse_json_object(deep, "application/json")


def test_dumps_falls_back_for_what_orjson_refuses() -> None:
    assert encoding.dump_bytes({"big": 2**70}) == json.dumps({"big": 2**70}, separators=(",", ":")).encode()
    text = {"text": "line\nbreak \u2028 \u00e9"}
    assert json.loads(encoding.dump_bytes(text)) == text
    assert b"\n" not in encoding.dump_bytes({"text": "a\nb"})  # SSE framing depends on it
    assert encoding.canonical({"b": 1, "a": 2**70}) == b'{"a":1180591620717411303424,"b":1}'
    assert not math.isnan(json.loads(encoding.dump_bytes({"x": 1.5}))["x"])
