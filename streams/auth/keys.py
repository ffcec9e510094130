"""Signing keys, each with a key id (`kid`) so they rotate: Ed25519, kept in a JSON file only the deployment reads.

In development the file is created on first use in TYNDAU_AUTH_DIR (by default TYNDAU_DATA_DIR/auth);
in production it is provisioned like any other secret. Rotating adds a key and makes it the one
that signs; the older keys still verify what they signed until they are removed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .. import settings

log = logging.getLogger(__name__)


class KeyFileError(Exception):
    """A key file that cannot be read: what is wrong with it and where it is. An ordinary exception,
    so a worker that meets one keeps running on the ring it had (RingFile); the CLI prints it."""


@dataclass(frozen=True)
class KeyRing:
    """The keys of one purpose (tokens, or assertions): `active` signs, every key verifies."""
    path: Path
    active: str
    private: dict[str, Ed25519PrivateKey]

    def public(self, kid: str) -> Ed25519PublicKey | None:
        key = self.private.get(kid)
        return key.public_key() if key is not None else None

    def signing_key(self) -> tuple[str, Ed25519PrivateKey]:
        return self.active, self.private[self.active]


def _pem(key: Ed25519PrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _write(path: Path, active: str, keys: dict[str, Ed25519PrivateKey], replace: bool = True) -> None:
    """Write the ring whole (a temporary file renamed over it, so no reader sees half a file); with
    replace=False only if no file is there yet, so two processes creating it at once agree on one."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)   # mode 0600: the deployment only
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump({"active": active, "keys": {kid: _pem(key) for kid, key in keys.items()}}, out, indent=1)
            out.flush()
            os.fsync(out.fileno())
        if replace:
            os.replace(temporary, path)
        else:
            try:
                os.link(temporary, path)   # fails if another process made the file first: theirs stands
            except FileExistsError:
                pass
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def new_kid() -> str:
    return secrets.token_hex(8)


def load(path: Path, create: bool = True) -> KeyRing:
    """The key ring in `path`; with `create`, a new one with one key when the file does not exist (never with
    TYNDAU_ENV=production: production keys are provisioned, `tyndau token init`)."""
    create = create and settings.ENV != "production"
    if not path.exists():
        if not create:
            how = ("make it once with `tyndau token init`" if settings.ENV == "production"
                   else "start a worker once (it creates one) or provision it")
            raise KeyFileError(f"no key file at {path}; {how}")
        kid = new_kid()
        _write(path, kid, {kid: Ed25519PrivateKey.generate()}, replace=False)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        keys = {str(kid): serialization.load_pem_private_key(pem.encode(), password=None)
                for kid, pem in document["keys"].items()}
        active = str(document["active"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise KeyFileError(f"the key file {path} cannot be read ({type(error).__name__}); restore it from the "
                           "deployment's secrets") from None
    if active not in keys or not all(isinstance(k, Ed25519PrivateKey) for k in keys.values()):
        raise KeyFileError(f"the key file {path} names an active key it does not hold, or holds a key that is not Ed25519")
    return KeyRing(path, active, keys)


def create(path: Path) -> KeyRing:
    """A new key ring with one key at `path`; KeyFileError if a file is there already (rotate it instead)."""
    exists = KeyFileError(f"{path} exists already; rotate its key (tyndau token rotate) instead of making another")
    if path.exists():
        raise exists
    kid = new_kid()
    _write(path, kid, {kid: Ed25519PrivateKey.generate()}, replace=False)
    ring = load(path, create=False)
    if ring.active != kid:   # another process made it between the check and the write
        raise exists
    return ring


def rotate(path: Path) -> KeyRing:
    """Add a key and make it the one that signs; the older keys keep verifying."""
    ring = load(path)
    kid = new_kid()
    _write(path, kid, {**ring.private, kid: Ed25519PrivateKey.generate()})
    return load(path, create=False)


def retire(path: Path, kid: str) -> KeyRing:
    """Remove a key that no longer signs (a compromised or old one): what it signed stops verifying."""
    ring = load(path, create=False)
    if kid not in ring.private:
        raise KeyFileError(f"{path} holds no key {kid!r}; it holds {', '.join(sorted(ring.private))}")
    if kid == ring.active:
        raise KeyFileError(f"key {kid} is the one that signs; rotate first (tyndau token rotate), then retire it")
    _write(path, ring.active, {k: v for k, v in ring.private.items() if k != kid})
    return load(path, create=False)


TOKENS_FILE = "tokens.json"          # signs the bearer tokens the API verifies
ASSERTIONS_FILE = "assertions.json"  # signs the tyndau-auth assertions the ledger verifies


class RingFile:
    """A key ring kept in step with its file: reloaded when the file changes (a rotation by an admin),
    looked at no more than once a second. A file that cannot be read is logged and the ring read
    before is kept; only a process that never read one fails (KeyFileError)."""

    def __init__(self, path: Path, create: bool = True):
        self.path, self.create = path, create
        self._ring: KeyRing | None = None
        self._stamp: tuple[int, int] | None = None
        self._checked = 0.0

    def current(self) -> KeyRing:
        now = time.monotonic()
        if self._ring is not None and now - self._checked < 1.0:
            return self._ring
        self._checked = now
        try:
            stat = self.path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size)
        except FileNotFoundError:
            stamp = None
        if self._ring is None or stamp != self._stamp:
            try:
                ring = load(self.path, create=self.create and stamp is None)
            except KeyFileError as error:
                if self._ring is None:
                    raise
                log.error("keeping the key ring read before: %s", error)
                return self._ring
            # The stamp taken before reading: a file replaced while it was read is read again next time.
            self._ring, self._stamp = ring, stamp
        return self._ring


def ring_file(name: str, directory: Path | None = None, create: bool = True) -> RingFile:
    """The ring of `name` (TOKENS_FILE or ASSERTIONS_FILE) in TYNDAU_AUTH_DIR, one object per file and process."""
    path = (directory or settings.AUTH_DIR) / name
    key = (str(path), create)
    if key not in _RINGS:
        _RINGS[key] = RingFile(path, create)
    return _RINGS[key]


_RINGS: dict[tuple[str, bool], RingFile] = {}
