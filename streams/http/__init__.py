"""What people and tools call over HTTP: the worker's views, all on the Faust app's web server.

`register()` imports the view modules, which registers their pages with the app: access
(credentials, rights, rate limit, access records), intake (commands and outcomes), queries (the
dashboard's figures, named queries), history (auditors), erasure (a citizen's personal data erased),
dashboard (the page and its files), admin (rebuild, OpenAPI, health), metrics (Prometheus) and checkpoints
(signed tree heads for witnesses).
Every view is a `base.JsonView`: a client's mistake is a 4xx saying what is wrong, anything
else a 500 with a request id.
"""

from __future__ import annotations

import importlib

VIEW_MODULES = ("streams.http.access", "streams.http.intake", "streams.http.queries", "streams.http.history",
                "streams.http.erasure", "streams.http.dashboard", "streams.http.admin", "streams.http.metrics",
                "streams.http.checkpoints")
# What a process without the api role serves: its own metrics, to an operator's token.
METRICS_ONLY = ("streams.http.access", "streams.http.metrics")


def register(modules: tuple[str, ...] = VIEW_MODULES) -> None:
    from ..app import app
    from . import access, security

    for name in modules:
        importlib.import_module(name)
    security.install(app.web.web_app)   # security headers on every response, the Host header checked
    access.install(app.web.web_app)     # then the caller's credential, right and rate
