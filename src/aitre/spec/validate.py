"""`aitre validate`: openapi-spec-validator on the bundle, then our lint rules."""

from __future__ import annotations

import os
from pathlib import Path

from aitre.spec.bundle import Bundle, bundle_spec
from aitre.spec.problems import Problem, SpecError
from aitre.spec.rules import load_rules

# jsonschema-rs (the default backend when installed) drops the error paths we need for file:line.
os.environ.setdefault("OPENAPI_SPEC_VALIDATOR_SCHEMA_VALIDATOR_BACKEND", "jsonschema")


def structural_problems(bundle: Bundle) -> list[Problem]:
    """What openapi-spec-validator finds in the bundled document, located in the source."""
    from jsonschema_path import SchemaPath
    from openapi_spec_validator import OpenAPIV31SpecValidator
    from referencing.exceptions import Unresolvable

    validator = OpenAPIV31SpecValidator(SchemaPath.from_dict(bundle.document))
    problems: list[Problem] = []
    try:
        for error in validator.iter_errors():
            pointer = tuple(error.absolute_path) if hasattr(error, "absolute_path") else ()
            problems.append(bundle.problem(pointer, "openapi", error.message))
    except Unresolvable:
        pass  # our no-dangling-ref rule names the file and line of every such reference
    except Exception as exc:  # the validator can trip over badly broken documents; report, do not crash
        problems.append(Problem(bundle.relative(bundle.root), 1, "openapi", f"validator stopped: {exc!r}"))
    return problems


def validate_spec(root: Path, only: set[str] | None = None) -> list[Problem]:
    """All problems of the spec rooted at `root`, sorted by file and line. Empty means valid."""
    try:
        bundle = bundle_spec(root)
    except SpecError as exc:
        return [exc.problem]
    problems = list(bundle.warnings)
    if only is None or "openapi" in only:
        problems.extend(structural_problems(bundle))
    for name, check in load_rules().items():
        if only is None or name in only:
            try:
                problems.extend(check(bundle))
            except Exception as exc:  # a rule tripping over a broken document must not hide the others
                problems.append(Problem(bundle.relative(bundle.root), 1, name, f"rule could not finish: {exc!r}"))
    return sorted(set(_without_echoes(problems)))


def _without_echoes(problems: list[Problem]) -> list[Problem]:
    """Drop validator errors that repeat a schema-valid finding.

    openapi-spec-validator reports schema errors with a path relative to the schema, which cannot
    be located; schema-valid reports the same error with its file and line.
    """
    located = {p.message.removeprefix("invalid schema: ") for p in problems if p.rule == "schema-valid"}
    return [p for p in problems if not (p.rule == "openapi" and p.message in located)]
