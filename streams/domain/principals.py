"""Principals and their rights: which role may send which command, on which appeals, and who the event names.

One table (COMMANDS_OF) decides what a role may send; `authorize` adds what the appeal's state
decides (a body acts only on appeals assigned to one of its bodies and not escalated, the centre
only on appeals escalated to it, an importer only on the appeals it moved in). Both are pure: the ledger calls them with the principal its assertion names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .appeal import CENTRE, ESCALATED, AppealState
from .bounds import shown
from .commands import COMMAND_FIELDS, Command, CommandError

ROLES = ("gateway", "body", "centre", "importer", "monitor", "auditor", "operator", "admin", "system")

# Role -> the commands it may send. Roles that only read (monitor, auditor, operator) or administer
# (admin) send none.
COMMANDS_OF: dict[str, tuple[str, ...]] = {
    "gateway": ("file", "withdraw", "rate", "escalate"),   # an intake channel, on behalf of citizens
    "body": ("route", "extend", "answer", "reopen", "notify"),   # staff of the bodies its credential names
    "centre": ("route", "answer", "extend", "notify"),           # appeals escalated to the centre, any region
    "importer": tuple(COMMAND_FIELDS),                     # history moved in from another system
    "system": ("overdue", "escalate"),                     # the deadline watcher
    "monitor": (),
    "auditor": (),
    "operator": (),
    "admin": (),
}

# Read right -> the roles that hold it. The HTTP API names one right per endpoint (streams/http/access.py);
# the role x endpoint matrix of the tests is generated from both tables.
READS: dict[str, tuple[str, ...]] = {
    "figures": ("monitor", "centre", "auditor", "admin"),              # ranking, KPIs, trend, escalations, overdue
    "queries": ("monitor", "centre", "auditor", "operator", "admin"),  # the named queries of projections/queries
    "history": ("auditor", "centre", "admin"),                         # an appeal's history without personal data
    "personal": ("auditor",),                                          # personal data: histories, dossiers, filings
    "commands": tuple(role for role in ROLES if COMMANDS_OF[role]),    # sending commands
    "outcomes": tuple(role for role in ROLES if COMMANDS_OF[role]) + ("auditor",),
    "operations": ("operator", "admin"),                               # progress of rebuilds, health details, metrics
    "erase": ("admin", "auditor"),                                     # erasing a citizen's personal data
    "administer": ("admin",),                                          # rebuilds, credentials, keys
    "identity": ROLES,                                                 # who the caller is
}

# Who an escalation is by, for the roles that may escalate in their own name.
ESCALATION_BY_ROLE = {"gateway": "citizen", "system": "system"}


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: `name` is its credential's subject; `bodies` and `regions` its scope."""
    name: str
    role: str
    bodies: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "role": self.role, "bodies": list(self.bodies), "regions": list(self.regions)}


def may_read(role: str, right: str) -> bool:
    return role in READS.get(right, ())


def regions_in_scope(principal: Principal) -> tuple[str, ...]:
    """The regions whose figures `principal` sees: a monitor's listed regions; () = national."""
    return principal.regions if principal.role == "monitor" else ()


def may_send(role: str, command_type: str) -> bool:
    return command_type in COMMANDS_OF.get(role, ())


def authorize(principal: Principal, command: Command, state: AppealState | None) -> None:
    """None when `principal` may send `command` to the appeal in `state`; CommandError `forbidden` saying why."""
    role = principal.role
    if command.actor is not None and role != "importer":
        raise CommandError("forbidden", "a command names no actor of its own: the actor is the authenticated caller "
                                        "(only an importer carries over the actors of the history it moves)")
    if not may_send(role, command.type):
        allowed = ", ".join(COMMANDS_OF.get(role, ())) or "no commands"
        raise CommandError("forbidden", f"a {shown(role)} principal may send {allowed}, not {command.type}")
    if state is None:
        return   # `unknown_appeal` (or the filing itself) is for the state machine to say
    # The details name nothing of the appeal the principal could not already see: a refused sender
    # learns neither which body holds it nor, beyond what it asked, its state.
    if role == "body" and state.body not in principal.bodies:
        raise CommandError("forbidden", f"appeal {shown(command.appeal_id)} is not assigned to any of {principal.name}'s bodies")
    if role == "body" and state.status == ESCALATED and command.type != "notify":   # the notices it owes it still gives
        raise CommandError("forbidden", f"appeal {shown(command.appeal_id)} is escalated to the centre, which now answers it")
    if role == "centre" and state.status != ESCALATED and not (command.type == "notify" and state.stage == CENTRE):
        raise CommandError("forbidden", f"the centre acts only on appeals escalated to it, and {shown(command.appeal_id)} "
                                        "is not")
    if role == "importer" and state.imported_by != principal.name:
        raise CommandError("forbidden", f"an importer acts only on the appeals it moved in; {shown(command.appeal_id)} "
                                        f"was not moved in by {principal.name}")
    by = ESCALATION_BY_ROLE.get(role)
    if command.type == "escalate" and by is not None and command.data.get("by") != by:
        raise CommandError("forbidden", f"a {role} principal escalates by {by}, not by {shown(command.data.get('by'))}")


def actor_record(principal: Principal, command: Command) -> tuple[dict[str, Any] | None, str | None]:
    """(the actor the event names, the importer that moved it in). The actor is the principal itself,
    with its scope, never what the command says of itself; except for an importer, which carries
    over the actor written in the history it moves (None: the default of the command's type) and
    is named as `imported_by`."""
    if principal.role == "importer":
        if command.actor is None:
            return None, principal.name
        return {"role": command.actor[0], "id": command.actor[1], "bodies": [], "regions": []}, principal.name
    return {"role": principal.role, "id": principal.name, "bodies": list(principal.bodies),
            "regions": list(principal.regions)}, None
