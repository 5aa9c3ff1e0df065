"""Signed checkpoints of the evidence chains: a checkpoint verifies with the operator's public key; a
chain rewritten before it (consistently, so that verify_evidence alone says intact) is caught; a wrong
key or an edited file fails; links appended after it are fine."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.core.management import CommandError, call_command
from django.db import connection

from compliance import checkpoint, evidence
from tests.factories import BorrowerFactory
from tests.supervision.factories import ContactFactory, DecisionFactory, record_outcome

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]



@pytest.fixture
def keys(tmp_path):
    private, public = tmp_path / "evidence.key", tmp_path / "evidence.pub"
    call_command("evidence_keygen", "--private-key", str(private), "--public-key", str(public))
    return private, public


@pytest.fixture
def history():
    borrower = BorrowerFactory()
    other = BorrowerFactory(platform=borrower.platform)
    decision = DecisionFactory(borrower=borrower)
    contact = ContactFactory(borrower=borrower, decision=decision)
    record_outcome(contact, "right_party", notes="Promised Friday.")
    DecisionFactory(borrower=other, allowed=False, reasons=[{"rule": "quiet_hours", "code": "quiet_hours"}])
    return {"borrower": borrower, "other": other, "decision": decision}


def _export(settings, keys, tmp_path):
    settings.EVIDENCE_SIGNING_KEY = keys[0].read_text()
    out = tmp_path / "checkpoint.json"
    call_command("evidence_checkpoint", "--out", str(out))
    return out


def test_the_key_pair_is_ed25519_and_the_private_key_is_private(keys):
    private, public = keys
    assert oct(private.stat().st_mode & 0o777) == "0o600"
    assert isinstance(serialization.load_pem_public_key(public.read_bytes()), Ed25519PublicKey)
    with pytest.raises(CommandError, match="not overwritten"):
        call_command("evidence_keygen", "--private-key", str(private), "--public-key", str(public))


def test_a_checkpoint_lists_every_head_and_verifies(settings, keys, history, tmp_path, capsys):
    out = _export(settings, keys, tmp_path)
    document = json.loads(out.read_text())
    payload = json.loads(document["payload"])
    assert payload["chains"] == [
        [history["borrower"].pk, 3, payload["chains"][0][2]],
        [history["other"].pk, 1, payload["chains"][1][2]],
    ]
    assert (payload["count"], payload["fingerprint"]) == evidence.chain_fingerprint()
    # The signature is over the payload's bytes: checkable with the public key alone, without this code.
    public = serialization.load_pem_public_key(keys[1].read_bytes())
    assert isinstance(public, Ed25519PublicKey)
    public.verify(base64.b64decode(document["signature"]), document["payload"].encode())

    call_command("verify_checkpoint", str(out), "--public-key", str(keys[1]))
    assert "nothing before it was rewritten" in capsys.readouterr().out
    # The raw key in base64 (as in the file's public_key) works too.
    call_command("verify_checkpoint", str(out), "--public-key", document["public_key"])


def test_links_appended_after_the_checkpoint_are_fine(settings, keys, history, tmp_path):
    out = _export(settings, keys, tmp_path)
    DecisionFactory(borrower=history["borrower"])
    report = checkpoint.checkpoint_verify(
        checkpoint.checkpoint_loads(out.read_text()), checkpoint.load_public_key(str(keys[1]))
    )
    assert report.ok, report.problems
    assert report.links_checked == 5


def test_a_consistent_rewrite_before_the_checkpoint_is_detected(settings, keys, history, tmp_path):
    out = _export(settings, keys, tmp_path)
    borrower = history["borrower"]
    # Rewrite a decision, then rebuild the whole chain over the rewritten record, as someone with write
    # access to the database could: the chain is consistent again and verify_evidence says intact.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE compliance_decision SET reasons = %s WHERE id = %s",
            ['[{"rule": "none", "text": "rewritten"}]', history["decision"].pk],
        )
        cursor.execute("DELETE FROM compliance_evidencelink WHERE borrower_id = %s", [borrower.pk])
        cursor.execute("DELETE FROM compliance_evidencehead WHERE borrower_id = %s", [borrower.pk])
    evidence.backfill(borrower_ids=[borrower.pk])
    assert evidence.verify().ok

    with pytest.raises(CommandError) as raised:
        call_command("verify_checkpoint", str(out), "--public-key", str(keys[1]))
    assert f"borrower {borrower.pk}: link #3 differs from the checkpoint" in str(raised.value)
    assert raised.value.returncode == 1


def test_a_deleted_chain_is_detected(settings, keys, history, tmp_path):
    out = _export(settings, keys, tmp_path)
    other = history["other"]
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM compliance_evidencelink WHERE borrower_id = %s", [other.pk])
    report = checkpoint.checkpoint_verify(
        checkpoint.checkpoint_loads(out.read_text()), checkpoint.load_public_key(str(keys[1]))
    )
    assert report.problems == [f"borrower {other.pk}: link #1 of the checkpoint is missing"]


def test_a_wrong_key_fails(settings, keys, history, tmp_path):
    out = _export(settings, keys, tmp_path)
    _private, stranger = checkpoint.generate_key_pair()
    stranger_file = tmp_path / "stranger.pub"
    stranger_file.write_bytes(stranger)
    with pytest.raises(CommandError) as raised:
        call_command("verify_checkpoint", str(out), "--public-key", str(stranger_file))
    assert "signature does not verify" in str(raised.value)
    assert raised.value.returncode == 1


def test_an_edited_checkpoint_fails(settings, keys, history, tmp_path):
    """Changing a head in the file (to match a rewritten chain) breaks its signature."""
    out = _export(settings, keys, tmp_path)
    document = json.loads(out.read_text())
    payload = json.loads(document["payload"])
    payload["chains"][0][2] = "f" * 64
    document["payload"] = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    out.write_text(json.dumps(document))
    report = checkpoint.checkpoint_verify(
        checkpoint.checkpoint_loads(out.read_text()), checkpoint.load_public_key(str(keys[1]))
    )
    assert not report.ok and "signature does not verify" in report.problems[0]


def test_no_key_configured_is_a_clear_error(settings, tmp_path):
    settings.EVIDENCE_SIGNING_KEY = ""
    with pytest.raises(CommandError, match="No signing key"):
        call_command("evidence_checkpoint", "--out", str(tmp_path / "c.json"))
    assert not (tmp_path / "c.json").exists()
