// Compiled with `tsc --noEmit` by tests/test_artifacts.py: the generated types must describe real calls.
import type { components, paths } from "../../generated/typescript/openapi";

type CompletionRequest = components["schemas"]["CreateCompletionRequest"];
type CompletionResponse = components["schemas"]["CreateCompletionResponse"];
type ErrorBody = components["schemas"]["ErrorResponse"];

export const request: CompletionRequest = {
  model: "gpt-3.5-turbo-instruct",
  prompt: ["Say this is a test", "And this"],
  max_tokens: 7,
  temperature: 0,
  stop: null,
  stream_options: { include_usage: true },
};

export function firstText(response: CompletionResponse): string {
  const choice = response.choices[0];
  return choice.finish_reason === "length" ? choice.text + "…" : choice.text;
}

export function describe(error: ErrorBody): string {
  return `${error.error.type}: ${error.error.message} (${error.error.param ?? "-"})`;
}

type CompletionsOk = paths["/v1/completions"]["post"]["responses"][200]["content"]["application/json"];
export const sameShape = (r: CompletionsOk): CompletionResponse => r;
