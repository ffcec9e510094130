"""The retention job (issue 15, item 3; Law on Personal Data No. 94-V: personal data destroyed when its
term ends): the closed appeals past the term that still have a key are found, and only those."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import date, datetime, timezone

from streams.agents.ledger_store import LedgerStore
from streams.domain.sealing import LocalMasterKey, data_key_record
from streams.kafka.data_keys import key_value
from streams.agents.retention import expired
from streams.domain.state import ANSWERED, ESCALATED, WITHDRAWN
from tests.support.appeals import build


MASTER = LocalMasterKey(os.urandom(32))


class Table:
    def __init__(self, disk):
        self.disk, self.active = disk, {0}


def test_closed_appeals_past_the_term_with_a_key_are_expired_and_no_others(tmp_path):
    disk = LedgerStore(tmp_path, 10)
    base, _ = build(["file", "answer"])
    day = lambda d: datetime(2026, 1, d, 12, tzinfo=timezone.utc)
    states = {
        "old-answered": replace(base, appeal_id="old-answered", status=ANSWERED, last_at=day(1)),
        "old-withdrawn": replace(base, appeal_id="old-withdrawn", status=WITHDRAWN, last_at=day(2)),
        "recent": replace(base, appeal_id="recent", status=ANSWERED, last_at=day(28)),
        "reopened": replace(base, appeal_id="reopened", status=ANSWERED, last_at=day(1)),
        "erased": replace(base, appeal_id="erased", status=ANSWERED, last_at=day(1)),
        "keyless": replace(base, appeal_id="keyless", status=ANSWERED, last_at=day(1)),
    }
    held = disk.open(0)
    held.write(states, None, None)
    held.write({"reopened": replace(states["reopened"], status=ESCALATED, sequence=9)}, None, None)
    held.write_keys({a: key_value(data_key_record(a, "k", os.urandom(32), MASTER, day(1))) for a in states if a != "keyless"})
    held.write_keys({"erased": day(3)})
    # Filed before sealing: its filing is in clear, which destroying the key would not erase.
    held.write({"late": replace(base, appeal_id="late", status=ANSWERED, last_at=day(1))}, None, None)
    held.write_keys({"late": key_value(data_key_record("late", "k", os.urandom(32), MASTER, day(1), first_sequence=3))})
    assert sorted(expired(Table(disk), [0], date(2026, 1, 31), 20)) == ["old-answered", "old-withdrawn"]
    assert expired(Table(disk), [0], date(2026, 1, 31), 40) == []
    assert "erased" not in dict(held.closed())   # an erased appeal leaves the index
