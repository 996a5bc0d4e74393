"""The small pieces: SSE parsing, redaction, model discovery, cost caps, settings and the registry."""

from __future__ import annotations

from typing import Any

import pytest

from aitre.conform.discovery import choose_models
from aitre.conform.redact import Redactor
from aitre.conform.registry import check
from aitre.conform.schema_cases import cheap_spec, tame_body
from aitre.conform.settings import ConformSettings, normalize_base_url, parse_model_overrides
from aitre.conform.sse import SseParser


def test_sse_parser_handles_any_chunking_and_line_endings() -> None:
    stream = b"data: {\"a\": 1}\r\n\r\n: comment\n\ndata: x\ndata: y\n\nevent: done\ndata: [DONE]\n\n"
    whole = SseParser().feed(stream)
    parser = SseParser()
    pieces = [event for i in range(len(stream)) for event in parser.feed(stream[i:i + 1])]
    assert [e.data for e in whole] == [e.data for e in pieces] == ['{"a": 1}', "x\ny", "[DONE]"]
    assert whole[2].event == "done"


def test_sse_parser_reports_stray_lines_and_cut_events() -> None:
    parser = SseParser()
    events = parser.feed(b"data: 1\nnonsense\n\ndata: 2")
    pending, tail = parser.close()
    assert events[0].stray_lines == ["nonsense"]
    assert pending is not None and pending.data == "2" and tail == "data: 2"


def test_redactor_replaces_the_key_and_its_bare_tail() -> None:
    redactor = Redactor("sk-abcdefghijklmnop")
    assert redactor.text("Bearer sk-abcdefghijklmnop and abcdefghijklmnop") == "Bearer [REDACTED] and [REDACTED]"
    assert redactor.curl("Authorization: Bearer sk-abcdefghijklmnop") == "Authorization: Bearer $OPENAI_API_KEY"
    assert redactor.found_in(b"..abcdefghijklmnop..") and not redactor.found_in("sk-abc***")
    assert not Redactor("").found_in("anything")


def test_discovery_prefers_cheap_models_and_falls_back_per_role() -> None:
    listed = ["gpt-4o-mini-tts", "gpt-4o", "gpt-4o-mini", "text-embedding-3-large", "whisper-1", "my-llama"]
    choice = choose_models(listed, {"images": "flux-dev"})
    assert choice.models["chat"] == "gpt-4o-mini"
    assert choice.models["speech"] == "gpt-4o-mini-tts"
    assert choice.models["embeddings"] == "text-embedding-3-large"
    assert choice.models["completions"] == "gpt-4o-mini"  # legacy endpoint served by a chat model
    assert (choice.models["images"], choice.sources["images"]) == ("flux-dev", "override")
    assert choose_models(["my-llama"], {}).models["chat"] == "my-llama"
    assert choose_models(["my-llama"], {}).models["embeddings"] is None
    assert choose_models(None, {}).sources["chat"] == "fallback"


def test_positive_bodies_are_capped_and_routed() -> None:
    settings = ConformSettings(base_url="http://x")
    body = {"model": "gpt-5-giant", "max_tokens": 4000, "n": 100, "best_of": 100}
    tame_body(body, "/v1/completions", {"completions": "babbage-002"}, settings)
    assert body == {"model": "babbage-002", "max_tokens": 16, "n": 2, "best_of": 2}
    speech = {"model": "tts-1", "input": "x" * 5000, "voice": "alloy"}
    tame_body(speech, "/v1/audio/speech", {"speech": None}, settings)
    assert len(speech["input"]) == settings.limits.max_speech_chars and speech["model"] == "tts-1"


def test_cheap_spec_drops_only_costly_bounds() -> None:
    spec = {"a": {"maxItems": 2048, "minItems": 1}, "b": {"maxItems": 4}, "c": [{"maxLength": 32000}]}
    assert cheap_spec(spec) == {"a": {"minItems": 1}, "b": {"maxItems": 4}, "c": [{}]}
    assert spec["a"]["maxItems"] == 2048


@pytest.mark.parametrize(("given", "root"), [("http://h:1/v1", "http://h:1"), ("https://h/v1/", "https://h"),
                                             ("http://h/api", "http://h/api")])
def test_base_url_is_the_server_root(given: str, root: str) -> None:
    assert normalize_base_url(given) == root


def test_model_overrides_parse_and_reject_nonsense() -> None:
    assert parse_model_overrides(["chat=a", "audio=b"]) == {"chat": "a", "speech": "b", "transcription": "b"}
    with pytest.raises(ValueError, match="ROLE=NAME"):
        parse_model_overrides(["chat"])
    with pytest.raises(ValueError, match="unknown model role"):
        parse_model_overrides(["video=x"])


def test_settings_never_show_the_key() -> None:
    assert "sk-secret" not in repr(ConformSettings(base_url="http://x", api_key="sk-secret-123456"))


def test_registry_rejects_duplicates_and_undocumented_checks() -> None:
    from aitre.conform.registry import load_checks

    load_checks()

    def missing_key_is_401(ctx: object) -> None:
        """A second check under an existing name."""

    def undocumented_check(ctx: object) -> None:
        pass

    with pytest.raises(ValueError, match="registered twice"):
        check("auth", "x")(missing_key_is_401)
    with pytest.raises(ValueError, match="docstring"):
        check("auth", "x")(undocumented_check)


@pytest.mark.parametrize("operation_id", ["createImageEdit", "createImageVariation", "createTranscription",
                                          "createTranslation"])
def test_unpatched_coverage_phase_draws_every_multipart_operation(operation_id: str) -> None:
    """schemathesis 4.32.5 raised `Unsupported type: 'Binary'` judging a form with a file against `if`/`then`
    rules; multipart schemas carry none now (spec G8), so its coverage phase runs with no patch of ours."""
    import json

    import schemathesis
    from schemathesis import GenerationMode

    from aitre.paths import BUNDLED_SPEC

    schema = schemathesis.openapi.from_dict(json.loads(BUNDLED_SPEC.read_text()))
    operation = schema.find_operation_by_id(operation_id)
    cases = list(schema.iter_coverage_cases(
        operation, generation_modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        generation_config=schema.config.generation_for(operation=operation),
    ))
    assert any(isinstance(case.body, dict) for case in cases)


def test_console_lists_every_flagged_check_violations_first_and_ends_with_the_verdict() -> None:
    from rich.console import Console

    from aitre.conform.failures import Severity
    from aitre.conform.report.console import print_report
    from aitre.conform.results import CheckResult, FailureRecord, Outcome, RunReport

    results = []
    for index in range(30):
        severity = Severity.WARNING if index % 2 else Severity.VIOLATION
        record = FailureRecord(f"check_{index:02d}", "chat", "f", "POST /v1/chat/completions", "T",
                               f"message {index}", severity=severity)
        result = CheckResult(f"check_{index:02d}", "chat", "f", "rule", Outcome.PASS, failures=[record])
        result.settle()
        results.append(result)
    report = RunReport(base_url="http://x", embedded=False, areas=["chat"], required=[], models={},
                       model_sources={}, seed=0, max_examples=5, budget=None, results=results)
    console = Console(record=True, width=200, force_terminal=False)
    print_report(report, console)
    lines = console.export_text().splitlines()
    flagged = [line for line in lines if line.startswith(("✗ chat / check_", "! chat / check_"))]
    assert len(flagged) == 30
    assert all(line.startswith("✗") for line in flagged[:15]) and all(line.startswith("!") for line in flagged[15:])
    assert lines[-1].startswith("15 violations · 15 warnings")


def test_one_cause_behind_many_checks_is_said_once_and_detailed_once() -> None:
    from rich.console import Console

    from aitre.conform.report.console import print_report
    from aitre.conform.report.markdown import render_markdown
    from aitre.conform.results import CheckResult, FailureRecord, Outcome, RunReport

    def failing(name: str, cause: str) -> CheckResult:
        record = FailureRecord(name, "errors", "f", "GET /v1/models", "T", f"{name} saw it", cause=cause,
                               curl=f"curl {name}")
        result = CheckResult(name, "errors", "f", "rule", Outcome.PASS, failures=[record])
        result.settle()
        return result

    shared = "4xx answers are not the OpenAI error object: error.param is missing"
    results = [failing(f"check_{index}", shared) for index in range(6)] + [failing("lonely", "lonely")]
    report = RunReport(base_url="http://x", embedded=False, areas=["errors"], required=[], models={},
                       model_sources={}, seed=0, max_examples=5, budget=None, results=results)
    assert [(cause.text, len(cause.checks)) for cause in report.causes()] == [(shared, 6), ("lonely", 1)]
    console = Console(record=True, width=200, force_terminal=False)
    print_report(report, console)
    text = console.export_text()
    assert "2 root cause(s) behind 7 flagged checks" in text
    # Every check has its line; the details show one example per cause, not six of the same.
    assert all(f"errors / check_{index} (1)" in text for index in range(6))
    assert text.count("curl check_") == 1 and text.count("curl lonely") == 1
    assert "Root causes:" in render_markdown(report)


@pytest.mark.parametrize(("choice", "kept"), [
    ({"type": "function", "function": {"name": "lookup"}}, True),
    ({"type": "function", "function": {"name": "other"}}, False),
    ({"type": "allowed_tools", "allowed_tools": {"mode": "auto", "tools": [
        {"type": "function", "function": {"name": "lookup"}}]}}, True),
    ({"type": "allowed_tools", "allowed_tools": {"mode": "required", "tools": [
        {"type": "function", "function": {"name": "other"}}]}}, False),
])
def test_positive_cases_name_only_declared_tools(choice: dict[str, object], kept: bool) -> None:
    tool = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}
    body = {"model": "m", "messages": [], "tools": [tool], "tool_choice": choice}
    tame_body(body, "/v1/chat/completions", {}, ConformSettings(base_url="http://x"))
    assert body["tool_choice"] == (choice if kept else "auto")


def test_messages_name_json_types_not_python_ones() -> None:
    from aitre.conform.checks._common import json_type

    assert [json_type(v) for v in (None, True, 3, 2.5, "x", [], {})] == [
        "null", "a boolean", "a number", "a number", "a string", "an array", "an object"]


def test_a_schemathesis_request_without_an_answer_keeps_its_request_and_a_curl() -> None:
    import requests

    from aitre.conform.collect import _schema_record
    from aitre.conform.schema_records import network_failure

    prepared = requests.Request("POST", "http://127.0.0.1:9/v1/embeddings", json={"input": "x", "model": "m"},
                                headers={"Authorization": "Bearer sk-secret-key-123456"}).prepare()
    cause = requests.ConnectionError("Connection reset by peer", request=prepared)
    raw = network_failure("POST /v1/embeddings", "ConnectionError: Connection reset by peer", cause)
    record = _schema_record(raw, "embeddings", "network", Redactor("sk-secret-key-123456"))
    assert record.request and record.request["method"] == "POST" and record.curl and "/v1/embeddings" in record.curl
    assert record.response_excerpt == "(ConnectionError: Connection reset by peer)"
    assert "sk-secret-key-123456" not in repr(record)


def test_an_error_event_in_a_200_stream_is_named_as_such() -> None:
    from aitre.conform.sse import stream_error

    body = b'data: {"error": {"message": "invalid api key", "type": "auth"}}\n\ndata: [DONE]\n\n'
    assert stream_error(body) == "invalid api key"
    assert stream_error(b'data: {"choices": [], "error": null}\n\n') is None
    assert stream_error(b"data: [DONE]\n\n") is None


def test_a_wrong_answer_on_a_templated_path_is_explained_not_fatal() -> None:
    """`{model}` in a path is not allowed raw in a URI fragment; the schema pointer must encode it."""
    import json

    from aitre.conform.response_contract import ResponseContract
    from aitre.paths import BUNDLED_SPEC

    contract = ResponseContract(json.loads(BUNDLED_SPEC.read_text()))
    wrong = json.dumps({"object": "list", "data": []}).encode()
    said = contract.explain("GET /v1/models/{model}", 200, "application/json", wrong)
    assert said is not None and "`" in said


def test_a_405_without_allow_is_named_as_such() -> None:
    from types import SimpleNamespace

    from aitre.conform.failures import Severity
    from aitre.conform.schema_verdicts import judge

    case = SimpleNamespace(operation=SimpleNamespace(path="/v1/models"))
    verdict = judge("unsupported_method", case, 405, contract=None, model_swapped=False,  # type: ignore[arg-type]
                    model_usable=True)
    assert verdict == (Severity.WARNING, "an undeclared method was answered 405 without an `Allow` header")
    assert judge("unsupported_method", case, 404, contract=None, model_swapped=False,  # type: ignore[arg-type]
                 model_usable=True) == (Severity.WARNING, "an undeclared method was answered 404, not 405")


def test_an_undeclared_4xx_is_a_warning_and_an_undeclared_2xx_a_violation() -> None:
    from types import SimpleNamespace

    from aitre.conform.failures import Severity
    from aitre.conform.schema_verdicts import judge

    case = SimpleNamespace(operation=SimpleNamespace(path="/v1/images/edits"))
    options: dict[str, Any] = {"contract": None, "model_swapped": False, "model_usable": True}
    assert judge("status_code_conformance", case, 422, **options)[0] is Severity.WARNING  # type: ignore[index]
    assert judge("status_code_conformance", case, 202, **options) == (Severity.VIOLATION, "")
