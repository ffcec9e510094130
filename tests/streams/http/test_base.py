"""What every HTTP view shares (streams/http/base.py): bounded JSON bodies, checked query parameters, JSON errors."""

from __future__ import annotations

import asyncio
import http.client
import json
import logging
import uuid
from datetime import date
from types import SimpleNamespace

import faust
import pytest
from multidict import CIMultiDict

from streams.domain import bounds
from streams.http.base import ClientError, JsonView, identifier, parse_json, query_date, query_int, query_seconds, read_body

LIMIT = bounds.MAX_COMMAND_BYTES


# --- requests the functions read: only the attributes they use -------------------------------------------------------

class Stream:
    """A request body arriving in pieces of at most `piece` bytes, as a socket delivers it."""

    def __init__(self, data: bytes, piece: int = 64 * 1024):
        self.data, self.piece, self.reads = data, piece, 0

    async def read(self, n: int = -1) -> bytes:
        self.reads += 1
        size = min(n if n > 0 else len(self.data), self.piece)
        chunk, self.data = self.data[:size], self.data[size:]
        return chunk


def request(body: bytes = b"", content_type: str | None = "application/json", declared: int | None | str = "auto",
            piece: int = 64 * 1024, query: dict | None = None) -> SimpleNamespace:
    headers = CIMultiDict() if content_type is None else CIMultiDict({"Content-Type": content_type})
    return SimpleNamespace(headers=headers, content_length=len(body) if declared == "auto" else declared,
                           content=Stream(body, piece), query=query or {})


def refused(call) -> ClientError:
    with pytest.raises(ClientError) as caught:
        asyncio.run(call) if asyncio.iscoroutine(call) else call()
    return caught.value


# --- read_body -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("content_type", ["application/json", "Application/JSON", "application/json; charset=utf-8",
                                          'application/json;charset="UTF-8"', "application/json ; charset = utf-8"])
def test_read_body_takes_json_sent_as_utf8(content_type):
    body = json.dumps({"text": "Жол жөндеу керек" * 500}).encode()
    assert asyncio.run(read_body(request(body, content_type, piece=1000))) == body


@pytest.mark.parametrize("content_type, shown", [(None, "'none'"), ("", "'none'"), ("text/plain", "'text/plain'"),
                                                 ("application/jsonx", "'application/jsonx'"),
                                                 ("application/x-www-form-urlencoded", "'application/x-www-form-urlencoded'")])
def test_read_body_refuses_a_body_that_is_not_sent_as_json_before_reading_it(content_type, shown):
    r = request(b"{}", content_type)
    error = refused(read_body(r))
    assert error.status == 415 and "application/json" in error.message and error.message.endswith(f"(got {shown})")
    assert r.content.reads == 0


@pytest.mark.parametrize("charset", ["charset=latin-1", "charset=utf-16", "charset=windows-1251"])
def test_read_body_refuses_a_charset_other_than_utf8(charset):
    r = request(b"{}", f"application/json; {charset}")
    error = refused(read_body(r))
    assert error.status == 415 and "UTF-8" in error.message and r.content.reads == 0


def test_read_body_refuses_a_declared_length_over_the_limit_without_reading():
    r = request(b"x" * 11, declared=11)
    error = refused(read_body(r, limit=10))
    assert (error.status, error.extra) == (413, {"limit": 10}) and "is 11 bytes" in error.message
    assert r.content.reads == 0


@pytest.mark.parametrize("declared", [None, 5], ids=["undeclared", "declared-too-small"])
def test_read_body_counts_what_is_streamed_whatever_was_declared(declared):
    error = refused(read_body(request(b"x" * 11, declared=declared, piece=4), limit=10))
    assert (error.status, error.extra) == (413, {"limit": 10}) and "over 10 bytes" in error.message


@pytest.mark.parametrize("declared", [None, "auto"], ids=["streamed", "declared"])
def test_read_body_takes_exactly_the_limit(declared):
    assert asyncio.run(read_body(request(b"y" * 10, declared=declared, piece=3), limit=10)) == b"y" * 10
    body = b"z" * LIMIT
    assert asyncio.run(read_body(request(body, declared=declared, piece=7000))) == body


def test_read_body_of_an_empty_request_is_empty():
    assert asyncio.run(read_body(request(b"", declared=0))) == b""


# --- parse_json ------------------------------------------------------------------------------------------------------

def test_parse_json_returns_any_json_value():
    assert parse_json(b'{"a": [1, 2.5, null, true, "\\u0416"]}') == {"a": [1, 2.5, None, True, "Ж"]}
    assert parse_json(b"[" * 1024 + b"]" * 1024) is not None   # the deepest nesting accepted


@pytest.mark.parametrize("body", [b"", b"{", b"{not json", b"{'a': 1}", b'{"a": "\xff"}', b'"\xed\xa0\x80"',
                                  b'"\\ud800"', b"[" * 1025 + b"]" * 1025, b"NaN"],
                         ids=["empty", "open", "words", "quotes", "not-utf8", "utf8-surrogate", "lone-surrogate", "deep", "nan"])
def test_parse_json_answers_400_malformed(body):
    error = refused(lambda: parse_json(body))
    assert error.status == 400 and error.extra == {"reason": "malformed"}
    assert error.message.startswith("the body is not JSON: ") and len(error.message) <= len("the body is not JSON: ") + 200


# --- query parameters ------------------------------------------------------------------------------------------------

def query(**values: str) -> SimpleNamespace:
    return SimpleNamespace(query=values)


def test_query_date_reads_a_day_within_the_bounds():
    assert query_date(query(), "from") is None and query_date(query(**{"from": ""}), "from") is None
    assert query_date(query(to="2044-03-01"), "to") == date(2044, 3, 1)
    assert query_date(query(to="1970-01-01"), "to") == bounds.EARLIEST_DAY
    assert query_date(query(to="2149-12-31"), "to") == bounds.LATEST_DAY


@pytest.mark.parametrize("raw", ["2021-13-01", "2021-02-30", "1969-12-31", "2150-01-01", "yesterday", "2021-03-01T00:00",
                                 "x" * 300])
def test_query_date_names_the_parameter_it_refuses(raw):
    error = refused(lambda: query_date(query(today=raw), "today"))
    assert error.status == 400 and error.message.startswith("today must be a date YYYY-MM-DD between 1970-01-01 and 2149-12-31")
    assert error.message.endswith(f"got {bounds.shown(raw)}") and len(error.message) < 200


def test_query_int_reads_a_whole_number_within_its_bounds():
    assert query_int(query(), "limit", 20, 1, 1000) == 20 and query_int(query(limit=""), "limit", 20, 1, 1000) == 20
    assert query_int(query(limit="1"), "limit", 20, 1, 1000) == 1
    assert query_int(query(limit="1000"), "limit", 20, 1, 1000) == 1000


@pytest.mark.parametrize("raw", ["0", "1001", "-5", "abc", "1.5", "1e3", "9" * 13])
def test_query_int_names_the_parameter_and_its_bounds(raw):
    error = refused(lambda: query_int(query(limit=raw), "limit", 20, 1, 1000))
    assert error.status == 400 and error.message == f"limit must be a whole number from 1 to 1000; got {bounds.shown(raw)}"


def test_query_seconds_reads_a_duration_and_caps_it():
    assert query_seconds(query(), "wait", 10.0, 60.0) == 10.0 and query_seconds(query(wait=""), "wait", 10.0, 60.0) == 10.0
    assert query_seconds(query(wait="0"), "wait", 10.0, 60.0) == 0.0
    assert query_seconds(query(wait="2.5"), "wait", 10.0, 60.0) == 2.5
    assert query_seconds(query(wait="1e3"), "wait", 10.0, 60.0) == 60.0


@pytest.mark.parametrize("raw", ["-1", "abc", "nan", "inf", "-inf", "1" * 13])
def test_query_seconds_names_the_parameter_it_refuses(raw):
    error = refused(lambda: query_seconds(query(wait=raw), "wait", 10.0, 60.0))
    assert error.status == 400 and error.message == f"wait must be a number of seconds from 0 to 60; got {bounds.shown(raw)}"


def test_identifier_takes_printable_text_of_at_most_128_characters():
    assert identifier("a" * 128, "the appeal id") == "a" * 128
    assert identifier("Өтініш-№1 (Алматы)", "the appeal id") == "Өтініш-№1 (Алматы)"


@pytest.mark.parametrize("value, problem", [("a" * 129, "at most 128 characters (got 129)"), ("", "a non-empty string"),
                                            ("   ", "a non-empty string"), ("a\nb", "printable text"),
                                            ("a\x00b", "printable text"), ("a\u200bb", "printable text"),
                                            ("a\ud800", "valid Unicode")])
def test_identifier_says_what_is_wrong(value, problem):
    error = refused(lambda: identifier(value, "the command id"))
    assert error.status == 400 and error.message.startswith("the command id must be ") and problem in error.message


# --- JsonView: a client's mistake is its 4xx, anything else a 500 with a request id ---------------------------------

SECRET = "password=hunter2 at db-7.internal:9000"


class Failing(JsonView):
    async def get(self, request):
        raise ConnectionError(SECRET)

    async def post(self, request):
        raise ClientError(409, "try later", retry_after=3)

    async def put(self, request):
        return self.json({"ok": True}, status=201)


@pytest.fixture(scope="module")
def view() -> Failing:
    app = faust.App(f"tyndau-test-views-{uuid.uuid4().hex[:6]}", autodiscover=False, web_enabled=False)
    return Failing(app, app.web)


def dispatched(view: Failing, method: str) -> tuple[int, dict]:
    r = SimpleNamespace(method=method, path="/v1/boom", match_info={}, query={"iin": "900101301233"},
                        headers=CIMultiDict({"Content-Type": "application/json"}))
    response = asyncio.run(view.dispatch(r))
    return response.status, json.loads(response.body)


def test_an_exception_in_a_view_is_a_500_with_a_request_id_and_no_internals(view, caplog):
    with caplog.at_level(logging.ERROR, logger="streams.http.base"):
        status, body = dispatched(view, "GET")
    assert status == 500 and set(body) == {"error", "request_id"}
    assert str(uuid.UUID(body["request_id"])) == body["request_id"]
    text = json.dumps(body)
    for internal in (SECRET, "hunter2", "ConnectionError", "Traceback", "base.py", "test_base.py"):
        assert internal not in text
    [record] = [r for r in caplog.records if r.name == "streams.http.base"]
    logged = record.getMessage()
    assert body["request_id"] in logged and "GET /v1/boom" in logged and "ConnectionError" in logged and "test_base.py" in logged
    assert "hunter2" not in logged and "900101301233" not in logged   # neither the error's text nor the request's content
    _, again = dispatched(view, "GET")
    assert again["request_id"] != body["request_id"]


def test_a_client_error_in_a_view_is_its_status_with_its_message(view):
    assert dispatched(view, "POST") == (409, {"error": "try later", "retry_after": 3})
    assert dispatched(view, "PUT") == (201, {"ok": True})


# --- the same checks in the real worker, over HTTP -------------------------------------------------------------------

def send(worker, method: str, path: str, body=b"", headers: dict | None = None) -> tuple[int, dict]:
    """One raw request (headers as given, and a credential that may call the path; a generator body
    goes chunked), its status and JSON."""
    role = "importer" if path.startswith("/v1/commands") else "auditor"
    connection = http.client.HTTPConnection("127.0.0.1", worker.http_port, timeout=30)
    try:
        connection.request(method, path, body=body,
                           headers={"Authorization": f"Bearer {worker.token(role)}", **(headers or {})})
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


JSON = {"Content-Type": "application/json"}


@pytest.mark.integration
@pytest.mark.parametrize("headers, needle", [({}, "got 'none'"), ({"Content-Type": "text/plain"}, "got 'text/plain'"),
                                             ({"Content-Type": "application/json; charset=latin-1"}, "UTF-8")],
                         ids=["missing", "text-plain", "latin-1"])
def test_worker_answers_415_for_a_body_not_sent_as_utf8_json(worker, headers, needle):
    for path in ("/v1/commands", "/v1/query/ping"):
        status, body = send(worker, "POST", path, b"{}", headers)
        assert status == 415 and needle in body["error"], (path, body)


@pytest.mark.integration
def test_worker_reads_a_body_sent_as_utf8_json_up_to_the_limit(worker):
    status, body = send(worker, "POST", "/v1/commands", b"{not json", {"Content-Type": 'application/json; charset="UTF-8"'})
    assert status == 400 and body["reason"] == "malformed"     # past the content type: judged as JSON
    exactly = json.dumps("x" * (LIMIT - 2)).encode()
    assert len(exactly) == LIMIT
    for payload in (exactly, iter([exactly[:1000], exactly[1000:]])):
        status, body = send(worker, "POST", "/v1/commands", payload, JSON)
        assert (status, body) == (400, {"error": "a command is a JSON object", "reason": "malformed"})


@pytest.mark.integration
def test_worker_answers_413_over_the_limit_declared_or_streamed(worker):
    over = json.dumps("x" * (LIMIT - 1)).encode()
    status, body = send(worker, "POST", "/v1/commands", over, JSON)
    assert status == 413 and body["limit"] == LIMIT and f"is {LIMIT + 1} bytes" in body["error"]
    status, body = send(worker, "POST", "/v1/commands", iter([over[:LIMIT // 2], over[LIMIT // 2:]]), JSON)
    assert status == 413 and body["limit"] == LIMIT and f"over {LIMIT} bytes" in body["error"]


@pytest.mark.integration
@pytest.mark.parametrize("payload", [b"{not json", b'{"a": "\xff"}', b"[" * 1025 + b"]" * 1025],
                         ids=["syntax", "not-utf8", "deep"])
def test_worker_answers_400_malformed_for_a_body_that_is_not_json(worker, payload):
    status, body = send(worker, "POST", "/v1/commands", payload, JSON)
    assert status == 400 and body["reason"] == "malformed" and body["error"].startswith("the body is not JSON")


@pytest.mark.integration
@pytest.mark.parametrize("method, path, message", [
    ("POST", "/v1/commands?wait=abc", "wait must be a number of seconds from 0 to 60; got 'abc'"),
    ("POST", "/v1/commands?wait=-1", "wait must be a number of seconds from 0 to 60; got '-1'"),
    ("POST", "/v1/commands/answer?wait=inf", "wait must be a number of seconds from 0 to 60; got 'inf'"),
    ("GET", "/v1/ranking?from=2021-13-01", "from must be a date YYYY-MM-DD between 1970-01-01 and 2149-12-31; got '2021-13-01'"),
    ("GET", "/v1/kpis?to=2150-01-01", "to must be a date YYYY-MM-DD between 1970-01-01 and 2149-12-31; got '2150-01-01'"),
    ("GET", "/v1/overdue?today=tomorrow", "today must be a date YYYY-MM-DD between 1970-01-01 and 2149-12-31; got 'tomorrow'"),
    ("GET", "/v1/overdue?limit=0", "limit must be a whole number from 1 to 1000; got '0'"),
    ("GET", "/v1/escalations?limit=1001", "limit must be a whole number from 1 to 1000; got '1001'"),
    ("GET", "/v1/trend?days=3651", "days must be a whole number from 1 to 3650; got '3651'"),
    ("GET", "/v1/trend?days=ten", "days must be a whole number from 1 to 3650; got 'ten'"),
    ("GET", f"/v1/appeals/{'a' * 200}/history", "the appeal id must be at most 128 characters (got 200)"),
    ("GET", "/v1/appeals/a%01b/history", "the appeal id must be printable text"),
])
def test_worker_answers_400_naming_the_bad_parameter(worker, method, path, message):
    status, body = send(worker, method, path, b"{}" if method == "POST" else b"", JSON if method == "POST" else {})
    assert status == 400 and body["error"].startswith(message), body


@pytest.mark.integration
def test_worker_takes_parameters_at_their_bounds(worker):
    assert send(worker, "GET", "/v1/overdue?limit=1000&today=2149-12-31")[0] == 200
    assert send(worker, "GET", "/v1/trend?days=3650&to=1970-01-01")[0] == 200
    status, body = send(worker, "GET", f"/v1/appeals/{'a' * 128}/history")
    assert status == 404 and "no appeal" in body["error"]     # a valid id, never filed
    # wait=1e3 is taken and capped; a command of no known type is rejected by the ledger at once.
    command_id = f"base-{uuid.uuid4().hex[:8]}"
    nope = json.dumps({"type": "nope", "command_id": command_id}).encode()
    status, body = send(worker, "POST", "/v1/commands?wait=1e3", nope, JSON)
    assert status == 422 and body["reason"] == "unknown_type" and body["command_id"] == command_id
    nope = json.dumps({"type": "nope", "command_id": command_id + "-2"}).encode()
    status, body = send(worker, "POST", "/v1/commands?wait=0", nope, JSON)
    assert status == 202 and body["status"] == "pending" and body["command_id"] == command_id + "-2"
