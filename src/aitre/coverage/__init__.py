"""Field coverage: which fields of the installed openai SDK the spec lacks, and the reverse.

Two readers meet here. `sdk.py` reads the SDK: the request TypedDicts and response pydantic models
that `operations.OPERATIONS` names per operation. `spec.py` reads the bundled document: request
bodies, 2xx JSON bodies and the `contentSchema` of each `text/event-stream` event. Both write field
paths in the notation of `operations.py`; `report.py` sets them side by side (`aitre coverage`).
"""

from aitre.coverage.operations import OPERATIONS, PARTS, Operation
from aitre.coverage.report import OperationCoverage, PartCoverage, check_coverage, coverage_of, main, render
from aitre.coverage.sdk import resolve_type, sdk_fields, sdk_parameters
from aitre.coverage.spec import schema_fields, spec_parts

__all__ = [
    "OPERATIONS",
    "PARTS",
    "Operation",
    "OperationCoverage",
    "PartCoverage",
    "check_coverage",
    "coverage_of",
    "main",
    "render",
    "resolve_type",
    "schema_fields",
    "sdk_fields",
    "sdk_parameters",
    "spec_parts",
]
