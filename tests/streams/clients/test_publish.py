"""`tyndau publish` reads a file as hostile bytes: every line gets its outcome, and nothing crashes it."""

from __future__ import annotations

import json
import uuid

import pytest

from streams.clients.publish import Oversized, read_lines

pytestmark = pytest.mark.integration


def test_lines_over_the_bound_are_measured_not_read_whole(tmp_path):
    path = tmp_path / "commands.jsonl"
    path.write_bytes(b'{"a": 1}\n' + b"x" * 3_000_000 + b"\n\n   \n" + b"y" * 65_536 + b"\r\n" + b"z" * 65_537)
    assert list(read_lines(path)) == [(1, b'{"a": 1}'), (2, Oversized(3_000_000)), (5, b"y" * 65_536), (6, Oversized(65_537))]


def test_a_hostile_file_is_published_and_each_line_answered(worker, tmp_path):
    appeal_id = f"pubfile-{uuid.uuid4().hex[:8]}"
    filing = {"type": "file", "command_id": f"{appeal_id}-1", "appeal_id": appeal_id, "at": "2003-03-01T09:15:00+05:00",
              "region": "75", "body": "almaty-akimat", "category": "roads", "channel": "eotinish",
              "citizen": {"iin": "900101301233", "name": "Aida"}}
    path = tmp_path / "hostile.jsonl"
    path.write_bytes(b"\n".join([
        json.dumps(filing).encode(),
        b'{"type": "file", "appeal_id": "\xff\xfe"}',                  # not UTF-8
        b"[" * 5000 + b"]" * 5000,                                      # nested thousands deep
        json.dumps(dict(filing, command_id=f"{appeal_id}-2", text="x" * 70_000)).encode(),
        b"z" * 2_000_000,                                               # more than Kafka takes
    ]) + b"\n")
    done = worker.cli("publish", str(path), "--import", "--format", "json", "--wait", "30")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["sent"] == 3 and report["accepted"] == 1 and report["unanswered"] == 0
    assert report["reasons"] == {"malformed": 2, "too_large": 2}
