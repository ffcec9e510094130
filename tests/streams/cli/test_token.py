"""`tyndau token issue` (streams/cli/token.py): a credential signed locally, its token the last line, its lifetime checked."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from streams.auth.keys import load
from streams.auth.tokens import AuthError, verify_token
from streams.cli.token import ttl_seconds
from streams.domain.principals import Principal
from streams.settings import ROOT


def issue(auth_dir, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, TYNDAU_AUTH_DIR=str(auth_dir), TYNDAU_KAFKA="127.0.0.1:9")   # no broker, no worker needed
    return subprocess.run([sys.executable, "-m", "streams.cli", "token", "issue", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


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
