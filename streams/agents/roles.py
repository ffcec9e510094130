"""What one worker process runs: its roles (`tyndau worker --roles …`, README: roles and processes).

- ledger     judges commands into events and rejections (agent append_appeal_events, the ledger table on disk);
             any number of processes share the command partitions through the Faust consumer group
- deadlines  the deadline watcher and the retention job (timers) for the partitions this process judges: needs `ledger`
- feed       appeals.events → appeals.public (its own consumer group, transactions): any number
- projector  appeals.events → ClickHouse (its own consumer group), the projections' migrations and rebuilds
- api        the HTTP API and dashboard: intake, outcomes, figures, histories, and the revocation follower

With embedded chDB one process owns the data folder, so `projector` and `api` run together in that one
process; with a ClickHouse server, projectors and APIs scale like the ledger.
"""

from __future__ import annotations

import importlib

ROLES = ("ledger", "projector", "feed", "deadlines", "api")
ROLE_MODULES = {
    "ledger": ("streams.agents.ledger",),                # appeals.commands → appeals.events | appeals.rejected
    "deadlines": ("streams.agents.deadline_watcher", "streams.agents.retention"),   # overdue and escalate commands,
                                                                                   # erasures when a term ends (timers)
    "projector": ("streams.agents.projector",            # appeals.events → ClickHouse (task project_events)
                  "streams.agents.checkpoints"),         # signed checkpoints of the trees (timer sign_checkpoints)
    "feed": ("streams.agents.public_feed",),             # appeals.events → appeals.public (task publish_public_feed)
    "api": (),                                           # the views: streams/http/__init__.py
}


class RolesError(ValueError):
    pass


def parse_roles(text: str, clickhouse_dsn: str) -> tuple[str, ...]:
    """The roles named in `text` (comma-separated), in ROLES order; a RolesError says what is wrong."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = sorted(set(names) - set(ROLES))
    if unknown:
        raise RolesError(f"unknown role {', '.join(unknown)}: choose from {','.join(ROLES)}")
    if not names:
        raise RolesError(f"no role given: choose from {','.join(ROLES)}")
    roles = tuple(role for role in ROLES if role in names)
    if "deadlines" in roles and "ledger" not in roles:
        raise RolesError("the deadlines role watches the ledger's own partitions: run it with the ledger role")
    if clickhouse_dsn.startswith("chdb://") and ("projector" in roles) != ("api" in roles):
        raise RolesError("with embedded chDB one process owns the data folder: run projector and api together "
                         "(--roles projector,api), or point TYNDAU_CLICKHOUSE at a ClickHouse server")
    return roles


def register(roles: tuple[str, ...]) -> None:
    """Register the agents, tasks and timers of these roles with the app (the views: streams/http)."""
    for role in roles:
        for name in ROLE_MODULES[role]:
            importlib.import_module(name)
