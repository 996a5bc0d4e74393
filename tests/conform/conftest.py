"""Fixtures for the conformance tests: the reference server (plain and breakable) and one-check runs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from aitre.conform.registry import load_checks
from aitre.conform.results import CheckResult, RunReport
from aitre.conform.runner import Runner
from aitre.conform.settings import ConformSettings
from tests.conform.servers import KEY, Breakable, reference_app, serve


@pytest.fixture(scope="session")
def breakable() -> Iterator[tuple[Breakable, str]]:
    """The reference server behind a breaker; tests set `.breakers` and must leave it empty."""
    app = Breakable(reference_app())
    with serve(app) as url:
        yield app, url


@pytest.fixture
def broken(breakable: tuple[Breakable, str]) -> Iterator[tuple[Breakable, str]]:
    app, url = breakable
    app.breakers = []
    yield app, url
    app.breakers = []


def settings_for(url: str, **overrides: Any) -> ConformSettings:
    base = ConformSettings(base_url=url, api_key=KEY, schema_checks=False, timeout=10)
    return replace(base, **overrides)


def run_checks(url: str, names: list[str] | None = None, **overrides: Any) -> RunReport:
    """A run of the named checks (all when None), semantic checks only unless overridden."""
    checks = load_checks()
    selected = [checks[name] for name in names] if names is not None else list(checks.values())
    settings = settings_for(url, **overrides)
    return Runner(settings, checks=selected).run()


def run_one(url: str, name: str, **overrides: Any) -> CheckResult:
    report = run_checks(url, [name], **overrides)
    return next(result for result in report.results if result.name == name)
