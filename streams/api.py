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
import re
import uuid
from pathlib import Path
from typing import Any

import orjson
from faust.web import Request, Response, View

from . import settings
from .app import app
from .audit import LogReader, appeal_history
from .domain import bounds
from .domain.regions import REGIONS
from .jsonable import jsonable
from .domain.commands import CITIZEN_FIELDS, COMMAND_FIELDS, COMMON_FIELDS, Field
from .outcomes import OutcomeReader, OutcomeWaiter
from .topics import commands_topic
from .web import ClientError, JsonView, identifier, parse_json, query_date, query_int, query_seconds, read_body


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


async def submit(view: View, request: Request, forced_type: str | None = None) -> Response:
    """A command goes to the ledger once it is a JSON object of at most 64 KB: the ledger judges
    its fields and answers with the event or the rejection. What is not a JSON object never
    reaches Kafka (400, 413, 415)."""
    wait = query_seconds(request, "wait", 10.0, MAX_WAIT)
    body = await read_body(request)
    command = parse_json(body)
    if not isinstance(command, dict):
        raise ClientError(400, "a command is a JSON object", reason="malformed")
    if forced_type is not None:
        command["type"] = forced_type
        try:
            body = orjson.dumps(command)
        except orjson.JSONEncodeError:
            raise ClientError(400, "the command is nested too deep to be re-encoded with its type (at most 254 levels)",
                              reason="malformed") from None
        if len(body) > bounds.MAX_COMMAND_BYTES:
            raise ClientError(413, f"the command is over {bounds.MAX_COMMAND_BYTES} bytes", limit=bounds.MAX_COMMAND_BYTES)
    appeal_id = command.get("appeal_id")
    command_id = command.get("command_id")
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
class Commands(JsonView):
    async def post(self, request: Request) -> Response:
        return await submit(self, request)


@app.page("/v1/commands/{command_type}")
class TypedCommands(JsonView):
    async def post(self, request: Request, command_type: str) -> Response:
        if command_type not in COMMAND_FIELDS:
            return self.json({"error": f"unknown command type {bounds.shown(command_type)}", "types": list(COMMAND_FIELDS)}, status=404)
        return await submit(self, request, command_type)


@app.page("/v1/outcomes/{command_id}")
class Outcomes(JsonView):
    async def get(self, request: Request, command_id: str) -> Response:
        outcome = waiter.recent(command_id)
        if outcome is None:
            return self.json({"error": f"no recent outcome for command {bounds.shown(command_id)}; it may be pending or older "
                                       "than this worker"}, status=404)
        return self.json(outcome.as_json())


def _dates(request: Request) -> dict[str, Any]:
    return {name: query_date(request, name) for name in ("from", "to", "today")}


def _limit(request: Request) -> int:
    return query_int(request, "limit", 20, 1, 1000)


async def _answer(view: View, request: Request, compute) -> Response:
    """Run a projection query in the engine's thread; `compute` checks the parameters first, and
    a bad one is a 400 that says why (ClientError). An engine failure is a 500 (JsonView)."""
    from projections.clickhouse import in_db_thread

    call = compute(request)
    return view.json(jsonable(await in_db_thread(call)))


@app.page("/v1/ranking")
class Ranking(JsonView):
    async def get(self, request: Request) -> Response:
        from projections.ranking import GROUPINGS, ranking

        def compute(r: Request):
            by = r.query.get("by", "region")
            if by not in GROUPINGS:
                raise ClientError(400, f"by must be one of {', '.join(GROUPINGS)}")
            region = r.query.get("region", "")
            if region and region not in REGIONS:
                raise ClientError(400, f"region must be a first-level KATO code, e.g. 75; got {bounds.shown(region)}")
            d = _dates(r)
            return lambda: ranking(by, d["from"], d["to"], d["today"], region=region)
        return await _answer(self, request, compute)


@app.page("/v1/kpis")
class Kpis(JsonView):
    async def get(self, request: Request) -> Response:
        from projections.ranking import kpis

        def compute(r: Request):
            d = _dates(r)
            return lambda: kpis(d["from"], d["to"], d["today"])
        return await _answer(self, request, compute)


@app.page("/v1/trend")
class Trend(JsonView):
    async def get(self, request: Request) -> Response:
        from projections.ranking import trend

        def compute(r: Request):
            days, d = query_int(r, "days", 60, 1, 3650), _dates(r)
            return lambda: trend(days, d["to"])
        return await _answer(self, request, compute)


@app.page("/v1/escalations")
class Escalations(JsonView):
    async def get(self, request: Request) -> Response:
        from projections.ranking import escalations
        return await _answer(self, request, lambda r: (lambda: escalations(_limit(r))))


@app.page("/v1/overdue")
class Overdue(JsonView):
    async def get(self, request: Request) -> Response:
        from projections.ranking import overdue

        def compute(r: Request):
            limit, d = _limit(r), _dates(r)
            return lambda: overdue(limit, d["today"])
        return await _answer(self, request, compute)


DASHBOARD = Path(__file__).resolve().parent / "dashboard"
STATIC_TYPES = {".js": "application/javascript", ".css": "text/css", ".html": "text/html"}


@app.page("/")
class Dashboard(JsonView):
    async def get(self, request: Request) -> Response:
        return self.html((DASHBOARD / "index.html").read_text(encoding="utf-8"))


@app.page("/static/{name}")
class Static(JsonView):
    async def get(self, request: Request, name: str) -> Response:
        path = DASHBOARD / name
        if not re.fullmatch(r"[A-Za-z0-9_-]+\.[a-z]+", name) or path.suffix not in STATIC_TYPES or not path.is_file():
            return self.json({"error": f"no such file {name}"}, status=404)
        return self.bytes(path.read_bytes(), content_type=STATIC_TYPES[path.suffix])


@app.page("/v1/regions")
class Regions(JsonView):
    async def get(self, request: Request) -> Response:
        return self.json(REGIONS)


log_reader = LogReader()


@app.page("/v1/appeals/{appeal_id}/history")
class History(JsonView):
    async def get(self, request: Request, appeal_id: str) -> Response:
        from projections.clickhouse import in_db_thread, run_query

        identifier(appeal_id, "the appeal id")
        raw = request.query.get("as_of")
        as_of = bounds.parse_time(raw) if raw else None
        if raw and (as_of is None or bounds.time_problem(as_of)):
            raise ClientError(400, "as_of must be an ISO 8601 time with a UTC offset between "
                                   f"{bounds.EARLIEST_DAY} and {bounds.LATEST_DAY}, e.g. 2021-03-10T12:00:00+06:00")
        lineage = await in_db_thread(run_query, "history", {"appeal_id": appeal_id})
        document = await appeal_history(appeal_id, lineage, log_reader, as_of=as_of,
                                        personal=request.query.get("personal") == "true")
        if document is None:
            return self.json({"error": f"no appeal {appeal_id} in the projection (not filed, or not yet projected)"}, status=404)
        return self.json(document)


@app.page("/v1/query/{name}")
class NamedQuery(JsonView):
    """Named read-only queries from projections/queries, for CLI tools while this worker owns chDB."""

    async def post(self, request: Request, name: str) -> Response:
        from projections.clickhouse import QueryParameterError, check_parameters, in_db_thread, query_names, run_query

        if name not in query_names():
            return self.json({"error": f"no query named {bounds.shown(name)}", "queries": sorted(query_names())}, status=404)
        body = await read_body(request)
        parameters = parse_json(body) if body else {}
        try:
            checked = check_parameters(name, parameters)
        except QueryParameterError as error:
            raise ClientError(400, f"query {name}: {error}") from None
        return self.json(jsonable(await in_db_thread(run_query, name, checked)))


@app.page("/v1/admin/rebuild")
class Rebuild(JsonView):
    async def post(self, request: Request) -> Response:
        from .projector import rebuild_status, request_rebuild
        if not request_rebuild():
            return self.json({"error": "a rebuild is already running", **rebuild_status()}, status=409)
        return self.json(rebuild_status(), status=202)

    async def get(self, request: Request) -> Response:
        from .projector import rebuild_status
        return self.json(rebuild_status())


@app.page("/openapi.json")
class OpenApi(JsonView):
    async def get(self, request: Request) -> Response:
        return self.json(openapi_document())


@app.page("/health")
class Health(JsonView):
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
    if spec.kind == "string":
        prop["maxLength"] = spec.max_length
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
    schemas["Error"] = {"type": "object", "required": ["error"], "properties": {
        "error": {"type": "string", "description": "What is wrong and what to do"},
        "reason": {"type": "string", "description": "malformed, for a body that is not a JSON object"},
        "request_id": {"type": "string", "description": "On a 500: quote it when reporting the failure"}}}
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    wait = {"name": "wait", "in": "query", "schema": {"type": "number", "minimum": 0, "default": 10},
            "description": f"Seconds to wait for the outcome (at most {MAX_WAIT:g} are waited); 0 returns at once with status pending"}
    responses = {"201": {"description": "Appended: the event", **outcome},
                 "200": {"description": "Already appended earlier (duplicate command id)", **outcome},
                 "202": {"description": "Sent; the outcome was not known within `wait`", **outcome},
                 "422": {"description": "Rejected, with the reason", **outcome},
                 "400": {"description": "Not a JSON object (bad syntax, not UTF-8, nested over 1,024 deep), or a bad `wait`", **error},
                 "413": {"description": f"The body is over {bounds.MAX_COMMAND_BYTES} bytes", **error},
                 "415": {"description": "The body is not Content-Type: application/json (UTF-8)", **error}}
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
