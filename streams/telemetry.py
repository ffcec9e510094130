"""What operators measure: tyndau's Prometheus metrics, every series prefixed `tyndau_`.

One registry per process (prometheus-client), served at GET /metrics (streams/http/metrics.py) to an
operator's or an admin's token. Each process serves its own: with `tyndau up --ledgers N` each ledger
process and the projector,api process are scraped apart (README: metrics). Labels hold codes only
(reasons, endpoints, statuses, partitions), never anything a sender wrote.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

REGISTRY = CollectorRegistry(auto_describe=True)
_SECONDS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)

LEDGER_COMMANDS = Counter("tyndau_ledger_commands", "Commands the ledger judged, by outcome (event or rejected)",
                          ["outcome"], registry=REGISTRY)
LEDGER_REJECTIONS = Counter("tyndau_ledger_rejections", "Commands the ledger rejected, by reason (README: rejection reasons)",
                            ["reason"], registry=REGISTRY)
LEDGER_BATCH_SECONDS = Histogram("tyndau_ledger_batch_seconds", "Time to judge a batch of commands and commit its "
                                 "outcomes", buckets=_SECONDS, registry=REGISTRY)
LEDGER_BATCH_COMMANDS = Histogram("tyndau_ledger_batch_commands", "Commands per ledger batch",
                                  buckets=(1, 10, 50, 100, 500, 1000, 2000, 5000), registry=REGISTRY)
OUTCOME_LAG_SECONDS = Histogram("tyndau_ledger_outcome_lag_seconds", "From a command's append to appeals.commands "
                                "to its outcome's commit", buckets=_SECONDS, registry=REGISTRY)
PROJECTOR_LAG_EVENTS = Gauge("tyndau_projector_lag_events", "Events on appeals.events not yet in ClickHouse, by partition",
                             ["partition"], registry=REGISTRY)
PROJECTOR_LAG_SECONDS = Gauge("tyndau_projector_lag_seconds", "Age of the latest event projected while events wait "
                              "(0 when the projector has caught up)", registry=REGISTRY)
PROJECTED_EVENTS = Counter("tyndau_projector_events", "Events written to ClickHouse", registry=REGISTRY)
CLICKHOUSE_INSERT_SECONDS = Histogram("tyndau_clickhouse_insert_seconds", "Time of one projector batch's ClickHouse insert",
                                      buckets=_SECONDS, registry=REGISTRY)
HTTP_REQUESTS = Counter("tyndau_http_requests", "HTTP requests, by method, endpoint (its route) and status",
                        ["method", "endpoint", "status"], registry=REGISTRY)
DEADLINE_RUNS = Counter("tyndau_deadline_watcher_runs", "Runs of the deadline watcher", registry=REGISTRY)
DEADLINE_COMMANDS = Counter("tyndau_deadline_watcher_commands", "Overdue and escalate commands the deadline watcher sent",
                            registry=REGISTRY)

CONTENT_TYPE = "text/plain; version=0.0.4"   # UTF-8 (aiohttp adds the charset)


def exposition() -> bytes:
    """The registry in Prometheus' text format."""
    return generate_latest(REGISTRY)
