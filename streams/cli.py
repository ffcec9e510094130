"""The `tyndau` command line: run the system, send commands, and (later) look at what it knows."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from . import settings

DESCRIPTION = """\
tyndau — the ledger of citizens' appeals.

Every command (file, route, extend, answer, escalate, rate, withdraw, reopen, overdue) is
checked against the appeal's state and becomes an Avro event on appeals.events, or a record
with its reason on appeals.rejected.

Configuration comes from the environment: TYNDAU_KAFKA (or KAFKA_BOOTSTRAP_SERVERS),
TYNDAU_PARTITIONS, TYNDAU_DATA_DIR, TYNDAU_HTTP_PORT; see README.md.
"""


def cmd_up(args: argparse.Namespace) -> int:
    from .broker import Broker, BrokerError
    from .kafka_admin import ensure_topics

    data_dir = Path(args.data_dir)
    broker = Broker(data_dir / "kafka", port=args.kafka_port)
    env = dict(os.environ, TYNDAU_KAFKA=broker.bootstrap, TYNDAU_DATA_DIR=str(data_dir), TYNDAU_HTTP_PORT=str(args.http_port))
    try:
        print(f"starting Apache Kafka (KRaft) on {broker.bootstrap}, data in {broker.data_dir} …", flush=True)
        broker.start()
    except BrokerError as error:
        print(f"tyndau up: {error}", file=sys.stderr)
        return 1
    worker = None
    try:
        ensure_topics(broker.bootstrap)
        print(f"dashboard:  http://{settings.HTTP_HOST}:{args.http_port}/", flush=True)
        print(f"intake API: http://{settings.HTTP_HOST}:{args.http_port}/v1/commands  (OpenAPI: /openapi.json)", flush=True)
        print("press Ctrl-C to stop", flush=True)
        worker = subprocess.Popen([sys.executable, "-m", "streams.cli", "worker", "--loglevel", args.loglevel], env=env)
        return worker.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        if worker is not None and worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
        print("stopping Kafka …", flush=True)
        broker.stop()


def cmd_worker(args: argparse.Namespace) -> int:
    import faust

    from .kafka_admin import ensure_topics

    ensure_topics()
    (settings.DATA_DIR / "worker").mkdir(parents=True, exist_ok=True)
    from projections.clickhouse import client, in_db_thread, migrate

    from . import api, deadlines, ledger, projector  # noqa: F401  (registers the agents, timers and web views)

    # Tables exist before the first query or batch; chDB is used from its one thread only.
    for name in in_db_thread_sync(in_db_thread, lambda: migrate(client())):
        print(f"applied ClickHouse migration {name}", file=sys.stderr)
    from .app import app

    worker = faust.Worker(app, loglevel=args.loglevel, quiet=True)
    worker.execute_from_commandline()
    return 0


def in_db_thread_sync(runner, fn):
    import asyncio
    return asyncio.run(runner(fn))


def cmd_broker(args: argparse.Namespace) -> int:
    from .broker import Broker, BrokerError, ensure_jars

    broker = Broker(Path(args.data_dir) / "kafka", port=args.kafka_port)
    try:
        if args.action == "fetch":
            print(ensure_jars())
        elif args.action == "start":
            broker.start()
            print(f"Kafka is up on {broker.bootstrap} (pid {broker.pid_file.read_text().strip()}); stop it with `tyndau broker stop`")
        elif args.action == "stop":
            broker.stop()
            print("Kafka stopped")
        else:
            print(f"running on {broker.bootstrap}" if broker.running() else "not running")
            return 0 if broker.running() else 3
    except BrokerError as error:
        print(f"tyndau broker: {error}", file=sys.stderr)
        return 1
    return 0


def cmd_topics(args: argparse.Namespace) -> int:
    from .kafka_admin import ensure_topics, topic_specs

    ensure_topics()
    for spec in topic_specs():
        print(f"{spec.name:20} {spec.partitions} partitions  {spec.doc}")
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from .publish import publish_file

    path = Path(args.file)
    bar = tqdm(unit=" commands", desc="sending", disable=None, file=sys.stderr)

    def progress(sent: int) -> None:
        bar.update(sent - bar.n)

    report = publish_file(path, wait=args.wait, progress=progress)
    bar.close()
    if args.rejections:
        with open(args.rejections, "w", encoding="utf-8") as out:
            for row in report.rejections:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
    if args.format == "json":
        print(json.dumps(report.as_json(), ensure_ascii=False))
    else:
        print(f"sent {report.sent}: accepted {report.accepted}, rejected {report.rejected}, "
              f"duplicates {report.duplicates}" + (f", no outcome yet {report.unanswered}" if report.unanswered else ""))
        for reason, count in report.reasons.most_common():
            print(f"  {reason}: {count}")
        for row in report.rejections[:10]:
            print(f"  line {row['line']}: {row['reason']}: {row['detail']}")
        if len(report.rejections) > 10:
            print(f"  … {len(report.rejections) - 10} more" + ("" if args.rejections else "; list them all with --rejections FILE"))
    return 2 if report.unanswered else 0


def fetch_ranking(args: argparse.Namespace) -> list[dict]:
    """From the worker's HTTP API (it owns an embedded chDB), or straight from ClickHouse."""
    import urllib.error
    import urllib.parse
    import urllib.request

    query = {"by": args.by, **{k: v for k, v in (("from", args.date_from), ("to", args.date_to), ("today", args.today)) if v}}
    direct = not settings.CLICKHOUSE_DSN.startswith("chdb:") or args.direct
    if not direct:
        url = f"{args.api.rstrip('/')}/v1/ranking?{urllib.parse.urlencode(query)}"
        try:
            with urllib.request.urlopen(url, timeout=60) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            body = error.read()
            try:
                message = json.loads(body).get("error", body.decode())
            except ValueError:
                message = body.decode(errors="replace")[:500]
            raise SystemExit(f"tyndau ranking: the worker answered {error.code}: {message}") from None
        except urllib.error.URLError:
            print(f"no worker answers at {args.api}; reading {settings.CLICKHOUSE_DSN} directly", file=sys.stderr)
    from datetime import date

    from projections.ranking import ranking
    parse = lambda v: date.fromisoformat(v) if v else None  # noqa: E731
    return ranking(args.by, parse(args.date_from), parse(args.date_to), parse(args.today))


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tyndau", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    up = sub.add_parser("up", help="start Kafka and the worker (the main job on one machine)",
                        description="Start the embedded Kafka broker (KRaft) and the worker with its HTTP API; Ctrl-C stops both.")
    up.add_argument("--kafka-port", type=int, default=9092, help="broker port (default 9092)")
    up.add_argument("--http-port", type=int, default=settings.HTTP_PORT, help=f"HTTP API port (default {settings.HTTP_PORT})")
    up.add_argument("--data-dir", default=str(settings.DATA_DIR), help=f"broker and worker data (default {settings.DATA_DIR})")
    up.add_argument("--loglevel", default="warning", help="worker log level (default warning)")
    up.set_defaults(func=cmd_up)

    worker = sub.add_parser("worker", help="run one worker against TYNDAU_KAFKA (production: run several)",
                            description="Run the Faust worker: the ledger agent and the HTTP API.")
    worker.add_argument("--loglevel", default="info")
    worker.set_defaults(func=cmd_worker)

    broker = sub.add_parser("broker", help="fetch, start, stop the embedded Kafka broker",
                            description="Manage the single-node Kafka broker used on one machine and in tests.")
    broker.add_argument("action", choices=["fetch", "start", "stop", "status"])
    broker.add_argument("--kafka-port", type=int, default=9092)
    broker.add_argument("--data-dir", default=str(settings.DATA_DIR))
    broker.set_defaults(func=cmd_broker)

    topics = sub.add_parser("topics", help="create tyndau's topics if missing and list them")
    topics.set_defaults(func=cmd_topics)

    publish = sub.add_parser("publish", help="send commands from a JSON Lines file and report their outcomes",
                             description="Send each line of FILE (one command object per line) to appeals.commands, "
                                         "then wait for every outcome and report accepted, rejected and duplicate commands. "
                                         "Exit status 0 when every outcome is known, 2 when some are not.")
    publish.add_argument("file", metavar="FILE.jsonl")
    publish.add_argument("--wait", type=float, default=60.0,
                         help="give up when no outcome arrives for this many seconds (default 60; 0 = send only)")
    publish.add_argument("--rejections", metavar="OUT.jsonl", help="write every rejected line with its reason here")
    publish.add_argument("--format", choices=["text", "json"], default="text")
    publish.set_defaults(func=cmd_publish)

    rank = sub.add_parser("ranking", help="the listening-akimat ranking and KPIs by region, body or category",
                          description="Appeals received in [--from, --to], grouped; rates are fractions 0..1. "
                                      "Asks the worker's HTTP API when ClickHouse is the embedded chDB.")
    rank.add_argument("--by", choices=["region", "body", "category"], default="region")
    rank.add_argument("--from", dest="date_from", metavar="DATE", help="first day of receipt (YYYY-MM-DD)")
    rank.add_argument("--to", dest="date_to", metavar="DATE", help="last day of receipt (YYYY-MM-DD)")
    rank.add_argument("--today", metavar="DATE", help="the day 'overdue now' is judged on (default: today, UTC+5)")
    rank.add_argument("--format", choices=["json", "table"], default="table")
    rank.add_argument("--api", default=f"http://{settings.HTTP_HOST}:{settings.HTTP_PORT}", help="the worker's HTTP address")
    rank.add_argument("--direct", action="store_true", help="open ClickHouse directly even when it is chDB (no worker running)")
    rank.set_defaults(func=cmd_ranking)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args) or 0


if __name__ == "__main__":
    sys.exit(main())
