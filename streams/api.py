"""The intake HTTP API (JSON), served by the worker: send a command, wait for its outcome.

    POST /v1/commands            a command object; ?wait=SECONDS (default 10, 0 = do not wait)
    POST /v1/commands/{type}     the same, with the type taken from the path
    GET  /v1/outcomes/{command_id}   the outcome of a recent command
    GET  /v1/ranking?by=region|body|category&from=DATE&to=DATE   the listening-akimat ranking
    GET  /v1/kpis, /v1/trend, /v1/escalations, /v1/overdue   the dashboard's figures
    GET  /                       the live dashboard
    GET  /v1/appeals/{id}/history?as_of=TIME   an appeal's events from the ledger, chain checked
    POST /v1/admin/rebuild, GET /v1/admin/rebuild   rebuild the projections from offset 0
    GET  /openapi.json           the OpenAPI 3.1 description, generated from the command format
    GET  /health
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Any

from faust.web import Request, Response, View

from . import settings
from .app import app
from .audit import LogReader, appeal_history
from .domain.regions import REGIONS
from .jsonable import jsonable
from .domain.commands import CITIZEN_FIELDS, COMMAND_FIELDS, COMMON_FIELDS, Field
from .outcomes import OutcomeReader, OutcomeWaiter
from .topics import commands_topic

waiter = OutcomeWaiter()
MAX_WAIT = 60.0


@app.task
async def follow_outcomes() -> None:
    """Keeps `waiter` told of every event and rejection, from whichever worker."""
    reader = OutcomeReader()
    await reader.start()
    try:
        await reader.run(waiter)
    finally:
        await reader.stop()


def _wait_seconds(request: Request) -> float:
    raw = request.query.get("wait", "10")
    try:
        return max(0.0, min(float(raw), MAX_WAIT))
    except ValueError:
        return -1.0


async def submit(view: View, request: Request, forced_type: str | None = None) -> Response:
    wait = _wait_seconds(request)
    if wait < 0:
        return view.json({"error": "wait must be a number of seconds"}, status=400)
    body = await request.read()
    try:
        command = json.loads(body)
    except ValueError:
        command = None
    if forced_type is not None and isinstance(command, dict):
        command["type"] = forced_type
        body = json.dumps(command, ensure_ascii=False).encode()
    # Even an unreadable body goes to the ledger, which records the rejection: nothing is dropped.
    appeal_id = command.get("appeal_id") if isinstance(command, dict) else None
    command_id = command.get("command_id") if isinstance(command, dict) else None
    command_id = command_id if isinstance(command_id, str) else None
    request_id = str(uuid.uuid4())
    fut = waiter.expect(command_id, request_id) if wait > 0 else None
    await commands_topic.send(key=appeal_id.encode() if isinstance(appeal_id, str) else None, value=body,
                              headers={settings.REQUEST_ID_HEADER: request_id.encode()})
    pending = {"status": "pending", "command_id": command_id, "request_id": request_id}
    if fut is None:
        return view.json(pending, status=202)
    try:
        outcome = await asyncio.wait_for(fut, timeout=wait)
    except asyncio.TimeoutError:
        waiter.forget(request_id)
        return view.json(pending, status=202)
    status = {"accepted": 201, "duplicate": 200, "rejected": 422}[outcome.status]
    return view.json({**outcome.as_json(), "request_id": request_id}, status=status)


@app.page("/v1/commands")
class Commands(View):
    async def post(self, request: Request) -> Response:
        return await submit(self, request)


@app.page("/v1/commands/{command_type}")
class TypedCommands(View):
    async def post(self, request: Request, command_type: str) -> Response:
        if command_type not in COMMAND_FIELDS:
            return self.json({"error": f"unknown command type {command_type!r}", "types": list(COMMAND_FIELDS)}, status=404)
        return await submit(self, request, command_type)


@app.page("/v1/outcomes/{command_id}")
class Outcomes(View):
    async def get(self, request: Request, command_id: str) -> Response:
        outcome = waiter.recent(command_id)
        if outcome is None:
            return self.json({"error": f"no recent outcome for command {command_id}; it may be pending or older than this worker"}, status=404)
        return self.json(outcome.as_json())


def _dates(request: Request) -> dict[str, date | None]:
    return {name: date.fromisoformat(request.query[name]) if request.query.get(name) else None
            for name in ("from", "to", "today")}


def _limit(request: Request) -> int:
    return max(1, min(int(request.query.get("limit", "20")), 1000))


async def _answer(view: View, request: Request, compute) -> Response:
    """Run a projection query in the engine's thread; bad parameters are a 400 that says why."""
    from projections.clickhouse import in_db_thread

    try:
        call = compute(request)
    except (ValueError, KeyError) as error:
        return view.json({"error": str(error)}, status=400)
    try:
        return view.json(jsonable(await in_db_thread(call)))
    except Exception as error:  # the engine's errors reach the caller as JSON, not an HTML 500
        return view.json({"error": f"query failed: {error}"}, status=500)


@app.page("/v1/ranking")
class Ranking(View):
    async def get(self, request: Request) -> Response:
        from projections.ranking import GROUPINGS, ranking

        def compute(r: Request):
            by = r.query.get("by", "region")
            if by not in GROUPINGS:
                raise ValueError(f"by must be one of {', '.join(GROUPINGS)}")
            d = _dates(r)
            return lambda: ranking(by, d["from"], d["to"], d["today"], region=r.query.get("region", ""))
        return await _answer(self, request, compute)


@app.page("/v1/kpis")
class Kpis(View):
    async def get(self, request: Request) -> Response:
        from projections.ranking import kpis

        def compute(r: Request):
            d = _dates(r)
            return lambda: kpis(d["from"], d["to"], d["today"])
        return await _answer(self, request, compute)


@app.page("/v1/trend")
class Trend(View):
    async def get(self, request: Request) -> Response:
        from projections.ranking import trend

        def compute(r: Request):
            days, d = max(1, min(int(r.query.get("days", "60")), 3650)), _dates(r)
            return lambda: trend(days, d["to"])
        return await _answer(self, request, compute)


@app.page("/v1/escalations")
class Escalations(View):
    async def get(self, request: Request) -> Response:
        from projections.ranking import escalations
        return await _answer(self, request, lambda r: (lambda: escalations(_limit(r))))


@app.page("/v1/overdue")
class Overdue(View):
    async def get(self, request: Request) -> Response:
        from projections.ranking import overdue

        def compute(r: Request):
            limit, d = _limit(r), _dates(r)
            return lambda: overdue(limit, d["today"])
        return await _answer(self, request, compute)


DASHBOARD = Path(__file__).resolve().parent / "dashboard"
STATIC_TYPES = {".js": "application/javascript", ".css": "text/css", ".html": "text/html"}


@app.page("/")
class Dashboard(View):
    async def get(self, request: Request) -> Response:
        return self.html((DASHBOARD / "index.html").read_text(encoding="utf-8"))


@app.page("/static/{name}")
class Static(View):
    async def get(self, request: Request, name: str) -> Response:
        path = DASHBOARD / name
        if "/" in name or path.suffix not in STATIC_TYPES or not path.is_file():
            return self.json({"error": f"no such file {name}"}, status=404)
        return self.bytes(path.read_bytes(), content_type=STATIC_TYPES[path.suffix])


@app.page("/v1/regions")
class Regions(View):
    async def get(self, request: Request) -> Response:
        return self.json(REGIONS)


log_reader = LogReader()


@app.page("/v1/appeals/{appeal_id}/history")
class History(View):
    async def get(self, request: Request, appeal_id: str) -> Response:
        from projections.clickhouse import in_db_thread, run_query

        try:
            as_of = datetime.fromisoformat(request.query["as_of"]) if request.query.get("as_of") else None
            if as_of is not None and as_of.tzinfo is None:
                raise ValueError("as_of needs a UTC offset, e.g. 2021-03-10T12:00:00+06:00")
        except ValueError as error:
            return self.json({"error": f"as_of: {error}"}, status=400)
        lineage = await in_db_thread(run_query, "history", {"appeal_id": appeal_id})
        document = await appeal_history(appeal_id, lineage, log_reader, as_of=as_of,
                                        personal=request.query.get("personal") == "true")
        if document is None:
            return self.json({"error": f"no appeal {appeal_id} in the projection (not filed, or not yet projected)"}, status=404)
        return self.json(document)


@app.page("/v1/query/{name}")
class NamedQuery(View):
    """Named read-only queries from projections/queries, for CLI tools while this worker owns chDB."""

    async def post(self, request: Request, name: str) -> Response:
        from projections.clickhouse import QUERIES, in_db_thread, run_query

        if not (QUERIES / f"{name}.sql").is_file() or "/" in name:
            return self.json({"error": f"no query named {name}"}, status=404)
        parameters = json.loads(await request.read() or b"{}")
        try:
            rows = await in_db_thread(run_query, name, parameters)
        except Exception as error:  # reported to the caller as JSON
            return self.json({"error": f"query {name} failed: {error}"}, status=400)
        return self.json(jsonable(rows))


@app.page("/v1/admin/rebuild")
class Rebuild(View):
    async def post(self, request: Request) -> Response:
        from .projector import rebuild_status, request_rebuild
        if not request_rebuild():
            return self.json({"error": "a rebuild is already running", **rebuild_status()}, status=409)
        return self.json(rebuild_status(), status=202)

    async def get(self, request: Request) -> Response:
        from .projector import rebuild_status
        return self.json(rebuild_status())


@app.page("/openapi.json")
class OpenApi(View):
    async def get(self, request: Request) -> Response:
        return self.json(openapi_document())


@app.page("/health")
class Health(View):
    async def get(self, request: Request) -> Response:
        return self.json({"status": "ok", "kafka": settings.KAFKA_BOOTSTRAP})


# --- OpenAPI, generated from the one command specification ---------------------------------

_JSON_TYPES = {"string": {"type": "string"}, "datetime": {"type": "string", "format": "date-time"},
               "date": {"type": "string", "format": "date"}, "boolean": {"type": "boolean"},
               "integer": {"type": "integer"}, "object": {"type": "object"}}


def _property(spec: Field) -> dict[str, Any]:
    prop = dict(_JSON_TYPES[spec.kind])
    if spec.choices:
        prop["enum"] = list(spec.choices)
    if spec.minimum is not None:
        prop["minimum"] = spec.minimum
    if spec.maximum is not None:
        prop["maximum"] = spec.maximum
    if spec.doc:
        prop["description"] = spec.doc
    return prop


def _object(specs: tuple[Field, ...]) -> dict[str, Any]:
    return {"type": "object", "properties": {s.name: _property(s) for s in specs},
            "required": [s.name for s in specs if s.required]}


def openapi_document() -> dict[str, Any]:
    schemas: dict[str, Any] = {"Citizen": _object(CITIZEN_FIELDS)}
    for kind, specs in COMMAND_FIELDS.items():
        schema = _object(COMMON_FIELDS + specs)
        schema["properties"]["type"] = {"const": kind}
        if kind == "file":
            schema["properties"]["citizen"] = {"$ref": "#/components/schemas/Citizen"}
        schemas[f"{kind.capitalize()}Command"] = schema
    schemas["Command"] = {"oneOf": [{"$ref": f"#/components/schemas/{k.capitalize()}Command"} for k in COMMAND_FIELDS],
                          "discriminator": {"propertyName": "type"}}
    schemas["Outcome"] = {"type": "object", "required": ["status"], "properties": {
        "status": {"enum": ["accepted", "rejected", "duplicate", "pending"]},
        "command_id": {"type": ["string", "null"]}, "request_id": {"type": "string"},
        "event": {"type": "object", "description": "The appended AppealEvent (accepted)"},
        "reason": {"type": "string", "description": "Reason code (rejected, duplicate)"},
        "detail": {"type": "string"}, "appeal_id": {"type": ["string", "null"]}}}
    outcome = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Outcome"}}}}
    wait = {"name": "wait", "in": "query", "schema": {"type": "number", "minimum": 0, "maximum": MAX_WAIT, "default": 10},
            "description": "Seconds to wait for the outcome; 0 returns at once with status pending"}
    responses = {"201": {"description": "Appended: the event", **outcome},
                 "200": {"description": "Already appended earlier (duplicate command id)", **outcome},
                 "202": {"description": "Sent; the outcome was not known within `wait`", **outcome},
                 "422": {"description": "Rejected, with the reason", **outcome}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "tyndau intake", "version": "1", "description": "Commands for citizens' appeals; each becomes an event on appeals.events or a record on appeals.rejected."},
        "paths": {
            "/v1/commands": {"post": {"operationId": "sendCommand", "parameters": [wait],
                                      "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Command"}}}},
                                      "responses": responses}},
            "/v1/commands/{type}": {"post": {"operationId": "sendTypedCommand", "parameters": [
                wait, {"name": "type", "in": "path", "required": True, "schema": {"enum": list(COMMAND_FIELDS)}}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}},
                "responses": responses}},
            "/v1/outcomes/{command_id}": {"get": {"operationId": "getOutcome", "parameters": [
                {"name": "command_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "The outcome", **outcome}, "404": {"description": "Unknown or pending"}}}},
        },
        "components": {"schemas": schemas},
    }
