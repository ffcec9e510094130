"""`tyndau token issue | revoke | rotate`: credentials of principals, made locally with the deployment's keys.

Whoever can read the key files is the deployment's administrator; each act is recorded on
appeals.access as an act of `cli:<operating-system user>` in the role admin.
"""

from __future__ import annotations

import argparse
import os
import pwd
import re
import sys
from datetime import datetime, timezone

from .. import settings
from ..auth.keys import ASSERTIONS_FILE, TOKENS_FILE, create, load, retire, rotate
from ..auth.tokens import AuthError, issue_token
from ..domain.principals import ROLES, Principal
from ..domain.regions import REGIONS

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_TTL_SECONDS = 366 * 86400


def ttl_seconds(text: str) -> int:
    """`30d`, `12h`, `15m`, `3600s` or `3600` as seconds; argparse's error when it is none of them."""
    match = re.fullmatch(r"([0-9]{1,9})([smhd]?)", text.strip())
    seconds = int(match.group(1)) * _UNITS[match.group(2) or "s"] if match else 0
    if not 0 < seconds <= MAX_TTL_SECONDS:
        raise argparse.ArgumentTypeError(f"a lifetime like 30d, 12h, 15m or 3600s, at most 366 days; got {text!r}")
    return seconds


def administrator() -> Principal:
    """Who runs this command: the operating-system account (by its uid, not $USER, which anyone sets),
    acting as admin with the deployment's keys."""
    try:
        user = pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        user = f"uid-{os.getuid()}"
    return Principal(f"cli:{user}"[:128], "admin")


def _record(what: str, object_type: str, obj: str, purpose: str | None = None) -> None:
    from ..kafka.access import AccessNotRecorded, access_record, record_now

    try:
        record_now(access_record(administrator(), what, object_type, obj, purpose=purpose, via="cli"))
    except AccessNotRecorded as error:
        raise SystemExit(f"tyndau token: {error}; is Kafka running (`tyndau up`) and TYNDAU_KAFKA set?") from None


def _scope_problem(role: str, bodies: list[str], regions: list[str]) -> str | None:
    unknown = [code for code in regions if code not in REGIONS]
    if unknown:
        return f"--region takes first-level KATO codes ({', '.join(sorted(REGIONS))}); got {', '.join(unknown)}"
    if role == "body" and not bodies:
        return "a body credential names the bodies it acts for: give --body ID (repeat for several)"
    if bodies and role != "body":
        return f"--body is for --role body; a {role} credential acts for no body"
    if regions and role != "monitor":
        return f"--region is for --role monitor; a {role} credential is not scoped to regions"
    return None


def cmd_token_issue(args: argparse.Namespace) -> int:
    problem = _scope_problem(args.role, args.body, args.region)
    if problem:
        raise SystemExit(f"tyndau token issue: {problem}")
    principal = Principal(args.name or args.role, args.role, tuple(args.body), tuple(args.region))
    ring = load(settings.AUTH_DIR / TOKENS_FILE)   # made on first use in development only (keys.load)
    try:
        token, claims = issue_token(ring, principal, args.ttl, datetime.now(timezone.utc))
    except AuthError as error:
        raise SystemExit(f"tyndau token issue: {error.detail}") from None
    # Recorded before the token is shown: a credential nobody can account for is never handed out.
    _record("issue_token", "token", claims["jti"], purpose=f"{principal.role} {principal.name}")
    expires = datetime.fromtimestamp(claims["exp"], timezone.utc).isoformat().replace("+00:00", "Z")
    scope = "".join(f" body {b}" for b in principal.bodies) + "".join(f" region {r}" for r in principal.regions)
    print(f"{principal.role} {principal.name}{scope}; expires {expires}; jti {claims['jti']} (key {ring.active})",
          file=sys.stderr)
    print(token)   # the last line, for scripts: TYNDAU_TOKEN=$(tyndau token issue … | tail -1)
    return 0


def cmd_token_revoke(args: argparse.Namespace) -> int:
    import asyncio

    from ..kafka.revocations import jti_problem, revoke

    problem = jti_problem(args.jti)
    if problem:
        raise SystemExit(f"tyndau token revoke: {problem}")
    load(settings.AUTH_DIR / TOKENS_FILE, create=False)   # only the holder of the deployment's keys revokes
    _record("revoke_token", "token", args.jti, purpose=args.reason)   # recorded first: no act goes unrecorded
    asyncio.run(revoke(args.jti, administrator().name))
    print(f"revoked {args.jti}; every worker refuses it within seconds", file=sys.stderr)
    return 0


def cmd_token_init(args: argparse.Namespace) -> int:
    name = TOKENS_FILE if args.which == "tokens" else ASSERTIONS_FILE
    ring = create(settings.AUTH_DIR / name)
    print(f"{ring.path}: made, with key {ring.active}. Keep it with the deployment's secrets; every worker and the "
          "API read it from TYNDAU_AUTH_DIR.", file=sys.stderr)
    return 0


def cmd_token_rotate(args: argparse.Namespace) -> int:
    name = TOKENS_FILE if args.which == "tokens" else ASSERTIONS_FILE
    load(settings.AUTH_DIR / name, create=False)
    _record("rotate_keys", "keys", name)   # recorded first: no act goes unrecorded
    ring = rotate(settings.AUTH_DIR / name)
    print(f"{name}: key {ring.active} now signs; the {len(ring.private) - 1} older key(s) still verify. Workers "
          "pick the change up within a second.", file=sys.stderr)
    return 0


def cmd_token_retire(args: argparse.Namespace) -> int:
    name = TOKENS_FILE if args.which == "tokens" else ASSERTIONS_FILE
    load(settings.AUTH_DIR / name, create=False)
    _record("retire_key", "keys", f"{name}:{args.kid}")
    ring = retire(settings.AUTH_DIR / name, args.kid)
    print(f"{name}: key {args.kid} removed; what it signed no longer verifies ({len(ring.private)} key(s) left)",
          file=sys.stderr)
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    token = sub.add_parser("token", help="issue, revoke and rotate credentials (signed, expiring JWTs) of principals",
                           description="Credentials for the HTTP API and the CLI (TYNDAU_TOKEN). They are signed with the "
                                       "deployment's key in TYNDAU_AUTH_DIR, which is created there on first use. Every "
                                       "issue, revocation and rotation is recorded on appeals.access.")
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
    revoke = actions.add_parser("revoke", help="revoke a credential by its jti (workers refuse it within seconds)",
                                description="Append the credential's jti to appeals.revocations, which every worker "
                                            "follows. The jti is printed by `tyndau token issue`.")
    revoke.add_argument("jti", metavar="JTI", help="the token's id (its jti claim)")
    revoke.add_argument("--reason", help="why it is revoked (recorded on appeals.access)")
    revoke.set_defaults(func=cmd_token_revoke)
    init_keys = actions.add_parser("init", help="make a signing key file once, for a production deployment",
                                   description="Make TYNDAU_AUTH_DIR/tokens.json or assertions.json with one new key. "
                                               "In development a worker makes them on first use; with "
                                               "TYNDAU_ENV=production nothing does, and a worker without them "
                                               "refuses to start. Refuses if the file exists.")
    init_keys.add_argument("--which", choices=["tokens", "assertions"], default="tokens")
    init_keys.set_defaults(func=cmd_token_init)
    rotate_keys = actions.add_parser("rotate", help="add a signing key and make it the one that signs",
                                     description="Rotate the key of credentials (tokens) or of command assertions. "
                                                 "Older keys keep verifying what they signed.")
    rotate_keys.add_argument("--which", choices=["tokens", "assertions"], default="tokens")
    rotate_keys.set_defaults(func=cmd_token_rotate)
    retire_key = actions.add_parser("retire", help="remove a key that no longer signs (what it signed stops verifying)",
                                    description="Remove an old or compromised key from a key ring after a rotation; "
                                                "every credential or assertion it signed is refused from then on.")
    retire_key.add_argument("kid", metavar="KID", help="the key's id (`kid`, see tyndau token issue's output)")
    retire_key.add_argument("--which", choices=["tokens", "assertions"], default="tokens")
    retire_key.set_defaults(func=cmd_token_retire)
