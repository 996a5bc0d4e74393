"""The request side of the contract, for judging the cases schemathesis generates.

Two questions need the request schemas themselves rather than schemathesis's view of them:
- a *negative* case the server accepted: which rule did it break? A core rule (a required field, the
  type of a top-level parameter, a documented range) is a violation; leniency deeper in the body or on
  model policy (spec G8 rules, marked `x-aitre-policy`) is a warning; and a case that in fact matches
  the schema (schemathesis's mutations sometimes cancel out) is no finding at all.
- a *positive* case: which properties does the schema declare? Positive cases are pruned to those,
  because a server may refuse undeclared properties as OpenAI does ("Unrecognized request argument").

Schemas are compiled with jsonschema-rs against the whole bundled document, so every `$ref` resolves
and an error's `schema_path` is an absolute pointer into the document.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import jsonschema_rs

from aitre.conform.failures import Severity

DRAFT = "https://json-schema.org/draft/2020-12/schema"
POLICY_MARK = "x-aitre-policy"
# Error kinds that break a core rule when they sit on a top-level property: its type or its documented range.
_CORE_KINDS = (
    jsonschema_rs.ValidationErrorKind.Type,
    jsonschema_rs.ValidationErrorKind.Minimum,
    jsonschema_rs.ValidationErrorKind.Maximum,
    jsonschema_rs.ValidationErrorKind.ExclusiveMinimum,
    jsonschema_rs.ValidationErrorKind.ExclusiveMaximum,
    jsonschema_rs.ValidationErrorKind.MinLength,
    jsonschema_rs.ValidationErrorKind.MaxLength,
    jsonschema_rs.ValidationErrorKind.MinItems,
    jsonschema_rs.ValidationErrorKind.MaxItems,
)
# At the root: a required field left out, or a body that is not an object at all.
_ROOT_KINDS = (jsonschema_rs.ValidationErrorKind.Required, jsonschema_rs.ValidationErrorKind.Type)
_UNIONS = (jsonschema_rs.ValidationErrorKind.AnyOf, jsonschema_rs.ValidationErrorKind.OneOfNotValid)


@dataclass(frozen=True)
class Breach:
    """What a request breaks: the severity of accepting it and the field and rule in words."""

    severity: Severity
    where: str


class RequestContract:
    """Compiled request-body schemas of one bundled document, by operation ("POST /v1/...") and media type."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self._compiled: dict[str, jsonschema_rs.Validator] = {}

    def body_pointer(self, operation: str, media_type: str) -> str | None:
        """The JSON pointer of an operation's request schema for `media_type`, or None."""
        method, _, path = operation.partition(" ")
        content = (self.document.get("paths", {}).get(path, {}).get(method.lower(), {})
                   .get("requestBody", {}).get("content", {}))
        if media_type not in content:
            return None
        escaped = path.replace("~", "~0").replace("/", "~1")
        return f"#/paths/{escaped}/{method.lower()}/requestBody/content/{media_type.replace('/', '~1')}/schema"

    def validator(self, pointer: str) -> jsonschema_rs.Validator:
        """A validator for the schema at `pointer` (compiled once)."""
        if pointer not in self._compiled:
            # The whole document is the root, so the pointer (into paths or components) and every $ref resolve.
            schema = dict(self.document, **{"$ref": pointer, "$schema": DRAFT})
            self._compiled[pointer] = jsonschema_rs.validator_for(schema)
        return self._compiled[pointer]

    def resolve(self, pointer: str) -> tuple[str, Any]:
        """The node at `pointer`, following `$ref`s; returns the final pointer and node."""
        node = self._at(pointer)
        seen = {pointer}
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
            pointer = node["$ref"]
            if pointer in seen:
                break
            seen.add(pointer)
            node = self._at(pointer)
        return pointer, node

    def _at(self, pointer: str) -> Any:
        node: Any = self.document
        for raw in pointer.removeprefix("#/").split("/"):
            if raw:
                key = raw.replace("~1", "/").replace("~0", "~")
                node = node[int(key)] if isinstance(node, list) else node[key]
        return node

    # -- negative cases ------------------------------------------------------------------------------

    def breach(self, operation: str, media_type: str, body: Any) -> Breach | None:
        """What an accepted request body breaks (None when it matches the schema after all)."""
        pointer = self.body_pointer(operation, media_type)
        if pointer is None:
            return None
        try:
            errors = list(self.validator(pointer).iter_errors(body))
        except ValueError:
            return None  # a body holding a form's file cannot be judged as JSON
        if not errors:
            return None
        _, node = self.resolve(pointer)
        required = set(node.get("required", [])) if isinstance(node, dict) else set()
        judged = [(self._is_core(error, required), error) for error in errors]
        core = [error for is_core, error in judged if is_core]
        chosen = core[0] if core else errors[0]
        severity = Severity.VIOLATION if core else Severity.WARNING
        return Breach(severity, _describe(chosen, self._kind(chosen, bool(core))))

    def _kind(self, error: jsonschema_rs.ValidationError, core: bool) -> str:
        """What kind of rule an accepted body broke, in the words the report uses."""
        if self._is_policy(error):
            return "model policy"
        if core:
            return "a core rule"
        if len(error.instance_path) > 1:
            return "a nested rule"
        if len(error.instance_path) == 1 and error.instance is None:
            return "null for an optional parameter, read as absent"
        return "a rule beyond the core"

    def _is_policy(self, error: jsonschema_rs.ValidationError) -> bool:
        """Whether the failing keyword sits under a node marked as model policy (spec G8)."""
        node: Any = self.document
        for part in error.schema_path:
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                return False
            if isinstance(node, dict) and POLICY_MARK in node:
                return True
        return False

    def _is_core(self, error: jsonschema_rs.ValidationError, required: set[str]) -> bool:
        if self._is_policy(error):
            return False
        depth = len(error.instance_path)
        if depth == 0:
            return isinstance(error.kind, _ROOT_KINDS)
        if depth > 1:
            return False
        if error.instance is None and error.instance_path[0] not in required:
            # null for an optional parameter, taken as absent: common, and no client is misled by it.
            return False
        if isinstance(error.kind, _CORE_KINDS):
            return True
        if isinstance(error.kind, _UNIONS):
            # A top-level union refused as a whole: core when the value has a type no branch takes.
            branches = getattr(error.kind, "context", None) or []
            return bool(branches) and all(
                any(isinstance(item.kind, jsonschema_rs.ValidationErrorKind.Type)
                    and list(item.instance_path) == list(error.instance_path) for item in branch)
                for branch in branches
            )
        return False

    # -- positive cases ------------------------------------------------------------------------------

    def declared_names(self, operation: str, media_type: str) -> set[str] | None:
        """The top-level properties an operation's request schema declares (None without a schema)."""
        pointer = self.body_pointer(operation, media_type)
        if pointer is None:
            return None
        resolved_pointer, node = self.resolve(pointer)
        return {name for name, _ in self._declared(resolved_pointer, node)} if isinstance(node, dict) else set()

    def prune_undeclared(self, operation: str, media_type: str, body: Any) -> list[str]:
        """Remove, in place, every property the schema does not declare; returns the removed paths."""
        pointer = self.body_pointer(operation, media_type)
        removed: list[str] = []
        if pointer is not None:
            self._prune(pointer, body, "", removed, depth=0)
        return removed

    def _prune(self, pointer: str, value: Any, where: str, removed: list[str], depth: int) -> None:
        if depth > 32:
            return
        pointer, node = self.resolve(pointer)
        if not isinstance(node, dict):
            return
        if isinstance(value, dict):
            declared = dict(self._declared(pointer, node))
            if declared and _closed_by_default(node):
                for key in [key for key in value if key not in declared]:
                    del value[key]
                    removed.append(f"{where}.{key}" if where else key)
            for key, child in declared.items():
                if key in value:
                    self._prune(child, value[key], f"{where}.{key}" if where else key, removed, depth + 1)
        elif isinstance(value, list) and "items" in node:
            for index, item in enumerate(value):
                self._prune(f"{pointer}/items", item, f"{where}[{index}]", removed, depth + 1)
        for keyword in ("anyOf", "oneOf"):
            branches = node.get(keyword)
            if isinstance(branches, list) and isinstance(value, dict | list):
                matching = [index for index in range(len(branches))
                            if self._admits(f"{pointer}/{keyword}/{index}", value)]
                if len(matching) == 1:
                    self._prune(f"{pointer}/{keyword}/{matching[0]}", value, where, removed, depth + 1)

    def _admits(self, pointer: str, value: Any) -> bool:
        """Whether the schema at `pointer` admits `value`; a value that is no JSON (a form's file) is not judged."""
        try:
            return bool(self.validator(pointer).is_valid(value))
        except ValueError:
            return False

    def _declared(self, pointer: str, node: dict[str, Any]) -> Iterator[tuple[str, str]]:
        """(name, pointer) of the properties declared on `node` and its unconditional `allOf` parts."""
        for name in node.get("properties") or {}:
            yield name, f"{pointer}/properties/{_escape(name)}"
        for index, part in enumerate(node.get("allOf") or []):
            if isinstance(part, dict) and "if" not in part:
                part_pointer, resolved = self.resolve(f"{pointer}/allOf/{index}")
                if isinstance(resolved, dict):
                    yield from self._declared(part_pointer, resolved)


def _closed_by_default(node: dict[str, Any]) -> bool:
    """An object schema that says nothing about other properties: pruning keeps the case valid."""
    return not any(key in node for key in ("additionalProperties", "patternProperties", "unevaluatedProperties"))


def _escape(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


def _describe(error: jsonschema_rs.ValidationError, kind: str) -> str:
    path = list(error.instance_path)
    prop = getattr(error.kind, "property", None)
    if isinstance(error.kind, jsonschema_rs.ValidationErrorKind.Required) and isinstance(prop, str):
        path.append(prop)
    field = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path).lstrip(".") or "the body"
    return f"{field}: {error.message[:200]} ({kind})"
