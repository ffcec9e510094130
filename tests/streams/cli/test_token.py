"""`tyndau token issue | revoke | rotate` (streams/cli/token.py): credentials signed locally, each act on appeals.access."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.error
from datetime import datetime, timedelta, timezone

import pytest

from streams.auth.keys import load
from streams.auth.tokens import AuthError, verify_token
from streams.avro import codec
from streams.cli.token import ttl_seconds
from streams.domain.principals import Principal
from streams.settings import ROOT
from tests.support.kafka_reading import read_all

BROKER = {}   # the session's broker, for issue(); set by the autouse fixture below


@pytest.fixture(autouse=True)
def _broker(kafka):
    BROKER["bootstrap"] = kafka


def token_cli(auth_dir, action: str, *args: str, kafka: str | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, TYNDAU_AUTH_DIR=str(auth_dir), TYNDAU_KAFKA=kafka or BROKER["bootstrap"])   # no worker needed
    return subprocess.run([sys.executable, "-m", "streams.cli", "token", action, *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


def issue(auth_dir, *args: str) -> subprocess.CompletedProcess:
    return token_cli(auth_dir, "issue", *args)


def access_records(kafka: str, obj: str) -> list[dict]:
    return [codec.decode(r.value) for r in read_all(kafka, "appeals.access") if r.key == obj.encode()]


def test_the_token_is_the_last_line_and_names_the_principal_and_scope(tmp_path):
    done = issue(tmp_path, "--role", "body", "--body", "almaty-akimat", "--body", "almaty-roads", "--name", "clerk-1",
                 "--ttl", "12h")
    assert done.returncode == 0, done.stderr
    token = done.stdout.splitlines()[-1]
    ring = load(tmp_path / "tokens.json", create=False)     # the key was created where TYNDAU_AUTH_DIR says
    now = datetime.now(timezone.utc)
    assert verify_token(ring, token, now) == Principal("clerk-1", "body", ("almaty-akimat", "almaty-roads"))
    with pytest.raises(AuthError, match="expired"):
        verify_token(ring, token, now + timedelta(hours=12, minutes=1))
    assert "body clerk-1 body almaty-akimat body almaty-roads" in done.stderr and token not in done.stderr


def test_a_monitor_without_regions_is_national_and_the_name_defaults_to_the_role(tmp_path):
    done = issue(tmp_path, "--role", "monitor")
    assert done.returncode == 0, done.stderr
    principal = verify_token(load(tmp_path / "tokens.json"), done.stdout.splitlines()[-1], datetime.now(timezone.utc))
    assert principal == Principal("monitor", "monitor")


def test_the_same_key_signs_every_token_of_the_deployment(tmp_path):
    first, second = issue(tmp_path, "--role", "admin"), issue(tmp_path, "--role", "auditor")
    ring = load(tmp_path / "tokens.json")
    now = datetime.now(timezone.utc)
    assert {verify_token(ring, d.stdout.splitlines()[-1], now).role for d in (first, second)} == {"admin", "auditor"}


@pytest.mark.parametrize("args, message", [(["--role", "superuser"], "invalid choice"), (["--role", "body", "--ttl", "0"], "lifetime"),
                                           (["--role", "body", "--ttl", "400d"], "lifetime"),
                                           (["--role", "body", "--body", "a b\n"], "bodies")])
def test_a_bad_request_exits_with_a_message_and_prints_no_token(tmp_path, args, message):
    done = issue(tmp_path, *args)
    assert done.returncode != 0 and done.stdout == "" and message in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("text, seconds", [("30d", 2_592_000), ("12h", 43_200), ("15m", 900), ("3600s", 3600), ("3600", 3600)])
def test_lifetimes_are_read_in_days_hours_minutes_or_seconds(text, seconds):
    assert ttl_seconds(text) == seconds


def jti_of(done: subprocess.CompletedProcess) -> str:
    return re.search(r"jti ([0-9a-f]{32})", done.stderr).group(1)


def test_issuing_is_recorded_on_appeals_access_before_the_token_is_shown(tmp_path, kafka):
    done = issue(tmp_path, "--role", "auditor", "--name", "court-7")
    assert done.returncode == 0, done.stderr
    [record] = access_records(kafka, jti_of(done))
    assert (record["what"], record["object_type"], record["role"], record["via"]) == ("issue_token", "token", "admin", "cli")
    assert record["who"].startswith("cli:") and record["purpose"] == "auditor court-7"


def test_without_kafka_no_token_is_issued_for_none_would_be_recorded(tmp_path):
    done = token_cli(tmp_path, "issue", "--role", "admin", kafka="127.0.0.1:9")
    assert done.returncode != 0 and done.stdout == "" and "appeals.access" in done.stderr and "Traceback" not in done.stderr


def test_a_revoked_token_is_refused_by_the_worker_within_seconds(worker):
    done = worker.cli("token", "issue", "--role", "monitor", "--name", "leaver", role=None)
    assert done.returncode == 0, done.stderr
    token, jti = done.stdout.splitlines()[-1], jti_of(done)
    assert worker.get("/v1/me", token=token)["name"] == "leaver"
    revoked = worker.cli("token", "revoke", jti, "--reason", "left the ministry", role=None)
    assert revoked.returncode == 0, revoked.stderr
    started = time.monotonic()
    while time.monotonic() - started < 10:
        try:
            worker.get("/v1/me", token=token)
        except urllib.error.HTTPError as error:
            assert error.code == 401 and "revoked" in error.read().decode()
            break
        time.sleep(0.1)
    else:
        pytest.fail("the revoked token was still accepted after 10 s")
    [record] = [r for r in access_records(worker.bootstrap, jti) if r["what"] == "revoke_token"]
    assert record["purpose"] == "left the ministry"


@pytest.mark.parametrize("jti", ["", "a b", "x" * 65, "ключ"])
def test_revoking_checks_the_jti(tmp_path, jti):
    done = token_cli(tmp_path, "revoke", jti)
    assert done.returncode != 0 and "jti" in done.stderr and "Traceback" not in done.stderr


def test_rotation_adds_a_signing_key_and_older_tokens_still_verify(tmp_path, kafka):
    before = issue(tmp_path, "--role", "auditor")
    old_kid = load(tmp_path / "tokens.json").active
    rotated = token_cli(tmp_path, "rotate")
    assert rotated.returncode == 0, rotated.stderr
    ring = load(tmp_path / "tokens.json")
    assert ring.active != old_kid and set(ring.private) == {old_kid, ring.active}
    now = datetime.now(timezone.utc)
    assert verify_token(ring, before.stdout.splitlines()[-1], now).role == "auditor"
    after = issue(tmp_path, "--role", "auditor").stdout.splitlines()[-1]
    import jwt
    assert jwt.get_unverified_header(after)["kid"] == ring.active
    assert access_records(kafka, "tokens.json")[-1]["what"] == "rotate_keys"


@pytest.mark.parametrize("args, message", [
    (["--role", "monitor", "--region", "99"], "KATO"), (["--role", "body"], "--body ID"),
    (["--role", "gateway", "--body", "x"], "--body is for --role body"),
    (["--role", "auditor", "--region", "71"], "--region is for --role monitor")])
def test_a_scope_the_role_does_not_take_is_refused(tmp_path, args, message):
    done = issue(tmp_path, *args)
    assert done.returncode != 0 and done.stdout == "" and message in done.stderr


def test_a_key_is_retired_only_after_a_rotation_and_then_verifies_nothing(tmp_path, kafka):
    before = issue(tmp_path, "--role", "auditor").stdout.splitlines()[-1]
    old_kid = load(tmp_path / "tokens.json").active
    refused = token_cli(tmp_path, "retire", old_kid)
    assert refused.returncode != 0 and "rotate first" in refused.stderr
    assert token_cli(tmp_path, "rotate").returncode == 0
    done = token_cli(tmp_path, "retire", old_kid)
    assert done.returncode == 0, done.stderr
    ring = load(tmp_path / "tokens.json")
    assert set(ring.private) == {ring.active} != {old_kid}
    with pytest.raises(AuthError, match="does not know"):
        verify_token(ring, before, datetime.now(timezone.utc))
    assert access_records(kafka, f"tokens.json:{old_kid}")[-1]["what"] == "retire_key"


def test_a_missing_key_file_is_a_message_not_a_traceback(tmp_path):
    done = token_cli(tmp_path, "rotate")
    assert done.returncode != 0 and "no key file" in done.stderr and "Traceback" not in done.stderr
