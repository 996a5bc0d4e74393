"""Chat completions options beyond the basics: parallel tool calls, the deprecated functions, spoken output."""

from __future__ import annotations

import json
from typing import Any

from aitre.conform.checks._common import (
    CHAT,
    WEATHER_TOOL,
    base64_field,
    chat_body,
    check_created,
    check_id,
    js,
    json_type,
    ok_json,
    skip_if_refused,
)
from aitre.conform.checks._observe import STEADY
from aitre.conform.checks.chat import choices_of
from aitre.conform.context import CheckContext
from aitre.conform.failures import ContractViolation, Skipped, expect, warn_unless
from aitre.conform.registry import check

TIME_TOOL = {
    "type": "function",
    "function": {
        "name": "get_local_time",
        "description": "The current local time in a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}
# Two independent questions, one per tool: a model allowed parallel calls answers both in one turn.
TWO_TOOLS_PROMPT = "Use the tools to find both the current weather and the local time in Paris."


def _call_count(choice: dict[str, Any], where: str) -> int:
    calls = (choice.get("message") or {}).get("tool_calls")
    if calls is None:
        return 0
    expect(isinstance(calls, list), f"{where}.message.tool_calls is {json_type(calls)}, not an array")
    return len(calls)


@check("chat", "tool calls", CHAT)
def chat_parallel_tool_calls_false(ctx: CheckContext) -> None:
    """With parallel_tool_calls=false every choice has at most one tool call.

    Observed first: the same request that invites two calls (two tools, two questions) is sent without the
    parameter. When no choice there has two calls, `false` is not observable and the check is skipped,
    unless the answer with `false` itself has two calls. A model that refuses the parameter (reasoning
    models do) with a 4xx is skipped; how many calls a model makes when allowed is its own choice.
    """
    def ask(**extra: Any) -> Any:
        body = chat_body(ctx, TWO_TOOLS_PROMPT, tools=[WEATHER_TOOL, TIME_TOOL], tool_choice="required",
                         max_tokens=96, **STEADY, **extra)
        return ctx.send(CHAT, json_body=body)

    baseline = choices_of(ok_json(ask()))
    most = max((_call_count(choice, f"choices[{position}]") for position, choice in enumerate(baseline)), default=0)
    exchange = ask(parallel_tool_calls=False)
    skip_if_refused(exchange, "parallel_tool_calls")
    for position, choice in enumerate(choices_of(ok_json(exchange))):
        count = _call_count(choice, f"choices[{position}]")
        expect(count <= 1, f"choices[{position}] has {count} tool calls although parallel_tool_calls is false")
    if most < 2:
        raise Skipped(f"not observable: without parallel_tool_calls the server made at most {most} call per choice")


@check("chat", "functions", CHAT)
def chat_forced_function_call(ctx: CheckContext) -> None:
    """The deprecated `functions` with `function_call: {"name": ...}` give message.function_call naming that
    function, with `arguments` a JSON-object string, and finish_reason "function_call" or "stop".

    OpenAI ends a forced call with "stop" (as for a named tool_choice), so both are accepted. Answering with
    `tool_calls` instead of `function_call` is a violation: a client of the deprecated API reads only
    `function_call`. The fields are deprecated, so a model that refuses them with a 4xx is skipped; an
    answer cut by max_tokens cannot be judged and is skipped too.
    """
    body = chat_body(ctx, "What is the weather in Rome?", functions=[WEATHER_TOOL["function"]],
                     function_call={"name": "get_weather"}, max_tokens=64)
    exchange = ctx.send(CHAT, json_body=body)
    skip_if_refused(exchange, "functions")
    for position, choice in enumerate(choices_of(ok_json(exchange))):
        where = f"choices[{position}]"
        reason = choice.get("finish_reason")
        if reason == "length":
            raise Skipped("the function call was cut by max_tokens")
        message = choice.get("message") or {}
        call: Any = message.get("function_call")
        if call is None and message.get("tool_calls"):
            raise ContractViolation(f"{where} answers the deprecated function_call with tool_calls; a client of "
                                    "`functions` reads message.function_call and finds none")
        expect(isinstance(call, dict), f"{where}.message.function_call is {json_type(call)}, not an object")
        expect(call.get("name") == "get_weather", f"{where}.message.function_call.name is {js(call.get('name'))}")
        arguments: Any = call.get("arguments")
        expect(isinstance(arguments, str),
               f"{where}.message.function_call.arguments is {json_type(arguments)}, not a JSON string")
        try:
            parsed = json.loads(arguments)
        except ValueError:
            raise ContractViolation(
                f"{where}.message.function_call.arguments is not JSON: {js(arguments[:80])}") from None
        expect(isinstance(parsed, dict), f"{where}.message.function_call.arguments is JSON but not an object")
        expect(reason in ("function_call", "stop"),
               f"{where}.finish_reason is {js(reason)} for a forced function call (expected 'function_call' or 'stop')")


def _audio_chat(ctx: CheckContext, **extra: Any) -> Any:
    return ctx.send(CHAT, json_body=chat_body(ctx, "Say hello.", **{"model": ctx.model("chat_audio"), **extra}))


@check("chat", "audio output", CHAT)
def chat_audio_output(ctx: CheckContext) -> None:
    """With modalities ["text", "audio"] and audio {voice, format: "wav"}, every choice has message.audio
    with a non-empty string id, base64 `data` that decodes to a WAV file (RIFF/WAVE), integer Unix-second
    `expires_at` and a string transcript.

    Runs on the run's audio chat model (role `chat_audio`); a model that refuses audio output with a 4xx is
    skipped. `content` may be null (the words are in the transcript). An `expires_at` not after `created`
    is a warning: the id cannot be sent back, but the audio itself is usable.
    """
    exchange = _audio_chat(ctx, modalities=["text", "audio"], audio={"voice": "alloy", "format": "wav"})
    skip_if_refused(exchange, "audio output")
    body = ok_json(exchange)
    for position, choice in enumerate(choices_of(body)):
        where = f"choices[{position}].message.audio"
        audio: Any = (choice.get("message") or {}).get("audio")
        expect(isinstance(audio, dict), f"{where} is {json_type(audio)}, although audio output was asked for")
        check_id(audio.get("id"), f"{where}.id")
        data = base64_field(audio.get("data"), f"{where}.data")
        expect(data.startswith(b"RIFF") and data[8:12] == b"WAVE",
               f"{where}.data is not a WAV file (starts {js(data[:12])}) although format wav was asked for")
        check_created(audio.get("expires_at"), f"{where}.expires_at")
        transcript = audio.get("transcript")
        expect(isinstance(transcript, str), f"{where}.transcript is {json_type(transcript)}, not a string")
        created = body.get("created")
        if isinstance(created, int):
            warn_unless(audio["expires_at"] > created,
                        f"{where}.expires_at {audio['expires_at']} is not after created {created}")


@check("chat", "audio output", CHAT)
def chat_audio_only_when_asked(ctx: CheckContext) -> None:
    """Without the audio modality, an audio chat model answers in text: `content` is a string (or the
    answer is a refusal), not null beside a message.audio.

    Runs on the run's audio chat model (role `chat_audio`). A message.audio sent beside the text although
    none was asked for breaks no client reading `content`, so it is a warning; a model that refuses
    text-only output with a 4xx is skipped.
    """
    exchange = _audio_chat(ctx)
    skip_if_refused(exchange, "text-only output")
    for position, choice in enumerate(choices_of(ok_json(exchange))):
        message = choice.get("message") or {}
        content = message.get("content")
        expect(isinstance(content, str) or message.get("refusal"),
               f"choices[{position}].message.content is {json_type(content)} for a request without the audio "
               "modality (a client reading content gets no answer)")
        warn_unless(message.get("audio") is None,
                    f"choices[{position}].message.audio is set although modalities did not ask for audio")
