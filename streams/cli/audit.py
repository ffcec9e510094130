"""`tyndau history`, `verify`, `dossier`: auditors' and courts' views of the ledger."""

from __future__ import annotations

import argparse
import json
import sys
import urllib.parse
from pathlib import Path

from .. import settings, topics
from ..clients.worker_api import query_string, worker_json
from .common import API_DEFAULT


def cmd_history(args: argparse.Namespace) -> int:
    if args.personal and not args.purpose:
        raise SystemExit("tyndau history --personal: state why with --purpose TEXT (it is recorded on appeals.access)")
    if args.purpose and not args.personal:
        raise SystemExit("tyndau history: --purpose is for reading personal data; add --personal, or leave --purpose out")
    query = query_string({"as_of": args.as_of, "personal": "true" if args.personal else None,
                          "purpose": args.purpose if args.personal else None})
    document = worker_json(args.api, f"/v1/appeals/{urllib.parse.quote(args.appeal_id, safe='')}/history{query}")
    if args.format == "json":
        print(json.dumps(document, ensure_ascii=False))
        return 0 if document["chain_ok"] else 1
    print(f"appeal {document['appeal_id']}: {len(document['events'])} events, chain "
          + ("OK" if document["chain_ok"] else "BROKEN"))
    for e in document["events"]:
        actor = f"{e['actor']['role']}:{e['actor']['id']}" + (f" via {e['imported_by']}" if e.get("imported_by") else "")
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

    from ..audit.verify import compare, projector_caught_up, read_log

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
        print(f"read {report.events} events of {report.appeals} appeals from {topics.EVENTS}")
        for p in report.problems:
            print(f"LOG  appeal {p['appeal_id']} sequence {p['sequence']} (partition {p['partition']}, offset {p['offset']}): {p['problem']}")
        for m in report.mismatches:
            print(f"PROJ appeal {m['appeal_id']}: {m['field']} is {m['projection']} in ClickHouse but {m['log']} in the log")
        for e in report.projection_errors:
            print(f"NOT PROJECTED {e['topic']} partition {e['partition']}, offset {e['offset']} (appeal {e['appeal_id'] or '?'}): {e['error']}")
        print("verified: no problems" if report.ok else f"{len(report.problems)} problems in the log, {len(report.mismatches)} "
              f"projection mismatches, {len(report.projection_errors)} events not projected")
    return 0 if report.ok else 1


def cmd_dossier(args: argparse.Namespace) -> int:
    from ..audit.dossier import dossier_json, render_pdf

    if not args.out and not args.json:
        raise SystemExit("tyndau dossier: give --out FILE.pdf, --json, or both")
    if not args.purpose:
        raise SystemExit("tyndau dossier: state why the citizen's data is read with --purpose TEXT (it is recorded on appeals.access)")
    query = query_string({"personal": "true", "purpose": args.purpose})
    history = worker_json(args.api, f"/v1/appeals/{urllib.parse.quote(args.appeal_id, safe='')}/history{query}")
    if args.json:
        print(json.dumps(dossier_json(history, args.lang), ensure_ascii=False, indent=2))
    if args.out:
        render_pdf(history, args.lang, Path(args.out))
        print(f"wrote {args.out} ({len(history['events'])} events, chain {'OK' if history['chain_ok'] else 'BROKEN'})", file=sys.stderr)
    return 0 if history["chain_ok"] else 1


def add_commands(sub: argparse._SubParsersAction) -> None:
    history = sub.add_parser("history", help="one appeal's events from the ledger, its chain checked, its state at any moment",
                             description="Every event of the appeal in order, read from appeals.events (ClickHouse only says "
                                         "where they are), with the result of checking its hash chain. Exit status 1 when the chain is broken.")
    history.add_argument("appeal_id")
    history.add_argument("--as-of", metavar="TIME", help="also show the state as it was then (ISO 8601 with offset, business time)")
    history.add_argument("--format", choices=["json", "table"], default="table")
    history.add_argument("--personal", action="store_true", help="include the citizen's personal data (auditors; needs --purpose)")
    history.add_argument("--purpose", metavar="TEXT", help="why personal data is read, e.g. a court's case number (recorded)")
    history.add_argument("--api", default=API_DEFAULT, help="the worker's HTTP address")
    history.set_defaults(func=cmd_history)

    verify = sub.add_parser("verify", help="check every appeal's chain in the log and the projections against the log",
                            description="Read appeals.events from offset 0, check each appeal's sequence and hash chain, fold it "
                                        "with the domain code and compare ClickHouse's projection with it. Every problem is "
                                        "reported with its appeal, sequence, partition and offset; exit status 1 if any.")
    verify.add_argument("--format", choices=["json", "text"], default="text")
    verify.add_argument("--log-only", action="store_true", help="check the log's chains only, not the projections")
    verify.add_argument("--api", default=API_DEFAULT, help="the worker's HTTP address (it serves the projection)")
    verify.set_defaults(func=cmd_verify)

    dossier = sub.add_parser("dossier", help="one appeal's history as a document for a court (PDF, JSON; kk or ru)",
                             description="Who wrote, when, to which body, which deadlines applied, what answers and ratings "
                                         "came, each event's hash, and how to verify them. Includes the citizen's personal data: "
                                         "TYNDAU_TOKEN must be an auditor's, and the read is recorded with its purpose.")
    dossier.add_argument("appeal_id")
    dossier.add_argument("--out", metavar="FILE.pdf", help="write the PDF here")
    dossier.add_argument("--json", action="store_true", help="print the dossier as JSON")
    dossier.add_argument("--lang", choices=["kk", "ru"], default="kk")
    dossier.add_argument("--purpose", metavar="TEXT",
                         help="why the citizen's data is read, e.g. a court's case number (recorded on appeals.access)")
    dossier.add_argument("--api", default=API_DEFAULT, help="the worker's HTTP address")
    dossier.set_defaults(func=cmd_dossier)
