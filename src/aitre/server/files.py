"""GET /files/images/{id}: the pictures this server generated or received, for links it hands out.

This route is outside the spec on purpose (it is not part of the AITRE contract, and it lives outside
`/v1` and `/mj`). Like OpenAI's image links it needs no key, so the names are the secret: 96 bits from the
OS CSPRNG (`ids.new_id`), never derived from a task id or a clock.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from aitre.server.errors import not_found
from aitre.server.runtime import IMAGE_ROUTE, Runtime

ROUTE = IMAGE_ROUTE + "/{name}"


def image_endpoint(runtime: Runtime) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        name = str(request.path_params.get("name", ""))
        stored = runtime.images.get(name)
        if stored is None:
            raise not_found(f"No image '{name}'; only the most recent images are kept.")
        return Response(stored.data, media_type=stored.media_type, headers={"Cache-Control": "private, max-age=3600"})

    return endpoint
