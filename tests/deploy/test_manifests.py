"""The deployment's manifests against the code they configure: deploy/kubernetes/*.yaml, deploy/compose.yaml,
deploy/clickhouse and deploy/CAPACITY.md. Every setting named is one streams/settings.py reads, with a value it
accepts; the worker processes run roles parse_roles accepts; the ledger's state is on a volume of its own per
process; Kafka is three KRaft nodes with replication 3 / min ISR 2; images are pinned; the cluster variant of
the ClickHouse DDL has every table the migrations make, column for column. No server runs: files only."""

from __future__ import annotations

import importlib.metadata
import os
import re
import runpy
import tomllib
import xml.etree.ElementTree as ElementTree
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from projections.clickhouse import MIGRATIONS, migration_files, statements
from streams.agents.roles import ROLES, RolesError, parse_roles

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
COMPOSE = DEPLOY / "compose.yaml"
SETTINGS = ROOT / "streams" / "settings.py"
SECRETS_EXAMPLE = KUBERNETES / "secrets.example.yaml"
REPLICATED = DEPLOY / "clickhouse" / "replicated_migrations.sql"
WORKLOADS = ("Deployment", "StatefulSet", "Job", "DaemonSet")


# --- reading the manifests ---------------------------------------------------------------------

@lru_cache(maxsize=None)
def _parsed(path: Path) -> tuple:
    """The documents of a YAML file, parsed once per test run (the tests only read them)."""
    return tuple(yaml.safe_load_all(path.read_text(encoding="utf-8")))


def kubernetes_documents(exclude: tuple[str, ...] = ()) -> list[tuple[str, dict]]:
    """(file name, object) of every Kubernetes object in deploy/kubernetes."""
    out = []
    for path in sorted(KUBERNETES.glob("*.yaml")):
        if path.name in exclude:
            continue
        for document in _parsed(path):
            if document and "apiVersion" in document and document.get("kind") != "Kustomization":
                out.append((path.name, document))
    return out


def objects(kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for _, d in kubernetes_documents() if d["kind"] == kind}


def secrets_example() -> dict[str, dict[str, str]]:
    return {d["metadata"]["name"]: d.get("stringData", {}) for d in _parsed(SECRETS_EXAMPLE) if d}


def compose() -> dict:
    return _parsed(COMPOSE)[0]


def pod_containers(workload: dict) -> list[dict]:
    spec = workload["spec"]["template"]["spec"]
    return spec.get("initContainers", []) + spec["containers"]


def is_tyndau(image: str) -> bool:
    return image.rsplit(":", 1)[0].endswith("/tyndau")


def kubernetes_environment(container: dict) -> dict[str, str]:
    """The container's environment as the kubelet makes it: envFrom first, env over it; a secret's value
    is the placeholder of secrets.example.yaml (a reference to a secret or key not there fails)."""
    config_maps, secrets = {name: d.get("data", {}) for name, d in objects("ConfigMap").items()}, secrets_example()
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            env.update(config_maps[source["configMapRef"]["name"]])
        else:
            env.update(secrets[source["secretRef"]["name"]])
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = str(item["value"])
            continue
        ref = item["valueFrom"]
        if "secretKeyRef" in ref:
            secret = ref["secretKeyRef"]
            assert secret["key"] in secrets.get(secret["name"], {}), f"{item['name']}: no key {secret['key']} in secret {secret['name']}"
            env[item["name"]] = secrets[secret["name"]][secret["key"]]
        elif "configMapKeyRef" in ref:
            env[item["name"]] = config_maps[ref["configMapKeyRef"]["name"]][ref["configMapKeyRef"]["key"]]
        else:
            env[item["name"]] = f"<{next(iter(ref))}>"
    return env


INTERPOLATION = re.compile(r"\$\{(\w+)(?::?[-?]([^}]*))?\}")


def compose_environment(service: dict) -> dict[str, str]:
    """The service's environment with compose's ${NAME…} filled in: the default if there is one, else a placeholder."""
    def fill(match: re.Match) -> str:
        default = match.group(2) or ""
        return default if ":-" in match.group(0) else f"set-{match.group(1).lower()}"
    return {name: INTERPOLATION.sub(fill, str(value)) for name, value in (service.get("environment") or {}).items()}


def tyndau_processes() -> list[tuple[str, list[str], dict[str, str]]]:
    """(where, argv after `tyndau`, environment) of every tyndau container, in Kubernetes and in compose."""
    out = []
    for file, document in kubernetes_documents():
        if document["kind"] in WORKLOADS:
            for container in pod_containers(document):
                if is_tyndau(container["image"]):
                    argv = container.get("command", [])[1:] + container.get("args", [])
                    out.append((f"{file}:{document['metadata']['name']}", argv, kubernetes_environment(container)))
    for name, service in compose()["services"].items():
        if is_tyndau(service.get("image", "")):
            out.append((f"compose.yaml:{name}", list(service.get("command", [])), compose_environment(service)))
    return out


def roles_of(argv: list[str]) -> str | None:
    return argv[argv.index("--roles") + 1] if "--roles" in argv else None


# --- what the code reads -----------------------------------------------------------------------

SETTING = re.compile(r"""\b_(env|int|float)\(\s*["'](\w+)["']""")
PLAIN_ENV = re.compile(r"""os\.environ\.get\(\s*["'](\w+)["']""")


def settings_read() -> dict[str, str]:
    """Every variable streams/settings.py reads, with how: env (text), int or float."""
    source = SETTINGS.read_text(encoding="utf-8")
    found = {name: kind for kind, name in SETTING.findall(source)}
    found.update({name: "env" for name in PLAIN_ENV.findall(source) if name not in found})
    return found


def settings_under(env: dict[str, str]) -> dict[str, Any]:
    """streams/settings.py evaluated with exactly these tyndau variables set (a bad value: its SystemExit)."""
    saved = dict(os.environ)
    try:
        for name in settings_read():
            os.environ.pop(name, None)
        os.environ.update(env)
        return runpy.run_path(str(SETTINGS))
    finally:
        os.environ.clear()
        os.environ.update(saved)


def pinned(image: str) -> tuple[str, str]:
    repository, _, tag = image.rpartition(":")
    assert repository and "/" not in tag, f"{image}: no tag"
    return repository, tag


# --- tests ---------------------------------------------------------------------------------------

def test_every_manifest_is_yaml_of_kubernetes_objects_or_compose_services():
    files = sorted(DEPLOY.rglob("*.yaml")) + sorted(DEPLOY.rglob("*.yml"))
    assert COMPOSE in files and len(files) >= 9
    for path in files:
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if path == COMPOSE:
                assert set(document["services"]) >= {"clickhouse", "projector-api"}
            elif path.parent.name == "prometheus":   # Prometheus' own configuration: tests/deploy/test_monitoring.py
                assert "scrape_configs" in document
            elif document is not None:
                assert {"apiVersion", "kind"} <= set(document), f"{path.name}: {str(document)[:80]}"
                assert document["kind"] == "Kustomization" or document["metadata"]["name"], path.name


def test_the_kustomization_applies_every_manifest_but_the_secret_placeholders():
    kustomization = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    on_disk = {p.name for p in KUBERNETES.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == on_disk - {"secrets.example.yaml"}
    assert kustomization["namespace"] == "tyndau"
    assert {d["metadata"].get("namespace") for _, d in kubernetes_documents() if d["kind"] != "Namespace"} == {"tyndau"}


def test_tyndau_processes_set_only_variables_the_settings_module_reads():
    read = settings_read()
    assert {"TYNDAU_KAFKA", "TYNDAU_PARTITIONS", "TYNDAU_LEDGER_STATE_DIR", "KAFKA_BOOTSTRAP_SERVERS"} <= set(read)
    processes = tyndau_processes()
    assert len(processes) >= 7
    for where, _, env in processes:
        unknown = sorted(set(env) - set(read))
        assert unknown == [], f"{where} sets {unknown}, which streams/settings.py never reads"


def test_no_other_container_is_given_a_tyndau_variable():
    others = [(f"{file}:{c['name']}", c) for file, d in kubernetes_documents() if d["kind"] in WORKLOADS
              for c in pod_containers(d) if not is_tyndau(c["image"])]
    others += [(f"compose.yaml:{name}", s) for name, s in compose()["services"].items() if not is_tyndau(s.get("image", ""))]
    assert len(others) >= 6
    for where, container in others:
        env = container.get("environment") or {item["name"]: "" for item in container.get("env", [])}
        assert not [name for name in env if name.startswith("TYNDAU_")], where


def test_every_production_worker_is_given_each_key_a_production_start_needs():
    """streams/auth/production.py refuses a worker without its own pseudonym, master and checkpoint-signing keys:
    every worker of the manifests gets all three (from the secret, or compose's deploy/.env)."""
    workers = [(where, env) for where, argv, env in tyndau_processes() if argv[:1] == ["worker"]]
    assert len(workers) >= 4
    for where, env in workers:
        assert env.get("TYNDAU_ENV") == "production", where
        missing = [k for k in ("TYNDAU_PSEUDONYM_KEY", "TYNDAU_MASTER_KEY", "TYNDAU_CHECKPOINT_KEY") if not env.get(k)]
        assert missing == [], f"{where} would be refused: no {', '.join(missing)}"


def test_every_value_is_one_the_settings_accept():
    kinds = settings_read()
    for where, _, env in tyndau_processes():
        for name, value in env.items():
            if kinds[name] == "int":
                assert re.fullmatch(r"-?\d+", value), f"{where}: {name}={value!r} is not a whole number"
            elif kinds[name] == "float":
                assert re.fullmatch(r"-?\d+(\.\d+)?", value), f"{where}: {name}={value!r} is not a number"
        try:
            settings_under(env)
        except SystemExit as refusal:
            pytest.fail(f"{where}: streams/settings.py refuses its environment: {refusal}")


def test_partitions_agree_between_kubernetes_compose_and_the_capacity_plan():
    capacity = (DEPLOY / "CAPACITY.md").read_text(encoding="utf-8")
    planned = {int(n) for n in re.findall(r"TYNDAU_PARTITIONS\s*=\s*(\d+)", capacity)}
    assert len(planned) == 1, f"deploy/CAPACITY.md names TYNDAU_PARTITIONS={sorted(planned)}"
    chosen = planned.pop()
    for where, _, env in tyndau_processes():
        settings = settings_under(env)
        assert settings["PARTITIONS"] == chosen, where
        assert settings["REPLICATION"] == 3, where


def test_each_ledger_process_keeps_its_state_on_a_volume_of_its_own():
    ledgers = 0
    for name, statefulset in objects("StatefulSet").items():
        for container in pod_containers(statefulset):
            if not is_tyndau(container["image"]) or "ledger" not in (roles_of(container.get("args", [])) or ""):
                continue
            ledgers += 1
            state_dir = str(settings_under(kubernetes_environment(container))["LEDGER_STATE_DIR"])
            claims = {t["metadata"]["name"] for t in statefulset["spec"].get("volumeClaimTemplates", [])}
            mounted = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
            assert mounted.get(state_dir) in claims, f"{name}: {state_dir} is not on a PersistentVolumeClaim of its own"
            spec = statefulset["spec"]["template"]["spec"]
            anti = spec["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
            assert any(term["topologyKey"] == "kubernetes.io/hostname" for term in anti), name
            assert spec["terminationGracePeriodSeconds"] >= 30, name
            assert statefulset["spec"]["replicas"] >= 2, name
    for name, deployment in objects("Deployment").items():   # a Deployment's pods share nothing per pod
        assert not any("ledger" in (roles_of(c.get("args", [])) or "") for c in pod_containers(deployment)), name
    assert ledgers == 1

    services = compose()["services"]
    volumes = compose()["volumes"]
    ledger_services = {n: s for n, s in services.items() if "ledger" in (roles_of(s.get("command", [])) or "")}
    assert len(ledger_services) == 2
    used = []
    for name, service in ledger_services.items():
        state_dir = str(settings_under(compose_environment(service))["LEDGER_STATE_DIR"])
        mounts = dict(reversed(v.split(":")[:2]) for v in service["volumes"])
        assert mounts.get(state_dir) in volumes, f"compose {name}: {state_dir} is not on a named volume"
        used.append(mounts[state_dir])
    assert len(set(used)) == len(used), f"two ledger services share a state volume: {used}"


def test_worker_commands_run_roles_that_parse_roles_accepts():
    seen: dict[str, set[str]] = {"kubernetes": set(), "compose": set()}
    for where, argv, env in tyndau_processes():
        assert argv and argv[0] in ("worker", "topics"), f"{where}: {argv}"
        if argv[0] != "worker":
            continue
        text = roles_of(argv)
        assert text, f"{where}: a worker without --roles runs TYNDAU_WORKER_ROLES' default, every role"
        assert set(text.split(",")) <= set(ROLES), where
        dsn = settings_under(env)["CLICKHOUSE_DSN"]
        try:
            roles = parse_roles(text, dsn)
        except RolesError as error:
            pytest.fail(f"{where}: {error}")
        seen["compose" if where.startswith("compose") else "kubernetes"].update(roles)
    assert seen == {"kubernetes": set(ROLES), "compose": set(ROLES)}, "every role runs somewhere"


def test_the_api_listens_on_its_port_and_its_service_points_there():
    for where, argv, env in tyndau_processes():
        if "api" in (roles_of(argv) or ""):
            settings = settings_under(env)
            assert settings["HTTP_HOST"] == "0.0.0.0", where
    [api] = [d for d in objects("Deployment").values() if roles_of(pod_containers(d)[0]["args"]) == "api"]
    port = settings_under(kubernetes_environment(pod_containers(api)[0]))["HTTP_PORT"]
    assert [p["containerPort"] for p in pod_containers(api)[0]["ports"]] == [port]
    service = objects("Service")["tyndau-api"]
    assert service["spec"]["selector"] == api["spec"]["selector"]["matchLabels"]
    assert [p["port"] for p in service["spec"]["ports"]] == [port]
    compose_api = compose()["services"]["projector-api"]
    assert compose_api["ports"] == [f"{settings_under(compose_environment(compose_api))['HTTP_PORT']}:6066"]


def properties(text: str) -> dict[str, str]:
    return dict(re.findall(r"^\s*([a-z][a-z0-9.-]*)=(.*?)\s*$", text, flags=re.MULTILINE))


def voters(text: str) -> list[int]:
    return [int(v.split("@")[0]) for v in text.split(",")]


def test_kafka_is_three_kraft_nodes_replicating_three_with_two_in_sync():
    version = re.search(r"<kafka\.version>([^<]+)</kafka\.version>", (DEPLOY / "kafka" / "pom.xml").read_text()).group(1)
    kafka = objects("StatefulSet")["kafka"]
    assert kafka["spec"]["replicas"] == 3
    assert pinned(pod_containers(kafka)[0]["image"]) == ("apache/kafka", version)
    server = properties(objects("ConfigMap")["kafka-config"]["data"]["start.sh"])
    assert server["process.roles"] == "broker,controller"
    assert voters(server["controller.quorum.voters"]) == list(range(kafka["spec"]["replicas"]))   # node.id = ordinal
    assert server["node.id"] == "${NODE_ID}"
    expected = {"default.replication.factor": "3", "min.insync.replicas": "2", "offsets.topic.replication.factor": "3",
                "transaction.state.log.replication.factor": "3", "transaction.state.log.min.isr": "2",
                "unclean.leader.election.enable": "false", "auto.create.topics.enable": "false",
                "allow.everyone.if.no.acl.found": "false", "sasl.enabled.mechanisms": "SCRAM-SHA-512",
                "inter.broker.listener.name": "SASL_SSL", "sasl.mechanism.controller.protocol": "PLAIN"}
    assert {k: server.get(k) for k in expected} == expected
    assert server["listener.security.protocol.map"] == "SASL_SSL:SASL_SSL,CONTROLLER:SASL_SSL"
    secure = properties((DEPLOY / "kafka" / "server-sasl.properties").read_text())
    for name in ("authorizer.class.name", "sasl.enabled.mechanisms", "sasl.mechanism.controller.protocol",
                 "listener.name.controller.sasl.enabled.mechanisms"):
        assert server[name] == secure[name], name
    assert set(server["super.users"].split(";")) == {"User:controller", "User:broker", "User:operator"}

    services = {n: s for n, s in compose()["services"].items() if s.get("image", "").startswith("apache/kafka:")}
    assert len(services) == 3
    ids = sorted(int(s["environment"]["KAFKA_NODE_ID"]) for s in services.values())
    for name, service in services.items():
        env = service["environment"]
        assert pinned(service["image"]) == ("apache/kafka", version)
        assert voters(env["KAFKA_CONTROLLER_QUORUM_VOTERS"]) == ids, name
        assert {f"{i}@{n}:9093" for i, n in zip(ids, sorted(services))} == set(env["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(","))
        assert (env["KAFKA_PROCESS_ROLES"], env["KAFKA_MIN_INSYNC_REPLICAS"], env["KAFKA_DEFAULT_REPLICATION_FACTOR"],
                env["KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"], env["KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"],
                env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"]) == ("broker,controller", 2, 3, 3, 2, 3), name
        assert len({s["environment"]["CLUSTER_ID"] for s in services.values()}) == 1


def test_every_image_is_pinned():
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    images = [c["image"] for _, d in kubernetes_documents() if d["kind"] in WORKLOADS for c in pod_containers(d)]
    images += [s["image"] for s in compose()["services"].values()]
    assert len(images) >= 12
    for image in images:
        repository, tag = pinned(image)
        assert tag != "latest" and re.fullmatch(r"\d+(\.\d+){2,3}", tag), f"{image}: pin a full version"
        if is_tyndau(image):
            assert tag == version, f"{image}: the tyndau image is tagged with pyproject.toml's version {version}"
        if repository == "clickhouse/clickhouse-server":
            engine = importlib.metadata.version("chdb-core").split(".")[0]
            assert tag.split(".")[0] == engine, f"{image}: the server's release year differs from chDB's engine ({engine})"


def test_every_secret_the_manifests_use_is_in_the_placeholders():
    secrets = secrets_example()
    assert all(value.startswith(("REPLACE", "http://")) and "REPLACE" in value
               for keys in secrets.values() for value in keys.values()), "placeholders only, never a real secret"
    for file, document in kubernetes_documents(exclude=("secrets.example.yaml",)):
        if document["kind"] not in WORKLOADS:
            continue
        for volume in document["spec"]["template"]["spec"].get("volumes", []):
            if "secret" in volume:
                name = volume["secret"]["secretName"]
                assert name in secrets, f"{file}: secret {name}"
                assert {i["key"] for i in volume["secret"].get("items", [])} <= set(secrets[name]), f"{file}: {name}"
        for container in pod_containers(document):
            kubernetes_environment(container)   # fails on a missing secret or key


def test_the_acl_job_sets_the_acls_of_the_document():
    document = [line for line in (DEPLOY / "kafka" / "acls.md").read_text().splitlines() if line.startswith("kafka-acls.sh ")]
    script = objects("ConfigMap")["kafka-acls"]["data"]["acls.sh"].splitlines()
    assert document and [line for line in script if line.startswith("kafka-acls.sh ")] == document


def test_clickhouse_runs_the_server_files_of_deploy_clickhouse():
    files = {"config.d-tyndau.xml": DEPLOY / "clickhouse" / "config.d" / "tyndau.xml",
             "users.d-tyndau.xml": DEPLOY / "clickhouse" / "users.d" / "tyndau.xml"}
    data = objects("ConfigMap")["clickhouse-config"]["data"]
    assert {key: data[key] for key in files} == {key: path.read_text() for key, path in files.items()}
    users = ElementTree.parse(files["users.d-tyndau.xml"]).getroot().find("users")
    from_env = {user.tag: user.find("password").get("from_env") for user in users}
    assert set(from_env) == {"tyndau", "tyndau_reader"}
    server = pod_containers(objects("StatefulSet")["clickhouse"])[0]
    assert set(from_env.values()) <= {item["name"] for item in server["env"]}
    assert set(from_env.values()) <= set(compose()["services"]["clickhouse"]["environment"])
    mounts = compose()["services"]["clickhouse"]["volumes"]
    assert "./clickhouse/config.d/tyndau.xml:/etc/clickhouse-server/config.d/tyndau.xml:ro" in mounts
    assert "./clickhouse/users.d/tyndau.xml:/etc/clickhouse-server/users.d/tyndau.xml:ro" in mounts
    ElementTree.parse(files["config.d-tyndau.xml"])
    ElementTree.parse(DEPLOY / "clickhouse" / "cluster" / "config.d" / "cluster.xml")
    for where, _, env in tyndau_processes():   # each DSN names a user of users.d with the database the server creates
        dsn = settings_under(env)["CLICKHOUSE_DSN"]
        if not dsn.startswith("chdb://"):
            user = re.match(r"https?://([^:@/]+)[:@]", dsn).group(1)
            assert user in from_env and dsn.endswith("/tyndau"), where


# --- the cluster variant of the migrations -------------------------------------------------------

def split_top(text: str, separator: str = ",") -> list[str]:
    """`text` split at the separators outside parentheses and quotes."""
    parts, depth, quote, current = [], 0, False, []
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "'" and text[i + 1:i + 2] == "'":
                current.append("''")
                i += 2
                continue
            quote = ch != "'"
        elif ch == "'":
            quote = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == separator and depth == 0:
            parts.append("".join(current).strip())
            current = []
            i += 1
            continue
        current.append(ch)
        i += 1
    if "".join(current).strip():
        parts.append("".join(current).strip())
    return parts


def closing(text: str, start: int) -> int:
    """The index of the parenthesis that closes the one at `start`."""
    depth = 0
    for i in range(start, len(text)):
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        if depth == 0:
            return i
    raise AssertionError(f"unbalanced parentheses in {text[:80]}")


def normal(text: str) -> str:
    text = re.sub(r"\s+", " ", text.strip())
    return re.sub(r"\s*([(),])\s*", r"\1", text).replace(",", ", ")


def column(definition: str) -> tuple[str, str]:
    """(name, type) of a column definition, its DEFAULT, COMMENT, CODEC … left out."""
    name, rest = definition.split(None, 1)
    return name.strip("`"), normal(re.split(r"\s+(?:DEFAULT|MATERIALIZED|ALIAS|EPHEMERAL|COMMENT|CODEC|TTL)\b", rest)[0])


CREATE_TABLE = re.compile(r"CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(?:(\w+)\.)?(\w+)\s*(ON\s+CLUSTER\s+'?[^'\s(]+'?\s*)?\(", re.S)
ENGINE = re.compile(r"\s*ENGINE\s*=\s*(\w+)\s*(?:\((.*?)\))?\s*(.*)$", re.S)


def created_table(statement: str) -> dict:
    match = CREATE_TABLE.match(statement)
    end = closing(statement, match.end() - 1)
    engine = ENGINE.match(statement[end + 1:])
    assert engine, f"no ENGINE in {statement[:80]}"
    items = split_top(statement[match.end():end])
    return {"database": match.group(1), "name": match.group(2), "on_cluster": bool(match.group(3)),
            "columns": [column(c) for c in items if not INDEX.match(c)],
            "indexes": [index(c) for c in items if INDEX.match(c)],
            "engine": engine.group(1), "arguments": split_top(engine.group(2) or ""), "tail": normal(engine.group(3))}


INDEX = re.compile(r"\s*INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)\s+(.*)$", re.S)


def index(definition: str) -> tuple[str, str]:
    """A data-skipping index: (name, its expression, type and granularity, spaces normalised)."""
    m = INDEX.match(definition)
    return m.group(1), normal(m.group(2))


def alter(table: dict, action: str) -> None:
    """Apply one ALTER TABLE action to a table's columns, as ClickHouse would."""
    columns = table["columns"]
    names = [n for n, _ in columns]
    if m := re.match(r"ADD\s+COLUMN\s+(?:IF\s+NOT\s+EXISTS\s+)?(.*)$", action, re.S):
        definition = re.sub(r"\s+(AFTER\s+\w+|FIRST)\s*$", "", m.group(1))
        name, kind = column(definition)
        if name in names:
            return
        after = re.search(r"\s+AFTER\s+(\w+)\s*$", m.group(1))
        at = 0 if re.search(r"\s+FIRST\s*$", m.group(1)) else names.index(after.group(1)) + 1 if after else len(columns)
        columns.insert(at, (name, kind))
    elif m := re.match(r"MODIFY\s+COLUMN\s+(?:IF\s+EXISTS\s+)?(\w+)\s+(.*)$", action, re.S):
        if not re.match(r"(COMMENT|DEFAULT|CODEC|TTL|REMOVE)\b", m.group(2)):
            columns[names.index(m.group(1))] = column(f"{m.group(1)} {m.group(2)}")
    elif m := re.match(r"DROP\s+COLUMN\s+(?:IF\s+EXISTS\s+)?(\w+)\s*$", action):
        if m.group(1) in names:
            del columns[names.index(m.group(1))]
    elif m := re.match(r"RENAME\s+COLUMN\s+(?:IF\s+EXISTS\s+)?(\w+)\s+TO\s+(\w+)\s*$", action):
        i = names.index(m.group(1))
        columns[i] = (m.group(2), columns[i][1])
    elif m := re.match(r"ADD\s+(INDEX\s+.*)$", action, re.S):
        name, definition = index(m.group(1))
        if name not in [n for n, _ in table["indexes"]]:
            table["indexes"].append((name, definition))
    elif not re.match(r"(COMMENT\s+COLUMN|MATERIALIZE\s+INDEX)\b", action):
        raise AssertionError(f"an ALTER this test cannot fold yet ({action[:60]}): teach alter() it, and the replicated DDL")


def migrated_schema(sql_files: list[Path]) -> tuple[dict[str, dict], set[str]]:
    """The tables (and views) the migrations leave, their statements folded in order."""
    tables: dict[str, dict] = {}
    views: set[str] = set()
    for path in sql_files:
        for statement in statements(path):
            if CREATE_TABLE.match(statement):
                table = created_table(statement)
                tables.setdefault(table["name"], table)
            elif m := re.match(r"ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:\w+\.)?(\w+)\s+(.*)$", statement, re.S):
                for action in split_top(m.group(2)):
                    alter(tables[m.group(1)], action)
            elif m := re.match(r"DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:\w+\.)?(\w+)", statement):
                tables.pop(m.group(1), None)
            elif m := re.match(r"CREATE\s+(?:MATERIALIZED\s+)?VIEW\s+(?:IF\s+NOT\s+EXISTS\s+)?(?:\w+\.)?(\w+)", statement):
                views.add(m.group(1))
            elif m := re.match(r"DROP\s+VIEW\s+(?:IF\s+EXISTS\s+)?(?:\w+\.)?(\w+)", statement):
                views.discard(m.group(1))
            else:
                raise AssertionError(f"{path.name}: a statement this test cannot fold ({statement[:60]})")
    return tables, views


def replicated_schema(path: Path = REPLICATED) -> tuple[dict[str, dict], set[str], set[tuple[int, str]]]:
    """The tables, the views ON CLUSTER and the migrations recorded of replicated_migrations.sql."""
    tables, views, recorded = {}, set(), set()
    for statement in statements(path):   # split as the migrations' runner splits them
        if CREATE_TABLE.match(statement):
            table = created_table(statement)
            tables[table["name"]] = table
        elif m := re.match(r"CREATE\s+(?:MATERIALIZED\s+)?VIEW\s+(?:IF\s+NOT\s+EXISTS\s+)?(?:\w+\.)?(\w+)\s+ON\s+CLUSTER", statement):
            views.add(m.group(1))
        elif re.match(r"INSERT\s+INTO\s+(?:\w+\.)?schema_migrations\b", statement):
            recorded |= {(int(n), name) for n, name in re.findall(r"\(\s*(\d+)\s*,\s*'([^']+)'", statement)}
        else:
            assert re.match(r"CREATE\s+DATABASE\s+IF\s+NOT\s+EXISTS\s+\w+\s+ON\s+CLUSTER\b", statement), statement[:80]
    return tables, views, recorded


def replication_problems(migrated: dict[str, dict], views: set[str], replicated: dict[str, dict], replicated_views: set[str]) -> list[str]:
    problems = [f"no replicated {name}" for name in sorted(set(migrated) - set(replicated))]
    problems += [f"{name} is in no migration" for name in sorted(set(replicated) - set(migrated))]
    problems += [f"no view {name} ON CLUSTER" for name in sorted(views - replicated_views)]
    for name in sorted(set(migrated) & set(replicated)):
        plain, copy = migrated[name], replicated[name]
        if copy["columns"] != plain["columns"]:
            problems.append(f"{name}: columns {copy['columns']} differ from the migrations' {plain['columns']}")
        if copy["indexes"] != plain["indexes"]:
            problems.append(f"{name}: indexes {copy['indexes']} differ from the migrations' {plain['indexes']}")
        if not copy["on_cluster"] or copy["database"] != "tyndau":
            problems.append(f"{name}: not created as tyndau.{name} ON CLUSTER")
        if copy["engine"] != f"Replicated{plain['engine']}":
            problems.append(f"{name}: engine {copy['engine']}, not Replicated{plain['engine']}")
        if copy["arguments"] != [f"'/clickhouse/tables/{{shard}}/tyndau/{name}'", "'{replica}'", *plain["arguments"]]:
            problems.append(f"{name}: engine arguments {copy['arguments']}")
        if copy["tail"] != plain["tail"]:
            problems.append(f"{name}: {copy['tail']!r} instead of {plain['tail']!r}")
    return problems


def test_the_replicated_ddl_has_every_migrated_table_column_for_column():
    migrated, views = migrated_schema([path for _, path in migration_files()])
    assert set(migrated) == {"schema_migrations", "appeal_events", "appeals", "projection_errors", "appeal_versions",
                             "merkle_nodes"}
    assert ("stage_body", "LowCardinality(Nullable(String))") in migrated["appeals"]["columns"]   # 011 folded in
    assert ("received_on", "Date32") in migrated["appeals"]["columns"]                             # 005 folded in
    tables, replicated_views, _ = replicated_schema()
    assert replication_problems(migrated, views, tables, replicated_views) == []


def test_the_replicated_ddl_records_every_migration_as_applied():
    _, _, recorded = replicated_schema()
    assert recorded == {(number, path.name) for number, path in migration_files()}
    assert all(path.parent == MIGRATIONS for _, path in migration_files())


def test_the_replication_check_sees_a_column_that_differs_or_a_table_left_out(tmp_path):
    """The two checks above can fail: a type changed in the replicated DDL, or a later migration it lacks."""
    migrated, views = migrated_schema([path for _, path in migration_files()])
    changed = tmp_path / "replicated.sql"
    changed.write_text(REPLICATED.read_text().replace("    routed                       UInt16,\n",
                                                      "    routed                       UInt32,\n", 1))
    tables, replicated_views, _ = replicated_schema(changed)
    problems = replication_problems(migrated, views, tables, replicated_views)
    assert len(problems) == 1 and problems[0].startswith("appeals: columns")
    later = tmp_path / "012_later.sql"
    later.write_text("ALTER TABLE appeals ADD COLUMN IF NOT EXISTS later UInt8;\nCREATE TABLE IF NOT EXISTS more\n"
                     "(\n    id String\n)\nENGINE = MergeTree\nORDER BY id;\n")
    migrated, views = migrated_schema([path for _, path in migration_files()] + [later])
    tables, replicated_views, _ = replicated_schema()
    problems = replication_problems(migrated, views, tables, replicated_views)
    assert "no replicated more" in problems and any(p.startswith("appeals: columns") for p in problems)
