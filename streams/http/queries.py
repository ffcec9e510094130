"""The dashboard's figures and the named queries, answered from the ClickHouse projections.

    GET  /v1/ranking?by=region|body|category|centre&from=DATE&to=DATE&today=DATE&region=CODE&format=json|csv|xlsx
    GET  /v1/kpis?from=DATE&to=DATE&today=DATE&region=CODE   national figures, or one region's
    GET  /v1/trend?from=DATE&to=DATE&bucket=day|week&region=CODE   filed and answered per day or week
                                     (or days=N&to=DATE: from N days before `to` to `to`; default: all history)
    GET  /v1/escalations?limit=20&from=DATE&to=DATE&region=CODE   the latest escalations to the centre
                                     (of the appeals received in the period)
    GET  /v1/overdue?limit=20&from=DATE&to=DATE&today=DATE&region=CODE   appeals received in the period, past due
    GET  /v1/regions                 the first-level KATO codes and names
    POST /v1/query/{name}            a named query of projections/queries with its parameters

The ranking and KPIs are the figures as they stood at the end of `today` (a Kazakh legal date;
default: today in Kazakhstan); by=centre gives the centre's handling of the appeals escalated to it,
one row per region, the other groupings the receiving bodies' (README: the ranking's figures).

`region` narrows every figure to one region. A regional monitor sees its regions only: every figure
is computed over them, a `region` outside them is refused (403), and a named
query that cannot be limited to regions (it has no `regions` parameter) is refused to it.
"""

from __future__ import annotations

from typing import Any

from faust.web import Request, Response, View

from ..app import app
from ..avro.jsonable import jsonable
from ..domain import bounds
from ..domain.principals import regions_in_scope
from ..domain.regions import REGIONS
from .access import principal_of
from .base import ClientError, JsonView, parse_json, query_date, query_int, read_body


def _dates(request: Request) -> dict[str, Any]:
    return {name: query_date(request, name) for name in ("from", "to", "today")}


def _scope(request: Request) -> tuple[str, ...]:
    """The regions the caller's figures cover; () = national."""
    return regions_in_scope(principal_of(request))


def _regions(request: Request) -> tuple[str, ...]:
    """The regions a figure covers: the caller's scope, or the one region asked for within it."""
    region, scope = _region(request), _scope(request)
    if region and scope and region not in scope:
        raise ClientError(403, f"region {region} is outside this monitor's regions ({', '.join(scope)})")
    return (region,) if region else scope


def _region(request: Request) -> str:
    region = request.query.get("region", "")
    if region and region not in REGIONS:
        raise ClientError(400, f"region must be a first-level KATO code, e.g. 75; got {bounds.shown(region)}")
    return region


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
            _regions(r)   # a region outside the caller's scope is refused
            d, region, scope = _dates(r), _region(r), _scope(r)
            return lambda: ranking(by, d["from"], d["to"], d["today"], region=region, regions=scope)
        kind = request.query.get("format", "json")
        if kind not in ("json", "csv", "xlsx"):
            raise ClientError(400, "format must be json, csv or xlsx")
        if kind == "json":
            return await _answer(self, request, compute)
        return await _download(self, request, compute, kind)


async def _download(view: View, request: Request, compute, kind: str) -> Response:
    """The ranking as a CSV or XLSX attachment (projections/export.py), named by its grouping and period."""
    from projections.clickhouse import in_db_thread
    from projections.export import CSV_TYPE, XLSX_TYPE, ranking_csv, ranking_xlsx

    rows = jsonable(await in_db_thread(compute(request)))
    q = request.query
    name = "-".join(["ranking", q.get("by", "region"), *(q[k] for k in ("region", "from", "to") if q.get(k))])
    title = f"tyndau {name}" + (f", figures at the end of {q['today']}" if q.get("today") else "")
    body, content_type = (ranking_csv(rows), CSV_TYPE) if kind == "csv" else (ranking_xlsx(rows, title), XLSX_TYPE)
    return view.bytes(body, content_type=content_type,
                      headers={"Content-Disposition": f'attachment; filename="{name}.{kind}"'})


@app.page("/v1/kpis")
class Kpis(JsonView):
    async def get(self, request: Request) -> Response:
        from projections.ranking import kpis

        def compute(r: Request):
            d, regions = _dates(r), _regions(r)
            return lambda: kpis(d["from"], d["to"], d["today"], regions=regions)
        return await _answer(self, request, compute)


@app.page("/v1/trend")
class Trend(JsonView):
    async def get(self, request: Request) -> Response:
        from projections.ranking import TREND_BUCKETS, trend

        def compute(r: Request):
            d, regions, bucket = _dates(r), _regions(r), r.query.get("bucket", "")
            days = query_int(r, "days", 60, 1, 3650) if r.query.get("days") else None
            if bucket not in TREND_BUCKETS:
                raise ClientError(400, "bucket must be day or week (or absent: by the period's length)")
            if d["from"] and d["to"] and d["from"] > d["to"]:
                raise ClientError(400, "from must not be after to")
            return lambda: trend(d["from"], d["to"], bucket, regions=regions, days=days)
        return await _answer(self, request, compute)


@app.page("/v1/escalations")
class Escalations(JsonView):
    async def get(self, request: Request) -> Response:
        from projections.ranking import escalations

        def compute(r: Request):
            limit, d, regions = _limit(r), _dates(r), _regions(r)
            return lambda: escalations(limit, regions=regions, date_from=d["from"], date_to=d["to"])
        return await _answer(self, request, compute)


@app.page("/v1/overdue")
class Overdue(JsonView):
    async def get(self, request: Request) -> Response:
        from projections.ranking import overdue

        def compute(r: Request):
            limit, d, regions = _limit(r), _dates(r), _regions(r)
            return lambda: overdue(limit, d["today"], regions=regions, date_from=d["from"], date_to=d["to"])
        return await _answer(self, request, compute)


@app.page("/v1/regions")
class Regions(JsonView):
    async def get(self, request: Request) -> Response:
        return self.json(REGIONS)


@app.page("/v1/query/{name}")
class NamedQuery(JsonView):
    """Named read-only queries from projections/queries, for CLI tools while this worker owns chDB."""

    async def post(self, request: Request, name: str) -> Response:
        from projections.clickhouse import (QueryParameterError, check_parameters, in_db_thread, placeholders, query_names,
                                            run_query)

        if name not in query_names():
            return self.json({"error": f"no query named {bounds.shown(name)}", "queries": sorted(query_names())}, status=404)
        body = await read_body(request)
        parameters = parse_json(body) if body else {}
        scope = _scope(request)
        if "regions" in placeholders(name) and isinstance(parameters, dict):
            if scope:
                parameters["regions"] = list(scope)   # its scope, whatever it asked for
        elif scope:
            raise ClientError(403, f"query {name} covers every region; a regional monitor may run only queries with a "
                                   "regions parameter")
        try:
            checked = check_parameters(name, parameters)
        except QueryParameterError as error:
            raise ClientError(400, f"query {name}: {error}") from None
        return self.json(jsonable(await in_db_thread(run_query, name, checked)))
