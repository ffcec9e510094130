"""An appeal's history for auditors, read from the ledger and its chain checked.

    GET  /v1/appeals/{id}/history?as_of=TIME&personal=true&purpose=TEXT

With personal=true (auditors only) the reader states a purpose, and the read is recorded on
appeals.access before anything is read.
"""

from __future__ import annotations

from faust.web import Request, Response

from ..app import app
from ..audit.history import appeal_history
from ..domain import bounds
from ..kafka.log_reader import LogReader
from .access import record_access, require, stated_purpose
from .base import ClientError, JsonView, identifier

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
        document = await appeal_history(appeal_id, lineage, log_reader, as_of=as_of, personal=personal)
        if document is None:
            return self.json({"error": f"no appeal {appeal_id} in the projection (not filed, or not yet projected)"}, status=404)
        return self.json(document)
