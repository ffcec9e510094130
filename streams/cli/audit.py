"""`tyndau history`, `verify`, `dossier`: auditors' and courts' views of the ledger; `erase`: a citizen's
personal data destroyed."""

from __future__ import annotations

import argparse
import json
import sys
import urllib.parse
from pathlib import Path

from .. import settings, topics
from ..clients.worker_api import query_string, worker_json
from .common import API_DEFAULT


def cmd_history(args: argparse.Namespace) -> int:
    if args.personal and not args.purpose:
        raise SystemExit("tyndau history --personal: state why with --purpose TEXT (it is recorded on appeals.access)")
    if args.purpose and not args.personal:
        raise SystemExit("tyndau history: --purpose is for reading personal data; add --personal, or leave --purpose out")
    query = query_string({"as_of": args.as_of, "personal": "true" if args.personal else None,
                          "purpose": args.purpose if args.personal else None})
    document = worker_json(args.api, f"/v1/appeals/{urllib.parse.quote(args.appeal_id, safe='')}/history{query}")
    if args.format == "json":
        print(json.dumps(document, ensure_ascii=False))
        return 0 if document["chain_ok"] else 1
    print(f"appeal {document['appeal_id']}: {len(document['events'])} events, chain "
          + ("OK" if document["chain_ok"] else "BROKEN"))
    for e in document["events"]:
        actor = f"{e['actor']['role']}:{e['actor']['id']}" + (f" via {e['imported_by']}" if e.get("imported_by") else "")
        print(f"  {e['sequence']:>3}  {e['type']:<10} {e['occurred_at'][:19]}  rec {e['recorded_at'][:19]}  {actor:<24} {e['body']:<20} {e['hash'][:16]}…")
    for p in document["problems"]:
        print(f"  problem at sequence {p['sequence']}: {p['problem']}")
    state = document.get("state")
    if state:
        title = f"state as of {document['as_of']}" if "as_of" in document else "state now"
        print(f"{title}: status {state['status']}, body {state['body']}, due {state['due_on']}, "
              f"answered {state['answered_at'] or '—'}, rating {('satisfied' if state['satisfied'] else 'dissatisfied') if state['ratings'] else '—'}")
    elif "as_of" in document:
        print(f"state as of {document['as_of']}: not yet filed")
    return 0 if document["chain_ok"] else 1


def cmd_verify(args: argparse.Namespace) -> int:
    import asyncio

    from tqdm import tqdm

    from ..audit.verify import compare, projector_caught_up, read_log

    bar = tqdm(unit=" events", desc="reading the log", disable=None, file=sys.stderr)

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.update(done - bar.n)

    leaves: dict | None = {} if args.witness else None
    cursors, report, ends = asyncio.run(read_log(settings.KAFKA_BOOTSTRAP, progress, leaves))
    bar.close()
    if args.witness:
        from pathlib import Path

        from ..audit.witness import check_witnesses

        report.witness_checkpoints, report.witness_problems = check_witnesses(leaves, [Path(f) for f in args.witness],
                                                                              checkpoint_keys_of(args.key, "verify"))
    if not args.log_only:
        if not asyncio.run(projector_caught_up(settings.KAFKA_BOOTSTRAP, ends)):
            print("the projector has not caught up with the log within 120 s; comparing anyway", file=sys.stderr)
        rows, offset, page = [], 0, 50_000
        while True:
            chunk = worker_json(args.api, "/v1/query/appeal_states", {"limit": page, "offset": offset})
            rows += chunk
            if len(chunk) < page:
                break
            offset += page
        from datetime import date
        for row in rows:
            for name in ("due_on", "answered_on"):
                if row.get(name):
                    row[name] = date.fromisoformat(row[name])
        compare(cursors, rows, report)
        report.projection_errors = worker_json(args.api, "/v1/query/projection_errors", {"limit": 100_000})
    if args.format == "json":
        print(json.dumps(report.as_json(), ensure_ascii=False))
    else:
        print(f"read {report.events} events of {report.appeals} appeals from {topics.EVENTS}")
        if args.witness:
            print(f"checked the log against {report.witness_checkpoints} checkpoints of {len(args.witness)} witness files")
        for w in report.witness_problems:
            print(f"WITN partition {w['partition']} size {w['size']} ({w['witness']}): {w['problem']}")
        for p in report.problems:
            print(f"LOG  appeal {p['appeal_id']} sequence {p['sequence']} (partition {p['partition']}, offset {p['offset']}): {p['problem']}")
        for m in report.mismatches:
            print(f"PROJ appeal {m['appeal_id']}: {m['field']} is {m['projection']} in ClickHouse but {m['log']} in the log")
        for e in report.projection_errors:
            print(f"NOT PROJECTED {e['topic']} partition {e['partition']}, offset {e['offset']} (appeal {e['appeal_id'] or '?'}): {e['error']}")
        print("verified: no problems" if report.ok else f"{len(report.problems)} problems in the log, {len(report.mismatches)} "
              f"projection mismatches, {len(report.projection_errors)} events not projected, "
              f"{len(report.witness_problems)} checkpoints the log is not consistent with")
    return 0 if report.ok else 1


def cmd_dossier(args: argparse.Namespace) -> int:
    from ..audit.dossier import dossier_json, render_pdf

    if not args.out and not args.json:
        raise SystemExit("tyndau dossier: give --out FILE.pdf, --json, or both")
    if not args.purpose:
        raise SystemExit("tyndau dossier: state why the citizen's data is read with --purpose TEXT (it is recorded on appeals.access)")
    query = query_string({"personal": "true", "purpose": args.purpose})
    history = worker_json(args.api, f"/v1/appeals/{urllib.parse.quote(args.appeal_id, safe='')}/history{query}")
    proof, no_proof = None, ""
    try:   # the events' inclusion proofs against the latest signed checkpoint, when one covers them
        proof = worker_json(args.api, f"/v1/appeals/{urllib.parse.quote(args.appeal_id, safe='')}/proof")
    except SystemExit as refusal:
        no_proof = str(refusal)
        print(f"the dossier has no inclusion proofs: {no_proof}", file=sys.stderr)
    if args.json:
        print(json.dumps(dossier_json(history, args.lang, proof), ensure_ascii=False, indent=2))
    if args.out:
        render_pdf(history, args.lang, Path(args.out), proof, no_proof)
        print(f"wrote {args.out} ({len(history['events'])} events, chain {'OK' if history['chain_ok'] else 'BROKEN'})", file=sys.stderr)
    return 0 if history["chain_ok"] else 1


def cmd_erase(args: argparse.Namespace) -> int:
    citizen = sys.stdin.readline().strip() if args.citizen == "-" else args.citizen   # "-": kept out of shell history
    outcome = worker_json(args.api, "/v1/admin/erase", {"citizen": citizen, "reason": args.reason})
    if args.format == "json":
        print(json.dumps(outcome, ensure_ascii=False))
        return 0
    if not outcome["appeals"]:
        print("no appeal of this citizen is in the projection (none filed, or not yet projected): nothing to erase")
    for entry in outcome["erased"]:
        print(f"erased  {entry['appeal_id']}  on {entry['erased_on']}")
    for entry in outcome["already_erased"]:
        print(f"already {entry['appeal_id']}  erased on {entry['erased_on']}")
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    history = sub.add_parser("history", help="one appeal's events from the ledger, its chain checked, its state at any moment",
                             description="Every event of the appeal in order, read from appeals.events (ClickHouse only says "
                                         "where they are), with the result of checking its hash chain. Exit status 1 when the chain is broken.")
    history.add_argument("appeal_id")
    history.add_argument("--as-of", metavar="TIME", help="also show the state as it was then (ISO 8601 with offset, business time)")
    history.add_argument("--format", choices=["json", "table"], default="table")
    history.add_argument("--personal", action="store_true", help="include the citizen's personal data (auditors; needs --purpose)")
    history.add_argument("--purpose", metavar="TEXT", help="why personal data is read, e.g. a court's case number (recorded)")
    history.add_argument("--api", default=API_DEFAULT, help="the worker's HTTP address")
    history.set_defaults(func=cmd_history)

    verify = sub.add_parser("verify", help="check every appeal's chain in the log and the projections against the log",
                            description="Read appeals.events from offset 0, check each appeal's sequence and hash chain, fold it "
                                        "with the domain code and compare ClickHouse's projection with it. Every problem is "
                                        "reported with its appeal, sequence, partition and offset; exit status 1 if any.")
    verify.add_argument("--format", choices=["json", "text"], default="text")
    verify.add_argument("--log-only", action="store_true", help="check the log's chains only, not the projections")
    verify.add_argument("--api", default=API_DEFAULT, help="the worker's HTTP address (it serves the projection)")
    verify.add_argument("--witness", nargs="+", action="extend", metavar="FILE", default=[],
                        help="also check that the log is consistent with every signed checkpoint in these files "
                             "(`tyndau checkpoint --export`, GET /v1/checkpoints/latest): RFC 9162 consistency proofs; "
                             "names the partition and size where it is not")
    verify.add_argument("--key", action="append", metavar="VKEY", default=[],
                        help="a verifier key (NAME+KEYID+KEY) the checkpoints must be signed with (default: the "
                             "deployment's, TYNDAU_CHECKPOINT_KEY and TYNDAU_CHECKPOINT_KEYS_PREVIOUS)")
    verify.set_defaults(func=cmd_verify)

    dossier = sub.add_parser("dossier", help="one appeal's history as a document for a court (PDF, JSON; kk or ru)",
                             description="Who wrote, when, to which body, which deadlines applied, what answers and ratings "
                                         "came, each event's hash, and how to verify them. Includes the citizen's personal data: "
                                         "TYNDAU_TOKEN must be an auditor's, and the read is recorded with its purpose.")
    dossier.add_argument("appeal_id")
    dossier.add_argument("--out", metavar="FILE.pdf", help="write the PDF here")
    dossier.add_argument("--json", action="store_true", help="print the dossier as JSON")
    dossier.add_argument("--lang", choices=["kk", "ru"], default="kk")
    dossier.add_argument("--purpose", metavar="TEXT",
                         help="why the citizen's data is read, e.g. a court's case number (recorded on appeals.access)")
    dossier.add_argument("--api", default=API_DEFAULT, help="the worker's HTTP address")
    dossier.set_defaults(func=cmd_dossier)

    erase = sub.add_parser("erase", help="erase a citizen's personal data from every appeal they filed",
                           description="Destroys the data key of each of the citizen's appeals (a tombstone on appeals.keys) "
                                       "and records each erasure on appeals.access; from then on their history and dossier "
                                       "show \"erased on DATE\" in place of the personal fields, every chain still verifies and "
                                       "the projections do not change. An open appeal carries on without its personal data. "
                                       "Refused, with nothing erased, when an appeal was written before personal data was "
                                       "sealed. TYNDAU_TOKEN must be an admin's or an auditor's.")
    erase.add_argument("--citizen", metavar="IIN", required=True,
                       help="the citizen's IIN (or a legal entity's BIN); - reads it from standard input, which keeps it "
                            "out of the shell's history and the process list")
    erase.add_argument("--reason", metavar="TEXT", required=True,
                       help="why, e.g. the citizen's request no. 12/2026 (recorded on appeals.access)")
    erase.add_argument("--format", choices=["json", "text"], default="text")
    erase.add_argument("--api", default=API_DEFAULT, help="the worker's HTTP address")
    erase.set_defaults(func=cmd_erase)

    prove = sub.add_parser("prove", help="inclusion proofs of an appeal's events against a signed checkpoint, or check them",
                           description="APPEAL_ID: each event's RFC 9162 inclusion proof (partition, leaf_index, tree_size, "
                                       "leaf, audit_path, root; lowercase hex) with the signed checkpoint it is proven "
                                       "against, from the worker (TYNDAU_TOKEN an auditor's). --check FILE: check such a "
                                       "document offline against the checkpoint's signature and its verifier key "
                                       "(--key, default the deployment's): README \"Checkpoints\" says how by hand.")
    prove.add_argument("appeal_id", nargs="?")
    prove.add_argument("--format", choices=["json", "text"], default="text")
    prove.add_argument("--out", metavar="FILE", help="write the proof document (JSON) here")
    prove.add_argument("--check", metavar="FILE", help="check a proof document instead of making one")
    prove.add_argument("--key", action="append", metavar="VKEY", default=[],
                       help="a verifier key (NAME+KEYID+KEY) the checkpoint must be signed with")
    prove.add_argument("--api", default=API_DEFAULT, help="the worker's HTTP address")
    prove.set_defaults(func=cmd_prove)

    checkpoint = sub.add_parser("checkpoint", help="sign a checkpoint of the ledger now, keep the latest as a witness, "
                                                   "or make a signing key",
                                description="Without options: the worker signs a checkpoint of every partition's Merkle "
                                            "tree now onto appeals.checkpoints (TYNDAU_TOKEN an admin's). --export FILE: "
                                            "the latest signed checkpoints, as a witness keeps them, for `tyndau verify "
                                            "--witness FILE` later (no token needed: they are public). --new-key NAME: a "
                                            "new Ed25519 signing key, printed on the first line (TYNDAU_CHECKPOINT_KEY), "
                                            "its verifier key for the witnesses on the second.")
    what = checkpoint.add_mutually_exclusive_group()
    what.add_argument("--export", metavar="FILE", help="write the latest signed checkpoints to FILE (JSON)")
    what.add_argument("--new-key", metavar="NAME", help="make a new signing key named NAME (e.g. the deployment and the year)")
    checkpoint.add_argument("--api", default=API_DEFAULT, help="the worker's HTTP address")
    checkpoint.set_defaults(func=cmd_checkpoint)


def checkpoint_keys_of(given: list[str], command: str) -> list:
    """The verifier keys given with --key, or the deployment's (TYNDAU_CHECKPOINT_KEY, _KEYS_PREVIOUS)."""
    from ..auth.checkpoint_keys import CheckpointKeyError, checkpoint_verifiers
    from ..domain.checkpoint import NoteError, parse_verifier

    try:
        keys = [parse_verifier(k) for k in given] if given else list(checkpoint_verifiers())
    except (NoteError, CheckpointKeyError) as error:
        raise SystemExit(f"tyndau {command} --key: {error}") from None
    if not given and settings.CHECKPOINT_KEY.strip() == settings.DEVELOPMENT_CHECKPOINT_KEY:
        print(f"tyndau {command}: checking against the development checkpoint key, which anyone can sign with; "
              "give the deployment's verifier key with --key (GET /v1/checkpoints/keys)", file=sys.stderr)
    return keys


def cmd_prove(args: argparse.Namespace) -> int:
    from pathlib import Path

    if args.check:
        from ..audit.proofs import check_proof

        verifiers = checkpoint_keys_of(args.key, "prove")
        try:
            document = json.loads(Path(args.check).read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise SystemExit(f"tyndau prove --check: {error}") from None
        proven, problems = check_proof(document, verifiers)
        for problem in problems:
            print(f"NOT PROVEN {problem}")
        print(f"{proven} events proven in the signed checkpoint" + (f"; {len(problems)} not" if problems else ""))
        return 1 if problems or not proven else 0
    if not args.appeal_id:
        raise SystemExit("tyndau prove: give an APPEAL_ID, or --check FILE")
    from ..clients.worker_api import NoWorker, call_worker

    try:
        document = call_worker(args.api, f"/v1/appeals/{urllib.parse.quote(args.appeal_id, safe='')}/proof", timeout=120)
    except NoWorker:
        raise SystemExit(f"tyndau prove: no worker answers at {args.api}") from None
    if args.out:
        Path(args.out).write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    if args.format == "json":
        print(json.dumps(document, ensure_ascii=False))
    else:
        c = document["checkpoint"]
        print(f"checkpoint {c['origin']}: {c['tree_size']} records, root {c['root']}, signed {c['written_at']} by {c['key_id']}")
        for e in document["events"]:
            print(f"  {e['sequence']:>3} {e['event_type']:<10} leaf {e['leaf_index']}: {len(e['audit_path'])} hashes to the root")
        if document["pending"]:
            print(f"  not yet in a checkpoint: sequences {', '.join(map(str, document['pending']))}")
    return 0


def cmd_checkpoint(args: argparse.Namespace) -> int:
    if args.new_key is not None:
        return _new_checkpoint_key(args.new_key)
    from pathlib import Path

    from ..clients.worker_api import NoWorker, call_worker

    try:
        if args.export:
            answer = call_worker(args.api, "/v1/checkpoints/latest", timeout=60)
            Path(args.export).write_text(json.dumps(answer, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
            print(f"wrote {len(answer['checkpoints'])} checkpoints to {args.export}", file=sys.stderr)
            return 0
        answer = call_worker(args.api, "/v1/admin/checkpoint", body={}, timeout=120)
    except NoWorker:
        raise SystemExit(f"tyndau checkpoint: no worker answers at {args.api}") from None
    for c in answer["checkpoints"]:
        head = c["trees"][0]
        print(f"partition {head['partition']}: {head['tree_size']} records, root {head['root']}")
    return 0


def _new_checkpoint_key(name: str) -> int:
    import secrets

    from ..domain.checkpoint import NoteError, Signer, parse_signer

    try:
        signer = parse_signer(str(Signer(name, secrets.token_bytes(32))))   # the name checked as a key's
    except NoteError as error:
        raise SystemExit(f"tyndau checkpoint --new-key: {error}") from None
    print(signer)
    print(signer.verifier)
    print("line 1: the signer key, a secret: set it as TYNDAU_CHECKPOINT_KEY where the checkpoints are written; "
          "line 2: its verifier key, public: give it to the witnesses (the old one goes into "
          "TYNDAU_CHECKPOINT_KEYS_PREVIOUS)", file=sys.stderr)
    return 0
