"""The evidence chain: links written with the records, and verification catching edits and deletions."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from borrowers.locks import borrower_lock_held
from compliance import evidence
from compliance.models import EvidenceHead, EvidenceLink, VerificationRun
from tests.factories import BorrowerFactory

from .factories import ContactFactory, DecisionFactory, record_outcome

pytestmark = pytest.mark.django_db


@pytest.fixture
def history():
    """Two borrowers' worth of evidence: a decision and its contact, an outcome, an inbound call."""
    borrower = BorrowerFactory()
    other = BorrowerFactory(platform=borrower.platform)
    decision = DecisionFactory(borrower=borrower)
    contact = ContactFactory(borrower=borrower, decision=decision)
    record_outcome(contact, "right_party", notes="Borrower confirmed identity, promised Friday.")
    inbound = ContactFactory(borrower=borrower, direction="inbound", outcome="connected", notes="Called us back")
    blocked = DecisionFactory(borrower=other, allowed=False, reasons=[{"rule": "quiet_hours", "code": "quiet_hours"}])
    return {"borrower": borrower, "other": other, "contact": contact, "inbound": inbound, "blocked": blocked}


def _raw(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_each_record_is_linked_in_order_with_hashes_chained(history):
    links = list(EvidenceLink.objects.filter(borrower=history["borrower"]).order_by("seq"))
    assert [(link.seq, link.kind) for link in links] == [
        (1, "decision"),
        (2, "contact"),
        (3, "contact_outcome"),
        (4, "contact"),
        (5, "contact_outcome"),  # the inbound call arrived with its outcome
    ]
    assert links[0].prev_hash == "0" * 64
    for before, after in zip(links, links[1:], strict=False):
        assert after.prev_hash == before.chain_hash
    head = EvidenceHead.objects.get(borrower=history["borrower"])
    assert (head.seq, head.chain_hash) == (5, links[-1].chain_hash)


def test_an_untouched_history_verifies(history):
    report = evidence.verify()
    assert report.ok, report.failures
    assert report.borrowers_checked == 2
    assert report.links_checked == 6


def test_an_edit_made_with_raw_sql_is_named(history):
    contact = history["contact"]
    _raw("UPDATE contacts_contactattempt SET notes = %s WHERE id = %s", ["Borrower agreed to everything.", contact.pk])

    report = evidence.verify()

    assert len(report.failures) == 1
    failure = report.failures[0]
    assert (failure.problem, failure.kind, failure.object_id) == ("altered", "contact_outcome", contact.pk)
    assert failure.borrower_id == history["borrower"].pk


def test_an_edit_to_a_decision_is_named(history):
    blocked = history["blocked"]
    _raw("UPDATE compliance_decision SET allowed = %s WHERE id = %s", [True, blocked.pk])

    failure = evidence.verify().failures[0]

    assert (failure.problem, failure.kind, failure.object_id) == ("altered", "decision", blocked.pk)


def test_a_record_deleted_with_raw_sql_is_named_as_removed(history):
    inbound = history["inbound"]
    _raw("DELETE FROM contacts_contactattempt WHERE id = %s", [inbound.pk])

    failure = evidence.verify().failures[0]

    assert (failure.problem, failure.kind, failure.object_id, failure.seq) == ("removed", "contact", inbound.pk, 4)


def test_a_deleted_link_breaks_the_chain_at_the_next_link(history):
    link = EvidenceLink.objects.get(kind="contact", object_id=history["contact"].pk)
    _raw("DELETE FROM compliance_evidencelink WHERE id = %s", [link.pk])

    failure = evidence.verify().failures[0]

    assert failure.problem == "link_missing"
    assert failure.seq == 3  # the first link after the hole


def test_deleting_the_last_record_and_its_link_is_caught_by_the_head(history):
    inbound = history["inbound"]
    _raw("DELETE FROM compliance_evidencelink WHERE kind = 'contact_outcome' AND object_id = %s", [inbound.pk])
    _raw("DELETE FROM compliance_evidencelink WHERE kind = 'contact' AND object_id = %s", [inbound.pk])
    _raw("DELETE FROM contacts_contactattempt WHERE id = %s", [inbound.pk])

    failure = evidence.verify().failures[0]

    assert failure.problem == "link_missing"
    assert "head" in failure.detail


def test_a_rewritten_link_hash_is_caught(history):
    link = EvidenceLink.objects.get(kind="decision", object_id=history["blocked"].pk)
    _raw("UPDATE compliance_evidencelink SET content_hash = %s WHERE id = %s", ["f" * 64, link.pk])

    failure = evidence.verify().failures[0]

    assert (failure.problem, failure.object_id) == ("link_altered", history["blocked"].pk)


def test_an_outcome_written_around_the_application_is_caught():
    contact = ContactFactory()  # pending: no outcome link yet
    _raw("UPDATE contacts_contactattempt SET outcome = 'promise' WHERE id = %s", [contact.pk])

    failure = evidence.verify().failures[0]

    assert (failure.problem, failure.object_id) == ("altered", contact.pk)


def test_a_second_outcome_write_is_chained_and_only_the_latest_is_compared(history):
    contact = history["contact"]
    record_outcome(contact, "promise", notes="Corrected: promise to pay 500 on Friday.")

    assert EvidenceLink.objects.filter(kind="contact_outcome", object_id=contact.pk).count() == 2
    assert evidence.verify().ok


def test_records_without_links_are_reported_and_backfill_links_them(history):
    _raw("DELETE FROM compliance_evidencelink WHERE borrower_id = %s", [history["other"].pk])
    _raw("DELETE FROM compliance_evidencehead WHERE borrower_id = %s", [history["other"].pk])

    failure = evidence.verify().failures[0]
    assert (failure.problem, failure.object_id) == ("unlinked", history["blocked"].pk)

    assert evidence.backfill() == 1
    assert evidence.verify().ok


def test_the_command_passes_on_intact_evidence_and_records_the_run(history, capsys):
    call_command("verify_evidence")

    assert "Evidence intact" in capsys.readouterr().out
    run = VerificationRun.objects.get()
    assert run.ok and run.links_checked == 6


def test_the_command_exits_non_zero_and_names_the_altered_record(history, capsys):
    contact = history["contact"]
    _raw("UPDATE contacts_contactattempt SET notes = %s WHERE id = %s", ["edited", contact.pk])

    with pytest.raises(CommandError) as excinfo:
        call_command("verify_evidence")

    assert excinfo.value.returncode == 1
    assert f"contact_outcome {contact.pk} altered" in str(excinfo.value)
    assert f"contact_outcome {contact.pk}" in capsys.readouterr().err


def test_the_command_checks_one_borrower_when_asked(history):
    _raw("UPDATE compliance_decision SET allowed = %s WHERE id = %s", [True, history["blocked"].pk])

    # The tampered decision belongs to the other borrower: this one's chain is intact.
    call_command("verify_evidence", "--borrower", str(history["borrower"].pk))
    with pytest.raises(CommandError):
        call_command("verify_evidence", "--borrower", str(history["other"].pk))


def test_appending_outside_a_lock_holder_takes_the_lock_itself():
    """A writer that declared another borrower's lock held gets no shortcut for this one."""
    borrower, other = BorrowerFactory(), BorrowerFactory()
    decision = DecisionFactory(borrower=borrower)
    with borrower_lock_held(other.pk):
        contact = ContactFactory(borrower=borrower, decision=decision)
    links = list(EvidenceLink.objects.filter(borrower_id=borrower.pk).order_by("seq"))
    assert [(link.kind, link.object_id) for link in links] == [("decision", decision.pk), ("contact", contact.pk)]
    head = EvidenceHead.objects.get(borrower_id=borrower.pk)
    assert (head.seq, head.chain_hash) == (2, links[-1].chain_hash)
    assert evidence.verify_borrower(borrower.pk) == (None, 2)


def test_a_link_appended_under_a_declared_lock_chains_like_any_other():
    from django.db import transaction

    borrower = BorrowerFactory()
    first = DecisionFactory(borrower=borrower)
    with transaction.atomic(), borrower_lock_held(borrower.pk):
        second = DecisionFactory(borrower=borrower)
        contact = ContactFactory(borrower=borrower, decision=second, direction="inbound", outcome="connected")
    kinds = list(EvidenceLink.objects.filter(borrower_id=borrower.pk).order_by("seq").values_list("kind", "object_id"))
    assert kinds == [
        ("decision", first.pk),
        ("decision", second.pk),
        ("contact", contact.pk),
        ("contact_outcome", contact.pk),
    ]
    assert evidence.verify_borrower(borrower.pk) == (None, 4)
