"""`tyndau publish` and `simulate`: sending commands and learning their outcomes."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .. import settings


def cmd_publish(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from ..clients.publish import publish_file
    from ..clients.signing import signer_for

    path = Path(args.file)
    signer = signer_for()   # TYNDAU_TOKEN's principal, before anything is read or sent
    importer = signer.principal.role == "importer"
    if args.import_history and not importer:
        raise SystemExit(f"tyndau publish --import moves history in as an importer, and TYNDAU_TOKEN names a "
                         f"{signer.principal.role} principal; issue one with `tyndau token issue --role importer --name NAME`")
    if importer and not args.import_history:
        raise SystemExit(f"TYNDAU_TOKEN names the importer {signer.principal.name}: its commands move history in, with the "
                         "times that history recorded; say so with `tyndau publish FILE --import`")
    bar = tqdm(unit=" commands", desc="sending", disable=None, file=sys.stderr)

    def progress(sent: int) -> None:
        bar.update(sent - bar.n)

    report = publish_file(path, signer=signer, wait=args.wait, progress=progress)
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


def cmd_simulate(args: argparse.Namespace) -> int:
    import asyncio
    from datetime import date

    from tqdm import tqdm

    from ..devtools.simulate import commands, line, load_propensities

    if settings.ENV == "production" and not args.out:
        raise SystemExit("tyndau simulate sends made-up appeals to the ledger, which keeps them for ever: refused with "
                         "TYNDAU_ENV=production; run it against a development cluster, or write a file with --out")
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
    from ..clients.publish import publish_lines
    from ..clients.signing import SIMULATOR, signer_for

    signer = signer_for(SIMULATOR)
    report = asyncio.run(publish_lines(enumerate(generated(), 1), signer=signer, wait=args.wait, rate=args.rate))
    bar.close()
    print(json.dumps(report.as_json(), ensure_ascii=False))
    return 2 if report.unanswered else 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    publish = sub.add_parser("publish", help="send commands from a JSON Lines file and report their outcomes",
                             description="Send each line of FILE (one command object per line) to appeals.commands, "
                                         "then wait for every outcome and report accepted, rejected and duplicate commands. "
                                         "Each command is signed for the principal of TYNDAU_TOKEN with the deployment's "
                                         "assertion key (TYNDAU_AUTH_DIR); an importer's commands (--import) keep the actors and "
                                         "times the file names. Exit status 0 when every outcome is known, 2 when some are not.")
    publish.add_argument("file", metavar="FILE.jsonl")
    publish.add_argument("--wait", type=float, default=60.0,
                         help="give up when no outcome arrives for this many seconds (default 60; 0 = send only)")
    publish.add_argument("--rejections", metavar="OUT.jsonl", help="write every rejected line with its reason here")
    publish.add_argument("--format", choices=["text", "json"], default="text")
    publish.add_argument("--import", dest="import_history", action="store_true",
                         help="move history in from another system (TYNDAU_TOKEN must be an importer's): its events are "
                              "marked imported (imported_by) and keep their past times, in order per appeal; without "
                              "it, commands are live acts, held to the ledger's clock (a filing at most "
                              "TYNDAU_FILING_WINDOW_DAYS old, nothing in the future). Importing a file twice appends nothing new")
    publish.set_defaults(func=cmd_publish)

    simulate = sub.add_parser("simulate", help="generate a national workload of appeal lifecycles (to Kafka or a file)",
                              description="Appeal lifecycles across the 20 regions (weighted by population) on a simulated "
                                          "clock: forwarding, extensions, answers, ratings, escalations, withdrawals, reopenings, "
                                          "with per-region propensities calibrated to DOMAIN.md. The same --seed gives the same commands. "
                                          "Sent to Kafka, they are signed as the importer `simulate` with the deployment's "
                                          "assertion key (TYNDAU_AUTH_DIR), so every event says it was simulated (imported_by).")
    simulate.add_argument("--appeals", type=int, default=10_000, help="how many appeals (default 10000)")
    simulate.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    simulate.add_argument("--start", default="2024-01-01", help="first day of the simulated period (default 2024-01-01)")
    simulate.add_argument("--days", type=int, default=365, help="length of the period in days (default 365)")
    simulate.add_argument("--propensities", metavar="FILE.json", help='per-region overrides, e.g. {"79": {"response": 0.73}}')
    simulate.add_argument("--out", metavar="FILE.jsonl", help="write JSON Lines for `tyndau publish` instead of sending to Kafka")
    simulate.add_argument("--rate", type=float, default=0.0, help="commands per second when sending (default 0: as fast as possible)")
    simulate.add_argument("--wait", type=float, default=60.0, help="seconds to wait for outcomes when sending (default 60)")
    simulate.set_defaults(func=cmd_simulate)
