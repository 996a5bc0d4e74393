"""The `aitre` command: validate, generate, serve, conform."""

from __future__ import annotations

import sys
import time
from enum import StrEnum
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
    from aitre.node import NodeToolError
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
    from aitre.node import NodeToolError
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


class HttpChoice(StrEnum):
    """`aitre serve --http`: see `aitre.server.process.STACKS`."""

    auto = "auto"
    httptools = "httptools"
    h11 = "h11"


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port to listen on.")] = 8000,
    api_key: Annotated[
        list[str] | None,
        typer.Option(
            "--api-key",
            envvar="AITRE_API_KEY",
            show_envvar=True,
            help="A key clients must send as `Authorization: Bearer KEY`; repeat for several. "
            "Without one the server accepts the published test key `sk-aitre-reference`. "
            "Prefer the environment variable: command lines are visible to other local users.",
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Changes the generated content (same seed, same answers).")] = 0,
    http: Annotated[
        HttpChoice,
        typer.Option(
            "--http",
            help="uvicorn's HTTP stack: httptools + uvloop (fast, the default when installed) or pure-Python h11.",
        ),
    ] = HttpChoice.auto,
    access_log: Annotated[
        bool, typer.Option("--access-log/--no-access-log", help="Log one line per request (costs throughput).")
    ] = True,
    faults: Annotated[bool, typer.Option(
        "--faults", help="Relay tests: answer as a failing upstream when a request's text holds aitre-fault=NAME.")
    ] = False,
    answer_log: Annotated[bool, typer.Option(
        "--answer-log", help="Relay tests: keep the answers to marked requests for GET /aitre/answers (key needed).")
    ] = False,
) -> None:
    """Run the reference server: a deterministic, conformant implementation of the whole spec (no model)."""
    from aitre.server import ServerSettings
    from aitre.server.process import serve_forever
    from aitre.server.settings import DEFAULT_API_KEY, redact

    keys = tuple(api_key) if api_key else (DEFAULT_API_KEY,)
    settings = ServerSettings(api_keys=keys, seed=seed, faults=faults, answer_log=answer_log)
    # Keys are redacted: the real value must never reach a terminal log or CI output.
    shown = "the default test key" if not api_key else ", ".join(redact(key) for key in keys)
    _say(
        f"aitre reference server on http://{host}:{port} (OpenAI routes under /v1, MidJourney under /mj); key: {shown}"
    )
    if faults or answer_log:
        modes = (("faults on request (aitre-fault=NAME in the text)", faults),
                 ("answer log at GET /aitre/answers", answer_log))
        _say("relay-test upstream: " + ", ".join(name for name, on in modes if on))
    serve_forever(settings, host, port, http=http.value, access_log=access_log)


BASE_URL_HELP = "Server root (a trailing /v1 is stripped). Default: $OPENAI_BASE_URL, else the embedded server."


@app.command()
def conform(
    base_url: Annotated[str | None, typer.Option(help=BASE_URL_HELP)] = None,
    api_key: Annotated[str | None, typer.Option(help="Bearer key. Default: $OPENAI_API_KEY.")] = None,
    report_dir: Annotated[Path | None, typer.Option(help="Where report.json, junit.xml and report.html go.")] = None,
    only: Annotated[str | None, typer.Option(help="Test only these areas (comma-separated).")] = None,
    skip: Annotated[str | None, typer.Option(help="Leave these areas out (comma-separated).")] = None,
    require: Annotated[str | None, typer.Option(help="Areas (or `all`) where unsupported means violation.")] = None,
    model: Annotated[list[str] | None, typer.Option(help="ROLE=NAME model for positive requests (repeatable).")] = None,
    max_examples: Annotated[int | None, typer.Option(help="schemathesis examples per operation.")] = None,
    seed: Annotated[int | None, typer.Option(help="Generation seed (fixed by default).")] = None,
    workers: Annotated[int | None, typer.Option(help="Parallel request streams.")] = None,
    budget: Annotated[int | None, typer.Option(help="At most this many requests in total.")] = None,
    timeout: Annotated[float | None, typer.Option(help="Seconds per request, and per stream in total.")] = None,
    strict: Annotated[bool, typer.Option(help="Exit 1 on warnings too, not only on violations.")] = False,
    waivers: Annotated[Path | None, typer.Option(help="YAML/JSON list of accepted deviations {check, operation?, "
                                                      "reason}: listed, not failing.")] = None,
    upstream: Annotated[str | None, typer.Option(
        help="Relay fidelity: the `aitre serve --answer-log --faults` that --base-url (a relay) forwards to.")] = None,
    upstream_api_key: Annotated[str | None, typer.Option(
        help="The key the upstream accepts. Default: $AITRE_UPSTREAM_API_KEY, else sk-aitre-reference.")] = None,
) -> None:
    """Test a live OpenAI-format server (or the embedded reference server) against the spec."""
    from aitre.conform.command import ConformOptions
    from aitre.conform.command import conform as run_conform

    options = ConformOptions(base_url=base_url, api_key=api_key, report_dir=report_dir, only=only, skip=skip,
                             require=require, model=model or [], max_examples=max_examples, seed=seed,
                             workers=workers, budget=budget, timeout=timeout, strict=strict,
                             waivers=waivers,
                             upstream=upstream, upstream_api_key=upstream_api_key)
    raise typer.Exit(run_conform(options))


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
