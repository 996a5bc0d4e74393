"""GET /files/images/{id}: the pictures this server generated or received, for links it hands out.

This route is outside the spec on purpose (it is not part of the AITRE contract, and it lives outside
`/v1` and `/mj`). Like OpenAI's image links it needs no key, so the names are the secret: 96 bits from the
OS CSPRNG (`ids.new_id`), never derived from a task id or a clock.

Uploaded pictures are the client's bytes under a media type the client named, served from this server's
origin. They are served inert: `nosniff`, a Content-Security-Policy that allows no script, no fetch and
sandboxes the document, SVG (which may hold script) as a download, and any type outside the known raster
formats as `application/octet-stream`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from aitre.server.errors import not_found
from aitre.server.runtime import IMAGE_ROUTE, Runtime

ROUTE = IMAGE_ROUTE + "/{name}"
# Inline styles only, for SVG viewed on its own; everything else (script, fetch, frames, forms) is refused.
CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
RASTER_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "image/avif", "image/bmp"})
SVG = "image/svg+xml"


def _headers(name: str, media_type: str) -> tuple[str, dict[str, str]]:
    """The media type to serve a stored picture as, and the headers that keep it inert."""
    headers = {
        "Cache-Control": "private, max-age=3600",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    }
    if media_type in RASTER_TYPES:
        return media_type, headers
    # SVG keeps its type, so an <img> still draws it, but opening the link downloads it instead.
    served = media_type if media_type == SVG else "application/octet-stream"
    headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return served, headers


def image_endpoint(runtime: Runtime) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        name = str(request.path_params.get("name", ""))
        stored = runtime.images.get(name)
        if stored is None:
            raise not_found(f"No image '{name}'; only the most recent images are kept.")
        media_type, headers = _headers(name, stored.media_type.lower())
        return Response(stored.data, media_type=media_type, headers=headers)

    return endpoint
