"""The keys a production start needs, checked before the worker connects to anything.

With TYNDAU_ENV=production the worker never makes a key itself (streams/auth/keys.py) and refuses to start
when one is missing, is the development one, or is too short, naming the setting to fix:
- TYNDAU_PSEUDONYM_KEY, the HMAC key of citizen_ref: at least 32 bytes, not the development default (with
  about 10^9 possible IINs, a known key lets anyone reverse every pseudonym);
- TYNDAU_MASTER_KEY, which wraps every appeal's data key: 64 hex digits, not the development one;
- TYNDAU_CHECKPOINT_KEY, which signs the ledger's checkpoints: an Ed25519 signer key (a 32-byte seed), not the
  development one, and TYNDAU_CHECKPOINT_KEYS_PREVIOUS verifier keys that parse;
- the signing keys of tokens and of the API's command assertions, TYNDAU_AUTH_DIR/tokens.json and
  assertions.json: provisioned files that load (`tyndau token init` makes each once, `tyndau token rotate`
  rotates it).
"""

from __future__ import annotations

from .. import settings
from ..domain.checkpoint import parse_signer
from .checkpoint_keys import CheckpointKeyError, checkpoint_verifiers
from .keys import ASSERTIONS_FILE, TOKENS_FILE, KeyFileError, load
from .master_key import MasterKeyError, master_key

MIN_SECRET_BYTES = 32


def production_key_problems() -> list[str]:
    """What stops a production start, one sentence per setting to fix; empty when nothing does."""
    problems: list[str] = []
    pseudonym = settings.PSEUDONYM_KEY.encode("utf-8", "surrogatepass")
    if settings.PSEUDONYM_KEY == settings.DEVELOPMENT_PSEUDONYM_KEY:
        problems.append("TYNDAU_PSEUDONYM_KEY is not set (the development key is public): set a secret of at least "
                        f"{MIN_SECRET_BYTES} bytes")
    elif settings.PSEUDONYM_KEY.startswith("REPLACE") or len(set(settings.PSEUDONYM_KEY.strip())) < 2:
        problems.append("TYNDAU_PSEUDONYM_KEY is a placeholder or blank: set a random secret (openssl rand -hex 32)")
    elif len(pseudonym) < MIN_SECRET_BYTES:
        problems.append(f"TYNDAU_PSEUDONYM_KEY has {len(pseudonym)} bytes: give at least {MIN_SECRET_BYTES}")
    if settings.MASTER_KEY.strip().lower() == settings.DEVELOPMENT_MASTER_KEY:
        problems.append("TYNDAU_MASTER_KEY is not set (the development master key is public): set 64 random hex digits "
                        "(openssl rand -hex 32), kept like the deployment's other secrets")
    else:
        try:
            master_key()
        except MasterKeyError as error:
            problems.append(str(error))
    development = parse_signer(settings.DEVELOPMENT_CHECKPOINT_KEY).verifier.public
    try:
        verifiers = checkpoint_verifiers()
    except CheckpointKeyError as error:
        problems.append(str(error))
    else:
        if verifiers[0].public == development:   # the development seed under any name
            problems.append("TYNDAU_CHECKPOINT_KEY is not set (the development checkpoint key is public): make one with "
                            "`tyndau checkpoint --new-key NAME` and publish its verifier key to the witnesses")
        if any(v.public == development for v in verifiers[1:]):
            problems.append("TYNDAU_CHECKPOINT_KEYS_PREVIOUS lists the development checkpoint key: anyone can sign with "
                            "it; remove it")
    for name, which in ((TOKENS_FILE, "tokens"), (ASSERTIONS_FILE, "assertions")):
        path = settings.AUTH_DIR / name
        if not path.exists():
            problems.append(f"TYNDAU_AUTH_DIR holds no {which} signing key ({path}): provision it "
                            f"(`tyndau token init --which {which}`, once per deployment) or point TYNDAU_AUTH_DIR at it")
            continue
        try:
            load(path, create=False)
        except KeyFileError as error:
            problems.append(f"TYNDAU_AUTH_DIR: {error}")
    return problems


def check_production_keys() -> None:
    """SystemExit naming every setting to fix, when TYNDAU_ENV=production and a key is not fit for it."""
    if settings.ENV != "production":
        return
    problems = production_key_problems()
    if problems:
        raise SystemExit("tyndau: refusing a production start (TYNDAU_ENV=production):\n"
                         + "\n".join(f"- {problem}" for problem in problems))
