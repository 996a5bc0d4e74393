"""The bundled spec as one JSON and one YAML file, keys in source order, components sorted."""

from __future__ import annotations

import json
from typing import Any

import yaml


def openapi_json(document: dict[str, Any]) -> bytes:
    """The bundle as pretty JSON with a trailing newline."""
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


class _Dumper(yaml.SafeDumper):
    """Block style, multi-line strings as literal blocks, no aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value and not value.startswith((" ", "\n")) and " \n" not in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def openapi_yaml(document: dict[str, Any]) -> bytes:
    """The bundle as YAML, in the same key order as the JSON."""
    text = yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110)
    return text.encode("utf-8")
