"""Chat completions: shape, choice count and order, token limits, stop, logprobs, usage, tools, JSON mode."""

from __future__ import annotations

import json
from typing import Any

from aitre.conform.checks._common import (
    CHAT,
    FINISH_REASONS,
    LONG_ANSWER_PROMPT,
    WEATHER_TOOL,
    chat_body,
    check_envelope,
    check_id,
    check_token_limit,
    check_usage,
    is_int,
    is_number,
    js,
    json_type,
    ok_json,
    skip_if_refused,
)
from aitre.conform.checks._observe import STEADY, judge_limit, judge_stop
from aitre.conform.context import CheckContext
from aitre.conform.failures import ContractViolation, Skipped, expect
from aitre.conform.registry import check


def basic_chat(ctx: CheckContext) -> dict[str, Any]:
    """One plain completion, shared by the checks that only read its shape."""
    return ok_json(ctx.send_shared("chat:basic", CHAT, json_body=chat_body(ctx)))


def choices_of(body: dict[str, Any]) -> list[dict[str, Any]]:
    choices = body.get("choices")
    expect(isinstance(choices, list), f"choices is {json_type(choices)}, not an array")
    for position, choice in enumerate(choices):  # type: ignore[arg-type]  # expect() above checked it
        expect(isinstance(choice, dict), f"choices[{position}] is not an object")
    return choices  # type: ignore[return-value]  # expect() above checked the shape


@check("chat", "shape", CHAT)
def chat_completion_fields(ctx: CheckContext) -> None:
    """A chat completion has object "chat.completion", a non-empty string id, integer Unix-second `created`,
    a string model, assistant messages and a finish_reason from the enum.

    Extra fields (`system_fingerprint`, `reasoning_content`, ...) are allowed; `model` may resolve an alias.
    """
    body = basic_chat(ctx)
    check_envelope(body, "chat.completion")
    choices = choices_of(body)
    expect(len(choices) == 1, f"{len(choices)} choices for a request without n (expected 1)")
    for position, choice in enumerate(choices):
        message: Any = choice.get("message")
        expect(isinstance(message, dict), f"choices[{position}].message is not an object")
        expect(message.get("role") == "assistant", f"choices[{position}].message.role is {js(message.get('role'))}")
        content = message.get("content")
        expect(content is None or isinstance(content, str), f"choices[{position}].message.content is {js(content)}")
        if content is None:
            expect(
                message.get("tool_calls") or message.get("refusal") or message.get("audio"),
                f"choices[{position}].message.content is null without tool_calls, refusal or audio",
            )
        reason = choice.get("finish_reason")
        expect(reason in FINISH_REASONS, f"choices[{position}].finish_reason is {js(reason)}")
        expect(choice.get("logprobs") is None, f"choices[{position}].logprobs is set although not requested")


@check("chat", "n choices", CHAT)
def chat_n_choices_in_order(ctx: CheckContext) -> None:
    """With n=2 the answer has exactly 2 choices whose `index` equals their position.

    A model that cannot sample several choices may refuse n>1 with a 4xx (the check is then skipped).
    """
    exchange = ctx.send(CHAT, json_body=chat_body(ctx, n=ctx.limits.max_choices))
    skip_if_refused(exchange, f"n={ctx.limits.max_choices}")
    choices = choices_of(ok_json(exchange))
    expect(len(choices) == ctx.limits.max_choices, f"{len(choices)} choices for n={ctx.limits.max_choices}")
    for position, choice in enumerate(choices):
        expect(choice.get("index") == position, f"choices[{position}].index is {js(choice.get('index'))}")


def long_chat(ctx: CheckContext, limit: int | None = None, *, name: str = "max_tokens") -> dict[str, Any]:
    """The long-answer prompt, without a limit beyond the run's cap or with `name`=`limit`; sent once each."""
    extra: dict[str, Any] = dict(STEADY)
    if limit is not None:
        extra["max_tokens"] = None
        extra[name] = limit
    body = {key: value for key, value in chat_body(ctx, LONG_ANSWER_PROMPT, **extra).items() if value is not None}
    return ok_json(ctx.send_shared(f"chat:long:{name}:{limit}", CHAT, json_body=body))


def completion_tokens(body: dict[str, Any]) -> int | None:
    usage = body.get("usage")
    value = usage.get("completion_tokens") if isinstance(usage, dict) else None
    return value if is_int(value) else None


@check("chat", "max_tokens", CHAT)
def chat_max_tokens_respected(ctx: CheckContext) -> None:
    """completion_tokens never exceeds max_tokens, and finish_reason "length" only when the limit was reached.

    Whether the model stops early is model-dependent; only the arithmetic between the two fields is checked.
    """
    limit = 3
    body = long_chat(ctx, limit)
    choice = choices_of(body)[0]
    used = check_token_limit(body, choice, limit)
    if choice.get("finish_reason") != "length" and used == limit:
        expect(
            choice.get("finish_reason") in ("stop", "length", "content_filter"),
            f"finish_reason {js(choice.get('finish_reason'))} with the token limit used up",
        )


@check("chat", "max_tokens", CHAT)
def chat_max_completion_tokens_respected(ctx: CheckContext) -> None:
    """max_completion_tokens (the current name of max_tokens) bounds usage.completion_tokens, and an answer
    cut by it ends with finish_reason "length".

    Observed against the same prompt without the limit: when that answer fits in the limit, or no usage
    is reported, the check is skipped. A model that refuses the parameter with a 4xx naming it is skipped.
    """
    limit = 3
    exchange = ctx.send(CHAT, json_body={**{k: v for k, v in chat_body(ctx, LONG_ANSWER_PROMPT, **STEADY).items()
                                            if k != "max_tokens"}, "max_completion_tokens": limit})
    skip_if_refused(exchange, "max_completion_tokens")
    body = ok_json(exchange)
    choice = choices_of(body)[0]
    check_token_limit(body, choice, limit)
    judge_limit(completion_tokens(long_chat(ctx)), limit, completion_tokens(body), choice.get("finish_reason"),
                "choices[0]")


@check("chat", "finish_reason", CHAT)
def chat_length_finish_reason(ctx: CheckContext) -> None:
    """An answer cut at max_tokens ends with finish_reason "length" (a client that reads "stop" takes a
    truncated answer for a whole one).

    Observed against the same prompt with a larger limit: when that answer fits in the small limit too,
    or no usage is reported, nothing is observable and the check is skipped.
    """
    limit = 3
    body = long_chat(ctx, limit)
    choice = choices_of(body)[0]
    judge_limit(completion_tokens(long_chat(ctx)), limit, completion_tokens(body), choice.get("finish_reason"),
                "choices[0]")


@check("chat", "stop", CHAT)
def chat_stop_sequence_honoured(ctx: CheckContext) -> None:
    """With `stop` set to a word the server writes without it, the content ends before that word and never
    contains it, and finish_reason is not "length".

    Observed first: the stop is a word of the answer to the same request without `stop`. When the answer
    with `stop` is neither that answer cut at the word nor contains the word (the model answered
    differently), `stop` is not observable and the check is skipped.
    """
    baseline = choices_of(long_chat(ctx))[0]

    def ask(stop: str) -> tuple[str, Any]:
        body = ok_json(ctx.send(CHAT, json_body=chat_body(ctx, LONG_ANSWER_PROMPT, stop=[stop], **STEADY)))
        choice = choices_of(body)[0]
        return (choice.get("message") or {}).get("content") or "", choice.get("finish_reason")

    judge_stop((baseline.get("message") or {}).get("content") or "", ask, "choices[0].message.content")


@check("chat", "logprobs", CHAT)
def chat_logprobs_sizes(ctx: CheckContext) -> None:
    """With logprobs=true and top_logprobs=2, every content token has a logprob and at most 2 alternatives.

    Models that do not expose logprobs may refuse with a 4xx (skipped); fewer than 2 alternatives is allowed.
    """
    exchange = ctx.send(CHAT, json_body=chat_body(ctx, logprobs=True, top_logprobs=2))
    skip_if_refused(exchange, "logprobs")
    body = ok_json(exchange)
    usage: Any = body.get("usage") if isinstance(body.get("usage"), dict) else {}
    for position, choice in enumerate(choices_of(body)):
        logprobs: Any = choice.get("logprobs")
        expect(isinstance(logprobs, dict), f"choices[{position}].logprobs is {js(logprobs)} although requested")
        content = logprobs.get("content")
        expect(isinstance(content, list), f"choices[{position}].logprobs.content is not an array")
        text = (choice.get("message") or {}).get("content") or ""
        expect(not text or content, f"choices[{position}] has text but no token logprobs")
        if is_int(usage.get("completion_tokens")):
            expect(
                len(content) <= usage["completion_tokens"],
                f"{len(content)} token logprobs for {usage['completion_tokens']} completion tokens",
            )
        for token_position, token in enumerate(content):
            where = f"choices[{position}].logprobs.content[{token_position}]"
            expect(isinstance(token, dict) and isinstance(token.get("token"), str), f"{where}.token is missing")
            expect(
                is_number(token.get("logprob")) and token["logprob"] <= 0,
                f"{where}.logprob is {js(token.get('logprob'))}",
            )
            top = token.get("top_logprobs")
            expect(isinstance(top, list) and len(top) <= 2, f"{where}.top_logprobs has {js(top)} (at most 2 expected)")


@check("chat", "usage", CHAT)
def chat_usage_adds_up(ctx: CheckContext) -> None:
    """usage.total_tokens = prompt_tokens + completion_tokens, prompt_tokens > 0, details within totals.

    `usage` is optional in the format: an answer without it is skipped, not failed.
    """
    usage = basic_chat(ctx).get("usage")
    if usage is None:
        raise Skipped("the answer carries no usage")
    check_usage(usage)
    expect(usage["prompt_tokens"] > 0, "usage.prompt_tokens is 0 for a non-empty prompt")


def _tool_calls(choice: dict[str, Any], where: str) -> list[dict[str, Any]]:
    calls = (choice.get("message") or {}).get("tool_calls")
    expect(isinstance(calls, list) and calls, f"{where}.message.tool_calls is {js(calls)}, expected tool calls")
    ids: set[str] = set()
    for position, call in enumerate(calls):  # type: ignore[arg-type]  # expect() above checked it
        at = f"{where}.message.tool_calls[{position}]"
        expect(isinstance(call, dict) and call.get("type") == "function", f"{at}.type is not 'function'")
        check_id(call.get("id"), f"{at}.id")
        expect(call["id"] not in ids, f"{at}.id {js(call['id'])} repeats an earlier call's id")
        ids.add(call["id"])
        function = call.get("function") or {}
        expect(function.get("name") == "get_weather", f"{at}.function.name is {js(function.get('name'))}")
        arguments: Any = function.get("arguments")
        expect(isinstance(arguments, str), f"{at}.function.arguments is {json_type(arguments)}, not a JSON string")
        try:
            parsed = json.loads(arguments)
        except ValueError:
            raise ContractViolation(f"{at}.function.arguments is not valid JSON: {js(arguments[:80])}") from None
        expect(isinstance(parsed, dict), f"{at}.function.arguments is JSON but not an object")
    return calls  # type: ignore[return-value]  # expect() above checked the shape


@check("chat", "tool calls", CHAT)
def chat_tool_choice_required(ctx: CheckContext) -> None:
    """tool_choice "required" gives tool_calls (unique ids, type function, JSON-object arguments) and
    finish_reason "tool_calls".

    The argument values are the model's choice; only their JSON form is checked.
    """
    body = chat_body(ctx, "What is the weather in Paris?", tools=[WEATHER_TOOL], tool_choice="required", max_tokens=64)
    for position, choice in enumerate(choices_of(ok_json(ctx.send(CHAT, json_body=body)))):
        _tool_calls(choice, f"choices[{position}]")
        reason = choice.get("finish_reason")
        expect(reason == "tool_calls", f"choices[{position}].finish_reason is {js(reason)}, not 'tool_calls'")


@check("chat", "tool calls", CHAT)
def chat_named_tool_choice(ctx: CheckContext) -> None:
    """A named function in tool_choice gives a call to exactly that function with JSON-object arguments.

    finish_reason may be "tool_calls" or "stop": OpenAI answers "stop" when one named function is forced.
    """
    forced = {"type": "function", "function": {"name": "get_weather"}}
    body = chat_body(ctx, "What is the weather in Rome?", tools=[WEATHER_TOOL], tool_choice=forced, max_tokens=64)
    for position, choice in enumerate(choices_of(ok_json(ctx.send(CHAT, json_body=body)))):
        _tool_calls(choice, f"choices[{position}]")
        reason = choice.get("finish_reason")
        expect(reason in ("tool_calls", "stop"), f"choices[{position}].finish_reason is {js(reason)}")


@check("chat", "json mode", CHAT)
def chat_json_object_mode(ctx: CheckContext) -> None:
    """response_format json_object gives message content that parses as a JSON object.

    An answer cut by max_tokens (finish_reason "length") cannot be judged and is skipped.
    """
    body = chat_body(
        ctx,
        'Reply with a JSON object {"greeting": "<one word>"} and nothing else.',
        response_format={"type": "json_object"},
        max_tokens=64,
    )
    for position, choice in enumerate(choices_of(ok_json(ctx.send(CHAT, json_body=body)))):
        if choice.get("finish_reason") == "length":
            raise Skipped("the JSON answer was cut by max_tokens")
        content: Any = (choice.get("message") or {}).get("content")
        expect(isinstance(content, str), f"choices[{position}].message.content is {js(content)}")
        try:
            parsed = json.loads(content)
        except ValueError:
            raise ContractViolation(f"choices[{position}] content is not JSON: {js(content[:80])}") from None
        expect(isinstance(parsed, dict), f"choices[{position}] content is JSON but not an object")
