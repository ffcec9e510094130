"""Business time: when an act may say it happened. `at` is never in the future, and never dated back
before what the ledger already holds; imports carry past times, in order per appeal."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from .commands import Command, CommandError
from .localtime import day_start
from .state import ESCALATED, OPEN, AppealState

FUTURE_TOLERANCE = timedelta(minutes=5)        # how far past the ledger's clock a command's `at` may lie
FILING_WINDOW = timedelta(days=7)              # how far before the ledger's clock a live filing may be dated (a setting)


def overdue_moment(state: AppealState) -> datetime:
    """When the appeal became overdue: the start of the region's local day after its due date (in UTC, so
    that it compares by the instant with every other time, whichever zone those were written in)."""
    return _day_after(state, state.due_on)


def check_time(state: AppealState | None, command: Command, clock: datetime | None, live: bool,
                filing_window: timedelta) -> None:
    """The business-time rules: `at` is never in the future, and never dated back before what the
    ledger already holds. Imports may carry past times, in order per appeal; live acts may not."""
    at = command.at
    if clock is not None and at > clock + FUTURE_TOLERANCE:
        raise CommandError("future", f"at {at.isoformat()} is later than the ledger's clock ({clock.isoformat()}) plus "
                                     f"{int(FUTURE_TOLERANCE.total_seconds() // 60)} minutes; send the time of the act")
    if state is None:
        if live and clock is not None and at < clock - filing_window:
            raise CommandError("backdated", f"a filing may be dated at most {filing_window.days} days before the ledger's "
                                            f"clock; at {at.isoformat()} is earlier. Move older history in with "
                                            "`tyndau publish FILE --import`")
        return
    if command.type == "overdue":
        return   # its time is the law's (the day after the due date), not the sender's: see _overdue
    if at < state.filed_at:
        raise CommandError("before_filing", f"at {at.isoformat()} is before the appeal was filed ({state.filed_at.isoformat()})")
    if state.last_at is not None and at < state.last_at:
        raise CommandError("backdated", f"at {at.isoformat()} is earlier than the appeal's latest event "
                                        f"({state.last_at.isoformat()}); acts are appended in the order they happen")
    if live and clock is not None:
        for moment, what in _deadlines_judging(state, command):
            if moment <= clock and at < moment:
                raise CommandError("backdated", f"{what} ended at {moment.isoformat()}; a live act cannot be dated before "
                                                f"a deadline that has passed (at {at.isoformat()})")


def _day_after(state: AppealState, day: date) -> datetime:
    return day_start(state.region, day + timedelta(days=1)).astimezone(timezone.utc)


def _deadlines_judging(state: AppealState, command: Command) -> list[tuple[datetime, str]]:
    """The ends of the deadlines this act is judged against (its timeliness is decided by them): once one has
    passed, dating the act before it would turn a late act into a timely one."""
    out = []
    if state.status in (OPEN, ESCALATED):
        out.append((overdue_moment(state), f"the appeal's term (due {state.due_on})"))
    if command.type == "route":
        out.append((_day_after(state, state.forward_by), f"the forwarding term (by {state.forward_by}, APC Art. 65)"))
    if command.type == "notify":
        owed = state.notice_owed(command.data.get("kind"))
        if owed is not None:
            out.append((_day_after(state, owed[1]), f"the {owed[0]} notice's term (by {owed[1]})"))
    return out
