"""The `tyndau` command line: run the system, send commands, and look at what it knows.

Each command group is a module here that adds its own subcommands (`add_commands`).
"""

from __future__ import annotations

import argparse

from . import admin, audit, send, system, token, watch
from .common import use_calendar_file

DESCRIPTION = """\
tyndau — the ledger of citizens' appeals.

Every command (file, route, extend, answer, escalate, rate, withdraw, reopen, overdue) is
checked against the appeal's state and becomes an Avro event on appeals.events, or a record
with its reason on appeals.rejected.

Configuration comes from the environment: TYNDAU_KAFKA (or KAFKA_BOOTSTRAP_SERVERS),
TYNDAU_PARTITIONS, TYNDAU_DATA_DIR, TYNDAU_HTTP_PORT; commands that call the API send the
credential in TYNDAU_TOKEN (`tyndau token issue`); see README.md.
"""

GROUPS = (system, send, watch, audit, admin, token)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tyndau", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for group in GROUPS:
        group.add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from ..auth.keys import KeyFileError

    args = build_parser().parse_args(argv)
    use_calendar_file()
    try:
        return args.func(args) or 0
    except KeyFileError as error:   # a key file that is missing or unreadable: say which and what to do
        raise SystemExit(f"tyndau {args.command}: {error}") from None
