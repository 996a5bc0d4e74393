"""The `aitre` command: validate, generate, serve, conform."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from aitre import paths

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="The AITRE API contract: spec tools, reference server and conformance tester.",
)

SpecOption = Annotated[Path, typer.Option("--spec", help="Root document of the split spec.")]


def _say(message: str) -> None:
    typer.echo(message, err=True)


@app.command()
def validate(
    spec: SpecOption = paths.SPEC_ROOT,
    redocly: Annotated[
        bool, typer.Option("--redocly", help="Also run Redocly's linter with our rule set (needs `make setup`).")
    ] = False,
) -> None:
    """Check the spec: openapi-spec-validator plus our lint rules, one line per problem with file:line."""
    from aitre.generate.node import NodeToolError
    from aitre.spec.redocly import redocly_problems
    from aitre.spec.validate import validate_spec

    if not spec.exists():
        _say(f"{spec}: file not found")
        raise typer.Exit(1)
    started = time.perf_counter()
    problems = validate_spec(spec)
    if redocly and not any(p.rule in ("yaml-syntax", "dangling-ref", "missing-file") for p in problems):
        try:
            problems = sorted(set(problems) | set(redocly_problems(spec)))
        except NodeToolError as exc:
            _say(str(exc))
            raise typer.Exit(1) from None
    for problem in problems:
        typer.echo(str(problem))
    elapsed = time.perf_counter() - started
    if problems:
        _say(f"{len(problems)} problem(s) in {spec.parent} ({elapsed:.2f} s)")
        raise typer.Exit(1)
    _say(f"spec is valid ({elapsed:.2f} s)")


@app.command()
def generate(
    spec: SpecOption = paths.SPEC_ROOT,
    out: Annotated[Path, typer.Option("--out", help="Folder of the generated artifacts.")] = paths.GENERATED_DIR,
    check: Annotated[bool, typer.Option("--check", help="Write nothing; exit 1 naming every stale file.")] = False,
) -> None:
    """Write generated/ (bundled spec, pydantic models) from spec/, or check that it is current."""
    from aitre.generate.artifacts import generate as run_generate
    from aitre.generate.models import ModelGenerationError
    from aitre.generate.node import NodeToolError
    from aitre.spec.problems import SpecError

    try:
        outcome = run_generate(spec, out, check=check)
    except SpecError as exc:
        _say(str(exc.problem))
        raise typer.Exit(1) from None
    except ModelGenerationError as exc:
        _say(f"datamodel-code-generator failed: {exc}")
        raise typer.Exit(1) from None
    except NodeToolError as exc:
        _say(str(exc))
        raise typer.Exit(1) from None
    if check:
        for name in outcome.stale:
            typer.echo(f"stale: {name}")
        if outcome.stale:
            _say(f"{len(outcome.stale)} generated file(s) differ from what spec/ gives; run `make generate`")
            raise typer.Exit(1)
        _say("generated/ is up to date")
        return
    for name in outcome.written:
        typer.echo(f"wrote {name}")
    if not outcome.written:
        _say("generated/ was already up to date")


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []})
def coverage(ctx: typer.Context) -> None:
    """Compare the spec's fields with the installed openai SDK (options: `aitre coverage --help`)."""
    from aitre.coverage import main as coverage_main

    raise typer.Exit(coverage_main(ctx.args))


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
