"""A deterministic mixed workload of commands, valid or invalid by construction.

Independent of the domain code: it follows the lifecycle rules of the README by hand, and
labels each line with what the ledger must do with it (`event`, a rejection reason, or
`duplicate`), so tests can compare the ledger's output with these labels.
"""

from __future__ import annotations

import json
import random
import time
import urllib.error
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

ALMATY = timezone(timedelta(hours=5))
REGIONS = ["10", "11", "15", "19", "23", "27", "31", "33", "35", "39", "43", "47", "55", "59", "61", "62", "63", "71", "75", "79"]
CATEGORIES = ["roads", "courtyards", "playgrounds", "utilities", "social_aid", "housing"]
CHANNELS = ["eotinish", "109", "reception", "social"]


def iin_ok(iin: str) -> bool:
    d = [int(c) for c in iin]
    check = sum((i + 1) * d[i] for i in range(11)) % 11
    if check == 10:
        check = sum(w * d[i] for i, w in enumerate((3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2))) % 11
    return check != 10 and check == d[11]


def with_control_digit(first_eleven: str) -> str | None:
    for last in "0123456789":
        if iin_ok(first_eleven + last):
            return first_eleven + last
    return None


# Born 1990-01-01, 1985-06-15, 2002-03-04, 1971-11-20, 1999-12-31: before any business time of the workloads.
VALID_IINS = [iin for iin in (with_control_digit(p) for p in ("90010130123", "85061540001", "02030451234", "71112030001", "99123130555")) if iin]


@dataclass
class Workload:
    lines: list[str] = field(default_factory=list)
    expect: list[str] = field(default_factory=list)      # "event" or the rejection reason code (duplicate_command included)
    appeal_ids: set[str] = field(default_factory=set)
    events_by_appeal: dict[str, list[str]] = field(default_factory=dict)   # command ids, in order

    def add(self, command: dict | str, outcome: str) -> None:
        self.lines.append(command if isinstance(command, str) else json.dumps(command, ensure_ascii=False))
        self.expect.append(outcome)
        if outcome == "event":
            self.events_by_appeal.setdefault(command["appeal_id"], []).append(command["command_id"])

    def write(self, path) -> None:
        path.write_text("\n".join(self.lines) + "\n", encoding="utf-8")

    @property
    def valid(self) -> int:
        return self.expect.count("event")


def generate(n_commands: int, seed: int, prefix: str, start: datetime = datetime(2003, 1, 13, 9, 0, tzinfo=ALMATY),
             span_days: int = 700) -> Workload:
    rnd = random.Random(seed)
    work = Workload()
    per_appeal: list[list[tuple[dict | str, str]]] = []
    counter = 0
    while sum(len(a) for a in per_appeal) < n_commands:
        counter += 1
        appeal_id = f"{prefix}-{counter:06d}"
        ids = iter(f"{appeal_id}-c{i}" for i in range(100))
        # Sent by an importer, as history: the deadline watcher leaves an appeal to its import for
        # TYNDAU_IMPORT_SETTLE_HOURS (a day) after its latest imported act, longer than any test runs,
        # so it adds no overdue event behind the test's back.
        t = start + timedelta(days=rnd.randrange(0, span_days), minutes=rnd.randrange(600))
        body = f"akimat-{rnd.choice(REGIONS)}"
        seq: list[tuple[dict | str, str]] = []

        def cmd(command_type: str, at: datetime, expect: str = "event", **fields) -> dict:
            c = {"type": command_type, "command_id": next(ids), "appeal_id": appeal_id, "at": at.isoformat(), **fields}
            seq.append((c, expect))
            return c

        roll = rnd.random()
        filing = {"region": rnd.choice(REGIONS), "body": body, "category": rnd.choice(CATEGORIES),
                  "channel": rnd.choice(CHANNELS), "citizen": {"iin": rnd.choice(VALID_IINS), "name": "Азамат"}, "text": "Жол жөндеу керек"}
        if roll < 0.02:
            bad = dict(filing, citizen={"iin": "900101301234", "name": "X"})
            cmd("file", t, "invalid_iin", **bad)
            per_appeal.append(seq)
            continue
        if roll < 0.04:
            cmd("file", t, "unknown_region", **dict(filing, region="99"))
            per_appeal.append(seq)
            continue
        if roll < 0.06:
            cmd("answer", t, "unknown_appeal", outcome="resolved")
            per_appeal.append(seq)
            continue
        work.appeal_ids.add(appeal_id)
        first = cmd("file", t, **filing)
        if rnd.random() < 0.03:
            seq.append((dict(first), "duplicate_command"))
        if rnd.random() < 0.03:
            cmd("rate", t + timedelta(hours=1), "invalid_transition", satisfied=True)
        t += timedelta(days=1)
        if rnd.random() < 0.2:
            cmd("route", t, to_body=body + "-roads", reason="competence")
            if rnd.random() < 0.5:   # the citizen told of the forwarding (APC Art. 65)
                cmd("notify", t + timedelta(hours=1), kind="forwarding", channel=rnd.choice(["sms", "email", "post", "portal"]))
        extended = rnd.random() < 0.15
        if extended:
            cmd("extend", t + timedelta(hours=2), until=(datetime.fromisoformat(first["at"]).date() + timedelta(days=40)).isoformat(), reason="inspection")
            if rnd.random() < 0.5:   # and of the extension (APC Art. 76)
                cmd("notify", t + timedelta(hours=3), kind="extension", channel=rnd.choice(["sms", "portal"]))
        end = rnd.random()
        if end < 0.65:
            t += timedelta(days=rnd.randrange(1, 30))
            cmd("answer", t, outcome=rnd.choice(["resolved", "explained", "refused"]), text="Жөнделді")
            if rnd.random() < 0.6:
                t += timedelta(days=1)
                cmd("rate", t, satisfied=rnd.random() < 0.7, score=rnd.randint(1, 5))
                if rnd.random() < 0.1:
                    t += timedelta(days=1)
                    cmd("escalate", t, reason="dissatisfied", by="citizen")
                    t += timedelta(days=5)
                    cmd("answer", t, outcome="explained")
            elif rnd.random() < 0.1:
                t += timedelta(days=2)
                cmd("reopen", t, reason="incomplete answer")
                t += timedelta(days=3)
                cmd("answer", t, outcome="resolved")
        elif end < 0.75:
            t += timedelta(days=2)
            cmd("withdraw", t, reason="solved myself")
            cmd("answer", t + timedelta(days=1), "invalid_transition", outcome="resolved")
        elif end < 0.85:
            t += timedelta(days=3)
            cmd("escalate", t, reason="citizen_request", by="citizen")
            if rnd.random() < 0.7:
                cmd("answer", t + timedelta(days=4), outcome="resolved")
        else:
            cmd("overdue", t + timedelta(days=55 if extended else 40))
        if rnd.random() < 0.01:
            seq.append((f"{{not json {prefix}", "malformed"))
        if rnd.random() < 0.01:
            broken = {"type": "answer", "command_id": next(ids), "appeal_id": appeal_id, "at": t.isoformat()}
            seq.append((broken, "missing_field"))
        if rnd.random() < 0.02 and len(seq) > 1 and seq[-1][1] == "event":
            seq.append((dict(seq[-1][0]), "duplicate_command"))
        per_appeal.append(seq)
    # Interleave appeals the way many bodies write at once, keeping each appeal's own order.
    queues = [list(s) for s in per_appeal]
    while queues:
        i = rnd.randrange(len(queues))
        command, outcome = queues[i].pop(0)
        work.add(command, outcome)
        if not queues[i]:
            queues.pop(i)
    return work


def wait_projected(worker, work: Workload, timeout: float = 120.0) -> None:
    """Until the projection holds every event of every appeal of the workload (partitions progress apart)."""
    waiting = dict(work.events_by_appeal)
    deadline = time.monotonic() + timeout
    while waiting and time.monotonic() < deadline:
        for appeal_id, command_ids in list(waiting.items()):
            try:
                if len(worker.get(f"/v1/appeals/{appeal_id}/history")["events"]) == len(command_ids):
                    del waiting[appeal_id]
            except urllib.error.HTTPError:
                pass
        time.sleep(0.2)
    assert not waiting, f"{len(waiting)} appeals not fully projected after {timeout:.0f} s, e.g. {next(iter(waiting))}"
