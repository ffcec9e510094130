"""streams/http/__init__.py: every route the view modules document is served by a JSON view of the worker."""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from streams import http
from streams.settings import ROOT

pytestmark = pytest.mark.integration
ROUTE = re.compile(r"^\s+(GET|POST)\s+(/\S*)", re.MULTILINE)
EXAMPLES = {"{type}": "file", "{command_id}": "no-such-command", "{id}": "no-such-appeal", "{name}": "appeal_states",
            "{file}": "app.js"}
# Not sent here: it empties the shared worker's projections (tests/streams/http/test_admin.py rebuilds on a worker of its own).
NOT_SENT = {("POST", "/v1/admin/rebuild")}


def documented_routes() -> list[tuple[str, str]]:
    routes = []
    for name in http.VIEW_MODULES:
        doc = importlib.import_module(name).__doc__ or ""
        for method, path in ROUTE.findall(doc):
            for placeholder, example in EXAMPLES.items():
                path = path.replace(placeholder, example)
            route = (method, path.split("?")[0].rstrip(","))
            if route not in NOT_SENT:
                routes.append(route)
    return routes


def test_the_view_modules_document_their_routes():
    paths = {path for _, path in documented_routes()}
    assert {"/v1/commands", "/v1/ranking", "/v1/appeals/no-such-appeal/history", "/health", "/openapi.json"} <= paths


@pytest.mark.parametrize("method, path", documented_routes())
def test_each_documented_route_is_answered_by_a_view(worker, method, path):
    """A route no view serves gets aiohttp's plain-text 404; every view of tyndau answers JSON or the page."""
    role = "importer" if path.startswith("/v1/commands") else "admin" if path.startswith("/v1/admin") else "auditor"
    request = urllib.request.Request(worker.url(path), method=method, data=b"{}" if method == "POST" else None,
                                     headers={"Content-Type": "application/json",
                                              "Authorization": f"Bearer {worker.token(role)}"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status, content_type, body = response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as error:
        status, content_type, body = error.code, error.headers.get("Content-Type", ""), error.read()
    assert status < 500, body[:300]
    if path == "/" or path.startswith("/static/"):
        assert status == 200 and not content_type.startswith("application/json")
    else:
        assert content_type.startswith("application/json"), (status, body[:200])
        json.loads(body)


VIEWS_ONLY = r"""
import json
from streams import http
from streams.settings import ROOT
from streams.app import app
http.register()
print(json.dumps({"agents": sorted(app.agents), "tasks": sorted(f"{t.__module__}.{t.__qualname__}" for t in app._app_tasks)}))
"""


def test_registering_the_views_starts_no_stream_processing_but_the_followers_of_outcomes_and_revocations():
    """The views import what they read (the rebuild's state, the log reader), never an agent module."""
    done = subprocess.run([sys.executable, "-c", VIEWS_ONLY], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    registered = json.loads(done.stdout.splitlines()[-1])
    assert registered == {"agents": [], "tasks": ["streams.http.access.follow_revocations", "streams.http.intake.follow_outcomes"]}
