"""Erasing a citizen's personal data (issue 15; Law on Personal Data No. 94-V: personal data is destroyed
on the subject's request): after `tyndau erase`, nothing of theirs is left in clear on any topic but
appeals.commands (short retention), histories say "erased on DATE", every chain verifies and the projection of
their appeals is unchanged; an open appeal carries on."""

from __future__ import annotations

import asyncio
import json
import random
import subprocess
import time
import urllib.error
import uuid
from datetime import datetime, timezone

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from streams import topics
from streams.domain.iin import make_iin

pytestmark = pytest.mark.integration

PURPOSE = "purpose=court%20request%202-123%2F2026"


def status_of(worker, path: str, role: str | None = "") -> tuple[int, dict]:
    try:
        return 200, worker.get(path, role=role)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def wait_for(what, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = what()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"not reached within {timeout} s: {what.__doc__}")


async def _scan(bootstrap: str) -> dict[str, list[bytes]]:
    """Every record's key, value and header values on every topic of the broker, aborted transactions too."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics([t for t in await admin.list_topics() if not t.startswith("__")])
    finally:
        await admin.close()
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                                isolation_level="read_uncommitted", auto_offset_reset="earliest")
    await consumer.start()
    found: dict[str, list[bytes]] = {}
    try:
        for topic in described:
            tps = [TopicPartition(topic["topic"], p["partition"]) for p in topic["partitions"]]
            consumer.assign(tps)
            ends = await consumer.end_offsets(tps)
            await consumer.seek_to_beginning(*tps)
            chunks = found.setdefault(topic["topic"], [])
            for tp in tps:
                while await consumer.position(tp) < ends[tp]:
                    for record in (await consumer.getmany(tp, timeout_ms=1000)).get(tp, []):
                        chunks.append((record.key or b"") + b"\0" + (record.value or b"") + b"\0"
                                      + b"\0".join(v or b"" for _, v in record.headers or ()))
    finally:
        await consumer.stop()
    return found


def topics_holding(bootstrap: str, secrets: list[str]) -> dict[str, set[str]]:
    """Which secret (by its index) each topic holds in clear."""
    wanted = [s.encode() for s in secrets]
    out: dict[str, set[str]] = {}
    for name, chunks in asyncio.run(_scan(bootstrap)).items():
        hit = {secrets[i] for chunk in chunks for i, s in enumerate(wanted) if s in chunk}
        if hit:
            out[name] = hit
    return out


@pytest.fixture(scope="module")
def citizen(worker):
    """Two appeals of one citizen: one answered (its answer's text personal), one still open."""
    tag = uuid.uuid4().hex[:8]
    person = {"iin": make_iin("850315", 4, random.randrange(1000, 9999)), "name": f"Erasable Person {tag}",
              "contact": f"+7 701 {tag}"}
    texts = {"text": f"pothole near house {tag}", "answer": f"repaired on 5 March for {tag}"}
    ids = [f"erase-{tag}-a", f"erase-{tag}-b"]
    for n, appeal_id in enumerate(ids):
        status, body = worker.post("/v1/commands?wait=10", {
            "type": "file", "command_id": f"{appeal_id}-1", "appeal_id": appeal_id, "at": "2017-03-01T09:15:00+05:00",
            "region": "75", "body": "almaty-akimat", "category": "roads", "channel": "eotinish", "citizen": person,
            "text": texts["text"]})
        assert status == 201, body
    status, body = worker.post("/v1/commands?wait=10", {
        "type": "answer", "command_id": f"{ids[0]}-2", "appeal_id": ids[0], "at": "2017-03-06T10:00:00+05:00",
        "outcome": "resolved", "text": texts["answer"]})
    assert status == 201, body

    def projected():
        """both appeals projected"""
        return all(status_of(worker, f"/v1/appeals/{a}/history")[0] == 200 for a in ids) and \
            len(worker.get(f"/v1/appeals/{ids[0]}/history")["events"]) == 2
    wait_for(projected)
    return person, texts, ids


def test_personal_fields_are_sealed_on_the_ledger_and_open_for_an_auditor(worker, citizen):
    person, texts, ids = citizen
    document = worker.get(f"/v1/appeals/{ids[0]}/history?personal=true&{PURPOSE}")
    filed, answered = document["events"]
    assert filed["payload"]["citizen"] == {**person, "bin": None, "text": texts["text"]}
    assert answered["payload"]["text"] == texts["answer"] and document["chain_ok"] is True
    held = topics_holding(worker.bootstrap, [person["iin"], person["name"], texts["text"], texts["answer"]])
    assert set(held) <= {topics.COMMANDS}, held          # sealed everywhere else, even before an erasure


def test_erase_destroys_the_keys_keeps_the_chains_and_the_projection(worker, citizen, tmp_path):
    person, texts, ids = citizen
    before = worker.post("/v1/query/states_by_id", {"ids": ids}, role="auditor")
    assert before[0] == 200 and len(before[1]) == 2
    ranking = "/v1/ranking?by=body&from=2017-03-01&to=2017-03-31&region=75"
    ranked = worker.get(ranking)
    assert ranked, "the ranking of the period holds the citizen's appeals"
    refused = worker.tool("erase", "--citizen", person["iin"], "--reason", "x", role="admin")
    assert refused.returncode != 0 and "reason must be" in refused.stderr
    reader = worker.tool("erase", "--citizen", person["iin"], "--reason", "citizen's request 12/2026", role="monitor")
    assert reader.returncode != 0 and "403" in reader.stderr

    done = worker.tool("erase", "--citizen", person["iin"], "--reason", "citizen's request 12/2026",
                       "--format", "json", role="admin")
    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout)
    today = datetime.now(timezone.utc).date().isoformat()
    assert sorted(e["appeal_id"] for e in outcome["erased"]) == sorted(ids) and outcome["refused"] == []
    marker = {"erased_on": today}

    document = worker.get(f"/v1/appeals/{ids[0]}/history?personal=true&{PURPOSE}")
    assert document["erased_on"] == today and document["chain_ok"] is True
    assert document["events"][0]["payload"]["citizen"] == marker and document["events"][1]["payload"]["text"] == marker
    assert worker.get(f"/v1/appeals/{ids[1]}/history?personal=true&{PURPOSE}")["erased_on"] == today
    assert "erased_on" not in worker.get(f"/v1/appeals/{ids[1]}/history")   # without personal data: no key is read
    assert worker.get(ranking) == ranked   # the ranking did not change
    dossier = worker.tool("dossier", ids[0], "--json", "--out", str(tmp_path / "d.pdf"), "--purpose", "court request 2-1/2026",
                          role="auditor")
    assert dossier.returncode == 0, dossier.stderr
    assert json.loads(dossier.stdout)["erased_on"] == today
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "d.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert f"дербес деректер жойылды: {today}" in text and person["name"] not in text

    # The open appeal carries on without its personal data.
    status, body = worker.post("/v1/commands?wait=10", {
        "type": "answer", "command_id": f"{ids[1]}-2", "appeal_id": ids[1], "at": "2017-03-07T10:00:00+05:00",
        "outcome": "explained", "text": texts["answer"] + " (second)"})
    assert status == 201, body

    def answered():
        """the open appeal's answer projected"""
        return len(worker.get(f"/v1/appeals/{ids[1]}/history")["events"]) == 2
    wait_for(answered)
    later = worker.get(f"/v1/appeals/{ids[1]}/history?personal=true&{PURPOSE}")["events"][1]["payload"]["text"]
    assert later in (None, marker)   # left out, or sealed under the destroyed key if sent before the ledger saw it

    again = json.loads(worker.tool("erase", "--citizen", person["iin"], "--reason", "repeated request",
                                   "--format", "json", role="admin").stdout)
    assert again["erased"] == [] and sorted(e["appeal_id"] for e in again["already_erased"]) == sorted(ids)

    after = worker.post("/v1/query/states_by_id", {"ids": ids}, role="auditor")[1]
    first = {r["appeal_id"]: r for r in before[1]}
    assert {r["appeal_id"]: r for r in after}[ids[0]] == first[ids[0]]   # the projection did not change

    report = json.loads(worker.tool("verify", "--format", "json", role="admin").stdout)
    named = [entry for kind in ("problems", "projection_mismatches", "projection_errors") for entry in report[kind]
             if entry.get("appeal_id") in ids]
    assert named == [] and report["events"] > 0   # every chain of the erased appeals still verifies

    held = topics_holding(worker.bootstrap, [person["iin"], person["name"], person["contact"], texts["text"],
                                             texts["answer"]])
    assert set(held) <= {topics.COMMANDS}, held
    access = topics_holding(worker.bootstrap, ["erase_request", "erase_personal_data", "citizen's request 12/2026"])
    assert access.get(topics.ACCESS) == {"erase_request", "erase_personal_data", "citizen's request 12/2026"}


def test_an_unknown_or_malformed_citizen_is_answered_clearly(worker):
    done = worker.tool("erase", "--citizen", "123", "--reason", "citizen's request", role="admin")
    assert done.returncode != 0 and "valid 12-digit IIN or BIN" in done.stderr
    nobody = worker.tool("erase", "--citizen", make_iin("700101", 3, 4321), "--reason", "citizen's request", role="admin")
    assert nobody.returncode == 0 and "nothing to erase" in nobody.stdout
