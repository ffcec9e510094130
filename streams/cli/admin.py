"""`tyndau rebuild` and `asyncapi`: maintaining the projections and publishing the topic contract."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..clients.worker_api import worker_json
from .common import API_DEFAULT


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


def cmd_asyncapi(args: argparse.Namespace) -> int:
    from ..contracts.asyncapi import asyncapi_document

    text = json.dumps(asyncapi_document(), indent=2, ensure_ascii=False) + "\n"
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    rebuild = sub.add_parser("rebuild", help="drop the projections and rebuild them from offset 0 of the log",
                             description="The worker empties the ClickHouse projections and replays appeals.events from the "
                                         "beginning while the ledger keeps accepting commands; shows progress and the throughput.")
    rebuild.add_argument("--api", default=API_DEFAULT, help="the worker's HTTP address")
    rebuild.set_defaults(func=cmd_rebuild)

    asyncapi = sub.add_parser("asyncapi", help="print the AsyncAPI 3 document of tyndau's topics",
                              description="Generated from the topic configuration and schemas/; deploy/asyncapi.json is its committed copy.")
    asyncapi.add_argument("--out", metavar="FILE", help="write it here instead of standard output")
    asyncapi.set_defaults(func=cmd_asyncapi)
