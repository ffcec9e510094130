"""Erasing a citizen's personal data (Law on Personal Data No. 94-V: destroyed on the subject's
request or when the term ends): each of their appeals' data keys destroyed, each erasure recorded.

The events stay as they are, so every chain still verifies and the projections (which never held the
personal fields) do not change; the sealed fields can no longer be opened by anyone. An appeal written
before personal data was sealed holds it in clear inside hashed bytes: erasing it would break the chain, so
the request is refused for it, and nothing is erased, rather than pretend (README: data written before sealing):
such an appeal has no data key, or one whose `first_sequence` is after its filing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..domain.principals import Principal
from ..kafka.access import access_record
from ..kafka.data_keys import Erased, destroy_keys, lookup_keys

BEFORE_SEALING = ("written before personal data was sealed: its personal data sits in clear inside hashed "
                  "events, which cannot be erased without breaking the chain (README: data written before sealing)")


async def erase_appeals(appeal_ids: list[str], principal: Principal, reason: str, via: str = "api",
                        request_id: str | None = None, now: datetime | None = None) -> dict[str, Any]:
    """Destroy these appeals' data keys, or, when one of them cannot be erased, nothing. The outcome:
    `erased` (appeal id and day), `already_erased`, `refused` (appeal id and why)."""
    entries = await lookup_keys(appeal_ids)
    erased, already, refused, todo = [], [], [], []
    for appeal_id in appeal_ids:
        entry = entries.get(appeal_id)
        if isinstance(entry, Erased):
            already.append({"appeal_id": appeal_id, "erased_on": entry.at.date().isoformat()})
        elif entry is None:
            refused.append({"appeal_id": appeal_id, "why": f"it has no data key: it was {BEFORE_SEALING}"})
        elif entry.get("first_sequence", 1) > 1:
            refused.append({"appeal_id": appeal_id, "why": f"its events before {entry['first_sequence']} were "
                                                           f"{BEFORE_SEALING}"})
        else:
            todo.append(appeal_id)
    if not refused:
        records = [access_record(principal, "erase_personal_data", "appeal", appeal_id, purpose=reason, via=via,
                                 request_id=request_id, at=now) for appeal_id in todo]
        await destroy_keys(records)
        erased = [{"appeal_id": r["object"], "erased_on": r["at"].date().isoformat()} for r in records]
    return {"erased": erased, "already_erased": already, "refused": refused}
