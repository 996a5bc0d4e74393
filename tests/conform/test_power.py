"""A fast slice of bench/power.py: broken variants from several areas are caught, an allowed one is not."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).resolve().parents[2] / "bench" / "power.py"


def _power() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_power", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_power"] = module
    spec.loader.exec_module(module)
    return module


def test_broken_variants_across_areas_are_caught_and_an_allowed_one_is_not() -> None:
    power = _power()
    names = ["chat_stop_sequence_honoured", "completion_length_finish_reason", "model_delete_unknown_is_404",
             "wrong_content_type_is_4xx", "embedding_dimensions_honoured"]
    broken = power.broken_verdicts(names)
    assert [v.name for v in broken if not v.violations] == []
    allowed = power.allowed_verdicts(["MidjourneyErrors"])
    assert [v.violations for v in allowed] == [[]]
    assert "100%" in power.table(broken, allowed)
