"""`tyndau ranking`, `report` and `tail`: what the projections and the topics say now."""

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
    if args.format == "xlsx" and not args.out:
        raise SystemExit("tyndau ranking --format xlsx: give --out FILE.xlsx (a spreadsheet is not printed)")
    rows = fetch_ranking(args)
    if args.format in ("csv", "xlsx"):
        from pathlib import Path

        from projections.export import ranking_csv, ranking_xlsx

        title = f"tyndau ranking by {args.by}" + "".join(f", {name} {value}" for name, value in
                                                          (("from", args.date_from), ("to", args.date_to),
                                                           ("figures at the end of", args.today)) if value)
        data = ranking_csv(rows) if args.format == "csv" else ranking_xlsx(rows, title)
        if not args.out:
            sys.stdout.write(data.decode("utf-8-sig"))
            return 0
        Path(args.out).write_bytes(data)
        print(f"wrote {len(rows)} rows to {args.out}", file=sys.stderr)
        return 0
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


def _month(value: str):
    """The first and last day of a month YYYY-MM."""
    import calendar
    import re

    from datetime import date

    match = re.fullmatch(r"(\d{4})-(\d{2})", value or "")
    if not match or not 1 <= int(match[2]) <= 12 or not 1970 <= int(match[1]) <= 2149:
        raise SystemExit(f"tyndau report: --month must be a month YYYY-MM between 1970-01 and 2149-12; got {bounds.shown(value)}")
    year, month = int(match[1]), int(match[2])
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def report_figures(args: argparse.Namespace) -> dict:
    """The month's figures of the region: from the worker's HTTP API (it owns an embedded chDB), or from ClickHouse."""
    from projections.ranking import local_today
    from projections.report import OVERDUE_PAGE

    first, last = _month(args.month)
    today = _day(args.today, "--today") or local_today()
    period = {"from": first.isoformat(), "to": last.isoformat(), "today": today.isoformat(), "region": args.region}
    # The trend counts answers as the projection holds them now: it stops at --today, as the figures do.
    until = min(last, max(first, today))
    paths = {"kpis": "/v1/kpis", "trend": f"/v1/trend?bucket=day&to={until.isoformat()}", "bodies": "/v1/ranking?by=body",
             "categories": "/v1/ranking?by=category", "overdue": f"/v1/overdue?limit={OVERDUE_PAGE}"}
    figures = {"region": args.region, "month": args.month, **{k: period[k] for k in ("from", "to", "today")}}
    if settings.CLICKHOUSE_DSN.startswith("chdb:") and not args.direct:
        try:
            for name, path in paths.items():
                asked = {k: v for k, v in period.items() if not (name == "trend" and k in ("to", "today"))}
                figures[name] = call_worker(args.api, path + ("&" if "?" in path else "?") + query_string(asked)[1:], timeout=60)
            return figures
        except SystemExit as error:
            raise SystemExit(f"tyndau report: {error}") from None
        except NoWorker:
            print(f"no worker answers at {args.api}; reading {settings.CLICKHOUSE_DSN} directly", file=sys.stderr)
    from projections import ranking as figures_of

    from ..avro.jsonable import jsonable

    regions = (args.region,)
    figures.update(jsonable({
        "kpis": figures_of.kpis(first, last, today, regions=regions),
        "trend": figures_of.trend(first, until, "day", regions=regions),
        "bodies": figures_of.ranking("body", first, last, today, region=args.region),
        "categories": figures_of.ranking("category", first, last, today, region=args.region),
        "overdue": figures_of.overdue(OVERDUE_PAGE, today, regions=regions, date_from=first, date_to=last)}))
    return figures


def dashboard_codes() -> dict:
    """The names of the domain's codes in kk, ru and en, as the dashboard shows them (streams/http/static/codes.js)."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "http" / "static" / "codes.js").read_text(encoding="utf-8")
    return json.loads(text.split("\nconst CODES = ", 1)[1].rstrip().rstrip(";"))


def cmd_report(args: argparse.Namespace) -> int:
    from ..domain.regions import REGIONS

    if args.region not in REGIONS:
        raise SystemExit(f"tyndau report: --region must be a first-level KATO code ({', '.join(REGIONS)}); "
                         f"got {bounds.shown(args.region)}")
    _month(args.month)
    if args.format == "pdf" and not args.out:
        raise SystemExit("tyndau report: give --out FILE.pdf (or --format json to print the figures)")
    figures = report_figures(args)
    if args.format == "json":
        print(json.dumps(figures, ensure_ascii=False))
        return 0
    from pathlib import Path

    from projections.report import render_report

    from ..audit.dossier import font_path

    render_report(figures, args.lang, Path(args.out), font_path(), dashboard_codes()["category"])
    print(f"wrote the report of region {args.region} for {args.month} to {args.out}", file=sys.stderr)
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
    rank.add_argument("--format", choices=["json", "table", "csv", "xlsx"], default="table",
                      help="table (default), json, or a file for a report: csv (UTF-8) or xlsx (needs --out)")
    rank.add_argument("--out", metavar="FILE", help="write the ranking here (csv, xlsx; json and table print it)")
    rank.add_argument("--api", default=API_DEFAULT, help="the worker's HTTP address")
    rank.add_argument("--direct", action="store_true", help="open ClickHouse directly even when it is chDB (no worker running)")
    rank.set_defaults(func=cmd_ranking)

    report = sub.add_parser("report", help="a region's monthly report as a printable PDF (kk or ru)",
                            description="The figures of the appeals a region received in a month, as they stood at the "
                                        "end of --today: the ranking's figures, the trend per day, the region's bodies "
                                        "and categories, and its overdue appeals. Asks the worker's HTTP API when "
                                        "ClickHouse is the embedded chDB (a token with the figures right, TYNDAU_TOKEN).")
    report.add_argument("--region", required=True, metavar="CODE", help="the region's first-level KATO code, e.g. 47")
    report.add_argument("--month", required=True, metavar="YYYY-MM", help="the month of receipt")
    report.add_argument("--lang", choices=["kk", "ru"], default="kk", help="the report's language (default: kk)")
    report.add_argument("--today", metavar="D", help="figures as they stood at the end of day D (default: today in Kazakhstan)")
    report.add_argument("--format", choices=["pdf", "json"], default="pdf", help="pdf (default, needs --out) or json: the figures")
    report.add_argument("--out", metavar="FILE.pdf", help="write the PDF here")
    report.add_argument("--api", default=API_DEFAULT, help="the worker's HTTP address")
    report.add_argument("--direct", action="store_true", help="open ClickHouse directly even when it is chDB (no worker running)")
    report.set_defaults(func=cmd_report)

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
