"""HTTP hardening (streams/http/security.py): security headers on every response, and the Host header checked."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.http.security import SECURITY_HEADERS, host_allowed, host_name

ALLOWED = frozenset({"tyndau.example.kz"})


@pytest.mark.parametrize("header, name", [("localhost", "localhost"), ("127.0.0.1:6066", "127.0.0.1"), ("[::1]:8080", "::1"),
                                          ("[::1]", "::1"), ("Tyndau.Example.KZ:443", "tyndau.example.kz"),
                                          ("", None), (None, None), ("host:port", None), ("[::1]x", None), ("[nope]:1", None),
                                          ("тыңдау.kz", None), ("a" * 300, None)])
def test_the_host_name_is_read_without_its_port(header, name):
    assert host_name(header) == name


@pytest.mark.parametrize("header, allowed", [("localhost:1234", True), ("127.0.0.1:9", True), ("[::1]:6066", True),
                                             ("tyndau.example.kz", True), ("evil.example.com", False),
                                             ("tyndau.example.kz.evil.com", False), ("127.0.0.2", False), (None, False)])
def test_loopback_names_on_any_port_and_the_configured_names_are_allowed(header, allowed):
    assert host_allowed(header, ALLOWED) is allowed


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=300), st.none(), st.binary(max_size=50)))
def test_any_host_header_is_judged_without_an_exception(header):
    assert host_allowed(header, ALLOWED) in (True, False)


def fetch(worker, path: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(worker.url(path), headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.mark.integration
@pytest.mark.parametrize("path", ["/health", "/", "/static/app.js", "/v1/regions", "/v1/no-such-route",
                                  "/v1/appeals/no-such-appeal/history", "/v1/ranking?by=nothing"])
def test_every_response_carries_the_security_headers(worker, path):
    status, headers, _ = fetch(worker, path)
    assert status < 500
    for name, value in SECURITY_HEADERS.items():
        assert headers.get(name) == value, (path, name)


@pytest.mark.integration
def test_a_request_for_another_host_name_is_refused(worker):
    status, headers, body = fetch(worker, "/v1/regions", {"Host": "evil.example.com"})
    assert status == 421 and "TYNDAU_HTTP_ALLOWED_HOSTS" in json.loads(body)["error"]
    assert headers.get("X-Frame-Options") == "DENY"
    status, _, _ = fetch(worker, "/v1/regions", {"Host": "localhost:1"})
    assert status == 200
