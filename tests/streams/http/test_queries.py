"""The dashboard's figures and the named queries over HTTP (streams/http/queries.py), for appeals filed in 2044."""

from __future__ import annotations

import json
import time
import urllib.error
import uuid
from datetime import date
from types import SimpleNamespace

import pytest

from streams.domain.calendar import working_days_between
from streams.settings import ROOT
from tests.support.workload import REGIONS

pytestmark = pytest.mark.integration

# No other test files appeals received in 2044; the figures below are compared before and after ours anyway.
FROM, TO = "2016-01-01", "2016-12-31"
TODAY = "2016-06-01"            # after every deadline of the appeals below
BEFORE_DUE = "2016-03-10"       # before any of them
PERIOD = f"from={FROM}&to={TO}&today={TODAY}"
COUNTS = ("filed", "answered", "rated", "escalated", "overdue")


def counts(row: dict) -> dict:
    return {name: row[name] for name in COUNTS}


def by_key(rows: list[dict]) -> dict[str, dict]:
    return {row["key"]: counts(row) for row in rows}


def grown(after: dict[str, dict], before: dict[str, dict]) -> dict[str, dict]:
    """What each key's counts grew by, keys that did not grow left out."""
    out = {}
    for key, row in after.items():
        delta = {name: row[name] - before.get(key, dict.fromkeys(COUNTS, 0))[name] for name in COUNTS}
        if any(delta.values()):
            out[key] = delta
    return out


def row(filed=0, answered=0, rated=0, escalated=0, overdue=0) -> dict:
    return dict(filed=filed, answered=answered, rated=rated, escalated=escalated, overdue=overdue)


def status_of(worker, path: str) -> tuple[int, dict]:
    try:
        return 200, worker.get(path)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def snapshot(worker) -> dict:
    return {"kpis": worker.get(f"/v1/kpis?{PERIOD}"),
            "region": by_key(worker.get(f"/v1/ranking?by=region&{PERIOD}")),
            "category": by_key(worker.get(f"/v1/ranking?by=category&{PERIOD}")),
            "trend": {d["day"]: (d["filed"], d["answered"]) for d in worker.get(f"/v1/trend?days=10&to={BEFORE_DUE}")},
            "kpis_by_region": {r: counts(worker.get(f"/v1/kpis?{PERIOD}&region={r}")) for r in ("71", "75")},
            "trend_71": {d["day"]: d["filed"] for d in worker.get("/v1/trend?from=2016-03-01&to=2016-03-07&region=71")}}


@pytest.fixture(scope="module")
def appeals(worker) -> SimpleNamespace:
    """Three appeals of two bodies of this module's own: one answered and rated, one left open, one escalated (after
    which the centre holds it, with a term of its own: it is not the body's overdue, README: figures)."""
    uid = uuid.uuid4().hex[:8]
    a1, a2, a3 = (f"q-{uid}-{n}" for n in (1, 2, 3))
    b1, b2 = f"q-{uid}-akimat-a", f"q-{uid}-akimat-b"
    citizen = {"iin": "900101301233", "name": "Aida"}

    def file(appeal_id, day, region, body, category):
        return {"type": "file", "command_id": f"{appeal_id}-file", "appeal_id": appeal_id, "at": f"{day}T09:15:00+05:00",
                "region": region, "body": body, "category": category, "channel": "eotinish", "citizen": citizen,
                "text": "pothole"}

    commands = [
        file(a1, "2016-03-01", "75", b1, "roads"),
        {"type": "answer", "command_id": f"{a1}-answer", "appeal_id": a1, "at": "2016-03-04T10:00:00+05:00",
         "outcome": "resolved", "text": "fixed"},
        {"type": "rate", "command_id": f"{a1}-rate", "appeal_id": a1, "at": "2016-03-05T10:00:00+05:00",
         "satisfied": False, "score": 2},
        file(a2, "2016-03-02", "75", b1, "housing"),
        file(a3, "2016-03-03", "71", b2, "roads"),
        {"type": "escalate", "command_id": f"{a3}-escalate", "appeal_id": a3, "at": "2016-03-07T10:00:00+05:00",
         "reason": "citizen_request", "by": "citizen"},
    ]
    before = snapshot(worker)
    due = {}
    for command in commands:
        status, body = worker.post("/v1/commands?wait=10", command)
        assert status == 201, body
        if command["type"] == "file":
            due[command["appeal_id"]] = body["event"]["payload"]["due_on"]
    assert all(BEFORE_DUE < day < TODAY for day in due.values()), due
    # The projection is eventually consistent: wait until both bodies show every event.
    want = {b1: row(filed=2, answered=1, rated=1, overdue=1), b2: row(filed=1, escalated=1)}
    deadline = time.monotonic() + 60
    while True:
        ranking = worker.get(f"/v1/ranking?by=body&{PERIOD}")
        if {k: v for k, v in by_key(ranking).items() if k in want} == want or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    return SimpleNamespace(a1=a1, a2=a2, a3=a3, b1=b1, b2=b2, due=due, before=before)


def test_ranking_by_body_gives_each_body_its_figures(worker, appeals):
    rows = [r for r in worker.get(f"/v1/ranking?by=body&{PERIOD}") if r["key"] in (appeals.b1, appeals.b2)]
    assert [r["key"] for r in rows] == [appeals.b1, appeals.b2]      # best response rate first
    first, second = rows
    assert first == {"key": appeals.b1, "filed": 2, "answered": 1, "response_rate": 0.5, "on_time_rate": 1.0, "rated": 1,
                     "dissatisfied_share": 1.0, "escalated": 0, "escalation_share": 0.0, "overdue": 1,
                     "median_response_working_days": working_days_between(date(2016, 3, 1), date(2016, 3, 4)),
                     "response_rate_due": 0.5, "escalated_by_citizen": 0, "escalated_by_system": 0, "late_notices": 0,
                     "reopened": 0}
    assert second == {"key": appeals.b2, "filed": 1, "answered": 0, "response_rate": 0.0, "on_time_rate": None, "rated": 0,
                      "dissatisfied_share": None, "escalated": 1, "escalation_share": 1.0, "overdue": 0,
                      "median_response_working_days": None, "response_rate_due": 0.0, "escalated_by_citizen": 1,
                      "escalated_by_system": 0, "late_notices": 0, "reopened": 0}
    # Before their deadlines nothing is overdue; outside 2044 nothing of theirs is counted.
    early = by_key(worker.get(f"/v1/ranking?by=body&from={FROM}&to={TO}&today={BEFORE_DUE}"))
    assert early[appeals.b1]["overdue"] == early[appeals.b2]["overdue"] == 0
    assert not {appeals.b1, appeals.b2} & set(by_key(worker.get("/v1/ranking?by=body&from=2017-01-01&to=2017-12-31")))


def test_ranking_by_region_and_category_and_of_one_region(worker, appeals):
    regions = by_key(worker.get(f"/v1/ranking?by=region&{PERIOD}"))
    assert grown(regions, appeals.before["region"]) == {"75": row(filed=2, answered=1, rated=1, overdue=1),
                                                        "71": row(filed=1, escalated=1)}
    assert by_key(worker.get(f"/v1/ranking?{PERIOD}")) == regions        # by=region is the default
    categories = by_key(worker.get(f"/v1/ranking?by=category&{PERIOD}"))
    assert grown(categories, appeals.before["category"]) == {"roads": row(filed=2, answered=1, rated=1, escalated=1),
                                                             "housing": row(filed=1, overdue=1)}
    only_71 = by_key(worker.get(f"/v1/ranking?by=body&region=71&{PERIOD}"))
    assert appeals.b2 in only_71 and appeals.b1 not in only_71
    assert set(by_key(worker.get(f"/v1/ranking?by=region&region=71&{PERIOD}"))) == {"71"}


@pytest.mark.parametrize("query, message", [
    ("by=citizen_ref", "by must be one of region, body, category, centre"),
    ("by=iin", "by must be one of region, body, category, centre"),
    ("region=99", "region must be a first-level KATO code, e.g. 75; got '99'"),
    ("region=751", "region must be a first-level KATO code, e.g. 75; got '751'"),
])
def test_ranking_refuses_another_grouping_or_an_unknown_region(worker, query, message):
    assert status_of(worker, f"/v1/ranking?{query}") == (400, {"error": message})


def test_kpis_count_the_appeals_of_the_period(worker, appeals):
    before, after = appeals.before["kpis"], worker.get(f"/v1/kpis?{PERIOD}")
    assert {name: after[name] - before[name] for name in COUNTS} == row(filed=3, answered=1, rated=1, escalated=1, overdue=1)
    assert after["response_rate"] == pytest.approx(after["answered"] / after["filed"])
    assert after["escalation_share"] == pytest.approx(after["escalated"] / after["filed"])
    if before["filed"] == 0:     # the period holds this module's appeals only
        assert after == {"filed": 3, "answered": 1, "response_rate": pytest.approx(1 / 3), "on_time_rate": 1.0, "rated": 1,
                         "dissatisfied_share": 1.0, "escalated": 1, "escalation_share": pytest.approx(1 / 3), "overdue": 1,
                         "median_response_working_days": working_days_between(date(2016, 3, 1), date(2016, 3, 4)),
                         "response_rate_due": pytest.approx(1 / 3), "escalated_by_citizen": 1, "escalated_by_system": 0,
                         "late_notices": 0, "reopened": 0}
    one_day = worker.get(f"/v1/kpis?from=2016-03-02&to=2016-03-02&today={TODAY}")
    assert one_day["filed"] == 1 + appeals.before["trend"].get("2016-03-02", (0, 0))[0]


def test_trend_counts_filings_and_answers_per_day_within_the_window(worker, appeals):
    trend = worker.get(f"/v1/trend?days=10&to={BEFORE_DUE}")
    assert [d["day"] for d in trend] == sorted(d["day"] for d in trend)
    assert all("2016-02-29" <= d["day"] <= BEFORE_DUE for d in trend)
    now = {d["day"]: (d["filed"], d["answered"]) for d in trend}
    before = appeals.before["trend"]
    grew = {day: (f - before.get(day, (0, 0))[0], a - before.get(day, (0, 0))[1]) for day, (f, a) in now.items()}
    assert {day: g for day, g in grew.items() if g != (0, 0)} == {
        "2016-03-01": (1, 0), "2016-03-02": (1, 0), "2016-03-03": (1, 0), "2016-03-04": (0, 1)}
    assert {d["day"] for d in worker.get("/v1/trend?days=1&to=2016-03-03")} == {"2016-03-02", "2016-03-03"}
    assert status_of(worker, "/v1/trend?days=0")[0] == 400


def test_every_panel_obeys_the_region_and_the_period(worker, appeals):
    """Issue 16, item 1: the dashboard's region filter and period reach the KPIs, the trend, the escalations and
    the overdue list."""
    for r, want in (("75", row(filed=2, answered=1, rated=1, overdue=1)), ("71", row(filed=1, escalated=1))):
        after = counts(worker.get(f"/v1/kpis?{PERIOD}&region={r}"))
        assert {k: after[k] - appeals.before["kpis_by_region"][r][k] for k in COUNTS} == want, r
    week = worker.get("/v1/trend?from=2016-03-01&to=2016-03-07&region=71")
    assert [d["day"] for d in week] == [f"2016-03-0{i}" for i in range(1, 8)]
    assert {d["day"]: d["filed"] - appeals.before["trend_71"].get(d["day"], 0) for d in week if d["day"] == "2016-03-03"} == {
        "2016-03-03": 1}

    def listed(path: str) -> set[str]:
        return {r["appeal_id"] for r in worker.get(path)} & {appeals.a1, appeals.a2, appeals.a3}

    # The escalations of the appeals received in the period: a3, received on 3 March, escalated on the 7th.
    assert listed("/v1/escalations?limit=1000&region=71&from=2016-03-03&to=2016-03-03") == {appeals.a3}
    assert listed("/v1/escalations?limit=1000&region=75&from=2016-03-03&to=2016-03-03") == set()
    assert listed("/v1/escalations?limit=1000&region=71&from=2016-03-04") == set()
    [ours] = [e for e in worker.get("/v1/escalations?limit=1000&region=71&from=2016-03-03&to=2016-03-03")
              if e["appeal_id"] == appeals.a3]
    assert ours["occurred_on"] == "2016-03-07"   # the legal date on Astana's clock
    assert listed(f"/v1/overdue?limit=1000&today={TODAY}&region=75") == {appeals.a2}
    assert listed(f"/v1/overdue?limit=1000&today={TODAY}&region=75&from=2016-03-03&to=2016-03-31") == set()
    assert listed(f"/v1/overdue?limit=1000&today={TODAY}&region=71") == {appeals.a3}   # the centre's term ran out
    assert status_of(worker, "/v1/kpis?region=99")[1]["error"].startswith("region must be a first-level KATO code")
    assert status_of(worker, "/v1/trend?bucket=month")[0] == 400
    assert status_of(worker, "/v1/trend?from=2016-03-02&to=2016-03-01")[1]["error"] == "from must not be after to"


def test_escalations_list_the_latest_first(worker, appeals):
    rows = worker.get("/v1/escalations?limit=1000")
    assert [r["recorded_at"] for r in rows] == sorted((r["recorded_at"] for r in rows), reverse=True)
    [ours] = [r for r in rows if r["appeal_id"] == appeals.a3]
    assert (ours["region"], ours["body"], ours["reason"], ours["by"]) == ("71", appeals.b2, "citizen_request", "citizen")
    assert ours["occurred_at"].startswith("2016-03-07T05:00:00")
    assert not {appeals.a1, appeals.a2} & {r["appeal_id"] for r in rows}
    assert len(worker.get("/v1/escalations?limit=1")) == 1


def test_overdue_lists_unanswered_appeals_past_their_deadline_longest_first(worker, appeals):
    rows = worker.get(f"/v1/overdue?limit=1000&today={TODAY}")
    assert [(r["due_on"], r["appeal_id"]) for r in rows] == sorted((r["due_on"], r["appeal_id"]) for r in rows)
    assert all(r["status"] in ("open", "escalated") and r["due_on"] < TODAY for r in rows)
    ours = {r["appeal_id"]: r for r in rows if r["appeal_id"] in (appeals.a1, appeals.a2, appeals.a3)}
    if len(rows) < 1000 or rows[-1]["due_on"] > max(appeals.due.values()):    # the list reaches our deadlines
        assert set(ours) == {appeals.a2, appeals.a3}                           # a1 is answered
        assert ours[appeals.a2]["due_on"] == appeals.due[appeals.a2] and ours[appeals.a3]["status"] == "escalated"
        assert (ours[appeals.a2]["body"], ours[appeals.a2]["category"], ours[appeals.a2]["received_on"]) == (
            appeals.b1, "housing", "2016-03-02")
    early = worker.get(f"/v1/overdue?limit=1000&today={BEFORE_DUE}")
    assert not {appeals.a2, appeals.a3} & {r["appeal_id"] for r in early}
    assert len(worker.get(f"/v1/overdue?limit=1&today={TODAY}")) == 1


def test_regions_are_the_20_first_level_kato_codes(worker):
    regions = worker.get("/v1/regions")
    assert sorted(regions) == sorted(REGIONS) and len(regions) == 20
    assert all(set(names) == {"en", "kk", "ru"} and all(names.values()) for names in regions.values())
    assert regions["75"]["en"] == "Almaty (city)" and regions["71"]["kk"] == "Астана қаласы"


def test_an_unknown_named_query_is_404_listing_the_queries(worker):
    status, body = worker.post("/v1/query/no_such_query", {})
    assert status == 404 and body["error"] == "no query named 'no_such_query'"
    assert body["queries"] == sorted(p.stem for p in (ROOT / "projections" / "queries").glob("*.sql"))
    assert {"ranking", "kpis", "history", "ping"} <= set(body["queries"])


@pytest.mark.parametrize("name, parameters, message", [
    ("ranking", {}, "query ranking: it takes by, from, region, regions, stage, to, today; missing: by, from, region, to, today"),
    ("ping", {"x": 1}, "query ping: it takes no parameters; unknown: ['x']"),
    ("escalations", {"limit": 10, "offset": 0, "from": FROM, "to": TO},
     "query escalations: it takes from, limit, regions, to; unknown: ['offset']"),
    ("escalations", {"from": FROM, "to": TO, "limit": 10, "regions": "75"}, "query escalations: regions must be a list of at most 1000 ids"),
    ("escalations", {"from": FROM, "to": TO, "limit": "10"}, "query escalations: limit must be a whole number from 0 to 4294967295"),
    ("escalations", {"from": FROM, "to": TO, "limit": True}, "query escalations: limit must be a whole number from 0 to 4294967295"),
    ("escalations", {"from": FROM, "to": TO, "limit": -1}, "query escalations: limit must be a whole number from 0 to 4294967295"),
    ("escalations", {"from": FROM, "to": TO, "limit": 2 ** 32}, "query escalations: limit must be a whole number from 0 to 4294967295"),
    ("history", {"appeal_id": 5}, "query history: appeal_id must be a string of at most 10000 characters"),
    ("history", {"appeal_id": "x" * 10_001}, "query history: appeal_id must be a string of at most 10000 characters"),
    ("kpis", {"from": "2016-13-01", "to": TO, "today": TODAY}, "query kpis: from must be a date YYYY-MM-DD between 1970-01-01"),
    ("ranking", {"by": "citizen_ref", "from": FROM, "to": TO, "today": TODAY, "region": ""},
     "query ranking: by must be one of region, body, category"),   # the named query takes `stage` for the centre's
    ("states_by_id", {"ids": [5]}, "query states_by_id: ids must be a list of at most 1000 ids"),
    ("ping", [], 'query ping: the parameters are a JSON object, {"name": value, …}'),
])
def test_a_named_query_with_missing_unknown_or_ill_typed_parameters_is_400(worker, name, parameters, message):
    status, body = worker.post(f"/v1/query/{name}", parameters)
    assert status == 400 and body["error"].startswith(message), body


def test_a_named_query_body_must_be_json(worker):
    status, body = worker.post("/v1/query/ping", b"{oops")
    assert status == 400 and body["reason"] == "malformed"


def test_a_valid_named_query_answers_rows(worker, appeals):
    assert worker.post("/v1/query/ping", b"") == (200, [{"ok": 1}])        # no body: no parameters
    status, rows = worker.post("/v1/query/history", {"appeal_id": appeals.a1})
    assert status == 200 and [(r["sequence"], r["event_type"]) for r in rows] == [(1, "filed"), (2, "answered"), (3, "rated")]
    assert all(isinstance(r["partition"], int) and isinstance(r["offset"], int) and len(r["hash"]) == 64 for r in rows)
    status, ranking = worker.post("/v1/query/ranking", {"by": "body", "from": FROM, "to": TO, "today": TODAY, "region": "71"})
    assert status == 200
    [ours] = [r for r in ranking if r["key"] == appeals.b2]
    assert counts(ours) == row(filed=1, escalated=1) and all(r["key"] != appeals.b1 for r in ranking)
    status, [kpis] = worker.post("/v1/query/kpis", {"from": FROM, "to": TO, "today": TODAY})
    assert status == 200 and counts(kpis) == counts(worker.get(f"/v1/kpis?{PERIOD}"))


def test_the_ranking_downloads_as_csv_and_xlsx_with_the_figures_of_the_json(worker, appeals):
    """Issue 16, item 5: GET /v1/ranking?…&format=csv|xlsx, an attachment named by grouping and period."""
    import csv
    import io
    import urllib.request

    from openpyxl import load_workbook

    query = "/v1/ranking?by=body&from=2017-01-01&to=2017-12-31"
    rows = worker.get(query)

    def download(kind: str):
        request = urllib.request.Request(worker.url(f"{query}&format={kind}"),
                                         headers={"Authorization": f"Bearer {worker.token('auditor')}"})
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.headers, response.read()

    headers, body = download("csv")
    assert headers["Content-Type"].startswith("text/csv")
    assert headers["Content-Disposition"] == 'attachment; filename="ranking-body-2017-01-01-2017-12-31.csv"'
    table = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert [r["key"] for r in table] == [r["key"] for r in rows]
    assert [int(r["filed"]) for r in table] == [r["filed"] for r in rows]
    headers, body = download("xlsx")
    assert headers["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = list(load_workbook(io.BytesIO(body)).active.iter_rows(values_only=True))
    assert [line[0] for line in sheet[2:]] == [r["key"] for r in rows]
    status, answer = worker.post("/v1/query/ping", {})   # the session's worker still answers after both
    assert status == 200
    try:
        download("pdf")
        raise AssertionError("format=pdf must be refused")
    except urllib.error.HTTPError as error:
        assert error.code == 400 and "format must be json, csv or xlsx" in error.read().decode()
