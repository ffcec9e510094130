"""The deadline watcher: a Faust timer that sends `overdue` (and, by policy, `escalate`) commands.

It runs with the ledger role and looks at the open and escalated appeals of the partitions this worker
judges (the ledger table's index of them, streams/agents/ledger_store.py), so with several ledger
processes each watches its own partitions. Command ids are derived from the appeal and its deadline,
so the ledger appends each at most once.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone

from .. import settings, topics
from ..app import app
from ..auth.assertions import sign_assertion
from ..auth.keys import ASSERTIONS_FILE, ring_file
from ..domain.deadlines import deadline_commands
from ..domain.principals import Principal
from ..telemetry import DEADLINE_COMMANDS, DEADLINE_RUNS
from .channels import commands_topic
from .ledger import appeal_id_to_state

log = logging.getLogger(__name__)
_sent: set[str] = set()
WATCHER = Principal("deadline-watcher", "system")   # the principal its commands are asserted for


if settings.DEADLINE_CHECK_SECONDS > 0:
    @app.timer(interval=settings.DEADLINE_CHECK_SECONDS)
    async def watch_deadlines() -> None:
        now, sent = datetime.now(timezone.utc), 0   # each appeal's day is its region's (domain/deadlines.py)
        ring = ring_file(ASSERTIONS_FILE).current()
        # No region's local day is later than the UTC day after: every appeal past its due day is among these.
        for state in list(appeal_id_to_state.watched(before=(now + timedelta(days=1)).date())):
            for command in deadline_commands(state, now, settings.ESCALATE_AFTER_WORKING_DAYS, settings.IMPORT_SETTLE):
                if command["command_id"] in _sent:
                    continue
                value = json.dumps(command).encode()
                assertion = sign_assertion(ring, WATCHER, value, command["command_id"], datetime.now(timezone.utc))
                await commands_topic.send(key=state.appeal_id.encode(), value=value,
                                          headers={topics.AUTH_HEADER: assertion})
                _sent.add(command["command_id"])
                sent += 1
        DEADLINE_RUNS.inc()
        DEADLINE_COMMANDS.inc(sent)
        if sent:
            log.info("deadline watcher sent %d commands", sent)
