"""Which tool (if any) a chat answer calls, following `tool_choice` / the deprecated `function_call`.

`required` and `allowed_tools` in required mode call tools (finish_reason `tool_calls`); a named function
or custom tool is called alone with finish_reason `stop`, as OpenAI answers; `auto` calls tools when the
last message is the user's (so a tool result gets a text answer), and `none` never calls one. Parallel
calls are allowed unless `parallel_tool_calls` is false: then only the first eligible tool is called,
otherwise every eligible tool once, in the order given (a model answering all it can in one turn).
The deprecated `functions` list behaves the same way with `function_call`, one call at most (that
mechanism never had parallel calls); a named function finishes with `stop`, an automatic call with
`function_call`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aitre.server import jsongen, textgen
from aitre.server.errors import bad_request


@dataclass(frozen=True)
class ToolPlan:
    """One call every choice of this answer makes."""

    kind: str  # "function", "custom" or "legacy_function" (the deprecated `functions` list)
    name: str
    parameters: Any  # the function's JSON Schema, or the custom tool's format
    finish_reason: str


def _name(tool: Any, kind: str) -> str | None:
    if isinstance(tool, dict) and tool.get("type") == kind and isinstance(tool.get(kind), dict):
        name = tool[kind].get("name")
        return name if isinstance(name, str) else None
    return None


def _plan(tool: dict[str, Any], finish_reason: str) -> ToolPlan:
    kind = str(tool.get("type"))
    spec = tool.get(kind) or {}
    parameters = spec.get("parameters") if kind == "function" else spec.get("format")
    return ToolPlan(kind, str(spec.get("name")), parameters, finish_reason)


def _find(tools: list[Any], kind: str, name: Any, param: str) -> dict[str, Any]:
    for tool in tools:
        if _name(tool, kind) == name:
            return dict(tool)
    raise bad_request(f"tool_choice names the {kind} tool '{name}', which is not in tools.", param=param)


def _user_spoke_last(body: dict[str, Any]) -> bool:
    messages = body.get("messages") or []
    return bool(messages) and isinstance(messages[-1], dict) and messages[-1].get("role") == "user"


def _calls(body: dict[str, Any], eligible: list[dict[str, Any]]) -> list[ToolPlan]:
    """Every eligible tool once when parallel calls are allowed, else the first one alone."""
    chosen = eligible if body.get("parallel_tool_calls") is not False else eligible[:1]
    return [_plan(tool, "tool_calls") for tool in chosen]


def _from_tools(body: dict[str, Any], tools: list[dict[str, Any]]) -> list[ToolPlan]:
    choice = body.get("tool_choice")
    if choice == "none":
        return []
    if isinstance(choice, dict):
        kind = choice.get("type")
        if kind in ("function", "custom"):
            return [_plan(_find(tools, str(kind), (choice.get(kind) or {}).get("name"), "tool_choice"), "stop")]
        allowed = choice.get("allowed_tools") or {}
        wanted = {
            (entry.get("type"), _name(entry, str(entry.get("type"))))
            for entry in allowed.get("tools", [])
            if isinstance(entry, dict)
        }
        eligible = [tool for tool in tools if (tool.get("type"), _name(tool, str(tool.get("type")))) in wanted]
        if not eligible:
            raise bad_request("allowed_tools names no tool that is in tools.", param="tool_choice")
        if allowed.get("mode") == "required" or _user_spoke_last(body):
            return _calls(body, eligible)
        return []
    if choice == "required" or _user_spoke_last(body):
        return _calls(body, tools)
    return []


def _from_functions(body: dict[str, Any], functions: list[Any]) -> list[ToolPlan]:
    choice = body.get("function_call")
    if choice == "none":
        return []
    if isinstance(choice, dict):
        for function in functions:
            if function.get("name") == choice.get("name"):
                return [ToolPlan("legacy_function", function["name"], function.get("parameters"), "stop")]
        raise bad_request(
            f"function_call names '{choice.get('name')}', which is not in functions.", param="function_call"
        )
    if _user_spoke_last(body):
        first = functions[0]
        return [ToolPlan("legacy_function", first["name"], first.get("parameters"), "function_call")]
    return []


def check_tool_fields(body: dict[str, Any]) -> None:
    """Cross-field rules on tools (400 when broken); a named choice that must be a listed tool is beyond a schema."""
    if body.get("tool_choice") is not None and not body.get("tools"):
        raise bad_request("tool_choice is only allowed when tools are specified.", param="tool_choice")
    if body.get("function_call") is not None and not body.get("functions"):
        raise bad_request("function_call is only allowed when functions are specified.", param="function_call")
    plan_tool_calls(body)


def plan_tool_calls(body: dict[str, Any]) -> list[ToolPlan]:
    """The calls the answer makes, in order; none for a text answer."""
    tools = [tool for tool in body.get("tools") or [] if isinstance(tool, dict)]
    if tools:
        return _from_tools(body, tools)
    functions = [function for function in body.get("functions") or [] if isinstance(function, dict)]
    if functions:
        return _from_functions(body, functions)
    return []


def arguments_for(plan: ToolPlan, key: str, choice_index: int, position: int = 0) -> str:
    """The arguments of the call at `position` of a choice: JSON text matching the function's parameters,
    or free text for a custom tool."""
    salt: tuple[object, ...] = ("tool", choice_index) if position == 0 else ("tool", choice_index, position)
    if plan.kind == "custom":
        return textgen.sentences(textgen.entropy(key, *salt), 4, 12, leading_space=False)
    rng = textgen.rng_for(key, *salt)
    schema = plan.parameters if isinstance(plan.parameters, dict) and plan.parameters else {"type": "object"}
    return json.dumps(jsongen.conforming_instance(schema, rng), ensure_ascii=False)
