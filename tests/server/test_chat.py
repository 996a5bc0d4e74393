"""POST /v1/chat/completions through the official SDK (every response is also validated against the spec)."""

from __future__ import annotations

import base64
import io
import json
import wave
from typing import Any

import httpx
import jsonschema
import openai
import pytest

MODEL = "gpt-4o-mini"
HELLO: list[Any] = [{"role": "user", "content": "Hello!"}]
WEATHER_PARAMETERS = {
    "type": "object",
    "properties": {
        "city": {"type": "string", "minLength": 2},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        "days": {"type": "integer", "minimum": 1, "maximum": 7},
        "hourly": {"type": "boolean"},
        "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 3},
    },
    "required": ["city", "unit"],
    "additionalProperties": False,
}
TOOLS: list[Any] = [
    {"type": "function", "function": {"name": "get_weather", "parameters": WEATHER_PARAMETERS}},
    {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object", "properties": {}}}},
]


def test_n_choices_and_usage(client: openai.OpenAI) -> None:
    result = client.chat.completions.create(model=MODEL, messages=HELLO, n=3)
    assert [choice.index for choice in result.choices] == [0, 1, 2]
    assert all(choice.message.role == "assistant" and choice.message.content for choice in result.choices)
    assert result.object == "chat.completion" and result.model == MODEL
    assert result.usage is not None
    assert result.usage.total_tokens == result.usage.prompt_tokens + result.usage.completion_tokens


def test_deterministic_content(client: openai.OpenAI) -> None:
    first = client.chat.completions.create(model=MODEL, messages=HELLO, n=2)
    second = client.chat.completions.create(model=MODEL, messages=HELLO, n=2)
    assert [c.message.content for c in first.choices] == [c.message.content for c in second.choices]
    other = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "Bye"}])
    assert other.choices[0].message.content != first.choices[0].message.content


def test_max_tokens_and_stop(client: openai.OpenAI) -> None:
    limited = client.chat.completions.create(model=MODEL, messages=HELLO, max_completion_tokens=4)
    assert limited.choices[0].finish_reason == "length"
    assert limited.usage is not None and limited.usage.completion_tokens == 4
    full = client.chat.completions.create(model=MODEL, messages=HELLO).choices[0].message.content or ""
    word = full.split()[3]
    stopped = client.chat.completions.create(model=MODEL, messages=HELLO, stop=[word, "zzz"]).choices[0]
    assert stopped.finish_reason == "stop" and word not in (stopped.message.content or "")
    assert full.startswith(stopped.message.content or "")


def test_logprobs_sizes(client: openai.OpenAI) -> None:
    result = client.chat.completions.create(model=MODEL, messages=HELLO, logprobs=True, top_logprobs=3,
                                            max_tokens=6)
    logprobs = result.choices[0].logprobs
    assert logprobs is not None and logprobs.content is not None and len(logprobs.content) == 6
    assert "".join(item.token for item in logprobs.content) == result.choices[0].message.content
    assert all(len(item.top_logprobs) == 3 and item.top_logprobs[0].token == item.token for item in logprobs.content)


def test_top_logprobs_needs_logprobs(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model=MODEL, messages=HELLO, top_logprobs=2)
    assert caught.value.body["param"] == "top_logprobs"  # type: ignore[index]


def test_required_tool_call_matches_the_parameters(client: openai.OpenAI) -> None:
    result = client.chat.completions.create(model="gpt-4o", messages=HELLO, tools=TOOLS, tool_choice="required", n=2,
                                            parallel_tool_calls=False)
    for choice in result.choices:
        assert choice.finish_reason == "tool_calls" and choice.message.content is None
        calls = choice.message.tool_calls or []
        assert len(calls) == 1 and calls[0].type == "function"
        jsonschema.validate(json.loads(calls[0].function.arguments), WEATHER_PARAMETERS)  # type: ignore[union-attr]
    ids = [choice.message.tool_calls[0].id for choice in result.choices]  # type: ignore[index]
    assert len(set(ids)) == 2


def test_parallel_tool_calls_call_every_tool_unless_false(client: openai.OpenAI) -> None:
    parallel = client.chat.completions.create(model=MODEL, messages=HELLO, tools=TOOLS, tool_choice="required")
    calls = parallel.choices[0].message.tool_calls or []
    assert [call.function.name for call in calls] == ["get_weather", "get_time"]  # type: ignore[union-attr]
    assert len({call.id for call in calls}) == 2 and parallel.choices[0].finish_reason == "tool_calls"
    jsonschema.validate(json.loads(calls[0].function.arguments), WEATHER_PARAMETERS)  # type: ignore[union-attr]
    single = client.chat.completions.create(model=MODEL, messages=HELLO, tools=TOOLS, parallel_tool_calls=False)
    assert len(single.choices[0].message.tool_calls or []) == 1


def test_forced_legacy_function_call(client: openai.OpenAI) -> None:
    functions: list[Any] = [{"name": "get_weather", "parameters": WEATHER_PARAMETERS}]
    result = client.chat.completions.create(model=MODEL, messages=HELLO, functions=functions,
                                            function_call={"name": "get_weather"})
    message = result.choices[0].message
    assert message.function_call is not None and message.function_call.name == "get_weather"
    assert message.tool_calls is None and result.choices[0].finish_reason == "stop"
    jsonschema.validate(json.loads(message.function_call.arguments), WEATHER_PARAMETERS)
    automatic = client.chat.completions.create(model=MODEL, messages=HELLO, functions=functions)
    assert automatic.choices[0].finish_reason == "function_call"


def test_named_function_finishes_with_stop(client: openai.OpenAI) -> None:
    result = client.chat.completions.create(
        model=MODEL, messages=HELLO, tools=TOOLS, tool_choice={"type": "function", "function": {"name": "get_time"}}
    )
    choice = result.choices[0]
    assert choice.finish_reason == "stop"
    assert choice.message.tool_calls and choice.message.tool_calls[0].function.name == "get_time"  # type: ignore[union-attr]


def test_auto_answers_a_tool_result_in_text(client: openai.OpenAI) -> None:
    messages: list[Any] = [
        *HELLO,
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "get_time", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "12:00"},
    ]
    result = client.chat.completions.create(model=MODEL, messages=messages, tools=TOOLS)
    assert result.choices[0].finish_reason == "stop" and result.choices[0].message.content


def test_unknown_named_tool_is_refused(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model=MODEL, messages=HELLO, tools=TOOLS,
                                       tool_choice={"type": "function", "function": {"name": "nope"}})


def test_custom_tool(client: openai.OpenAI) -> None:
    tools: list[Any] = [{"type": "custom", "custom": {"name": "shell"}}]
    result = client.chat.completions.create(model=MODEL, messages=HELLO, tools=tools, tool_choice="required")
    call = (result.choices[0].message.tool_calls or [])[0]
    assert call.type == "custom" and call.custom.name == "shell" and call.custom.input  # type: ignore[union-attr]


def test_json_modes(client: openai.OpenAI) -> None:
    as_object = client.chat.completions.create(model=MODEL, messages=HELLO, response_format={"type": "json_object"})
    assert isinstance(json.loads(as_object.choices[0].message.content or ""), dict)
    schema = {"type": "object", "properties": {"title": {"type": "string"}, "score": {"type": "number", "minimum": 0},
              "labels": {"type": "array", "items": {"enum": ["a", "b"]}}}, "required": ["title", "score", "labels"],
              "additionalProperties": False}
    structured = client.chat.completions.create(
        model=MODEL, messages=HELLO,
        response_format={"type": "json_schema", "json_schema": {"name": "review", "schema": schema, "strict": True}},
    )
    jsonschema.validate(json.loads(structured.choices[0].message.content or ""), schema)


def test_stream_framing(client: openai.OpenAI) -> None:
    plain = client.chat.completions.create(model=MODEL, messages=HELLO, n=2)
    chunks = list(client.chat.completions.create(model=MODEL, messages=HELLO, n=2, stream=True,
                                                 stream_options={"include_usage": True}))
    assert len({(chunk.id, chunk.created, chunk.model, chunk.object) for chunk in chunks}) == 1
    texts, roles, finishes = ["", ""], [[], []], [[], []]  # type: ignore[var-annotated]
    for chunk in chunks[:-1]:
        assert chunk.usage is None
        for choice in chunk.choices:
            if choice.delta.role:
                roles[choice.index].append(len(texts[choice.index]))
            texts[choice.index] += choice.delta.content or ""
            if choice.finish_reason:
                finishes[choice.index].append(choice.finish_reason)
    assert roles == [[0], [0]] and finishes == [["stop"], ["stop"]]
    assert texts == [choice.message.content for choice in plain.choices]
    assert chunks[-1].choices == [] and chunks[-1].usage == plain.usage


def test_stream_without_usage_has_none(client: openai.OpenAI) -> None:
    chunks = list(client.chat.completions.create(model=MODEL, messages=HELLO, stream=True))
    assert all(chunk.usage is None for chunk in chunks) and chunks[-1].choices[0].finish_reason == "stop"


def test_streamed_tool_call_arguments_form_json(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(model=MODEL, messages=HELLO, tools=TOOLS, tool_choice="required",
                                            stream=True)
    arguments: dict[int, str] = {}
    names, finish = [], None
    for chunk in stream:
        for choice in chunk.choices:
            for call in choice.delta.tool_calls or []:
                if call.function and call.function.name:
                    names.append((call.index, call.function.name))
                piece = (call.function.arguments or "") if call.function else ""
                arguments[call.index] = arguments.get(call.index, "") + piece
            finish = choice.finish_reason or finish
    assert names == [(0, "get_weather"), (1, "get_time")] and finish == "tool_calls"
    jsonschema.validate(json.loads(arguments[0]), WEATHER_PARAMETERS)
    assert isinstance(json.loads(arguments[1]), dict)


def test_audio_output_is_a_wav(client: openai.OpenAI) -> None:
    result = client.chat.completions.create(model="gpt-4o", messages=HELLO, modalities=["text", "audio"],
                                            audio={"voice": "alloy", "format": "wav"})
    audio = result.choices[0].message.audio
    assert audio is not None and audio.transcript
    with wave.open(io.BytesIO(base64.b64decode(audio.data))) as reader:
        assert reader.getnframes() > 0


def test_image_model_links_a_png(client: openai.OpenAI, http: httpx.Client) -> None:
    result = client.chat.completions.create(model="gpt-4o-image", messages=[{"role": "user", "content": [
        {"type": "text", "text": "create a war cat"},
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}]}])
    content = result.choices[0].message.content or ""
    url = content[content.index("(") + 1 : content.index(")")]
    picture = httpx.get(url)
    assert picture.status_code == 200 and picture.content.startswith(b"\x89PNG")


def test_unknown_model_is_404(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model="gpt-unknown", messages=HELLO)
    assert caught.value.code == "model_not_found"


def test_bad_message_names_the_field(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model=MODEL, messages=[{"role": "user"}])  # type: ignore[list-item]
    assert str(caught.value.body["param"]).startswith("messages[0]")  # type: ignore[index]


def test_extra_fields_of_other_types_are_ignored(http: httpx.Client) -> None:
    """A user message may carry fields its schema does not name (the format allows extras); a `tool_calls`
    that is not a list there must not break the prompt count (a fuzz found a 500 here)."""
    body = {"model": MODEL, "messages": [{"role": "user", "content": "Hi", "tool_calls": 5}]}
    answer = http.post("/v1/chat/completions", json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["usage"]["prompt_tokens"] > 0
