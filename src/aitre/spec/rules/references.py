"""Rules on references: nothing dangles, nothing is left unused."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from aitre.spec.bundle import Bundle
from aitre.spec.problems import Problem
from aitre.spec.rules import rule
from aitre.spec.source import Pointer
from aitre.spec.walk import refs, resolve_pointer


@rule("no-dangling-ref")
def no_dangling_ref(bundle: Bundle) -> Iterator[Problem]:
    """Every internal `$ref` and discriminator mapping points at something that exists."""
    for pointer, target in refs(bundle.document):
        try:
            resolve_pointer(bundle.document, target)
        except KeyError:
            yield bundle.problem(pointer, "no-dangling-ref", f"$ref {target!r} points at nothing")


@rule("no-unused-components")
def no_unused_components(bundle: Bundle) -> Iterator[Problem]:
    """Every component is referenced from somewhere else, and every YAML file under spec/ is reached."""
    used: set[str] = set()
    for pointer, target in refs(bundle.document):
        parts = target.split("/")
        if len(parts) >= 4 and parts[1] == "components":
            if pointer[:3] != ("components", parts[2], parts[3]):
                used.add("/".join(parts[:4]))
    components = bundle.document.get("components") or {}
    for kind, entries in components.items():
        if kind == "securitySchemes":
            continue  # used by name from `security`, not by $ref
        for name in entries:
            if f"#/components/{kind}/{name}" not in used:
                yield bundle.problem(
                    ("components", kind, name), "no-unused-components", f"component {kind}/{name} is never referenced"
                )
    spec_dir = bundle.root.parent
    for path in sorted(spec_dir.rglob("*.y*ml")):
        if path.resolve() not in bundle.files:
            yield Problem(bundle.relative(path), 1, "no-unused-components", "file is not reached from openapi.yaml")
    schemes = set(components.get("securitySchemes") or {})
    named: set[str] = set()
    for requirement in bundle.document.get("security") or []:
        named.update(requirement)
    for _pointer, value in _security_blocks(bundle.document):
        for requirement in value:
            named.update(requirement)
    for name in sorted(schemes - named):
        yield bundle.problem(
            ("components", "securitySchemes", name), "no-unused-components", f"security scheme {name} is never required"
        )


def _security_blocks(document: dict[str, Any]) -> Iterator[tuple[Pointer, list[Any]]]:
    for path, item in (document.get("paths") or {}).items():
        for method, operation in item.items():
            if isinstance(operation, dict) and isinstance(operation.get("security"), list):
                yield ("paths", path, method, "security"), operation["security"]
