"""Observe-first judgments: a defect the answers show fails, an answer that shows nothing is skipped."""

from __future__ import annotations

from typing import Any

import pytest

from aitre.conform.checks._observe import judge_limit, judge_stop, pick_stop
from aitre.conform.failures import ContractViolation, Skipped

BASELINE = "One two three four five six."


def test_the_stop_is_a_later_word_of_the_baseline() -> None:
    assert pick_stop(BASELINE) == (" three", 7)
    assert pick_stop("word") is None


def test_a_baseline_cut_at_the_stop_passes() -> None:
    judge_stop(BASELINE, lambda stop: ("One two", "stop"), "text")


def test_text_past_the_stop_fails() -> None:
    with pytest.raises(ContractViolation, match="contains the stop"):
        judge_stop(BASELINE, lambda stop: (BASELINE, "stop"), "text")


def test_a_cut_reported_as_length_fails() -> None:
    with pytest.raises(ContractViolation, match="'length'"):
        judge_stop(BASELINE, lambda stop: ("One two", "length"), "text")


@pytest.mark.parametrize("answer", ["Something else entirely.", "One", ""])
def test_a_different_answer_is_not_observable(answer: str) -> None:
    with pytest.raises(Skipped, match="not observable"):
        judge_stop(BASELINE, lambda stop: (answer, "stop"), "text")


@pytest.mark.parametrize(("baseline", "used"), [(None, 3), (10, None), (3, 3)])
def test_a_limit_that_cut_nothing_is_not_observable(baseline: Any, used: Any) -> None:
    with pytest.raises(Skipped, match="not observable"):
        judge_limit(baseline, 3, used, "stop", "choices[0]")


def test_a_cut_answer_must_say_length() -> None:
    judge_limit(10, 3, 3, "length", "choices[0]")
    with pytest.raises(ContractViolation, match="not 'length'"):
        judge_limit(10, 3, 3, "stop", "choices[0]")
