"""The portal's pages: the second factor (and its limits), what is owed, and each action through the same
services as a collector's, recorded with the actor "borrower (portal)"."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client, override_settings

from borrowers.models import Hold, HoldKind, OptOut
from cases.models import CaseEvent
from outreach.models import Task, TaskKind, TaskStatus
from portal.models import AgreementAcceptance, PortalAction, PortalActionKind, PortalAttempt
from portal.services import Verification, portal_link_create, portal_verify
from repayment_plans.models import Plan, PlanStatus, Promise
from tests.factories import CaseFactory, InstallmentFactory

from .conftest import BIRTHDAY, NOW, TODAY

pytestmark = pytest.mark.django_db


def _url(name: str, token: str) -> str:
    return f"/p/{token}/" + ("" if name == "entry" else f"{name}/")


# --- the link and the second factor ---------------------------------------------------------------------


def test_the_right_date_of_birth_opens_the_portal(client: Client, link_and_token):
    link, token = link_and_token
    page = client.get(_url("entry", token))
    assert page.status_code == 200 and b"date of birth" in page.content.lower()
    assert client.get(_url("home", token)).status_code == 302  # not yet confirmed
    response = client.post(_url("entry", token), {"answer": BIRTHDAY.isoformat()})
    assert response.status_code == 302 and response["Location"] == _url("home", token)
    home = client.get(_url("home", token))
    assert home.status_code == 200
    assert b"L-PORTAL-1" in home.content and b"3,180.00" in home.content
    link.refresh_from_db()
    assert link.verified_at is not None


def test_a_wrong_answer_is_refused_and_recorded(client: Client, link_and_token):
    link, token = link_and_token
    response = client.post(_url("entry", token), {"answer": "1980-05-18"}, REMOTE_ADDR="198.51.100.7")
    assert response.status_code == 200 and b"does not match" in response.content
    assert client.get(_url("home", token)).status_code == 302
    attempt = PortalAttempt.objects.get()
    assert attempt.link == link and attempt.ip == "198.51.100.7" and not attempt.succeeded


def test_the_national_id_factor_when_the_platform_chooses_it(client: Client, link_and_token):
    link, token = link_and_token
    link.case.platform.portal_second_factor = "national_id_last4"
    link.case.platform.save()
    assert b"last four" in client.get(_url("entry", token)).content.lower()
    assert client.post(_url("entry", token), {"answer": "1234"}).status_code == 200
    response = client.post(_url("entry", token), {"answer": "123x"})  # the X of an id in either case
    assert response.status_code == 302


@override_settings(PORTAL_LINK_FAILURES=5, PORTAL_FAILURE_WINDOW_MINUTES=30)
def test_brute_force_on_one_link_is_stopped(link_and_token, frozen_clock):
    link, _token = link_and_token
    for day in range(1, 6):
        assert portal_verify(link=link, answer=dt.date(1980, 1, day), ip=f"203.0.113.{day}") == Verification.WRONG
    # The sixth guess is not even checked, the right one included, from any address.
    assert portal_verify(link=link, answer=BIRTHDAY, ip="203.0.113.99") == Verification.LOCKED
    assert PortalAttempt.objects.count() == 5
    frozen_clock.shift(dt.timedelta(minutes=31))
    assert portal_verify(link=link, answer=BIRTHDAY, ip="203.0.113.99") == Verification.CONFIRMED


@override_settings(PORTAL_LINK_FAILURES=5, PORTAL_IP_FAILURES=8)
def test_brute_force_from_one_address_across_links_is_stopped(case):
    links = [portal_link_create(case=case)[0] for _ in range(3)]
    for i in range(8):
        assert portal_verify(link=links[i % 3], answer=dt.date(1970, 1, 1 + i), ip="192.0.2.1") == Verification.WRONG
    assert portal_verify(link=links[0], answer=BIRTHDAY, ip="192.0.2.1") == Verification.LOCKED
    assert portal_verify(link=links[0], answer=BIRTHDAY, ip="192.0.2.2") == Verification.CONFIRMED


@override_settings(PORTAL_LINK_FAILURES=2)
def test_the_page_says_when_attempts_are_locked(client: Client, link_and_token):
    _link, token = link_and_token
    for _ in range(2):
        client.post(_url("entry", token), {"answer": "1999-01-01"})
    response = client.post(_url("entry", token), {"answer": BIRTHDAY.isoformat()})
    assert response.status_code == 200 and b"Too many attempts" in response.content
    assert client.get(_url("home", token)).status_code == 302


def test_no_stored_factor_means_no_entry(client: Client, link_and_token):
    link, token = link_and_token
    link.case.borrower.date_of_birth = None
    link.case.borrower.save()
    assert portal_verify(link=link, answer=BIRTHDAY, ip=None) == Verification.UNAVAILABLE
    assert b"cannot confirm" in client.get(_url("entry", token)).content


def test_an_expired_or_tampered_link_answers_410(client: Client, link_and_token, frozen_clock):
    link, token = link_and_token
    assert client.get(_url("entry", "x" * 43)).status_code == 410
    assert client.get(_url("home", token[:-1] + ("a" if token[-1] != "a" else "b"))).status_code == 410
    frozen_clock.move_to(link.expires_at + dt.timedelta(seconds=1))
    assert client.get(_url("entry", token)).status_code == 410


def test_confirming_one_link_opens_no_other_borrowers_link(signed_in: Client, platform):
    other_case = CaseFactory(loan__borrower__platform=platform, loan__borrower__date_of_birth=BIRTHDAY)
    InstallmentFactory(loan=other_case.loan)
    _other, other_token = portal_link_create(case=other_case)
    other_token = other_token.rstrip("/").rsplit("/", 1)[-1]
    assert signed_in.get(_url("home", other_token)).status_code == 302


def test_pages_answer_in_the_borrowers_language(signed_in: Client, link_and_token):
    link, token = link_and_token
    link.case.borrower.language = "zh-hans"
    link.case.borrower.save()
    response = signed_in.get(_url("home", token))
    assert response["Content-Language"] == "zh-hans"
    assert "您的欠款".encode() in response.content


# --- what the borrower does -----------------------------------------------------------------------------


def _recorded(kind: str) -> PortalAction:
    action = PortalAction.objects.get(kind=kind)
    event = CaseEvent.objects.get(kind=CaseEvent.Kind.NOTE, data__portal_action=kind)
    assert event.data["actor"] == "borrower_portal" and event.data["portal_link"] == action.link_id
    assert event.reason.startswith("borrower (portal)")
    return action


def test_pay_hands_off_to_the_platforms_page(signed_in: Client, link_and_token):
    _link, token = link_and_token
    page = signed_in.get(_url("pay", token))
    assert page.status_code == 200 and b'value="2120.00"' in page.content  # the overdue amount suggested
    response = signed_in.post(_url("pay", token), {"amount": "500.00"}, REMOTE_ADDR="198.51.100.1")
    assert response.status_code == 200
    assert b"https://pay.example.com/checkout?amount=500.00&amp;currency=CNY&amp;ref=L-PORTAL-1" in response.content
    assert _recorded(PortalActionKind.PAY).ip == "198.51.100.1"


def test_pay_refuses_more_than_the_balance(signed_in: Client, link_and_token):
    _link, token = link_and_token
    response = signed_in.post(_url("pay", token), {"amount": "3180.01"})
    assert response.status_code == 200 and b"pay.example.com" not in response.content
    assert not PortalAction.objects.exists()


def test_promise_within_the_platforms_limits(signed_in: Client, link_and_token):
    link, token = link_and_token
    too_late = TODAY + dt.timedelta(days=15)
    response = signed_in.post(_url("promise", token), {"amount": "300.00", "due_date": too_late.isoformat()})
    assert response.status_code == 200 and not Promise.objects.exists()
    due = TODAY + dt.timedelta(days=14)
    response = signed_in.post(_url("promise", token), {"amount": "300.00", "due_date": due.isoformat()})
    assert response.status_code == 302
    promise = Promise.objects.get()
    assert promise.case == link.case and promise.amount == Decimal("300.00") and promise.due_date == due
    assert _recorded(PortalActionKind.PROMISE).data["promise"] == promise.pk


def test_promise_in_the_past_is_refused_by_the_same_service(signed_in: Client, link_and_token):
    _link, token = link_and_token
    past = TODAY - dt.timedelta(days=1)
    response = signed_in.post(_url("promise", token), {"amount": "300.00", "due_date": past.isoformat()})
    assert response.status_code == 200 and b"past" in response.content
    assert not Promise.objects.exists()


def test_opt_out_of_one_number(signed_in: Client, link_and_token):
    link, token = link_and_token
    response = signed_in.post(_url("preferences", token), {"channel": "sms", "to": "+86 139 0000 1111"})
    assert response.status_code == 302
    opt_out = OptOut.objects.get()
    assert opt_out.borrower == link.case.borrower and opt_out.channel == "sms" and opt_out.to == "+8613900001111"
    _recorded(PortalActionKind.OPT_OUT)


def test_opt_out_of_a_whole_channel(signed_in: Client, link_and_token):
    _link, token = link_and_token
    assert signed_in.post(_url("preferences", token), {"channel": "call", "to": ""}).status_code == 302
    assert OptOut.objects.get().to == ""


def test_dispute_holds_the_loan_and_asks_a_person(signed_in: Client, link_and_token):
    link, token = link_and_token
    response = signed_in.post(_url("dispute", token), {"note": "I repaid this in cash."})
    assert response.status_code == 302
    hold = Hold.objects.get()
    assert hold.kind == HoldKind.DISPUTE and hold.loan == link.case.loan and "I repaid this in cash." in hold.note
    assert hold.is_active(NOW + dt.timedelta(minutes=5))
    task = Task.objects.get(case=link.case, status=TaskStatus.OPEN)
    assert task.kind == TaskKind.CALL and "dispute" in task.reason
    _recorded(PortalActionKind.DISPUTE)


def test_hardship_records_the_vulnerability_and_asks_a_person(signed_in: Client, link_and_token):
    link, token = link_and_token
    response = signed_in.post(_url("hardship", token), {"vulnerabilities": ["unemployed"], "note": "Lost my job."})
    assert response.status_code == 302
    link.case.borrower.refresh_from_db()
    assert "unemployed" in link.case.borrower.vulnerabilities
    assert "unemployed" in Task.objects.get(case=link.case, status=TaskStatus.OPEN).reason
    _recorded(PortalActionKind.HARDSHIP)


def test_an_open_call_task_takes_the_request(signed_in: Client, link_and_token):
    link, token = link_and_token
    existing = Task.objects.create(case=link.case, kind=TaskKind.CALL, due_at=NOW + dt.timedelta(days=2))
    signed_in.post(_url("dispute", token), {"note": "Not mine."})
    existing.refresh_from_db()
    assert Task.objects.filter(status=TaskStatus.OPEN).count() == 1
    assert "dispute" in existing.reason and existing.due_at <= NOW + dt.timedelta(minutes=5)


def test_actions_need_the_second_factor(client: Client, link_and_token):
    _link, token = link_and_token
    for name in ("pay", "promise", "preferences", "dispute", "hardship"):
        assert client.post(_url(name, token), {"note": "x", "channel": "sms", "amount": "1"}).status_code == 302
    assert not PortalAction.objects.exists() and not Hold.objects.exists() and not OptOut.objects.exists()


# --- repayment plans ------------------------------------------------------------------------------------


def test_the_offers_are_those_within_the_platforms_limits(signed_in: Client, link_and_token):
    _link, token = link_and_token
    page = signed_in.get(_url("plans", token)).content.decode()
    # PLAN_PLATFORM_MAX_MONTHS (6): 2, 3, 4 and 6 monthly payments and both deferrals; 9 and 12 need a supervisor.
    for code in ("installment-2", "installment-3", "installment-4", "installment-6", "deferral-30", "deferral-60"):
        assert f"offer={code}" in page
    assert "offer=installment-9" not in page and "offer=installment-12" not in page


def test_choosing_a_plan_shows_its_agreement_then_activates_it(signed_in: Client, link_and_token):
    link, token = link_and_token
    accept_url = _url("plans/accept", token)
    page = signed_in.get(accept_url, {"offer": "installment-3"})
    assert page.status_code == 200
    assert b"Repayment agreement" in page.content or b"agreement" in page.content.lower()
    assert b"1,060.00" in page.content  # 3,180.00 in three
    refused = signed_in.post(accept_url, {"offer": "installment-3"})
    assert refused.status_code == 200 and b"Tick the box" in refused.content and not Plan.objects.exists()
    response = signed_in.post(accept_url, {"offer": "installment-3", "accept": "yes"}, REMOTE_ADDR="198.51.100.9")
    assert response.status_code == 302
    plan = Plan.objects.get(case=link.case)
    assert plan.status == PlanStatus.ACTIVE and plan.installment_count == 3 and plan.total_amount == Decimal("3180.00")
    assert plan.agreement_pdf  # the same written agreement as a collector's plan
    acceptance = AgreementAcceptance.objects.get(plan=plan)
    assert acceptance.link == link and acceptance.ip == "198.51.100.9"
    assert dt.timedelta(0) <= acceptance.accepted_at - NOW < dt.timedelta(minutes=5)
    assert _recorded(PortalActionKind.PLAN).data["plan"] == plan.pk
    shown = signed_in.get(_url("plans", token)).content
    assert b"active" in shown and b"offer=" not in shown


def test_an_offer_beyond_the_limits_cannot_be_posted(signed_in: Client, link_and_token):
    _link, token = link_and_token
    response = signed_in.post(_url("plans/accept", token), {"offer": "installment-12", "accept": "yes"})
    assert response.status_code == 302 and not Plan.objects.exists()


def test_asking_for_more_makes_a_task(signed_in: Client, link_and_token):
    link, token = link_and_token
    response = signed_in.post(_url("plans/more", token), {"note": "I can pay 200 a month."})
    assert response.status_code == 302
    assert "another arrangement" in Task.objects.get(case=link.case, status=TaskStatus.OPEN).reason
    assert _recorded(PortalActionKind.MORE_HELP).data["note"] == "I can pay 200 a month."
