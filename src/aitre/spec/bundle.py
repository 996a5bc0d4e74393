"""Join the split spec (`spec/openapi.yaml` and the files it `$ref`s) into one document.

Convention (the layout `redocly split` writes): a `$ref` to `components/<kind>/<Name>.yaml`
becomes `#/components/<kind>/<Name>` in the bundle; any other file (path items under
`paths/`) is inlined where it is referenced. Every pointer of the bundle remembers the file and
line it came from, so later checks can point at the source.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aitre.spec.problems import Problem, SpecError
from aitre.spec.source import Pointer, SourceFile, YamlSyntaxError, read_source

# Order of the component sections in the bundle; names inside each are sorted.
COMPONENT_KINDS = (
    "schemas",
    "responses",
    "parameters",
    "examples",
    "requestBodies",
    "headers",
    "securitySchemes",
    "links",
    "callbacks",
    "pathItems",
)


@dataclass
class Bundle:
    """The bundled document and where each part of it was written."""

    root: Path
    document: dict[str, Any]
    locations: dict[Pointer, tuple[str, int]] = field(default_factory=dict)
    files: set[Path] = field(default_factory=set)
    warnings: list[Problem] = field(default_factory=list)

    def locate(self, pointer: Pointer) -> tuple[str, int]:
        """The source file and line of `pointer`, or of its nearest located ancestor."""
        probe = tuple(pointer)
        while True:
            if probe in self.locations:
                return self.locations[probe]
            if not probe:
                return (self.relative(self.root), 0)
            probe = probe[:-1]

    def relative(self, path: Path) -> str:
        """`path` as written in messages: relative to the folder above `spec/`."""
        base = self.root.parent.parent
        try:
            return str(path.resolve().relative_to(base.resolve()))
        except ValueError:
            return str(path)

    def problem(self, pointer: Pointer, rule: str, message: str) -> Problem:
        """A Problem located at the source of `pointer`."""
        file, line = self.locate(pointer)
        return Problem(file, line, rule, message)


def bundle_spec(root: Path) -> Bundle:
    """Bundle the spec rooted at `root`; raise SpecError for anything that stops it."""
    return _Bundler(root).run()


class _Bundler:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.spec_dir = self.root.parent
        self.sources: dict[Path, SourceFile] = {}
        self.bundle = Bundle(root=self.root, document={})
        self.components: dict[str, dict[str, Any]] = {}
        self.loading: set[tuple[str, str]] = set()

    def run(self) -> Bundle:
        source = self._read(self.root, None, ())
        if not isinstance(source.data, dict):
            raise SpecError(Problem(self._rel(self.root), 1, "structure", "the root document is not a mapping"))
        document = dict(source.data)
        self._record(source, ())
        existing = document.get("components") or {}
        for kind, entries in existing.items():
            if isinstance(entries, dict):
                self.components.setdefault(kind, {}).update(entries)
        document.pop("components", None)
        self.bundle.document = document
        document = self._walk(document, source, (), ())
        # Components declared inline in the root file are walked in their own place.
        for kind, entries in list(self.components.items()):
            for name, value in list(entries.items()):
                if (kind, name) in self.loading:
                    continue
                pointer = ("components", kind, name)
                if isinstance(value, dict) and set(value) == {"$ref"} and not str(value["$ref"]).startswith("#"):
                    continue  # a root-level alias to a component file; _walk below replaces it
                self.components[kind][name] = self._walk(value, source, pointer, pointer)
        for kind, entries in list(self.components.items()):
            for name, value in list(entries.items()):
                if isinstance(value, dict) and set(value) == {"$ref"} and not str(value["$ref"]).startswith("#"):
                    pointer = ("components", kind, name)
                    self.components[kind][name] = self._load_inline(value["$ref"], source, pointer, pointer)
        document["components"] = self._sorted_components()
        self.bundle.document = document
        return self.bundle

    # -- reading -----------------------------------------------------------------

    def _rel(self, path: Path) -> str:
        return self.bundle.relative(path)

    def _read(self, path: Path, referrer: SourceFile | None, at: Pointer) -> SourceFile:
        path = _normal(path)
        if path in self.sources:
            return self.sources[path]
        try:
            source = read_source(path)
        except FileNotFoundError:
            if referrer is None:
                raise SpecError(Problem(self._rel(path), 0, "missing-file", "file not found")) from None
            line = referrer.lines.get(at, 0)
            raise SpecError(
                Problem(self._rel(referrer.path), line, "dangling-ref", f"$ref target {self._rel(path)} does not exist")
            ) from None
        except YamlSyntaxError as exc:
            raise SpecError(Problem(self._rel(path), exc.line, "yaml-syntax", exc.reason)) from None
        except UnicodeDecodeError:
            raise SpecError(Problem(self._rel(path), 0, "yaml-syntax", "file is not UTF-8 text")) from None
        for line, key in source.duplicate_keys:
            self.bundle.warnings.append(Problem(self._rel(path), line, "duplicate-key", f"key {key!r} appears twice"))
        self.sources[path] = source
        self.bundle.files.add(path)
        return source

    def _record(self, source: SourceFile, base: Pointer, inner: Pointer = ()) -> None:
        rel = self._rel(source.path)
        n = len(inner)
        for pointer, line in source.lines.items():
            if pointer[:n] == inner:
                self.bundle.locations[base + pointer[n:]] = (rel, line)

    # -- walking -----------------------------------------------------------------

    def _walk(self, value: Any, source: SourceFile, at: Pointer, out: Pointer) -> Any:
        """Rewrite `$ref`s in `value` (found at `at` inside `source`, placed at `out` in the bundle)."""
        if isinstance(value, dict):
            if "$ref" in value and isinstance(value["$ref"], str):
                ref = value["$ref"]
                if ref.startswith("#"):
                    return value
                target = self._resolve_ref(ref, source, (*at, "$ref"), out)
                if isinstance(target, dict) and target.get("$ref", "").startswith("#/components/"):
                    siblings = {k: v for k, v in value.items() if k != "$ref"}
                    return {**target, **self._walk(siblings, source, at, out)}
                siblings = {k: v for k, v in value.items() if k != "$ref"}
                if siblings and isinstance(target, dict):
                    return {**target, **self._walk(siblings, source, at, out)}
                return target
            result: dict[str, Any] = {}
            for key, item in value.items():
                if key == "discriminator" and isinstance(item, dict) and isinstance(item.get("mapping"), dict):
                    item = dict(item)
                    item["mapping"] = {
                        tag: self._mapping_target(target, source, (*at, key, "mapping", tag), out)
                        for tag, target in item["mapping"].items()
                    }
                    result[key] = item
                    continue
                result[key] = self._walk(item, source, (*at, key), (*out, key))
            return result
        if isinstance(value, list):
            return [self._walk(item, source, (*at, i), (*out, i)) for i, item in enumerate(value)]
        return value

    def _mapping_target(self, target: Any, source: SourceFile, at: Pointer, out: Pointer) -> Any:
        if not isinstance(target, str) or target.startswith("#"):
            return target
        resolved = self._resolve_ref(target, source, at, out)
        return resolved["$ref"] if isinstance(resolved, dict) and "$ref" in resolved else target

    def _resolve_ref(self, ref: str, source: SourceFile, at: Pointer, out: Pointer) -> Any:
        file_part, _, fragment = ref.partition("#")
        path = _normal(source.path.parent / file_part)
        kind_name = self._component_of(path)
        if kind_name is not None and not fragment:
            kind, name = kind_name
            if out == ("components", kind, name):
                return self._load_inline(ref, source, at[:-1], out)
            self._ensure_component(kind, name, path, source, at)
            return {"$ref": f"#/components/{kind}/{name}"}
        return self._load_inline(ref, source, at[:-1] if at and at[-1] == "$ref" else at, out)

    def _component_of(self, path: Path) -> tuple[str, str] | None:
        try:
            parts = path.relative_to(self.spec_dir / "components").parts
        except ValueError:
            return None
        if len(parts) == 2 and parts[1].endswith((".yaml", ".yml")):
            return parts[0], Path(parts[1]).stem
        return None

    def _ensure_component(self, kind: str, name: str, path: Path, referrer: SourceFile, at: Pointer) -> None:
        if (kind, name) in self.loading:
            return
        existing = self.components.get(kind, {}).get(name)
        if existing is not None and not (isinstance(existing, dict) and set(existing) == {"$ref"}):
            return
        self.loading.add((kind, name))
        target = self._read(path, referrer, at)
        pointer = ("components", kind, name)
        self._record(target, pointer)
        self.components.setdefault(kind, {})[name] = self._walk(target.data, target, (), pointer)

    def _load_inline(self, ref: str, source: SourceFile, at: Pointer, out: Pointer) -> Any:
        file_part, _, fragment = ref.partition("#")
        path = _normal(source.path.parent / file_part)
        ref_at = (*at, "$ref") if (*at, "$ref") in source.lines else at
        target = self._read(path, source, ref_at)
        inner: Pointer = ()
        data = target.data
        if fragment:
            for raw in fragment.lstrip("/").split("/"):
                token = raw.replace("~1", "/").replace("~0", "~")
                step: str | int = token  # the pointer records list positions as ints
                if isinstance(data, dict) and token in data:
                    data = data[token]
                elif isinstance(data, list) and token.isdigit() and int(token) < len(data):
                    step = int(token)
                    data = data[step]
                else:
                    line = source.lines.get(ref_at, 0)
                    message = f"$ref {ref!r}: no {fragment!r} in that file"
                    raise SpecError(Problem(self._rel(source.path), line, "dangling-ref", message))
                inner = (*inner, step)
        self._record(target, out, inner)
        return self._walk(data, target, inner, out)

    def _sorted_components(self) -> dict[str, Any]:
        ordered: dict[str, Any] = {}
        kinds = [k for k in COMPONENT_KINDS if k in self.components]
        kinds += sorted(k for k in self.components if k not in COMPONENT_KINDS)
        for kind in kinds:
            ordered[kind] = {name: self.components[kind][name] for name in sorted(self.components[kind])}
        return ordered


def _normal(path: Path) -> Path:
    """An absolute path with `..` folded; cheaper than resolve(), which stats every component."""
    return Path(os.path.normpath(path.absolute()))
