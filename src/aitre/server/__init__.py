"""The reference server: a deterministic, conformant implementation of the whole spec, no model behind it.

`create_app(settings)` gives the ASGI app; `serve_in_background(settings)` runs it on a loopback port in a
thread (the embedded target of `aitre conform`); `aitre serve` runs it in the foreground.
"""

from aitre.server.app import create_app
from aitre.server.embedded import BackgroundServer, serve_in_background
from aitre.server.settings import DEFAULT_API_KEY, ServerSettings

__all__ = ["DEFAULT_API_KEY", "BackgroundServer", "ServerSettings", "create_app", "serve_in_background"]
