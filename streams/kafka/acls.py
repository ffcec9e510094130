"""The Kafka users' rights, derived from `WRITERS` in streams/topics.py: the ACLs as AclCommand arguments, and deploy/kafka/acls.md.

Each topic is written by its writers and nobody else, so a leaked API credential cannot forge a
ledger event and a leaked ledger credential cannot inject a command. Every tyndau user may read every
tyndau topic (the API answers from the ledger, the tools audit it). The broker runs with
allow.everyone.if.no.acl.found=false: whatever is not granted here is refused.

`python -m streams.kafka.acls > deploy/kafka/acls.md` writes the document; a test checks that it matches.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import settings, topics

# How AclCommand names a kind of resource (its option), and how the document does.
RESOURCES = {"topic": "topics", "group": "consumer groups", "transactional-id": "transactional ids"}


@dataclass(frozen=True)
class Grant:
    """One AclCommand call: each of `users` may do each of `operations` on each resource in `names`."""

    users: tuple[str, ...]
    operations: tuple[str, ...]
    resource: str                 # a key of RESOURCES
    names: tuple[str, ...]
    prefixed: bool = False        # the names are prefixes: the grant covers every resource starting with one
    why: str = ""

    def arguments(self) -> list[str]:
        """AclCommand's (kafka-acls.sh's) arguments that add this grant."""
        args = ["--add"]
        for user in self.users:
            args += ["--allow-principal", f"User:{user}"]
        for operation in self.operations:
            args += ["--operation", operation]
        for name in self.names:
            args += [f"--{self.resource}", name]
        if self.prefixed:
            args += ["--resource-pattern-type", "prefixed"]
        return args


def users() -> tuple[str, ...]:
    """Every Kafka user of tyndau: each one that writes a topic."""
    return tuple(sorted({user for writers in topics.WRITERS.values() for user in writers}))


def grants(app_id: str | None = None) -> list[Grant]:
    """Every ACL of a tyndau cluster; `app_id` (TYNDAU_APP_ID) prefixes the consumer groups, Faust's own
    topics and the transactional ids."""
    app_id = app_id or settings.APP_ID
    by_writers: dict[tuple[str, ...], list[str]] = {}
    for topic, writers in topics.WRITERS.items():
        by_writers.setdefault(tuple(sorted(writers)), []).append(topic)
    out = [Grant(writers, ("Write", "Describe"), "topic", tuple(names))
           for writers, names in by_writers.items()]
    worker = tuple(sorted(topics.WRITERS[topics.EVENTS]))        # the Faust worker writes the ledger
    public_feed = tuple(sorted(topics.WRITERS[topics.PUBLIC]))   # appeals.public is written in transactions
    out += [
        Grant(users(), ("Read", "Describe"), "topic", tuple(topics.WRITERS), why="every tyndau topic"),
        Grant(users(), ("Read",), "group", (app_id,), prefixed=True, why="its consumer groups"),
        Grant(worker, ("Create", "Read", "Write", "Describe"), "topic", (f"{app_id}-",), prefixed=True,
              why="Faust's own topics: its tables' changelogs and its leader topic"),
        Grant(tuple(sorted(set(worker) | set(public_feed))), ("Write", "Describe"), "transactional-id", (f"{app_id}-",),
              prefixed=True, why="the ledger's and the public feed's transactional producers, one per partition"),
        Grant(tuple(sorted(set(topics.WRITERS[topics.KEYS]) - set(worker))), ("Write", "Describe"), "transactional-id",
              (f"{app_id}-erase-",), prefixed=True,
              why="erasures: each one's tombstones and access records in one transaction"),
    ]
    return out


def _names(grant: Grant) -> str:
    listed = ", ".join(f"`{name}`" for name in grant.names)
    return f"{RESOURCES[grant.resource]} starting with {listed}" if grant.prefixed else f"{RESOURCES[grant.resource]} {listed}"


def document(app_id: str = "tyndau") -> str:
    """deploy/kafka/acls.md, for the default app id (a deployment with another TYNDAU_APP_ID uses its own)."""
    every = grants(app_id)
    lines = [
        "# Kafka users and their rights",
        "",
        "<!-- Written by `python -m streams.kafka.acls > deploy/kafka/acls.md` from `WRITERS` in",
        "     `streams/topics.py`; tests/streams/kafka/test_acls.py checks that it matches. Do not edit. -->",
        "",
        "A secured cluster runs `authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer`",
        "with `allow.everyone.if.no.acl.found=false`: whatever is not granted below is refused. Each service",
        "authenticates as its own user (SCRAM-SHA-512: `TYNDAU_KAFKA_SECURITY_PROTOCOL=SASL_SSL`,",
        "`TYNDAU_KAFKA_USERNAME`, `TYNDAU_KAFKA_PASSWORD`). The cluster's operator, a super user, creates the",
        "topics (`tyndau topics`) and sets these ACLs; no tyndau user is a super user.",
        "",
        f"Names starting with `{app_id}` are for `TYNDAU_APP_ID={app_id}`; another app id replaces it.",
        "",
        "## Who writes each topic",
        "",
        "| Topic | Writers |",
        "|---|---|",
    ]
    lines += [f"| `{topic}` | {', '.join(f'`{user}`' for user in writers)} |" for topic, writers in topics.WRITERS.items()]
    lines += ["", "Any other user's write is refused (`TOPIC_AUTHORIZATION_FAILED`).", "", "## Rights by user", ""]
    for user in users():
        lines += [f"### `{user}`", ""]
        lines += [f"- {', '.join(g.operations)}: {_names(g)}" + (f" ({g.why})" if g.why else "") for g in every if user in g.users]
        lines.append("")
    lines += [
        "## Setting them",
        "",
        "As the operator, with Kafka's own `kafka-acls.sh` (`org.apache.kafka.tools.AclCommand`);",
        "`operator.properties` holds the operator's `security.protocol`, `sasl.mechanism` and `sasl.jaas.config`:",
        "",
        "```sh",
    ]
    lines += [f'kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --command-config operator.properties {" ".join(g.arguments())}'
              for g in every]
    lines += ["```", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    print(document(), end="")
