"""Metrics for operators, in Prometheus' text format.

    GET /metrics    every tyndau_ series of this process (streams/telemetry.py); an operator's or admin's token

Prometheus sends the token as a bearer credential (`authorization: {credentials_file: …}` in its scrape
config, deploy/prometheus/scrape.yaml).
"""

from __future__ import annotations

from faust.web import Request, Response

from ..app import app
from ..telemetry import CONTENT_TYPE, exposition
from .base import JsonView


@app.page("/metrics")
class Metrics(JsonView):
    async def get(self, request: Request) -> Response:
        return self.text(exposition().decode("utf-8"), content_type=CONTENT_TYPE)
