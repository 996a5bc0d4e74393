"""What `aitre coverage` compares: the operations, the SDK types of their parts, and the field-path notation.

A field is a dotted path from the body root: `messages[].content[].image_url.url`, with `[]` for the
items of an array and `{*}` for the values of a map whose values have fields of their own. Both sides
(`sdk.py`, `spec.py`) write paths with `join`, so that their sets compare. To cover another operation,
add a row to `OPERATIONS`.
"""

from __future__ import annotations

from dataclasses import dataclass

# The parts of an operation whose fields are compared, in report order.
PARTS = ("parameters", "request", "response", "stream")


def join(prefix: str, name: str) -> str:
    """The path of field `name` under the field path `prefix` ("" for the body root)."""
    return f"{prefix}.{name}" if prefix else name


@dataclass(frozen=True)
class Operation:
    """One spec operation and the SDK types of its bodies, each named `module:Name`.

    A response type may take one type argument (`module:Page[module:Item]`). `parameters` names the
    SDK method whose arguments are path or query parameters (`module:Class.method`).
    """

    method: str
    path: str
    request: tuple[str, ...] = ()
    response: tuple[str, ...] = ()
    stream: tuple[str, ...] = ()
    parameters: str | None = None

    @property
    def name(self) -> str:
        return f"{self.method.upper()} {self.path}"


OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "post",
        "/v1/completions",
        request=(
            "openai.types.completion_create_params:CompletionCreateParamsNonStreaming",
            "openai.types.completion_create_params:CompletionCreateParamsStreaming",
        ),
        response=("openai.types:Completion",),
        stream=("openai.types:Completion",),
    ),
    Operation(
        "post",
        "/v1/chat/completions",
        request=(
            "openai.types.chat.completion_create_params:CompletionCreateParamsNonStreaming",
            "openai.types.chat.completion_create_params:CompletionCreateParamsStreaming",
        ),
        response=("openai.types.chat:ChatCompletion",),
        stream=("openai.types.chat:ChatCompletionChunk",),
    ),
    Operation(
        "post",
        "/v1/embeddings",
        request=("openai.types.embedding_create_params:EmbeddingCreateParams",),
        response=("openai.types:CreateEmbeddingResponse",),
    ),
    Operation(
        "post",
        "/v1/images/generations",
        request=(
            "openai.types.image_generate_params:ImageGenerateParamsNonStreaming",
            "openai.types.image_generate_params:ImageGenerateParamsStreaming",
        ),
        response=("openai.types:ImagesResponse",),
        stream=("openai.types:ImageGenPartialImageEvent", "openai.types:ImageGenCompletedEvent"),
    ),
    Operation(
        "post",
        "/v1/images/edits",
        request=(
            "openai.types.image_edit_params:ImageEditParamsNonStreaming",
            "openai.types.image_edit_params:ImageEditParamsStreaming",
        ),
        response=("openai.types:ImagesResponse",),
        stream=("openai.types:ImageEditPartialImageEvent", "openai.types:ImageEditCompletedEvent"),
    ),
    Operation(
        "post",
        "/v1/images/variations",
        request=("openai.types.image_create_variation_params:ImageCreateVariationParams",),
        response=("openai.types:ImagesResponse",),
    ),
    Operation(
        "post",
        "/v1/audio/speech",
        request=("openai.types.audio.speech_create_params:SpeechCreateParams",),
    ),
    Operation(
        "post",
        "/v1/audio/transcriptions",
        request=(
            "openai.types.audio.transcription_create_params:TranscriptionCreateParamsNonStreaming",
            "openai.types.audio.transcription_create_params:TranscriptionCreateParamsStreaming",
        ),
        response=(
            "openai.types.audio:Transcription",
            "openai.types.audio:TranscriptionVerbose",
            "openai.types.audio:TranscriptionDiarized",
        ),
        stream=(
            "openai.types.audio:TranscriptionTextDeltaEvent",
            "openai.types.audio:TranscriptionTextDoneEvent",
            "openai.types.audio:TranscriptionTextSegmentEvent",
        ),
    ),
    Operation(
        "post",
        "/v1/audio/translations",
        request=("openai.types.audio.translation_create_params:TranslationCreateParams",),
        response=("openai.types.audio:Translation", "openai.types.audio:TranslationVerbose"),
    ),
    Operation("get", "/v1/models", response=("openai.pagination:SyncPage[openai.types:Model]",)),
    Operation(
        "get",
        "/v1/models/{model}",
        response=("openai.types:Model",),
        parameters="openai.resources.models:Models.retrieve",
    ),
    Operation(
        "delete",
        "/v1/models/{model}",
        response=("openai.types:ModelDeleted",),
        parameters="openai.resources.models:Models.delete",
    ),
)
