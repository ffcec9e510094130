"""The worker's HTTP API from a command-line tool: JSON in, JSON out, TYNDAU_TOKEN as the credential,
errors that say what to do."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from .. import settings


class NoWorker(Exception):
    """Nothing answers at the worker's address."""


def _error_message(error: urllib.error.HTTPError) -> str:
    raw = error.read()
    try:
        return str(json.loads(raw).get("error", raw.decode()))
    except (ValueError, AttributeError):
        return raw.decode(errors="replace")[:500]


def call_worker(api: str, path: str, body: Any = None, method: str | None = None, timeout: float = 120) -> Any:
    """The JSON answer of the worker at `api` to `path` (POST when there is a body); SystemExit with
    the worker's error when it answers 4xx/5xx; NoWorker when nothing answers."""
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if settings.TOKEN:
        headers["Authorization"] = f"Bearer {settings.TOKEN}"
    request = urllib.request.Request(api.rstrip("/") + path, data=data, method=method or ("POST" if data is not None else "GET"),
                                     headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        hint = ""
        if error.code == 401:
            hint = ("; set TYNDAU_TOKEN to a credential, e.g. export TYNDAU_TOKEN=$(tyndau token issue --role auditor | tail -1)"
                    if not settings.TOKEN else "; TYNDAU_TOKEN holds a credential the worker does not accept")
        elif error.code == 403:
            hint = "; TYNDAU_TOKEN's role or scope does not allow this"
        raise SystemExit(f"the worker answered {error.code}: {_error_message(error)}{hint}") from None
    except urllib.error.URLError as error:
        raise NoWorker(str(error.reason)) from None


def worker_json(api: str, path: str, body: Any = None, method: str | None = None, timeout: float = 120) -> Any:
    """call_worker(), with SystemExit saying how to start a worker when none answers."""
    try:
        return call_worker(api, path, body, method, timeout)
    except NoWorker as error:
        raise SystemExit(f"no tyndau worker answers at {api} ({error}); start one with `tyndau up` or give --api") from None


def query_string(parameters: dict[str, Any]) -> str:
    """`?a=1&b=2` of the parameters that are set; "" when none is."""
    present = {k: v for k, v in parameters.items() if v not in (None, "")}
    return f"?{urllib.parse.urlencode(present)}" if present else ""
