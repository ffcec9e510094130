"""streams/agents/roles.py: which roles a worker may be given, and that each registers exactly its agents, tasks,
timer and routes (streams/http registers the api role's views)."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys

import pytest

from streams.agents.roles import ROLES, RolesError, parse_roles
from streams.settings import ROOT

CHDB, SERVER = "chdb:///var/tyndau/clickhouse", "https://clickhouse.internal:8443/tyndau"

# Run in a child process: importing the worker modules registers them with the one Faust app.
PROBE = r"""
import json, os, sys, types
from streams import http
from streams.agents import roles as agents
from streams.app import app
agents.WORKER_MODULES = tuple(m for r in agents.ROLES for m in agents.ROLE_MODULES[r])

def recording(package):
    calls, real = [], package.importlib.import_module
    package.importlib = types.SimpleNamespace(import_module=lambda name: (calls.append(name), real(name))[1])
    return calls

loaded = lambda names: [n for n in names if n in sys.modules]
out = {"worker_modules": list(agents.WORKER_MODULES), "view_modules": list(http.VIEW_MODULES),
       "loaded_before": loaded(agents.WORKER_MODULES + http.VIEW_MODULES)}
agent_calls, view_calls = recording(agents), recording(http)
agents.register(tuple(os.environ.get("PROBE_ROLES", ",".join(agents.ROLES)).split(",")))
out["agent_calls"], out["views_after_agents"] = agent_calls, loaded(http.VIEW_MODULES)
http.register()
out["view_calls"], out["loaded_after"] = view_calls, loaded(agents.WORKER_MODULES + http.VIEW_MODULES)
out["agents"] = {name: agent.channel.get_topic_name() for name, agent in app.agents.items()}
out["tasks"] = {f"{t.__module__}.{t.__qualname__}": getattr(t, "__wrapped__", t).__code__.co_name == "around_timer"
                for t in app._app_tasks}
out["routes"] = sorted({(r.method, r.resource.canonical) for r in app.web.web_app.router.routes()})
print(json.dumps(out))
"""


def registered(**env: str) -> dict:
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=dict(os.environ, **env), capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


@pytest.fixture(scope="module")
def worker_app() -> dict:
    return registered(TYNDAU_DEADLINE_CHECK_SECONDS="30")


def test_register_imports_exactly_the_listed_modules(worker_app):
    assert worker_app["loaded_before"] == []
    assert worker_app["agent_calls"] == worker_app["worker_modules"] == [
        "streams.agents.ledger", "streams.agents.projector", "streams.agents.checkpoints", "streams.agents.public_feed",
        "streams.agents.deadline_watcher", "streams.agents.retention"]
    assert worker_app["views_after_agents"] == []        # the stream processing needs no view
    assert worker_app["view_calls"] == worker_app["view_modules"] == [
        "streams.http.access", "streams.http.intake", "streams.http.queries", "streams.http.history", "streams.http.erasure",
        "streams.http.dashboard", "streams.http.admin", "streams.http.metrics", "streams.http.checkpoints"]
    assert worker_app["loaded_after"] == worker_app["worker_modules"] + worker_app["view_modules"]


def test_the_app_has_the_ledger_agent_the_tasks_and_the_deadline_timer(worker_app):
    assert worker_app["agents"] == {"streams.agents.ledger.append_appeal_events": "appeals.commands"}
    assert worker_app["tasks"] == {
        "streams.agents.checkpoints.sign_checkpoints": True,          # a timer: every TYNDAU_CHECKPOINT_SECONDS
        "streams.agents.deadline_watcher.watch_deadlines": True,     # a timer
        "streams.agents.ledger.finish_rewinds": True,                # a timer: partitions whose commands went astray
        "streams.agents.ledger.follow_erasures": True,               # a timer: erasures others wrote to appeals.keys
        "streams.agents.projector.project_events": False,
        "streams.agents.public_feed.publish_public_feed": False,
        "streams.http.access.follow_revocations": False,
        "streams.http.intake.follow_outcomes": False,
    }


def test_the_retention_job_runs_only_with_a_term_the_deployment_set():
    assert "streams.agents.retention.erase_when_the_term_ends" not in registered()["tasks"]
    tasks = registered(TYNDAU_PERSONAL_DATA_RETENTION_DAYS="1825")["tasks"]
    assert tasks["streams.agents.retention.erase_when_the_term_ends"] is True


def test_no_deadline_timer_when_its_interval_is_zero():
    tasks = registered(TYNDAU_DEADLINE_CHECK_SECONDS="0")["tasks"]
    assert "streams.agents.deadline_watcher.watch_deadlines" not in tasks and "streams.agents.projector.project_events" in tasks


_TOKEN = re.compile(r"\b(GET|POST|PUT|PATCH|DELETE)\b|(?<![\w/.])(/[\w{}./-]*)")


def documented_routes(module: str) -> set[tuple[str, str]]:
    """(method, path) of every route a module's docstring lists, e.g. "GET  /v1/kpis, /v1/trend" or "POST /v1/x, GET /v1/x"."""
    path = ROOT / (module.replace(".", "/") + ".py")
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    routes, method = set(), None
    for verb, route in _TOKEN.findall(doc):
        if verb:
            method = verb
        elif method is not None:
            routes.add((method, route))
    return routes


def shape(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path)


def test_every_route_the_docstrings_list_is_served_and_no_other(worker_app):
    documented = {(m, shape(p)) for module in worker_app["view_modules"] for m, p in documented_routes(module)}
    assert {("POST", "/v1/commands"), ("GET", "/v1/kpis"), ("POST", "/v1/query/{}"), ("GET", "/v1/appeals/{}/history"),
            ("GET", "/"), ("POST", "/v1/admin/rebuild"), ("GET", "/health")} <= documented, sorted(documented)
    served = {(m, shape(p)) for m, p in worker_app["routes"] if m != "HEAD"}
    assert served == documented
    # HEAD is answered wherever GET or POST is.
    assert {shape(p) for m, p in worker_app["routes"] if m == "HEAD"} == {p for _, p in documented}


def test_a_ledger_process_registers_the_ledger_and_its_watcher_and_no_projector():
    done = registered(TYNDAU_DEADLINE_CHECK_SECONDS="30", PROBE_ROLES="ledger,deadlines")
    assert done["agent_calls"] == ["streams.agents.ledger", "streams.agents.deadline_watcher", "streams.agents.retention"]
    assert done["agents"] == {"streams.agents.ledger.append_appeal_events": "appeals.commands"}
    assert set(done["tasks"]) >= {"streams.agents.deadline_watcher.watch_deadlines"}
    assert not {"streams.agents.projector.project_events", "streams.agents.public_feed.publish_public_feed"} & set(done["tasks"])


def test_a_projector_process_registers_no_agent():
    done = registered(PROBE_ROLES="projector")
    assert done["agents"] == {} and "streams.agents.projector.project_events" in done["tasks"]


@pytest.mark.parametrize("text, expected", [
    ("ledger,projector,feed,deadlines,api", ROLES),
    ("api, projector", ("projector", "api")),          # spaces, any order: ROLES order
    ("ledger,ledger,feed", ("ledger", "feed")),        # a role named twice runs once
    ("deadlines,ledger,feed", ("ledger", "feed", "deadlines")),
])
def test_roles_are_read_in_a_fixed_order(text, expected):
    assert parse_roles(text, CHDB) == expected


@pytest.mark.parametrize("text, dsn, says", [
    ("ledger,projecter", CHDB, "unknown role projecter"),
    ("", CHDB, "no role given"),
    (" , ", CHDB, "no role given"),
    ("deadlines", CHDB, "run it with the ledger role"),
    ("projector", CHDB, "run projector and api together"),
    ("ledger,api", CHDB, "run projector and api together"),
])
def test_a_role_set_that_cannot_run_is_refused_with_the_reason(text, dsn, says):
    with pytest.raises(RolesError, match=says):
        parse_roles(text, dsn)


def test_with_a_clickhouse_server_projectors_and_apis_run_apart():
    assert parse_roles("projector", SERVER) == ("projector",)
    assert parse_roles("api", SERVER) == ("api",)


def test_worker_refuses_unknown_roles_before_touching_kafka(tmp_path):
    done = subprocess.run([sys.executable, "-m", "streams.cli", "worker", "--roles", "ledger,judge"], cwd=ROOT,
                          env=dict(os.environ, TYNDAU_KAFKA="127.0.0.1:1", TYNDAU_DATA_DIR=str(tmp_path)),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "unknown role judge" in done.stderr
