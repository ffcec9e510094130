"""The appeal's state: its statuses, whose term runs, and every figure the fold keeps (one frozen record)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

OPEN, ESCALATED, ANSWERED, WITHDRAWN = "open", "escalated", "answered", "withdrawn"
STATUSES = (OPEN, ESCALATED, ANSWERED, WITHDRAWN)
BODY, CENTRE = "body", "centre"     # whose handling the current term is: the receiving bodies', or the centre's
STAGES = (BODY, CENTRE)


@dataclass(frozen=True)
class AppealState:
    appeal_id: str
    sequence: int
    last_hash: str
    status: str
    region: str
    body: str
    category: str
    channel: str
    filed_at: datetime
    received_on: date
    due_on: date
    forward_by: date
    extended: bool = False
    routed: int = 0
    answered_at: datetime | None = None
    answered_on: date | None = None     # local day of the (last) answer
    outcome: str | None = None
    on_time: bool | None = None
    overdue_on: date | None = None      # the deadline already reported overdue
    escalations: int = 0
    rated: bool = False                 # the current answer has been rated
    ratings: int = 0                    # ratings ever given; satisfied/score are the last one's
    satisfied: bool | None = None
    score: int | None = None
    reopened: int = 0
    withdrawn_at: datetime | None = None
    last_at: datetime | None = None
    imported_by: str | None = None      # the importer that moved the appeal in (its filing), if one did
    # Whose term runs, and each stage's own figures (the body's first answer stays the body's; README: figures).
    stage: str = BODY                   # "body" until the first escalation, then "centre"
    term_started_on: date | None = None     # receipt day of the current term: filing, reopening, escalation, send-back
    body_due_on: date | None = None         # the receiving body's term (with extensions) until its first answer or the escalation
    body_answered_on: date | None = None    # the body's first answer, before any escalation
    body_on_time: bool | None = None
    body_satisfied: bool | None = None      # the citizen's rating of that first answer
    centre_received_on: date | None = None  # local day of the first escalation: the centre's receipt
    centre_due_on: date | None = None       # the centre's term (15 working days; a send-back or extension moves it)
    centre_answered_on: date | None = None  # the first answer of the centre's handling (by it, or a body it sent it back to)
    centre_on_time: bool | None = None
    centre_satisfied: bool | None = None
    escalated_by: str | None = None         # the first escalation's `by`
    last_escalated_by: str | None = None    # the latest escalation's `by`
    notices_owed: tuple[tuple[str, date, str], ...] = ()   # (kind, due day, stage) of notices owed and not yet given
    body_late_notices: int = 0
    centre_late_notices: int = 0
    last_on: date | None = None             # the region's local day of last_at
    last_act_imported: bool = False         # the latest act (the deadline watcher's aside) was imported
    stage_answers: int = 0                  # answers given in the current stage: a rating counts for the stage's first
    stage_body: str | None = None           # the body the body stage's figures belong to: the one holding the appeal
                                            # until its first answer or the escalation (a later forwarding moves nothing)
    imported_at: datetime | None = None     # when the ledger appended the latest imported act (an import under way)
    command_ids: frozenset[str] = frozenset()

    def notice_owed(self, kind: str) -> tuple[str, date, str] | None:
        """The oldest notice of `kind` still owed to the citizen (the one a notice of that kind gives), if any."""
        return next((n for n in self.notices_owed if n[0] == kind), None)

    def as_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k != "command_ids"}
        return out
