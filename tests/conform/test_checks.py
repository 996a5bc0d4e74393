"""Every check passes on the reference server and catches a server broken in exactly its rule."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest

from aitre.conform.registry import load_checks
from aitre.conform.results import Outcome
from aitre.conform.samples import tiny_png
from aitre.server import imagecodecs
from tests.conform.conftest import run_checks
from tests.conform.servers import Breakable, Breaker, Req, edit_events, edit_json, replace_answer

CHAT, COMPLETIONS, EMBEDDINGS = "/v1/chat/completions", "/v1/completions", "/v1/embeddings"
ERROR = json.dumps({"error": {"message": "nope", "type": "invalid_request_error", "param": None, "code": None}})


def _status(old: int, new: int) -> Callable[[Req, int], bool]:
    return lambda request, status: status == old


def _choices(edit: Callable[[list[dict[str, Any]]], None]) -> Callable[[Req, Any], Any]:
    def apply(request: Req, body: Any) -> Any:
        edit(body["choices"])
        return body
    return apply


def _when(test: Callable[[Any], bool], edit: Callable[[Any], None]) -> Callable[[Req, Any], Any]:
    def apply(request: Req, body: Any) -> Any:
        if test(request.json or {}):
            edit(body)
        return body
    return apply


def _set(path: list[Any], value: Any) -> Callable[[Any], None]:
    def apply(body: Any) -> None:
        target = body
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value
    return apply


def _chunks(edit: Callable[[Req, list[dict[str, Any]]], None], when: Callable[[Any], bool] = lambda r: True
            ) -> Callable[[Req, list[str]], list[str]]:
    def apply(request: Req, events: list[str]) -> list[str]:
        if not when(request.json or {}):
            return events
        chunks = [json.loads(e) for e in events if e != "[DONE]"]
        edit(request, chunks)
        return [json.dumps(c) for c in chunks] + ["[DONE]"]
    return apply


def _b64_floats(body: Any) -> None:
    for item in body["data"]:
        item["embedding"] = base64.b64encode(b"\0" * 4 * len(item["embedding"])).decode()


def _shorten_b64(body: Any) -> None:
    for item in body["data"]:
        item["embedding"] = base64.b64encode(base64.b64decode(item["embedding"])[:-4]).decode()


def _mj_fetch_status(request: Req, body: Any) -> Any:
    body["status"] = "RUNNING"
    return body


def _mj_task(edit: Callable[[dict[str, Any]], None]) -> Breaker:
    """A breaker that edits fetched MidJourney tasks (not the image-seed envelope on the same prefix)."""
    def apply(request: Req, body: Any) -> Any:
        if isinstance(body, dict) and "status" in body:
            edit(body)
        return body
    return edit_json("GET", "/mj/task/*", apply)


def _when_action(kind: str, **fields: Any) -> Callable[[dict[str, Any]], None]:
    """Overwrite `fields` of every successful task whose action is `kind`."""
    def apply(task: dict[str, Any]) -> None:
        if task.get("action") == kind and task.get("status") == "SUCCESS":
            task.update(fields)
    return apply


MJ_ACCEPTED = json.dumps({"code": 1, "description": "ok", "result": "1719252589390291", "properties": {}}).encode()


def _add_usage_everywhere(request: Req, chunks: list[dict[str, Any]]) -> None:
    for chunk in chunks:
        chunk["usage"] = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}


def _break_tool_arguments(request: Req, chunks: list[dict[str, Any]]) -> None:
    for chunk in reversed(chunks):
        for choice in chunk["choices"]:
            for call in choice["delta"].get("tool_calls") or []:
                call.setdefault("function", {})["arguments"] = call["function"].get("arguments", "") + "}"
                return


def _bad_segment(request: Req, body: Any) -> Any:
    if request.form("response_format") == "verbose_json":
        body["segments"] = [{"id": 0, "seek": 0, "start": 2.0, "end": 1.0, "text": "x", "tokens": [],
                             "temperature": 0.0, "avg_logprob": 0.0, "compression_ratio": 1.0, "no_speech_prob": 0.0}]
    return body


def _through_stop(request: Req, body: Any) -> Any:
    """The answer of a server that ignores `stop`: the text goes on past the stop sequence."""
    stop = (request.json or {}).get("stop")
    if stop:
        sequence = stop if isinstance(stop, str) else stop[0]
        choice = body["choices"][0]
        if "message" in choice:
            choice["message"]["content"] = (choice["message"]["content"] or "") + sequence + " and more"
        else:
            choice["text"] += sequence + " and more"
    return body


def _png_instead(request: Req, body: Any) -> Any:
    """Every picture replaced by an 8x8 PNG: decodable, but of neither the asked size nor format."""
    for item in body.get("data") or []:
        if "b64_json" in item:
            item["b64_json"] = base64.b64encode(tiny_png()).decode()
    return body


def _asked(field: str, values: tuple[str, ...]) -> Callable[[Req], bool]:
    """Whether the request (JSON or multipart) sets `field` to one of `values`."""
    def test(request: Req) -> bool:
        value = (request.json or {}).get(field) if request.json is not None else request.form(field)
        return str(value).lower() in values
    return test


def _pictures(test: Callable[[Req], bool], edit: Callable[[Req, Any], Any]) -> Callable[[Req, Any], Any]:
    return lambda request, body: edit(request, body) if test(request) else body


def _two_frame_gif(request: Req, body: Any) -> Any:
    for item in body.get("data") or []:
        item["b64_json"] = base64.b64encode(imagecodecs.gif("x", 16, 16, frames=2)).decode()
    return body


def edit_typed_events(path: str, edit: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]) -> Breaker:
    """A breaker that rewrites the JSON events of an image stream (with their `event:` names) via `edit`."""

    def transform(request: Req, status: int, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str],
                                                                                          bytes]:
        if not headers.get("content-type", "").startswith("text/event-stream"):
            return status, headers, body
        payloads = [json.loads(line.removeprefix("data: ")) for block in body.decode().split("\n\n")
                    for line in block.split("\n") if line.startswith("data: {")]
        text = "".join(f"event: {p['type']}\ndata: {json.dumps(p)}\n\n" for p in edit(payloads))
        return status, headers, text.encode()

    return Breaker("POST", path, transform)


def _twice(kind: str) -> Callable[[list[dict[str, Any]]], list[dict[str, Any]]]:
    """The stream with every event whose type ends with `kind` sent twice."""
    return lambda events: [copy for event in events for copy in ([event] * (2 if event["type"].endswith(kind)
                                                                            else 1))]


def _one_more_partial(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    partials = [event for event in events if event["type"].endswith("partial_image")]
    extra = {**partials[-1], "partial_image_index": len(partials)}
    return [*partials, extra, *[event for event in events if not event["type"].endswith("partial_image")]]


def _without(kind: str) -> Callable[[Req, list[str]], list[str]]:
    return lambda request, events: [event for event in events if f'"{kind}"' not in event]


def _doubled(kind: str) -> Callable[[Req, list[str]], list[str]]:
    return lambda request, events: [copy for event in events for copy in [event] * (2 if f'"{kind}"' in event
                                                                                    else 1)]


# check name -> breakers that violate exactly that check's rule.
BREAKS: dict[str, list[Breaker]] = {
    # auth
    "missing_key_is_401": [replace_answer("GET", "/v1/models", status=403, when=_status(401, 403))],
    "missing_key_is_401_on_post": [replace_answer("POST", CHAT, status=400, when=_status(401, 400))],
    "wrong_key_is_401": [replace_answer("GET", "/v1/models", status=403, when=_status(401, 403))],
    "malformed_authorization_is_401": [
        replace_answer("GET", "/v1/models", status=200, when=lambda r, s: r.headers.get("authorization", "")
                       .startswith("Basic"))],
    "wrong_key_is_401_on_post": [replace_answer("POST", CHAT, status=500, when=_status(401, 500))],
    "key_never_echoed": [Breaker("GET", "/v1/models", lambda r, s, h, b: (s, {**h, "x-seen": r.headers.get(
        "authorization", "")}, b))],
    # errors
    "every_4xx_has_error_object": [replace_answer("POST", CHAT, body=b'{"detail": "bad request"}',
                                                  when=_status(400, 400))],
    "malformed_json_is_400": [replace_answer("POST", CHAT, status=500, when=lambda r, s: r.json is None)],
    "missing_required_field_is_4xx": [replace_answer("POST", CHAT, status=500,
                                                     when=lambda r, s: isinstance(r.json, dict)
                                                     and "messages" not in r.json)],
    "out_of_range_values_are_4xx": [replace_answer("POST", CHAT, status=200,
                                                   when=lambda r, s: (r.json or {}).get("temperature") == 5)],
    "wrong_types_are_4xx": [replace_answer("POST", CHAT, status=502,
                                           when=lambda r, s: isinstance((r.json or {}).get("messages"), str))],
    "unknown_model_is_404": [replace_answer("POST", CHAT, status=400, when=_status(404, 400))],
    "unknown_route_is_404": [replace_answer("GET", "/v1/aitre-no-such-route-*", status=200)],
    # models
    # The list keeps gpt-4o-mini, but chat refuses it as unknown (a relay's stale or wildcard entry).
    "listed_models_are_served": [replace_answer(
        "POST", CHAT, status=404, body=json.dumps({"error": {
            "message": "no such model", "type": "invalid_request_error", "param": "model",
            "code": "model_not_found"}}).encode(),
        when=lambda r, s: (r.json or {}).get("model") == "gpt-4o-mini")],
    "model_list_is_well_formed": [edit_json("GET", "/v1/models", lambda r, b: {**b, "data": [
        {**b["data"][0], "object": "Model"}, *b["data"][1:]]})],
    "model_retrieve_matches_list": [edit_json("GET", "/v1/models/*", lambda r, b: {**b, "created": b["created"] + 1})],
    "unknown_model_retrieve_is_404": [replace_answer("GET", "/v1/models/*", status=200, when=_status(404, 200))],
    "model_delete_unknown_is_404": [replace_answer("DELETE", "/v1/models/*", status=200, body=b'{"deleted": false}',
                                                   when=_status(404, 200))],
    # protocol
    "stream_with_event_stream_accept": [replace_answer("POST", CHAT, status=406, body=ERROR.encode(), when=lambda r, s:
                                                       r.headers.get("accept") == "text/event-stream")],
    "wrong_content_type_is_4xx": [replace_answer("POST", CHAT, status=500, when=lambda r, s: r.headers.get(
        "content-type") == "text/plain")],
    "awkward_text_survives": [edit_json("POST", COMPLETIONS, _when(lambda q: q.get("echo"), lambda b: [
        c.update(text=c["text"].encode("ascii", "replace").decode()) for c in b["choices"]]))],
    "mj_mode_prefixes_route_alike": [edit_json("POST", "/mj-turbo/mj/submit/imagine", lambda r, b: {
        **b, "result": "not-" + str(b.get("result"))})],
    # chat
    "chat_completion_fields": [edit_json("POST", CHAT, lambda r, b: {**b, "created": str(b["created"])})],
    "chat_n_choices_in_order": [edit_json("POST", CHAT, _choices(lambda cs: [c.update(index=len(cs) - 1 - i)
                                                                              for i, c in enumerate(cs)]))],
    "chat_max_tokens_respected": [edit_json("POST", CHAT, _when(lambda q: q.get("max_tokens") == 3,
                                                                _set(["usage", "completion_tokens"], 7)))],
    # A server that ignores `stop` writes on through the stop word.
    "chat_stop_sequence_honoured": [edit_json("POST", CHAT, _through_stop)],
    "chat_max_completion_tokens_respected": [edit_json("POST", CHAT, _when(
        lambda q: "max_completion_tokens" in q, lambda b: b["choices"][0].update(finish_reason="stop")))],
    "chat_length_finish_reason": [edit_json("POST", CHAT, _when(lambda q: q.get("max_tokens") == 3, lambda b: b[
        "choices"][0].update(finish_reason="stop")))],
    "chat_logprobs_sizes": [edit_json("POST", CHAT, _when(lambda q: q.get("logprobs"), lambda b: [
        t.update(top_logprobs=t["top_logprobs"] * 3) for t in b["choices"][0]["logprobs"]["content"]]))],
    "chat_usage_adds_up": [edit_json("POST", CHAT, lambda r, b: {**b, "usage": {**b["usage"], "total_tokens": 1}})],
    "chat_tool_choice_required": [edit_json("POST", CHAT, _when(lambda q: q.get("tool_choice") == "required",
                                                                lambda b: b["choices"][0]["message"]["tool_calls"][0][
                                                                    "function"].update(arguments="{city: Paris")))],
    "chat_named_tool_choice": [edit_json("POST", CHAT, _when(lambda q: isinstance(q.get("tool_choice"), dict),
                                                             lambda b: b["choices"][0]["message"].update(
                                                                 tool_calls=None, content="Sunny")))],
    "chat_json_object_mode": [edit_json("POST", CHAT, _when(lambda q: "response_format" in q, lambda b: b["choices"][
        0]["message"].update(content='Sure! {"greeting": "hi"}')))],
    # A server that ignores parallel_tool_calls=false keeps calling every tool.
    "chat_parallel_tool_calls_false": [edit_json("POST", CHAT, _when(
        lambda q: q.get("parallel_tool_calls") is False,
        lambda b: b["choices"][0]["message"].update(tool_calls=b["choices"][0]["message"]["tool_calls"] * 2)))],
    # A relay that translates the deprecated functions into tools and passes the answer back unchanged.
    "chat_forced_function_call": [edit_json("POST", CHAT, _when(lambda q: "function_call" in q, lambda b: b["choices"][
        0]["message"].update(function_call=None, tool_calls=[{"id": "call_1", "type": "function", "function": b[
            "choices"][0]["message"]["function_call"]}])))],
    # Audio data in another format than the one asked for (raw bytes without the WAV header).
    "chat_audio_output": [edit_json("POST", CHAT, _when(lambda q: "modalities" in q, lambda b: b["choices"][0][
        "message"]["audio"].update(data=base64.b64encode(b"\0" * 64).decode())))],
    # A model that always speaks: the text moves to an unasked-for transcript.
    "chat_audio_only_when_asked": [edit_json("POST", CHAT, _when(
        lambda q: "audio" in q.get("model", "") and "modalities" not in q, lambda b: b["choices"][0]["message"].update(
            content=None, audio={"id": "audio_1", "data": "", "expires_at": 2000000000,
                                 "transcript": b["choices"][0]["message"]["content"]})))],
    # completions
    "completion_fields": [edit_json("POST", COMPLETIONS, lambda r, b: {**b, "object": "completion"})],
    "completion_choices_are_n_per_prompt": [edit_json("POST", COMPLETIONS, _choices(lambda cs: cs.pop()))],
    "completion_echo_prefixes_prompt": [edit_json("POST", COMPLETIONS, _when(lambda q: q.get("echo"), lambda b: b[
        "choices"][0].update(text=" blue")))],
    "completion_logprobs_sizes": [edit_json("POST", COMPLETIONS, _when(lambda q: q.get("logprobs"), lambda b: b[
        "choices"][0]["logprobs"]["tokens"].append("extra")))],
    "completion_max_tokens_respected": [edit_json("POST", COMPLETIONS, _when(lambda q: q.get("max_tokens") == 3,
                                                                            _set(["usage", "completion_tokens"], 9)))],
    "completion_stop_sequence_honoured": [edit_json("POST", COMPLETIONS, _through_stop)],
    "completion_length_finish_reason": [edit_json("POST", COMPLETIONS, _when(lambda q: q.get("max_tokens") == 3,
                                                                             lambda b: b["choices"][0].update(
                                                                                 finish_reason="stop")))],
    "completion_logprobs_count": [edit_json("POST", COMPLETIONS, _when(lambda q: q.get("logprobs"), lambda b: b[
        "choices"][0]["logprobs"].update(top_logprobs=[dict(list((e or {}).items())[:1]) for e in b["choices"][0][
            "logprobs"]["top_logprobs"]])))],
    "completion_usage_adds_up": [edit_json("POST", COMPLETIONS, lambda r, b: {**b, "usage": {**b["usage"],
                                                                                            "prompt_tokens": 0}})],
    # streaming
    "stream_sse_framing": [edit_events("POST", CHAT, lambda r, events: events[:-1])],
    "stream_chunks_consistent": [edit_events("POST", CHAT, _chunks(lambda r, cs: cs[-1].update(id="other-id")))],
    "stream_role_in_first_delta": [edit_events("POST", CHAT, _chunks(lambda r, cs: cs[0]["choices"][0][
        "delta"].pop("role", None)))],
    "stream_one_finish_reason_per_choice": [edit_events("POST", CHAT, _chunks(lambda r, cs: [
        c.update(finish_reason="stop") for chunk in cs for c in chunk["choices"]]))],
    "stream_usage_only_when_requested": [edit_events("POST", CHAT, _chunks(_add_usage_everywhere,
                                                                           lambda q: "stream_options" not in q))],
    "stream_include_usage_final_chunk": [edit_events("POST", CHAT, _chunks(_add_usage_everywhere,
                                                                           lambda q: "stream_options" in q))],
    "stream_tool_call_arguments_json": [edit_events("POST", CHAT, _chunks(_break_tool_arguments,
                                                                          lambda q: "tools" in q))],
    "completion_stream_valid": [edit_events("POST", COMPLETIONS, _chunks(lambda r, cs: [
        c.update(finish_reason="length") for chunk in cs for c in chunk["choices"]]))],
    "completion_stream_usage_only_when_requested": [edit_events("POST", COMPLETIONS, _chunks(
        _add_usage_everywhere, lambda q: "stream_options" not in q))],
    # embeddings
    "embedding_count_and_index": [edit_json("POST", EMBEDDINGS, lambda r, b: {**b, "data": b["data"][:-1]})],
    "embedding_float_by_default": [edit_json("POST", EMBEDDINGS, _when(lambda q: "encoding_format" not in q,
                                                                       _b64_floats))],
    "embedding_dimensions_honoured": [edit_json("POST", EMBEDDINGS, _when(lambda q: "dimensions" in q, lambda b: [
        item["embedding"].append(0.5) for item in b["data"]]))],
    "embedding_base64_decodes": [edit_json("POST", EMBEDDINGS, _when(lambda q: q.get("encoding_format") == "base64",
                                                                     _shorten_b64))],
    "embedding_usage_adds_up": [edit_json("POST", EMBEDDINGS, lambda r, b: {**b, "usage": {**b["usage"],
                                                                                          "total_tokens": 99}})],
    # images
    "image_count_matches_n": [edit_json("POST", "/v1/images/generations", lambda r, b: {**b, "data": b["data"][:1]})],
    "image_url_format": [edit_json("POST", "/v1/images/generations", _when(
        lambda q: q.get("response_format") == "url", lambda b: [i.update(url="/files/x.png") for i in b["data"]]))],
    "image_b64_decodes": [edit_json("POST", "/v1/images/generations", _when(
        lambda q: q.get("response_format") == "b64_json",
        lambda b: [i.update(b64_json=base64.b64encode(b"not an image").decode()) for i in b["data"]]))],
    "image_edit_returns_images": [edit_json("POST", "/v1/images/edits", lambda r, b: {**b, "data": []})],
    "image_edit_requires_image": [replace_answer("POST", "/v1/images/edits", status=500, when=_status(400, 500))],
    "image_variation_returns_images": [edit_json("POST", "/v1/images/variations", lambda r, b: {**b, "data": [
        {"b64_json": "@@@"}]})],
    "image_edit_n_and_url": [edit_json("POST", "/v1/images/edits", lambda r, b: {**b, "data": b["data"][:1]}
                                       if r.form("n") == "2" else b)],
    "image_variation_n_and_url": [edit_json("POST", "/v1/images/variations", lambda r, b: {**b, "data": [
        {**item, "url": "/files/relative.png"} for item in b["data"]]} if r.form("response_format") == "url" else b)],
    "image_variation_requires_image": [replace_answer("POST", "/v1/images/variations", status=200, body=b'{}',
                                                      when=_status(400, 200))],
    "image_size_honoured": [edit_json("POST", "/v1/images/generations", _pictures(
        _asked("response_format", ("b64_json",)), _png_instead))],
    "image_edit_size_honoured": [edit_json("POST", "/v1/images/edits", _pictures(
        _asked("size", ("256x256",)), _png_instead))],
    "image_variation_size_honoured": [edit_json("POST", "/v1/images/variations", _png_instead)],
    "image_output_format_honoured": [edit_json("POST", "/v1/images/generations", _pictures(
        _asked("output_format", ("webp",)), _png_instead))],
    "image_edit_output_format_honoured": [edit_json("POST", "/v1/images/edits", _pictures(
        _asked("output_format", ("webp",)), _png_instead))],
    "image_gif_frame_count": [edit_json("POST", "/v1/images/generations", _pictures(
        _asked("output_format", ("gif",)), _two_frame_gif))],
    "image_edit_gif_frame_count": [edit_json("POST", "/v1/images/edits", _pictures(
        _asked("output_format", ("gif",)), _two_frame_gif))],
    "image_stream_events": [edit_typed_events("/v1/images/generations", _twice("completed"))],
    "image_edit_stream_events": [edit_typed_events("/v1/images/edits", lambda events: [
        event for event in events if not event["type"].endswith("completed")])],
    "image_stream_partial_images_bounded": [edit_typed_events("/v1/images/generations", _one_more_partial)],
    "image_edit_stream_partial_images_bounded": [edit_typed_events("/v1/images/edits", _twice("partial_image"))],
    # audio
    "speech_content_type_per_format": [replace_answer("POST", "/v1/audio/speech", content_type="text/plain")],
    "speech_body_is_audio": [replace_answer("POST", "/v1/audio/speech", body=b'{"audio": "AAAA"}')],
    "transcription_json_has_text": [edit_json("POST", "/v1/audio/transcriptions", lambda r, b: {"transcript": ""})],
    "transcription_text_is_plain": [replace_answer("POST", "/v1/audio/transcriptions", content_type="application/json",
                                                   when=lambda r, s: r.form("response_format") == "text")],
    "transcription_srt_structure": [replace_answer("POST", "/v1/audio/transcriptions",
                                                   body=b"1\n00:00:00.000 -> 00:00:01.000\nhi\n",
                                                   when=lambda r, s: r.form("response_format") == "srt")],
    "transcription_vtt_structure": [replace_answer("POST", "/v1/audio/transcriptions",
                                                   body=b"00:00.000 --> 00:01.000\n",
                                                   when=lambda r, s: r.form("response_format") == "vtt")],
    "transcription_verbose_json_segments": [edit_json("POST", "/v1/audio/transcriptions", _bad_segment)],
    "speech_sse_stream_events": [edit_events("POST", "/v1/audio/speech", _without("speech.audio.done"))],
    "speech_stream_format_audio_is_bytes": [replace_answer(
        "POST", "/v1/audio/speech", content_type="text/event-stream", body=b'data: {"type": "speech.audio.done"}\n\n',
        when=lambda r, s: (r.json or {}).get("stream_format") == "audio")],
    "transcription_stream_events": [edit_events("POST", "/v1/audio/transcriptions", _doubled("transcript.text.done"))],
    "transcription_include_logprobs": [edit_json("POST", "/v1/audio/transcriptions", lambda r, b: {
        k: v for k, v in b.items() if k != "logprobs"})],
    "transcription_timestamp_granularities": [edit_json("POST", "/v1/audio/transcriptions", lambda r, b: {
        k: v for k, v in b.items() if k != "words"})],
    "translation_text_formats": [replace_answer("POST", "/v1/audio/translations", body=b"00:00.000 --> 00:01.000\n",
                                                when=lambda r, s: r.form("response_format") == "vtt")],
    "translation_json_has_text": [edit_json("POST", "/v1/audio/translations", lambda r, b: {"translation": ""})],
    # midjourney
    "mj_submit_answer_shape": [edit_json("POST", "/mj/submit/imagine", lambda r, b: {**b, "code": "1"})],
    "mj_task_reaches_terminal_state": [edit_json("GET", "/mj/task/*", _mj_fetch_status)],
    "mj_button_action_starts_new_task": [edit_json("POST", "/mj/submit/action", lambda r, b: {
        **b, "result": r.json["taskId"]})],
    "mj_list_by_condition_returns_requested": [edit_json("POST", "/mj/task/list-by-condition", lambda r, b: [])],
    "mj_unknown_task_is_404": [replace_answer("GET", "/mj/task/*", status=200, body=b"", when=_status(404, 200))],
    "mj_secret_header_accepted": [replace_answer("POST", "/mj/task/list-by-condition", status=500, body=ERROR.encode(),
                                                 when=lambda r, s: "authorization" not in r.headers)],
    "mj_image_seed_of_finished_task": [edit_json("GET", "/mj/task/*", lambda r, b: {**b, "result": ""}
                                                 if "code" in b else b)],
    "mj_blend_lifecycle": [_mj_task(_when_action("BLEND", action="IMAGINE"))],
    "mj_blend_dimensions_honoured": [replace_answer("GET", "/files/images/*", body=tiny_png(8))],
    "mj_blend_picture_count_bounded": [replace_answer("POST", "/mj/submit/blend", status=200, body=MJ_ACCEPTED,
                                                      when=_status(400, 200))],
    "mj_describe_lifecycle": [_mj_task(_when_action("DESCRIBE", prompt="", promptEn=""))],
    "mj_shorten_lifecycle": [_mj_task(_when_action("SHORTEN", action="DESCRIBE"))],
    "mj_change_lifecycle": [edit_json("POST", "/mj/submit/change", lambda r, b: {**b, "result": r.json["taskId"]})],
    "mj_simple_change_starts_new_task": [edit_json("POST", "/mj/submit/simple-change", lambda r, b: {
        **b, "result": r.json["content"].split()[0]})],
    "mj_modal_continues_waiting_task": [edit_json("POST", "/mj/submit/modal", lambda r, b: {
        **b, "result": "9" + r.json["taskId"]})],
    "mj_upload_one_link_per_picture": [edit_json("POST", "/mj/submit/upload-discord-images", lambda r, b: {
        **b, "result": b["result"][:1]})],
    "mj_imagine_with_reference_pictures": [replace_answer("POST", "/mj/submit/imagine", status=500, body=ERROR.encode(),
                                                          when=lambda r, s: "base64Array" in (r.json or {}))],
    "mj_state_returned_unchanged": [_mj_task(lambda task: task.update(state=str(task.get("state") or "").upper()))],
}


# Final checks read what the rest of the run saw, so they need a companion that provokes it.
COMPANIONS: dict[str, list[str]] = {"every_4xx_has_error_object": ["missing_required_field_is_4xx"]}


def test_every_check_has_a_breaking_case() -> None:
    assert sorted(BREAKS) == sorted(load_checks())


def test_every_check_passes_on_the_reference_server(broken: tuple[Breakable, str]) -> None:
    _, url = broken
    report = run_checks(url)
    failed = {r.name: [f.message for f in r.failures] for r in report.results if r.outcome is not Outcome.PASS}
    assert failed == {}


def test_every_check_states_its_rule_and_latitude() -> None:
    for spec in load_checks().values():
        assert spec.rule and spec.latitude, spec.name


@pytest.mark.parametrize("name", sorted(BREAKS))
def test_check_catches_its_broken_server(name: str, broken: tuple[Breakable, str]) -> None:
    app, url = broken
    app.breakers = BREAKS[name]
    report = run_checks(url, [*COMPANIONS.get(name, []), name])
    result = next(result for result in report.results if result.name == name)
    assert result.outcome is Outcome.FAIL, (result.outcome, result.reason)
    assert result.failures and result.failures[0].message
    # Every finding carries its evidence: the request, an excerpt of the answer and a curl to repeat it.
    for failure in result.failures:
        assert failure.request and failure.curl and failure.response_excerpt is not None, failure


def test_error_shape_check_with_no_4xx_to_judge_is_skipped_not_passed(broken: tuple[Breakable, str]) -> None:
    _, url = broken
    report = run_checks(url, ["every_4xx_has_error_object"])
    result = next(result for result in report.results if result.name == "every_4xx_has_error_object")
    assert result.outcome is Outcome.SKIPPED and "no 4xx" in result.reason
