"""Which deadline commands an appeal calls for on a given day: overdue, then (by policy) escalation."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta
from typing import Any

from .appeal import ESCALATED, OPEN, AppealState
from .bounds import MAX_ID_CHARS
from .calendar import working_days_between
from .commands import RESERVED_ID_PREFIXES
from .localtime import local_date


_ID_PREFIX = {owner: prefix for prefix, owner in RESERVED_ID_PREFIXES}   # command type -> its reserved id prefix


def _deadline_command_id(kind: str, state: AppealState) -> str:
    """One id per appeal and deadline: the ledger appends it once, however often it is sent.
    An appeal id too long to fit in a command id is named by its SHA-256 instead."""
    prefix, due = _ID_PREFIX[kind], state.due_on.isoformat()
    command_id = f"{prefix}{state.appeal_id}:{due}"
    if len(command_id) > MAX_ID_CHARS:
        command_id = f"{prefix}sha256-{hashlib.sha256(state.appeal_id.encode()).hexdigest()}:{due}"
    return command_id


def overdue_command_id(state: AppealState) -> str:
    return _deadline_command_id("overdue", state)


def escalation_command_id(state: AppealState) -> str:
    return _deadline_command_id("escalate", state)


IMPORT_SETTLE = timedelta(hours=24)   # how long after an imported act the watcher leaves the appeal to its import


def deadline_commands(state: AppealState, now: datetime, escalate_after_working_days: int = 0,
                      import_settle: timedelta = IMPORT_SETTLE) -> list[dict[str, Any]]:
    """Commands to send for this appeal at `now` (an aware instant, the ledger's clock): none while it is on time.

    Days are the region's legal local days. While an import is moving an appeal in (its latest act was imported
    less than `import_settle` ago by the ledger's clock), the watcher sends nothing: the history's own acts,
    overdue events included, say what happened, and the watcher never races them (README: business time).
    Once the import has settled, a still open appeal is judged from today like any other."""
    if state.last_act_imported and state.imported_at is not None and now - state.imported_at < import_settle:
        return []
    today: date = local_date(state.region, now)
    if state.status not in (OPEN, ESCALATED) or today <= state.due_on:
        return []
    base = {"appeal_id": state.appeal_id, "at": now.isoformat()}
    if state.overdue_on != state.due_on:
        return [dict(base, type="overdue", command_id=overdue_command_id(state))]
    if (escalate_after_working_days > 0 and state.status == OPEN
            and working_days_between(state.due_on, today) >= escalate_after_working_days):
        return [dict(base, type="escalate", command_id=escalation_command_id(state), reason="overdue", by="system")]
    return []
