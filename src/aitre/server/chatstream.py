"""The chat completion stream: role first, one token per delta, one finish_reason per choice, usage, [DONE].

Choices advance in round-robin, as a sampler running them in parallel would. Every chunk has the same
`id`, `created` and `model`; with `include_usage` every chunk carries `usage: null` and one extra chunk
with empty `choices` carries the totals just before `data: [DONE]`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from aitre.server import sse, textgen
from aitre.server.chatchoice import ChatChoice, token_logprob


def _call_head(position: int, call: dict[str, Any]) -> dict[str, Any]:
    """The first fragment of a streamed tool call: its index, id, type and name, with no arguments yet."""
    # The chunk schema only knows function calls; a custom tool's input travels as its arguments.
    name = (call.get("function") or call.get("custom") or {}).get("name")
    return {"index": position, "id": call["id"], "type": "function", "function": {"name": name, "arguments": ""}}


def _first_delta(choice: ChatChoice) -> dict[str, Any]:
    if choice.tool_calls:
        return {"role": "assistant", "content": None, "tool_calls": [_call_head(0, choice.tool_calls[0])]}
    if choice.function_call is not None:
        return {"role": "assistant", "content": None, "function_call": {"name": choice.function_call["name"],
                                                                         "arguments": ""}}
    if choice.audio is not None:
        return {"role": "assistant", "content": None}
    return {"role": "assistant", "content": ""}


def _deltas(choice: ChatChoice, top: int) -> list[tuple[dict[str, Any] | str, dict[str, Any] | None]]:
    """(delta, logprobs) for every chunk of one choice after the first and before the last; a plain content
    delta without logprobs is given as its text alone."""
    if choice.tool_calls:
        deltas: list[tuple[dict[str, Any] | str, dict[str, Any] | None]] = []
        for position, call in enumerate(choice.tool_calls):
            if position:
                deltas.append(({"tool_calls": [_call_head(position, call)]}, None))
            text = (call.get("function") or {}).get("arguments") or (call.get("custom") or {}).get("input", "")
            deltas.extend(({"tool_calls": [{"index": position, "function": {"arguments": piece}}]}, None)
                          for piece in textgen.tokenize(text))
        return deltas
    if choice.function_call is not None:
        return [({"function_call": {"arguments": piece}}, None)
                for piece in textgen.tokenize(choice.function_call["arguments"])]
    if choice.audio is not None:
        return [({"audio": choice.audio}, None)]
    tokens = choice.content_tokens if choice.content_tokens is not None else textgen.tokenize(choice.content or "")
    if choice.logprobs is None:
        return [(token, None) for token in tokens]  # a bare string: framed by ChunkFrame.content
    return [({"content": token}, {"content": [token_logprob(item, top)], "refusal": None})
            for token, item in zip(tokens, choice.logprobs, strict=True)]


def events(choices: list[ChatChoice], head: dict[str, Any], top: int, usage: dict[str, Any] | None) -> Iterator[bytes]:
    """Framed SSE events of the whole answer; `usage` is given only when include_usage was asked for."""
    usage_field = {"usage": None} if usage is not None else {}
    frame = sse.ChunkFrame(head, usage_field)
    scripts: list[list[bytes]] = []
    for choice in choices:
        index = choice.index
        script = [frame.event({"index": index, "delta": _first_delta(choice), "logprobs": None,
                               "finish_reason": None})]
        for delta, logprobs in _deltas(choice, top):
            if isinstance(delta, str):
                script.append(frame.content(index, delta))
            else:
                script.append(frame.event({"index": index, "delta": delta, "logprobs": logprobs,
                                           "finish_reason": None}))
        script.append(frame.event({"index": index, "delta": {}, "logprobs": None,
                                   "finish_reason": choice.finish_reason}))
        scripts.append(script)
    longest = max((len(script) for script in scripts), default=0)
    for step in range(longest):
        for script in scripts:
            if step < len(script):
                yield script[step]
    if usage is not None:
        yield sse.event({**head, "choices": [], "usage": usage})
    yield sse.DONE
