"""Credentials for tests: tokens and command signers made with a worker's own keys (its TYNDAU_AUTH_DIR),
as `tyndau token issue` would make them, so no test needs a manual step."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from streams.auth.keys import ASSERTIONS_FILE, TOKENS_FILE, load
from streams.auth.tokens import issue_token
from streams.clients.signing import Signer
from streams.domain.principals import Principal

# The role a test acts in by default, by what it calls.
READER = "auditor"      # figures, named queries, histories (personal ones too)
SENDER = "importer"     # any command, with the actors the workload names
ADMIN = "admin"


def principal(role: str, name: str | None = None, bodies: tuple[str, ...] = (), regions: tuple[str, ...] = ()) -> Principal:
    return Principal(name or f"test-{role}", role, tuple(bodies), tuple(regions))


def token(auth_dir: Path, role: str, name: str | None = None, bodies: tuple[str, ...] = (),
          regions: tuple[str, ...] = (), ttl: int = 6 * 3600) -> str:
    """A bearer token signed with the keys in `auth_dir` (created there when missing)."""
    ring = load(Path(auth_dir) / TOKENS_FILE)
    issued, _ = issue_token(ring, principal(role, name, bodies, regions), ttl, datetime.now(timezone.utc))
    return issued


def signer(auth_dir: Path, role: str = SENDER, name: str | None = None, bodies: tuple[str, ...] = ()) -> Signer:
    """What `tyndau publish` signs commands with, for a principal of `role`."""
    return Signer(load(Path(auth_dir) / ASSERTIONS_FILE), principal(role, name, bodies))
