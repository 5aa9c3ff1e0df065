"""The case page's pause, write-off and legal path panel: a supervisor's forms, the lawyer letter sent
through the gate as a letter, both languages; a collector sees the panel but not the forms."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cases.delinquency import refresh_delinquency
from cases.models import CaseEvent, LawyerLetter, LegalStage, Loan
from compliance.models import Decision

from .conftest import day_place, make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(collector):
    case = make_case(place=day_place(), assigned_to=collector)
    refresh_delinquency(loan_ids=[case.loan_id])
    return case


def test_a_supervisor_pauses_writes_off_and_refers_the_case_from_its_page(client, supervisor, case):
    client.force_login(supervisor)
    today = timezone.localdate()
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'id="legal-panel"' in page and 'id="pause-form"' in page and 'id="write-off-form"' in page

    response = client.post(
        f"/cases/{case.pk}/pause/", {"starts_on": (today - dt.timedelta(days=5)).isoformat(), "reason": "flood"}
    )
    assert response.status_code == 302
    loan = Loan.objects.get(pk=case.loan_id)
    assert loan.dpd == 14  # 20 days behind, the last 6 paused
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "Paused" in page and "flood" in page and "End the pause" in page
    pause = loan.pauses.get()
    client.post(f"/cases/{case.pk}/pauses/{pause.pk}/end/", {"ends_on": (today - dt.timedelta(days=1)).isoformat()})
    pause.refresh_from_db()
    assert pause.ends_on == today - dt.timedelta(days=1)

    response = client.post(
        f"/cases/{case.pk}/legal/",
        {"kind": "referred", "forum": "Fair & Square LLP", "started_on": today.isoformat(), "send_letter": "on"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.legal_stage == LegalStage.REFERRED
    letter = LawyerLetter.objects.get(proceeding__case=case)
    # Sent through the gate as a letter: an allowed decision, then the print queue.
    assert letter.status == LawyerLetter.Status.QUEUED_FOR_PRINT and letter.language == "en"
    decision = Decision.objects.get(pk=letter.decision_id)
    assert decision.allowed and decision.channel == "letter"
    assert "Fair & Square LLP" in letter.body and loan.external_id in letter.body
    printed = client.get(f"/cases/{case.pk}/lawyer-letters/{letter.pk}/")
    assert printed.status_code == 200 and "Lawyer&#x27;s letter" in printed.content.decode()

    response = client.post(f"/cases/{case.pk}/write-off/", {"reason": "uncollectable"})
    assert response.status_code == 302
    assert Loan.objects.get(pk=case.loan_id).written_off_on == today
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "Written off" in page and "Automated reminders are frozen" in page
    assert case.events.filter(kind=CaseEvent.Kind.WRITTEN_OFF, actor=supervisor).exists()


def test_bad_input_comes_back_as_a_message_and_writes_nothing(client, supervisor, case):
    client.force_login(supervisor)
    response = client.post(
        f"/cases/{case.pk}/legal/", {"kind": "litigation", "forum": "", "started_on": "x"}, follow=True
    )
    assert response.status_code == 200
    assert not case.legal_proceedings.exists()
    assert "legal-panel" in response.content.decode()


def test_a_collector_sees_the_panel_but_may_not_act(client, collector, case):
    client.force_login(collector)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'id="legal-panel"' in page and 'id="write-off-form"' not in page
    assert client.post(f"/cases/{case.pk}/write-off/", {"reason": "x"}).status_code == 403
    assert Loan.objects.get(pk=case.loan_id).written_off_on is None


def test_the_panel_and_the_letter_in_chinese(client, supervisor, case):
    supervisor.language = "zh-hans"
    supervisor.save()
    case.borrower.language = "zh-hans"
    case.borrower.save()
    client.force_login(supervisor)
    client.post(
        f"/cases/{case.pk}/legal/",
        {
            "kind": "referred",
            "forum": "上海某律师事务所",
            "started_on": timezone.localdate().isoformat(),
            "send_letter": "on",
        },
    )
    letter = LawyerLetter.objects.get(proceeding__case=case)
    assert letter.language == "zh-hans" and letter.body.startswith("律师函")
    assert letter.status == LawyerLetter.Status.QUEUED_FOR_PRINT
    page = client.get(f"/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "暂停、核销与法律程序" in page and "律师函" in page


def test_a_lawyer_letter_is_blocked_by_the_gate_while_the_loan_is_paused(client, supervisor, case):
    client.force_login(supervisor)
    today = timezone.localdate()
    client.post(f"/cases/{case.pk}/pause/", {"starts_on": today.isoformat(), "reason": "complaint under review"})
    response = client.post(
        f"/cases/{case.pk}/legal/",
        {"kind": "referred", "forum": "Fair & Square LLP", "started_on": today.isoformat(), "send_letter": "on"},
        follow=True,
    )
    letter = LawyerLetter.objects.get(proceeding__case=case)
    assert letter.status == LawyerLetter.Status.BLOCKED
    assert [r["code"] for r in letter.reasons] == ["hold_paused"]
    assert not Decision.objects.get(pk=letter.decision_id).allowed
    # The referral stands; the letter's block is said as an error.
    kinds = {m.level_tag: str(m) for m in response.context["messages"]}
    assert "Lawyer letter blocked by compliance" in kinds["error"] and "Legal stage" in kinds["success"]


def test_the_timeline_names_the_legal_stages_in_words(client, supervisor, case):
    client.force_login(supervisor)
    today = timezone.localdate().isoformat()
    client.post(f"/cases/{case.pk}/legal/", {"kind": "referred", "forum": "Firm", "started_on": today})
    client.post(f"/cases/{case.pk}/legal/", {"kind": "mediation", "forum": "Committee", "started_on": today})
    details = [item.detail for item in client.get(f"/cases/{case.pk}/").context["timeline"]]
    assert "Legal referral (lawyer letter) → Pre-litigation mediation" in details
