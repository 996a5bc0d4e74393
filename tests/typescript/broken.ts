// Must NOT compile: proves the TypeScript test can fail (temperature is a number, model is required).
import type { components } from "../../generated/typescript/openapi";

export const request: components["schemas"]["CreateCompletionRequest"] = {
  prompt: "no model here",
  temperature: "hot",
};
