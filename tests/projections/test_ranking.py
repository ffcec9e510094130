"""The ranking from ClickHouse equals a ranking folded independently, in plain Python, from the commands."""

from __future__ import annotations

import json
import statistics
import time
import uuid
from datetime import date, datetime, timedelta

import holidays
import pytest

from tests.support.workload import ALMATY, generate

pytestmark = pytest.mark.integration
KZ = holidays.country_holidays("KZ")
TODAY = date(2035, 6, 1)


def nth_working_day_after(day: date, n: int) -> date:
    while n:
        day += timedelta(days=1)
        n -= KZ.is_working_day(day)
    return day


def working_days(start: date, end: date) -> int:
    return sum(KZ.is_working_day(start + timedelta(days=i)) for i in range(1, (end - start).days + 1))


def expected_ranking(lines: list[str], expect: list[str]) -> list[dict]:
    """DOMAIN.md: due = 15 working days after receipt (APC Art. 76); extension moves it; a reopening
    starts a new 15-day term. Folded here without the domain code."""
    appeals: dict[str, dict] = {}
    for line, outcome in zip(lines, expect):
        if outcome != "event":
            continue
        c = json.loads(line)
        day = datetime.fromisoformat(c["at"]).date()
        a = appeals.get(c["appeal_id"])
        if c["type"] == "file":
            appeals[c["appeal_id"]] = {"region": c["region"], "received": day, "due": nth_working_day_after(day, 15),
                                       "status": "open", "answered_on": None, "on_time": None, "rated": False,
                                       "satisfied": None, "escalated": False}
        elif c["type"] == "extend":
            a["due"] = date.fromisoformat(c["until"])
        elif c["type"] == "answer":
            a.update(status="answered", answered_on=day, on_time=day <= a["due"])
        elif c["type"] == "rate":
            a.update(rated=True, satisfied=c["satisfied"])
        elif c["type"] == "escalate":
            a.update(status="escalated", escalated=True)
        elif c["type"] == "withdraw":
            a["status"] = "withdrawn"
        elif c["type"] == "reopen":
            a.update(status="open", due=nth_working_day_after(day, 15))
    rows: dict[str, list[dict]] = {}
    for a in appeals.values():
        rows.setdefault(a["region"], []).append(a)
    out = []
    for region, group in rows.items():
        answered = [a for a in group if a["answered_on"]]
        rated = [a for a in group if a["rated"]]
        escalated = sum(a["escalated"] for a in group)
        out.append({
            "key": region, "filed": len(group), "answered": len(answered),
            "response_rate": len(answered) / len(group),
            "on_time_rate": sum(a["on_time"] for a in answered) / len(answered) if answered else None,
            "rated": len(rated),
            "dissatisfied_share": sum(a["satisfied"] is False for a in rated) / len(rated) if rated else None,
            "escalated": escalated, "escalation_share": escalated / len(group),
            "overdue": sum(a["status"] in ("open", "escalated") and a["due"] < TODAY for a in group),
            "median_response_working_days": statistics.median(working_days(a["received"], a["answered_on"]) for a in answered) if answered else None,
        })
    return sorted(out, key=lambda r: r["key"])


def test_ranking_by_region_equals_an_independent_fold(worker, tmp_path):
    work = generate(3_000, seed=3, prefix=f"rank-{uuid.uuid4().hex[:6]}", start=datetime(2034, 1, 9, 9, tzinfo=ALMATY), span_days=300)
    path = tmp_path / "commands.jsonl"
    work.write(path)
    run = worker.cli
    published = run("publish", str(path), "--format", "json")
    assert published.returncode == 0, published.stderr
    expected = expected_ranking(work.lines, work.expect)
    query = ("ranking", "--by", "region", "--from", "2034-01-01", "--to", "2034-12-31", "--today", TODAY.isoformat(), "--format", "json")
    deadline = time.monotonic() + 60
    while True:
        done = run(*query)
        assert done.returncode == 0, done.stderr
        got = json.loads(done.stdout)
        if sum(r["filed"] for r in got) == sum(r["filed"] for r in expected) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert [r["key"] for r in got] == sorted((r["key"] for r in got), key=lambda k: (-next(x["response_rate"] for x in got if x["key"] == k),
                                                                                 -(next(x["on_time_rate"] for x in got if x["key"] == k) or 0), k))
    got = sorted(got, key=lambda r: r["key"])
    assert [set(r) for r in got] == [set(r) for r in expected]
    assert got == [{k: pytest.approx(v) if isinstance(v, float) else v for k, v in r.items()} for r in expected]

    table = run("ranking", "--by", "region", "--from", "2034-01-01", "--to", "2034-12-31", "--today", TODAY.isoformat())
    assert table.returncode == 0 and table.stdout.splitlines()[0].split()[:3] == ["key", "filed", "answered"]
