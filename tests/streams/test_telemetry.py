"""The metrics registry (issue 16, item 6): every series is tyndau_-prefixed, and the exposition parses."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from streams import telemetry


def test_every_series_is_prefixed_and_the_exposition_parses():
    telemetry.LEDGER_REJECTIONS.labels("malformed").inc()
    families = {f.name: f for f in text_string_to_metric_families(telemetry.exposition().decode())}
    assert families and all(name.startswith("tyndau_") for name in families)
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value for s in families["tyndau_ledger_rejections"].samples}
    assert samples[("tyndau_ledger_rejections_total", (("reason", "malformed"),))] >= 1
    assert {"tyndau_ledger_batch_seconds", "tyndau_projector_lag_events", "tyndau_http_requests",
            "tyndau_clickhouse_insert_seconds", "tyndau_deadline_watcher_runs"} <= set(families)
