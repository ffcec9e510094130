"""The topics the ledger agent reads and writes, as Faust channels (their contract: streams/topics.py).

Values are raw bytes: commands are JSON, the rest Avro."""

from __future__ import annotations

from .. import settings, topics
from ..app import app

commands_topic = app.topic(topics.COMMANDS, key_type=bytes, value_type=bytes,
                           key_serializer="raw", value_serializer="raw", partitions=settings.PARTITIONS)
events_topic = app.topic(topics.EVENTS, key_type=bytes, value_type=bytes,
                         key_serializer="raw", value_serializer="raw", partitions=settings.PARTITIONS,
                         retention=None, deleting=True)
