"""Streaming: SSE framing, chunk consistency, roles, finish reasons, usage chunks and streamed tool calls."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from aitre.conform.checks._common import (
    CHAT,
    COMPLETIONS,
    FINISH_REASONS,
    WEATHER_TOOL,
    chat_body,
    check_created,
    check_id,
    check_usage,
    error_shape_problem,
    js,
)
from aitre.conform.client import Exchange
from aitre.conform.context import CheckContext
from aitre.conform.failures import ContractViolation, InvalidBody, expect, warn_unless
from aitre.conform.registry import check
from aitre.conform.sse import DONE, error_event


@dataclass
class Stream:
    """A finished event stream: its JSON chunks in order and the exchange they came from."""

    exchange: Exchange
    chunks: list[dict[str, Any]]


def _json_events(exchange: Exchange) -> list[tuple[int, str | None, Any, str]]:
    """(position, `event:` name, parsed data, raw data) of each event of a 200 event stream but `[DONE]`,
    which may come once, last. An error object where a chunk belongs is reported as what it is."""
    exchange.require_status(200)
    exchange.require_content_type("text/event-stream")
    events = exchange.events or []
    expect(events, "the stream has no events")
    parsed: list[tuple[int, str | None, Any, str]] = []
    for position, event in enumerate(events):
        if event.stray_lines:
            raise InvalidBody(f"event #{position} has lines that are not SSE fields: {js(event.stray_lines[:2])}")
        failed = error_event(event.data)
        if failed is not None:
            raise ContractViolation(f"event #{position} is an error event, not a chunk: the stream answered "
                                    f"HTTP 200 reports a failure ({failed})",
                                    cause="failures reported as error events inside 200 streams")
        if event.data == DONE:
            expect(position == len(events) - 1, f"`data: [DONE]` is event #{position} of {len(events)}, not the last")
            continue
        try:
            parsed.append((position, event.event, json.loads(event.data), event.data))
        except ValueError:
            raise InvalidBody(f"event #{position} data is not JSON: {js(event.data[:80])}") from None
    expect(not exchange.unterminated_event, "the last event is not closed by a blank line")
    return parsed


def read_stream(exchange: Exchange, expected_object: str) -> Stream:
    """Check the SSE framing of a 200 stream and parse its chunks; `[DONE]` must come once, last."""
    chunks: list[dict[str, Any]] = []
    for position, _, chunk, _ in _json_events(exchange):
        expect(isinstance(chunk, dict), f"event #{position} data is JSON but not an object")
        expect(chunk.get("object") == expected_object, f"event #{position} object is {js(chunk.get('object'))}")
        chunks.append(chunk)
    expect((exchange.events or [])[-1].data == DONE, "the stream does not end with `data: [DONE]`")
    expect(not exchange.stream_tail.strip(), f"text after the last event: {js(exchange.stream_tail[:60])}")
    return Stream(exchange, chunks)


def read_typed_events(exchange: Exchange) -> list[dict[str, Any]]:
    """The JSON objects of a 200 event stream whose events carry a `type` (image, speech and transcription
    streams). An `event:` name, where sent, must equal the `type`; `data: [DONE]` is allowed once, last."""
    payloads: list[dict[str, Any]] = []
    for position, name, payload, raw in _json_events(exchange):
        expect(isinstance(payload, dict) and isinstance(payload.get("type"), str),
               f"event #{position} data is not an object with a string `type`: {js(raw[:80])}")
        expect(name in (None, payload["type"]),
               f"event #{position} is named {js(name)} but its type is {js(payload['type'])}")
        payloads.append(payload)
    return payloads


def _stream_request(ctx: CheckContext, **extra: Any) -> Exchange:
    exchange = ctx.send(CHAT, json_body=chat_body(ctx, stream=True, **extra))
    return exchange


def basic_stream(ctx: CheckContext) -> Stream:
    """A streamed completion with n=2 (n=1 when the model refuses several choices), shared by the checks."""

    def fetch() -> Stream:
        exchange = _stream_request(ctx, n=ctx.limits.max_choices)
        if exchange.status is not None and 400 <= exchange.status < 500 and error_shape_problem(exchange) is None:
            exchange = _stream_request(ctx)
        return read_stream(exchange, "chat.completion.chunk")

    return ctx.shared("stream:basic", fetch)


def _choices(chunk: dict[str, Any], position: int) -> list[dict[str, Any]]:
    choices = chunk.get("choices")
    expect(isinstance(choices, list), f"chunk #{position} choices is {js(choices)}, not an array")
    for choice in choices:  # type: ignore[union-attr]  # expect() above checked it
        has_index = isinstance(choice, dict) and isinstance(choice.get("index"), int)
        expect(has_index, f"chunk #{position} has a choice without an integer index")
        expect(isinstance(choice.get("delta"), dict), f"chunk #{position} choice {choice.get('index')} lacks delta")
    return choices  # type: ignore[return-value]  # expect() above checked the shape


@check("streaming", "framing", CHAT)
def stream_sse_framing(ctx: CheckContext) -> None:
    """stream=true answers text/event-stream of `data: <json>` events closed by blank lines, ending `data: [DONE]`.

    Comment lines and `id`/`event`/`retry` fields are legal SSE and ignored.
    """
    basic_stream(ctx)


@check("streaming", "chunks", CHAT)
def stream_chunks_consistent(ctx: CheckContext) -> None:
    """Every chunk is "chat.completion.chunk" with the same id, created and model, and choices with
    index and delta.

    Chunks may carry extra fields (`system_fingerprint`, `obfuscation`, `reasoning_content` in the delta).
    """
    stream = basic_stream(ctx)
    expect(stream.chunks, "the stream has no chunks before [DONE]")
    first = stream.chunks[0]
    check_id(first.get("id"), "chunk #0 id")
    check_created(first.get("created"), "chunk #0 created")
    check_id(first.get("model"), "chunk #0 model")
    for position, chunk in enumerate(stream.chunks):
        for name in ("id", "created", "model"):
            expect(
                chunk.get(name) == first.get(name),
                f"chunk #{position} {name} is {js(chunk.get(name))}, chunk #0 had {js(first.get(name))}",
            )
        _choices(chunk, position)


@check("streaming", "role", CHAT)
def stream_role_in_first_delta(ctx: CheckContext) -> None:
    """The first delta of each choice carries role "assistant".

    Later deltas may repeat the role or omit it.
    """
    seen: set[int] = set()
    for position, chunk in enumerate(basic_stream(ctx).chunks):
        for choice in _choices(chunk, position):
            index = choice["index"]
            if index not in seen:
                seen.add(index)
                role = choice["delta"].get("role")
                expect(role == "assistant", f"first delta of choice {index} (chunk #{position}) has role {js(role)}")
    expect(seen, "no chunk carries a choice")


@check("streaming", "finish_reason", CHAT)
def stream_one_finish_reason_per_choice(ctx: CheckContext) -> None:
    """Each choice gets exactly one non-null finish_reason, from the enum, on its last chunk.

    Chunks for one choice may interleave with another's; an empty delta alongside the finish_reason is fine.
    """
    finished: dict[int, int] = {}
    indices: set[int] = set()
    for position, chunk in enumerate(basic_stream(ctx).chunks):
        for choice in _choices(chunk, position):
            index = choice["index"]
            indices.add(index)
            reason = choice.get("finish_reason")
            delta = choice["delta"]
            if index in finished and (delta.get("content") or delta.get("tool_calls") or reason is not None):
                raise ContractViolation(f"choice {index} continues in chunk #{position} after its finish_reason")
            if reason is not None:
                expect(reason in FINISH_REASONS, f"chunk #{position} choice {index} finish_reason is {js(reason)}")
                finished[index] = position
    missing = sorted(indices - set(finished))
    expect(not missing, f"choice(s) {missing} never got a finish_reason")


@check("streaming", "usage", CHAT)
def stream_usage_only_when_requested(ctx: CheckContext) -> None:
    """Without stream_options.include_usage no chunk carries usage.

    A `usage: null` key on every chunk is fine (new-api sends it).
    """
    for position, chunk in enumerate(basic_stream(ctx).chunks):
        expect(chunk.get("usage") is None, f"chunk #{position} carries usage although include_usage was not set")


@check("streaming", "usage", CHAT)
def stream_include_usage_final_chunk(ctx: CheckContext) -> None:
    """With include_usage, exactly one chunk has usage: the last before [DONE], with `choices: []`; usage adds up.

    All other chunks may have `usage: null` or no usage key. Choices with an empty delta in the usage
    chunk (some relays send them) are a warning: a client reads nothing from them. Content there is not.
    """
    exchange = _stream_request(ctx, stream_options={"include_usage": True})
    chunks = read_stream(exchange, "chat.completion.chunk").chunks
    with_usage = [position for position, chunk in enumerate(chunks) if chunk.get("usage") is not None]
    expect(len(with_usage) == 1, f"{len(with_usage)} chunks carry usage (chunks {with_usage[:5]}), expected 1")
    position = with_usage[0]
    expect(position == len(chunks) - 1, f"the usage chunk is #{position}, not the last of {len(chunks)}")
    check_usage(chunks[position]["usage"])
    choices = chunks[position].get("choices")
    shown = f"the usage chunk has choices {js(choices)}"
    expect(isinstance(choices, list) and all(isinstance(c, dict) and not c.get("delta") and c.get("finish_reason")
                                             is None for c in choices), f"{shown}, which carry content")
    warn_unless(choices == [], f"{shown}, not []")


@check("streaming", "tool calls", CHAT)
def stream_tool_call_arguments_json(ctx: CheckContext) -> None:
    """Streamed tool calls: the first fragment of each call has id, type "function" and the name; the
    concatenated arguments parse as a JSON object; finish_reason is "tool_calls".

    How the arguments are split into fragments is the server's choice.
    """
    extra = {"tools": [WEATHER_TOOL], "tool_choice": "required", "max_tokens": 64}
    exchange = _stream_request(ctx, content="What is the weather in Oslo?", **extra)
    stream = read_stream(exchange, "chat.completion.chunk")
    calls: dict[tuple[int, int], dict[str, Any]] = {}
    arguments: dict[tuple[int, int], list[str]] = defaultdict(list)
    reasons: dict[int, str] = {}
    for position, chunk in enumerate(stream.chunks):
        for choice in _choices(chunk, position):
            if choice.get("finish_reason") is not None:
                reasons[choice["index"]] = choice["finish_reason"]
            for fragment in choice["delta"].get("tool_calls") or []:
                expect(isinstance(fragment.get("index"), int), f"chunk #{position} tool call fragment lacks index")
                key = (choice["index"], fragment["index"])
                function = fragment.get("function") or {}
                if key not in calls:
                    calls[key] = fragment
                    check_id(fragment.get("id"), f"first fragment of tool call {key} id")
                    expect(fragment.get("type") == "function", f"first fragment of tool call {key} type")
                    expect(function.get("name") == "get_weather", f"tool call {key} name is {js(function.get('name'))}")
                if isinstance(function.get("arguments"), str):
                    arguments[key].append(function["arguments"])
    expect(calls, "tool_choice 'required' streamed no tool calls")
    for key in calls:
        text = "".join(arguments[key])
        try:
            parsed = json.loads(text)
        except ValueError:
            raise ContractViolation(f"tool call {key} arguments concatenate to invalid JSON: {js(text[:80])}") from None
        expect(isinstance(parsed, dict), f"tool call {key} arguments are JSON but not an object")
    for index in {key[0] for key in calls}:
        expect(reasons.get(index) == "tool_calls", f"choice {index} finish_reason is {js(reasons.get(index))}")


@check("streaming", "completions", COMPLETIONS)
def completion_stream_valid(ctx: CheckContext) -> None:
    """A streamed legacy completion is SSE of "text_completion" chunks with one id, text pieces, exactly one
    finish_reason, ending `data: [DONE]`.

    With include_usage a final usage chunk with empty choices is allowed.
    """
    body = {"model": ctx.model("completions"), "prompt": "Say hello.", "max_tokens": ctx.limits.max_tokens,
            "stream": True}
    stream = read_stream(ctx.send(COMPLETIONS, json_body=body), "text_completion")
    expect(stream.chunks, "the stream has no chunks before [DONE]")
    ids = {chunk.get("id") for chunk in stream.chunks}
    expect(len(ids) == 1, f"chunks carry {len(ids)} different ids")
    reasons = []
    for position, chunk in enumerate(stream.chunks):
        for choice in chunk.get("choices") or []:
            expect(isinstance(choice.get("text"), str), f"chunk #{position} choice text is {js(choice.get('text'))}")
            if choice.get("finish_reason") is not None:
                reasons.append(choice["finish_reason"])
    expect(len(reasons) == 1, f"{len(reasons)} finish_reasons for one choice")


@check("streaming", "usage", COMPLETIONS)
def completion_stream_usage_only_when_requested(ctx: CheckContext) -> None:
    """A streamed legacy completion carries usage only with stream_options.include_usage: without it no
    chunk has usage; with it exactly one chunk, the last before [DONE], has usage (adding up) and empty
    choices.

    A `usage: null` key on every chunk is fine.
    """
    base = {"model": ctx.model("completions"), "prompt": "Say hello.", "max_tokens": ctx.limits.max_tokens,
            "stream": True}
    plain = read_stream(ctx.send(COMPLETIONS, json_body=base), "text_completion").chunks
    for position, chunk in enumerate(plain):
        expect(chunk.get("usage") is None, f"chunk #{position} carries usage although include_usage was not set")
    body = {**base, "stream_options": {"include_usage": True}}
    chunks = read_stream(ctx.send(COMPLETIONS, json_body=body), "text_completion").chunks
    with_usage = [position for position, chunk in enumerate(chunks) if chunk.get("usage") is not None]
    expect(len(with_usage) == 1, f"{len(with_usage)} chunks carry usage with include_usage (expected 1)")
    expect(with_usage[0] == len(chunks) - 1, f"the usage chunk is #{with_usage[0]}, not the last of {len(chunks)}")
    expect(chunks[-1].get("choices") == [], f"the usage chunk has choices {js(chunks[-1].get('choices'))}")
    check_usage(chunks[-1]["usage"])
