"""Who is calling and what they may read: bearer tokens checked, one read right per endpoint, a rate
limit per principal, and an access log without personal data.

    GET  /v1/me                      the caller's principal: name, role, bodies, regions

Every endpoint names the right it needs in ENDPOINTS (the rights and which roles hold them are
the domain's READS table); PUBLIC lists the few that serve only public, non-personal data by
design. A request without a valid token for a protected endpoint is answered 401, one outside
the principal's rights 403, and one over the principal's rate 429. An endpoint that is in
neither table is refused to everyone: a new view must be given its right before it answers.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from datetime import datetime, timezone
from typing import Any

from aiohttp import web
from faust.web import Request, Response

from .. import settings
from ..app import app
from ..auth.keys import TOKENS_FILE, ring_file
from ..auth.tokens import AuthError, VerifiedTokens
from ..domain.principals import Principal, may_read
from ..kafka.access import AccessNotRecorded, AccessWriter, access_record, purpose_problem
from ..kafka.revocations import Revocations
from ..telemetry import HTTP_REQUESTS
from .base import ClientError, JsonView

log = logging.getLogger("tyndau.access")

PUBLIC: frozenset[tuple[str, str]] = frozenset({
    ("GET", "/health"), ("GET", "/"), ("GET", "/static/{name}"), ("GET", "/openapi.json"), ("GET", "/v1/regions"),
    ("GET", "/v1/checkpoints/latest"), ("GET", "/v1/checkpoints/keys"),   # signed hashes: public by design
})
# (method, route) -> the read right it needs (streams.domain.principals.READS).
ENDPOINTS: dict[tuple[str, str], str] = {
    ("POST", "/v1/commands"): "commands",
    ("POST", "/v1/commands/{command_type}"): "commands",
    ("GET", "/v1/outcomes/{command_id}"): "outcomes",
    ("GET", "/v1/ranking"): "figures",
    ("GET", "/v1/kpis"): "figures",
    ("GET", "/v1/trend"): "figures",
    ("GET", "/v1/escalations"): "figures",
    ("GET", "/v1/overdue"): "figures",
    ("POST", "/v1/query/{name}"): "queries",
    ("GET", "/v1/appeals/{appeal_id}/history"): "history",   # personal=true needs "personal" too
    ("GET", "/v1/appeals/{appeal_id}/proof"): "history",
    ("POST", "/v1/admin/rebuild"): "administer",
    ("POST", "/v1/admin/erase"): "erase",
    ("POST", "/v1/admin/checkpoint"): "administer",
    ("GET", "/v1/admin/rebuild"): "operations",
    ("GET", "/v1/admin/health"): "operations",
    ("GET", "/metrics"): "operations",
    ("GET", "/v1/me"): "identity",
}

revocations = Revocations()
access_writer = AccessWriter()
verified_tokens = VerifiedTokens()
LOADING_SECONDS = 10.0   # how long a request waits for the revocation list at start before 503


@app.task
async def follow_revocations() -> None:
    """Keeps `revocations` up to date (appeals.revocations), from the worker's start on."""
    await revocations.follow()


def route_of(request: web.Request) -> str | None:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else None


def _bearer(request: web.Request) -> str | None:
    value = request.headers.get("Authorization", "")
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


class RateLimiter:
    """A token bucket per principal: `rate` requests a second, bursts of up to two seconds' worth."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.buckets: dict[tuple[str, str], tuple[float, float]] = {}

    def allow(self, principal: Principal, now: float) -> bool:
        if self.rate <= 0:
            return True
        key = (principal.role, principal.name)
        tokens, last = self.buckets.get(key, (2 * self.rate, now))
        tokens = min(2 * self.rate, tokens + (now - last) * self.rate)
        if tokens < 1:
            self.buckets[key] = (tokens, now)
            return False
        self.buckets[key] = (tokens - 1, now)
        if len(self.buckets) > 100_000:   # principals are few; a flood of names must not grow this forever
            self.buckets.clear()
        return True


limiter = RateLimiter(settings.HTTP_RATE_LIMIT)


def _refused(status: int, message: str, **headers: str) -> web.Response:
    return web.json_response({"error": message}, status=status, headers=headers)


async def _authenticated(request: web.Request) -> Principal | web.Response:
    token = _bearer(request)
    if token is None:
        return _refused(401, "this endpoint needs a credential: send Authorization: Bearer <token> (tyndau token issue)",
                        **{"WWW-Authenticate": 'Bearer realm="tyndau"'})
    if not revocations.loaded.is_set():
        try:
            await asyncio.wait_for(revocations.loaded.wait(), LOADING_SECONDS)
        except asyncio.TimeoutError:
            pass
    if not revocations.current():
        return _refused(503, "the worker cannot read the list of revoked credentials (appeals.revocations) just now; "
                             "try again shortly", **{"Retry-After": "2"})
    try:
        return verified_tokens.principal(ring_file(TOKENS_FILE).current(), token, datetime.now(timezone.utc), revocations)
    except AuthError as error:
        return _refused(401, error.detail, **{"WWW-Authenticate": 'Bearer realm="tyndau", error="invalid_token"'})


@web.middleware
async def authenticate(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        return await _authenticate(request, handler)
    except web.HTTPException:
        raise   # aiohttp's own answers (404, 405)
    except Exception as error:  # a bug or an outage here must still be a JSON 500 that leaks nothing
        request_id = str(uuid.uuid4())
        log.error("checking the credential of %s %s failed (request %s): %s", request.method, route_of(request),
                  request_id, type(error).__name__, exc_info=error)
        return web.json_response({"error": "internal error; quote the request id when reporting it",
                                  "request_id": request_id}, status=500)


async def _authenticate(request: web.Request, handler: Any) -> web.StreamResponse:
    started = time.monotonic()
    request_id = request["request_id"] = str(uuid.uuid4())   # in the access log, the response and access records
    method = "GET" if request.method == "HEAD" else request.method
    route = route_of(request)
    principal: Principal | None = None
    response: web.StreamResponse
    if route is None or (method, route) in PUBLIC:
        response = await handler(request)
    else:
        outcome = await _authenticated(request)
        if isinstance(outcome, web.Response):
            response = outcome
        else:
            principal = outcome
            right = ENDPOINTS.get((method, route))
            if right is None or not may_read(principal.role, right):
                response = _refused(403, f"a {principal.role} principal may not call {method} {route}")
            elif not limiter.allow(principal, started):
                response = _refused(429, f"over {settings.HTTP_RATE_LIMIT:g} requests a second for {principal.name}; slow down",
                                    **{"Retry-After": "1"})
            else:
                request["principal"] = principal
                response = await handler(request)
    # The route's template, never its path or query (they may hold ids and search terms), and who called.
    log.info("%s %s %s %s %s %.1fms %s", method, route or "(no route)", response.status,
             principal.role if principal else "-", principal.name if principal else "-",
             (time.monotonic() - started) * 1000, request_id)
    HTTP_REQUESTS.labels(method, route or "(no route)", str(response.status)).inc()
    if not response.prepared:
        response.headers["X-Request-Id"] = request_id
    return response


def principal_of(request: Request) -> Principal:
    return request["principal"]


def require(request: Request, right: str) -> Principal:
    """The caller, when it holds `right` beyond its endpoint's own; ClientError 403 otherwise."""
    principal = principal_of(request)
    if not may_read(principal.role, right):
        raise ClientError(403, f"a {principal.role} principal may not read {right} data")
    return principal


def stated_purpose(request: Request) -> str:
    purpose = request.query.get("purpose")
    problem = purpose_problem(purpose)
    if problem:
        raise ClientError(400, f"reading personal data needs purpose=…: {problem}")
    return purpose


async def record_access(request: Request, what: str, object_type: str, obj: str, purpose: str | None = None) -> None:
    """Append the access to appeals.access and return once it is durable; 503 when it cannot be."""
    principal = principal_of(request)
    record = access_record(principal, what, object_type, obj, purpose=purpose, request_id=request.get("request_id"))
    try:
        await access_writer.record(record)
    except AccessNotRecorded as error:
        raise ClientError(503, str(error)) from None


@app.page("/v1/me")
class Me(JsonView):
    async def get(self, request: Request) -> Response:
        return self.json(principal_of(request).as_dict())


def install(web_app: web.Application) -> None:
    if authenticate not in web_app.middlewares:
        web_app.middlewares.append(authenticate)
