"""The Kafka users' rights (streams/kafka/acls.py): derived from WRITERS in streams/topics.py, and written down in deploy/kafka/acls.md."""

from __future__ import annotations

from streams import topics
from streams.kafka import acls
from streams.settings import ROOT


def test_the_document_is_what_the_code_grants():
    """Regenerate with `python -m streams.kafka.acls > deploy/kafka/acls.md`."""
    assert (ROOT / "deploy" / "kafka" / "acls.md").read_text(encoding="utf-8") == acls.document()


def writes(grants: list[acls.Grant]) -> set[tuple[str, str]]:
    """(user, topic) for every tyndau topic a grant lets a user write."""
    return {(user, topic) for grant in grants if grant.resource == "topic" and "Write" in grant.operations
            for user in grant.users for topic in topics.WRITERS
            if (topic.startswith(grant.names) if grant.prefixed else topic in grant.names)}


def test_each_topic_is_written_by_its_writers_and_nobody_else():
    expected = {(user, topic) for topic, writers in topics.WRITERS.items() for user in writers}
    assert writes(acls.grants("tyndau")) == expected
    assert writes(acls.grants("x")) == expected   # a prefixed grant never reaches an appeals.* topic


def covered(grants: list[acls.Grant], user: str, operation: str, resource: str, name: str) -> bool:
    return any(user in g.users and operation in g.operations and g.resource == resource
               and (name.startswith(g.names) if g.prefixed else name in g.names) for g in grants)


def test_every_user_reads_every_topic_in_the_consumer_groups_of_streams_topics():
    grants = acls.grants()
    groups = (topics.LEDGER_GROUP, topics.PROJECTOR_GROUP, topics.PUBLIC_FEED_GROUP)
    for user in acls.users():
        assert all(covered(grants, user, "Read", "topic", topic) for topic in topics.WRITERS)
        assert all(covered(grants, user, "Read", "group", group) for group in groups)


def test_the_public_feed_may_use_its_transactional_id():
    grants = acls.grants()
    assert all(covered(grants, user, "Write", "transactional-id", topics.PUBLIC_FEED_TRANSACTIONAL_ID)
               for user in topics.WRITERS[topics.PUBLIC])


def test_the_users_are_the_writers():
    assert set(acls.users()) == {user for writers in topics.WRITERS.values() for user in writers}


def test_a_grant_becomes_acl_command_arguments():
    grant = acls.Grant(("api", "ledger"), ("Read",), "group", ("tyndau",), prefixed=True)
    assert grant.arguments() == ["--add", "--allow-principal", "User:api", "--allow-principal", "User:ledger",
                                 "--operation", "Read", "--group", "tyndau", "--resource-pattern-type", "prefixed"]
