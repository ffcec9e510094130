"""`tyndau tail` (and ranking, in tests/projections): live records of a topic, filtered by region."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid

import pytest

from streams.settings import ROOT
from tests.support.workload import VALID_IINS

pytestmark = pytest.mark.integration


def test_tail_prints_live_events_of_one_region(worker, kafka):
    tail = subprocess.Popen([sys.executable, "-m", "streams.cli", "tail", "--topic", "appeals.public", "--region", "47",
                             "--limit", "1", "--format", "json"], env=worker.env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    time.sleep(4)
    appeal_id = f"tail-{uuid.uuid4().hex[:8]}"
    for region, suffix in (("75", "x"), ("47", "")):
        status, _ = worker.post("/v1/commands", {"type": "file", "command_id": f"{appeal_id}{suffix}-1", "appeal_id": appeal_id + suffix,
                                                 "at": "2038-05-05T10:00:00+05:00", "region": region, "body": "aktau-akimat",
                                                 "category": "roads", "channel": "109", "citizen": {"iin": VALID_IINS[0], "name": "A"}})
        assert status == 201
    out, _ = tail.communicate(timeout=60)
    line = json.loads(out.strip().splitlines()[-1])
    assert line["appeal_id"] == appeal_id and line["region"] == "47" and "citizen" not in line["payload"]
