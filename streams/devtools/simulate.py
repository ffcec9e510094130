"""A synthetic national workload: appeal lifecycles across Kazakhstan's regions, on a simulated clock.

Defaults are calibrated to the published figures in DOMAIN.md (about 89 % of messages
answered, the best regions 99-100 %, the weakest city 72.9 %; dissatisfaction under 30 % in
the best regions, around 50 % in the worst). Everything is drawn from one seeded generator and
command ids derive from the seed, so the same seed gives the same commands, byte for byte.
"""

from __future__ import annotations

import heapq
import itertools
import json
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

from ..domain.calendar import add_working_days, answer_due, latest_extension
from ..domain.iin import make_iin
from ..domain.localtime import local_date

KZ = timezone(timedelta(hours=5))

# Population in thousands (approximate, 2024), for weighting where appeals come from.
POPULATION = {"10": 600, "11": 790, "15": 930, "19": 1520, "23": 700, "27": 690, "31": 1220, "33": 700, "35": 1130,
              "39": 830, "43": 830, "47": 780, "55": 750, "59": 530, "61": 2120, "62": 220, "63": 710, "71": 1420,
              "75": 2230, "79": 1240}
CATEGORIES = {"roads": 18, "courtyards": 12, "playgrounds": 6, "utilities": 14, "social_aid": 10, "housing": 9,
              "education": 7, "health": 7, "employment": 5, "land": 6, "transport": 6}
CHANNELS = {"eotinish": 45, "109": 25, "reception": 12, "social": 10, "letter": 5, "broadcast": 3}
BODY_KINDS = ("akimat", "roads-department", "housing-department", "social-department", "district-akimat-1", "district-akimat-2")


@dataclass
class Propensity:
    """How a region's bodies behave; all probabilities 0..1."""
    response: float = 0.894        # answered at all
    on_time: float = 0.85          # answered by the due date, of those answered
    dissatisfied: float = 0.35     # of ratings
    escalation: float = 0.05       # escalated to the centre
    rating: float = 0.55           # the citizen rates the answer
    forwarding: float = 0.12       # forwarded to another body
    extension: float = 0.08        # deadline extended
    withdrawal: float = 0.03
    reopening: float = 0.03


def default_propensities() -> dict[str, Propensity]:
    """Spread around the national figures: the two cities answer best, a weak city near 72.9 %."""
    spread = {"71": (0.99, 0.95, 0.25, 0.02), "75": (0.995, 0.93, 0.28, 0.02), "79": (0.729, 0.70, 0.50, 0.12),
              "61": (0.80, 0.75, 0.46, 0.09), "62": (0.85, 0.80, 0.42, 0.07), "43": (0.86, 0.80, 0.40, 0.06)}
    out = {}
    for code in POPULATION:
        response, on_time, dissatisfied, escalation = spread.get(code, (0.90, 0.86, 0.35, 0.05))
        out[code] = Propensity(response=response, on_time=on_time, dissatisfied=dissatisfied, escalation=escalation)
    return out


def load_propensities(path: Path | None) -> dict[str, Propensity]:
    """Defaults, overridden per region by a JSON file {"75": {"response": 0.95, ...}, ...}."""
    table = default_propensities()
    if path is None:
        return table
    overrides = json.loads(Path(path).read_text())
    for code, values in overrides.items():
        if code not in table:
            raise SystemExit(f"{path}: {code!r} is not a region code; use the KATO codes of README/DOMAIN.md")
        unknown = set(values) - set(Propensity.__dataclass_fields__)
        if unknown:
            raise SystemExit(f"{path}: unknown propensities {sorted(unknown)} for region {code}")
        for name, value in values.items():
            if not 0 <= float(value) <= 1:
                raise SystemExit(f"{path}: {code}.{name} must be between 0 and 1")
            setattr(table[code], name, float(value))
    return table


_CUMULATIVE: dict[int, tuple[list[str], list[int]]] = {}


def _pick(rnd: random.Random, weights: dict[str, int]) -> str:
    # The same draw as rnd.choices(keys, weights=...), with the running sums computed once.
    keys, cumulative = _CUMULATIVE.get(id(weights)) or _CUMULATIVE.setdefault(
        id(weights), (list(weights), list(itertools.accumulate(weights.values()))))
    return rnd.choices(keys, cum_weights=cumulative)[0]


NOTICE_CHANNELS = {"sms": 50, "portal": 30, "email": 15, "post": 5}


def _moment(day: date, rnd: random.Random) -> datetime:
    return datetime.combine(day, time(9, 0), KZ) + timedelta(minutes=rnd.randrange(0, 8 * 60))


def lifecycle(n: int, seed: int, filed_at: datetime, region: str, p: Propensity, rnd: random.Random) -> list[dict[str, Any]]:
    """One appeal's commands in business-time order."""
    appeal_id = f"sim{seed}-{n:08d}"
    ids = iter(f"{appeal_id}-{i}" for i in range(20))
    body = f"{region}-{rnd.choice(BODY_KINDS)}"
    received = local_date(region, filed_at)   # the region's legal local day, as the ledger reckons it
    due = answer_due(received)
    out: list[dict[str, Any]] = []

    def add(command_type: str, at: datetime, **fields: Any) -> None:
        out.append({"type": command_type, "command_id": next(ids), "appeal_id": appeal_id, "at": at.isoformat(), **fields})

    iin = make_iin(f"{rnd.randrange(40, 100):02d}{rnd.randrange(1, 13):02d}{rnd.randrange(1, 29):02d}", rnd.randrange(3, 5),
                   rnd.randrange(10000)) or "900101301233"
    add("file", filed_at, region=region, body=body, category=_pick(rnd, CATEGORIES), channel=_pick(rnd, CHANNELS),
        citizen={"iin": iin, "name": f"Citizen {n}", "contact": None})
    t = filed_at
    if rnd.random() < p.forwarding:
        t = _moment(add_working_days(received, rnd.randint(1, 4)), rnd)
        add("route", t, to_body=f"{region}-{rnd.choice(BODY_KINDS)}-competent", reason="competence")
        if rnd.random() < 0.85:   # the citizen told of the forwarding with it (APC Art. 65), sometimes days late
            t += timedelta(hours=1) if rnd.random() < 0.9 else timedelta(days=rnd.randint(4, 8))
            add("notify", t, kind="forwarding", channel=_pick(rnd, NOTICE_CHANNELS))
    if rnd.random() < p.extension:
        until = min(latest_extension(received), due + timedelta(days=rnd.randint(7, 30)))
        t = max(t, _moment(add_working_days(received, rnd.randint(3, 10)), rnd))
        add("extend", t, until=until.isoformat(), reason="inspection needed")
        due = until
        if rnd.random() < 0.85:   # within 3 working days of the extension (APC Art. 76), or late
            t = _moment(add_working_days(local_date(region, t), rnd.randint(1, 3) if rnd.random() < 0.9 else 5), rnd)
            add("notify", t, kind="extension", channel=_pick(rnd, NOTICE_CHANNELS))
    if rnd.random() < p.withdrawal:
        add("withdraw", t + timedelta(days=rnd.randint(1, 5)), reason=None)
        return out
    if rnd.random() < p.response:
        on_time = rnd.random() < p.on_time
        if on_time:
            span = max(0, (due - received).days)
            day = received + timedelta(days=rnd.randint(1, max(1, span)))
            day = min(day, due)
        else:
            day = due + timedelta(days=rnd.randint(2, 20))   # after the overdue notice of the next day
            add("overdue", _moment(due + timedelta(days=1), rnd))
        answered_at = max(_moment(day, rnd), t + timedelta(minutes=1))
        add("answer", answered_at, outcome=rnd.choices(["resolved", "explained", "refused"], [55, 35, 10])[0])
        t = answered_at
        if rnd.random() < p.rating:
            satisfied = rnd.random() >= p.dissatisfied
            t += timedelta(days=rnd.randint(0, 3), hours=1)
            add("rate", t, satisfied=satisfied, score=rnd.randint(4, 5) if satisfied else rnd.randint(1, 2))
            if not satisfied and rnd.random() < p.escalation * 4:
                t += timedelta(days=1)
                add("escalate", t, reason="dissatisfied", by="citizen")
                t += timedelta(days=rnd.randint(5, 15))
                add("answer", t, outcome="explained")
                return out
        if rnd.random() < p.reopening:
            t += timedelta(days=rnd.randint(2, 10))
            add("reopen", t, reason="not done")
            t += timedelta(days=rnd.randint(3, 12))
            add("answer", t, outcome="resolved")
    else:
        add("overdue", _moment(due + timedelta(days=1), rnd))
        if rnd.random() < p.escalation * 3:
            add("escalate", _moment(due + timedelta(days=rnd.randint(5, 15)), rnd), reason="overdue", by="system")
    return out


def commands(appeals: int, seed: int, start: date, days: int, propensities: dict[str, Propensity]) -> Iterator[dict[str, Any]]:
    """Every command of `appeals` lifecycles filed over `days` days from `start`, in business-time order."""
    rnd = random.Random(seed)
    regions = list(POPULATION)
    cumulative = list(itertools.accumulate(POPULATION[r] for r in regions))
    # Filing moments in order: the n-th appeal arrives at n/appeals of the period, with jitter.
    # (business time, creation order, command): plain tuples compare in C, and the unique order
    # means two commands are never compared themselves.
    pending: list[tuple[datetime, int, dict[str, Any]]] = []
    order = 0
    period = timedelta(days=days)
    for n in range(appeals):
        filed_at = datetime.combine(start, time(0, 0), KZ) + period * (n + rnd.random()) / appeals
        while pending and pending[0][0] <= filed_at:
            yield heapq.heappop(pending)[2]
        region = rnd.choices(regions, cum_weights=cumulative)[0]
        for command in lifecycle(n, seed, filed_at, region, propensities[region], rnd):
            heapq.heappush(pending, (datetime.fromisoformat(command["at"]), order, command))
            order += 1
    while pending:
        yield heapq.heappop(pending)[2]


def line(command: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in command.items() if v is not None and v != ""}, ensure_ascii=False, sort_keys=True)
