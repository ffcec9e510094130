"""The OpenAPI document the worker serves describes every command type and field."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.integration


def test_openapi_describes_every_command(worker):
    import urllib.request
    with urllib.request.urlopen(worker.url("/openapi.json")) as response:
        doc = json.loads(response.read())
    schemas = doc["components"]["schemas"]
    for kind in ("file", "route", "extend", "answer", "escalate", "rate", "withdraw", "reopen", "overdue"):
        assert schemas[f"{kind.capitalize()}Command"]["properties"]["type"] == {"const": kind}
    assert schemas["AnswerCommand"]["properties"]["outcome"]["enum"] == ["resolved", "explained", "refused"]
