"""Every documented request parameter that can change the answer, and what verifies it.

One row per top-level request-body property and operation parameter of generated/openapi.json (a test
compares the two, so a parameter added to the spec without a row fails CI). A row is one of:

- `checked(name, ...)`: the registered checks that verify what the parameter does;
- `reason(text)`: why it is not checkable from outside (sampling, best-effort determinism, bookkeeping);
- `todo(text)`: checkable, but no check is written yet (counted in reports, so the gap stays visible).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    checks: tuple[str, ...] = ()
    reason: str = ""
    todo: bool = False


def checked(*names: str) -> Row:
    return Row(checks=names)


def reason(text: str) -> Row:
    return Row(reason=text)


def todo(text: str) -> Row:
    return Row(reason=text, todo=True)


SAMPLING = reason("shifts the sampling distribution; no single answer shows it, and text is the model's")
SEED = reason("determinism for a seed is best effort in the format, not promised")
USER = reason("an end-user id for abuse monitoring; changes nothing in the answer")
TOKENIZER = reason("token ids are tokenizer-specific; a bias cannot be aimed without the model's tokenizer")
MODEL_CHOICE = reason("selects the model the run already chose; unknown models are checked on chat and retrieve")
CACHE = reason("a caching hint: cost and usage.*_details.cached_tokens only, which usage checks bound")
MODEL_HINT = reason("a quality or effort hint whose effect is the model's (length, look, reasoning spent)")
STORAGE = reason("kept with the task or completion for the owner's bookkeeping; not part of this answer")
IMAGE_MODEL_ONLY = reason("a GPT-image/preview option whose effect is in the pixels, judged by no rule of the format")
HOOK = reason("a callback URL the relay calls later; nothing in the synchronous answer shows it")
BOT = reason("which Discord bot renders the task; the result is the bot's picture")

PARAMETERS: dict[str, dict[str, Row]] = {
    "POST /v1/completions": {
        "best_of": reason("candidates are ranked server-side and only n return (n is checked); the ranking is hidden"),
        "echo": checked("completion_echo_prefixes_prompt"),
        "frequency_penalty": SAMPLING,
        "logit_bias": TOKENIZER,
        "logprobs": checked("completion_logprobs_sizes", "completion_logprobs_count"),
        "max_tokens": checked("completion_max_tokens_respected", "completion_length_finish_reason"),
        "model": MODEL_CHOICE,
        "n": checked("completion_choices_are_n_per_prompt"),
        "presence_penalty": SAMPLING,
        "prompt": checked("completion_choices_are_n_per_prompt", "completion_echo_prefixes_prompt"),
        "seed": SEED,
        "stop": checked("completion_stop_sequence_honoured"),
        "stream": checked("completion_stream_valid"),
        "stream_options": checked("completion_stream_usage_only_when_requested"),
        "suffix": reason("insertion models only; the text after the insertion point is not returned"),
        "temperature": SAMPLING,
        "top_p": SAMPLING,
        "user": USER,
    },
    "POST /v1/chat/completions": {
        "audio": checked("chat_audio_output"),
        "frequency_penalty": SAMPLING,
        "function_call": checked("chat_forced_function_call"),
        "functions": checked("chat_forced_function_call"),
        "logit_bias": TOKENIZER,
        "logprobs": checked("chat_logprobs_sizes"),
        "max_completion_tokens": checked("chat_max_completion_tokens_respected"),
        "max_tokens": checked("chat_max_tokens_respected", "chat_length_finish_reason"),
        "messages": checked("missing_required_field_is_4xx", "wrong_types_are_4xx"),
        "metadata": STORAGE,
        "modalities": checked("chat_audio_output", "chat_audio_only_when_asked"),
        "model": checked("unknown_model_is_404"),
        "moderation": reason("the relay's content filter strength; what it blocks is policy, not format"),
        "n": checked("chat_n_choices_in_order"),
        "parallel_tool_calls": checked("chat_parallel_tool_calls_false"),
        "prediction": reason("predicted output only speeds generation; the content is the model's either way"),
        "presence_penalty": SAMPLING,
        "prompt_cache_key": CACHE,
        "prompt_cache_options": CACHE,
        "prompt_cache_retention": CACHE,
        "reasoning_effort": MODEL_HINT,
        "response_format": checked("chat_json_object_mode"),
        "safety_identifier": USER,
        "seed": SEED,
        "service_tier": reason("a processing tier granted by account and load; the answer may report another"),
        "stop": checked("chat_stop_sequence_honoured"),
        "store": STORAGE,
        "stream": checked("stream_sse_framing", "stream_chunks_consistent", "stream_one_finish_reason_per_choice"),
        "stream_options": checked("stream_usage_only_when_requested", "stream_include_usage_final_chunk"),
        "temperature": SAMPLING,
        "tool_choice": checked("chat_tool_choice_required", "chat_named_tool_choice"),
        "tools": checked("chat_tool_choice_required", "stream_tool_call_arguments_json"),
        "top_logprobs": checked("chat_logprobs_sizes"),
        "top_p": SAMPLING,
        "user": USER,
        "verbosity": MODEL_HINT,
        "web_search_options": reason("search-enabled models only; the annotations found are the model's"),
    },
    "POST /v1/embeddings": {
        "dimensions": checked("embedding_dimensions_honoured"),
        "encoding_format": checked("embedding_float_by_default", "embedding_base64_decodes"),
        "input": checked("embedding_count_and_index", "wrong_types_are_4xx"),
        "model": MODEL_CHOICE,
        "user": USER,
    },
    "GET /v1/models": {},
    "GET /v1/models/{model}": {"model": checked("model_retrieve_matches_list", "unknown_model_retrieve_is_404")},
    "DELETE /v1/models/{model}": {"model": checked("model_delete_unknown_is_404")},
    "POST /v1/images/generations": {
        "background": IMAGE_MODEL_ONLY,
        "complexity": MODEL_HINT,
        "frame_count": checked("image_gif_frame_count"),
        "frame_duration_ms": IMAGE_MODEL_ONLY,
        "model": MODEL_CHOICE,
        "moderation": reason("the content filter strength; what it blocks is policy, not format"),
        "n": checked("image_count_matches_n"),
        "output_compression": IMAGE_MODEL_ONLY,
        "output_format": checked("image_output_format_honoured", "image_gif_frame_count"),
        "partial_images": checked("image_stream_partial_images_bounded"),
        "prompt": reason("what the picture shows is the model's"),
        "quality": MODEL_HINT,
        "response_format": checked("image_url_format", "image_b64_decodes"),
        "safety_identifier": USER,
        "size": checked("image_size_honoured"),
        "stream": checked("image_stream_events"),
        "style": MODEL_HINT,
        "svg": IMAGE_MODEL_ONLY,
        "user": USER,
    },
    "POST /v1/images/edits": {
        "background": IMAGE_MODEL_ONLY,
        "complexity": MODEL_HINT,
        "frame_count": checked("image_edit_gif_frame_count"),
        "frame_duration_ms": IMAGE_MODEL_ONLY,
        "image": checked("image_edit_returns_images", "image_edit_requires_image"),
        "input_fidelity": MODEL_HINT,
        "markup": IMAGE_MODEL_ONLY,
        "mask": reason("which pixels may change is the model's to honour; nothing in the format compares them"),
        "model": MODEL_CHOICE,
        "n": checked("image_edit_n_and_url"),
        "output_compression": IMAGE_MODEL_ONLY,
        "output_format": checked("image_edit_output_format_honoured", "image_edit_gif_frame_count"),
        "partial_images": checked("image_edit_stream_partial_images_bounded"),
        "prompt": reason("what the edited picture shows is the model's"),
        "quality": MODEL_HINT,
        "response_format": checked("image_edit_returns_images", "image_edit_n_and_url"),
        "safety_identifier": USER,
        "size": checked("image_edit_size_honoured"),
        "stream": checked("image_edit_stream_events"),
        "svg": IMAGE_MODEL_ONLY,
        "user": USER,
    },
    "POST /v1/images/variations": {
        "image": checked("image_variation_returns_images", "image_variation_requires_image"),
        "model": MODEL_CHOICE,
        "n": checked("image_variation_n_and_url"),
        "response_format": checked("image_variation_returns_images", "image_variation_n_and_url"),
        "size": checked("image_variation_size_honoured"),
        "user": USER,
    },
    "POST /v1/audio/speech": {
        "input": checked("speech_body_is_audio"),
        "instructions": MODEL_HINT,
        "model": MODEL_CHOICE,
        "response_format": checked("speech_content_type_per_format", "speech_body_is_audio"),
        "speed": reason("playback speed changes the audio's duration by the model's measure, not a promised ratio"),
        "stream_format": checked("speech_sse_stream_events", "speech_stream_format_audio_is_bytes"),
        "voice": reason("who speaks is heard, not checked by any rule of the format"),
    },
    "POST /v1/audio/transcriptions": {
        "chunking_strategy": MODEL_HINT,
        "file": checked("transcription_json_has_text"),
        "include": checked("transcription_include_logprobs"),
        "keywords": MODEL_HINT,
        "known_speaker_names": MODEL_HINT,
        "known_speaker_references": MODEL_HINT,
        "language": reason("improves recognition; verbose_json reports the detected language, the model's call"),
        "languages": MODEL_HINT,
        "model": MODEL_CHOICE,
        "prompt": MODEL_HINT,
        "response_format": checked("transcription_json_has_text", "transcription_text_is_plain",
                                   "transcription_srt_structure", "transcription_vtt_structure",
                                   "transcription_verbose_json_segments"),
        "stream": checked("transcription_stream_events"),
        "temperature": SAMPLING,
        "timestamp_granularities": checked("transcription_timestamp_granularities"),
    },
    "POST /v1/audio/translations": {
        "file": checked("translation_json_has_text"),
        "model": MODEL_CHOICE,
        "prompt": MODEL_HINT,
        "response_format": checked("translation_json_has_text", "translation_text_formats"),
        "temperature": SAMPLING,
    },
    "POST /mj/submit/imagine": {
        "base64Array": checked("mj_imagine_with_reference_pictures"),
        "botType": BOT,
        "notifyHook": HOOK,
        "prompt": checked("mj_submit_answer_shape", "mj_task_reaches_terminal_state"),
        "state": checked("mj_state_returned_unchanged"),
    },
    "POST /mj/submit/action": {
        "chooseSameChannel": reason("which Discord channel runs the task; invisible in the answer"),
        "customId": checked("mj_button_action_starts_new_task", "mj_modal_continues_waiting_task"),
        "notifyHook": HOOK,
        "state": checked("mj_state_returned_unchanged"),
        "taskId": checked("mj_button_action_starts_new_task"),
    },
    "POST /mj/submit/blend": {
        "base64Array": checked("mj_blend_lifecycle", "mj_blend_picture_count_bounded"),
        "botType": BOT,
        "dimensions": checked("mj_blend_dimensions_honoured"),
        "notifyHook": HOOK,
        "state": checked("mj_blend_lifecycle"),
    },
    "POST /mj/submit/describe": {"base64": checked("mj_describe_lifecycle"), "botType": BOT, "notifyHook": HOOK,
                                 "state": checked("mj_describe_lifecycle")},
    "POST /mj/submit/modal": {
        "maskBase64": checked("mj_modal_continues_waiting_task"),
        "notifyHook": HOOK,
        "prompt": checked("mj_modal_continues_waiting_task"),
        "state": checked("mj_modal_continues_waiting_task"),
        "taskId": checked("mj_modal_continues_waiting_task"),
    },
    "POST /mj/submit/shorten": {"botType": BOT, "notifyHook": HOOK, "prompt": checked("mj_shorten_lifecycle"),
                                "state": checked("mj_shorten_lifecycle")},
    "POST /mj/submit/change": {name: checked("mj_change_lifecycle") for name in
                               ("action", "index", "state", "taskId")} | {"notifyHook": HOOK},
    "POST /mj/submit/simple-change": {name: checked("mj_simple_change_starts_new_task") for name in
                                      ("content", "state")} | {"notifyHook": HOOK},
    "POST /mj/submit/upload-discord-images": {"base64Array": checked("mj_upload_one_link_per_picture")},
    "GET /mj/task/{id}/fetch": {"id": checked("mj_task_reaches_terminal_state", "mj_unknown_task_is_404")},
    "POST /mj/task/list-by-condition": {"ids": checked("mj_list_by_condition_returns_requested")},
    "GET /mj/task/{id}/image-seed": {"id": checked("mj_image_seed_of_finished_task")},
}
