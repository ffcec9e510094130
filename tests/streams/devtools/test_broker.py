"""The embedded broker's jars: fetched from Maven Central once, then taken from the cache."""

from __future__ import annotations


def test_jars_are_fetched_once(monkeypatch):
    from streams.devtools import broker

    lib = broker.ensure_jars()   # the suite's broker has fetched them already
    assert (lib / ".complete").exists() and any(lib.glob("kafka_2.13-*.jar"))

    def no_maven(*args, **kwargs):
        raise AssertionError("a second ensure_jars() must not run Maven")

    monkeypatch.setattr(broker.subprocess, "run", no_maven)
    assert broker.ensure_jars() == lib
