"""Dashboard figures against a book whose every number was worked out by hand (see each test)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from cases.models import Case, CaseEvent
from supervision import selectors
from tests.factories import BorrowerFactory, CaseFactory, LoanFactory

from .factories import CaseEventFactory, ContactFactory, DecisionFactory, PaymentFactory, PromiseFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 3, 20)  # the period is January, February and March 2025


def at(month: int, day: int, hour: int = 10, year: int = 2025) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def in_english():
    """The figures' labels are in the active language: English here, whatever an earlier test's request
    left active in this thread."""
    with translation.override("en"):
        yield


@pytest.fixture
def portfolio(platform, other_platform, collector, other_collector, agency_collector, agency):
    for user, first, last in ((collector, "Li", "Na"), (other_collector, "Zhou", "Min")):
        user.first_name, user.last_name = first, last
        user.save(update_fields=["first_name", "last_name"])

    def case(assignee, stage: str, overdue: str, opened: dt.datetime, **kwargs) -> Case:
        borrower = BorrowerFactory(platform=kwargs.pop("on", platform))
        c = CaseFactory(
            loan=LoanFactory(borrower=borrower, currency=kwargs.pop("currency", "CNY")),
            assigned_to=assignee,
            stage=stage,
            overdue_amount=Decimal(overdue),
            **kwargs,
        )
        Case.objects.filter(pk=c.pk).update(opened_at=opened)
        CaseEventFactory(case=c, kind=CaseEvent.Kind.OPENED, new_value="m1", at=opened)
        return c

    a = case(collector, "m2", "100.00", at(1, 10))
    b = case(other_collector, "m1", "250.00", at(2, 5), currency="USD")
    c = case(agency_collector, "m3", "50.00", at(12, 1, year=2024), agency=agency, placing_team=collector.team)
    d = case(collector, "m1", "0.00", at(1, 20), status="closed", closed_at=at(2, 15), close_reason="cured")
    e = case(other_collector, "m1", "0.00", at(3, 1, 8), status="closed", closed_at=at(3, 10), close_reason="paid_off")
    other = case(None, "m1", "999.00", at(1, 2), on=other_platform)
    # Stage moves: A m1→m2 on Feb 12; C m1→m2 on Jan 5, m2→m3 on Feb 6.
    for cs, old, new, when in ((a, "m1", "m2", at(2, 12)), (c, "m1", "m2", at(1, 5)), (c, "m2", "m3", at(2, 6))):
        CaseEventFactory(case=cs, kind=CaseEvent.Kind.STAGE_CHANGED, old_value=old, new_value=new, at=when)

    for cs, status, due in (
        (a, "kept", dt.date(2025, 1, 15)),
        (b, "broken", dt.date(2025, 2, 10)),
        (b, "partly_kept", dt.date(2025, 2, 20)),
        (a, "pending", dt.date(2025, 3, 5)),
        (e, "kept", dt.date(2025, 3, 1)),
        (a, "kept", dt.date(2024, 12, 1)),
    ):
        PromiseFactory(case=cs, status=status, due_date=due)

    def contact(cs: Case, when: dt.datetime, **kwargs):
        return ContactFactory(borrower=cs.borrower, case=cs, loan=cs.loan, at=when, **kwargs)

    contact(a, at(1, 10), outcome="right_party")
    contact(a, at(1, 11), outcome="no_answer")
    contact(b, at(2, 3), outcome="promise")
    contact(b, at(2, 4), party="third_party", outcome="third_party_reached")
    contact(e, at(3, 2), outcome="connected")
    contact(c, at(3, 3), channel="sms", outcome="delivered")
    contact(e, at(3, 4), direction="inbound", outcome="connected")

    for cs, when, amount in (
        (a, at(1, 12), "100.00"),
        (a, at(1, 5), "999.00"),  # before collection started on A: not recovered
        (b, at(2, 20), "200.00"),
        (c, at(3, 5), "300.00"),
        (d, at(2, 14), "400.00"),
        (d, at(2, 20), "50.00"),  # after D was closed
        (e, at(3, 9), "500.00"),
    ):
        PaymentFactory(loan=cs.loan, currency=cs.loan.currency, paid_at=when, amount=Decimal(amount))

    for cs, when, reasons, extra in (
        (a, at(1, 15), ["quiet_hours"], {}),
        (b, at(2, 1), ["quiet_hours", "daily_answered_cap"], {}),
        (b, at(3, 1), ["quiet_hours"], {"dry_run": True}),
        (b, at(12, 1, year=2024), ["quiet_hours"], {}),
    ):
        DecisionFactory(
            borrower=cs.borrower, case=cs, at=when, allowed=False, reasons=[{"code": r} for r in reasons], **extra
        )
    DecisionFactory(borrower=a.borrower, case=a, at=at(3, 2), allowed=True)
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "other": other}


@pytest.fixture
def figures(portfolio, admin_user):
    return selectors.dashboard(user=admin_user, months=3, today=TODAY)


def test_months(figures):
    assert figures["months"] == ["2025-01", "2025-02", "2025-03"]


def test_open_cases_and_amounts_by_stage(figures):
    stages = {s["stage"]: (s["cases"], {a["currency"]: a["amount"] for a in s["amounts"]}) for s in figures["stages"]}
    # Open: A m2 100 CNY, B m1 250 USD, C m3 50 CNY, the other platform's m1 999 CNY: m1 is 999 CNY and
    # 250 USD, never 1,249.
    assert stages == {
        "pre_due": (0, {}),
        "m1": (2, {"CNY": Decimal("999.00"), "USD": Decimal("250.00")}),
        "m2": (1, {"CNY": Decimal("100.00")}),
        "m3": (1, {"CNY": Decimal("50.00")}),
        "m3_plus": (0, {}),
    }


def test_roll_rates(figures):
    # Jan: only C is in a stage on Jan 1 (m1) and is m2 on Feb 1.
    # Feb: on Feb 1 A, D and the other platform's case are m1, C m2; on Mar 1 A is m2, D closed, C m3.
    # Mar: on Mar 1 B and the other case m1, A m2, C m3 (E opened later that day); nobody moves by Apr 1.
    assert figures["roll_rates"] == {
        "pre_due>m1": [None, None, None],
        "m1>m2": [100.0, 33.3, 0.0],
        "m2>m3": [None, 100.0, 0.0],
        "m3>m3_plus": [None, None, 0.0],
    }


def test_cure_rate_of_the_cohort_entering_delinquency(figures):
    # Today is 20 March, so the 30-day window has ended for cases entering by 19 February. Entered in
    # January: A (10th), the other platform's case (2nd), D (20th, closed cured 15 February: 26 days);
    # February: B (5th). E entered on 1 March (window still open) and C in December: not in the cohort.
    assert figures["cure"] == {"cohort": 4, "cured": 1, "rate": 25.0, "window_days": 30, "by_month": [33.3, 0.0, None]}


def test_cure_rate_leaves_out_pre_due_cases_and_late_cures(platform, admin_user):
    def case(events: list[tuple[str, str, dt.datetime]], closed: dt.datetime, reason: str) -> Case:
        c = CaseFactory(
            loan=LoanFactory(borrower=BorrowerFactory(platform=platform)),
            stage="pre_due",
            status="closed",
            closed_at=closed,
            close_reason=reason,
        )
        for kind, stage, when in events:
            CaseEventFactory(case=c, kind=kind, new_value=stage, at=when)
        return c

    opened, moved = CaseEvent.Kind.OPENED, CaseEvent.Kind.STAGE_CHANGED
    # Paid before it was ever due: never delinquent, not in the cohort.
    case([(opened, "pre_due", at(1, 3))], at(1, 10), "paid_off")
    # Pre-due on 2 January, delinquent on 8 January, cured on 20 January (12 days): in and cured.
    case([(opened, "pre_due", at(1, 2)), (moved, "m1", at(1, 8))], at(1, 20), "cured")
    # Delinquent on 9 January, paid off on 20 February (42 days): in the cohort, not cured within 30 days.
    case([(opened, "m1", at(1, 9))], at(2, 20), "paid_off")
    # Delinquent on 11 January, closed in the same week for another reason: in, not cured.
    case([(opened, "m1", at(1, 11))], at(1, 15), "written_off")

    cure = selectors.dashboard(user=admin_user, months=3, today=TODAY)["cure"]

    assert (cure["cohort"], cure["cured"], cure["rate"]) == (3, 1, 33.3)
    assert cure["by_month"] == [33.3, None, None]


def test_promise_kept_rate(figures):
    # Resolved and due in the period: kept Jan, broken Feb, partly kept Feb, kept Mar → 2 of 4.
    assert figures["promises"] == {"resolved": 4, "kept": 2, "rate": 50.0, "by_month": [100.0, 0.0, 100.0]}


def test_right_party_contact_rate(figures):
    # Outbound calls: 2 in Jan (1 RPC), 2 in Feb (1 RPC; the third party does not count), 1 in Mar (RPC).
    contacts = figures["contacts"]
    assert (contacts["calls"], contacts["right_party"], contacts["rate"]) == (5, 3, 60.0)
    assert contacts["by_month"] == [50.0, 50.0, 100.0]
    assert contacts["contacts_by_month"] == [2, 2, 3]


def test_recovered_amounts_per_currency(figures):
    recovered = figures["recovered"]
    assert recovered["total"] == [
        {"currency": "CNY", "amount": Decimal("1300.00")},
        {"currency": "USD", "amount": Decimal("200.00")},
    ]
    assert recovered["by_month"] == {
        "CNY": [Decimal("100.00"), Decimal("400.00"), Decimal("800.00")],
        "USD": [Decimal("0"), Decimal("200.00"), Decimal("0")],
    }
    as_dict = {
        k: {(r["label"], r["currency"]): r["amount"] for r in recovered[k]}
        for k in ("by_channel", "by_collector", "by_agency")
    }
    # A's payment follows a call the day before; E's a call a week earlier; C's an SMS; B's and D's nothing.
    assert as_dict["by_channel"] == {
        ("Call", "CNY"): Decimal("600.00"),
        ("No contact in the 7 days before", "CNY"): Decimal("400.00"),
        ("SMS", "CNY"): Decimal("300.00"),
        ("No contact in the 7 days before", "USD"): Decimal("200.00"),
    }
    # Collectors by full name (the agency's collector has none: their username).
    assert as_dict["by_collector"] == {
        ("Li Na", "CNY"): Decimal("500.00"),
        ("Zhou Min", "CNY"): Decimal("500.00"),
        ("agent", "CNY"): Decimal("300.00"),
        ("Zhou Min", "USD"): Decimal("200.00"),
    }
    assert as_dict["by_agency"] == {
        ("(no agency)", "CNY"): Decimal("1000.00"),
        ("Acme Recoveries", "CNY"): Decimal("300.00"),
        ("(no agency)", "USD"): Decimal("200.00"),
    }


def test_recovered_is_credited_to_who_held_the_case_when_the_payment_arrived(
    platform, collector, supervisor, agency, admin_user
):
    """Paid at 15:52:00, placed with the agency at 15:52:35: the collector gets the first payment; a
    payment the next day goes to the agency; a payment after the recall to the collector it was then
    assigned to, though the case is now held by someone else."""
    collector.first_name, collector.last_name = "Li", "Na"
    collector.save(update_fields=["first_name", "last_name"])
    other = collector.__class__.objects.create(username="later", first_name="Later", last_name="Holder")
    case = CaseFactory(loan=LoanFactory(borrower=BorrowerFactory(platform=platform)), assigned_to=other, stage="m2")
    CaseEventFactory(case=case, kind=CaseEvent.Kind.OPENED, new_value="m1", at=at(1, 2))
    placed_at = dt.datetime(2025, 2, 3, 15, 52, 35, tzinfo=dt.UTC)
    events = (
        (CaseEvent.Kind.ASSIGNED, "", "collector", {}, at(1, 2)),
        (CaseEvent.Kind.PLACED, "", agency.name, {"agency_id": agency.pk, "previous_assignee": "collector"}, placed_at),
        (CaseEvent.Kind.RECALLED, agency.name, "", {"agency_id": agency.pk}, at(2, 20)),
        (CaseEvent.Kind.ASSIGNED, "", "collector", {}, at(2, 21)),
        (CaseEvent.Kind.ASSIGNED, "collector", "later", {}, at(3, 10)),
    )
    for kind, old, new, data, when in events:
        CaseEventFactory(case=case, kind=kind, old_value=old, new_value=new, data=data, at=when)
    for when, amount in (
        (dt.datetime(2025, 2, 3, 15, 52, 0, tzinfo=dt.UTC), "10.00"),
        (at(2, 4), "20.00"),
        (at(3, 1), "40.00"),
    ):
        PaymentFactory(loan=case.loan, paid_at=when, amount=Decimal(amount))

    recovered = selectors.dashboard(user=admin_user, months=3, today=TODAY)["recovered"]

    assert {r["label"]: r["amount"] for r in recovered["by_collector"]} == {
        "Li Na": Decimal("50.00"),
        "(no collector)": Decimal("20.00"),
    }
    assert {r["label"]: r["amount"] for r in recovered["by_agency"]} == {
        "(no agency)": Decimal("50.00"),
        "Acme Recoveries": Decimal("20.00"),
    }


def test_compliance_blocks(figures):
    # Dry runs, allowed decisions and December's block are not counted.
    assert figures["blocks"] == {
        "by_rule": [("quiet_hours", 2), ("daily_answered_cap", 1)],
        "by_month": [1, 1, 0],
        "total": 2,
    }


def test_platform_and_team_filters(portfolio, admin_user, platform, team):
    by_platform = selectors.dashboard(user=admin_user, months=3, today=TODAY, platform=platform)
    assert {s["stage"]: s["cases"] for s in by_platform["stages"]}["m1"] == 1
    by_team = selectors.dashboard(user=admin_user, months=3, today=TODAY, team=team)
    # The team's collectors hold A, B, D and E; the agency's C is not the team's.
    assert {s["stage"]: s["cases"] for s in by_team["stages"] if s["cases"]} == {"m1": 1, "m2": 1}
    assert by_team["recovered"]["total"] == [
        {"currency": "CNY", "amount": Decimal("1000.00")},
        {"currency": "USD", "amount": Decimal("200.00")},
    ]


def test_a_team_supervisor_sees_their_team_and_agency_placements(portfolio, supervisor):
    figures = selectors.dashboard(user=supervisor, months=3, today=TODAY)
    # Open cases of the team (A, B), the unassigned pool the supervisor distributes (the other platform's
    # case) and the agency placement (C).
    assert {s["stage"]: s["cases"] for s in figures["stages"] if s["cases"]} == {"m1": 2, "m2": 1, "m3": 1}


def test_the_page_renders_with_a_bounded_number_of_queries(
    client, portfolio, supervisor, django_assert_max_num_queries
):
    client.force_login(supervisor)
    # 12 months: one roll-rate query per month plus a fixed number for everything else.
    with django_assert_max_num_queries(35):
        response = client.get(reverse("supervision:dashboard"), {"months": 12})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="dashboard-data"' in html
    assert "js/vendor/chart.umd.min.js" in html
    assert html.count("<canvas") == 8


def _chart_data(html: str) -> dict:
    start = html.index('id="dashboard-data"')
    return json.loads(html[html.index(">", start) + 1 : html.index("</script>", start)])


@time_machine.travel(dt.datetime(2025, 3, 20, 12, tzinfo=dt.UTC), tick=True)
def test_the_page_shows_money_per_currency_and_names_not_codes(client, portfolio, admin_user):
    client.force_login(admin_user)
    html = client.get(reverse("supervision:dashboard"), {"months": 3}).content.decode()

    table = html[html.index('id="stage-table"') : html.index("</table>", html.index('id="stage-table"'))]
    assert '999.00 <span class="currency">CNY</span>' in table and '250.00 <span class="currency">USD</span>' in table
    assert "1,249" not in html and "1249" not in html
    kpi = html[html.index('data-kpi="recovered"') :][:400]
    assert '1,300.00 <span class="currency">CNY</span>' in kpi and '200.00 <span class="currency">USD</span>' in kpi
    data = _chart_data(html)
    assert [s["label"] for s in data["stages"]["amounts"]] == ["Overdue amount (CNY)", "Overdue amount (USD)"]
    assert [s["label"] for s in data["recovered"]["byMonth"]] == ["Recovered (CNY)", "Recovered (USD)"]
    assert data["recovered"]["channel"]["labels"] == ["Call", "No contact in the 7 days before", "SMS"]
    assert "Li Na" in data["recovered"]["holders"]["labels"]
    assert data["blocks"]["byRule"] == [["Permitted contact hours", 2], ["Daily answered-call limit", 1]]


@time_machine.travel(dt.datetime(2025, 3, 20, 12, tzinfo=dt.UTC), tick=True)
def test_the_page_in_chinese_names_rules_and_channels_in_chinese(client, portfolio, admin_user):
    admin_user.language = "zh-hans"
    admin_user.save(update_fields=["language"])
    client.force_login(admin_user)
    html = client.get(reverse("supervision:dashboard"), {"months": 3}).content.decode()

    data = _chart_data(html)
    assert data["blocks"]["byRule"] == [["允许联系时段", 2], ["每日接通次数上限", 1]]
    assert data["recovered"]["channel"]["labels"] == ["电话", "付款前 7 天内无联系", "短信"]
    assert [s["label"] for s in data["recovered"]["byMonth"]] == ["已回收 (CNY)", "已回收 (USD)"]
    assert "出催率" in html


@time_machine.travel(dt.datetime(2025, 3, 20, 12, tzinfo=dt.UTC), tick=True)
def test_a_stage_count_links_to_the_cases_behind_it(client, portfolio, admin_user):
    client.force_login(admin_user)
    html = client.get(reverse("supervision:dashboard"), {"months": 3}).content.decode()
    row = html[html.index('data-stage="m1"') :]
    row = row[: row.index("</tr>")]
    link = reverse("case-list") + "?stage=m1&amp;status=open"
    assert f'href="{link}"' in row

    listed = client.get(reverse("case-list"), {"stage": "m1", "status": "open"})
    # The figure (2 open M1 cases: B and the other platform's) is the list's count.
    assert {c.pk for c in listed.context["cases"]} == {portfolio["b"].pk, portfolio["other"].pk}
