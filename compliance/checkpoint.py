"""Signed checkpoints of the evidence chains (docs/evidence-checkpoints.md).

A checkpoint is the list of every borrower's chain head (borrower id, seq, chain hash) at one moment,
signed with the operator's Ed25519 key. Whoever holds the public key and a later copy of the database
can check, offline, that each chain still passes through the checkpointed link: rewriting any record or
link at or before it (even recomputing the whole chain consistently, which `verify_evidence` alone cannot
see) changes that link's chain hash, and deleting the chain removes it.

The file is JSON. Its `payload` is the exact text that was signed (UTF-8), itself canonical JSON, so a
verifier needs no canonicalisation of its own: check the signature over `payload`, then parse it.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.utils import timezone

from . import evidence
from .models import EvidenceHead, EvidenceLink

FORMAT = "evidence-checkpoint/1"
ALGORITHM = "Ed25519"


class CheckpointError(ValueError):
    """A key or a checkpoint file that cannot be used (not a failed verification)."""


# --- keys ---------------------------------------------------------------------------------------------------


def generate_key_pair() -> tuple[bytes, bytes]:
    """A new Ed25519 key pair: (private key as PKCS#8 PEM, public key as SubjectPublicKeyInfo PEM)."""
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, public


def load_private_key(pem: str | bytes | None = None) -> Ed25519PrivateKey:
    """The signing key: the PEM given, else settings.EVIDENCE_SIGNING_KEY (the PEM, or read from the file
    named by EVIDENCE_SIGNING_KEY_FILE)."""
    text = pem if pem is not None else settings.EVIDENCE_SIGNING_KEY
    if not text:
        raise CheckpointError("No signing key: set EVIDENCE_SIGNING_KEY or EVIDENCE_SIGNING_KEY_FILE.")
    data = text.encode() if isinstance(text, str) else text
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise CheckpointError(f"The signing key is not a readable PEM private key: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise CheckpointError("The signing key is not an Ed25519 key.")
    return key


def load_public_key(value: str) -> Ed25519PublicKey:
    """A public key from a PEM file's path, a PEM text, or the 32 raw bytes in base64 or hex."""
    text = value.strip()
    path = Path(text)
    if "\n" not in text and len(text) < 1024 and path.is_file():
        text = path.read_text().strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(text.encode())
            if not isinstance(key, Ed25519PublicKey):
                raise CheckpointError("The public key is not an Ed25519 key.")
            return key
        raw = bytes.fromhex(text) if len(text) == 64 else base64.b64decode(text, validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (ValueError, TypeError) as exc:
        raise CheckpointError(f"Not a readable Ed25519 public key: {exc}") from exc


def raw_public_key(key: Ed25519PublicKey) -> str:
    return base64.b64encode(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)).decode()


# --- writing ------------------------------------------------------------------------------------------------


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def checkpoint_payload(*, now: dt.datetime | None = None) -> dict[str, Any]:
    """What a checkpoint states: every chain head, ordered by borrower, and their fingerprint."""
    heads = [
        [borrower_id, seq, chain_hash]
        for borrower_id, seq, chain_hash in EvidenceHead.objects.order_by("borrower_id").values_list(
            "borrower_id", "seq", "chain_hash"
        )
    ]
    count, fingerprint = evidence.chain_fingerprint()
    return {
        "format": FORMAT,
        "created_at": (now or timezone.now()).astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "chains": heads,
        "count": count,
        "fingerprint": fingerprint,
    }


def checkpoint_create(*, key: Ed25519PrivateKey, now: dt.datetime | None = None) -> dict[str, Any]:
    """The signed checkpoint file's content (write it with `checkpoint_dumps`)."""
    payload = _canonical(checkpoint_payload(now=now))
    signature = key.sign(payload.encode())
    return {
        "format": FORMAT,
        "algorithm": ALGORITHM,
        "public_key": raw_public_key(key.public_key()),
        "payload": payload,
        "signature": base64.b64encode(signature).decode(),
    }


def checkpoint_dumps(checkpoint: dict[str, Any]) -> str:
    return json.dumps(checkpoint, ensure_ascii=False, indent=2) + "\n"


# --- verifying ----------------------------------------------------------------------------------------------


@dataclass
class CheckpointReport:
    created_at: str = ""
    chains_checked: int = 0
    links_checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def checkpoint_loads(text: str) -> dict[str, Any]:
    try:
        checkpoint = json.loads(text)
    except ValueError as exc:
        raise CheckpointError(f"Not a checkpoint file (not JSON): {exc}") from exc
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != FORMAT:
        raise CheckpointError(f"Not a checkpoint file of format {FORMAT}.")
    for name in ("payload", "signature"):
        if not isinstance(checkpoint.get(name), str):
            raise CheckpointError(f"The checkpoint has no {name}.")
    return checkpoint


def checkpoint_signed_payload(checkpoint: dict[str, Any], public_key: Ed25519PublicKey) -> dict[str, Any]:
    """The payload, once its signature is checked against `public_key` (the operator's, obtained from
    them directly: never the copy inside the file). InvalidSignature when it does not verify."""
    try:
        signature = base64.b64decode(checkpoint["signature"], validate=True)
    except ValueError as exc:
        raise InvalidSignature("the signature is not base64") from exc
    public_key.verify(signature, checkpoint["payload"].encode())
    payload = json.loads(checkpoint["payload"])
    if payload.get("format") != FORMAT:
        raise CheckpointError(f"The signed payload is not of format {FORMAT}.")
    return payload


def checkpoint_verify(checkpoint: dict[str, Any], public_key: Ed25519PublicKey) -> CheckpointReport:
    """Check a checkpoint's signature, then that the database's chains still pass through every link it
    names and verify in full (records, links and documents, `evidence.verify_borrower`).

    A bad signature is a problem reported like the others (the file is not the operator's, or was edited)."""
    report = CheckpointReport()
    try:
        payload = checkpoint_signed_payload(checkpoint, public_key)
    except InvalidSignature:
        report.problems.append("the signature does not verify with this public key: wrong key or edited file")
        return report
    report.created_at = payload["created_at"]
    chains = payload["chains"]
    stored = {
        (borrower_id, seq): chain_hash
        for borrower_id, seq, chain_hash in EvidenceLink.objects.filter(
            borrower_id__in=[c[0] for c in chains]
        ).values_list("borrower_id", "seq", "chain_hash")
    }
    for borrower_id, seq, chain_hash in chains:
        report.chains_checked += 1
        now_hash = stored.get((borrower_id, seq))
        if now_hash is None:
            report.problems.append(f"borrower {borrower_id}: link #{seq} of the checkpoint is missing")
            continue
        if now_hash != chain_hash:
            report.problems.append(
                f"borrower {borrower_id}: link #{seq} differs from the checkpoint: the chain was rewritten "
                "at or before it"
            )
            continue
        failure, count = evidence.verify_borrower(borrower_id)
        report.links_checked += count
        if failure is not None:
            report.problems.append(failure.describe())
    return report
