"""Read one YAML file of the split spec and remember the line of every node.

PyYAML's composer keeps start marks on nodes; we walk the node tree beside the constructed
data so that any JSON pointer inside the file can be mapped back to a line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Pointer = tuple[str | int, ...]

# libyaml's parser keeps the same marks and is several times faster than the pure-Python one.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class SourceFile:
    """The parsed content of one file and the 1-based line of each pointer inside it."""

    path: Path
    data: Any
    lines: dict[Pointer, int] = field(default_factory=dict)
    duplicate_keys: list[tuple[int, str]] = field(default_factory=list)


class YamlSyntaxError(Exception):
    """Malformed YAML, with the line where the parser gave up."""

    def __init__(self, path: Path, line: int, reason: str) -> None:
        super().__init__(reason)
        self.path = path
        self.line = line
        self.reason = reason


def read_source(path: Path) -> SourceFile:
    """Parse `path`, raising FileNotFoundError or YamlSyntaxError with a line number."""
    text = path.read_text(encoding="utf-8")
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        raise YamlSyntaxError(path, line, exc.problem or str(exc)) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(path, 0, str(exc)) from None
    finally:
        loader.dispose()
    source = SourceFile(path=path, data=data)
    if node is not None:
        _record_lines(node, (), source)
    return source


def _record_lines(node: yaml.Node, pointer: Pointer, source: SourceFile) -> None:
    source.lines[pointer] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                source.duplicate_keys.append((key_node.start_mark.line + 1, key))
            seen.add(key)
            source.lines[(*pointer, key)] = key_node.start_mark.line + 1
            _record_lines(value_node, (*pointer, key), source)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_lines(item, (*pointer, index), source)
