"""Our lint rules on top of openapi-spec-validator.

Each rule is a plain function that takes the bundle and yields Problems; `@rule` registers it
under a name that appears in every message it produces.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from aitre.spec.bundle import Bundle
from aitre.spec.problems import Problem

Rule = Callable[[Bundle], Iterable[Problem]]
RULES: dict[str, Rule] = {}


def rule(name: str) -> Callable[[Rule], Rule]:
    """Register a lint rule under `name`."""

    def register(function: Rule) -> Rule:
        RULES[name] = function
        return function

    return register


def load_rules() -> dict[str, Rule]:
    """Import the rule modules (which register themselves) and return the registry."""
    from aitre.spec.rules import examples, operations, references, schemas  # noqa: F401

    return RULES
