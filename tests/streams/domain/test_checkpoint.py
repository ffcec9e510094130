"""Signed notes and checkpoints (streams/domain/checkpoint.py) as C2SP specifies them, checked against the reference
example of golang.org/x/mod/sumdb/note (Ed25519 is deterministic, so signing it again gives the same bytes), and
against hostile input: altered text, other keys, malformed lines."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings, strategies as st

from streams.domain.checkpoint import (Checkpoint, NoteError, Signer, open_note, parse_checkpoint, parse_signer,
                                       parse_verifier, sign_note)

# The reference example of the Go implementation's tests (public test data).
VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
NOTE = TEXT + "\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"


def test_the_reference_note_is_reproduced_byte_for_byte_and_opens():
    signer, verifier = parse_signer(SKEY), parse_verifier(VKEY)
    assert str(signer) == SKEY and str(verifier) == VKEY and signer.verifier == verifier
    assert sign_note(TEXT, signer) == NOTE
    assert open_note(NOTE, [verifier]) == (TEXT, [verifier])


def test_an_altered_note_or_another_key_does_not_open():
    verifier = parse_verifier(VKEY)
    with pytest.raises(NoteError, match="does not verify"):
        open_note(NOTE.replace("cryptography", "cryptographY"), [verifier])
    other = Signer("PeterNeumann", hashlib.sha256(b"another seed").digest())
    with pytest.raises(NoteError, match="no signature on the note is by a known key"):
        open_note(sign_note(TEXT, other), [verifier])
    # Signed by both: the unknown key's signature is ignored, the known one verifies.
    assert open_note(sign_note(TEXT, other, parse_signer(SKEY)), [verifier])[1] == [verifier]


@pytest.mark.parametrize("bad", [VKEY[:-1], VKEY.replace("c74f20a3", "c74f20a4"), VKEY.replace("+A", "+B", 1),
                                 "PeterNeumann+c74f20a3", "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
                                 "", 5, None])
def test_a_mangled_verifier_key_is_refused(bad):
    with pytest.raises(NoteError):
        parse_verifier(bad)


@pytest.mark.parametrize("note", [TEXT, TEXT + "\n", TEXT + "\n— PeterNeumann\n", TEXT + "\n-- PeterNeumann AAAA\n",
                                  TEXT + "\n— PeterNeumann AAA=\n", "\n\n— a b\n", TEXT.replace("\n", "\r\n") + "\n— a AAAAAAA=\n",
                                  "x" * 1_000_001 + "\n"])
def test_a_malformed_note_is_refused(note):
    with pytest.raises(NoteError):
        open_note(note, [parse_verifier(VKEY)])


def test_a_checkpoint_is_the_c2sp_three_lines():
    root = hashlib.sha256(b"").digest()
    c = Checkpoint("tyndau.example/appeals.events/0", 0, root)
    assert c.text() == "tyndau.example/appeals.events/0\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
    assert parse_checkpoint(c.text()) == c
    for bad in ("o\n01\n" + c.text().split("\n")[2] + "\n", "o\n1\nAAAA\n", "o\n1\n", "o\n-1\n" + c.text().split("\n")[2] + "\n"):
        with pytest.raises(NoteError):
            parse_checkpoint(bad)


@settings(max_examples=50, deadline=None)
@given(st.text(max_size=300))
def test_any_text_either_opens_or_is_refused_with_a_note_error(text):
    try:
        open_note(text, [parse_verifier(VKEY)])
    except NoteError:
        pass


@pytest.mark.parametrize("text", ["o\ud800\n1\nAAAA\n", "o\r\n1\n", "o\u2028x\n", "o\x85\n"])
def test_a_text_that_is_not_printable_utf8_lines_is_a_note_error(text):
    signature = NOTE.split("\n\n", 1)[1]
    with pytest.raises(NoteError):
        open_note(text + "\n" + signature, [parse_verifier(VKEY)])


def test_a_checkpoint_without_an_origin_is_refused():
    with pytest.raises(NoteError, match="origin"):
        parse_checkpoint(" \n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n")
