"""streams/clients/worker_api.py against a real HTTP server: JSON answers, and errors and a missing worker as SystemExit."""

from __future__ import annotations

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from streams.clients.worker_api import NoWorker, call_worker, query_string, worker_json
from streams.devtools.broker import free_port

LONG_PAGE = b"<html><body>" + b"Internal Server Error " * 100 + b"</body></html>"


class Handler(BaseHTTPRequestHandler):
    seen: list[dict] = []

    def log_message(self, *args) -> None:   # quiet
        pass

    def _answer(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        self.seen.append({"method": self.command, "path": self.path, "body": body, "type": self.headers.get("Content-Type")})
        route = urllib.parse.urlsplit(self.path).path
        if route == "/v1/echo":
            self._answer(200, json.dumps({"method": self.command, "path": self.path,
                                          "body": json.loads(body) if body else None}).encode())
        elif route == "/v1/refused":
            self._answer(422, json.dumps({"error": "appeal A-1 is already answered; send a reopen first"}).encode())
        elif route == "/v1/missing":
            self._answer(404, json.dumps({"error": "no appeal A-9"}).encode())
        elif route == "/v1/odd-error":
            self._answer(409, json.dumps({"detail": "no error field"}).encode())
        elif route == "/v1/broken":
            self._answer(500, LONG_PAGE, "text/html")
        elif route == "/v1/not-utf8":
            self._answer(502, b"bad \xff\xfe gateway", "text/plain")
        else:
            self._answer(404, b"{}")

    do_GET = do_POST = do_PUT = do_DELETE = _handle


@pytest.fixture(scope="module")
def api():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def seen():
    Handler.seen.clear()
    return Handler.seen


def test_the_json_answer_is_returned_from_a_get_without_a_body(api, seen):
    assert call_worker(api, "/v1/echo?x=1") == {"method": "GET", "path": "/v1/echo?x=1", "body": None}
    assert worker_json(api + "/", "/v1/echo") == {"method": "GET", "path": "/v1/echo", "body": None}, "a trailing slash is fine"
    assert [(s["method"], s["body"]) for s in seen] == [("GET", None), ("GET", None)]


def test_a_body_is_posted_as_json(api, seen):
    command = {"type": "withdraw", "command_id": "c-1", "appeal_id": "Ә-1", "reason": "шешілді"}
    assert call_worker(api, "/v1/echo?wait=10", body=command) == {"method": "POST", "path": "/v1/echo?wait=10", "body": command}
    assert seen[-1]["method"] == "POST" and seen[-1]["type"] == "application/json"
    assert json.loads(seen[-1]["body"]) == command


def test_the_method_can_be_given(api, seen):
    assert worker_json(api, "/v1/echo", method="DELETE")["method"] == "DELETE"
    assert worker_json(api, "/v1/echo", body={"a": 1}, method="PUT") == {"method": "PUT", "path": "/v1/echo", "body": {"a": 1}}


@pytest.mark.parametrize("path, status, message", [
    ("/v1/refused", 422, "appeal A-1 is already answered; send a reopen first"),
    ("/v1/missing", 404, "no appeal A-9"),
    ("/v1/odd-error", 409, '{"detail": "no error field"}'),
])
def test_an_error_answer_becomes_systemexit_with_the_workers_message(api, path, status, message):
    for call in (call_worker, worker_json):
        with pytest.raises(SystemExit) as refused:
            call(api, path)
        assert str(refused.value) == f"the worker answered {status}: {message}"


def test_an_error_body_that_is_not_json_is_shown_truncated(api):
    with pytest.raises(SystemExit) as refused:
        call_worker(api, "/v1/broken")
    assert str(refused.value) == f"the worker answered 500: {LONG_PAGE.decode()[:500]}"
    assert len(LONG_PAGE) > 1000
    with pytest.raises(SystemExit) as refused:
        call_worker(api, "/v1/not-utf8", body={"x": 1})
    assert str(refused.value) == "the worker answered 502: bad \ufffd\ufffd gateway"


def test_nothing_listening_is_noworker_and_worker_json_says_how_to_start_one():
    nobody = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(NoWorker):
        call_worker(nobody, "/v1/echo", timeout=5)
    with pytest.raises(SystemExit) as refused:
        worker_json(nobody, "/v1/echo", timeout=5)
    message = str(refused.value)
    assert nobody in message and "`tyndau up`" in message and "--api" in message


def test_query_string_drops_unset_values_and_url_encodes():
    assert query_string({}) == ""
    assert query_string({"a": None, "b": ""}) == ""
    assert query_string({"by": "region", "from": None, "to": "", "q": "a b&c=d/е", "n": 0, "flag": False}) == \
        "?by=region&q=a+b%26c%3Dd%2F%D0%B5&n=0&flag=False"
    parsed = urllib.parse.parse_qs(query_string({"appeal_id": "Ә-1 #2", "limit": 10})[1:])
    assert parsed == {"appeal_id": ["Ә-1 #2"], "limit": ["10"]}
