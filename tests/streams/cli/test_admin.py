"""`tyndau asyncapi`: the document on standard output, in --out FILE and in deploy/asyncapi.json are the same."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from streams.settings import ROOT

COMMITTED = ROOT / "deploy" / "asyncapi.json"


def tyndau(*args: str) -> subprocess.CompletedProcess:
    # The committed copy is made with the default configuration: no TYNDAU_* setting may change it here.
    env = {k: v for k, v in os.environ.items() if not k.startswith("TYNDAU_") and k != "KAFKA_BOOTSTRAP_SERVERS"}
    return subprocess.run([sys.executable, "-m", "streams.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)


def test_asyncapi_out_file_equals_stdout_and_the_committed_copy(tmp_path):
    printed = tyndau("asyncapi")
    assert printed.returncode == 0, printed.stderr
    out = tmp_path / "asyncapi.json"
    written = tyndau("asyncapi", "--out", str(out))
    assert written.returncode == 0, written.stderr
    assert written.stdout == ""
    text = out.read_text(encoding="utf-8")
    assert text == printed.stdout
    assert text == COMMITTED.read_text(encoding="utf-8"), "deploy/asyncapi.json is stale: `tyndau asyncapi --out` it again"
    assert text.endswith("}\n")
    document = json.loads(text)
    assert document["asyncapi"].startswith("3.")
    addresses = {channel["address"] for channel in document["channels"].values()}
    assert {"appeals.commands", "appeals.events", "appeals.rejected", "appeals.public"} <= addresses


def test_asyncapi_out_overwrites_an_existing_file(tmp_path):
    out = tmp_path / "asyncapi.json"
    out.write_text("x" * 1_000_000, encoding="utf-8")
    done = tyndau("asyncapi", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert out.read_text(encoding="utf-8") == COMMITTED.read_text(encoding="utf-8")
