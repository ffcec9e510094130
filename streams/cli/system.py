"""`tyndau up`, `worker`, `broker`, `topics`: running tyndau and its broker."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from .. import settings, topics


def _stop_like_ctrl_c(signum, frame) -> None:
    raise KeyboardInterrupt


def _ledger_count(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 1 <= count <= settings.PARTITIONS:
        raise argparse.ArgumentTypeError(f"between 1 and the {settings.PARTITIONS} partitions (TYNDAU_PARTITIONS), "
                                         f"beyond which a ledger process has nothing to judge")
    return count


def cmd_up(args: argparse.Namespace) -> int:
    import signal

    from ..auth.production import check_production_keys

    check_production_keys()   # its workers would be refused, and restarted for ever

    from ..devtools.broker import Broker, BrokerError, terminate
    from ..devtools.supervisor import Supervisor, layout
    from ..kafka.admin import ensure_topics, upgrade_development_topics

    # SIGTERM (kill, a service manager) and SIGHUP (a closed terminal) stop it as Ctrl-C does:
    # the worker first, then the broker, so neither is left running without the other. SIGINT too, set here:
    # a shell starts a background job with SIGINT ignored, and Python then leaves it ignored.
    signal.signal(signal.SIGINT, _stop_like_ctrl_c)
    signal.signal(signal.SIGTERM, _stop_like_ctrl_c)
    signal.signal(signal.SIGHUP, _stop_like_ctrl_c)
    data_dir = Path(args.data_dir)
    broker = Broker(data_dir / "kafka", port=args.kafka_port)
    env = dict(os.environ, TYNDAU_KAFKA=broker.bootstrap, TYNDAU_DATA_DIR=str(data_dir), TYNDAU_HTTP_PORT=str(args.http_port))
    worker, supervisor = None, None
    try:
        print(f"starting Apache Kafka (KRaft) on {broker.bootstrap}, data in {broker.data_dir} …", flush=True)
        broker.start()
        ensure_topics(broker.bootstrap)
        if upgrade_development_topics(broker.bootstrap):
            print(f"set {topics.COMMANDS} to the broker's append time (message.timestamp.type=LogAppendTime), which "
                  "the ledger needs to judge command assertions", flush=True)
        print(f"dashboard:  http://{settings.HTTP_HOST}:{args.http_port}/", flush=True)
        print(f"intake API: http://{settings.HTTP_HOST}:{args.http_port}/v1/commands  (OpenAPI: /openapi.json)", flush=True)
        print("credentials: the API and dashboard need one; a development admin token, for instance:\n"
              f"  TYNDAU_DATA_DIR={data_dir} TYNDAU_KAFKA={broker.bootstrap} tyndau token issue --role admin | tail -1\n"
              "  (--role monitor for the dashboard, auditor for histories, importer for `tyndau publish --import`)", flush=True)
        print("press Ctrl-C to stop", flush=True)
        if args.ledgers:
            supervisor = Supervisor()
            layout(supervisor, args.ledgers, data_dir, env, args.loglevel)
            supervisor.start()
            supervisor.run()
        pause = 1.0
        while True:   # one process with every role; one that exits (fenced, crashed, killed) starts again
            started = time.monotonic()
            worker = subprocess.Popen([sys.executable, "-m", "streams.cli", "worker", "--loglevel", args.loglevel], env=env)
            code = worker.wait()
            if code == 0:
                return 0
            pause = 1.0 if time.monotonic() - started > 60 else pause   # a long life starts the pauses over
            print(f"the worker exited with {code}; restarting it in {pause:.0f}s", flush=True)
            time.sleep(pause)
            pause = min(pause * 2, 30.0)
    except BrokerError as error:
        print(f"tyndau up: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        for stop in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):   # stopping is under way: a second signal must not cut it short
            signal.signal(stop, signal.SIG_IGN)
        terminate(worker)
        if supervisor is not None:
            print("stopping the workers …", flush=True)
            supervisor.stop()
        if getattr(broker, "_proc", None) is not None:   # only the broker this command started
            print("stopping Kafka …", flush=True)
            broker.stop()


def cmd_worker(args: argparse.Namespace) -> int:
    import faust

    from .. import http
    from ..agents import roles as worker_roles
    from ..agents.runtime import tune_gc
    from ..app import app
    from ..auth.keys import ASSERTIONS_FILE, TOKENS_FILE, ring_file
    from ..auth.production import check_production_keys
    from ..kafka.admin import check_command_timestamps, check_partition_count, ensure_topics
    from ..kafka.schemas_topic import publish_schemas_sync

    try:
        roles = worker_roles.parse_roles(args.roles, settings.CLICKHOUSE_DSN)
    except worker_roles.RolesError as error:
        print(f"tyndau worker: {error}", file=sys.stderr)
        return 2
    check_production_keys()   # before connecting to anything (streams/auth/production.py)
    ensure_topics()
    check_partition_count()
    check_command_timestamps()
    publish_schemas_sync()
    for name in (TOKENS_FILE, ASSERTIONS_FILE):   # a key file that cannot be read stops the start, not a request
        ring_file(name).current()
    (settings.DATA_DIR / "worker").mkdir(parents=True, exist_ok=True)
    worker_roles.register(roles)   # the agents, tasks and timers of these roles (streams/agents/roles.py)
    if "api" in roles:
        http.register()     # the HTTP views (streams/http/__init__.py)
    elif settings.METRICS_PORT:
        app.conf.web_port = settings.METRICS_PORT
        http.register(http.METRICS_ONLY)   # its own /metrics, to an operator's token
    else:
        app.conf.web_enabled = False
    if "ledger" not in roles:
        # No agent and no table here: this process must not join the ledger's consumer group, whose
        # partitions only ledger processes may be given.
        app.boot_strategy.enable_kafka_consumer = False
    if "ledger" in roles:
        from ..agents.catch_up import catch_up_held
        from ..agents.ledger import appeal_id_to_state, source_of

        catch_up_held(appeal_id_to_state.disk, source_of)   # so Faust's recovery reads only what came meanwhile
    if "projector" in roles:
        _prepare_projections()
    tune_gc()
    print(f"tyndau worker: roles {','.join(roles)}", file=sys.stderr, flush=True)
    worker = faust.Worker(app, loglevel=args.loglevel, quiet=True)
    # Faust's terminal spinner sets the root logger to DEBUG so that every record turns it; then
    # aiokafka builds a debug record per message sent. No spinner: the level asked for holds.
    worker.spinner = None
    worker.execute_from_commandline()
    return 0


def _prepare_projections() -> None:
    """The projector's tables exist before the first batch or query; chDB is used from its one thread only."""
    import asyncio

    from projections.clickhouse import client, in_db_thread, migrate, needs_refold, run_query

    from ..agents.rebuild import request_rebuild

    applied = asyncio.run(in_db_thread(lambda: migrate(client())))
    for name in applied:
        print(f"applied ClickHouse migration {name}", file=sys.stderr)
    if needs_refold(applied) and asyncio.run(in_db_thread(lambda: run_query("latest_day", {"regions": []}, client())))[0]["appeals"]:
        # Rows folded before the migration lack what it added (the stages' figures, the versions): refold them all.
        request_rebuild()
        print("the projections are rebuilt from appeals.events, as the migrations applied ask", file=sys.stderr)


def cmd_broker(args: argparse.Namespace) -> int:
    from ..devtools.broker import Broker, BrokerError, ensure_jars

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
    from ..kafka.admin import ensure_topics
    from ..topics import topic_specs

    ensure_topics()
    for spec in topic_specs():
        print(f"{spec.name:20} {spec.partitions} partitions  {spec.doc}")
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    up = sub.add_parser("up", help="start Kafka and the worker (the main job on one machine)",
                        description="Start the embedded Kafka broker (KRaft) and the worker with its HTTP API; Ctrl-C stops both.")
    up.add_argument("--kafka-port", type=int, default=9092, help="broker port (default 9092)")
    up.add_argument("--http-port", type=int, default=settings.HTTP_PORT, help=f"HTTP API port (default {settings.HTTP_PORT})")
    up.add_argument("--data-dir", default=str(settings.DATA_DIR), help=f"broker and worker data (default {settings.DATA_DIR})")
    up.add_argument("--loglevel", default="warning", help="worker log level (default warning)")
    up.add_argument("--ledgers", type=_ledger_count, default=0, metavar="N",
                    help="run N ledger processes (roles ledger,feed,deadlines) and one projector,api process, each "
                         "logging to <data-dir>/logs/ and restarted if it dies (default: one process with every role)")
    up.set_defaults(func=cmd_up)

    worker = sub.add_parser("worker", help="run one worker against TYNDAU_KAFKA (production: run several)",
                            description="Run a Faust worker with the given roles. ledger: judge commands into events "
                                        "(any number of processes share the partitions); deadlines: the deadline watcher of "
                                        "those partitions (with ledger); feed: the public feed; projector: ClickHouse "
                                        "projections; api: the HTTP API and dashboard. With embedded chDB, projector and api "
                                        "run together in one process.")
    worker.add_argument("--roles", default=settings.WORKER_ROLES,
                        help=f"comma-separated roles (default {settings.WORKER_ROLES}; env TYNDAU_WORKER_ROLES)")
    worker.add_argument("--loglevel", default="info")
    worker.set_defaults(func=cmd_worker)

    broker = sub.add_parser("broker", help="fetch, start, stop the embedded Kafka broker",
                            description="Manage the single-node Kafka broker used on one machine and in tests.")
    broker.add_argument("action", choices=["fetch", "start", "stop", "status"])
    broker.add_argument("--kafka-port", type=int, default=9092)
    broker.add_argument("--data-dir", default=str(settings.DATA_DIR))
    broker.set_defaults(func=cmd_broker)

    topics = sub.add_parser("topics", help="create tyndau's topics if missing and list them",
                            description="Create every topic of the topic contract (streams/topics.py) that the cluster lacks, "
                                        "with its partitions and configuration, check that the co-partitioned ones agree, "
                                        "and list them. Run it once against a production cluster.")
    topics.set_defaults(func=cmd_topics)
