"""One JSON Schema 2020-12 file per component schema, cross-linked by relative `$ref`s.

Each file's `$id` is stable (`https://aitre.example/schemas/<Name>.json`, on a reserved domain), so
a `$ref` to `Other.json` resolves to the sibling file in any validator that loads the folder.
"""

from __future__ import annotations

import json
from typing import Any

SCHEMA_BASE = "https://aitre.example/schemas/"
DIALECT = "https://json-schema.org/draft/2020-12/schema"
COMPONENT_PREFIX = "#/components/schemas/"


def _rewrite(value: Any) -> Any:
    """Turn bundle-internal component refs into sibling-file refs."""
    if isinstance(value, dict):
        result: dict[str, Any] = {}
        for key, item in value.items():
            if key == "$ref" and isinstance(item, str) and item.startswith(COMPONENT_PREFIX):
                result[key] = _file_ref(item)
            elif key == "discriminator" and isinstance(item, dict) and isinstance(item.get("mapping"), dict):
                mapping = {tag: _file_ref(t) if isinstance(t, str) else t for tag, t in item["mapping"].items()}
                result[key] = {**item, "mapping": mapping}
            else:
                result[key] = _rewrite(item)
        return result
    if isinstance(value, list):
        return [_rewrite(item) for item in value]
    return value


def _file_ref(ref: str) -> str:
    name, _, rest = ref.removeprefix(COMPONENT_PREFIX).partition("/")
    return f"{name}.json" + (f"#/{rest}" if rest else "")


def json_schemas(document: dict[str, Any]) -> dict[str, bytes]:
    """`<Name>.json` -> file content for every component schema."""
    files: dict[str, bytes] = {}
    for name, schema in ((document.get("components") or {}).get("schemas") or {}).items():
        body = _rewrite(schema)
        standalone = {"$schema": DIALECT, "$id": f"{SCHEMA_BASE}{name}.json", **body}
        files[f"{name}.json"] = (json.dumps(standalone, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    return files
