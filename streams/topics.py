"""The topic contract: every topic's name, partitions and configuration, the header names and the
consumer groups. Defined here once; the worker, the tools and the AsyncAPI document import it."""

from __future__ import annotations

from dataclasses import dataclass

from . import settings

# --- topics ----------------------------------------------------------------------------------
COMMANDS = "appeals.commands"
EVENTS = "appeals.events"
REJECTED = "appeals.rejected"
PUBLIC = "appeals.public"
SCHEMAS = "appeals.schemas"
ACCESS = "appeals.access"             # who read personal data, and every admin act (Avro AccessRecorded)
REVOCATIONS = "appeals.revocations"   # revoked credentials, keyed by their jti (compacted)
KEYS = "appeals.keys"                 # each appeal's data key, wrapped (Avro AppealDataKey); a tombstone erases (compacted)
CHECKPOINTS = "appeals.checkpoints"   # signed checkpoints of each partition's Merkle tree (Avro LedgerCheckpoint), public
# Written at the partition of the command they answer, so they have as many partitions as it.
CO_PARTITIONED = (EVENTS, REJECTED, PUBLIC, KEYS)

# --- headers (values UTF-8) -------------------------------------------------------------------
AUTH_HEADER = "tyndau-auth"                # on a command: the API's signed assertion of who sent these bytes
REQUEST_ID_HEADER = "tyndau-request-id"    # on a command: the sender's request id, copied to its rejection
ERASED_HEADER = "tyndau-erased"            # on a tombstone of appeals.keys: the erasure's access id
SOURCE_HEADER = "tyndau-command"           # on an event: "<partition>:<offset>" of its command in appeals.commands
COMMAND_ID_HEADER = "tyndau-command-id"    # on an event: its command id, so followers need not decode it

# --- consumer groups and transactional ids ----------------------------------------------------
LEDGER_GROUP = settings.APP_ID                        # Faust's group: the ledger agent reads appeals.commands
PROJECTOR_GROUP = f"{settings.APP_ID}-projector"      # appeals.events → ClickHouse
PUBLIC_FEED_GROUP = f"{settings.APP_ID}-public-feed"  # appeals.events → appeals.public
PUBLIC_FEED_TRANSACTIONAL_ID = f"{PUBLIC_FEED_GROUP}-producer"   # + "-<partition>": one per partition of appeals.events
LEDGER_CLIENT_ID = f"{settings.APP_ID}-ledger"        # the ledger's own producers of outcomes
LEDGER_TRANSACTIONAL_ID = f"{settings.APP_ID}-ledger"  # + "-<partition>": one per command partition (fencing)

# --- Kafka users and what they may write (the ACLs of deploy/kafka/acls.md) -------------------
# The API writes commands and access records; only the ledger writes outcomes and data keys; an
# admin's tools write revocations and the access records of their acts; erasures (tombstones on
# appeals.keys with their access records) come from the API and from the ledger's retention job.
WRITERS: dict[str, tuple[str, ...]] = {
    COMMANDS: ("api",),
    EVENTS: ("ledger",),
    REJECTED: ("ledger",),
    PUBLIC: ("ledger",),
    SCHEMAS: ("ledger", "api", "admin"),
    ACCESS: ("api", "admin", "ledger"),
    REVOCATIONS: ("admin",),
    KEYS: ("ledger", "api"),   # the ledger mints keys and erases when a term ends; the API erases on request
    CHECKPOINTS: ("api",),     # the projector signs them (it runs as the api user), and the API on demand
}

UNLIMITED = "-1"
# The largest record batch each topic accepts, set explicitly (not left to the broker's default):
# a command is at most 64 KB (README), a rejection keeps at most that much of it, and the ledger
# writes record batches of at most 128 KB plus one record.
MAX_MESSAGE_BYTES = str(1024 * 1024)
COMMANDS_RETENTION_MS = str(settings.COMMANDS_RETENTION_HOURS * 3600 * 1000)
FOREVER_MS = str(2**63 - 1)
# appeals.keys: a superseded key record (one a tombstone replaced) is compacted away within a day of the
# tombstone (max.compaction.lag.ms, on segments rolled hourly); tombstones stay, so the erasure's date does,
# stamped by the broker (LogAppendTime), not by whoever wrote it.
KEYS_COMPACTION_LAG_MS = str(24 * 3600 * 1000)


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    config: dict[str, str]
    doc: str


def topic_specs(partitions: int | None = None) -> list[TopicSpec]:
    n = partitions or settings.PARTITIONS
    forever = {"cleanup.policy": "delete", "retention.ms": UNLIMITED, "retention.bytes": UNLIMITED}
    specs = [
        # The broker's append time, not the sender's: the ledger judges an assertion's validity at it.
        TopicSpec(COMMANDS, n, {"cleanup.policy": "delete", "retention.ms": COMMANDS_RETENTION_MS,
                                "message.timestamp.type": "LogAppendTime"},
                  "Requests to change appeals (JSON), keyed by appeal id, with the API's tyndau-auth assertion."),
        TopicSpec(EVENTS, n, dict(forever),
                  "The ledger: Avro AppealEvent, keyed by appeal id, kept forever. Co-partitioned with appeals.commands."),
        TopicSpec(REJECTED, n, dict(forever),
                  "Avro CommandRejected: every command the ledger refused, with the reason."),
        TopicSpec(PUBLIC, n, dict(forever),
                  "Avro PublicAppealEvent: the ledger without personal data, for the open-data portal and other agencies."),
        TopicSpec(SCHEMAS, 1, {"cleanup.policy": "compact", "retention.ms": UNLIMITED},
                  "Every writer schema ever used, keyed by its CRC-64-AVRO fingerprint (16 hex digits); value: the schema JSON."),
        TopicSpec(ACCESS, 1, dict(forever),
                  "Avro AccessRecorded: every read of personal data and every admin act, so auditors are audited too."),
        TopicSpec(REVOCATIONS, 1, {"cleanup.policy": "compact", "retention.ms": UNLIMITED},
                  "Revoked credentials: key the token's jti, value JSON {jti, revoked_at, by}; workers refuse them."),
        TopicSpec(KEYS, n, {"cleanup.policy": "compact", "retention.ms": UNLIMITED, "delete.retention.ms": FOREVER_MS,
                            "max.compaction.lag.ms": KEYS_COMPACTION_LAG_MS, "segment.ms": str(3600 * 1000),
                            "min.cleanable.dirty.ratio": "0.01", "message.timestamp.type": "LogAppendTime"},
                  "Avro AppealDataKey: each appeal's data key wrapped by the master key, keyed by appeal id; a "
                  "tombstone (header tyndau-erased) destroys it, erasing the appeal's sealed personal fields."),
        TopicSpec(CHECKPOINTS, 1, dict(forever),
                  "Avro LedgerCheckpoint: a signed checkpoint (C2SP tlog-checkpoint) of one partition's Merkle tree of "
                  "appeals.events, keyed by the partition number; kept forever, public: no personal data."),
    ]
    for spec in specs:
        spec.config.update(durability())
    return specs


def durability(replication: int | None = None) -> dict[str, str]:
    """What every topic sets so that an acknowledged record survives a broker's loss: a write with
    acks=all needs two in-sync replicas where there are two, and an out-of-sync replica never
    becomes leader (it would drop acknowledged records)."""
    factor = replication or settings.REPLICATION
    return {"max.message.bytes": MAX_MESSAGE_BYTES, "min.insync.replicas": str(min(2, factor)),
            "unclean.leader.election.enable": "false"}
