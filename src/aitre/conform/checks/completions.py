"""Legacy completions: shape, n x prompts choices in order, echo, logprobs sizes, limits, stop and usage."""

from __future__ import annotations

from typing import Any

from aitre.conform.checks._common import (
    COMPLETIONS,
    LONG_ANSWER_PROMPT,
    check_envelope,
    check_token_limit,
    check_usage,
    is_int,
    js,
    json_type,
    ok_json,
    skip_if_refused,
)
from aitre.conform.checks._observe import STEADY, judge_limit, judge_stop
from aitre.conform.context import CheckContext
from aitre.conform.failures import Skipped, expect
from aitre.conform.registry import check

COMPLETION_FINISH_REASONS = frozenset({"stop", "length", "content_filter"})


def completion_body(ctx: CheckContext, prompt: Any = "Say hello.", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"model": ctx.model("completions"), "prompt": prompt, "max_tokens": ctx.limits.max_tokens}
    body.update(extra)
    return body


def choices_of(body: dict[str, Any]) -> list[dict[str, Any]]:
    choices = body.get("choices")
    expect(isinstance(choices, list), f"choices is {json_type(choices)}, not an array")
    for position, choice in enumerate(choices):  # type: ignore[arg-type]  # expect() above checked it
        expect(isinstance(choice, dict), f"choices[{position}] is not an object")
        expect(isinstance(choice.get("text"), str), f"choices[{position}].text is {js(choice.get('text'))}")
    return choices  # type: ignore[return-value]  # expect() above checked the shape


def basic_completion(ctx: CheckContext) -> dict[str, Any]:
    return ok_json(ctx.send_shared("completions:basic", COMPLETIONS, json_body=completion_body(ctx)))


@check("completions", "shape", COMPLETIONS)
def completion_fields(ctx: CheckContext) -> None:
    """A completion has object "text_completion", a string id, integer `created`, a model, and choices with
    text, index and a finish_reason in stop/length/content_filter; logprobs is null when not requested.

    Extra fields are allowed.
    """
    body = basic_completion(ctx)
    check_envelope(body, "text_completion")
    choices = choices_of(body)
    expect(len(choices) == 1, f"{len(choices)} choices for one prompt without n")
    for position, choice in enumerate(choices):
        reason = choice.get("finish_reason")
        expect(reason in COMPLETION_FINISH_REASONS, f"choices[{position}].finish_reason is {js(reason)}")
        expect(choice.get("logprobs") is None, f"choices[{position}].logprobs is set although not requested")


@check("completions", "n choices", COMPLETIONS)
def completion_choices_are_n_per_prompt(ctx: CheckContext) -> None:
    """Two prompts with n=2 give 4 choices, `index` 0..3 in order (n per prompt, prompts in order).

    A model that cannot sample several choices may refuse n>1 with a 4xx (skipped).
    """
    n = ctx.limits.max_choices
    exchange = ctx.send(COMPLETIONS, json_body=completion_body(ctx, ["Say hello.", "Say bye."], n=n))
    skip_if_refused(exchange, f"n={n} with two prompts")
    choices = choices_of(ok_json(exchange))
    expect(len(choices) == 2 * n, f"{len(choices)} choices for 2 prompts x n={n}")
    for position, choice in enumerate(choices):
        expect(choice.get("index") == position, f"choices[{position}].index is {js(choice.get('index'))}")


@check("completions", "echo", COMPLETIONS)
def completion_echo_prefixes_prompt(ctx: CheckContext) -> None:
    """With echo=true every choice's text starts with its prompt.

    Some models refuse echo (4xx, skipped); what follows the prompt is the model's.
    """
    prompt = "The sky is"
    exchange = ctx.send(COMPLETIONS, json_body=completion_body(ctx, prompt, echo=True))
    skip_if_refused(exchange, "echo")
    for position, choice in enumerate(choices_of(ok_json(exchange))):
        text = choice["text"]
        expect(text.startswith(prompt), f"choices[{position}].text {js(text[:60])} does not start with the prompt")


@check("completions", "logprobs", COMPLETIONS)
def completion_logprobs_sizes(ctx: CheckContext) -> None:
    """With logprobs=2, each choice's tokens, token_logprobs and text_offset have one entry per token, and
    each top_logprobs entry has at most 3 alternatives (logprobs + 1).

    Models that do not expose logprobs may refuse with a 4xx (skipped).
    """
    exchange = ctx.send_shared("completions:logprobs", COMPLETIONS, json_body=completion_body(ctx, logprobs=2))
    skip_if_refused(exchange, "logprobs")
    for position, choice in enumerate(choices_of(ok_json(exchange))):
        logprobs: Any = choice.get("logprobs")
        expect(isinstance(logprobs, dict), f"choices[{position}].logprobs is {js(logprobs)} although requested")
        tokens = logprobs.get("tokens")
        expect(isinstance(tokens, list), f"choices[{position}].logprobs.tokens is not an array")
        expect(not choice["text"] or tokens, f"choices[{position}] has text but no tokens")
        for name in ("token_logprobs", "text_offset", "top_logprobs"):
            values = logprobs.get(name)
            if values is None:
                continue
            expect(
                isinstance(values, list) and len(values) == len(tokens),
                f"choices[{position}].logprobs.{name} has {js(len(values) if isinstance(values, list) else values)} "
                f"entries for {len(tokens)} tokens",
            )
        for token_position, top in enumerate(logprobs.get("top_logprobs") or []):
            expect(
                top is None or (isinstance(top, dict) and len(top) <= 3),
                f"choices[{position}].logprobs.top_logprobs[{token_position}] has {js(top)} (at most 3 expected)",
            )


def long_completion(ctx: CheckContext, limit: int | None = None) -> dict[str, Any]:
    """The long-answer prompt at the run's cap or at max_tokens=`limit`; each sent once per run."""
    extra = {**STEADY, **({"max_tokens": limit} if limit is not None else {})}
    body = completion_body(ctx, LONG_ANSWER_PROMPT, **extra)
    return ok_json(ctx.send_shared(f"completions:long:{limit}", COMPLETIONS, json_body=body))


def completion_tokens(body: dict[str, Any]) -> int | None:
    usage = body.get("usage")
    value = usage.get("completion_tokens") if isinstance(usage, dict) else None
    return value if is_int(value) else None


@check("completions", "max_tokens", COMPLETIONS)
def completion_max_tokens_respected(ctx: CheckContext) -> None:
    """completion_tokens never exceeds max_tokens, and finish_reason "length" only when it was reached.

    Whether the model stops early is model-dependent; only the two fields are compared.
    """
    limit = 3
    body = long_completion(ctx, limit)
    check_token_limit(body, choices_of(body)[0], limit)


@check("completions", "finish_reason", COMPLETIONS)
def completion_length_finish_reason(ctx: CheckContext) -> None:
    """A completion cut at max_tokens ends with finish_reason "length".

    Observed against the same prompt with a larger limit: when that answer fits in the small limit too,
    or no usage is reported, nothing is observable and the check is skipped.
    """
    limit = 3
    body = long_completion(ctx, limit)
    judge_limit(completion_tokens(long_completion(ctx)), limit, completion_tokens(body),
                choices_of(body)[0].get("finish_reason"), "choices[0]")


@check("completions", "stop", COMPLETIONS)
def completion_stop_sequence_honoured(ctx: CheckContext) -> None:
    """With `stop` set to a word the server writes without it, the text ends before that word and never
    contains it, and finish_reason is not "length".

    Observed first: the stop is a word of the answer to the same request without `stop`. When the answer
    with `stop` is neither that answer cut at the word nor contains the word (the model answered
    differently), `stop` is not observable and the check is skipped.
    """
    baseline = choices_of(long_completion(ctx))[0]["text"]

    def ask(stop: str) -> tuple[str, Any]:
        body = completion_body(ctx, LONG_ANSWER_PROMPT, stop=[stop], **STEADY)
        choice = choices_of(ok_json(ctx.send(COMPLETIONS, json_body=body)))[0]
        return choice["text"], choice.get("finish_reason")

    judge_stop(baseline, ask, "choices[0].text")


@check("completions", "logprobs", COMPLETIONS)
def completion_logprobs_count(ctx: CheckContext) -> None:
    """With logprobs=k, every top_logprobs entry holds k alternatives, or k+1 when the sampled token is not
    among the k most likely.

    Models that do not expose logprobs may refuse with a 4xx (skipped); a null entry (the first token of
    an echoed prompt) is allowed.
    """
    k = 2
    exchange = ctx.send_shared("completions:logprobs", COMPLETIONS, json_body=completion_body(ctx, logprobs=k))
    skip_if_refused(exchange, "logprobs")
    for position, choice in enumerate(choices_of(ok_json(exchange))):
        logprobs: Any = choice.get("logprobs")
        top: Any = logprobs.get("top_logprobs") if isinstance(logprobs, dict) else None
        expect(isinstance(top, list), f"choices[{position}].logprobs.top_logprobs is {js(top)} with logprobs={k}")
        expect(not choice["text"] or top, f"choices[{position}] has text but no top_logprobs")
        for token_position, entry in enumerate(top):
            size = len(entry) if isinstance(entry, dict) else None
            expect(entry is None or size in (k, k + 1),
                   f"choices[{position}].logprobs.top_logprobs[{token_position}] has {size} alternatives for "
                   f"logprobs={k} (expected {k} or {k + 1})")


@check("completions", "usage", COMPLETIONS)
def completion_usage_adds_up(ctx: CheckContext) -> None:
    """usage.total_tokens = prompt_tokens + completion_tokens, prompt_tokens > 0.

    `usage` is optional in the format: an answer without it is skipped.
    """
    usage = basic_completion(ctx).get("usage")
    if usage is None:
        raise Skipped("the answer carries no usage")
    check_usage(usage)
    expect(usage["prompt_tokens"] > 0, "usage.prompt_tokens is 0 for a non-empty prompt")
