"""Accepted deviations for CI: findings an operator has decided to live with, each with a reason.

A waivers file (YAML or JSON) is a list of entries `{check, operation?, reason}`: `check` is a check
name as reports show it (`chat_usage_adds_up`, `schemathesis.negative_data_rejection`), `operation`
("POST /v1/chat/completions") narrows it, `reason` is required, so the file documents itself. Waived
findings are still listed, but do not fail the run; a waiver that matches nothing is reported, so
the file does not outlive the deviations it excuses.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml


@dataclass(frozen=True)
class Waiver:
    check: str
    reason: str
    operation: str | None = None

    def matches(self, check: str, operation: str | None) -> bool:
        return check == self.check and (self.operation is None or self.operation == operation)

    def __str__(self) -> str:
        return f"{self.check}" + (f" on {self.operation}" if self.operation else "")


def load_waivers(path: Path) -> tuple[Waiver, ...]:
    """The waivers of a file; ValueError with a one-line message naming the file and the entry."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"cannot read the waivers file {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise ValueError(f"{path}{where}: not valid YAML or JSON") from None
    if data is None:
        return ()
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a list of waivers, each {{check, operation?, reason}}")
    waivers = []
    for index, entry in enumerate(data, start=1):
        if not isinstance(entry, dict):
            raise ValueError(f"{path}: waiver {index} is not a mapping")
        unknown = sorted(set(entry) - {"check", "operation", "reason"})
        if unknown:
            raise ValueError(f"{path}: waiver {index} has unknown key(s) {', '.join(map(str, unknown))}")
        check, reason, operation = entry.get("check"), entry.get("reason"), entry.get("operation")
        if not isinstance(check, str) or not check.strip():
            raise ValueError(f"{path}: waiver {index} needs `check`, a check name")
        if not isinstance(reason, str) or not reason.strip():
            raise ValueError(f"{path}: waiver {index} ({check}) needs a `reason`")
        if operation is not None and not isinstance(operation, str):
            raise ValueError(f"{path}: waiver {index} ({check}): `operation` must be text, e.g. 'POST /v1/embeddings'")
        waivers.append(Waiver(check.strip(), reason.strip(), operation.strip() if operation else None))
    return tuple(waivers)
