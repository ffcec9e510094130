"""What people and tools call over HTTP: the worker's views, all on the Faust app's web server.

`register()` imports the view modules, which registers their pages with the app: access
(credentials, rights, rate limit, access records), intake (commands and outcomes), queries (the
dashboard's figures, named queries), history (auditors), dashboard (the page and its files) and
admin (rebuild, OpenAPI, health).
Every view is a `base.JsonView`: a client's mistake is a 4xx saying what is wrong, anything
else a 500 with a request id.
"""

from __future__ import annotations

import importlib

VIEW_MODULES = ("streams.http.access", "streams.http.intake", "streams.http.queries", "streams.http.history",
                "streams.http.dashboard", "streams.http.admin")


def register() -> None:
    from ..app import app
    from . import access, security

    for name in VIEW_MODULES:
        importlib.import_module(name)
    security.install(app.web.web_app)   # security headers on every response, the Host header checked
    access.install(app.web.web_app)     # then the caller's credential, right and rate
