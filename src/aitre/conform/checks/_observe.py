"""Observe first: ask without a parameter, then with it, and judge the difference.

A check that sends a fixed `stop` and looks for it in the answer passes whenever the text happens not to
contain it, so it cannot catch a server that ignores `stop`. These helpers learn what the server says
without the parameter and choose the parameter's value from that answer; when the second answer cannot
show the defect (a model that answers differently each time), the check is skipped, never passed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aitre.conform.checks._common import js
from aitre.conform.failures import ContractViolation, Skipped, expect

# Sampling settings that make a real model as repeatable as it gets; the reference server is anyway.
STEADY: dict[str, Any] = {"temperature": 0, "seed": 7}


def pick_stop(text: str) -> tuple[str, int] | None:
    """A stop sequence taken from `text` (a later word with its leading space) and where it first occurs.

    The word must first occur after some text, so a server that honours the stop returns a non-empty
    prefix and one that ignores it returns the word. None when the text has no such word.
    """
    words = text.split()
    for word in words[2:] + words[1:2]:
        sequence = " " + word
        at = text.find(sequence)
        if at > 0 and word.strip(".,;:!?"):
            return sequence, at
    return None


def judge_stop(
    baseline: str,
    ask: Callable[[str], tuple[str, Any]],
    where: str,
) -> None:
    """Pick a stop from `baseline` (the answer without stop), `ask` again with it and judge the answer.

    `ask(stop)` returns the new text and its finish_reason. The new text must not contain the stop. When it
    is the baseline cut just before the stop, the stop was honoured visibly and finish_reason must not be
    "length". Any other text says nothing about `stop` (the model answered differently): skipped.
    """
    picked = pick_stop(baseline)
    if picked is None:
        raise Skipped(f"not observable: the answer without stop has no word to stop at ({js(baseline[:60])})")
    stop, at = picked
    text, reason = ask(stop)
    if stop in text:
        raise ContractViolation(f"{where} {js(text[:80])} contains the stop sequence {js(stop)}")
    if text != baseline[:at]:
        raise Skipped(
            f"not observable: with stop={js(stop)} the answer {js(text[:60])} is not the answer without it "
            f"({js(baseline[:60])}) cut at the stop, so it shows nothing about stop"
        )
    expect(reason != "length", f"{where} ended at the stop sequence {js(stop)} but finish_reason is 'length'")


def judge_limit(baseline_tokens: int | None, limit: int, used: int | None, reason: Any, where: str) -> None:
    """An answer cut at a token limit ends with finish_reason "length".

    `baseline_tokens` is how long the answer is without a limit; when it exceeds `limit` the limited
    answer cannot have ended naturally, so anything but "length" misleads a client into taking a cut answer
    for a whole one. Without usage to compare, or when the baseline fits the limit, nothing is observable.
    """
    if baseline_tokens is None or used is None:
        raise Skipped("not observable: the answers carry no usage.completion_tokens to compare")
    if baseline_tokens <= limit:
        raise Skipped(f"not observable: the answer without a limit has {baseline_tokens} tokens, within {limit}")
    expect(used <= limit, f"{where}: completion_tokens = {used} exceeds the limit {limit}")
    expect(
        reason == "length",
        f"{where}: the answer was cut at {used} of its {baseline_tokens} tokens (limit {limit}) but "
        f"finish_reason is {js(reason)}, not 'length'",
    )
