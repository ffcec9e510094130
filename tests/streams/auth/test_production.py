"""A production start (TYNDAU_ENV=production) with keys not fit for it is refused before the worker connects to
anything, naming the setting to fix; in production no key is ever made by tyndau itself (issue 15: the
Law on Personal Data No. 94-V asks that citizen_ref cannot be reversed, which a public or short key allows)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
GOOD_KEY = "0123456789abcdef" * 2   # 32 bytes
GOOD_MASTER = "5a" * 32               # 64 hex digits: 32 bytes
GOOD_CHECKPOINT = "PRIVATE+KEY+tyndau-test+303c2444+AQICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIC"


def run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TYNDAU_") and k != "KAFKA_BOOTSTRAP_SERVERS"}
    base = {"TYNDAU_DATA_DIR": str(tmp_path / "data"), "TYNDAU_KAFKA": "127.0.0.1:9", "TYNDAU_ENV": "production"}
    return subprocess.run([sys.executable, *args], cwd=ROOT, env={**clean, **base, **env}, capture_output=True,
                          text=True, timeout=120)


def test_a_production_worker_with_development_keys_is_refused_before_it_connects(tmp_path):
    started = time.monotonic()
    done = run(["-m", "streams.cli", "worker", "--roles", "ledger"], tmp_path)
    assert done.returncode != 0
    assert "TYNDAU_PSEUDONYM_KEY is not set" in done.stderr
    assert "TYNDAU_MASTER_KEY is not set" in done.stderr
    assert "TYNDAU_CHECKPOINT_KEY is not set" in done.stderr
    assert "tyndau token init --which tokens" in done.stderr and "--which assertions" in done.stderr
    assert "Kafka" not in done.stderr and time.monotonic() - started < 60   # nothing was tried on the broker
    assert not (tmp_path / "data" / "auth").exists() or not any((tmp_path / "data" / "auth").iterdir())


def test_a_short_pseudonym_key_is_refused_with_its_length(tmp_path):
    done = run(["-m", "streams.cli", "worker", "--roles", "ledger"], tmp_path, TYNDAU_PSEUDONYM_KEY=GOOD_KEY[:31])
    assert done.returncode != 0 and "TYNDAU_PSEUDONYM_KEY has 31 bytes: give at least 32" in done.stderr


def test_provisioned_keys_pass_and_init_refuses_to_make_a_second_file(tmp_path):
    for which in ("tokens", "assertions"):
        made = run(["-m", "streams.cli", "token", "init", "--which", which], tmp_path)
        assert made.returncode == 0, made.stderr
    again = run(["-m", "streams.cli", "token", "init", "--which", "tokens"], tmp_path)
    assert again.returncode != 0 and "exists already" in again.stderr
    check = run(["-c", "from streams.auth.production import production_key_problems as p; print(p())"], tmp_path,
                TYNDAU_PSEUDONYM_KEY=GOOD_KEY, TYNDAU_MASTER_KEY=GOOD_MASTER, TYNDAU_CHECKPOINT_KEY=GOOD_CHECKPOINT)
    assert check.returncode == 0 and check.stdout.strip() == "[]", check.stderr
    (tmp_path / "data" / "auth" / "assertions.json").write_text("{not json")
    broken = run(["-c", "from streams.auth.production import production_key_problems as p; print(p())"], tmp_path,
                 TYNDAU_PSEUDONYM_KEY=GOOD_KEY, TYNDAU_MASTER_KEY=GOOD_MASTER, TYNDAU_CHECKPOINT_KEY=GOOD_CHECKPOINT)
    assert "assertions.json cannot be read" in broken.stdout


def test_in_production_a_missing_key_file_is_never_made(tmp_path):
    code = ("from streams.auth.keys import TOKENS_FILE, KeyFileError, ring_file\n"
            "try:\n    ring_file(TOKENS_FILE).current()\nexcept KeyFileError as e:\n    print('refused', e)")
    done = run(["-c", code], tmp_path)
    assert done.stdout.startswith("refused"), done.stdout + done.stderr
    assert not (tmp_path / "data" / "auth" / "tokens.json").exists()
    development = run(["-c", code], tmp_path, TYNDAU_ENV="development")
    assert development.returncode == 0 and (tmp_path / "data" / "auth" / "tokens.json").exists()


def test_an_unknown_environment_is_refused_naming_the_setting(tmp_path):
    done = run(["-c", "import streams.settings"], tmp_path, TYNDAU_ENV="staging")
    assert done.returncode != 0 and "TYNDAU_ENV='staging' is neither development nor production" in done.stderr


def test_in_production_issuing_a_token_makes_no_key_file(tmp_path):
    done = run(["-m", "streams.cli", "token", "issue", "--role", "admin", "--name", "ops"], tmp_path)
    assert done.returncode != 0 and "tyndau token init" in done.stderr
    assert not (tmp_path / "data" / "auth" / "tokens.json").exists()


def test_the_example_placeholder_and_a_blank_key_are_refused(tmp_path):
    code = "from streams.auth.production import production_key_problems as p; print(p())"
    for key in ("REPLACE-with-openssl-rand-hex-32", " " * 40, "a" * 40):
        done = run(["-c", code], tmp_path, TYNDAU_PSEUDONYM_KEY=key)
        assert "placeholder or blank" in done.stdout, (key, done.stdout, done.stderr)


def test_a_short_or_malformed_master_key_is_refused_naming_the_setting(tmp_path):
    code = "from streams.auth.production import production_key_problems as p; print(p())"
    short = run(["-c", code], tmp_path, TYNDAU_PSEUDONYM_KEY=GOOD_KEY, TYNDAU_MASTER_KEY="ab" * 31)
    assert "TYNDAU_MASTER_KEY has 31 bytes: give exactly 32" in short.stdout, short.stdout + short.stderr
    garbled = run(["-c", code], tmp_path, TYNDAU_PSEUDONYM_KEY=GOOD_KEY, TYNDAU_MASTER_KEY="not a key at all")
    assert "TYNDAU_MASTER_KEY is not hexadecimal" in garbled.stdout
    retired = run(["-c", code], tmp_path, TYNDAU_PSEUDONYM_KEY=GOOD_KEY, TYNDAU_MASTER_KEY=GOOD_MASTER,
                  TYNDAU_MASTER_KEYS_PREVIOUS="12")
    assert "TYNDAU_MASTER_KEYS_PREVIOUS has 1 bytes" in retired.stdout


def test_a_malformed_checkpoint_key_or_retired_verifier_key_is_refused_naming_the_setting(tmp_path):
    """Issue 15, item 5, for issue 17's key: the checkpoint-signing key must be the deployment's own, and parse."""
    code = "from streams.auth.production import production_key_problems as p; print(p())"
    keys = {"TYNDAU_PSEUDONYM_KEY": GOOD_KEY, "TYNDAU_MASTER_KEY": GOOD_MASTER}
    short = run(["-c", code], tmp_path, **keys, TYNDAU_CHECKPOINT_KEY=GOOD_CHECKPOINT[:-4])
    assert "TYNDAU_CHECKPOINT_KEY: the signer key is not an Ed25519 key" in short.stdout, short.stdout + short.stderr
    wrong_id = run(["-c", code], tmp_path, **keys, TYNDAU_CHECKPOINT_KEY=GOOD_CHECKPOINT.replace("303c2444", "00000000"))
    assert "the signer key's id does not match" in wrong_id.stdout
    retired = run(["-c", code], tmp_path, **keys, TYNDAU_CHECKPOINT_KEY=GOOD_CHECKPOINT, TYNDAU_CHECKPOINT_KEYS_PREVIOUS="x+1+2")
    assert "TYNDAU_CHECKPOINT_KEYS_PREVIOUS: a verifier key is NAME+KEYID+KEY" in retired.stdout
    # The development seed under another name is still the development key; so is its verifier among the retired.
    from streams.domain.checkpoint import Signer, parse_signer
    from streams.settings import DEVELOPMENT_CHECKPOINT_KEY
    development = parse_signer(DEVELOPMENT_CHECKPOINT_KEY)
    renamed = run(["-c", code], tmp_path, **keys, TYNDAU_CHECKPOINT_KEY=str(Signer("our-own", development.seed)))
    assert "TYNDAU_CHECKPOINT_KEY is not set (the development checkpoint key is public)" in renamed.stdout
    old = run(["-c", code], tmp_path, **keys, TYNDAU_CHECKPOINT_KEY=GOOD_CHECKPOINT,
              TYNDAU_CHECKPOINT_KEYS_PREVIOUS=str(development.verifier))
    assert "TYNDAU_CHECKPOINT_KEYS_PREVIOUS lists the development checkpoint key" in old.stdout


def test_checkpoint_new_key_makes_a_signer_and_its_verifier(tmp_path):
    from streams.domain.checkpoint import open_note, parse_signer, parse_verifier, sign_note

    done = run(["-m", "streams.cli", "checkpoint", "--new-key", "tyndau.example-2026"], tmp_path)
    assert done.returncode == 0, done.stderr
    signer_line, verifier_line = done.stdout.splitlines()
    signer, verifier = parse_signer(signer_line), parse_verifier(verifier_line)
    assert signer.verifier == verifier and verifier.name == "tyndau.example-2026"
    assert open_note(sign_note("o\n1\nAAAA\n", signer), [verifier])[1] == [verifier]
    bad = run(["-m", "streams.cli", "checkpoint", "--new-key", "two words"], tmp_path)
    assert bad.returncode != 0 and "a key name is one or more characters" in bad.stderr
