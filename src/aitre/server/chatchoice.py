"""One generated chat choice and its logprob rendering, shared by the JSON and the streamed answers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aitre.server import textgen


@dataclass(frozen=True)
class ChatChoice:
    """One generated choice, before it is rendered as a message or as stream deltas."""

    index: int
    content: str | None
    finish_reason: str
    tool_calls: list[dict[str, Any]] | None = None  # the message.tool_calls entries
    function_call: dict[str, str] | None = None  # deprecated `functions` answer
    audio: dict[str, Any] | None = None
    logprobs: list[textgen.TokenLogprob] | None = None
    completion_tokens: int = 0
    audio_tokens: int = 0
    content_tokens: list[str] | None = None  # the tokens of `content`, so streams need not tokenize again


def token_logprob(item: textgen.TokenLogprob, top: int) -> dict[str, Any]:
    """One `ChatCompletionTokenLogprob`; its `top_logprobs` holds `top` entries, the chosen token first."""
    ranked = [(item.token, item.logprob), *item.alternatives][:top]
    return {
        "token": item.token,
        "logprob": item.logprob,
        "bytes": textgen.utf8_bytes(item.token),
        "top_logprobs": [{"token": t, "logprob": lp, "bytes": textgen.utf8_bytes(t)} for t, lp in ranked],
    }
