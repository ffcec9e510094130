"""The ranking from ClickHouse equals a ranking folded independently, in plain Python, from the commands.

Adapted to the stages (README: the ranking's figures): `answered`, `on_time_rate`, `rated`, the median
count the body's first answer before any escalation; `overdue` only appeals still with the body; and the
new figures and the centre's ranking are folded here too."""

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
# Business times lie in the past (the ledger refuses acts later than its clock), after 1 March 2024, when
# every region went to UTC+5 (DOMAIN.md), so the commands' own offset gives each act's local day. They are
# imported, so the deadline watcher judges each appeal at its latest act and never escalates it.
START = datetime(2024, 4, 1, 9, tzinfo=ALMATY)
TODAY = date(2025, 6, 1)        # after every act and term of the workload


def nth_working_day_after(day: date, n: int) -> date:
    while n:
        day += timedelta(days=1)
        n -= KZ.is_working_day(day)
    return day


def working_days(start: date, end: date) -> int:
    return sum(KZ.is_working_day(start + timedelta(days=i)) for i in range(1, (end - start).days + 1))


def folded(lines: list[str], expect: list[str]) -> dict[str, dict]:
    """Each appeal's figures, folded here without the domain code (README: the ranking's figures).

    DOMAIN.md: a term is 15 working days after receipt (APC Art. 76) and an extension moves it; the
    body's term and answer are its own until the first escalation, after which the centre's term runs
    15 working days from its receipt; a notice owed to the citizen (an extension's, a forwarding's) is
    late when given after, or still owed on, its due day."""
    appeals: dict[str, dict] = {}
    for line, outcome in zip(lines, expect):
        if outcome != "event":
            continue
        c = json.loads(line)
        day = datetime.fromisoformat(c["at"]).date()    # every region is on UTC+5, as the commands are
        a = appeals.get(c["appeal_id"])
        if c["type"] == "file":
            due = nth_working_day_after(day, 15)
            appeals[c["appeal_id"]] = {"region": c["region"], "received": day, "due": due, "body_due": due,
                                       "forward_by": nth_working_day_after(day, 3), "status": "open", "stage": "body",
                                       "body_answered": None, "body_on_time": None, "body_satisfied": None,
                                       "centre_received": None, "centre_due": None, "centre_answered": None,
                                       "centre_on_time": None, "centre_satisfied": None, "escalations": 0,
                                       "escalated_by": None, "last_escalated_by": None, "reopened": 0,
                                       "stage_answers": 0, "owed": [], "late": {"body": 0, "centre": 0}}
            continue
        stage_open = a["body_answered"] is None if a["stage"] == "body" else a["centre_answered"] is None
        if c["type"] == "route":
            a["owed"].append(("forwarding", max(day, a["forward_by"]), a["stage"]))
            a["forward_by"] = nth_working_day_after(day, 3)
        elif c["type"] == "extend":
            a["due"] = date.fromisoformat(c["until"])
            a["owed"].append(("extension", nth_working_day_after(day, 3), a["stage"]))
            if stage_open:
                a["body_due" if a["stage"] == "body" else "centre_due"] = a["due"]
        elif c["type"] == "answer":
            on_time = day <= a["due"]
            a.update(status="answered", stage_answers=a["stage_answers"] + 1)
            if stage_open:
                a.update({f"{a['stage']}_answered": day, f"{a['stage']}_on_time": on_time})
        elif c["type"] == "rate":
            if a["stage_answers"] == 1 and a[f"{a['stage']}_satisfied"] is None:
                a[f"{a['stage']}_satisfied"] = c["satisfied"]
        elif c["type"] == "escalate":
            a.update(status="escalated", escalations=a["escalations"] + 1, last_escalated_by=c["by"],
                     due=nth_working_day_after(day, 15))
            if a["stage"] == "body":
                a.update(stage="centre", centre_received=day, centre_due=a["due"], escalated_by=c["by"], stage_answers=0)
        elif c["type"] == "withdraw":
            a["status"] = "withdrawn"
        elif c["type"] == "reopen":
            a.update(status="open", due=nth_working_day_after(day, 15), reopened=a["reopened"] + 1)
        elif c["type"] == "notify":
            owed = next(n for n in a["owed"] if n[0] == c["kind"])
            a["owed"].remove(owed)
            a["late"][owed[2]] += day > owed[1]
    return appeals


def figures(key: str, group: list[dict], stage: str) -> dict:
    """One ranking row of `stage`'s handling over these appeals, as the README defines its figures."""
    answered = [a for a in group if a[f"{stage}_answered"]]
    rated = [a for a in group if a[f"{stage}_satisfied"] is not None]
    due = [a for a in group if a[f"{stage}_due"] <= TODAY and a["status"] != "withdrawn"]
    escalated = [a for a in group if (a["escalations"] > 1 if stage == "centre" else a["escalations"] > 0)]
    by = "last_escalated_by" if stage == "centre" else "escalated_by"
    if stage == "body":
        overdue = [a for a in group if a["status"] == "open" and a["stage"] == "body" and a["body_answered"] is None
                   and a["body_due"] < TODAY and a["due"] < TODAY]
    else:
        overdue = [a for a in group if a["status"] in ("open", "escalated") and a["centre_answered"] is None
                   and a["centre_due"] < TODAY and a["due"] < TODAY]
    start = "centre_received" if stage == "centre" else "received"
    return {
        "key": key, "filed": len(group), "answered": len(answered),
        "response_rate": len(answered) / len(group),
        "response_rate_due": sum(a[f"{stage}_answered"] is not None for a in due) / len(due) if due else None,
        "on_time_rate": sum(a[f"{stage}_on_time"] for a in answered) / len(answered) if answered else None,
        "rated": len(rated),
        "dissatisfied_share": sum(a[f"{stage}_satisfied"] is False for a in rated) / len(rated) if rated else None,
        "escalated": len(escalated), "escalation_share": len(escalated) / len(group),
        "escalated_by_citizen": sum(a[by] == "citizen" for a in escalated),
        "escalated_by_system": sum(a[by] == "system" for a in escalated),
        "overdue": len(overdue),
        "late_notices": sum(a["late"][stage] + sum(n[2] == stage and n[1] < TODAY for n in a["owed"]) for a in group),
        "reopened": sum(a["reopened"] > 0 for a in group),
        "median_response_working_days": statistics.median(working_days(a[start], a[f"{stage}_answered"]) for a in answered)
        if answered else None,
    }


def expected_ranking(lines: list[str], expect: list[str], stage: str = "body") -> list[dict]:
    """The ranking by region of the body's handling, or the centre's (of the appeals escalated to it)."""
    groups: dict[str, list[dict]] = {}
    for a in folded(lines, expect).values():
        if stage == "body" or a["centre_received"] is not None:
            groups.setdefault(a["region"], []).append(a)
    return sorted((figures(region, group, stage) for region, group in groups.items()), key=lambda r: r["key"])


def approx(rows: list[dict]) -> list[dict]:
    return [{k: pytest.approx(v) if isinstance(v, float) else v for k, v in r.items()} for r in rows]


def test_ranking_by_region_equals_an_independent_fold(worker, tmp_path):
    work = generate(3_000, seed=3, prefix=f"rank-{uuid.uuid4().hex[:6]}", start=START, span_days=300)
    path = tmp_path / "commands.jsonl"
    work.write(path)
    run = worker.cli
    published = run("publish", str(path), "--import", "--format", "json")
    assert published.returncode == 0, published.stderr
    expected = expected_ranking(work.lines, work.expect)
    period = ("--from", "2024-04-01", "--to", "2025-01-31", "--today", TODAY.isoformat())
    query = ("ranking", "--by", "region", *period, "--format", "json")
    deadline = time.monotonic() + 60
    previous = None   # every filing can be projected before the last answers: wait until it also stays the same
    while True:
        done = run(*query)
        assert done.returncode == 0, done.stderr
        got = json.loads(done.stdout)
        if (sum(r["filed"] for r in got) == sum(r["filed"] for r in expected) and got == previous) or time.monotonic() > deadline:
            break
        previous = got
        time.sleep(1.0)
    assert [r["key"] for r in got] == sorted((r["key"] for r in got), key=lambda k: (-next(x["response_rate"] for x in got if x["key"] == k),
                                                                                 -(next(x["on_time_rate"] for x in got if x["key"] == k) or 0), k))
    got = sorted(got, key=lambda r: r["key"])
    assert [set(r) for r in got] == [set(r) for r in expected]
    assert got == approx(expected)
    # The centre's handling of the appeals escalated to it, one row per region.
    centre = run("ranking", "--by", "centre", "--from", "2024-04-01", "--to", "2025-12-31", "--today", TODAY.isoformat(),
                 "--format", "json")
    assert centre.returncode == 0, centre.stderr
    expected_centre = expected_ranking(work.lines, work.expect, "centre")
    assert sum(r["filed"] for r in expected_centre) > 50 and sum(r["answered"] for r in expected_centre) > 20
    assert sorted(json.loads(centre.stdout), key=lambda r: r["key"]) == approx(expected_centre)

    table = run("ranking", "--by", "region", *period)
    assert table.returncode == 0 and table.stdout.splitlines()[0].split()[:3] == ["key", "filed", "answered"]
