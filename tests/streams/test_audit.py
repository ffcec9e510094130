"""Auditors and courts: history from the ledger, state as of a moment, verify, rebuild, forgery, dossier."""

from __future__ import annotations

import asyncio
import hashlib
import json
import subprocess
import time
import urllib.request
import uuid
from datetime import datetime

import pytest
from aiokafka import AIOKafkaProducer

from streams.avro import codec
from tests.kafka_reading import read_all
from tests.workload import ALMATY, generate

pytestmark = pytest.mark.integration
PERIOD = ("2037-01-01", "2037-12-31")


def cli(worker, *args, timeout=300):
    return worker.cli(*args, "--api", worker.url(""), timeout=timeout)


def get(worker, path):
    with urllib.request.urlopen(worker.url(path), timeout=60) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def published(worker, tmp_path_factory):
    work = generate(600, seed=21, prefix=f"audit-{uuid.uuid4().hex[:6]}", start=datetime(2037, 2, 2, 9, tzinfo=ALMATY), span_days=200)
    path = tmp_path_factory.mktemp("audit") / "commands.jsonl"
    work.write(path)
    done = worker.cli("publish", str(path), "--format", "json")
    assert done.returncode == 0, done.stderr
    # Wait until the projection indexes every event of every appeal (partitions progress apart).
    waiting = dict(work.events_by_appeal)
    deadline = time.monotonic() + 120
    while waiting and time.monotonic() < deadline:
        for appeal_id, command_ids in list(waiting.items()):
            try:
                if len(get(worker, f"/v1/appeals/{appeal_id}/history")["events"]) == len(command_ids):
                    del waiting[appeal_id]
            except urllib.error.HTTPError:
                pass
        time.sleep(0.2)
    return work


def test_history_lists_exactly_the_published_events_in_order(worker, published):
    for appeal_id, command_ids in published.events_by_appeal.items():
        document = get(worker, f"/v1/appeals/{appeal_id}/history")
        assert document["appeal_id"] == appeal_id and document["chain_ok"] is True
        assert [e["command_id"] for e in document["events"]] == command_ids
        assert [e["sequence"] for e in document["events"]] == list(range(1, len(command_ids) + 1))
        first = document["events"][0]
        assert {"sequence", "type", "occurred_at", "recorded_at", "actor", "hash", "prev_hash"} <= set(first)
        assert "citizen" not in first["payload"] and len(first["payload"]["citizen_ref"]) == 32
    appeal_id = next(iter(published.events_by_appeal))
    shown = cli(worker, "history", appeal_id, "--format", "json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["events"] == get(worker, f"/v1/appeals/{appeal_id}/history")["events"]
    assert cli(worker, "history", "no-such-appeal").returncode != 0


def test_state_as_of_a_moment_is_the_fold_up_to_then(worker, published):
    appeal_id, ids = next((a, c) for a, c in published.events_by_appeal.items() if len(c) >= 3)
    events = get(worker, f"/v1/appeals/{appeal_id}/history")["events"]
    before_second = events[1]["occurred_at"].replace("Z", "+00:00")
    moment = datetime.fromisoformat(before_second).timestamp() - 1
    as_of = datetime.fromtimestamp(moment).astimezone().isoformat()
    shown = cli(worker, "history", appeal_id, "--as-of", as_of, "--format", "json")
    document = json.loads(shown.stdout)
    assert document["state"]["sequence"] == 1 and document["state"]["status"] == "open"
    early = cli(worker, "history", appeal_id, "--as-of", "2000-01-01T00:00:00+06:00", "--format", "json")
    assert json.loads(early.stdout)["state"] is None


def test_verify_passes_and_rebuild_reproduces_every_query(worker, published):
    checked = cli(worker, "verify", "--format", "json")
    assert checked.returncode == 0, checked.stdout[-3000:] + checked.stderr[-2000:]
    assert json.loads(checked.stdout)["ok"] is True
    queries = [f"/v1/ranking?by={by}&from={PERIOD[0]}&to={PERIOD[1]}&today=2038-06-01" for by in ("region", "body", "category")]
    queries.append(f"/v1/kpis?from={PERIOD[0]}&to={PERIOD[1]}&today=2038-06-01")
    before = [get(worker, q) for q in queries]
    rebuilt = cli(worker, "rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "events/s" in rebuilt.stdout
    assert [get(worker, q) for q in queries] == before
    assert cli(worker, "verify").returncode == 0


def test_dossier_pdf_reads_back_in_kazakh_and_russian(worker, published, tmp_path):
    appeal_id = next(a for a, c in published.events_by_appeal.items() if len(c) >= 3)
    for lang, words in (("kk", ["Азаматтың өтініші бойынша құжаттама", "ЖСН", "Хэш тізбегі тексерілді"]),
                        ("ru", ["Досье по обращению гражданина", "ИИН", "Цепочка хэшей проверена"])):
        out = tmp_path / f"dossier-{lang}.pdf"
        made = cli(worker, "dossier", appeal_id, "--out", str(out), "--lang", lang)
        assert made.returncode == 0, made.stderr
        text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True).stdout
        for word in words + [appeal_id, "Азамат"]:
            assert word in text, (lang, word)
        history = get(worker, f"/v1/appeals/{appeal_id}/history")
        for event in history["events"]:
            assert event["hash"] in text
        png = subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(out), str(tmp_path / lang)])
        assert png.returncode == 0 and any(tmp_path.glob(f"{lang}*.png"))
    as_json = json.loads(cli(worker, "dossier", appeal_id, "--json").stdout)
    assert as_json["citizen"]["iin"] and as_json["chain_ok"] is True


def forge(bootstrap: str, records: list[tuple[str, bytes]]) -> None:
    async def send():
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
        await producer.start()
        try:
            for key, value in records:
                await producer.send_and_wait("appeals.events", key=key.encode(), value=value)
        finally:
            await producer.stop()
    asyncio.run(send())


def test_verify_names_each_forged_event(kafka, worker, published):
    appeals = [a for a, c in published.events_by_appeal.items() if len(c) >= 2][:3]
    originals = {}
    for record in read_all(kafka, "appeals.events"):
        event = codec.decode(record.value)
        if event["appeal_id"] in appeals:
            originals.setdefault(event["appeal_id"], []).append(event)
    a, b, c = (originals[x] for x in appeals)
    wrong_prev = dict(a[-1], sequence=a[-1]["sequence"] + 1, prev_hash="ab" * 32, command_id="forged-1")
    wrong_prev["event_id"] = str(uuid.uuid4())
    changed = dict(b[1], body="someone-else")      # a copy of event 2 with a field changed,
    changed["hash"] = hashlib.sha256(b"looks like a hash").hexdigest()   # and a plausible hash
    gap = dict(c[-1], sequence=c[-1]["sequence"] + 2, prev_hash=c[-1]["hash"], command_id="forged-3")
    from streams.domain.chain import event_hash
    gap["hash"] = event_hash(gap)
    forge(kafka, [(e["appeal_id"], codec.encode_event(e)) for e in (wrong_prev, changed, gap)])

    checked = cli(worker, "verify", "--format", "json", "--log-only")
    assert checked.returncode == 1
    problems = json.loads(checked.stdout)["problems"]
    named = {(p["appeal_id"], p["sequence"], p["problem"].split(":")[0]) for p in problems}
    assert (appeals[0], wrong_prev["sequence"], "prev_hash does not match the previous event's hash") in named
    assert (appeals[1], 2, "hash does not match the event's content (changed after it was written)") in named
    assert (appeals[2], gap["sequence"], "a gap") in named
    assert all(p["partition"] is not None and p["offset"] is not None for p in problems)
    text = cli(worker, "verify", "--log-only")
    assert text.returncode == 1 and f"appeal {appeals[1]} sequence 2" in text.stdout
