"""Signed checkpoints for witnesses: public, no token needed (they hold no personal data), and one on demand.

    GET  /v1/checkpoints/latest      the latest signed checkpoint of each partition (a witness keeps copies)
    GET  /v1/checkpoints/keys        the verifier keys of the checkpoints' signatures (C2SP NAME+KEYID+KEY)
    POST /v1/admin/checkpoint        sign a checkpoint of every partition now (an admin; recorded)

The latest checkpoints answer with what `tyndau checkpoint --export FILE` writes: {"checkpoints": [...], "keys": [...]},
each checkpoint a LedgerCheckpoint with its signature in base64; `tyndau verify --witness FILE` reads it.
"""

from __future__ import annotations

import asyncio
import base64
import time
from typing import Any

from faust.web import Request, Response

from .. import settings
from ..agents.signing import checkpoint_now
from ..app import app
from ..auth.checkpoint_keys import checkpoint_verifiers
from ..avro.jsonable import jsonable
from ..kafka import checkpoints
from .access import record_access
from .base import JsonView, read_body

CACHE_SECONDS = 5.0
_cache: dict[str, Any] = {"at": 0.0, "found": None}
_reading = asyncio.Lock()   # many requests at once: one read of appeals.checkpoints, not a consumer each


async def latest() -> dict[int, dict[str, Any]]:
    """The latest checkpoint of each partition, read at most once every CACHE_SECONDS (checkpoints.latest: a
    consumer of appeals.checkpoints, from its end)."""
    async with _reading:
        if _cache["found"] is None or time.monotonic() - _cache["at"] > CACHE_SECONDS:
            _cache.update(found=await checkpoints.latest(list(checkpoint_verifiers())), at=time.monotonic())
        return _cache["found"]


def as_json(record: dict[str, Any]) -> dict[str, Any]:
    return jsonable({**record, "signature": base64.b64encode(record["signature"]).decode()})


def keys() -> list[str]:
    return [str(v) for v in checkpoint_verifiers()]


@app.page("/v1/checkpoints/latest")
class LatestCheckpoints(JsonView):
    async def get(self, request: Request) -> Response:
        try:
            found = await latest()
        except checkpoints.CheckpointsUnreadable as error:
            return self.json({"error": str(error)}, status=503)
        return self.json({"checkpoints": [as_json(found[p]) for p in sorted(found)], "keys": keys()})


@app.page("/v1/checkpoints/keys")
class CheckpointKeys(JsonView):
    async def get(self, request: Request) -> Response:
        return self.json({"keys": keys(), "origin": settings.CHECKPOINT_ORIGIN,
                          "format": "C2SP signed-note (Ed25519) over a C2SP tlog-checkpoint of <origin>/<partition>"})


@app.page("/v1/admin/checkpoint")
class CheckpointNow(JsonView):
    async def post(self, request: Request) -> Response:
        await read_body(request, limit=1024)   # as JSON or empty: no cross-site form post signs anything
        await record_access(request, "sign_checkpoint", "checkpoints", "all")
        written = await checkpoint_now(force=True)
        _cache["found"] = None
        return self.json({"checkpoints": [as_json(r) for r in written], "keys": keys()}, status=201)
