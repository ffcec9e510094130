"""Running the worker: rebuild the projections, the OpenAPI document, health.

    POST /v1/admin/rebuild           rebuild the projections from offset 0 (409 while one runs)
    GET  /v1/admin/rebuild           the rebuild's progress
    GET  /openapi.json               the OpenAPI 3.1 description (streams/contracts/openapi.py)
    GET  /health
"""

from __future__ import annotations

from faust.web import Request, Response

from .. import settings
from ..agents.rebuild import rebuild_status, request_rebuild
from ..app import app
from ..contracts.openapi import openapi_document
from .base import JsonView


@app.page("/v1/admin/rebuild")
class Rebuild(JsonView):
    async def post(self, request: Request) -> Response:
        if not request_rebuild():
            return self.json({"error": "a rebuild is already running", **rebuild_status()}, status=409)
        return self.json(rebuild_status(), status=202)

    async def get(self, request: Request) -> Response:
        return self.json(rebuild_status())


@app.page("/openapi.json")
class OpenApi(JsonView):
    async def get(self, request: Request) -> Response:
        return self.json(openapi_document())


@app.page("/health")
class Health(JsonView):
    async def get(self, request: Request) -> Response:
        return self.json({"status": "ok", "kafka": settings.KAFKA_BOOTSTRAP})
