"""The SDK side of `aitre coverage`: the field paths of the installed openai SDK's types.

Request bodies are TypedDicts, responses pydantic models, and path or query parameters the arguments
of a resource method. The variants of a union are merged, so a name at one path counts once however
many variants carry it.
"""

from __future__ import annotations

import collections.abc
import importlib
import inspect
import re
import types
import typing
from collections.abc import Iterable, Iterator
from typing import Any

import typing_extensions
from pydantic import BaseModel

from aitre.coverage.operations import join

# Fields of an SDK method that are client options, not parameters of the API.
CLIENT_OPTIONS = frozenset({"self", "extra_headers", "extra_query", "extra_body", "timeout"})

_WRAPPERS = {
    typing.Required,
    typing.NotRequired,
    typing_extensions.Required,
    typing_extensions.NotRequired,
    typing_extensions.ReadOnly,
}
_TYPE_NAME = re.compile(r"^(?P<module>[\w.]+):(?P<name>[\w.]+)(?:\[(?P<arg>.+)\])?$")


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
            path = join(prefix, name)
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
