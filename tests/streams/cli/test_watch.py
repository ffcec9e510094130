"""`tyndau ranking` and `tail` (streams/cli/watch.py): the ranking from the worker or ClickHouse, live records of a topic."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from datetime import date, datetime, timedelta

import holidays
import pytest

from streams.settings import ROOT
from tests.support.workload import VALID_IINS

KZ = holidays.country_holidays("KZ")
PERIOD = ["--from", "2017-01-01", "--to", "2017-12-31", "--today", "2018-01-01"]
HEADERS = ["key", "filed", "answered", "resp %", "on time %", "rated", "dissat %", "escal", "escal %", "overdue", "median wd"]


def working_days(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` on the `holidays` calendar (DOMAIN.md)."""
    return sum(KZ.is_working_day(start + timedelta(days=i)) for i in range(1, (end - start).days + 1))


def due(received: date) -> date:
    """APPC art. 76: the answer is due on the 15th working day after receipt."""
    day = received
    while working_days(received, day) < 15:
        day += timedelta(days=1)
    return day


def day(at: str) -> date:
    return datetime.fromisoformat(at).date()


@pytest.fixture(scope="module")
def bodies(worker) -> dict[str, dict]:
    """Appeals of two bodies of this module's own (regions 75 and 71), filed in and around 2017, some answered;
    the ranking row each body must get, worked out here without the domain code; once the projection shows them."""
    tag = uuid.uuid4().hex[:8]
    a, b = f"rank-{tag}-almaty", f"rank-{tag}-astana"
    n = iter(range(1, 100))

    def send(kind: str, appeal_id: str, at: str, **fields) -> None:
        status, outcome = worker.post("/v1/commands?wait=10", {"type": kind, "command_id": f"{appeal_id}-{next(n)}",
                                                              "appeal_id": appeal_id, "at": at, **fields})
        assert status == 201, outcome

    def file(appeal_id: str, at: str, region: str, body: str) -> None:
        send("file", appeal_id, at, region=region, body=body, category="roads", channel="eotinish",
             citizen={"iin": "900101301233", "name": "Aida"}, text="pothole")

    # Received on the last day of 2016 and the first day of 2018 (local time: Almaty and Astana were on UTC+6
    # then, DOMAIN.md): outside the period.
    file(f"{a}-before", "2016-12-31T23:30:00+06:00", "75", a)
    file(f"{a}-after", "2018-01-01T00:10:00+06:00", "75", a)
    # Body a: three appeals in 2017, two answered (one on time, one late), one answer rated dissatisfied.
    file(f"{a}-1", "2017-01-01T00:30:00+06:00", "75", a)
    file(f"{a}-2", "2017-03-01T09:15:00+05:00", "75", a)
    send("answer", f"{a}-2", "2017-03-06T10:00:00+05:00", outcome="resolved", text="done")
    send("rate", f"{a}-2", "2017-03-07T10:00:00+05:00", satisfied=False, score=2)
    file(f"{a}-3", "2017-06-10T10:00:00+05:00", "75", a)
    send("answer", f"{a}-3", "2017-08-01T10:00:00+05:00", outcome="refused", text="no")
    # Body b: two appeals in 2017, none answered, one escalated (after its due date: the centre's now).
    file(f"{b}-1", "2017-04-02T12:00:00+05:00", "71", b)
    send("escalate", f"{b}-1", "2017-05-02T12:00:00+05:00", reason="citizen_request", by="citizen")
    file(f"{b}-2", "2017-12-31T23:50:00+06:00", "71", b)

    assert due(date(2017, 3, 1)) >= date(2017, 3, 6) and due(date(2017, 6, 10)) < date(2017, 8, 1)   # on time, late
    today = date(2018, 1, 1)
    # Overdue on --today: still with the body, unanswered, the due day before it. b-1 was escalated: the centre
    # holds it, with a term of its own, so it is not the body's overdue (README: figures); b-2's term runs into 2018.
    overdue_a = sum(due(d) < today for d in (date(2017, 1, 1),))
    overdue_b = sum(due(d) < today for d in (date(2017, 12, 31),))
    assert (overdue_a, overdue_b) == (1, 0)
    # Due by --today (withdrawn excluded): all of a's; b-1 only.
    due_a = sum(due(d) <= today for d in (date(2017, 1, 1), date(2017, 3, 1), date(2017, 6, 10)))
    due_b = sum(due(d) <= today for d in (date(2017, 4, 2), date(2017, 12, 31)))
    assert (due_a, due_b) == (3, 1)
    days = [working_days(day("2017-03-01T09:15:00+05:00"), day("2017-03-06T10:00:00+05:00")),
            working_days(date(2017, 6, 10), date(2017, 8, 1))]
    expected = {
        a: {"key": a, "filed": 3, "answered": 2, "response_rate": 2 / 3, "on_time_rate": 0.5, "rated": 1,
            "dissatisfied_share": 1.0, "escalated": 0, "escalation_share": 0.0, "overdue": overdue_a,
            "median_response_working_days": statistics.median(days), "response_rate_due": 2 / due_a,
            "escalated_by_citizen": 0, "escalated_by_system": 0, "late_notices": 0, "reopened": 0},
        b: {"key": b, "filed": 2, "answered": 0, "response_rate": 0.0, "on_time_rate": None, "rated": 0,
            "dissatisfied_share": None, "escalated": 1, "escalation_share": 0.5, "overdue": overdue_b,
            "median_response_working_days": None, "response_rate_due": 0 / due_b,
            "escalated_by_citizen": 1, "escalated_by_system": 0, "late_notices": 0, "reopened": 0},
    }
    query = "/v1/ranking?by=body&from=2017-01-01&to=2017-12-31&today=2018-01-01"
    deadline = time.monotonic() + 60
    while True:
        rows = {r["key"]: r for r in worker.get(query) if r["key"] in expected}
        if all(rows.get(k, {}).get(f) == e[f] for k, e in expected.items() for f in ("filed", "answered", "rated", "escalated")):
            return expected
        assert time.monotonic() < deadline, f"the projection did not show the appeals within 60 s: {rows}"
        time.sleep(0.2)


def close(row: dict, expected: dict) -> bool:
    return set(row) == set(expected) and all(
        row[k] == pytest.approx(v) if isinstance(v, float) else row[k] == v for k, v in expected.items())


@pytest.mark.integration
def test_ranking_json_counts_exactly_the_appeals_received_in_the_period(worker, bodies):
    done = worker.tool("ranking", "--by", "body", "--format", "json", *PERIOD)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    mine = [r for r in rows if r["key"] in bodies]
    assert [r["key"] for r in mine] == list(bodies)    # a answers more: it ranks above b
    for row in mine:
        assert close(row, bodies[row["key"]]), (row, bodies[row["key"]])
    # Ordered by response rate, then on-time rate (missing last), then key.
    rates = [r["response_rate"] for r in rows]
    assert rates == sorted(rates, reverse=True)


@pytest.mark.integration
def test_ranking_period_bounds_are_days_of_receipt(worker, bodies):
    a = next(iter(bodies))
    def filed(first: str, last: str) -> list[int]:
        done = worker.tool("ranking", "--by", "body", "--format", "json", "--from", first, "--to", last)
        assert done.returncode == 0, done.stderr
        return [r["filed"] for r in json.loads(done.stdout) if r["key"] == a]

    assert filed("2016-12-31", "2018-01-01") == [5]
    assert filed("2017-01-01", "2017-01-01") == [1]
    assert filed("2016-12-31", "2016-12-31") == filed("2018-01-01", "2018-01-01") == [1]
    assert filed("2016-01-01", "2016-12-30") == []


@pytest.mark.integration
def test_ranking_table_prints_the_header_row_and_each_body(worker, bodies):
    done = worker.tool("ranking", "--by", "body", "--format", "table", *PERIOD)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [cell.strip() for cell in lines[0].split("  ") if cell.strip()] == HEADERS
    cells = {line.split()[0]: line.split()[1:] for line in lines[1:]}
    a, b = bodies
    median = f"{bodies[a]['median_response_working_days']:.1f}"
    assert cells[a] == ["3", "2", "66.7", "50.0", "1", "100.0", "0", "0.0", str(bodies[a]["overdue"]), median]
    assert cells[b] == ["2", "0", "0.0", "—", "0", "—", "1", "50.0", str(bodies[b]["overdue"]), "—"]
    assert len({len(line) for line in lines}) == 1     # aligned columns


@pytest.mark.integration
def test_ranking_as_xlsx_and_csv_holds_the_same_figures_as_json(worker, bodies, tmp_path):
    """Issue 16, item 5: the spreadsheet for a report is the ranking the API answers, row for row."""
    from openpyxl import load_workbook

    rows = json.loads(worker.tool("ranking", "--by", "body", "--format", "json", *PERIOD).stdout)
    done = worker.tool("ranking", "--by", "body", "--format", "xlsx", "--out", str(tmp_path / "r.xlsx"), *PERIOD)
    assert done.returncode == 0 and f"wrote {len(rows)} rows" in done.stderr, done.stderr
    sheet = list(load_workbook(tmp_path / "r.xlsx").active.iter_rows(values_only=True))
    header = list(sheet[1])
    assert sheet[0][0].startswith("tyndau ranking by body, from") and header[0] == "key"
    assert [dict(zip(header, line)) for line in sheet[2:]] == [{k: r[k] for k in header} for r in rows]
    printed = worker.tool("ranking", "--by", "body", "--format", "csv", *PERIOD)
    assert printed.returncode == 0 and printed.stdout.splitlines()[0] == ",".join(header)
    assert len(printed.stdout.splitlines()) == len(rows) + 1
    assert worker.tool("ranking", "--format", "xlsx").returncode != 0   # no --out: refused before asking


@pytest.mark.integration
@pytest.mark.integration
def test_report_of_a_region_and_month_holds_its_figures_bodies_and_overdue_appeals(worker, bodies, tmp_path):
    """Issue 16, item 5: `tyndau report --region 71 --month 2017-04` is the month's figures of Astana as the API gives
    them, and the PDF prints them: body b's appeal received on 2 April 2017, escalated, overdue with the centre."""
    b = next(k for k in bodies if k.endswith("-astana"))
    args = ["report", "--region", "71", "--month", "2017-04", "--today", "2018-01-01", "--api", worker.url("")]
    done = worker.cli(*args, "--format", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    period = "from=2017-04-01&to=2017-04-30&today=2018-01-01&region=71"
    assert report["kpis"] == worker.get(f"/v1/kpis?{period}")
    assert report["bodies"] == worker.get(f"/v1/ranking?by=body&{period}") and b in {r["key"] for r in report["bodies"]}
    assert [p["day"] for p in report["trend"]] == [f"2017-04-{d:02d}" for d in range(1, 31)]
    assert f"{b}-1" in {o["appeal_id"] for o in report["overdue"]}
    for lang, title in (("kk", "Өңір бойынша айлық есеп: Астана қаласы"), ("ru", "Ежемесячный отчёт по региону: город Астана")):
        done = worker.cli(*args, "--lang", lang, "--out", str(tmp_path / f"{lang}.pdf"))
        assert done.returncode == 0, done.stderr
        text = subprocess.run(["pdftotext", "-layout", str(tmp_path / f"{lang}.pdf"), "-"], capture_output=True,
                              text=True, check=True).stdout
        assert title in text and f"{b}-1" in text.replace("\n", ""), text[:3000]


@pytest.mark.parametrize("args, message", [
    (["--region", "99", "--month", "2017-04"], "--region must be a first-level KATO code"),
    (["--region", "71", "--month", "2017-13"], "--month must be a month YYYY-MM between 1970-01 and 2149-12; got '2017-13'"),
    (["--region", "71", "--month", "2017-04"], "give --out FILE.pdf"),
])
def test_report_refuses_a_bad_region_month_or_a_missing_file_before_asking_anything(args, message):
    done = subprocess.run([sys.executable, "-m", "streams.cli", "report", *args, "--api", "http://127.0.0.1:9"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and message in done.stderr, done.stderr


def test_ranking_with_a_bad_date_gets_the_workers_400(worker):
    done = worker.tool("ranking", "--from", "2017-13-01")
    assert done.returncode != 0 and done.stdout == ""
    assert "tyndau ranking: the worker answered 400: from must be a date YYYY-MM-DD" in done.stderr


@pytest.mark.parametrize("option, value", [("--from", "2017-13-01"), ("--from", "1969-12-31"), ("--to", "tomorrow"),
                                           ("--today", "2150-01-01")])
def test_ranking_direct_refuses_a_bad_date_before_opening_clickhouse(tmp_path, option, value):
    folder = tmp_path / "chdb"
    env = dict(os.environ, TYNDAU_CLICKHOUSE=f"chdb://{folder}", TYNDAU_DATA_DIR=str(tmp_path / "data"))
    done = subprocess.run([sys.executable, "-m", "streams.cli", "ranking", "--direct", option, value], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    assert (f"tyndau ranking: {option} must be a date YYYY-MM-DD between 1970-01-01 and 2149-12-31; got '{value}'"
            in done.stderr), done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert not folder.exists(), "ClickHouse was opened before the dates were checked"


@pytest.mark.integration
def test_tail_prints_live_events_of_one_region(worker, kafka):
    tail = subprocess.Popen([sys.executable, "-m", "streams.cli", "tail", "--topic", "appeals.public", "--region", "47",
                             "--limit", "1", "--format", "json"], env=worker.env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    time.sleep(4)
    appeal_id = f"tail-{uuid.uuid4().hex[:8]}"
    for region, suffix in (("75", "x"), ("47", "")):
        status, _ = worker.post("/v1/commands", {"type": "file", "command_id": f"{appeal_id}{suffix}-1", "appeal_id": appeal_id + suffix,
                                                 "at": "2010-05-05T10:00:00+05:00", "region": region, "body": "aktau-akimat",
                                                 "category": "roads", "channel": "109", "citizen": {"iin": VALID_IINS[0], "name": "A"}})
        assert status == 201
    out, _ = tail.communicate(timeout=60)
    line = json.loads(out.strip().splitlines()[-1])
    assert line["appeal_id"] == appeal_id and line["region"] == "47" and "citizen" not in line["payload"]
