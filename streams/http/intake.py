"""The intake: a command over HTTP goes to appeals.commands, and the caller waits for its outcome.

    POST /v1/commands                a command object; ?wait=SECONDS (default 10, 0 = do not wait)
    POST /v1/commands/{type}         the same, with the type taken from the path
    GET  /v1/outcomes/{command_id}   the outcome of a recent command

The caller's credential decides who the command is from: the API writes it with a `tyndau-auth`
header, an assertion signed with the API's key over the command's bytes and id, which the
ledger checks. Outcomes show personal data (a filing's citizen, free texts) to auditors only,
and each such read is recorded on appeals.access.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timezone
from typing import Any

import orjson
from faust.web import Request, Response, View

from .. import topics
from ..agents.channels import commands_topic
from ..app import app
from ..audit.history import opened_fields
from ..auth.assertions import sign_assertion
from ..auth.keys import ASSERTIONS_FILE, ring_file
from ..auth.master_key import master_key
from ..avro.jsonable import jsonable
from ..domain import bounds
from ..domain.commands import COMMAND_FIELDS
from ..domain.principals import Principal, may_read
from ..domain.privacy import PERSONAL_FIELDS, public_payload
from ..domain.sealing import KeyUnavailable
from ..kafka.outcomes import Outcome, OutcomeReader, OutcomeWaiter
from .access import principal_of, record_access, stated_purpose
from .base import ClientError, JsonView, parse_json, query_seconds, read_body

waiter = OutcomeWaiter()


@app.task
async def follow_outcomes() -> None:
    """Keeps `waiter` told of every event and rejection, from whichever worker."""
    reader = OutcomeReader()
    await reader.start()
    try:
        await reader.run(waiter)
    finally:
        await reader.stop()


def outcome_for(outcome: Outcome, principal: Principal) -> dict[str, Any]:
    """The outcome as `principal` may see it: without personal fields unless it may read them."""
    shown = outcome.as_json()
    event = shown.get("event")
    if event is not None and PERSONAL_FIELDS.get(event["event_type"]) and not may_read(principal.role, "personal"):
        shown["event"] = {**event, "payload": public_payload(event)}
    return shown


def sent_by_or_audited(outcome: Outcome, principal: Principal) -> bool:
    return may_read(principal.role, "personal") or outcome.sent_by() == (principal.role, principal.name)


def holds_personal_data(outcome: Outcome) -> bool:
    return outcome.status == "accepted" and bool(PERSONAL_FIELDS.get(outcome.record["event_type"]))


async def submit(view: View, request: Request, forced_type: str | None = None) -> Response:
    """A command goes to the ledger once it is a JSON object of at most 64 KB: the ledger judges
    its fields and answers with the event or the rejection. What is not a JSON object never
    reaches Kafka (400, 413, 415)."""
    wait = query_seconds(request, "wait", 10.0, bounds.MAX_WAIT_SECONDS)
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
    request_id = request.get("request_id") or str(uuid.uuid4())
    principal = principal_of(request)
    assertion = sign_assertion(ring_file(ASSERTIONS_FILE).current(), principal, body, command_id, datetime.now(timezone.utc))
    fut = waiter.expect(appeal_id if isinstance(appeal_id, str) else None, command_id, request_id) if wait > 0 else None
    await commands_topic.send(key=appeal_id.encode() if isinstance(appeal_id, str) else None, value=body,
                              headers={topics.REQUEST_ID_HEADER: request_id.encode(), topics.AUTH_HEADER: assertion})
    pending = {"status": "pending", "command_id": command_id, "request_id": request_id}
    if fut is None:
        return view.json(pending, status=202)
    try:
        outcome = await asyncio.wait_for(fut, timeout=wait)
    except asyncio.TimeoutError:
        waiter.forget(request_id)
        return view.json(pending, status=202)
    status = {"accepted": 201, "duplicate": 200, "rejected": 422}[outcome.status]
    return view.json({**outcome_for(outcome, principal), "request_id": request_id}, status=status)


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
        principal = principal_of(request)
        # Only the sender's own outcomes (auditors see every one): another principal's command that
        # happens to use the same id is neither shown nor taken for this one.
        visible = [o for o in waiter.recent(command_id) if sent_by_or_audited(o, principal)]
        if not visible:
            return self.json({"error": f"no recent outcome of yours for command {bounds.shown(command_id)}; it may be "
                                       "pending, older than this worker, or another principal's"}, status=404)
        outcome = visible[0]
        shown = outcome_for(outcome, principal)
        if holds_personal_data(outcome) and may_read(principal.role, "personal"):
            await record_access(request, "read_filing_outcome", "command", command_id, stated_purpose(request))
            try:
                shown["event"]["payload"].update(jsonable(await opened_fields(outcome.record, master_key())))
            except KeyUnavailable as error:
                raise ClientError(503, f"the filing's personal data cannot be opened here: {error}") from None
        return self.json(shown)
