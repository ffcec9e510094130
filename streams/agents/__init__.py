"""What a worker runs, all on the one Faust app (streams/app.py).

Importing a module registers its agents, tasks and timers with the app; `register()` imports
exactly the ones in WORKER_MODULES, so this list is the whole of a worker's stream processing
but one task: the outcome follower of streams/http/intake.py, which the intake's callers need
and which streams/http registers with the views (see streams/http/__init__.py).
"""

from __future__ import annotations

import importlib

WORKER_MODULES = (
    "streams.agents.ledger",            # appeals.commands → appeals.events | appeals.rejected (agent append_appeal_events)
    "streams.agents.deadline_watcher",  # overdue and escalate commands for appeals past their deadline (timer)
    "streams.agents.projector",         # appeals.events → ClickHouse (task project_events)
    "streams.agents.public_feed",       # appeals.events → appeals.public without personal data (task publish_public_feed)
)


def register() -> None:
    for name in WORKER_MODULES:
        importlib.import_module(name)
