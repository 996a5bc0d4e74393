"""The semantic checks, one module per area; importing this package registers them all."""

from aitre.conform.checks import (  # noqa: F401 - imported for their registrations
    audio,
    audio_options,
    auth,
    chat,
    chat_options,
    completions,
    embeddings,
    errors,
    images,
    images_output,
    images_stream,
    midjourney,
    mj_routes,
    models,
    protocol,
    streaming,
)
