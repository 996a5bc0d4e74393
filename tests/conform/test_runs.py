"""Whole runs: the embedded reference server is conformant, broken variants are caught by name, the key
never leaks, --budget holds, and the command line reports usage errors in one line."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from aitre.conform.command import ConformOptions, conform
from aitre.conform.report import write_reports
from aitre.conform.results import Outcome
from tests.conform.conftest import run_checks
from tests.conform.servers import KEY, Breakable, Breaker, Req, edit_json, replace_answer

FIXED_KEY_TAIL = "fixed-key-for-the-test-0123456789"


def _console() -> tuple[Console, Console]:
    return (Console(record=True, width=200, force_terminal=False),
            Console(record=True, width=200, force_terminal=False, stderr=True))


def _everything_written(directory: Path, *consoles: Console) -> str:
    texts = [path.read_text(errors="replace") for path in directory.iterdir() if path.is_file()]
    return "\n".join(texts + [console.export_text() for console in consoles])


def test_embedded_reference_server_is_conformant(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("aitre.conform.runner.secrets.token_urlsafe", lambda n: FIXED_KEY_TAIL)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    out, err = _console()
    code = conform(ConformOptions(report_dir=tmp_path), out, err)
    report = json.loads((tmp_path / "report.json").read_text())
    failures = [(f["check"], f["operation"], f["message"][:200]) for f in report["failures"]]
    assert (code, failures) == (0, [])
    assert report["summary"]["violations"] == 0 and report["schemathesis_requests"] > 100
    assert (tmp_path / "junit.xml").exists() and (tmp_path / "report.html").exists()
    assert "0 violations" in out.export_text()
    assert FIXED_KEY_TAIL not in _everything_written(tmp_path, out, err)


VARIANTS = {
    "usage_total_off_by_one": (
        edit_json("POST", "/v1/chat/completions", lambda r, b: {**b, "usage": {**b["usage"], "total_tokens": 0}}),
        "chat_usage_adds_up",
    ),
    "models_list_without_object": (
        edit_json("GET", "/v1/models", lambda r, b: {"data": b["data"]}),
        "model_list_is_well_formed",
    ),
    "embeddings_base64_by_default": (
        edit_json("POST", "/v1/embeddings", lambda r, b: b if (r.json or {}).get("encoding_format") else {
            **b, "data": [{**item, "embedding": "AAAAAA=="} for item in b["data"]]}),
        "embedding_float_by_default",
    ),
    "auth_errors_as_plain_text": (
        replace_answer("GET", "/v1/models", body=b"Unauthorized", content_type="text/plain",
                       when=lambda r, status: status == 401),
        "missing_key_is_401",
    ),
    "mj_fetch_unknown_is_200": (
        replace_answer("GET", "/mj/task/*", status=200, body=b"", when=lambda r, status: status == 404),
        "mj_unknown_task_is_404",
    ),
    "speech_as_json": (
        replace_answer("POST", "/v1/audio/speech", content_type="application/json"),
        "speech_content_type_per_format",
    ),
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_broken_reference_variant_is_caught_by_name(variant: str, broken: tuple[Breakable, str]) -> None:
    app, url = broken
    breaker, expected = VARIANTS[variant]
    app.breakers = [breaker]
    report = run_checks(url)
    failing = {result.name for result in report.violations}
    # The defect is reported by the expected check, or by another that shares its answer, which then
    # blocks the expected one (one defect, one group).
    expected_result = next(result for result in report.results if result.name == expected)
    blocked_by = expected_result.reason.removeprefix("blocked by ").split(":")[0]
    assert expected in failing or blocked_by in failing, (expected_result.outcome, expected_result.reason)


def test_schemathesis_catches_a_server_error_on_valid_input(broken: tuple[Breakable, str]) -> None:
    app, url = broken
    app.breakers = [replace_answer("GET", "/v1/models/*", status=500, when=lambda r, status: status == 404)]
    report = run_checks(url, [], areas=frozenset({"models"}), schema_checks=True, max_examples=2)
    failing = {result.name for result in report.violations}
    assert "schemathesis.not_a_server_error" in failing


def test_echoed_key_fails_and_stays_out_of_every_report(broken: tuple[Breakable, str], tmp_path: Path) -> None:
    app, url = broken
    app.breakers = [edit_json("GET", "/v1/models", lambda r, b: {**b, "debug": r.headers.get("authorization")})]
    report = run_checks(url, ["model_list_is_well_formed", "key_never_echoed"])
    result = next(r for r in report.results if r.name == "key_never_echoed")
    assert result.outcome is Outcome.FAIL
    write_reports(report, tmp_path)
    out, _ = _console()
    from aitre.conform.report.console import print_report

    print_report(report, out)
    written = _everything_written(tmp_path, out)
    assert KEY not in written and KEY.removeprefix("sk-") not in written
    assert "$OPENAI_API_KEY" in (tmp_path / "report.json").read_text()


def test_budget_caps_the_requests(broken: tuple[Breakable, str]) -> None:
    _, url = broken
    report = run_checks(url, None, budget=15)
    assert report.requests_sent <= 15
    assert any(result.reason == "request budget exhausted" for result in report.results)


def test_usage_errors_are_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    out, err = _console()
    assert conform(ConformOptions(only="chat,telepathy"), out, err) == 2
    assert err.export_text().strip() == "aitre conform: unknown area telepathy (known: auth, errors, models, chat, " \
                                        "completions, streaming, embeddings, images, audio, midjourney)"


def test_unreachable_server_is_exit_2_without_traceback(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    out, err = _console()
    code = conform(ConformOptions(base_url=f"http://127.0.0.1:{port}/v1", api_key="sk-x", report_dir=tmp_path),
                   out, err)
    lines = err.export_text().strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith(f"aitre conform: cannot reach http://127.0.0.1:{port}:")


def test_markdown_summary_leads_with_the_verdict_and_lists_every_flagged_check(
        broken: tuple[Breakable, str], tmp_path: Path) -> None:
    app, url = broken
    app.breakers = [edit_json("POST", "/v1/chat/completions", lambda r, b: {**b, "usage": {**b["usage"],
                                                                                          "total_tokens": 0}}),
                    replace_answer("POST", "/v1/audio/speech", content_type="application/octet-stream")]
    report = run_checks(url)
    write_reports(report, tmp_path)
    text = (tmp_path / "report.md").read_text()
    assert text.startswith("## aitre conform: violations found")
    assert "| violation | chat | `chat_usage_adds_up` |" in text
    assert "| warning | audio | `speech_content_type_per_format` |" in text
    assert text.index("chat_usage_adds_up") < text.index("speech_content_type_per_format")
    assert "Rule: " in text and "Allowed: " in text and KEY not in text
    data = json.loads((tmp_path / "report.json").read_text())
    assert all(result["latitude"] for result in data["results"] if result["source"] == "aitre")


def _drop_param(request: Req, status: int, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
    if 400 <= status < 500 and headers.get("content-type", "").startswith("application/json"):
        data = json.loads(body)
        if isinstance(data.get("error"), dict):
            data["error"].pop("param", None)
            body = json.dumps(data).encode()
    return status, headers, body


def test_a_pervasive_defect_does_not_starve_schemathesis(broken: tuple[Breakable, str]) -> None:
    """No `param` in any error: every operation still gets its --max-examples cases (continue-on-failure)."""
    app, url = broken
    options = {"areas": frozenset({"embeddings", "models"}), "schema_checks": True, "max_examples": 3}
    healthy = run_checks(url, [], **options).cases_per_operation
    app.breakers = [Breaker(method, "/v1/*", _drop_param) for method in ("GET", "POST", "DELETE")]
    report = run_checks(url, [], **options)
    assert report.violations, "the missing param must be found"
    supported = [op for op in healthy if " /" in op and op not in report.unsupported_operations]
    # Stopping at the first failing case left about 1 case in 7 (11 of 84 on embeddings).
    starved = {op: (report.cases_per_operation.get(op, 0), healthy[op]) for op in supported
               if report.cases_per_operation.get(op, 0) < max(3, 0.8 * healthy[op])}
    assert supported and starved == {}


def test_waived_findings_are_listed_but_do_not_fail_and_stale_waivers_are_reported(
        broken: tuple[Breakable, str], tmp_path: Path) -> None:
    app, url = broken
    app.breakers = [edit_json("POST", "/v1/chat/completions", lambda r, b: {**b, "usage": {**b["usage"],
                                                                                          "total_tokens": 0}})]
    waivers_file = tmp_path / "waivers.yaml"
    waivers_file.write_text("- check: chat_usage_adds_up\n  reason: our relay recounts usage later\n"
                            "- check: embedding_usage_adds_up\n  operation: POST /v1/embeddings\n  reason: old bug\n")
    from aitre.conform.waivers import load_waivers

    report = run_checks(url, ["chat_usage_adds_up", "embedding_usage_adds_up"], waivers=load_waivers(waivers_file))
    result = next(r for r in report.results if r.name == "chat_usage_adds_up")
    assert result.outcome is Outcome.WAIVED and result.failures[0].waived == "our relay recounts usage later"
    assert not report.failed() and not report.violations
    assert any("embedding_usage_adds_up on POST /v1/embeddings matched no finding" in note for note in report.notes)
    write_reports(report, tmp_path)
    assert "our relay recounts usage later" in (tmp_path / "report.md").read_text()


@pytest.mark.parametrize(("content", "message"), [
    ("- check: x\n", "waiver 1 (x) needs a `reason`"),
    ("check: x\n", "expected a list of waivers"),
    ("- check: x\n  reason: y\n  severity: low\n", "unknown key(s) severity"),
    ("- [unclosed\n", ":2: not valid YAML or JSON"),
])
def test_a_bad_waivers_file_is_a_one_line_usage_error(tmp_path: Path, content: str, message: str,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    path = tmp_path / "waivers.yaml"
    path.write_text(content)
    out, err = _console()
    assert conform(ConformOptions(waivers=path), out, err) == 2
    lines = err.export_text().strip().splitlines()
    assert len(lines) == 1 and message in lines[0], lines


def test_schema_findings_name_the_field_and_the_value(broken: tuple[Breakable, str]) -> None:
    app, url = broken

    def no_finish_reason(request: Req, body: Any) -> Any:
        body["choices"][0]["finish_reason"] = None
        return body

    app.breakers = [edit_json("POST", "/v1/chat/completions", no_finish_reason)]
    report = run_checks(url, [], areas=frozenset({"chat"}), schema_checks=True, max_examples=2)
    messages = [f.message for r in report.results if r.name == "schemathesis.response_schema_conformance"
                for f in r.failures]
    assert messages and messages[0].startswith('`choices[0].finish_reason` is not of type "string" (got null)')


def test_a_union_is_explained_by_the_branch_that_came_closest() -> None:
    from aitre.conform.response_contract import ResponseContract
    from aitre.conform.runner import load_spec

    body = {"id": "c", "object": "chat.completion", "created": 1700000000, "model": "m",
            "choices": [{"index": 0, "finish_reason": "tool_calls", "logprobs": None,
                         "message": {"role": "assistant", "content": None, "tool_calls": [
                             {"id": "call_1", "type": "function", "function": {"name": "f"}}]}}]}
    where = ResponseContract(load_spec()).explain("POST /v1/chat/completions", 200, "application/json",
                                                  json.dumps(body).encode())
    assert where == "`choices[0].message.tool_calls[0].function.arguments` is missing"


def test_multipart_findings_carry_a_pasteable_curl_and_the_file_beside_the_report(
        broken: tuple[Breakable, str], tmp_path: Path) -> None:
    app, url = broken
    app.breakers = [edit_json("POST", "/v1/images/edits", lambda r, b: {**b, "data": []})]
    report = run_checks(url, ["image_edit_returns_images"])
    failure = next(f for r in report.results for f in r.failures)
    assert failure.curl and " -F " in failure.curl and "=@files/" in failure.curl
    assert "\\x89PNG" not in failure.curl and "\x89" not in failure.curl
    write_reports(report, tmp_path)
    written = {path for path, _ in failure.attachments}
    assert written and all((tmp_path / path).read_bytes().startswith(b"\x89PNG") for path in written)
    data = json.loads((tmp_path / "report.json").read_text())
    assert sorted(data["failures"][0]["attachments"]) == sorted(written)


def test_checks_sharing_a_failed_answer_are_blocked_by_the_one_that_reports_it(
        broken: tuple[Breakable, str]) -> None:
    app, url = broken
    app.breakers = [edit_json("POST", "/mj/submit/imagine", lambda r, b: {**b, "code": "1"})]
    report = run_checks(url, None, areas=frozenset({"midjourney"}))
    shared = ["mj_submit_answer_shape", "mj_task_reaches_terminal_state", "mj_button_action_starts_new_task",
              "mj_list_by_condition_returns_requested", "mj_image_seed_of_finished_task"]
    outcomes = {r.name: (r.outcome, r.reason) for r in report.results if r.name in shared}
    failed = [name for name, (outcome, _) in outcomes.items() if outcome is Outcome.FAIL]
    assert len(failed) == 1, outcomes
    blocked = [name for name, (outcome, reason) in outcomes.items() if reason.startswith(f"blocked by {failed[0]}")]
    assert sorted([*failed, *blocked]) == sorted(shared), outcomes


def _three_embedding_defects(request: Req, body: Any) -> Any:
    """One vector short for several inputs, base64 ignored (floats sent), and total_tokens 0."""
    if len(body["data"]) > 1:
        body["data"] = body["data"][:-1]
    for item in body["data"]:
        if isinstance(item["embedding"], str):
            item["embedding"] = [0.5] * (len(base64.b64decode(item["embedding"])) // 4)
    body["usage"]["total_tokens"] = 0
    return body


def test_a_defect_in_a_shared_answer_hides_no_other_defect(broken: tuple[Breakable, str]) -> None:
    app, url = broken
    app.breakers = [edit_json("POST", "/v1/embeddings", _three_embedding_defects)]
    report = run_checks(url, None, areas=frozenset({"embeddings"}))
    failing = {result.name for result in report.violations}
    assert {"embedding_base64_decodes", "embedding_usage_adds_up"} <= failing
    assert {"embedding_count_and_index", "embedding_float_by_default"} & failing


def test_a_hostile_probe_that_hangs_the_server_costs_only_itself() -> None:
    import asyncio
    import time

    from tests.conform.servers import reference_app, serve
    from tests.conform.variants import Captured, Scope, Variant, call

    class HangsOnBrokenJson(Variant):
        async def handle(self, scope: Scope, body: bytes) -> Captured:
            if scope["method"] == "POST" and body.startswith(b"{") and not body.rstrip().endswith(b"}"):
                await asyncio.sleep(30)
            return await call(self.app, scope, body)

    with serve(HangsOnBrokenJson(reference_app())) as url:
        started = time.monotonic()
        report = run_checks(url, ["malformed_json_is_400", "chat_completion_fields"], timeout=30)
        elapsed = time.monotonic() - started
    outcomes = {result.name: (result.outcome, result.failures[0].message if result.failures else "")
                for result in report.results}
    assert outcomes["chat_completion_fields"][0] is Outcome.PASS, outcomes
    assert outcomes["malformed_json_is_400"][0] is Outcome.FAIL and "5 s" in outcomes["malformed_json_is_400"][1]
    assert elapsed < 20


def test_the_published_test_key_is_not_echoed_by_the_reference_server() -> None:
    """`aitre conform --api-key sk-aitre-reference` against a plain `aitre serve`: no part of the key
    (the redactor also looks for it without `sk-`) may appear in any answer, such as a model's owner."""
    from aitre.server.app import create_app
    from aitre.server.settings import DEFAULT_API_KEY, ServerSettings
    from tests.conform.servers import serve

    with serve(create_app(ServerSettings())) as url:
        report = run_checks(url, ["key_never_echoed"], api_key=DEFAULT_API_KEY)
    assert [result.outcome for result in report.results] == [Outcome.PASS]


def test_a_listed_model_the_server_refuses_is_reported_once_and_replaced(broken: tuple[Breakable, str]) -> None:
    from tests.conform.test_checks import BREAKS

    app, url = broken
    app.breakers = BREAKS["listed_models_are_served"]
    report = run_checks(url, ["listed_models_are_served", "chat_completion_fields", "chat_n_choices_in_order"])
    outcomes = {result.name: result.outcome for result in report.results}
    assert outcomes == {"listed_models_are_served": Outcome.FAIL, "chat_completion_fields": Outcome.PASS,
                        "chat_n_choices_in_order": Outcome.PASS}
    assert report.models["chat"] not in (None, "gpt-4o-mini")
    assert "gpt-4o-mini refused as unknown" in report.model_sources["chat"]


def _empty_choice_in_usage_chunk(request: Req, events: list[str]) -> list[str]:
    chunks = [json.loads(event) for event in events if event != "[DONE]"]
    for chunk in chunks:
        if chunk.get("usage") is not None:
            chunk["choices"] = [{"index": 0, "delta": {}}]
    return [json.dumps(chunk) for chunk in chunks] + ["[DONE]"]


def test_an_empty_choice_in_the_usage_chunk_is_a_warning(broken: tuple[Breakable, str]) -> None:
    """As a LiteLLM proxy sends it: nothing a client reads, so not a violation."""
    from tests.conform.servers import edit_events

    app, url = broken
    app.breakers = [edit_events("POST", "/v1/chat/completions", _empty_choice_in_usage_chunk)]
    report = run_checks(url, ["stream_include_usage_final_chunk"])
    assert [result.outcome for result in report.results] == [Outcome.WARN]
