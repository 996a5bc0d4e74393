"""POST /v1/completions: legacy text completions, n per prompt, echo, logprobs, stop, streaming."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from aitre.server import sse, textgen
from aitre.server.contract import Operation
from aitre.server.encoding import json_response
from aitre.server.errors import bad_request
from aitre.server.ids import new_id
from aitre.server.runtime import Handler, Runtime, now
from aitre.server.settings import ServerSettings

SYSTEM_FINGERPRINT = "fp_aitre_reference"
END_OF_TEXT = "<|endoftext|>"


@dataclass(frozen=True)
class Prompt:
    text: str
    tokens: int


@dataclass(frozen=True)
class Choice:
    """One finished choice: the prompt it continues (for echo) and its generated part."""

    index: int
    prompt: Prompt
    generated: textgen.Generated
    echo: bool
    logprobs: int | None
    key: str

    @property
    def text(self) -> str:
        return (self.prompt.text if self.echo else "") + self.generated.text

    def token_list(self) -> tuple[list[str], int]:
        """Tokens of `text`, and how many of them are echoed prompt tokens (they have no logprob)."""
        echoed = textgen.tokenize(self.prompt.text) if self.echo else []
        return echoed + self.generated.tokens, len(echoed)

    @cached_property
    def _scored(self) -> list[textgen.TokenLogprob]:
        tokens, _ = self.token_list()
        return textgen.logprobs_for(tokens, self.key, self.index, self.logprobs or 0)

    def logprobs_object(self, start: int = 0, stop: int | None = None) -> dict[str, Any] | None:
        """The `logprobs` of tokens [start, stop); text offsets count from the start of the choice's text."""
        if self.logprobs is None:
            return None
        tokens, echoed = self.token_list()
        scored = self._scored
        selected = range(start, len(tokens) if stop is None else stop)
        text_offset: list[int] = []
        position = sum(len(token) for token in tokens[:start])
        for i in selected:
            text_offset.append(position)
            position += len(tokens[i])
        return {
            "tokens": [tokens[i] for i in selected],
            # The first echoed token has nothing before it to be predicted from, as in OpenAI's answers.
            "token_logprobs": [None if i == 0 and echoed else scored[i].logprob for i in selected],
            "top_logprobs": [
                None if i == 0 and echoed else {scored[i].token: scored[i].logprob, **dict(scored[i].alternatives)}
                for i in selected
            ],
            "text_offset": text_offset,
        }


def _prompts(value: Any) -> list[Prompt]:
    """The prompt in any of its four forms (or null) as a list of prompts."""
    if value is None:
        return [Prompt(END_OF_TEXT, 1)]
    if isinstance(value, str):
        return [Prompt(value, textgen.count_tokens(value))]
    if value and all(isinstance(item, int) for item in value):
        return [Prompt(textgen.detokenize(value), len(value))]
    prompts: list[Prompt] = []
    for item in value:
        if isinstance(item, str):
            prompts.append(Prompt(item, textgen.count_tokens(item)))
        else:
            prompts.append(Prompt(textgen.detokenize(item), len(item)))
    return prompts


def check_semantics(settings: ServerSettings, body: dict[str, Any]) -> None:
    """Rules between fields (the spec states those a schema can, G8); each breach is a 400 naming the field."""
    n = body.get("n") or 1
    best_of = body.get("best_of")
    if best_of is not None and best_of < n:
        raise bad_request(f"best_of ({best_of}) must be at least n ({n}).", param="best_of")
    if body.get("stream") and best_of is not None and best_of > 1:
        raise bad_request("best_of cannot be combined with stream.", param="best_of")
    if body.get("stream_options") is not None and not body.get("stream"):
        raise bad_request("stream_options is only allowed when stream is true.", param="stream_options")


def _choices(runtime: Runtime, body: dict[str, Any]) -> tuple[list[Choice], int]:
    n = body.get("n") or 1
    prompts = _prompts(body.get("prompt"))
    key = textgen.request_key(body, runtime.settings.seed)
    max_tokens = body.get("max_tokens", 16)
    stop = textgen.stop_list(body.get("stop"))
    choices: list[Choice] = []
    for p, prompt in enumerate(prompts):
        for j in range(n):
            # Choice j of prompt p depends on (p, j) only, so asking for more choices keeps the first ones.
            tokens = textgen.sentence_tokens(textgen.entropy(key, p, j), 8, 40, leading_space=True)
            generated = textgen.cut("".join(tokens), max_tokens, stop, tokens)
            choices.append(Choice(len(choices), prompt, generated, bool(body.get("echo")), body.get("logprobs"), key))
    suffix = body.get("suffix")
    prompt_tokens = sum(prompt.tokens for prompt in prompts)
    if isinstance(suffix, str):
        prompt_tokens += textgen.count_tokens(suffix) * len(prompts)
    return choices, prompt_tokens


def _usage(choices: list[Choice], prompt_tokens: int) -> dict[str, int]:
    completion = sum(len(choice.generated.tokens) for choice in choices)
    return {"prompt_tokens": prompt_tokens, "completion_tokens": completion, "total_tokens": prompt_tokens + completion}


def _stream_events(
    choices: list[Choice], prompt_tokens: int, head: dict[str, Any], include_usage: bool
) -> Iterator[bytes]:
    """Chunks in round-robin over the choices (one token each), a closing chunk per choice, usage, [DONE]."""
    pieces: list[list[tuple[str, dict[str, Any] | None]]] = []
    for choice in choices:
        tokens, echoed = choice.token_list()
        items: list[tuple[str, dict[str, Any] | None]] = []
        if echoed:
            items.append((choice.prompt.text, choice.logprobs_object(0, echoed)))
        for i in range(echoed, len(tokens)):
            items.append((tokens[i], choice.logprobs_object(i, i + 1)))
        pieces.append(items)
    frame = sse.ChunkFrame(head)
    longest = max((len(items) for items in pieces), default=0)
    for step in range(longest + 1):
        for choice, items in zip(choices, pieces, strict=True):
            if step < len(items):
                text, logprobs = items[step]
                entry = {"text": text, "index": choice.index, "logprobs": logprobs, "finish_reason": None}
            elif step == len(items):
                entry = {
                    "text": "",
                    "index": choice.index,
                    "logprobs": None,
                    "finish_reason": choice.generated.finish_reason,
                }
            else:
                continue
            yield frame.event(entry)
    if include_usage:
        yield sse.event({**head, "choices": [], "usage": _usage(choices, prompt_tokens)})
    yield sse.DONE


async def create_completion(runtime: Runtime, request: Request, op: Operation) -> Response:
    body = await runtime.json_body(request, op)
    model = runtime.check_model("completions", body["model"], "/v1/completions (use /v1/chat/completions)")
    check_semantics(runtime.settings, body)
    choices, prompt_tokens = _choices(runtime, body)
    head = {
        "id": new_id("cmpl-"),
        "object": "text_completion",
        "created": now(),
        "model": model,
        "system_fingerprint": SYSTEM_FINGERPRINT,
    }
    if body.get("stream"):
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        return sse.stream(_stream_events(choices, prompt_tokens, head, include_usage))
    return json_response(
        {
            **head,
            "choices": [
                {
                    "text": choice.text,
                    "index": choice.index,
                    "logprobs": choice.logprobs_object(),
                    "finish_reason": choice.generated.finish_reason,
                }
                for choice in choices
            ],
            "usage": _usage(choices, prompt_tokens),
        }
    )


HANDLERS: dict[str, Handler] = {"createCompletion": create_completion}
SEMANTIC_CHECKS = {"createCompletion": check_semantics}
