"""Signed checkpoints of a Merkle tree as C2SP signed notes (c2sp.org/signed-note, c2sp.org/tlog-checkpoint), so
that existing transparency-log tooling (Go's golang.org/x/mod/sumdb/note, witnesses) reads and checks them.

A checkpoint's text is three lines: the log's origin, the tree size in decimal, the root hash in standard
base64; a note is the text, an empty line, and one line per signature: "— NAME BASE64(KEY_ID ‖ SIGNATURE)".
Keys are Ed25519; a key's id is the first 4 bytes of SHA-256(NAME ‖ 0x0A ‖ 0x01 ‖ PUBLIC_KEY), and a verifier
key is written NAME+HEX(KEY_ID)+BASE64(0x01 ‖ PUBLIC_KEY), a signer key PRIVATE+KEY+NAME+HEX(KEY_ID)+BASE64(0x01 ‖
SEED). Every input here comes from outside (a witness's file, a proof someone sends): it is checked, and a
NoteError says what is wrong.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ALG_ED25519 = 1
SIGNATURE_PREFIX = "\u2014 "   # an em dash and a space
NAME_RE = re.compile(r"[^\s+\x00-\x1f\x7f]+")
MAX_NOTE = 1_000_000
MAX_SIGNATURES = 100


class NoteError(ValueError):
    """A note, a checkpoint or a key that is malformed, or whose signature does not verify."""


def _b64(text: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise NoteError(f"{what} is not standard base64") from None
    if base64.b64encode(raw).decode() != text:
        raise NoteError(f"{what} is not canonical base64")
    return raw


def key_id(name: str, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([ALG_ED25519]) + public).digest()[:4]


def _name(name: str) -> str:
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        raise NoteError("a key name is one or more characters, none of them a space, a plus sign or a control")
    return name


@dataclass(frozen=True)
class Verifier:
    name: str
    public: bytes

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.public)

    def __str__(self) -> str:
        return f"{self.name}+{self.key_id.hex()}+{base64.b64encode(bytes([ALG_ED25519]) + self.public).decode()}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public).verify(signature, message)
            return True
        except (InvalidSignature, ValueError):
            return False


@dataclass(frozen=True)
class Signer:
    name: str
    seed: bytes

    @property
    def verifier(self) -> Verifier:
        public = Ed25519PrivateKey.from_private_bytes(self.seed).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return Verifier(self.name, public)

    def __str__(self) -> str:
        return (f"PRIVATE+KEY+{self.name}+{self.verifier.key_id.hex()}+"
                f"{base64.b64encode(bytes([ALG_ED25519]) + self.seed).decode()}")

    def sign(self, message: bytes) -> bytes:
        return Ed25519PrivateKey.from_private_bytes(self.seed).sign(message)


def parse_verifier(vkey: str) -> Verifier:
    """A verifier key NAME+HEX8+BASE64(0x01 ‖ 32-byte public key); its key id must match."""
    parts = vkey.split("+", 2) if isinstance(vkey, str) else []
    if len(parts) != 3 or not re.fullmatch(r"[0-9a-f]{8}", parts[1]):
        raise NoteError("a verifier key is NAME+KEYID+KEY (KEYID 8 lowercase hex digits)")
    raw = _b64(parts[2], "the verifier key")
    if len(raw) != 33 or raw[0] != ALG_ED25519:
        raise NoteError("the verifier key is not an Ed25519 key (0x01 and 32 bytes)")
    verifier = Verifier(_name(parts[0]), raw[1:])
    if verifier.key_id.hex() != parts[1]:
        raise NoteError("the verifier key's id does not match its name and key")
    return verifier


def parse_signer(skey: str) -> Signer:
    """A signer key PRIVATE+KEY+NAME+HEX8+BASE64(0x01 ‖ 32-byte seed); its key id must match."""
    parts = skey.split("+", 4) if isinstance(skey, str) else []
    if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"] or not re.fullmatch(r"[0-9a-f]{8}", parts[3]):
        raise NoteError("a signer key is PRIVATE+KEY+NAME+KEYID+KEY")
    raw = _b64(parts[4], "the signer key")
    if len(raw) != 33 or raw[0] != ALG_ED25519:
        raise NoteError("the signer key is not an Ed25519 key (0x01 and a 32-byte seed)")
    signer = Signer(_name(parts[2]), raw[1:])
    if signer.verifier.key_id.hex() != parts[3]:
        raise NoteError("the signer key's id does not match its name and key")
    return signer


def _check_text(text: str) -> None:
    if (not text.endswith("\n") or "\n\n" in text or "\x7f" in text
            or any((c < " " and c != "\n") or "\x80" <= c <= "\x9f" or c in "\u2028\u2029" for c in text)):
        raise NoteError("a note's text is lines of printable characters, each ended by a newline, none empty")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise NoteError("a note's text is UTF-8 (a lone surrogate is not)") from None


def sign_note(text: str, *signers: Signer) -> str:
    _check_text(text)
    message = text.encode()
    lines = "".join(f"{SIGNATURE_PREFIX}{s.name} {base64.b64encode(s.verifier.key_id + s.sign(message)).decode()}\n"
                    for s in signers)
    return f"{text}\n{lines}"


def open_note(note: str, verifiers: list[Verifier]) -> tuple[str, list[Verifier]]:
    """The note's text and the known verifiers whose signatures on it verify (at least one, or NoteError). Signatures
    by unknown keys are ignored, as the C2SP specification says; one by a known key that fails is an error."""
    if not isinstance(note, str) or len(note) > MAX_NOTE or not note.endswith("\n"):
        raise NoteError("a note is text ending with a newline, at most 1 MB")
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError("a note has its text, an empty line, then its signatures")
    text, lines = note[: split + 1], note[split + 2:-1].split("\n")
    _check_text(text)
    _check_text(note[split + 2:])   # the signature lines too: printable, UTF-8, newline-ended
    if not lines or len(lines) > MAX_SIGNATURES:
        raise NoteError(f"a note has from 1 to {MAX_SIGNATURES} signature lines")
    known = {(v.name, v.key_id): v for v in verifiers}
    good: list[Verifier] = []
    for line in lines:
        if not line.startswith(SIGNATURE_PREFIX) or line.count(" ") != 2:
            raise NoteError("a signature line is '— NAME SIGNATURE'")
        name, blob = line[len(SIGNATURE_PREFIX):].split(" ")
        raw = _b64(blob, "a signature")
        if len(raw) < 5:
            raise NoteError("a signature holds a 4-byte key id and the signature")
        verifier = known.get((_name(name), raw[:4]))
        if verifier is None:
            continue
        if not verifier.verify(text.encode(), raw[4:]):
            raise NoteError(f"the signature of {name} does not verify: the note was altered or signed by another key")
        if verifier not in good:
            good.append(verifier)
    if not good:
        raise NoteError("no signature on the note is by a known key: "
                        + ", ".join(sorted({str(v) for v in verifiers})) if verifiers else "no key to verify the note with")
    return text, good


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def text(self) -> str:
        return "".join(f"{line}\n" for line in (self.origin, str(self.size), base64.b64encode(self.root).decode(),
                                                 *self.extensions))


def parse_checkpoint(text: str) -> Checkpoint:
    """The checkpoint a note's text holds (c2sp.org/tlog-checkpoint): origin, size, root and extension lines."""
    _check_text(text)
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise NoteError("a checkpoint has an origin line, a size line and a root line")
    origin, size, root = lines[:3]
    if not origin.strip():
        raise NoteError("a checkpoint's origin line is not empty")
    if not re.fullmatch(r"0|[1-9][0-9]{0,18}", size):
        raise NoteError("a checkpoint's size is a decimal number without leading zeros")
    raw = _b64(root, "the root hash")
    if len(raw) != 32:
        raise NoteError("a checkpoint's root hash is 32 bytes")
    return Checkpoint(origin, int(size), raw, tuple(lines[3:]))
