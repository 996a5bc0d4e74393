"""`aitre validate`: openapi-spec-validator on the bundle, then our lint rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aitre.spec.bundle import Bundle, bundle_spec
from aitre.spec.problems import Problem, SpecError
from aitre.spec.rules import load_rules


def _spec_validator(document: dict[str, Any], detailed: bool) -> Any:
    """openapi-spec-validator for 3.1, minus its per-schema meta-schema pass.

    That pass is what our `schema-valid` rule does too, on every schema (the validator skips
    those under paths), with file and line, and far faster. The document-level check runs on
    jsonschema-rs; `detailed` switches it to python-jsonschema, whose errors carry the paths we
    need for file:line (jsonschema-rs drops them), so it is used only once something is wrong.
    """
    from jsonschema_path import SchemaPath
    from openapi_spec_validator import OpenAPIV31SpecValidator
    from openapi_spec_validator.schemas import schema_v31
    from openapi_spec_validator.schemas.backend import get_validator_for
    from openapi_spec_validator.schemas.backend.jsonschema import create_validator as create_jsonschema_validator
    from openapi_spec_validator.validation import keywords

    class SchemaValidator(keywords.OpenAPIV31SchemaValidator):
        def _validate_schema_meta(self, schema: Any, schema_value: Any) -> None:
            return None

    class SpecValidator(OpenAPIV31SpecValidator):
        # Not a ClassVar: the base class declares it as an instance attribute, which mypy will not let us retype.
        keyword_validators = {  # noqa: RUF012
            **OpenAPIV31SpecValidator.keyword_validators,
            "schema": SchemaValidator,
        }
        schema_validator = create_jsonschema_validator(schema_v31) if detailed else get_validator_for(schema_v31)

    return SpecValidator(SchemaPath.from_dict(document))


def structural_problems(bundle: Bundle) -> list[Problem]:
    """What openapi-spec-validator finds in the bundled document, located in the source."""
    problems = _structural_problems(bundle, detailed=False)
    return _structural_problems(bundle, detailed=True) if problems else problems


def _structural_problems(bundle: Bundle, detailed: bool) -> list[Problem]:
    from referencing.exceptions import Unresolvable

    validator = _spec_validator(bundle.document, detailed)
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

    openapi-spec-validator reports schema errors with a path relative to the schema (which cannot be
    located), or trips over them; schema-valid reports the same error with its file and line.
    """
    located = {p.message.removeprefix("invalid schema: ") for p in problems if p.rule == "schema-valid"}
    if located:  # an invalid schema can also make the validator stop; that is the same finding
        located.update(p.message for p in problems if p.message.startswith("validator stopped"))
    return [p for p in problems if not (p.rule == "openapi" and p.message in located)]
