"""The dashboard's figures and the named queries, answered from the ClickHouse projections.

    GET  /v1/ranking?by=region|body|category&from=DATE&to=DATE&today=DATE&region=CODE
    GET  /v1/kpis?from=DATE&to=DATE&today=DATE   national figures
    GET  /v1/trend?days=60&to=DATE   filed and answered per day
    GET  /v1/escalations?limit=20    the latest escalations to the centre
    GET  /v1/overdue?limit=20&today=DATE   appeals past due
    GET  /v1/regions                 the first-level KATO codes and names
    POST /v1/query/{name}            a named query of projections/queries with its parameters
"""

from __future__ import annotations

from typing import Any

from faust.web import Request, Response, View

from ..app import app
from ..avro.jsonable import jsonable
from ..domain import bounds
from ..domain.regions import REGIONS
from .base import ClientError, JsonView, parse_json, query_date, query_int, read_body


def _dates(request: Request) -> dict[str, Any]:
    return {name: query_date(request, name) for name in ("from", "to", "today")}


def _limit(request: Request) -> int:
    return query_int(request, "limit", 20, 1, 1000)


async def _answer(view: View, request: Request, compute) -> Response:
    """Run a projection query in the engine's thread; `compute` checks the parameters first, and
    a bad one is a 400 that says why (ClientError). An engine failure is a 500 (JsonView)."""
    from projections.clickhouse import in_db_thread

    call = compute(request)
    return view.json(jsonable(await in_db_thread(call)))


@app.page("/v1/ranking")
class Ranking(JsonView):
    async def get(self, request: Request) -> Response:
        from projections.ranking import GROUPINGS, ranking

        def compute(r: Request):
            by = r.query.get("by", "region")
            if by not in GROUPINGS:
                raise ClientError(400, f"by must be one of {', '.join(GROUPINGS)}")
            region = r.query.get("region", "")
            if region and region not in REGIONS:
                raise ClientError(400, f"region must be a first-level KATO code, e.g. 75; got {bounds.shown(region)}")
            d = _dates(r)
            return lambda: ranking(by, d["from"], d["to"], d["today"], region=region)
        return await _answer(self, request, compute)


@app.page("/v1/kpis")
class Kpis(JsonView):
    async def get(self, request: Request) -> Response:
        from projections.ranking import kpis

        def compute(r: Request):
            d = _dates(r)
            return lambda: kpis(d["from"], d["to"], d["today"])
        return await _answer(self, request, compute)


@app.page("/v1/trend")
class Trend(JsonView):
    async def get(self, request: Request) -> Response:
        from projections.ranking import trend

        def compute(r: Request):
            days, d = query_int(r, "days", 60, 1, 3650), _dates(r)
            return lambda: trend(days, d["to"])
        return await _answer(self, request, compute)


@app.page("/v1/escalations")
class Escalations(JsonView):
    async def get(self, request: Request) -> Response:
        from projections.ranking import escalations
        return await _answer(self, request, lambda r: (lambda: escalations(_limit(r))))


@app.page("/v1/overdue")
class Overdue(JsonView):
    async def get(self, request: Request) -> Response:
        from projections.ranking import overdue

        def compute(r: Request):
            limit, d = _limit(r), _dates(r)
            return lambda: overdue(limit, d["today"])
        return await _answer(self, request, compute)


@app.page("/v1/regions")
class Regions(JsonView):
    async def get(self, request: Request) -> Response:
        return self.json(REGIONS)


@app.page("/v1/query/{name}")
class NamedQuery(JsonView):
    """Named read-only queries from projections/queries, for CLI tools while this worker owns chDB."""

    async def post(self, request: Request, name: str) -> Response:
        from projections.clickhouse import QueryParameterError, check_parameters, in_db_thread, query_names, run_query

        if name not in query_names():
            return self.json({"error": f"no query named {bounds.shown(name)}", "queries": sorted(query_names())}, status=404)
        body = await read_body(request)
        parameters = parse_json(body) if body else {}
        try:
            checked = check_parameters(name, parameters)
        except QueryParameterError as error:
            raise ClientError(400, f"query {name}: {error}") from None
        return self.json(jsonable(await in_db_thread(run_query, name, checked)))
