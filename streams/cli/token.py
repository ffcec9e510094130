"""`tyndau token issue`: a signed credential for a principal, made locally with the deployment's key."""

from __future__ import annotations

import argparse
import re
import sys
from datetime import datetime, timezone

from .. import settings
from ..auth.keys import load
from ..auth.tokens import AuthError, issue_token
from ..domain.principals import ROLES, Principal

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_TTL_SECONDS = 366 * 86400


def ttl_seconds(text: str) -> int:
    """`30d`, `12h`, `15m`, `3600s` or `3600` as seconds; argparse's error when it is none of them."""
    match = re.fullmatch(r"([0-9]{1,9})([smhd]?)", text.strip())
    seconds = int(match.group(1)) * _UNITS[match.group(2) or "s"] if match else 0
    if not 0 < seconds <= MAX_TTL_SECONDS:
        raise argparse.ArgumentTypeError(f"a lifetime like 30d, 12h, 15m or 3600s, at most 366 days; got {text!r}")
    return seconds


def cmd_token_issue(args: argparse.Namespace) -> int:
    principal = Principal(args.name or args.role, args.role, tuple(args.body), tuple(args.region))
    ring = load(settings.AUTH_DIR / "tokens.json")
    try:
        token, claims = issue_token(ring, principal, args.ttl, datetime.now(timezone.utc))
    except AuthError as error:
        raise SystemExit(f"tyndau token issue: {error.detail}") from None
    expires = datetime.fromtimestamp(claims["exp"], timezone.utc).isoformat().replace("+00:00", "Z")
    scope = "".join(f" body {b}" for b in principal.bodies) + "".join(f" region {r}" for r in principal.regions)
    print(f"{principal.role} {principal.name}{scope}; expires {expires}; jti {claims['jti']} (key {ring.active})",
          file=sys.stderr)
    print(token)   # the last line, for scripts: TYNDAU_TOKEN=$(tyndau token issue … | tail -1)
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    token = sub.add_parser("token", help="issue credentials (signed, expiring JWTs) for principals",
                           description="Credentials for the HTTP API and the CLI (TYNDAU_TOKEN). They are signed with the "
                                       "deployment's key in TYNDAU_AUTH_DIR, which is created there on first use.")
    actions = token.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    issue = actions.add_parser("issue", help="sign a credential and print it as the last line",
                               description="Sign a credential locally (no running worker needed) and print it as the "
                                           "last line of standard output; what it grants goes to standard error.")
    issue.add_argument("--role", required=True, choices=ROLES, help="what the principal may do")
    issue.add_argument("--body", action="append", default=[], metavar="ID", help="a body the principal acts for (repeat)")
    issue.add_argument("--region", action="append", default=[], metavar="CODE",
                       help="a region (KATO code) a monitor reads (repeat; none = national)")
    issue.add_argument("--name", help="the principal's name, the token's sub (default: the role)")
    issue.add_argument("--ttl", type=ttl_seconds, default=30 * 86400, help="lifetime, e.g. 30d, 12h, 15m (default 30d)")
    issue.set_defaults(func=cmd_token_issue)
