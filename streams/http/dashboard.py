"""The live dashboard: its page and static files (streams/http/static/), which call the query views.

    GET  /                       the page
    GET  /static/{file}          its script and style sheet
"""

from __future__ import annotations

import re
from pathlib import Path

from faust.web import Request, Response

from ..app import app
from .base import JsonView

STATIC = Path(__file__).resolve().parent / "static"   # the page, its script and its style sheet
STATIC_TYPES = {".js": "application/javascript", ".css": "text/css", ".html": "text/html"}


@app.page("/")
class Dashboard(JsonView):
    async def get(self, request: Request) -> Response:
        return self.html((STATIC / "index.html").read_text(encoding="utf-8"))


@app.page("/static/{name}")
class Static(JsonView):
    async def get(self, request: Request, name: str) -> Response:
        path = STATIC / name
        if not re.fullmatch(r"[A-Za-z0-9_-]+\.[a-z]+", name) or path.suffix not in STATIC_TYPES or not path.is_file():
            return self.json({"error": f"no such file {name}"}, status=404)
        return self.bytes(path.read_bytes(), content_type=STATIC_TYPES[path.suffix])
