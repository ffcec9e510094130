"""Configuration from the environment: the documented defaults, overrides, and a clear exit on a bad number."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"

# Each documented variable and the setting that holds it.
SETTING_OF = {
    "TYNDAU_KAFKA": "KAFKA_BOOTSTRAP", "TYNDAU_PARTITIONS": "PARTITIONS", "TYNDAU_REPLICATION": "REPLICATION",
    "TYNDAU_APP_ID": "APP_ID", "TYNDAU_DATA_DIR": "DATA_DIR", "TYNDAU_HTTP_HOST": "HTTP_HOST", "TYNDAU_HTTP_PORT": "HTTP_PORT",
    "TYNDAU_SCHEMAS_DIR": "SCHEMAS_DIR", "TYNDAU_KAFKA_CACHE": "KAFKA_CACHE", "TYNDAU_CLICKHOUSE": "CLICKHOUSE_DSN",
    "TYNDAU_PSEUDONYM_KEY": "PSEUDONYM_KEY", "TYNDAU_MASTER_KEY": "MASTER_KEY", "TYNDAU_METRICS_PORT": "METRICS_PORT",
    "TYNDAU_PSEUDONYM_KEYS_PREVIOUS": "PSEUDONYM_KEYS_PREVIOUS",
    "TYNDAU_CHECKPOINT_SECONDS": "CHECKPOINT_SECONDS", "TYNDAU_CHECKPOINT_ORIGIN": "CHECKPOINT_ORIGIN",
    "TYNDAU_CHECKPOINT_KEY": "CHECKPOINT_KEY", "TYNDAU_CHECKPOINT_KEYS_PREVIOUS": "CHECKPOINT_KEYS_PREVIOUS",
    "TYNDAU_MASTER_KEYS_PREVIOUS": "MASTER_KEYS_PREVIOUS", "TYNDAU_PERSONAL_DATA_RETENTION_DAYS": "PERSONAL_DATA_RETENTION_DAYS",
    "TYNDAU_RETENTION_CHECK_SECONDS": "RETENTION_CHECK_SECONDS", "TYNDAU_COMMANDS_RETENTION_HOURS": "COMMANDS_RETENTION_HOURS",
    "TYNDAU_PROJECTOR_BATCH": "PROJECTOR_BATCH",
    "TYNDAU_PROJECTOR_BATCH_SECONDS": "PROJECTOR_BATCH_SECONDS", "TYNDAU_LEDGER_BATCH": "LEDGER_BATCH",
    "TYNDAU_LEDGER_BATCH_SECONDS": "LEDGER_BATCH_SECONDS", "TYNDAU_GC_GEN0_THRESHOLD": "GC_GEN0_THRESHOLD",
    "TYNDAU_DEADLINE_CHECK_SECONDS": "DEADLINE_CHECK_SECONDS",
    "TYNDAU_ESCALATE_AFTER_WORKING_DAYS": "ESCALATE_AFTER_WORKING_DAYS",
    "TYNDAU_HTTP_ALLOWED_HOSTS": "HTTP_ALLOWED_HOSTS", "TYNDAU_AUTH_DIR": "AUTH_DIR",
    "TYNDAU_KAFKA_SECURITY_PROTOCOL": "KAFKA_SECURITY_PROTOCOL", "TYNDAU_KAFKA_SASL_MECHANISM": "KAFKA_SASL_MECHANISM",
    "TYNDAU_KAFKA_USERNAME": "KAFKA_USERNAME", "TYNDAU_KAFKA_PASSWORD": "KAFKA_PASSWORD", "TYNDAU_KAFKA_CA_FILE": "KAFKA_CA_FILE",
    "TYNDAU_KAFKA_CERT_FILE": "KAFKA_CERT_FILE", "TYNDAU_KAFKA_KEY_FILE": "KAFKA_KEY_FILE",
    "TYNDAU_TOKEN": "TOKEN", "TYNDAU_HTTP_RATE_LIMIT": "HTTP_RATE_LIMIT",
    "TYNDAU_CALENDAR_FILE": "CALENDAR_FILE", "TYNDAU_FILING_WINDOW_DAYS": "FILING_WINDOW_DAYS",
    "TYNDAU_IMPORT_SETTLE_HOURS": "IMPORT_SETTLE_HOURS",
    "TYNDAU_LEDGER_STATE_DIR": "LEDGER_STATE_DIR", "TYNDAU_LEDGER_CACHE_STATES": "LEDGER_CACHE_STATES",
    "TYNDAU_STANDBY_REPLICAS": "STANDBY_REPLICAS", "TYNDAU_WORKER_ROLES": "WORKER_ROLES", "TYNDAU_WORKER_NAME": "WORKER_NAME",
    "TYNDAU_SESSION_TIMEOUT_SECONDS": "SESSION_TIMEOUT_SECONDS", "TYNDAU_ENV": "ENV",
}
WHOLE_NUMBERS = ["TYNDAU_PARTITIONS", "TYNDAU_REPLICATION", "TYNDAU_HTTP_PORT", "TYNDAU_PROJECTOR_BATCH", "TYNDAU_LEDGER_BATCH",
                 "TYNDAU_GC_GEN0_THRESHOLD", "TYNDAU_FILING_WINDOW_DAYS", "TYNDAU_ESCALATE_AFTER_WORKING_DAYS",
                 "TYNDAU_LEDGER_CACHE_STATES", "TYNDAU_STANDBY_REPLICAS"]
SECONDS = ["TYNDAU_PROJECTOR_BATCH_SECONDS", "TYNDAU_LEDGER_BATCH_SECONDS", "TYNDAU_DEADLINE_CHECK_SECONDS",
           "TYNDAU_SESSION_TIMEOUT_SECONDS"]

PRINT_SETTINGS = ("import json, streams.settings as s; "
                  f"print(json.dumps({{n: str(getattr(s, n)) for n in {sorted(SETTING_OF.values())!r}}}))")


def run(code: str, **env: str) -> subprocess.CompletedProcess:
    """`python -c code` in the project, with no TYNDAU_ variable set but those given."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TYNDAU_") and k != "KAFKA_BOOTSTRAP_SERVERS"}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True,
                          timeout=60)


def settings_with(**env: str) -> dict[str, str]:
    result = run(PRINT_SETTINGS, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def documented_defaults() -> dict[str, str]:
    """The README's configuration table: variable -> default, as written there."""
    section = README.read_text(encoding="utf-8").split("## Configuration", 1)[1].split("\n## ", 1)[0]
    defaults = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not cells[0].startswith("`TYNDAU_"):
            continue
        names = re.findall(r"`(TYNDAU_\w+)`", cells[0])
        values = re.findall(r"`([^`]*)`", cells[1]) or [cells[1]]
        assert len(values) == len(names), line
        defaults.update(zip(names, values))
    return defaults


def test_every_variable_the_settings_read_is_documented_and_only_those():
    read = set(re.findall(r'"(TYNDAU_\w+)"', (ROOT / "streams" / "settings.py").read_text(encoding="utf-8")))
    assert read == set(documented_defaults()) == set(SETTING_OF)


def test_the_defaults_are_the_documented_ones():
    values = settings_with()
    for variable, default in documented_defaults().items():
        value = values[SETTING_OF[variable]]
        if variable == "TYNDAU_PSEUDONYM_KEY":
            assert default == "a development key" and "development" in value
        elif variable == "TYNDAU_MASTER_KEY":
            assert default == "a development key" and len(value) == 64
        elif variable == "TYNDAU_CHECKPOINT_KEY":
            assert default == "a development key" and "tyndau-development" in value
        elif variable == "TYNDAU_CLICKHOUSE":
            scheme, folder = default.split("://")
            assert value == f"{scheme}://{ROOT / folder}"
        elif default == "(none)":
            assert value in ("", "None", "()"), variable   # empty text, no term, no previous keys
        elif default.endswith("/"):       # folders, relative to the project
            assert Path(value) == ROOT / default
        elif re.fullmatch(r"\d+(\.\d+)?", default):
            assert float(value) == float(default), variable
        else:
            assert value == default, variable


def test_no_setting_overrides_kazakhstans_time_zones():
    """DOMAIN.md: local days come from the official time-zone history (tzdata), per region; no offset setting could
    say that Almaty was on UTC+6 until 1 March 2024 and Atyrau on UTC+5, so there is none."""
    assert not any("OFFSET" in name for name in SETTING_OF.values())
    assert "TYNDAU_UTC_OFFSET_HOURS" not in Path(ROOT / "streams" / "settings.py").read_text()


@pytest.mark.parametrize("variable", WHOLE_NUMBERS)
def test_a_bad_whole_number_exits_with_a_message_naming_the_variable(variable):
    result = run("import streams.settings", **{variable: "four"})
    assert result.returncode != 0
    assert variable in result.stderr and "'four'" in result.stderr and "whole number" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("value", ["soon", "nan", "inf"])
@pytest.mark.parametrize("variable", SECONDS)
def test_a_bad_number_of_seconds_exits_with_a_message_naming_the_variable(variable, value):
    result = run("import streams.settings", **{variable: value})
    assert result.returncode != 0 and variable in result.stderr and "Traceback" not in result.stderr


def test_an_empty_number_of_seconds_means_the_default():
    empty, default = settings_with(**{variable: "" for variable in SECONDS}), settings_with()
    assert all(empty[v] == default[v] for v in ("PROJECTOR_BATCH_SECONDS", "DEADLINE_CHECK_SECONDS", "LEDGER_BATCH_SECONDS"))


def test_an_empty_whole_number_means_the_default():
    empty, default = settings_with(TYNDAU_PARTITIONS="", TYNDAU_HTTP_PORT=""), settings_with()
    assert (empty["PARTITIONS"], empty["HTTP_PORT"]) == (default["PARTITIONS"], default["HTTP_PORT"])


def test_values_from_the_environment_are_used():
    values = settings_with(TYNDAU_PARTITIONS="12", TYNDAU_APP_ID="tyndau-test", TYNDAU_PROJECTOR_BATCH_SECONDS="1.5",
                           TYNDAU_HTTP_HOST="0.0.0.0", TYNDAU_PSEUDONYM_KEY="secret")
    assert (values["PARTITIONS"], values["APP_ID"], values["PROJECTOR_BATCH_SECONDS"]) == ("12", "tyndau-test", "1.5")
    assert (values["HTTP_HOST"], values["PSEUDONYM_KEY"]) == ("0.0.0.0", "secret")


def test_the_clickhouse_folder_follows_the_data_dir(tmp_path):
    values = settings_with(TYNDAU_DATA_DIR=str(tmp_path))
    assert values["DATA_DIR"] == str(tmp_path)
    assert values["CLICKHOUSE_DSN"] == f"chdb://{tmp_path / 'clickhouse'}"
    assert settings_with(TYNDAU_DATA_DIR=str(tmp_path), TYNDAU_CLICKHOUSE="http://u:p@h:8123/db")["CLICKHOUSE_DSN"] == \
        "http://u:p@h:8123/db"


def test_kafka_bootstrap_servers_is_honoured_and_tyndau_kafka_wins():
    assert settings_with(KAFKA_BOOTSTRAP_SERVERS="b1:9092,b2:9092")["KAFKA_BOOTSTRAP"] == "b1:9092,b2:9092"
    assert settings_with(KAFKA_BOOTSTRAP_SERVERS="b1:9092", TYNDAU_KAFKA="mine:9093")["KAFKA_BOOTSTRAP"] == "mine:9093"
