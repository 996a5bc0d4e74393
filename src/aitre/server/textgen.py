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
from functools import cached_property
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
    digest = hashlib.blake2b(f"{seed}|{extra}|".encode() + canonical(relevant), digest_size=16)
    return digest.hexdigest()


def rng_for(key: str, *salt: object) -> random.Random:
    """A generator seeded by the request key and a salt (choice index, purpose...).

    Seeding a Mersenne Twister costs several microseconds; plain text needs only `entropy`.
    """
    digest = hashlib.blake2b(f"{key}|{'|'.join(map(str, salt))}".encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(digest, "big"))


# Bytes of entropy `sentences` reads: one for the length, one per sentence (at least 4 tokens each).
ENTROPY_BYTES = 32


def entropy(key: str, *salt: object) -> bytes:
    """`ENTROPY_BYTES` seeded bytes for `sentences`: one hash, far cheaper than seeding a generator."""
    return hashlib.blake2b(f"{key}|{salt}".encode(), digest_size=ENTROPY_BYTES).digest()


def _sentence_pool(size: int) -> tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]:
    """A fixed pool of sentences as tokens, drawn once from a constant seed.

    Each entry holds the sentence's tokens as they read at the start of a text, and as they read after
    a space (the first word absorbs it: `" Quiet"`); joining entries so gives text whose tokenization is
    exactly the concatenation, which spares every request a regex pass over its own output.
    """
    rng = random.Random(20261127)
    pool: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
    for _ in range(size):
        words = rng.choices(WORDS, k=rng.choice(SENTENCE_LENGTHS))
        sentence = " ".join(words).capitalize() + rng.choice(ENDINGS)
        pool.append((tuple(tokenize(sentence)), tuple(tokenize(" " + sentence))))
    return tuple(pool)


# 256 entries, so that one byte of entropy picks one sentence.
SENTENCES = _sentence_pool(256)


def sentence_tokens(seed_bytes: bytes, min_tokens: int, max_tokens: int, *, leading_space: bool) -> list[str]:
    """The tokens of `sentences(...)`: whole pool sentences picked by `seed_bytes` (see `entropy`),
    at least min_tokens long and at most one sentence past max_tokens."""
    target = min_tokens + seed_bytes[0] % (max_tokens - min_tokens + 1)
    tokens: list[str] = []
    position = 1
    while len(tokens) < target:
        plain, spaced = SENTENCES[seed_bytes[position % len(seed_bytes)]]
        tokens.extend(spaced if tokens or leading_space else plain)
        position += 1
    return tokens


def sentences(seed_bytes: bytes, min_tokens: int, max_tokens: int, *, leading_space: bool) -> str:
    """Whole sentences of vocabulary words, between min_tokens and roughly max_tokens tokens long."""
    return "".join(sentence_tokens(seed_bytes, min_tokens, max_tokens, leading_space=leading_space))


@dataclass(frozen=True)
class Generated:
    """One choice's text after stop sequences and the token limit, and why it ended."""

    text: str
    finish_reason: str
    known_tokens: list[str] | None = None  # the tokens of `text`, when the generator already had them

    @cached_property
    def tokens(self) -> list[str]:
        return self.known_tokens if self.known_tokens is not None else tokenize(self.text)


def cut(full: str, max_tokens: int | None, stop: Iterable[str], tokens: list[str] | None = None) -> Generated:
    """Apply stop sequences and `max_tokens` the way a sampler would: whichever comes first wins.

    A stop sequence ends the text just before it (and is not part of the text); the token limit ends
    it after `max_tokens` tokens with finish_reason `length`. `tokens`, when given, must be the
    tokenization of `full`; a prefix of it ending on a token boundary is then the prefix's tokenization.
    """
    limit_chars = len(full)
    if max_tokens is not None:
        if tokens is None:
            tokens = tokenize(full)
        if max_tokens < len(tokens):
            limit_chars = len("".join(tokens[:max_tokens]))
    first_stop: int | None = None
    for sequence in stop:
        if not sequence:
            continue
        at = full.find(sequence)
        if at != -1 and at + len(sequence) <= limit_chars and (first_stop is None or at < first_stop):
            first_stop = at
    if first_stop is not None:
        return Generated(full[:first_stop], STOP_REASON)  # may end inside a token: tokenized again
    if limit_chars < len(full):
        assert max_tokens is not None
        return Generated(full[:limit_chars], LENGTH_REASON, tokens[:max_tokens] if tokens is not None else None)
    return Generated(full, STOP_REASON, tokens)


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
