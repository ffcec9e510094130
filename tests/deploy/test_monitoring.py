"""The monitoring files of deploy/ (issue 16, item 6): the Grafana dashboard asks only for series tyndau serves
and runs its ClickHouse SQL on the real engine; Prometheus scrapes /metrics with a bearer token."""

from __future__ import annotations

import json
import re

import yaml

from streams import telemetry
from streams.settings import ROOT

DEPLOY = ROOT / "deploy"
SUFFIXES = ("_total", "_bucket", "_count", "_sum", "_created")


def dashboard() -> dict:
    return json.loads((DEPLOY / "grafana" / "tyndau-dashboard.json").read_text(encoding="utf-8"))


def served() -> set[str]:
    return {metric.name for metric in telemetry.REGISTRY.collect()}


def test_every_prometheus_query_names_a_series_tyndau_serves():
    targets = [t for p in dashboard()["panels"] for t in p["targets"] if p["datasource"]["type"] == "prometheus"]
    assert len(targets) >= 10
    names = {re.sub("|".join(s + "$" for s in SUFFIXES), "", n) for t in targets for n in re.findall(r"tyndau_\w+", t["expr"])}
    assert names and names <= served(), names - served()
    # Every operator's question of the issue has a panel.
    assert {"tyndau_ledger_commands", "tyndau_ledger_rejections", "tyndau_ledger_batch_seconds",
            "tyndau_ledger_outcome_lag_seconds", "tyndau_projector_lag_events", "tyndau_projector_lag_seconds",
            "tyndau_clickhouse_insert_seconds", "tyndau_http_requests", "tyndau_deadline_watcher_runs"} <= names


def test_every_clickhouse_panel_runs_on_the_real_engine(db):
    sqls = [t["rawSql"] for p in dashboard()["panels"] if p["datasource"]["type"] == "grafana-clickhouse-datasource"
            for t in p["targets"]]
    assert sqls
    for sql in sqls:   # Grafana's time macro, as the plugin expands it
        db.query(re.sub(r"\$__timeFilter\((\w+)\)", r"\1 >= toDateTime64('2020-01-01 00:00:00', 6, 'UTC')", sql))


def test_prometheus_scrapes_every_process_with_an_operator_token():
    config = yaml.safe_load((DEPLOY / "prometheus" / "scrape.yaml").read_text(encoding="utf-8"))
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == {"tyndau-api", "tyndau-ledger"}
    for job in jobs.values():
        assert job["metrics_path"] == "/metrics" and job["authorization"]["type"] == "Bearer"
    ledger = yaml.safe_load_all((DEPLOY / "kubernetes" / "ledger.yaml").read_text(encoding="utf-8"))
    statefulset = next(d for d in ledger if d and d["kind"] == "StatefulSet")
    env = {e["name"]: e.get("value") for e in statefulset["spec"]["template"]["spec"]["containers"][0]["env"]}
    port = env["TYNDAU_METRICS_PORT"]
    assert len(jobs["tyndau-ledger"]["static_configs"][0]["targets"]) == statefulset["spec"]["replicas"]
    assert all(t.endswith(f":{port}") for t in jobs["tyndau-ledger"]["static_configs"][0]["targets"])
