"""GET /v1/models, GET and DELETE /v1/models/{model}."""

from __future__ import annotations

import openai
import pytest

from aitre.server.settings import DEFAULT_MODELS

REQUIRED = {"gpt-4o-mini", "gpt-4o", "gpt-3.5-turbo", "gpt-4o-image", "gpt-3.5-turbo-instruct",
            "text-embedding-3-small", "text-embedding-3-large", "text-embedding-ada-002", "dall-e-2", "dall-e-3",
            "gpt-image-1", "flux", "tts-1", "tts-1-hd", "whisper-1"}


def test_list_has_every_served_model(client: openai.OpenAI) -> None:
    ids = [model.id for model in client.models.list()]
    assert REQUIRED <= set(ids)
    assert len(ids) == len(set(ids)) == len({m for models in DEFAULT_MODELS.values() for m in models})


def test_retrieve_equals_list_entry(client: openai.OpenAI) -> None:
    listed = {model.id: model for model in client.models.list()}
    assert client.models.retrieve("whisper-1") == listed["whisper-1"]


def test_unknown_model_is_404(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.models.retrieve("gpt-unknown")
    assert caught.value.code == "model_not_found"


def test_base_models_cannot_be_deleted(client: openai.OpenAI) -> None:
    with pytest.raises(openai.PermissionDeniedError):
        client.models.delete("gpt-4o")
