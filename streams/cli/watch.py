"""`tyndau ranking` and `tail`: what the projections and the topics say now."""

from __future__ import annotations

import argparse
import json
import sys

from .. import settings, topics
from ..clients.worker_api import NoWorker, call_worker, query_string
from ..domain import bounds
from .common import API_DEFAULT


def _day(value: str | None, option: str):
    if not value:
        return None
    day = bounds.parse_day(value)
    if day is None or not bounds.day_in_bounds(day):
        raise SystemExit(f"tyndau ranking: {option} must be a date YYYY-MM-DD between {bounds.EARLIEST_DAY} and "
                         f"{bounds.LATEST_DAY}; got {bounds.shown(value)}")
    return day


def fetch_ranking(args: argparse.Namespace) -> list[dict]:
    """From the worker's HTTP API (it owns an embedded chDB), or straight from ClickHouse."""
    query = {"by": args.by, "from": args.date_from, "to": args.date_to, "today": args.today}
    direct = not settings.CLICKHOUSE_DSN.startswith("chdb:") or args.direct
    if not direct:
        try:
            return call_worker(args.api, "/v1/ranking" + query_string(query), timeout=60)
        except SystemExit as error:   # the worker's answer to a bad request, named as this command's
            raise SystemExit(f"tyndau ranking: {error}") from None
        except NoWorker:
            print(f"no worker answers at {args.api}; reading {settings.CLICKHOUSE_DSN} directly", file=sys.stderr)
    from projections.ranking import ranking

    return ranking(args.by, _day(args.date_from, "--from"), _day(args.date_to, "--to"), _day(args.today, "--today"))


def cmd_ranking(args: argparse.Namespace) -> int:
    rows = fetch_ranking(args)
    if args.format == "json":
        print(json.dumps(rows, ensure_ascii=False, indent=None))
        return 0
    headers = ["key", "filed", "answered", "resp %", "on time %", "rated", "dissat %", "escal", "escal %", "overdue", "median wd"]

    def pct(v):
        return "—" if v is None else f"{100 * v:.1f}"

    table = [[r["key"], r["filed"], r["answered"], pct(r["response_rate"]), pct(r["on_time_rate"]), r["rated"],
              pct(r["dissatisfied_share"]), r["escalated"], pct(r["escalation_share"]), r["overdue"],
              "—" if r["median_response_working_days"] is None else f"{r['median_response_working_days']:.1f}"] for r in rows]
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *table)]
    for line in [headers] + table:
        print("  ".join(str(x).rjust(w) if i else str(x).ljust(w) for i, (x, w) in enumerate(zip(line, widths))))
    return 0


def cmd_tail(args: argparse.Namespace) -> int:
    import asyncio

    from ..clients.consumer import subscribe
    from ..avro.jsonable import jsonable

    async def run() -> None:
        shown = 0
        async for record in subscribe(args.topic, from_beginning=args.from_beginning):
            value = record.value
            if args.region and value.get("region") != args.region:
                continue
            if args.format == "json":
                print(json.dumps(jsonable(value), ensure_ascii=False), flush=True)
            else:
                kind = value.get("event_type") or value.get("reason")
                print(f"{record.partition}:{record.offset:<8} {value.get('appeal_id') or '—':<28} {value.get('sequence', ''):>3} "
                      f"{kind:<18} {value.get('region', ''):<3} {value.get('body', '')}", flush=True)
            shown += 1
            if args.limit and shown >= args.limit:
                return

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        pass
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    rank = sub.add_parser("ranking", help="the listening-akimat ranking by region, body or category, or the centre's by region",
                          description="The ranking as it stood at the end of --today; rates are fractions 0..1. "
                                      "--by region|body|category counts the receiving bodies' handling of the appeals "
                                      "received in [--from, --to]: their term, their first answer and its rating; "
                                      "--by centre counts the centre's handling of the appeals escalated to it in "
                                      "[--from, --to], one row per region: its term, the first answer of its handling "
                                      "and its rating. Dates are Kazakhstan's legal dates. Asks the worker's HTTP API "
                                      "when ClickHouse is the embedded chDB.")
    rank.add_argument("--by", choices=["region", "body", "category", "centre"], default="region",
                      help="region, body, category: the receiving bodies' figures so grouped; centre: the centre's, "
                           "by region (default: region)")
    rank.add_argument("--from", dest="date_from", metavar="DATE", help="first day of receipt (YYYY-MM-DD); with --by centre, "
                                                                       "of the first escalation")
    rank.add_argument("--to", dest="date_to", metavar="DATE", help="last day of receipt (YYYY-MM-DD); with --by centre, "
                                                                   "of the first escalation")
    rank.add_argument("--today", metavar="D", help="the ranking as it stood at the end of day D (YYYY-MM-DD): every "
                                                   "appeal as it was then, overdue judged on D; the same D gives the "
                                                   "same figures whenever it is asked (default: today in Kazakhstan)")
    rank.add_argument("--format", choices=["json", "table"], default="table")
    rank.add_argument("--api", default=API_DEFAULT, help="the worker's HTTP address")
    rank.add_argument("--direct", action="store_true", help="open ClickHouse directly even when it is chDB (no worker running)")
    rank.set_defaults(func=cmd_ranking)

    tail = sub.add_parser("tail", help="print a topic's events live (an example consumer)",
                          description="Follow a tyndau topic with the consumer helper (streams/clients/consumer.py) and print each "
                                      "decoded record; Ctrl-C stops.")
    tail.add_argument("--topic", default=topics.PUBLIC,
                      choices=[topics.PUBLIC, topics.EVENTS, topics.REJECTED])
    tail.add_argument("--region", help="only this region (KATO code, e.g. 75)")
    tail.add_argument("--from-beginning", action="store_true", help="start at the topic's first record, not its end")
    tail.add_argument("--limit", type=int, default=0, help="stop after this many records")
    tail.add_argument("--format", choices=["text", "json"], default="text")
    tail.set_defaults(func=cmd_tail)
