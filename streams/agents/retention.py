"""The retention job: personal data erased when its term ends (Law on Personal Data No. 94-V).

With TYNDAU_PERSONAL_DATA_RETENTION_DAYS set, every TYNDAU_RETENTION_CHECK_SECONDS the ledger process looks
at the closed appeals (answered or withdrawn) of the partitions it judges, and destroys the data key of each
whose latest act is more than that many days old, recording each erasure on appeals.access as done by the
principal `retention` (role system). An appeal reopened or escalated meanwhile is open again, so not erased.
The term is the deployment's to confirm (README: personal data); unset, nothing is erased automatically.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta, timezone

from .. import settings
from ..app import app
from ..avro import codec
from ..domain.principals import Principal
from ..kafka.access import access_record
from ..kafka.data_keys import destroy_keys
from .ledger import appeal_id_to_state

log = logging.getLogger(__name__)
RETENTION = Principal("retention", "system")
CHUNK = 500   # erasures per transaction


def expired(table, partitions: list[int], today: date, days: int) -> list[str]:
    """The appeals of these partitions closed more than `days` days before `today` that still have a data key."""
    cutoff = today - timedelta(days=days)
    found = []
    for partition in partitions:
        held = table.disk.open(partition)
        for appeal_id, day in list(held.closed()):
            if day < cutoff and erasable(held.key_of(appeal_id)):
                found.append(appeal_id)
    return found


def erasable(stored: bytes | datetime | None) -> bool:
    """Whether destroying this key erases the appeal's personal data: it has one, sealed since its filing (an
    appeal filed before sealing keeps its filing in clear; `tyndau erase` refuses it too)."""
    if not isinstance(stored, bytes):
        return False
    try:
        return codec.decode(stored, codec.DATA_KEY).get("first_sequence", 1) == 1
    except Exception:   # noqa: BLE001 — not a key record: nothing to erase here
        return False


async def erase_expired(table, now: datetime, days: int) -> int:
    """Erase what `expired` finds; the number erased."""
    todo = expired(table, sorted(table.active), now.date(), days)
    reason = f"retention term ended: {days} days after the appeal was closed (TYNDAU_PERSONAL_DATA_RETENTION_DAYS)"
    for start in range(0, len(todo), CHUNK):
        await destroy_keys([access_record(RETENTION, "erase_personal_data", "appeal", appeal_id, purpose=reason,
                                          via="worker", at=now) for appeal_id in todo[start:start + CHUNK]])
    if todo:
        log.warning("retention: erased the personal data of %d appeals closed more than %d days ago", len(todo), days)
    return len(todo)


if settings.PERSONAL_DATA_RETENTION_DAYS is not None and settings.RETENTION_CHECK_SECONDS > 0:
    @app.timer(interval=settings.RETENTION_CHECK_SECONDS)
    async def erase_when_the_term_ends() -> None:
        if not appeal_id_to_state.recovered:
            return
        try:
            await erase_expired(appeal_id_to_state, datetime.now(timezone.utc), settings.PERSONAL_DATA_RETENTION_DAYS)
        except Exception as error:   # noqa: BLE001 — the broker away: the next run tries again, nothing is half done
            log.error("retention: could not erase this run (%s); the next run tries again", type(error).__name__)
