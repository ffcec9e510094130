"""The topic contract: names, partitions, retention and size configs, header names and consumer groups."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings as hypothesis_settings
from hypothesis import strategies as st

from streams import settings, topics
from streams.domain.bounds import MAX_COMMAND_BYTES
from streams.topics import CO_PARTITIONED, topic_specs

ROOT = Path(__file__).resolve().parents[2]
NAMES = [topics.COMMANDS, topics.EVENTS, topics.REJECTED, topics.PUBLIC, topics.SCHEMAS, topics.ACCESS, topics.REVOCATIONS,
         topics.KEYS, topics.CHECKPOINTS]
HEADERS = [topics.AUTH_HEADER, topics.REQUEST_ID_HEADER, topics.SOURCE_HEADER, topics.COMMAND_ID_HEADER, topics.ERASED_HEADER]
GROUP_NAMES = ["LEDGER_GROUP", "PROJECTOR_GROUP", "PUBLIC_FEED_GROUP", "PUBLIC_FEED_TRANSACTIONAL_ID", "LEDGER_CLIENT_ID"]
FOREVER = "-1"
DAY_MS = 24 * 3600 * 1000


def specs_by_name(partitions: int | None = None) -> dict:
    return {spec.name: spec for spec in topic_specs(partitions)}


def test_the_eight_topics_have_distinct_valid_kafka_names():
    assert len(set(NAMES)) == 9 and [s.name for s in topic_specs()] == NAMES
    assert all(re.fullmatch(r"[A-Za-z0-9._-]{1,249}", name) and name not in (".", "..") for name in NAMES)
    # Kafka warns that "." and "_" collide in metric names: no two topics may differ only there.
    assert len({name.replace(".", "_") for name in NAMES}) == len(NAMES)
    assert set(CO_PARTITIONED) <= set(NAMES) and topics.COMMANDS not in CO_PARTITIONED


def test_the_topic_names_are_the_documented_ones():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Topics", 1)[1].split("\n\n", 2)[1]
    assert re.findall(r"^\| `([a-z.]+)` \|", table, flags=re.M) == NAMES


@hypothesis_settings(max_examples=200, deadline=None)
@given(st.integers(1, 10_000))
def test_co_partitioned_topics_have_as_many_partitions_as_the_commands(n):
    """An outcome is written to the partition of its command, so every keyed topic has the commands' partition count."""
    specs = specs_by_name(n)
    assert specs[topics.COMMANDS].partitions == n
    assert all(specs[name].partitions == n for name in CO_PARTITIONED)
    assert specs[topics.SCHEMAS].partitions == 1


def test_without_a_count_the_configured_partitions_are_used():
    specs = specs_by_name()
    assert {specs[name].partitions for name in (topics.COMMANDS, *CO_PARTITIONED)} == {settings.PARTITIONS}


def test_commands_are_kept_72_hours_by_default_and_deleted():
    """Their personal data is in clear: kept only as long as a ledger may be down (README: personal data)."""
    config = specs_by_name()[topics.COMMANDS].config
    assert config["cleanup.policy"] == "delete" and int(config["retention.ms"]) == 3 * DAY_MS


def test_data_keys_are_compacted_their_tombstones_kept_and_superseded_keys_gone_within_a_day():
    config = specs_by_name()[topics.KEYS].config
    assert config["cleanup.policy"] == "compact" and config["retention.ms"] == FOREVER
    assert int(config["delete.retention.ms"]) == 2**63 - 1          # an erasure's date stays readable
    assert int(config["max.compaction.lag.ms"]) <= DAY_MS and int(config["segment.ms"]) <= DAY_MS


@pytest.mark.parametrize("name", [topics.EVENTS, topics.REJECTED, topics.PUBLIC])
def test_the_ledger_and_its_copies_are_kept_forever(name):
    config = specs_by_name()[name].config
    assert config["cleanup.policy"] == "delete"
    assert config["retention.ms"] == FOREVER and config["retention.bytes"] == FOREVER


def test_the_schemas_topic_is_compacted_and_never_deleted():
    config = specs_by_name()[topics.SCHEMAS].config
    assert config["cleanup.policy"] == "compact"
    assert config.get("retention.ms", FOREVER) == FOREVER and config.get("retention.bytes", FOREVER) == FOREVER


def test_every_topic_sets_max_message_bytes_large_enough_for_a_batch_plus_one_record():
    """README: 1 MiB on every topic; commands are at most 64 KB, and the ledger writes record batches of at most
    128 KB plus one record (a rejection holding a whole command, with room to spare for its other fields)."""
    for spec in topic_specs():
        size = int(spec.config["max.message.bytes"])
        assert size == 1024 * 1024, spec.name
        assert size >= settings.LEDGER_RECORD_BATCH_BYTES + 2 * MAX_COMMAND_BYTES, spec.name


@pytest.mark.parametrize("replication, insync", [(1, "1"), (2, "2"), (3, "2"), (5, "2")])
def test_acknowledged_records_need_two_in_sync_replicas_where_there_are_two(replication, insync):
    config = topics.durability(replication)
    assert config["min.insync.replicas"] == insync and config["unclean.leader.election.enable"] == "false"


def test_every_topic_forbids_unclean_leader_election():
    assert all(spec.config["unclean.leader.election.enable"] == "false" for spec in topic_specs())
    assert all(spec.config["min.insync.replicas"] == str(min(2, settings.REPLICATION)) for spec in topic_specs())


def test_configs_are_strings_and_documented():
    for spec in topic_specs():
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in spec.config.items()), spec.name
        assert spec.doc.strip(), spec.name


def test_each_call_gives_configs_of_its_own():
    first = topic_specs()
    for spec in first:
        spec.config["retention.ms"] = "1"
    second = specs_by_name()
    assert second[topics.EVENTS].config["retention.ms"] == FOREVER
    assert second[topics.COMMANDS].config["retention.ms"] == str(3 * DAY_MS)
    configs = [id(spec.config) for spec in second.values()]
    assert len(set(configs)) == len(configs)


def test_header_names_are_distinct_lowercase_ascii_and_ours():
    assert len(set(HEADERS)) == len(HEADERS)
    assert all(re.fullmatch(r"tyndau-[a-z-]+", name) for name in HEADERS)


def test_consumer_groups_and_producer_ids_are_distinct():
    values = [getattr(topics, name) for name in GROUP_NAMES]
    assert len(set(values)) == len(values)
    assert topics.LEDGER_GROUP == settings.APP_ID     # Faust's own group is the app id


def test_consumer_groups_follow_the_app_id():
    """README: every worker of one deployment runs with the same TYNDAU_APP_ID; another id is another deployment."""
    code = f"import json, streams.topics as t; print(json.dumps({{n: getattr(t, n) for n in {GROUP_NAMES!r}}}))"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TYNDAU_")}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**env, "TYNDAU_APP_ID": "other-deployment"},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    there = json.loads(result.stdout)
    here = {name: getattr(topics, name) for name in GROUP_NAMES}
    assert there["LEDGER_GROUP"] == "other-deployment"
    for name in GROUP_NAMES:
        assert there[name].startswith("other-deployment"), name
        assert there[name] != here[name]
        assert there[name].removeprefix("other-deployment") == here[name].removeprefix(settings.APP_ID), name
    assert len(set(there.values())) == len(GROUP_NAMES)
