"""Delinquency pauses (issue 18 item 5): the DPD stands still while a pause covers the day, a backdated
pause recomputes it, pauses never overlap, and the API creates, lists and ends them."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from borrowers.models import Hold, HoldKind
from cases.delinquency import paused_days, refresh_delinquency
from cases.models import Case, CaseEvent, CaseStatus, Loan, Stage
from cases.pauses import loan_pause_create, loan_pause_end
from tests.factories import BorrowerFactory, InstallmentFactory, LoanFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 6, 15)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(dt.datetime(2026, 6, 15, 6, 0, tzinfo=dt.UTC), tick=False) as traveller:
        yield traveller


def _overdue_loan(days: int, **loan_fields) -> Loan:
    """A loan whose one installment fell due `days` before DAY, refreshed (so it has its case)."""
    loan = LoanFactory(**loan_fields)
    InstallmentFactory(
        loan=loan,
        seq=1,
        due_date=DAY - dt.timedelta(days=days),
        principal_due=Decimal("500.00"),
        interest_due=Decimal("0"),
        fee_due=Decimal("0"),
    )
    refresh_delinquency(loan_ids=[loan.pk], today=DAY)
    loan.refresh_from_db()
    return loan


def _dpd_on(loan: Loan, day: dt.date) -> int:
    refresh_delinquency(today=day)
    loan.refresh_from_db()
    return loan.dpd


def test_paused_days_arithmetic():
    due = dt.date(2026, 1, 1)
    # Paused from the 5th, open: on the 10th, days 5..10 are paused.
    assert paused_days([(dt.date(2026, 1, 5), None)], due, dt.date(2026, 1, 10)) == 6
    # A pause from before the due date counts only the days after it.
    assert paused_days([(dt.date(2025, 12, 1), dt.date(2026, 1, 3))], due, dt.date(2026, 1, 10)) == 2
    # A pause ended before the due date, or starting after today, counts nothing.
    assert paused_days([(dt.date(2025, 12, 1), dt.date(2025, 12, 31))], due, dt.date(2026, 1, 10)) == 0
    assert paused_days([(dt.date(2026, 2, 1), None)], due, dt.date(2026, 1, 10)) == 0


def test_the_dpd_stands_still_across_refreshes_during_a_pause_and_grows_again_after_it():
    loan = _overdue_loan(28)
    assert loan.dpd == 28 and loan.stage == Stage.M1
    loan_pause_create(
        loan=loan, starts_on=DAY + dt.timedelta(days=1), ends_on=DAY + dt.timedelta(days=10), reason="flood"
    )
    # Every day of the pause the refresh leaves the DPD (and so the stage) where it was.
    for offset in (1, 2, 5, 10):
        assert _dpd_on(loan, DAY + dt.timedelta(days=offset)) == 28
    case = Case.objects.get(loan=loan, status=CaseStatus.OPEN)
    assert case.dpd == 28 and case.stage == Stage.M1
    # The day after the pause's last day the clock runs again: without the pause it would be M2.
    assert _dpd_on(loan, DAY + dt.timedelta(days=11)) == 29
    assert _dpd_on(loan, DAY + dt.timedelta(days=13)) == 31
    assert Case.objects.get(pk=case.pk).stage == Stage.M2


def test_a_backdated_pause_recomputes_the_dpd_at_once():
    loan = _overdue_loan(40)
    assert loan.dpd == 40 and loan.stage == Stage.M2
    pause = loan_pause_create(loan=loan, starts_on=DAY - dt.timedelta(days=20), reason="hardship review")
    loan.refresh_from_db()
    # Twenty days behind before the pause; its 21 days (20 ago .. today) do not count.
    assert loan.dpd == 19 and loan.stage == Stage.M1
    case = Case.objects.get(loan=loan, status=CaseStatus.OPEN)
    assert case.dpd == 19 and case.stage == Stage.M1
    assert case.events.filter(kind=CaseEvent.Kind.PAUSED, reason="hardship review").exists()
    # The pause's hold starts on the borrower's first paused day and has no end yet.
    hold = Hold.objects.get(pk=pause.hold_id)
    assert hold.kind == HoldKind.PAUSED and hold.loan_id == loan.pk and hold.ends_at is None

    # Ended early (yesterday was its last day): today counts again.
    loan_pause_end(pause=pause, ends_on=DAY - dt.timedelta(days=1))
    loan.refresh_from_db()
    assert loan.dpd == 20
    hold.refresh_from_db()
    assert hold.ends_at is not None and hold.ends_at.date() <= DAY
    assert case.events.filter(kind=CaseEvent.Kind.PAUSE_ENDED).exists()


def test_a_loan_paused_before_it_fell_behind_keeps_its_case():
    loan = _overdue_loan(-2)  # due in two days: a pre-due case
    loan_pause_create(loan=loan, starts_on=DAY, reason="disaster relief")
    loan.refresh_from_db()
    refresh_delinquency(today=DAY + dt.timedelta(days=10))
    loan.refresh_from_db()
    assert loan.dpd == 0 and loan.overdue_amount == Decimal("500.00")
    # Behind (an overdue amount), only not counting days: the case stays open, it is not "cured".
    assert Case.objects.filter(loan=loan, status=CaseStatus.OPEN).exists()


def test_overlapping_pauses_are_rejected():
    from django.core.exceptions import ValidationError

    loan = _overdue_loan(10)
    loan_pause_create(loan=loan, starts_on=DAY, ends_on=DAY + dt.timedelta(days=5), reason="a")
    with pytest.raises(ValidationError) as exc:
        loan_pause_create(loan=loan, starts_on=DAY + dt.timedelta(days=5), reason="b")
    assert "starts_on" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        loan_pause_create(loan=loan, starts_on=DAY - dt.timedelta(days=3), ends_on=DAY, reason="c")
    assert "starts_on" in exc.value.message_dict
    # Adjacent is fine.
    loan_pause_create(loan=loan, starts_on=DAY + dt.timedelta(days=6), ends_on=DAY + dt.timedelta(days=7), reason="d")
    assert loan.pauses.count() == 2


# --- the API ----------------------------------------------------------------------------------------------


def test_the_api_creates_lists_and_ends_a_pause(api, platform):
    loan = _overdue_loan(40, platform=platform, borrower=BorrowerFactory(platform=platform))
    url = f"/api/v1/loans/{loan.external_id}/pauses/"
    created = api.post(url, {"starts_on": "2026-05-26", "reason": "natural disaster"}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["starts_on"] == "2026-05-26" and body["ends_on"] is None and body["reason"] == "natural disaster"
    assert api.get(f"/api/v1/loans/{loan.external_id}/").json()["dpd"] == 19

    listed = api.get(url).json()
    assert [p["id"] for p in listed["results"]] == [body["id"]]

    ended = api.patch(f"/api/v1/pauses/{body['id']}/", {"ends_on": "2026-06-14"}, format="json")
    assert ended.status_code == 200 and ended.json()["ends_on"] == "2026-06-14"
    assert api.get(f"/api/v1/loans/{loan.external_id}/").json()["dpd"] == 20


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reason": "x"}, "starts_on"),
        ({"starts_on": "2026-06-01"}, "reason"),
        ({"starts_on": "2026-13-01", "reason": "x"}, "starts_on"),
        ({"starts_on": "2026-06-10", "ends_on": "2026-06-01", "reason": "x"}, "ends_on"),
        ({"starts_on": "2026-06-01", "reason": 5}, "reason"),
        ({"starts_on": "2026-06-01", "reason": "   "}, "reason"),
    ],
)
def test_bad_pause_input_is_a_400_naming_the_field(api, platform, body, field):
    loan = _overdue_loan(10, platform=platform, borrower=BorrowerFactory(platform=platform))
    response = api.post(f"/api/v1/loans/{loan.external_id}/pauses/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not loan.pauses.exists()


def test_another_platforms_loan_and_pause_are_404(api, other_api, platform):
    loan = _overdue_loan(10, platform=platform, borrower=BorrowerFactory(platform=platform))
    created = api.post(
        f"/api/v1/loans/{loan.external_id}/pauses/", {"starts_on": "2026-06-01", "reason": "x"}, format="json"
    )
    assert created.status_code == 201
    assert (
        other_api.post(
            f"/api/v1/loans/{loan.external_id}/pauses/", {"starts_on": "2026-06-01", "reason": "x"}
        ).status_code
        == 404
    )
    assert (
        other_api.patch(f"/api/v1/pauses/{created.json()['id']}/", {"ends_on": "2026-06-02"}, format="json").status_code
        == 404
    )


def test_a_retried_pause_with_its_idempotency_key_gets_the_first_answer(api, platform):
    loan = _overdue_loan(10, platform=platform, borrower=BorrowerFactory(platform=platform))
    url = f"/api/v1/loans/{loan.external_id}/pauses/"
    body = {"starts_on": "2026-06-10", "reason": "agreed payment holiday"}
    first = api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="pause-1")
    again = api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="pause-1")
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert loan.pauses.count() == 1
    other = api.post(url, {**body, "reason": "other"}, format="json", HTTP_IDEMPOTENCY_KEY="pause-1")
    assert other.status_code == 409
    # Without a key, the same pause again overlaps the first: a 400 naming starts_on, nothing written.
    repeated = api.post(url, body, format="json")
    assert repeated.status_code == 400 and "starts_on" in repeated.json()
    assert loan.pauses.count() == 1


# --- the pause and its hold end together ------------------------------------------------------------------


def test_ending_a_pause_lifts_its_hold_at_the_end_of_its_last_day_on_the_borrowers_clock():
    loan = _overdue_loan(40)
    pause = loan_pause_create(loan=loan, starts_on=dt.date(2026, 5, 26), reason="complaint under review")
    loan_pause_end(pause=pause, ends_on=dt.date(2026, 6, 14))
    # The borrower is in Shanghai (CN-31): the 14th ends at 16:00 UTC.
    assert Hold.objects.get(pk=pause.hold_id).ends_at == dt.datetime(2026, 6, 14, 16, 0, tzinfo=dt.UTC)
    # Ending it again on the same day (a retry) records nothing more.
    loan_pause_end(pause=pause, ends_on=dt.date(2026, 6, 14))
    assert CaseEvent.objects.filter(case__loan=loan, kind=CaseEvent.Kind.PAUSE_ENDED).count() == 1


def test_lifting_a_pauses_hold_through_the_holds_api_ends_the_pause(api, platform):
    loan = _overdue_loan(40, platform=platform, borrower=BorrowerFactory(platform=platform))
    pause = loan_pause_create(loan=loan, starts_on=dt.date(2026, 5, 26), reason="complaint under review")
    assert Loan.objects.get(pk=loan.pk).dpd == 19

    # 06:00 UTC is 14:00 in Shanghai: the 15th is the pause's last day, the hold lasts until its end.
    lifted = api.patch(f"/api/v1/holds/{pause.hold_id}/", {"ends_at": "2026-06-15T06:00:00Z"}, format="json")
    assert lifted.status_code == 200, lifted.content
    assert dt.datetime.fromisoformat(lifted.json()["ends_at"]) == dt.datetime(2026, 6, 15, 16, 0, tzinfo=dt.UTC)
    pause.refresh_from_db()
    assert pause.ends_on == DAY
    # The clock runs again from the next day (the pause's path: its refresh and its case event).
    assert _dpd_on(loan, DAY) == 19
    assert _dpd_on(loan, DAY + dt.timedelta(days=1)) == 20
    assert CaseEvent.objects.filter(case__loan=loan, kind=CaseEvent.Kind.PAUSE_ENDED).count() == 1

    # A retry changes nothing and answers the same.
    again = api.patch(f"/api/v1/holds/{pause.hold_id}/", {"ends_at": "2026-06-15T06:00:00Z"}, format="json")
    assert again.status_code == 200 and again.json() == lifted.json()
    assert CaseEvent.objects.filter(case__loan=loan, kind=CaseEvent.Kind.PAUSE_ENDED).count() == 1


def test_lifting_a_pauses_hold_before_the_pause_starts_is_a_400_on_ends_at(api, platform):
    loan = _overdue_loan(40, platform=platform, borrower=BorrowerFactory(platform=platform))
    pause = loan_pause_create(loan=loan, starts_on=dt.date(2026, 6, 10), reason="payment holiday")
    response = api.patch(f"/api/v1/holds/{pause.hold_id}/", {"ends_at": "2026-06-01T06:00:00Z"}, format="json")
    assert response.status_code == 400 and "ends_at" in response.json()
    pause.refresh_from_db()
    assert pause.ends_on is None and Hold.objects.get(pk=pause.hold_id).ends_at is None


def test_lifting_any_other_hold_through_the_api_is_unchanged(api, platform):
    borrower = BorrowerFactory(platform=platform)
    hold = Hold.objects.create(
        borrower=borrower, kind=HoldKind.DISPUTE, starts_at=dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    )
    response = api.patch(f"/api/v1/holds/{hold.pk}/", {"ends_at": "2026-06-15T06:00:00Z"}, format="json")
    assert response.status_code == 200 and dt.datetime.fromisoformat(response.json()["ends_at"]) == dt.datetime(
        2026, 6, 15, 6, 0, tzinfo=dt.UTC
    )
