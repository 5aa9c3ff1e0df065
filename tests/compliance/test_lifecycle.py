"""Records lifecycle (issue 19, item 3): retention per pack, the purge of what has passed it, erasure on
request with the holds that forbid it, and the evidence chain still verifying afterwards (and still catching
any other change)."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection

from borrowers.models import Borrower, Email, Phone, ThirdParty
from cases.models import Payment
from compliance import evidence, lifecycle
from compliance.models import Decision, Erasure, EvidenceLink, RecordHold
from compliance.tasks import records_purge_task
from contacts.models import ContactAttempt
from contacts.services import contact_record_outcome
from tests import factories

from .conftest import check, local

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

NAME = "Wang Fang"
PHONE = "+8613912345678"


def history(borrower, when: dt.datetime) -> None:
    """A real history through the gate: a blocked decision, an allowed call with its outcome and notes,
    an SMS whose text names the borrower."""
    check(borrower, when.replace(hour=23), channel="call", dry_run=False)  # quiet hours: blocked
    call = check(borrower, when, channel="call", dry_run=False)
    contact_record_outcome(contact=call.contact, outcome="right_party", notes=f"{NAME} promised to pay Friday")
    check(borrower, when + dt.timedelta(hours=1), channel="sms", message=f"{NAME}，您的账单已到期。", dry_run=False)


@pytest.fixture
def borrower(platform):
    person = factories.BorrowerFactory(
        platform=platform, region="CN-31", full_name=NAME, address="1 Nanjing Rd", date_of_birth=dt.date(1990, 1, 1)
    )
    # The tail ends in X (as Chinese ids may): digits alone could occur by chance in a timestamp or a hash.
    person.set_national_id("31010119900101567X")
    person.save()
    factories.PhoneFactory(borrower=person, number=PHONE, autodial_consent=True)
    factories.EmailFactory(borrower=person, address="wang@example.com")
    factories.ThirdPartyFactory(borrower=person, name="Li Wei", phone="+8613812345678")
    return person


def stored_text(borrower) -> str:
    """Everything the database holds about the borrower's records, as text."""
    rows = [
        list(Borrower.objects.filter(pk=borrower.pk).values()),
        list(Borrower.history.filter(id=borrower.pk).values()),
        list(Phone.objects.filter(borrower=borrower).values()),
        list(Phone.history.filter(borrower_id=borrower.pk).values()),
        list(Email.objects.filter(borrower=borrower).values()),
        list(ThirdParty.objects.filter(borrower=borrower).values()),
        list(ContactAttempt.objects.filter(borrower=borrower).values()),
        list(Decision.objects.filter(borrower=borrower).values()),
    ]
    return json.dumps(rows, default=str, ensure_ascii=False)


def test_an_erasure_request_pseudonymises_and_the_chain_still_verifies(borrower):
    history(borrower, local("Asia/Shanghai", 2026, 6, 10, 10, 0))
    before = stored_text(borrower)
    assert NAME in before and PHONE in before and "Li Wei" in before and "567X" in before
    links_before = EvidenceLink.objects.filter(borrower=borrower).count()

    erasure = lifecycle.borrower_erase(borrower=borrower, reason="request", legal_basis=lifecycle.LEGAL_BASIS["pipl"])

    assert erasure.status == "done"
    after = stored_text(borrower)
    for value in (NAME, PHONE, "Li Wei", "+8613812345678", "wang@example.com", "1 Nanjing Rd", "1990-01-01", "567X"):
        assert value not in after, value
    borrower.refresh_from_db()
    assert borrower.full_name == f"erased-{borrower.pk}" and borrower.national_id_encrypted == ""
    # The records themselves stay: counts and verdicts survive.
    assert ContactAttempt.objects.filter(borrower=borrower).count() == 2
    assert Decision.objects.filter(borrower=borrower, allowed=False).count() == 1
    # Every changed record is accounted for, and the erasure itself is the chain's newest link.
    assert {r["kind"] for r in erasure.records} >= {"decision", "contact", "contact_outcome"}
    last = EvidenceLink.objects.filter(borrower=borrower).order_by("-seq").first()
    assert (last.kind, last.object_id, last.seq) == ("erasure", erasure.pk, links_before + 1)
    report = evidence.verify(borrower_ids=[borrower.pk])
    assert report.ok, report.failures_as_dicts()


def test_after_an_erasure_any_other_edit_is_still_caught(borrower):
    history(borrower, local("Asia/Shanghai", 2026, 6, 10, 10, 0))
    lifecycle.borrower_erase(borrower=borrower, reason="request", legal_basis="test")
    contact = ContactAttempt.objects.filter(borrower=borrower, outcome="right_party").get()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE contacts_contactattempt SET outcome = 'refused' WHERE id = %s", [contact.pk])
    failure = evidence.verify(borrower_ids=[borrower.pk]).failures[0]
    assert (failure.problem, failure.kind, failure.object_id) == ("altered", "contact_outcome", contact.pk)


def test_a_forged_erasure_record_does_not_excuse_an_edit(borrower):
    history(borrower, local("Asia/Shanghai", 2026, 6, 10, 10, 0))
    erasure = lifecycle.borrower_erase(borrower=borrower, reason="request", legal_basis="test")
    decision = Decision.objects.filter(borrower=borrower, allowed=False).get()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE compliance_decision SET allowed = true WHERE id = %s", [decision.pk])
        cursor.execute(
            "UPDATE compliance_erasure SET records = %s WHERE id = %s",
            [json.dumps(erasure.records + [{"kind": "decision", "object_id": decision.pk}]), erasure.pk],
        )
    failure = evidence.verify(borrower_ids=[borrower.pk]).failures[0]
    assert failure.problem == "altered"


@pytest.mark.parametrize("hold", ["dispute", "litigation", "regulatory"])
def test_an_open_dispute_litigation_or_regulatory_hold_refuses_erasure(borrower, hold):
    history(borrower, local("Asia/Shanghai", 2026, 6, 10, 10, 0))
    if hold == "dispute":
        factories.HoldFactory(borrower=borrower, kind="dispute")
    else:
        RecordHold.objects.create(borrower=borrower, kind=hold, starts_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    erasure = lifecycle.borrower_erase(borrower=borrower, reason="request", legal_basis="test")
    assert (erasure.status, erasure.refused_because) == ("refused", [hold])
    assert NAME in stored_text(borrower)
    # The refusal is recorded in the chain too, which still verifies.
    assert EvidenceLink.objects.filter(borrower=borrower, kind="erasure", object_id=erasure.pk).exists()
    assert evidence.verify(borrower_ids=[borrower.pk]).ok


def test_a_broken_chain_refuses_erasure_so_the_break_stays_visible(borrower):
    history(borrower, local("Asia/Shanghai", 2026, 6, 10, 10, 0))
    with connection.cursor() as cursor:
        cursor.execute("UPDATE contacts_contactattempt SET channel = 'letter' WHERE borrower_id = %s", [borrower.pk])
    erasure = lifecycle.borrower_erase(borrower=borrower, reason="request", legal_basis="test")
    assert erasure.status == "refused"
    assert erasure.refused_because[0].startswith("evidence_chain_broken")


def test_the_command_records_a_gdpr_request(borrower, platform):
    out = io.StringIO()
    call_command(
        "erase_borrower", "--platform", platform.name, "--borrower", borrower.external_id, "--basis", "gdpr", stdout=out
    )
    assert "pseudonymised" in out.getvalue()
    assert Erasure.objects.get(borrower=borrower).legal_basis.startswith("UK GDPR Art. 17")
    factories.HoldFactory(borrower=borrower, kind="dispute")
    with pytest.raises(CommandError, match="Refused"):
        call_command("erase_borrower", "--platform", platform.name, "--borrower", borrower.external_id)


# --- retention ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("region", "years"), [("CN-31", 2), ("US-NY", 3), ("US-MA", 3), ("GB-ENG", 6), ("DE-BE", 2)])
def test_retention_periods_per_pack(platform, region, years):
    # DE-BE: no pack of its own, so the platform's default (CN) applies.
    assert lifecycle.retention_years(factories.BorrowerFactory(platform=platform, region=region)) == years


def test_a_pack_version_may_set_its_own_period(platform):
    from compliance import packs
    from compliance.models import RulePack

    params = packs.thaw(packs.active_params("UK"))
    params["retention"] = {"years_after_last_activity": 7}
    RulePack.objects.create(code="UK", version=99, params=params, note="longer")
    packs.clear_cache()
    assert lifecycle.retention_years(factories.BorrowerFactory(platform=platform, region="GB-SCT")) == 7
    packs.clear_cache()


def test_the_purge_ends_what_has_passed_its_period_and_keeps_the_rest(platform):
    start = local("Asia/Shanghai", 2026, 6, 10, 10, 0)
    with time_machine.travel(start, tick=True):
        cn = factories.BorrowerFactory(platform=platform, region="CN-31", full_name="Old CN")
        factories.PhoneFactory(borrower=cn, number="+8613900000001")
        us = factories.BorrowerFactory(platform=platform, region="US-NY", full_name="Recent US")
        factories.PhoneFactory(borrower=us, number="+12125550123")
        held = factories.BorrowerFactory(platform=platform, region="CN-32", full_name="Held CN")
        factories.PhoneFactory(borrower=held, number="+8613900000002")
        for person in (cn, us, held):
            check(person, start, channel="letter", dry_run=False)
        RecordHold.objects.create(borrower=held, kind="litigation", starts_at=start)
        loan = factories.LoanFactory(borrower=us)
        Payment.objects.create(
            platform=platform,
            loan=loan,
            external_id="P-1",
            amount=Decimal("10.00"),
            currency="CNY",
            paid_at=start + dt.timedelta(days=400),
        )

    # Two years and a day later: CN's 2 years have passed; the US borrower's 3 have not.
    with time_machine.travel(start + dt.timedelta(days=731), tick=True):
        out = io.StringIO()
        call_command("purge_records", "--dry-run", stdout=out)
        assert f"borrower {cn.pk}: CN, 2 years" in out.getvalue()
        assert f"borrower {us.pk}:" not in out.getvalue()
        assert Erasure.objects.count() == 0

        result = records_purge_task()

    assert result == {"erased": [cn.pk], "refused": [held.pk]}
    cn.refresh_from_db()
    held.refresh_from_db()
    assert cn.full_name == f"erased-{cn.pk}" and held.full_name == "Held CN"
    assert Erasure.objects.get(borrower=cn).reason == "retention"
    assert evidence.verify(borrower_ids=[cn.pk, us.pk, held.pk]).ok
    # An erased borrower is not purged twice; an open case keeps a borrower out of the purge.
    with time_machine.travel(start + dt.timedelta(days=3000), tick=True):
        factories.CaseFactory(loan=loan)
        due = {item.borrower_id for item in lifecycle.retention_due(now=start + dt.timedelta(days=3000))}
    assert due == {held.pk}
