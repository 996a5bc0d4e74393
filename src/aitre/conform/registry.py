"""Registering checks: one decorated function per contract rule, named once and used everywhere.

A check is `def <rule>(ctx: CheckContext) -> None`: it sends what it needs through `ctx`, returns to
pass, raises a `Failure` to fail or `Skipped` when it cannot run. The decorator files it under an area
and a named feature (a column of the report matrix) and lists the operations it exercises, so the
runner can report "not supported" for a server that lacks them.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aitre.conform.areas import AREAS

if TYPE_CHECKING:
    from aitre.conform.context import CheckContext

CheckFunction = Callable[["CheckContext"], None]


@dataclass(frozen=True)
class CheckSpec:
    """A registered check: where it is reported and which operations it needs."""

    name: str
    area: str
    feature: str
    operations: tuple[str, ...]
    func: CheckFunction
    # Docstring paragraph 1: the rule. The rest: the latitude it allows.
    rule: str
    latitude: str
    # Final checks run after everything else and read what the run has seen (key echoes, error shapes).
    final: bool = False


CHECKS: dict[str, CheckSpec] = {}


def check(area: str, feature: str, *operations: str, final: bool = False) -> Callable[[CheckFunction], CheckFunction]:
    """Register the decorated function as a check of `area`/`feature` that exercises `operations`."""
    if area not in AREAS:
        raise ValueError(f"unknown area {area!r}")

    def register(func: CheckFunction) -> CheckFunction:
        name = func.__name__
        if name in CHECKS:
            raise ValueError(f"check {name!r} is registered twice")
        doc = inspect.getdoc(func)
        if not doc:
            raise ValueError(f"check {name!r} needs a docstring stating its rule")
        rule, _, latitude = doc.partition("\n\n")
        CHECKS[name] = CheckSpec(
            name=name,
            area=area,
            feature=feature,
            operations=operations,
            func=func,
            rule=" ".join(rule.split()),
            latitude=" ".join(latitude.split()),
            final=final,
        )
        return func

    return register


def load_checks() -> dict[str, CheckSpec]:
    """Import every area module (registering its checks) and return the registry."""
    import aitre.conform.checks  # noqa: F401 - imported for its registrations

    return CHECKS
