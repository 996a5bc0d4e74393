"""POST /v1/chat/completions: n choices, limits and stop, logprobs, tools, JSON modes, audio, streaming."""

from __future__ import annotations

import base64
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from aitre.server import audiofile, chatstream, jsongen, png, sse, textgen
from aitre.server.chatchoice import ChatChoice, token_logprob
from aitre.server.chattools import ToolPlan, arguments_for, check_tool_fields, plan_tool_calls
from aitre.server.contract import Operation
from aitre.server.encoding import json_response
from aitre.server.errors import bad_request
from aitre.server.ids import new_id
from aitre.server.runtime import Handler, Runtime, now
from aitre.server.settings import ServerSettings

SYSTEM_FINGERPRINT = "fp_aitre_reference"
IMAGE_MODEL = "gpt-4o-image"
# Flat costs for non-text content parts in the toy token model.
IMAGE_PART_TOKENS = 85
OTHER_PART_TOKENS = 50


def check_semantics(settings: ServerSettings, body: dict[str, Any]) -> None:
    """Cross-field rules (also if/then rules in the spec, G8, where a schema can state them); 400 naming the field."""
    if body.get("top_logprobs") is not None and not body.get("logprobs"):
        raise bad_request("top_logprobs requires logprobs to be true.", param="top_logprobs")
    if body.get("stream_options") is not None and not body.get("stream"):
        raise bad_request("stream_options is only allowed when stream is true.", param="stream_options")
    if "audio" in (body.get("modalities") or []) and not body.get("audio"):
        raise bad_request("The audio modality needs the audio parameter (voice and format).", param="audio")
    check_tool_fields(body)


def _part_tokens(part: Any) -> int:
    if not isinstance(part, dict):
        return 0
    kind = part.get("type")
    if kind in ("text", "refusal"):
        return textgen.count_tokens(str(part.get(kind, "")))
    return IMAGE_PART_TOKENS if kind == "image_url" else OTHER_PART_TOKENS


def prompt_tokens(body: dict[str, Any]) -> int:
    """Toy prompt size: 3 per message plus its text (and name, tool calls); 3 to prime the reply; tools."""
    total = 3
    for message in body.get("messages", []):
        if not isinstance(message, dict):
            continue
        content = message.get("content")
        total += 3 + (textgen.count_tokens(content) if isinstance(content, str) else 0)
        if isinstance(content, list):
            total += sum(_part_tokens(part) for part in content)
        if isinstance(message.get("name"), str):
            total += 1
        calls = message.get("tool_calls")
        for call in calls if isinstance(calls, list) else []:  # other roles may carry any extra field
            total += textgen.count_tokens(json.dumps(call, ensure_ascii=False))
    for key in ("tools", "functions"):
        if body.get(key):
            total += textgen.count_tokens(json.dumps(body[key], ensure_ascii=False))
    return total


def _limit(body: dict[str, Any]) -> int | None:
    value = body.get("max_completion_tokens")
    return value if value is not None else body.get("max_tokens")


def _full_text(runtime: Runtime, request: Request, body: dict[str, Any], key: str,
               index: int) -> tuple[str, list[str] | None]:
    """The uncut text of one choice, and its tokens when they come for free (plain text)."""
    response_format = body.get("response_format") or {}
    kind = response_format.get("type")
    if kind == "json_schema":
        schema = (response_format.get("json_schema") or {}).get("schema") or {"type": "object"}
        return json.dumps(jsongen.conforming_instance(schema, textgen.rng_for(key, index)), ensure_ascii=False), None
    seed_bytes = textgen.entropy(key, index)
    if kind == "json_object":
        answer = textgen.sentences(seed_bytes, 8, 30, leading_space=False)
        return json.dumps({"answer": answer, "choice": index}), None
    tokens = textgen.sentence_tokens(seed_bytes, 8, 40, leading_space=False)
    text = "".join(tokens)
    if body["model"] == IMAGE_MODEL:
        # The image model answers through chat with a Markdown link to a picture this server hosts.
        url = runtime.store_image(request, new_id("img_") + ".png", png.render(f"{key}|{index}", 256, 256))
        return f"![image]({url})\n\n{text}", None
    return text, tokens


def _tool_choice(plans: list[ToolPlan], key: str, index: int, limit: int | None) -> ChatChoice:
    """One choice calling every planned tool; `limit` bounds the argument tokens of all calls together."""
    finish = plans[0].finish_reason
    calls: list[dict[str, Any]] = []
    arguments_used = tokens = 0
    for position, plan in enumerate(plans):
        budget = None if limit is None else limit - arguments_used
        if budget is not None and budget <= 0:
            finish = textgen.LENGTH_REASON
            break
        cut = textgen.cut(arguments_for(plan, key, index, position), budget, ())
        arguments_used += len(cut.tokens)
        tokens += textgen.count_tokens(plan.name) + len(cut.tokens)
        if plan.kind == "legacy_function":
            function_call = {"name": plan.name, "arguments": cut.text}
            finish = plan.finish_reason if cut.finish_reason == textgen.STOP_REASON else textgen.LENGTH_REASON
            return ChatChoice(index, None, finish, function_call=function_call, completion_tokens=tokens)
        if plan.kind == "custom":
            calls.append({"id": new_id("call_"), "type": "custom", "custom": {"name": plan.name, "input": cut.text}})
        else:
            calls.append({"id": new_id("call_"), "type": "function",
                          "function": {"name": plan.name, "arguments": cut.text}})
        if cut.finish_reason != textgen.STOP_REASON:
            finish = textgen.LENGTH_REASON
            break
    return ChatChoice(index, None, finish, tool_calls=calls, completion_tokens=tokens)


def _audio(body: dict[str, Any], text: str) -> dict[str, Any]:
    fmt = str((body.get("audio") or {}).get("format", "wav"))
    data = audiofile.encode(textgen.tokenize(text), fmt)
    return {"id": new_id("audio_"), "data": base64.b64encode(data).decode(), "expires_at": now() + 3600,
            "transcript": text}


def build_choices(runtime: Runtime, request: Request, body: dict[str, Any]) -> list[ChatChoice]:
    key = textgen.request_key(body, runtime.settings.seed)
    plans = plan_tool_calls(body)
    limit = _limit(body)
    stop = textgen.stop_list(body.get("stop"))
    top = body.get("top_logprobs") or 0
    choices: list[ChatChoice] = []
    for index in range(body.get("n") or 1):
        if plans:
            choices.append(_tool_choice(plans, key, index, limit))
            continue
        full, full_tokens = _full_text(runtime, request, body, key, index)
        generated = textgen.cut(full, limit, stop, full_tokens)
        tokens = generated.tokens
        logprobs = textgen.logprobs_for(tokens, key, index, max(top - 1, 0)) if body.get("logprobs") else None
        if "audio" in (body.get("modalities") or []):
            choices.append(ChatChoice(index, None, generated.finish_reason, audio=_audio(body, generated.text),
                                      completion_tokens=len(tokens), audio_tokens=len(tokens)))
            continue
        choices.append(ChatChoice(index, generated.text, generated.finish_reason, logprobs=logprobs,
                                  completion_tokens=len(tokens), content_tokens=tokens))
    return choices


def usage(choices: list[ChatChoice], prompt: int) -> dict[str, Any]:
    completion = sum(choice.completion_tokens for choice in choices)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": sum(choice.audio_tokens for choice in choices),
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _message(choice: ChatChoice) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": choice.content, "refusal": None, "annotations": []}
    if choice.tool_calls is not None:
        message["tool_calls"] = choice.tool_calls
    if choice.function_call is not None:
        message["function_call"] = choice.function_call
    if choice.audio is not None:
        message["audio"] = choice.audio
    return message


def _choice_object(choice: ChatChoice, top: int) -> dict[str, Any]:
    logprobs = None
    if choice.logprobs is not None:
        logprobs = {"content": [token_logprob(item, top) for item in choice.logprobs], "refusal": None}
    return {"index": choice.index, "message": _message(choice), "finish_reason": choice.finish_reason,
            "logprobs": logprobs}


async def create_chat_completion(runtime: Runtime, request: Request, op: Operation) -> Response:
    body = await runtime.json_body(request, op)
    model = runtime.check_model("chat", body["model"], "/v1/chat/completions (use /v1/completions)")
    check_semantics(runtime.settings, body)
    choices = build_choices(runtime, request, body)
    head = {
        "id": new_id("chatcmpl-"),
        "object": "chat.completion",
        "created": now(),
        "model": model,
        "system_fingerprint": SYSTEM_FINGERPRINT,
        "service_tier": "default",
    }
    totals = usage(choices, prompt_tokens(body))
    top = body.get("top_logprobs") or 0
    if body.get("stream"):
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        events = chatstream.events(choices, {**head, "object": "chat.completion.chunk"}, top,
                                   totals if include_usage else None)
        return sse.stream(events)
    return json_response({**head, "choices": [_choice_object(choice, top) for choice in choices], "usage": totals})


HANDLERS: dict[str, Handler] = {"createChatCompletion": create_chat_completion}
SEMANTIC_CHECKS = {"createChatCompletion": check_semantics}
