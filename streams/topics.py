"""tyndau's Kafka topics as Faust channels. Values are raw bytes: commands are JSON, the rest Avro."""

from __future__ import annotations

from . import settings
from .app import app

commands_topic = app.topic(settings.COMMANDS_TOPIC, key_type=bytes, value_type=bytes,
                           key_serializer="raw", value_serializer="raw", partitions=settings.PARTITIONS)
events_topic = app.topic(settings.EVENTS_TOPIC, key_type=bytes, value_type=bytes,
                         key_serializer="raw", value_serializer="raw", partitions=settings.PARTITIONS,
                         retention=None, deleting=True)
rejected_topic = app.topic(settings.REJECTED_TOPIC, key_type=bytes, value_type=bytes,
                           key_serializer="raw", value_serializer="raw", partitions=settings.PARTITIONS)
