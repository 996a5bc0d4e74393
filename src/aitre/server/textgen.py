"""Deterministic text: a toy tokenizer and a seeded word generator.

Same request, same content: every generated value is drawn from a `random.Random` seeded with a
hash of the request (minus the fields that only change the transport, such as `stream`) and the
server seed. Ids and timestamps are the only things that differ between two identical calls.

Token model: a token is a run of letters, up to three digits or one punctuation mark, each with an
optional leading space (`" Hello"`, `","`), or a run of whitespace. `count_tokens` and the token
lists in logprobs use the same rule, so `usage` always matches what was generated.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from aitre.server.encoding import canonical

TOKEN_RE = re.compile(r"\s?[^\W\d_]+|\s?\d{1,3}|\s?[^\s\w]|\s?_+|\s+")

# Fields that change how an answer is delivered or where it is cut, not what the "model" would say: a
# sampler with a fixed seed produces the same tokens whatever max_tokens or stop is, and so does this one.
TRANSPORT_FIELDS = frozenset({
    "stream", "stream_options", "user", "metadata", "store", "service_tier", "n", "best_of", "stop",
    "max_tokens", "max_completion_tokens", "logprobs", "top_logprobs", "echo", "safety_identifier",
    "prompt_cache_key", "prompt_cache_retention", "prompt_cache_options", "encoding_format",
})

WORDS = (
    "the a relay answers every request with text that looks like language but carries no meaning "
    "model token stream choice usage reference server deterministic output seed contract spec field "
    "value schema route header body status error limit image audio task button vector index prompt "
    "quiet river stone light green blue small large early late open closed simple careful clear "
    "bright cold warm north south east west morning evening window garden paper letter number "
    "bridge city forest mountain ocean island valley meadow cloud rain snow wind fire water earth "
    "sound voice song story word line page book table chair door wall floor street road path "
    "travel build write read listen watch follow carry bring hold keep find give make take"
).split()

SENTENCE_LENGTHS = tuple(range(4, 11))
ENDINGS = (".", ".", ".", "!", "?")
STOP_REASON = "stop"
LENGTH_REASON = "length"


def tokenize(text: str) -> list[str]:
    """The tokens of `text`; joining them gives `text` back."""
    return TOKEN_RE.findall(text)


def count_tokens(text: str) -> int:
    return len(TOKEN_RE.findall(text))


def detokenize(ids: Iterable[int]) -> str:
    """Text for a prompt given as token ids: each id names a vocabulary word."""
    return "".join(" " + WORDS[token_id % len(WORDS)] for token_id in ids)


def request_key(body: Mapping[str, Any], seed: int, *, extra: str = "") -> str:
    """A stable digest of what a request asks for (transport fields left out)."""
    relevant = {key: value for key, value in body.items() if key not in TRANSPORT_FIELDS}
    digest = hashlib.blake2b(f"{seed}|{extra}|{canonical(relevant)}".encode(), digest_size=16)
    return digest.hexdigest()


def rng_for(key: str, *salt: object) -> random.Random:
    """A generator seeded by the request key and a salt (choice index, purpose...)."""
    digest = hashlib.blake2b(f"{key}|{'|'.join(map(str, salt))}".encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(digest, "big"))


def sentences(rng: random.Random, min_tokens: int, max_tokens: int, *, leading_space: bool) -> str:
    """Whole sentences of vocabulary words, between roughly min_tokens and max_tokens tokens long."""
    target = rng.randint(min_tokens, max_tokens)
    # One draw of all words and sentence shapes: this runs on every request, so calls are kept few.
    words = rng.choices(WORDS, k=target + 10)
    lengths = rng.choices(SENTENCE_LENGTHS, k=target // 4 + 1)
    endings = rng.choices(ENDINGS, k=len(lengths))
    parts: list[str] = []
    used = 0
    for length, ending in zip(lengths, endings, strict=True):
        parts.append(" ".join(words[used : used + length]).capitalize() + ending)
        used += length
        if used + len(parts) >= target:
            break
    text = " ".join(parts)
    return " " + text if leading_space else text


@dataclass(frozen=True)
class Generated:
    """One choice's text after stop sequences and the token limit, and why it ended."""

    text: str
    finish_reason: str

    @property
    def tokens(self) -> list[str]:
        return tokenize(self.text)


def cut(full: str, max_tokens: int | None, stop: Iterable[str]) -> Generated:
    """Apply stop sequences and `max_tokens` the way a sampler would: whichever comes first wins.

    A stop sequence ends the text just before it (and is not part of the text); the token limit ends
    it after `max_tokens` tokens with finish_reason `length`.
    """
    tokens = tokenize(full)
    limit_chars = len(full) if max_tokens is None or max_tokens >= len(tokens) else len("".join(tokens[:max_tokens]))
    first_stop: int | None = None
    for sequence in stop:
        if not sequence:
            continue
        at = full.find(sequence)
        if at != -1 and at + len(sequence) <= limit_chars and (first_stop is None or at < first_stop):
            first_stop = at
    if first_stop is not None:
        return Generated(full[:first_stop], STOP_REASON)
    if limit_chars < len(full):
        return Generated(full[:limit_chars], LENGTH_REASON)
    return Generated(full, STOP_REASON)


def stop_list(value: Any) -> list[str]:
    """`stop` as a list: a string, a list of strings or null."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


@dataclass(frozen=True)
class TokenLogprob:
    """The log probability of one token and of its best alternatives (most likely first)."""

    token: str
    logprob: float
    alternatives: tuple[tuple[str, float], ...]


def logprobs_for(tokens: list[str], key: str, salt: object, alternatives: int) -> list[TokenLogprob]:
    """Seeded log probabilities: the chosen token is always the most likely one at its position."""
    rng = rng_for(key, "logprobs", salt)
    result: list[TokenLogprob] = []
    for token in tokens:
        chosen = -round(rng.random() * 1.5, 4)
        others: list[tuple[str, float]] = []
        used = {token}
        value = chosen
        while len(others) < alternatives:
            candidate = (" " if token.startswith(" ") else "") + rng.choice(WORDS)
            if candidate in used:
                candidate = f"{candidate}{len(others)}"
                if candidate in used:
                    continue
            used.add(candidate)
            value = round(value - 0.25 - rng.random() * 2, 4)
            others.append((candidate, value))
        result.append(TokenLogprob(token, chosen, tuple(others)))
    return result


def utf8_bytes(token: str) -> list[int]:
    return list(token.encode("utf-8"))
