"""An appeal's history for auditors, read from the ledger and its chain checked.

    GET  /v1/appeals/{id}/history?as_of=TIME&personal=true&purpose=TEXT
    GET  /v1/appeals/{id}/proof      its events' inclusion proofs against the partition's latest signed checkpoint

With personal=true (auditors only) the reader states a purpose, and the read is recorded on
appeals.access before anything is read.
"""

from __future__ import annotations

from faust.web import Request, Response

from ..app import app
from ..auth.checkpoint_keys import CheckpointKeyError, checkpoint_verifiers
from ..auth.master_key import master_key
from ..avro.jsonable import jsonable
from ..domain.checkpoint import NoteError, open_note, parse_checkpoint
from ..kafka import checkpoints
from ..audit.history import appeal_history
from ..domain import bounds
from ..kafka.log_reader import LogReader
from .access import record_access, require, stated_purpose
from ..domain.sealing import KeyUnavailable
from .base import ClientError, JsonView, identifier
from .checkpoints import latest as latest_checkpoints

log_reader = LogReader()


@app.page("/v1/appeals/{appeal_id}/history")
class History(JsonView):
    async def get(self, request: Request, appeal_id: str) -> Response:
        from projections.clickhouse import in_db_thread, run_query

        identifier(appeal_id, "the appeal id")
        raw = request.query.get("as_of")
        as_of = bounds.parse_time(raw) if raw else None
        if raw and (as_of is None or bounds.time_problem(as_of)):
            raise ClientError(400, "as_of must be an ISO 8601 time with a UTC offset between "
                                   f"{bounds.EARLIEST_DAY} and {bounds.LATEST_DAY}, e.g. 2021-03-10T12:00:00+06:00")
        personal = request.query.get("personal") == "true"
        if personal:
            require(request, "personal")
            await record_access(request, "read_personal_history", "appeal", appeal_id, stated_purpose(request))
        lineage = await in_db_thread(run_query, "history", {"appeal_id": appeal_id})
        try:
            document = await appeal_history(appeal_id, lineage, log_reader, as_of=as_of, personal=personal,
                                            master=master_key())
        except KeyUnavailable as error:
            raise ClientError(503, f"the appeal's personal data cannot be opened here: {error}") from None
        if document is None:
            return self.json({"error": f"no appeal {appeal_id} in the projection (not filed, or not yet projected)"}, status=404)
        return self.json(document)


@app.page("/v1/appeals/{appeal_id}/proof")
class Proof(JsonView):
    """Each event's RFC 9162 inclusion proof against its partition's latest signed checkpoint (streams/audit/proofs.py)."""

    async def get(self, request: Request, appeal_id: str) -> Response:
        from projections.clickhouse import in_db_thread, run_query
        from projections.proofs import inclusion_proofs, leaf_indexes

        identifier(appeal_id, "the appeal id")
        lineage = await in_db_thread(run_query, "history", {"appeal_id": appeal_id})
        if not lineage:
            return self.json({"error": f"no appeal {appeal_id} in the projection (not filed, or not yet projected)"}, status=404)
        partitions = {int(e["partition"]) for e in lineage}
        if len(partitions) != 1:   # an appeal's records share its key's partition: others are no ledger's writing
            raise ClientError(409, f"the appeal's events lie on partitions {sorted(partitions)}: run tyndau verify")
        [partition] = partitions
        try:
            found = (await latest_checkpoints()).get(partition)
        except checkpoints.CheckpointsUnreadable as error:
            raise ClientError(503, str(error)) from None
        if found is None:
            raise ClientError(409, f"partition {partition} has no signed checkpoint yet: sign one (tyndau checkpoint)")
        try:
            head = parse_checkpoint(open_note(found["note"], list(checkpoint_verifiers()))[0])
        except (NoteError, CheckpointKeyError) as error:
            raise ClientError(409, f"the latest checkpoint of partition {partition} does not verify: {error}") from None
        if head.origin != checkpoints.origin(partition):
            raise ClientError(409, f"the latest checkpoint of partition {partition} is of another log ({head.origin})")
        indexes = await in_db_thread(leaf_indexes, None, partition, [int(e["offset"]) for e in lineage])
        try:
            root, paths = await in_db_thread(inclusion_proofs, None, partition, indexes.values(), head.size)
        except LookupError as error:
            raise ClientError(409, str(error)) from None
        if root != head.root:
            raise ClientError(409, f"the tree of partition {partition} in ClickHouse is not the one its checkpoint signed "
                                   "(rebuild the projections, then verify the log against the witnesses)")
        events, pending = [], []
        for e in lineage:
            index = indexes.get(int(e["offset"]))
            if index is None or index >= head.size:
                pending.append(int(e["sequence"]))
                continue
            events.append({"sequence": int(e["sequence"]), "event_type": e["event_type"], "partition": partition,
                           "offset": int(e["offset"]), "leaf_index": index, "tree_size": head.size, "leaf": e["hash"],
                           "audit_path": [h.hex() for h in paths[index]], "root": head.root.hex()})
        return self.json({"appeal_id": appeal_id, "checkpoint": {**jsonable({k: found[k] for k in ("origin", "written_at", "key_id", "note")}),
                                                                 "tree_size": head.size, "root": head.root.hex()},
                          "keys": [str(v) for v in checkpoint_verifiers()], "events": events,
                          "pending": pending})   # sequences after the checkpoint: proven by the next one
