"""Field coverage: which fields of the installed openai SDK the spec lacks, and the reverse.

A field is a dotted path from the body root: `messages[].content[].image_url.url`, with `[]` for the
items of an array and `{*}` for the values of a map whose values have fields of their own. The
variants of a union are merged, so a name at one path counts once however many variants carry it.

The SDK side comes from the request TypedDicts and the response pydantic models named in
`OPERATIONS`; the spec side from the bundled document (request bodies, 2xx JSON bodies, and the
`contentSchema` of each `text/event-stream` event). To cover another operation, add a row.
"""

from __future__ import annotations

import argparse
import collections.abc
import importlib
import inspect
import re
import sys
import types
import typing
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typing_extensions
from pydantic import BaseModel

from aitre import paths

# Fields of an SDK method that are client options, not parameters of the API.
CLIENT_OPTIONS = frozenset({"self", "extra_headers", "extra_query", "extra_body", "timeout"})
PARTS = ("parameters", "request", "response", "stream")

_WRAPPERS = {
    typing.Required,
    typing.NotRequired,
    typing_extensions.Required,
    typing_extensions.NotRequired,
    typing_extensions.ReadOnly,
}
_TYPE_NAME = re.compile(r"^(?P<module>[\w.]+):(?P<name>[\w.]+)(?:\[(?P<arg>.+)\])?$")


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


@dataclass(frozen=True)
class PartCoverage:
    """The fields of one part of an operation (request, response, ...) on both sides."""

    part: str
    sdk: frozenset[str]
    spec: frozenset[str]

    @property
    def missing(self) -> list[str]:
        """SDK fields the spec lacks."""
        return sorted(self.sdk - self.spec)

    @property
    def extra(self) -> list[str]:
        """Spec fields the SDK lacks."""
        return sorted(self.spec - self.sdk)


@dataclass(frozen=True)
class OperationCoverage:
    """Coverage of one operation; `in_spec` is false when the spec has no such operation."""

    operation: Operation
    in_spec: bool
    parts: tuple[PartCoverage, ...]

    @property
    def sdk_fields(self) -> int:
        return sum(len(part.sdk) for part in self.parts)

    @property
    def covered(self) -> int:
        return sum(len(part.sdk & part.spec) for part in self.parts)

    @property
    def percent(self) -> float:
        return 100.0 * self.covered / self.sdk_fields if self.sdk_fields else 100.0

    @property
    def complete(self) -> bool:
        return self.in_spec and self.covered == self.sdk_fields


# -- the SDK side ------------------------------------------------------------------------------


def resolve_type(spec: str) -> Any:
    """The SDK type named `module:Name` or `module:Name[module:Arg]`."""
    match = _TYPE_NAME.match(spec.strip())
    if match is None:
        raise ValueError(f"not a type name: {spec!r}")
    value: Any = importlib.import_module(match["module"])
    for attribute in match["name"].split("."):
        value = getattr(value, attribute)
    return value[resolve_type(match["arg"])] if match["arg"] else value


def sdk_fields(type_names: Iterable[str]) -> frozenset[str]:
    """Every field path of the named TypedDicts or pydantic models, merged."""
    found: set[str] = set()
    for name in type_names:
        _walk_type(resolve_type(name), "", found, ())
    return frozenset(found)


def sdk_parameters(method: str | None) -> frozenset[str]:
    """The API parameters of an SDK method (`module:Class.method`), without client options."""
    if method is None:
        return frozenset()
    signature = inspect.signature(resolve_type(method))
    return frozenset(name for name in signature.parameters if name not in CLIENT_OPTIONS)


def _walk_type(tp: Any, prefix: str, found: set[str], stack: tuple[type, ...]) -> None:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Annotated or origin in _WRAPPERS:
        _walk_type(args[0], prefix, found, stack)
    elif origin is typing.Union or origin is types.UnionType:
        for arg in args:
            _walk_type(arg, prefix, found, stack)
    elif isinstance(origin, type) and issubclass(origin, collections.abc.Mapping):
        if len(args) == 2:
            _walk_type(args[1], prefix + "{*}", found, stack)
    elif isinstance(origin, type) and issubclass(origin, collections.abc.Iterable) and origin not in (str, bytes):
        for arg in args:
            if arg is not Ellipsis:
                _walk_type(arg, prefix + "[]", found, stack)
    elif isinstance(tp, type) and tp not in stack:
        for name, hint in _members(tp):
            path = _join(prefix, name)
            found.add(path)
            _walk_type(hint, path, found, (*stack, tp))


def _members(tp: type) -> Iterator[tuple[str, Any]]:
    """(wire name, type) of each field of a TypedDict or pydantic model; nothing for other types."""
    if typing_extensions.is_typeddict(tp):
        for key, hint in typing.get_type_hints(tp, include_extras=True).items():
            yield _alias(hint) or key, hint
    elif issubclass(tp, BaseModel):
        for key, field in tp.model_fields.items():
            yield field.alias or key, field.annotation


def _alias(hint: Any) -> str | None:
    """The wire name an `Annotated[..., PropertyInfo(alias=...)]` key is renamed to, if any."""
    while typing.get_origin(hint) in _WRAPPERS:
        hint = typing.get_args(hint)[0]
    for meta in getattr(hint, "__metadata__", ()):
        alias = getattr(meta, "alias", None)
        if isinstance(alias, str):
            return alias
    return None


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


# -- the spec side -----------------------------------------------------------------------------


def schema_fields(document: dict[str, Any], schema: Any) -> frozenset[str]:
    """Every field path of `schema`, following `$ref`s into `document`."""
    found: set[str] = set()
    _walk_schema(document, schema, "", found, ())
    return frozenset(found)


def _walk_schema(document: dict[str, Any], schema: Any, prefix: str, found: set[str], stack: tuple[str, ...]) -> None:
    if not isinstance(schema, dict):
        return
    ref = schema.get("$ref")
    if isinstance(ref, str):
        if ref in stack:
            return
        _walk_schema(document, _resolve(document, ref), prefix, found, (*stack, ref))
    for name, sub in (schema.get("properties") or {}).items():
        path = _join(prefix, name)
        found.add(path)
        _walk_schema(document, sub, path, found, stack)
    if isinstance(schema.get("items"), dict):
        _walk_schema(document, schema["items"], prefix + "[]", found, stack)
    if isinstance(schema.get("additionalProperties"), dict):
        _walk_schema(document, schema["additionalProperties"], prefix + "{*}", found, stack)
    for key in ("oneOf", "anyOf", "allOf"):
        for sub in schema.get(key) or []:
            _walk_schema(document, sub, prefix, found, stack)


def _content_schemas(document: dict[str, Any], schema: Any, stack: tuple[str, ...] = ()) -> Iterator[Any]:
    """The `contentSchema` of each event payload of a server-sent event schema."""
    if not isinstance(schema, dict):
        return
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref not in stack:
        yield from _content_schemas(document, _resolve(document, ref), (*stack, ref))
    if "contentSchema" in schema:
        yield schema["contentSchema"]
    for sub in (schema.get("properties") or {}).values():
        yield from _content_schemas(document, sub, stack)
    for key in ("oneOf", "anyOf", "allOf"):
        for sub in schema.get(key) or []:
            yield from _content_schemas(document, sub, stack)


def _resolve(document: dict[str, Any], ref: str) -> Any:
    value: Any = document
    for token in ref.removeprefix("#/").split("/"):
        value = value.get(token.replace("~1", "/").replace("~0", "~")) if isinstance(value, dict) else None
    return value


def _find_operation(document: dict[str, Any], operation: Operation) -> dict[str, Any] | None:
    item = (document.get("paths") or {}).get(operation.path)
    found = item.get(operation.method) if isinstance(item, dict) else None
    return found if isinstance(found, dict) else None


def spec_parts(document: dict[str, Any], operation: dict[str, Any], path_item: dict[str, Any]) -> dict[str, set[str]]:
    """The field paths of one spec operation, keyed by part."""
    parts: dict[str, set[str]] = {part: set() for part in PARTS}
    for parameter in [*(path_item.get("parameters") or []), *(operation.get("parameters") or [])]:
        parameter = _resolve(document, parameter["$ref"]) if "$ref" in parameter else parameter
        if isinstance(parameter, dict) and parameter.get("in") in ("path", "query"):
            parts["parameters"].add(parameter["name"])
    for media in ((operation.get("requestBody") or {}).get("content") or {}).values():
        parts["request"] |= schema_fields(document, media.get("schema"))
    for status, response in (operation.get("responses") or {}).items():
        if not str(status).startswith("2"):
            continue
        response = _resolve(document, response["$ref"]) if "$ref" in response else response
        for media_name, media in (response.get("content") or {}).items():
            if media_name == "text/event-stream":
                for payload in _content_schemas(document, media.get("schema")):
                    parts["stream"] |= schema_fields(document, payload)
            else:
                parts["response"] |= schema_fields(document, media.get("schema"))
    return parts


# -- putting both together ---------------------------------------------------------------------


def coverage_of(document: dict[str, Any], operations: Iterable[Operation] = OPERATIONS) -> list[OperationCoverage]:
    """Coverage of each operation in a bundled spec document."""
    results = []
    for operation in operations:
        sdk = {
            "parameters": sdk_parameters(operation.parameters),
            "request": sdk_fields(operation.request),
            "response": sdk_fields(operation.response),
            "stream": sdk_fields(operation.stream),
        }
        found = _find_operation(document, operation)
        spec = spec_parts(document, found, document["paths"][operation.path]) if found else {}
        parts = tuple(
            PartCoverage(part, frozenset(sdk[part]), frozenset(spec.get(part, ())))
            for part in PARTS
            if sdk[part] or spec.get(part)
        )
        results.append(OperationCoverage(operation, found is not None, parts))
    return results


def check_coverage(
    spec_root: Path = paths.SPEC_ROOT, operations: Iterable[Operation] = OPERATIONS
) -> list[OperationCoverage]:
    """Bundle the split spec at `spec_root` and compute the coverage of each operation."""
    from aitre.spec.bundle import bundle_spec

    return coverage_of(bundle_spec(spec_root).document, operations)


def render(results: list[OperationCoverage], *, details: bool = True) -> str:
    """The report: per operation the fields missing on either side, then a summary table."""
    lines: list[str] = []
    if details:
        for result in results:
            lines.append(result.operation.name + ("" if result.in_spec else "  (not in the spec)"))
            for part in result.parts:
                lines.append(f"  {part.part}: {len(part.sdk)} SDK fields, {len(part.sdk & part.spec)} in the spec")
                lines += [f"    missing from spec: {name}" for name in part.missing]
                lines += [f"    not in SDK:        {name}" for name in part.extra]
        lines.append("")
    width = max([len("operation"), *(len(r.operation.name) for r in results)])
    lines.append(f"{'operation':<{width}}  {'SDK fields':>10}  {'covered':>7}  {'%':>6}  {'spec only':>9}")
    for result in results:
        extra = sum(len(part.extra) for part in result.parts)
        lines.append(
            f"{result.operation.name:<{width}}  {result.sdk_fields:>10}  {result.covered:>7}  "
            f"{result.percent:>6.1f}  {extra:>9}"
        )
    total = sum(r.sdk_fields for r in results)
    covered = sum(r.covered for r in results)
    percent = 100.0 * covered / total if total else 100.0
    lines.append(f"{'total':<{width}}  {total:>10}  {covered:>7}  {percent:>6.1f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the coverage report; exit 1 when an SDK field or an operation is missing from the spec."""
    parser = argparse.ArgumentParser(prog="aitre coverage", description=main.__doc__)
    parser.add_argument("--spec", type=Path, default=paths.SPEC_ROOT, help="root document of the split spec")
    parser.add_argument(
        "--operation", action="append", metavar="'METHOD /path'", help="only this operation (repeatable)"
    )
    parser.add_argument("--summary", action="store_true", help="print only the summary table")
    args = parser.parse_args(argv)
    wanted = {_normal(name) for name in args.operation or ()}
    operations = [op for op in OPERATIONS if not wanted or op.name in wanted]
    if not operations:
        parser.error(f"no such operation; known: {', '.join(op.name for op in OPERATIONS)}")
    results = check_coverage(args.spec, operations)
    print(render(results, details=not args.summary))
    return 0 if all(result.complete for result in results) else 1


def _normal(name: str) -> str:
    method, _, path = name.strip().partition(" ")
    return f"{method.upper()} {path.strip()}"


if __name__ == "__main__":
    sys.exit(main())
