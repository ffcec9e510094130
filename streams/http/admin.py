"""Running the worker: rebuild the projections, the OpenAPI document, health.

    POST /v1/admin/rebuild           rebuild the projections from offset 0 (409 while one runs)
    GET  /v1/admin/rebuild           the rebuild's progress
    GET  /openapi.json               the OpenAPI 3.1 description (streams/contracts/openapi.py)
    GET  /v1/admin/health            details for operators: the broker, the keys, revoked credentials
    GET  /health                     public: whether the worker answers
"""

from __future__ import annotations

from faust.web import Request, Response

from .. import settings
from ..agents.rebuild import rebuild_status, request_rebuild
from ..app import app
from ..contracts.openapi import openapi_document
from ..auth.keys import ASSERTIONS_FILE, TOKENS_FILE, ring_file
from .access import record_access, revocations
from .base import JsonView, read_body


@app.page("/v1/admin/rebuild")
class Rebuild(JsonView):
    async def post(self, request: Request) -> Response:
        await read_body(request, limit=1024)   # as JSON or empty: no cross-site form post starts a rebuild
        await record_access(request, "rebuild", "projections", "all")
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
        return self.json({"status": "ok"})


@app.page("/v1/admin/health")
class HealthDetails(JsonView):
    async def get(self, request: Request) -> Response:
        return self.json({"status": "ok", "kafka": settings.KAFKA_BOOTSTRAP, "revoked_credentials": len(revocations.revoked),
                          "revocations_loaded": revocations.loaded.is_set(), "revocations_age_s": revocations.age(),
                          "token_key": ring_file(TOKENS_FILE).current().active,
                          "assertion_key": ring_file(ASSERTIONS_FILE).current().active})
