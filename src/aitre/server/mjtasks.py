"""MidJourney tasks: the stored record, its lifecycle and its buttons.

A task moves one status step every `mj_fetches_per_step` times a client looks at it (fetch or
list-by-condition): the first look sees NOT_START, then SUBMITTED, IN_PROGRESS and SUCCESS. A task whose prompt contains
FAIL_WORD ends in FAILURE instead, so clients can exercise their failure path. A task created by a button
that opens a dialog (custom zoom, vary region) waits in MODAL until /mj/submit/modal.
"""

from __future__ import annotations

import hashlib
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

LIFECYCLE = ("NOT_START", "SUBMITTED", "IN_PROGRESS")
PROGRESS = {"NOT_START": "0%", "SUBMITTED": "0%", "IN_PROGRESS": "50%", "SUCCESS": "100%", "MODAL": "0%",
            "FAILURE": ""}
FAIL_WORD = "aitre-fail"
GRID_ACTIONS = ("IMAGINE", "VARIATION", "REROLL", "BLEND", "HIGH_VARIATION", "LOW_VARIATION", "PAN", "ZOOM",
                "CUSTOM_ZOOM", "INPAINT")
_counter = itertools.count()


def new_task_id() -> str:
    """Unix milliseconds plus three digits, the form midjourney-proxy uses."""
    return f"{int(time.time() * 1000)}{next(_counter) % 1000:03d}"


def _millis() -> int:
    return int(time.time() * 1000)


@dataclass
class Task:
    """One stored task; `to_json` renders it as the spec's MjTask with every key present."""

    id: str
    action: str
    prompt: str
    description: str
    bot_type: str = "MID_JOURNEY"
    state: str | None = None
    custom_id: str = ""
    status: str = "NOT_START"
    submit_time: int = field(default_factory=_millis)
    start_time: int = 0
    finish_time: int = 0
    image_url: str = ""
    fail_reason: str | None = None
    mask_base64: str | None = None
    final_prompt: str = ""
    notify_hook: str | None = None
    looks: int = 0
    source_id: str | None = None
    width: int = 512
    height: int = 512

    @property
    def message_hash(self) -> str:
        return hashlib.blake2b(self.id.encode(), digest_size=16).hexdigest()

    @property
    def seed(self) -> str:
        return str(int.from_bytes(hashlib.blake2b(f"seed|{self.id}".encode(), digest_size=4).digest(), "big"))

    def advance(self, looks_per_step: int) -> bool:
        """Count one look and catch the status up with it. True when the task has just succeeded.

        The first look sees the status the task was created with; every `looks_per_step` further looks
        move it one step, so with 1 a poller sees NOT_START, SUBMITTED, IN_PROGRESS and then SUCCESS.
        """
        if self.status not in LIFECYCLE:
            return False  # finished, or waiting in MODAL
        self.looks += 1
        target = (self.looks - 1) // max(1, looks_per_step)
        while self.status in LIFECYCLE and target > LIFECYCLE.index(self.status):
            if self.status == LIFECYCLE[-1]:
                return self._finish()
            self.status = LIFECYCLE[LIFECYCLE.index(self.status) + 1]
            if self.status == "IN_PROGRESS":
                self.start_time = max(_millis(), self.submit_time)
        return False

    def _finish(self) -> bool:
        self.finish_time = max(_millis(), self.start_time)
        if FAIL_WORD in self.prompt:
            self.status = "FAILURE"
            self.fail_reason = f"The prompt contains '{FAIL_WORD}', which this reference server always fails."
            return False
        self.status = "SUCCESS"
        if self.action == "DESCRIBE":
            self.prompt = self.final_prompt  # a describe task's prompt is its suggestions once it has them
        return True

    def buttons(self) -> list[dict[str, Any]]:
        """The Discord buttons of a finished picture: U/V/reroll under a grid, the Plus set under an upscale."""
        if self.status != "SUCCESS":
            return []
        h = self.message_hash
        if self.action in GRID_ACTIONS:
            ups = [_button(f"MJ::JOB::upsample::{i}::{h}", f"U{i}") for i in range(1, 5)]
            reroll = [_button(f"MJ::JOB::reroll::0::{h}::SOLO", "", "🔄")]
            variations = [_button(f"MJ::JOB::variation::{i}::{h}", f"V{i}") for i in range(1, 5)]
            return ups + reroll + variations
        if self.action == "UPSCALE":
            return [
                _button(f"MJ::JOB::high_variation::1::{h}::SOLO", "Vary (Strong)", "🪄"),
                _button(f"MJ::JOB::low_variation::1::{h}::SOLO", "Vary (Subtle)", "🪄"),
                _button(f"MJ::Inpaint::1::{h}::SOLO", "Vary (Region)", "🖌️"),
                _button(f"MJ::Outpaint::50::1::{h}::SOLO", "Zoom Out 2x", "🔍"),
                _button(f"MJ::Outpaint::75::1::{h}::SOLO", "Zoom Out 1.5x", "🔍"),
                _button(f"MJ::CustomZoom::{h}", "Custom Zoom", "🔍"),
                *(_button(f"MJ::JOB::pan_{way}::1::{h}::SOLO", "", arrow)
                  for way, arrow in (("left", "⬅️"), ("right", "➡️"), ("up", "⬆️"), ("down", "⬇️"))),
            ]
        return []

    def to_json(self) -> dict[str, Any]:
        properties: dict[str, Any] = {"finalPrompt": self.final_prompt or self.prompt, "discordInstanceId": "aitre",
                                      "messageId": self.message_hash[:18], "messageHash": self.message_hash}
        if self.notify_hook:
            properties["notifyHook"] = self.notify_hook
        return {
            "id": self.id,
            "action": self.action,
            "customId": self.custom_id,
            "botType": self.bot_type,
            "prompt": self.prompt,
            "promptEn": self.prompt,
            "description": self.description,
            "state": self.state,
            "submitTime": self.submit_time,
            "startTime": self.start_time,
            "finishTime": self.finish_time,
            "imageUrl": self.image_url if self.status == "SUCCESS" else "",
            "status": self.status,
            "progress": PROGRESS.get(self.status, ""),
            "failReason": self.fail_reason,
            "maskBase64": self.mask_base64,
            "properties": properties,
            "buttons": self.buttons(),
        }


def _button(custom_id: str, label: str, emoji: str = "") -> dict[str, Any]:
    return {"customId": custom_id, "emoji": emoji, "label": label, "type": 2, "style": 2}


def action_for(custom_id: str) -> tuple[str, int] | None:
    """The task action (and picture index) a button's customId stands for, as new-api maps it."""
    parts = custom_id.split("::")
    if len(parts) < 3 or parts[0] != "MJ":
        return None
    verb = parts[2] if parts[1] == "JOB" else parts[1]
    index = int(parts[3]) if len(parts) > 3 and parts[3].isdigit() else 0
    for needle, action in (("low_variation", "LOW_VARIATION"), ("high_variation", "HIGH_VARIATION"),
                           ("upsample", "UPSCALE"), ("variation", "VARIATION"), ("pan", "PAN"),
                           ("reroll", "REROLL"), ("CustomZoom", "CUSTOM_ZOOM"), ("Outpaint", "ZOOM"),
                           ("Inpaint", "INPAINT")):
        if needle in verb:
            return action, index
    return None
