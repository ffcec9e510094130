"""Erasing a citizen's personal data (streams/audit/erasure.py), for an admin or an auditor.

    POST /v1/admin/erase   {"citizen": "<IIN or BIN>", "reason": "<why, recorded>"}

The citizen's appeals are found through their pseudonym (citizen_ref) in the projection; the answer lists
what was erased, what already was, and what was refused (nothing is erased when anything is refused: 409).
The IIN is used only to compute the pseudonym: it is neither logged nor kept.
"""

from __future__ import annotations

from faust.web import Request, Response

from .. import settings
from ..app import app
from ..audit.erasure import erase_appeals
from ..domain.iin import bin_problem, iin_problem
from ..domain.privacy import pseudonym
from ..kafka.access import purpose_problem
from ..domain.sealing import KeyUnavailable
from .access import principal_of, record_access
from .base import ClientError, JsonView, parse_json, read_body


@app.page("/v1/admin/erase")
class Erase(JsonView):
    async def post(self, request: Request) -> Response:
        from projections.clickhouse import in_db_thread, run_query

        body = parse_json(await read_body(request, limit=4096))
        if not isinstance(body, dict) or set(body) - {"citizen", "reason"}:
            raise ClientError(400, 'send {"citizen": "<12-digit IIN or BIN>", "reason": "<why>"}')
        number, reason = body.get("citizen"), body.get("reason")
        if iin_problem(number) is not None and bin_problem(number) is not None:
            raise ClientError(400, "citizen must be a valid 12-digit IIN or BIN (its control digit checked)")
        if (problem := purpose_problem(reason)) is not None:
            raise ClientError(400, f"reason must be {problem}")
        # Every request is recorded, found or not, before anything is looked up (by the pseudonym, never the IIN).
        await record_access(request, "erase_request", "citizen", pseudonym(number, settings.PSEUDONYM_KEY), reason)
        appeal_ids: list[str] = []
        for key in (settings.PSEUDONYM_KEY, *settings.PSEUDONYM_KEYS_PREVIOUS):   # refs written before a rotation too
            rows = await in_db_thread(run_query, "appeals_of_citizen", {"citizen_ref": pseudonym(number, key)})
            appeal_ids += [row["appeal_id"] for row in rows if row["appeal_id"] not in appeal_ids]

        try:
            outcome = await erase_appeals(appeal_ids, principal_of(request), reason, request_id=request.get("request_id"))
        except KeyUnavailable as error:
            raise ClientError(503, str(error)) from None
        outcome["appeals"] = len(appeal_ids)
        if outcome["refused"]:
            outcome["error"] = (f"nothing was erased: {len(outcome['refused'])} of the citizen's {len(appeal_ids)} appeals "
                                "cannot be: " + "; ".join(f"{r['appeal_id']}: {r['why']}" for r in outcome["refused"]))
            return self.json(outcome, status=409)
        return self.json(outcome)
