"""Artifacts generated from spec/ by `aitre generate`; never edit by hand.

`openapi.json` / `openapi.yaml` are the bundled spec, `models` the pydantic v2 models,
`typescript/openapi.d.ts` the TypeScript types, `jsonschema/` one JSON Schema per component,
`reference.html` the offline API reference.
"""

from pathlib import Path

OPENAPI_JSON = Path(__file__).with_name("openapi.json")
OPENAPI_YAML = Path(__file__).with_name("openapi.yaml")
