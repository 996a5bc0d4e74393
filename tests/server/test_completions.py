"""POST /v1/completions through the official SDK (every response is also validated against the spec)."""

from __future__ import annotations

import openai
import pytest

MODEL = "gpt-3.5-turbo-instruct"


def test_n_choices_per_prompt_in_index_order(client: openai.OpenAI) -> None:
    result = client.completions.create(model=MODEL, prompt=["Once upon a time", "The capital of France is"], n=2)
    assert [choice.index for choice in result.choices] == [0, 1, 2, 3]
    assert result.object == "text_completion" and result.model == MODEL
    assert result.usage is not None
    assert result.usage.total_tokens == result.usage.prompt_tokens + result.usage.completion_tokens


def test_same_request_same_text(client: openai.OpenAI) -> None:
    first = client.completions.create(model=MODEL, prompt="Say this is a test", n=2, max_tokens=30)
    second = client.completions.create(model=MODEL, prompt="Say this is a test", n=2, max_tokens=30)
    assert [c.text for c in first.choices] == [c.text for c in second.choices]
    assert first.id != second.id


def test_max_tokens_gives_length(client: openai.OpenAI) -> None:
    result = client.completions.create(model=MODEL, prompt="Say this is a test", max_tokens=3)
    assert result.choices[0].finish_reason == "length"
    assert result.usage is not None and result.usage.completion_tokens == 3


def test_stop_sequence_cuts_before_it(client: openai.OpenAI) -> None:
    full = client.completions.create(model=MODEL, prompt="Tell me", max_tokens=200).choices[0].text
    word = full.split()[2]
    cut = client.completions.create(model=MODEL, prompt="Tell me", max_tokens=200, stop=[word]).choices[0]
    assert cut.finish_reason == "stop"
    assert word not in cut.text and full.startswith(cut.text)


def test_echo_and_logprobs(client: openai.OpenAI) -> None:
    result = client.completions.create(model=MODEL, prompt="Hello there", echo=True, logprobs=2, max_tokens=5,
                                       suffix=" end.")
    choice = result.choices[0]
    assert choice.text.startswith("Hello there")
    assert choice.logprobs is not None and choice.logprobs.tokens is not None
    assert "".join(choice.logprobs.tokens) == choice.text
    assert choice.logprobs.top_logprobs is not None
    assert all(top is None or len(top) == 3 for top in choice.logprobs.top_logprobs)
    assert choice.logprobs.text_offset is not None and choice.logprobs.text_offset[0] == 0


def test_token_prompts(client: openai.OpenAI) -> None:
    result = client.completions.create(model=MODEL, prompt=[[1, 2, 3], [4, 5]], max_tokens=4)
    assert len(result.choices) == 2
    assert result.usage is not None and result.usage.prompt_tokens == 5


def test_stream_matches_the_plain_answer(client: openai.OpenAI) -> None:
    plain = client.completions.create(model=MODEL, prompt="Count to three", n=2, max_tokens=12)
    chunks = list(client.completions.create(model=MODEL, prompt="Count to three", n=2, max_tokens=12, stream=True,
                                            stream_options={"include_usage": True}))
    assert len({(chunk.id, chunk.created, chunk.model) for chunk in chunks}) == 1
    texts = ["", ""]
    finishes: list[tuple[int, str]] = []
    for chunk in chunks[:-1]:
        for choice in chunk.choices:
            texts[choice.index] += choice.text
            if choice.finish_reason is not None:
                finishes.append((choice.index, choice.finish_reason))
    assert texts == [choice.text for choice in plain.choices]
    assert sorted(index for index, _ in finishes) == [0, 1]
    assert chunks[-1].choices == [] and chunks[-1].usage == plain.usage


def test_best_of_below_n_is_refused(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.completions.create(model=MODEL, prompt="x", n=3, best_of=2)
    assert caught.value.body is not None and caught.value.body.get("param") == "best_of"  # type: ignore[union-attr]


def test_chat_model_is_not_a_completions_model(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.completions.create(model="gpt-4o-mini", prompt="x")
    assert caught.value.code == "model_not_found"
