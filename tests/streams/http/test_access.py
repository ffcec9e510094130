"""Who may read what (streams/http/access.py): the role × endpoint matrix from the domain's table, refused
credentials, regional monitors, personal data for auditors only and each such read on appeals.access."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streams.auth.assertions import sign_assertion
from streams.auth.keys import KeyRing, load
from streams.auth.tokens import issue_token
from streams.avro import codec
from streams.domain.principals import READS, ROLES, Principal, may_read
from streams.domain.privacy import PERSONAL_FIELDS
from streams.http.access import ENDPOINTS, PUBLIC, RateLimiter
from streams.settings import ROOT
from tests.support.kafka_reading import read_all

# A concrete request for each route template; POSTs send an empty object (and do not wait for an outcome).
CONCRETE = {"/v1/commands": "/v1/commands?wait=0", "/v1/commands/{command_type}": "/v1/commands/file?wait=0",
            "/v1/outcomes/{command_id}": "/v1/outcomes/no-such-command", "/v1/query/{name}": "/v1/query/ping",
            "/v1/appeals/{appeal_id}/history": "/v1/appeals/no-such-appeal/history",
            "/v1/appeals/{appeal_id}/proof": "/v1/appeals/no-such-appeal/proof"}
SCOPE = {"body": {"bodies": ("almaty-akimat",)}}
# A rebuild empties the projections other tests read: its allowed cell is asserted on a worker of its own
# (tests/streams/http/test_admin.py); here only its refusals.
NOT_CALLED_WHEN_ALLOWED = {("POST", "/v1/admin/rebuild")}


def call(worker, method: str, path: str, token: str | None = None, body: bytes | None = None,
         headers: dict | None = None) -> tuple[int, dict, dict]:
    sent = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {}), **(headers or {})}
    request = urllib.request.Request(worker.url(path), method=method, headers=sent,
                                     data=(body if body is not None else b"{}") if method == "POST" else None)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            raw = response.read()
            if response.headers.get("Content-Type", "").startswith("text/plain"):   # /metrics
                return response.status, dict(response.headers), {"text": raw.decode()}
            return response.status, dict(response.headers), json.loads(raw or b"null")
    except urllib.error.HTTPError as error:
        raw = error.read()
        return error.code, dict(error.headers), json.loads(raw) if raw else None


def token_of(worker, role: str) -> str:
    return worker.token(role, **SCOPE.get(role, {}))


MATRIX = [(role, method, route) for (method, route) in ENDPOINTS for role in ROLES]


@pytest.mark.integration
@pytest.mark.parametrize("role, method, route", MATRIX, ids=[f"{r}-{m}-{p}" for r, m, p in MATRIX])
def test_each_role_and_endpoint_is_allowed_or_refused_as_the_domain_says(worker, role, method, route):
    allowed = may_read(role, ENDPOINTS[(method, route)])
    if allowed and (method, route) in NOT_CALLED_WHEN_ALLOWED:
        pytest.skip("asserted on a worker of its own")
    status, _, body = call(worker, method, CONCRETE.get(route, route), token_of(worker, role))
    if allowed:
        assert status not in (401, 403) and status < 500, (status, body)
    else:
        assert status == 403 and role in body["error"], (status, body)


def test_every_right_an_endpoint_names_is_in_the_domain_s_table():
    assert set(ENDPOINTS.values()) <= set(READS)
    assert not set(ENDPOINTS) & PUBLIC


VIEW_ROUTES = r"""
import json
from streams import http
from streams.app import app
http.register()
print(json.dumps(sorted({(r.method, r.resource.canonical) for r in app.web.web_app.router.routes()
                         if r.method != "HEAD" and r.resource is not None})))
"""


def test_every_route_of_the_worker_is_public_by_design_or_names_its_right():
    done = subprocess.run([sys.executable, "-c", VIEW_ROUTES], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    routes = {tuple(r) for r in json.loads(done.stdout.splitlines()[-1])}
    # Faust adds its own views (/, /router, /table …); those that tyndau serves must be in one table.
    ours = {r for r in routes if r[1].startswith(("/v1/", "/health", "/openapi.json", "/static/")) or r == ("GET", "/")}
    assert ours - set(ENDPOINTS) - PUBLIC == set()
    assert set(ENDPOINTS) <= routes


@pytest.mark.integration
@pytest.mark.parametrize("method, route", sorted(ENDPOINTS))
def test_without_a_token_every_protected_endpoint_answers_401(worker, method, route):
    status, headers, body = call(worker, method, CONCRETE.get(route, route))
    assert status == 401 and headers.get("WWW-Authenticate", "").startswith("Bearer") and "Bearer" in body["error"]


@pytest.mark.integration
@pytest.mark.parametrize("path", ["/health", "/v1/regions", "/openapi.json"])
def test_public_endpoints_need_no_token(worker, path):
    assert call(worker, "GET", path)[0] == 200


def forged_tokens(worker) -> dict[str, str]:
    ring = load(worker.auth_dir / "tokens.json", create=False)
    good, _ = issue_token(ring, Principal("x", "auditor"), 3600)
    stranger = KeyRing(ring.path, ring.active, {ring.active: Ed25519PrivateKey.generate()})
    head, payload, signature = good.split(".")
    tampered_payload = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB")
    return {
        "expired": issue_token(ring, Principal("x", "auditor"), 60, datetime.now(timezone.utc) - timedelta(hours=1))[0],
        "wrong key": issue_token(stranger, Principal("x", "auditor"), 3600)[0],
        "tampered claims": f"{head}.{tampered_payload}.{signature}",
        "an assertion, not a credential": sign_assertion(load(worker.auth_dir / "assertions.json"), Principal("x", "auditor"),
                                                         b"{}", None, datetime.now(timezone.utc)).decode(),
        "no signature": f"{head}.{payload}.",
        "not a JWT": "hello",
    }


@pytest.mark.integration
@pytest.mark.parametrize("kind", ["expired", "wrong key", "tampered claims", "an assertion, not a credential",
                                  "no signature", "not a JWT"])
def test_forged_expired_and_wrong_key_tokens_are_refused(worker, kind):
    status, _, body = call(worker, "GET", "/v1/me", forged_tokens(worker)[kind])
    assert status == 401, body
    if kind == "expired":
        assert "expired" in body["error"]


@pytest.mark.integration
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=300))
def test_any_authorization_header_is_401_never_500(worker, value):
    status, _, _ = call(worker, "GET", "/v1/kpis", headers={"Authorization": value})
    assert status == 401


@pytest.mark.integration
def test_me_names_the_caller_and_its_scope(worker):
    token = worker.token("body", name="clerk-17", bodies=("almaty-akimat", "almaty-roads"))
    expected = {"name": "clerk-17", "role": "body", "bodies": ["almaty-akimat", "almaty-roads"], "regions": []}
    assert call(worker, "GET", "/v1/me", token)[2] == expected


# --- regional monitors ---------------------------------------------------------------------------------------------

PERIOD = {"from": "2019-05-01", "to": "2019-05-31"}


def now() -> str:
    """A live act is dated when it happens (README: business time)."""
    return datetime.now(timezone.utc).isoformat()


def filing(appeal_id: str, region: str, body: str, at: str = "2019-05-06T10:00:00+05:00") -> dict:
    return {"type": "file", "command_id": f"{appeal_id}-1", "appeal_id": appeal_id, "at": at,
            "region": region, "body": body, "category": "roads", "channel": "eotinish",
            "citizen": {"iin": "900101301233", "name": "Aida Regional"}, "text": "a pothole on our street"}


@pytest.fixture(scope="module")
def regional(worker):
    """Two filings in Astana (71), one in Ulytau (62), in May 2019 (no other test files then), moved in by
    an importer (history: its past times are kept), projected."""
    run = uuid.uuid4().hex[:6]
    for n, region, body in ((1, "71", "astana-akimat"), (2, "71", "astana-akimat"), (3, "62", "ulytau-akimat")):
        status, answer = worker.post("/v1/commands?wait=10", filing(f"regional-{run}-{n}", region, body),
                                     token=worker.token("importer", name="legacy-import"))
        assert status == 201, answer
    query = urllib.parse.urlencode({"by": "region", **PERIOD})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if sum(r["filed"] for r in worker.get(f"/v1/ranking?{query}")) >= 3:
            return run
        time.sleep(0.2)
    pytest.fail("the filings did not reach the projection within 60 s")


def figures(worker, token: str, path: str, **params: str):
    status, _, body = call(worker, "GET", f"{path}?{urllib.parse.urlencode(params)}", token)
    assert status == 200, body
    return body


@pytest.mark.integration
def test_two_regional_monitors_each_see_only_their_region(worker, regional):
    astana, ulytau = worker.token("monitor", name="m-71", regions=("71",)), worker.token("monitor", name="m-62", regions=("62",))
    national = worker.token("monitor", name="m-kz")

    def by_region(token):
        return {r["key"]: r["filed"] for r in figures(worker, token, "/v1/ranking", by="region", **PERIOD)}

    assert by_region(astana) == {"71": 2} and by_region(ulytau) == {"62": 1}
    assert by_region(national) == {"71": 2, "62": 1}
    assert figures(worker, astana, "/v1/kpis", **PERIOD)["filed"] == 2
    assert figures(worker, ulytau, "/v1/kpis", **PERIOD)["filed"] == 1

    def trend(token):
        return sum(d["filed"] for d in figures(worker, token, "/v1/trend", to="2019-05-31", days="30"))

    assert (trend(astana), trend(ulytau), trend(national)) == (2, 1, 3)
    overdue = figures(worker, astana, "/v1/overdue", today="2019-09-01", limit="1000")
    assert overdue and {r["region"] for r in overdue} == {"71"}
    assert {r["region"] for r in figures(worker, ulytau, "/v1/escalations", limit="1000")} <= {"62"}
    # Asking for another region is refused, not silently emptied.
    status, _, body = call(worker, "GET", "/v1/ranking?by=body&region=62", astana)
    assert status == 403 and "71" in body["error"]


@pytest.mark.integration
def test_a_regional_monitor_s_named_queries_are_limited_to_its_regions(worker, regional):
    astana = worker.token("monitor", name="m-71", regions=("71",))
    parameters = {"by": "region", "region": "", "regions": ["62"], "today": "2019-06-01", **PERIOD}
    status, _, rows = call(worker, "POST", "/v1/query/ranking", astana, json.dumps(parameters).encode())
    assert status == 200 and {r["key"] for r in rows} == {"71"}   # its scope, whatever it asked for
    status, _, body = call(worker, "POST", "/v1/query/history", astana, b'{"appeal_id": "x"}')
    assert status == 403 and "regions" in body["error"]
    assert call(worker, "POST", "/v1/query/ping", worker.token("monitor"), b"")[0] == 200   # national: every query


# --- personal data: auditors only, and each read recorded ----------------------------------------------------------

def access_records(worker, obj: str) -> list[dict]:
    return [codec.decode(r.value) for r in read_all(worker.bootstrap, "appeals.access") if r.key == obj.encode()]


@pytest.mark.integration
def test_personal_history_is_for_auditors_with_a_purpose_and_each_read_is_recorded(worker, regional):
    appeal_id = f"regional-{regional}-1"
    path = f"/v1/appeals/{appeal_id}/history?personal=true"
    auditor = worker.token("auditor", name="court-7")
    status, _, body = call(worker, "GET", path, auditor)
    assert status == 400 and "purpose" in body["error"]
    for role in ("centre", "admin", "monitor", "gateway"):
        assert call(worker, "GET", path + "&purpose=curious", worker.token(role))[0] == 403, role
    assert not access_records(worker, appeal_id)   # nothing was read, nothing recorded
    status, _, document = call(worker, "GET", path + "&purpose=" + urllib.parse.quote("court case 2-7/2047"), auditor)
    assert status == 200 and document["events"][0]["payload"]["citizen"]["name"] == "Aida Regional"
    [record] = access_records(worker, appeal_id)
    assert (record["who"], record["role"], record["what"], record["object_type"], record["purpose"], record["via"]) == (
        "court-7", "auditor", "read_personal_history", "appeal", "court case 2-7/2047", "api")
    # Without personal data the history has none of it, and reading it is not an access to record.
    status, _, plain = call(worker, "GET", f"/v1/appeals/{appeal_id}/history", worker.token("centre"))
    assert status == 200 and "citizen" not in plain["events"][0]["payload"] and len(access_records(worker, appeal_id)) == 1


@pytest.mark.integration
def test_the_outcome_of_a_filing_shows_personal_data_to_auditors_only(worker):
    appeal_id = f"outcome-{uuid.uuid4().hex[:8]}"
    gateway = worker.token("gateway", name="e-otinish")
    status, answer = worker.post("/v1/commands?wait=10", filing(appeal_id, "75", "almaty-akimat", now()), token=gateway)
    assert status == 201, answer
    event = answer["event"]
    # The event names its real actor, and even the sender gets no personal data back.
    assert event["actor"] == {"role": "gateway", "id": "e-otinish", "bodies": [], "regions": []}
    assert set(PERSONAL_FIELDS["filed"]) == {"citizen"} and "citizen" not in event["payload"]
    assert "Aida" not in json.dumps(answer, ensure_ascii=False) and "pothole" not in json.dumps(answer)
    command_id = f"{appeal_id}-1"
    assert "citizen" not in call(worker, "GET", f"/v1/outcomes/{command_id}", gateway)[2]["event"]["payload"]
    auditor = worker.token("auditor", name="court-8")
    assert call(worker, "GET", f"/v1/outcomes/{command_id}", auditor)[0] == 400      # no purpose stated
    status, _, outcome = call(worker, "GET", f"/v1/outcomes/{command_id}?purpose=appeal%20audit", auditor)
    assert status == 200 and outcome["event"]["payload"]["citizen"]["iin"] == "900101301233"
    assert [r["what"] for r in access_records(worker, command_id)] == ["read_filing_outcome"]
    # Another sender's outcome is not shown, even to a principal of the same role.
    status, _, body = call(worker, "GET", f"/v1/outcomes/{command_id}", worker.token("gateway", name="another-gateway"))
    assert status == 404 and "another principal" in body["error"]


@pytest.mark.integration
def test_a_body_s_token_cannot_answer_another_body_s_appeal(worker):
    """Only the body the appeal is assigned to answers it (Administrative Procedure Code, art. 64)."""
    appeal_id = f"bodies-{uuid.uuid4().hex[:8]}"
    worker.post("/v1/commands?wait=10", filing(appeal_id, "75", "almaty-akimat", now()), token=worker.token("gateway"))
    answer = {"type": "answer", "command_id": f"{appeal_id}-2", "appeal_id": appeal_id, "at": now(),
              "outcome": "resolved", "text": "fixed"}
    status, refused = worker.post("/v1/commands?wait=10", answer, token=worker.token("body", bodies=("astana-akimat",)))
    assert status == 422 and refused["reason"] == "forbidden" and "not assigned" in refused["detail"]
    clerk = worker.token("body", name="almaty-clerk", bodies=("almaty-akimat",))
    status, accepted = worker.post("/v1/commands?wait=10", dict(answer, command_id=f"{appeal_id}-3"), token=clerk)
    assert status == 201 and accepted["event"]["actor"]["id"] == "almaty-clerk"


@pytest.mark.integration
def test_a_command_naming_its_own_actor_is_forbidden_for_all_but_importers(worker):
    appeal_id = f"claims-{uuid.uuid4().hex[:8]}"
    claimed = dict(filing(appeal_id, "75", "almaty-akimat", now()), actor={"role": "citizen", "id": "someone"})
    status, refused = worker.post("/v1/commands?wait=10", claimed, token=worker.token("gateway"))
    assert status == 422 and refused["reason"] == "forbidden"
    status, accepted = worker.post("/v1/commands?wait=10", claimed, token=worker.token("importer", name="legacy-import"))
    assert status == 201 and accepted["event"]["actor"]["id"] == "someone"
    assert accepted["event"]["imported_by"] == "legacy-import"


# --- the rate limit and the access log, without a worker -----------------------------------------------------------

def test_the_rate_limit_is_per_principal_with_a_two_second_burst():
    limiter = RateLimiter(200)
    alice, bob = Principal("alice", "monitor"), Principal("bob", "monitor")
    assert sum(limiter.allow(alice, 0.0) for _ in range(500)) == 400    # two seconds' worth at once
    assert limiter.allow(bob, 0.0)                                      # another principal is not slowed
    assert not limiter.allow(alice, 0.001)
    assert sum(limiter.allow(alice, 1.0) for _ in range(300)) == 200    # refilled at 200 a second
    assert RateLimiter(0).allow(alice, 0.0)                             # 0 = no limit


class FakeRequest(dict):
    """What the middleware reads of an aiohttp request."""

    def __init__(self, method: str, route: str, headers: dict):
        super().__init__()
        self.method, self.headers = method, headers
        resource = type("Resource", (), {"canonical": route})()
        self.match_info = type("Match", (), {"route": type("Route", (), {"resource": resource})()})()


def test_the_access_log_names_the_route_and_the_caller_never_the_path_or_query(monkeypatch, caplog):
    import asyncio

    from aiohttp import web

    from streams.http import access

    ring = KeyRing(Path("/nonexistent"), "k", {"k": Ed25519PrivateKey.generate()})
    monkeypatch.setattr(access, "ring_file", lambda name: type("R", (), {"current": lambda self: ring})())
    token, _ = issue_token(ring, Principal("court-7", "auditor"), 60)
    request = FakeRequest("GET", "/v1/appeals/{appeal_id}/history", {"Authorization": f"Bearer {token}"})

    async def handler(req):
        assert req["principal"].name == "court-7"
        return web.json_response({"citizen": "Aida Secret"})

    async def run():
        access.revocations.loaded.set()   # an asyncio.Event: set inside the loop that waits on it
        access.revocations.heard_at = time.monotonic()
        return await access.authenticate(request, handler)

    with caplog.at_level(logging.INFO, logger="tyndau.access"):
        response = asyncio.run(run())
    assert response.status == 200
    [line] = [r.getMessage() for r in caplog.records if r.name == "tyndau.access"]
    assert line.startswith("GET /v1/appeals/{appeal_id}/history 200 auditor court-7")
    assert line.endswith(response.headers["X-Request-Id"])
    assert "Aida" not in line and token not in line


@pytest.mark.integration
def test_an_oversized_purpose_or_a_non_ascii_credential_is_a_client_error_never_a_500(worker):
    auditor = worker.token("auditor")
    status, _, body = call(worker, "GET", "/v1/appeals/no-such/history?personal=true&purpose=" + "x" * 600, auditor)
    assert status == 400 and "purpose" in body["error"]
    status, _, body = call(worker, "GET", "/v1/kpis", headers={"Authorization": "Bearer " + "é" * 40})
    assert status == 401 and "ASCII" in body["error"]
