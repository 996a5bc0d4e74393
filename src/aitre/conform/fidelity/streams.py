"""Comparing a relayed event stream with the upstream's stream for the same request.

The stream is read as the SDKs read it: `data:` payloads, JSON chunks, then `[DONE]`. Content is rebuilt
per choice from the deltas, so a relay that re-chunks the text is told apart from one that loses,
reorders or rewrites it. Each rule's docstring states the rule and its latitude.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aitre.conform.failures import Severity
from aitre.conform.fidelity.diff import ABSENT, Emit, compare_json
from aitre.conform.sse import DONE, SseParser


@dataclass
class ParsedStream:
    """The chunks of one stream: JSON chunks in order, whether `[DONE]` ended it, the usage chunk."""

    chunks: list[dict[str, Any]] = field(default_factory=list)
    done: bool = False
    unreadable: list[str] = field(default_factory=list)

    @property
    def usage_chunks(self) -> list[dict[str, Any]]:
        return [chunk for chunk in self.chunks if not chunk.get("choices") and chunk.get("usage")]

    @property
    def content_chunks(self) -> list[dict[str, Any]]:
        return [chunk for chunk in self.chunks if chunk.get("choices")]

    def pieces(self, index: int, kind: str) -> list[str]:
        """The non-empty text pieces of choice `index`, in order (`kind`: chat or completions)."""
        found = []
        for chunk in self.content_chunks:
            for choice in chunk.get("choices") or ():
                if isinstance(choice, dict) and choice.get("index", 0) == index:
                    text = (choice.get("delta") or {}).get("content") if kind == "chat" else choice.get("text")
                    if isinstance(text, str) and text:
                        found.append(text)
        return found

    def choice_indexes(self) -> list[int]:
        seen = {choice.get("index", 0) for chunk in self.content_chunks for choice in chunk.get("choices") or ()
                if isinstance(choice, dict)}
        return sorted(index for index in seen if isinstance(index, int))

    def finish_reasons(self, index: int) -> list[Any]:
        return [choice.get("finish_reason") for chunk in self.content_chunks for choice in chunk.get("choices") or ()
                if isinstance(choice, dict) and choice.get("index", 0) == index and choice.get("finish_reason")]


def parse_stream(body: bytes) -> ParsedStream:
    """Parse a whole event stream body."""
    parser = SseParser()
    events = parser.feed(body)
    pending, _ = parser.close()
    if pending is not None:
        events.append(pending)
    parsed = ParsedStream()
    for event in events:
        if event.data.strip() == DONE:
            parsed.done = True
            continue
        try:
            chunk = json.loads(event.data)
        except ValueError:
            parsed.unreadable.append(event.data[:200])
            continue
        if isinstance(chunk, dict):
            parsed.chunks.append(chunk)
    return parsed


def done_kept(upstream: ParsedStream, relay: ParsedStream, emit: Emit) -> None:
    """An upstream stream that ends with `data: [DONE]` reaches the client ending with it (violation).

    Latitude: none; the SDKs stop reading at `[DONE]`, and a relay that adds one the upstream did not send
    is reported as a warning.
    """
    if upstream.done and not relay.done:
        emit("stream.[DONE]", "dropped", "[DONE]", ABSENT, Severity.VIOLATION, "the stream ends without [DONE]")
    elif relay.done and not upstream.done:
        emit("stream.[DONE]", "added", ABSENT, "[DONE]", Severity.WARNING, "the relay ends the stream itself")
    for data in relay.unreadable:
        emit("stream.chunks", "changed", ABSENT, data, Severity.VIOLATION, "a chunk that is not JSON")


def usage_kept(upstream: ParsedStream, relay: ParsedStream, emit: Emit, *, requested_model: str | None) -> None:
    """The usage chunk the upstream sent (`stream_options.include_usage`) reaches the client, numbers unchanged.

    Latitude: usage carried on another chunk instead of a chunk of its own is a warning (the SDKs read
    it from any chunk); a usage chunk the relay adds where the upstream sent none is a warning.
    """
    up, rel = upstream.usage_chunks, relay.usage_chunks
    if up and not rel:
        elsewhere = [chunk["usage"] for chunk in relay.chunks if chunk.get("usage")]
        if elsewhere:
            emit("stream.usage_chunk", "merged", up[-1]["usage"], elsewhere[-1], Severity.WARNING,
                 "usage moved onto a content chunk")
            compare_json(up[-1]["usage"], elsewhere[-1], emit, requested_model=requested_model, path="usage")
        else:
            emit("stream.usage_chunk", "dropped", up[-1]["usage"], ABSENT, Severity.VIOLATION,
                 "the usage chunk was dropped")
    elif rel and not up:
        emit("stream.usage_chunk", "added", ABSENT, rel[-1].get("usage"), Severity.WARNING, "usage chunk added")
    elif up and rel:
        compare_json(up[-1]["usage"], rel[-1]["usage"], emit, requested_model=requested_model, path="usage")


def content_kept(upstream: ParsedStream, relay: ParsedStream, emit: Emit, kind: str) -> bool:
    """Each choice's streamed text reaches the client whole and in order (lost, reordered, changed: violation).

    Latitude: the relay may cut the same text into different chunks (merged or split chunks: a warning,
    since clients join the deltas). Returns whether the chunking is the same, so chunks can be compared
    one by one.
    """
    same_chunking = len(upstream.content_chunks) == len(relay.content_chunks)
    for index in sorted(set(upstream.choice_indexes()) | set(relay.choice_indexes())):
        up, rel = upstream.pieces(index, kind), relay.pieces(index, kind)
        where = f"choices[{index}].{'delta.content' if kind == 'chat' else 'text'}"
        up_text, rel_text = "".join(up), "".join(rel)
        if up_text != rel_text:
            if sorted(up) == sorted(rel):
                emit(where, "reordered", up_text, rel_text, Severity.VIOLATION, "the same chunks in another order")
            elif up_text.startswith(rel_text):
                emit(where, "lost", up_text, rel_text, Severity.VIOLATION,
                     f"{len(up_text) - len(rel_text)} characters of the streamed text never arrived")
            else:
                emit(where, "changed", up_text, rel_text, Severity.VIOLATION, "the streamed text was rewritten")
            same_chunking = False
        elif up != rel:
            kind_of = "merged" if len(rel) < len(up) else "split" if len(rel) > len(up) else "changed"
            emit(f"{where} (chunks)", kind_of, f"{len(up)} chunks", f"{len(rel)} chunks", Severity.WARNING,
                 "same text, cut into different chunks")
            same_chunking = False
        up_finish, rel_finish = upstream.finish_reasons(index), relay.finish_reasons(index)
        if not same_chunking and up_finish[-1:] != rel_finish[-1:]:
            emit(f"choices[{index}].finish_reason", "changed", up_finish[-1] if up_finish else None,
                 rel_finish[-1] if rel_finish else None, Severity.VIOLATION, "changed by the relay")
    return same_chunking


def compare_streams(up_body: bytes, relay_body: bytes, emit: Emit, *, kind: str,
                    requested_model: str | None) -> None:
    """Every stream rule, then chunk by chunk (`chunks[i].path`) where the chunking is the same."""
    upstream, relay = parse_stream(up_body), parse_stream(relay_body)
    done_kept(upstream, relay, emit)
    usage_kept(upstream, relay, emit, requested_model=requested_model)
    if content_kept(upstream, relay, emit, kind):
        for position, (up, rel) in enumerate(zip(upstream.content_chunks, relay.content_chunks, strict=True)):
            prefixed: Callable[..., None] = _prefixed(emit, f"chunks[{position}].")
            compare_json(up, rel, prefixed, requested_model=requested_model)


def _prefixed(emit: Emit, prefix: str) -> Emit:
    def inner(path: str, kind: str, upstream: Any, relay: Any, severity: Severity, note: str) -> None:
        emit(prefix + path, kind, upstream, relay, severity, note)

    return inner
