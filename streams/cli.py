"""The `tyndau` command line: run the system, send commands, and (later) look at what it knows."""

from __future__ import annotations

import argparse
import json
import os
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


def _stop_like_ctrl_c(signum, frame) -> None:
    raise KeyboardInterrupt


def cmd_up(args: argparse.Namespace) -> int:
    import signal

    from .broker import Broker, BrokerError, terminate
    from .kafka_admin import ensure_topics

    # SIGTERM (kill, a service manager) and SIGHUP (a closed terminal) stop it as Ctrl-C does:
    # the worker first, then the broker, so neither is left running without the other.
    signal.signal(signal.SIGTERM, _stop_like_ctrl_c)
    signal.signal(signal.SIGHUP, _stop_like_ctrl_c)
    data_dir = Path(args.data_dir)
    broker = Broker(data_dir / "kafka", port=args.kafka_port)
    env = dict(os.environ, TYNDAU_KAFKA=broker.bootstrap, TYNDAU_DATA_DIR=str(data_dir), TYNDAU_HTTP_PORT=str(args.http_port))
    worker = None
    try:
        print(f"starting Apache Kafka (KRaft) on {broker.bootstrap}, data in {broker.data_dir} …", flush=True)
        broker.start()
        ensure_topics(broker.bootstrap)
        print(f"dashboard:  http://{settings.HTTP_HOST}:{args.http_port}/", flush=True)
        print(f"intake API: http://{settings.HTTP_HOST}:{args.http_port}/v1/commands  (OpenAPI: /openapi.json)", flush=True)
        print("press Ctrl-C to stop", flush=True)
        worker = subprocess.Popen([sys.executable, "-m", "streams.cli", "worker", "--loglevel", args.loglevel], env=env)
        return worker.wait()
    except BrokerError as error:
        print(f"tyndau up: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        for stop in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):   # stopping is under way: a second signal must not cut it short
            signal.signal(stop, signal.SIG_IGN)
        terminate(worker)
        if getattr(broker, "_proc", None) is not None:   # only the broker this command started
            print("stopping Kafka …", flush=True)
            broker.stop()


def cmd_worker(args: argparse.Namespace) -> int:
    import faust

    from .kafka_admin import ensure_topics

    ensure_topics()
    import asyncio

    from .kafka_admin import topic_partitions
    actual = len(asyncio.run(topic_partitions(settings.KAFKA_BOOTSTRAP, [settings.COMMANDS_TOPIC])))
    if actual != settings.PARTITIONS:
        raise SystemExit(f"{settings.COMMANDS_TOPIC} has {actual} partitions but TYNDAU_PARTITIONS is {settings.PARTITIONS}; "
                         f"set TYNDAU_PARTITIONS={actual} (the ledger checks that each command is on its appeal's partition)")
    from .schemas_topic import publish_schemas_sync

    publish_schemas_sync()
    (settings.DATA_DIR / "worker").mkdir(parents=True, exist_ok=True)
    from projections.clickhouse import client, in_db_thread, migrate

    from . import api, deadlines, ledger, projector, public_feed  # noqa: F401  (registers the agents, tasks and web views)

    # Tables exist before the first query or batch; chDB is used from its one thread only.
    for name in in_db_thread_sync(in_db_thread, lambda: migrate(client())):
        print(f"applied ClickHouse migration {name}", file=sys.stderr)
    from .app import app
    from .runtime import tune_gc

    tune_gc()
    worker = faust.Worker(app, loglevel=args.loglevel, quiet=True)
    # Faust's terminal spinner sets the root logger to DEBUG so that every record turns it; then
    # aiokafka builds a debug record per message sent. No spinner: the level asked for holds.
    worker.spinner = None
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


def worker_json(api: str, path: str, body: dict | None = None, method: str | None = None, timeout: float = 120):
    """A JSON call to the running worker; SystemExit saying what to do when it does not answer."""
    import urllib.error
    import urllib.request

    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(api.rstrip("/") + path, data=data, method=method or ("POST" if data is not None else "GET"),
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            message = json.loads(raw).get("error", raw.decode())
        except ValueError:
            message = raw.decode(errors="replace")[:500]
        raise SystemExit(f"the worker answered {error.code}: {message}") from None
    except urllib.error.URLError as error:
        raise SystemExit(f"no tyndau worker answers at {api} ({error.reason}); start one with `tyndau up` or give --api") from None


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


def cmd_history(args: argparse.Namespace) -> int:
    import urllib.parse

    query = {k: v for k, v in (("as_of", args.as_of), ("personal", "true" if args.personal else None)) if v}
    path = f"/v1/appeals/{urllib.parse.quote(args.appeal_id, safe='')}/history" + (f"?{urllib.parse.urlencode(query)}" if query else "")
    document = worker_json(args.api, path)
    if args.format == "json":
        print(json.dumps(document, ensure_ascii=False))
        return 0 if document["chain_ok"] else 1
    print(f"appeal {document['appeal_id']}: {len(document['events'])} events, chain "
          + ("OK" if document["chain_ok"] else "BROKEN"))
    for e in document["events"]:
        actor = f"{e['actor']['role']}:{e['actor']['id']}"
        print(f"  {e['sequence']:>3}  {e['type']:<10} {e['occurred_at'][:19]}  rec {e['recorded_at'][:19]}  {actor:<24} {e['body']:<20} {e['hash'][:16]}…")
    for p in document["problems"]:
        print(f"  problem at sequence {p['sequence']}: {p['problem']}")
    state = document.get("state")
    if state:
        title = f"state as of {document['as_of']}" if "as_of" in document else "state now"
        print(f"{title}: status {state['status']}, body {state['body']}, due {state['due_on']}, "
              f"answered {state['answered_at'] or '—'}, rating {('satisfied' if state['satisfied'] else 'dissatisfied') if state['ratings'] else '—'}")
    elif "as_of" in document:
        print(f"state as of {document['as_of']}: not yet filed")
    return 0 if document["chain_ok"] else 1


def cmd_verify(args: argparse.Namespace) -> int:
    import asyncio

    from tqdm import tqdm

    from .verify import compare, projector_caught_up, read_log

    bar = tqdm(unit=" events", desc="reading the log", disable=None, file=sys.stderr)

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.update(done - bar.n)

    cursors, report, ends = asyncio.run(read_log(settings.KAFKA_BOOTSTRAP, progress))
    bar.close()
    if not args.log_only:
        if not asyncio.run(projector_caught_up(settings.KAFKA_BOOTSTRAP, ends)):
            print("the projector has not caught up with the log within 120 s; comparing anyway", file=sys.stderr)
        rows, offset, page = [], 0, 50_000
        while True:
            chunk = worker_json(args.api, "/v1/query/appeal_states", {"limit": page, "offset": offset})
            rows += chunk
            if len(chunk) < page:
                break
            offset += page
        from datetime import date
        for row in rows:
            for name in ("due_on", "answered_on"):
                if row.get(name):
                    row[name] = date.fromisoformat(row[name])
        compare(cursors, rows, report)
        report.projection_errors = worker_json(args.api, "/v1/query/projection_errors", {"limit": 100_000})
    if args.format == "json":
        print(json.dumps(report.as_json(), ensure_ascii=False))
    else:
        print(f"read {report.events} events of {report.appeals} appeals from {settings.EVENTS_TOPIC}")
        for p in report.problems:
            print(f"LOG  appeal {p['appeal_id']} sequence {p['sequence']} (partition {p['partition']}, offset {p['offset']}): {p['problem']}")
        for m in report.mismatches:
            print(f"PROJ appeal {m['appeal_id']}: {m['field']} is {m['projection']} in ClickHouse but {m['log']} in the log")
        for e in report.projection_errors:
            print(f"NOT PROJECTED {e['topic']} partition {e['partition']}, offset {e['offset']} (appeal {e['appeal_id'] or '?'}): {e['error']}")
        print("verified: no problems" if report.ok else f"{len(report.problems)} problems in the log, {len(report.mismatches)} "
              f"projection mismatches, {len(report.projection_errors)} events not projected")
    return 0 if report.ok else 1


def cmd_rebuild(args: argparse.Namespace) -> int:
    import time

    from tqdm import tqdm

    status = worker_json(args.api, "/v1/admin/rebuild", {})
    bar = tqdm(unit=" events", desc="rebuilding", disable=None, file=sys.stderr)
    while status.get("state") in ("requested", "running"):
        time.sleep(0.5)
        status = worker_json(args.api, "/v1/admin/rebuild")
        if status.get("events_total") is not None:
            bar.total = status["events_total"]
            bar.update(status.get("events_done", 0) - bar.n)
    bar.close()
    if status.get("state") != "done":
        print(f"rebuild ended in state {status.get('state')}: {status}", file=sys.stderr)
        return 1
    print(f"rebuilt the projections from {status['events_total']} events in {status['elapsed_s']:.1f} s "
          f"({status['events_per_s']} events/s); the ledger kept accepting commands meanwhile")
    return 0


def cmd_dossier(args: argparse.Namespace) -> int:
    import urllib.parse

    from .dossier import dossier_json, render_pdf

    if not args.out and not args.json:
        raise SystemExit("tyndau dossier: give --out FILE.pdf, --json, or both")
    history = worker_json(args.api, f"/v1/appeals/{urllib.parse.quote(args.appeal_id, safe='')}/history?personal=true")
    if args.json:
        print(json.dumps(dossier_json(history, args.lang), ensure_ascii=False, indent=2))
    if args.out:
        render_pdf(history, args.lang, Path(args.out))
        print(f"wrote {args.out} ({len(history['events'])} events, chain {'OK' if history['chain_ok'] else 'BROKEN'})", file=sys.stderr)
    return 0 if history["chain_ok"] else 1


def cmd_tail(args: argparse.Namespace) -> int:
    import asyncio

    from .consumer import subscribe
    from .jsonable import jsonable

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


def cmd_simulate(args: argparse.Namespace) -> int:
    import asyncio
    from datetime import date

    from tqdm import tqdm

    from .simulate import commands, line, load_propensities

    try:
        start = date.fromisoformat(args.start)
    except ValueError:
        raise SystemExit(f"--start {args.start!r} is not a date YYYY-MM-DD") from None
    if args.appeals < 1 or args.days < 1:
        raise SystemExit("--appeals and --days must be at least 1")
    bar = tqdm(total=args.appeals, unit=" appeals", desc="simulating", disable=None, file=sys.stderr)

    def generated():
        for command in commands(args.appeals, args.seed, start, args.days, load_propensities(args.propensities)):
            if command["type"] == "file":
                bar.update(1)
            yield line(command)

    if args.out:
        written = 0
        with open(args.out, "w", encoding="utf-8") as out:
            for text in generated():
                out.write(text + "\n")
                written += 1
        bar.close()
        print(f"wrote {written} commands for {args.appeals} appeals to {args.out}", file=sys.stderr)
        return 0
    from .publish import publish_lines

    report = asyncio.run(publish_lines(enumerate(generated(), 1), wait=args.wait, rate=args.rate))
    bar.close()
    print(json.dumps(report.as_json(), ensure_ascii=False))
    return 2 if report.unanswered else 0


def cmd_asyncapi(args: argparse.Namespace) -> int:
    from .asyncapi import asyncapi_document

    text = json.dumps(asyncapi_document(), indent=2, ensure_ascii=False) + "\n"
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
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

    api_default = f"http://{settings.HTTP_HOST}:{settings.HTTP_PORT}"
    history = sub.add_parser("history", help="one appeal's events from the ledger, its chain checked, its state at any moment",
                             description="Every event of the appeal in order, read from appeals.events (ClickHouse only says "
                                         "where they are), with the result of checking its hash chain. Exit status 1 when the chain is broken.")
    history.add_argument("appeal_id")
    history.add_argument("--as-of", metavar="TIME", help="also show the state as it was then (ISO 8601 with offset, business time)")
    history.add_argument("--format", choices=["json", "table"], default="table")
    history.add_argument("--personal", action="store_true", help="include the citizen's personal data (courts)")
    history.add_argument("--api", default=api_default, help="the worker's HTTP address")
    history.set_defaults(func=cmd_history)

    verify = sub.add_parser("verify", help="check every appeal's chain in the log and the projections against the log",
                            description="Read appeals.events from offset 0, check each appeal's sequence and hash chain, fold it "
                                        "with the domain code and compare ClickHouse's projection with it. Every problem is "
                                        "reported with its appeal, sequence, partition and offset; exit status 1 if any.")
    verify.add_argument("--format", choices=["json", "text"], default="text")
    verify.add_argument("--log-only", action="store_true", help="check the log's chains only, not the projections")
    verify.add_argument("--api", default=api_default, help="the worker's HTTP address (it serves the projection)")
    verify.set_defaults(func=cmd_verify)

    rebuild = sub.add_parser("rebuild", help="drop the projections and rebuild them from offset 0 of the log",
                             description="The worker empties the ClickHouse projections and replays appeals.events from the "
                                         "beginning while the ledger keeps accepting commands; shows progress and the throughput.")
    rebuild.add_argument("--api", default=api_default, help="the worker's HTTP address")
    rebuild.set_defaults(func=cmd_rebuild)

    dossier = sub.add_parser("dossier", help="one appeal's history as a document for a court (PDF, JSON; kk or ru)",
                             description="Who wrote, when, to which body, which deadlines applied, what answers and ratings "
                                         "came, each event's hash, and how to verify them. Includes the citizen's personal data.")
    dossier.add_argument("appeal_id")
    dossier.add_argument("--out", metavar="FILE.pdf", help="write the PDF here")
    dossier.add_argument("--json", action="store_true", help="print the dossier as JSON")
    dossier.add_argument("--lang", choices=["kk", "ru"], default="kk")
    dossier.add_argument("--api", default=api_default, help="the worker's HTTP address")
    dossier.set_defaults(func=cmd_dossier)

    tail = sub.add_parser("tail", help="print a topic's events live (an example consumer)",
                          description="Follow a tyndau topic with the consumer helper (streams/consumer.py) and print each "
                                      "decoded record; Ctrl-C stops.")
    tail.add_argument("--topic", default=settings.PUBLIC_TOPIC,
                      choices=[settings.PUBLIC_TOPIC, settings.EVENTS_TOPIC, settings.REJECTED_TOPIC])
    tail.add_argument("--region", help="only this region (KATO code, e.g. 75)")
    tail.add_argument("--from-beginning", action="store_true", help="start at the topic's first record, not its end")
    tail.add_argument("--limit", type=int, default=0, help="stop after this many records")
    tail.add_argument("--format", choices=["text", "json"], default="text")
    tail.set_defaults(func=cmd_tail)

    asyncapi = sub.add_parser("asyncapi", help="print the AsyncAPI 3 document of tyndau's topics",
                              description="Generated from the topic configuration and schemas/; deploy/asyncapi.json is its committed copy.")
    asyncapi.add_argument("--out", metavar="FILE", help="write it here instead of standard output")
    asyncapi.set_defaults(func=cmd_asyncapi)

    simulate = sub.add_parser("simulate", help="generate a national workload of appeal lifecycles (to Kafka or a file)",
                              description="Appeal lifecycles across the 20 regions (weighted by population) on a simulated "
                                          "clock: forwarding, extensions, answers, ratings, escalations, withdrawals, reopenings, "
                                          "with per-region propensities calibrated to DOMAIN.md. The same --seed gives the same commands.")
    simulate.add_argument("--appeals", type=int, default=10_000, help="how many appeals (default 10000)")
    simulate.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    simulate.add_argument("--start", default="2024-01-01", help="first day of the simulated period (default 2024-01-01)")
    simulate.add_argument("--days", type=int, default=365, help="length of the period in days (default 365)")
    simulate.add_argument("--propensities", metavar="FILE.json", help='per-region overrides, e.g. {"79": {"response": 0.73}}')
    simulate.add_argument("--out", metavar="FILE.jsonl", help="write JSON Lines for `tyndau publish` instead of sending to Kafka")
    simulate.add_argument("--rate", type=float, default=0.0, help="commands per second when sending (default 0: as fast as possible)")
    simulate.add_argument("--wait", type=float, default=60.0, help="seconds to wait for outcomes when sending (default 60)")
    simulate.set_defaults(func=cmd_simulate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args) or 0


if __name__ == "__main__":
    sys.exit(main())
