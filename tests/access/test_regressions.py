"""The defects of the outside audit (issue 14 item 3), each pinned: a compliance officer changed cases,
a supervisor read every team's QA scorecards, a staff session on the API saw every platform's rows; and
the matrix itself, written out so that a change to it is a visible change to this test."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from accounts.models import Role
from accounts.roles import MATRIX, Perm, can
from borrowers.models import Hold, OptOut
from repayment_plans.models import Plan, Promise
from supervision import selectors, services
from supervision.models import QualityReview, QualitySample
from tests import factories
from tests.supervision.factories import ContactFactory

from .conftest import TODAY, Book, make_case

pytestmark = pytest.mark.django_db

SCORECARD = {
    "identity_verified": True,
    "disclosure_made": True,
    "tone": 4,
    "no_prohibited_content": True,
    "correct_outcome": True,
    "comment": "",
}


# --- the matrix -----------------------------------------------------------------------------------------------


def test_the_matrix():
    V, W, O, A, S, AU, AD, OP = list(Perm)  # noqa: N806, E741 - the table's column names
    expected = {
        Role.COLLECTOR: {V, W},
        Role.AGENCY_COLLECTOR: {V, W},
        Role.SUPERVISOR: {V, W, O, A, S, AU, OP},
        Role.COMPLIANCE: {V, AU},  # reads and audits; never changes a case
        Role.ADMIN: {V, W, O, A, S, AU, AD, OP},
    }
    assert expected == MATRIX
    assert set(MATRIX) == set(Role)


def test_a_superuser_may_do_everything_and_an_inactive_user_nothing(db):
    root = factories.UserFactory(role=Role.COMPLIANCE, is_superuser=True)
    gone = factories.UserFactory(role=Role.SUPERVISOR, is_active=False)
    assert all(can(root, perm) for perm in Perm)
    assert not any(can(gone, perm) for perm in Perm)


# --- a compliance officer reads, never writes -------------------------------------------------------------


def _writes(client, case):
    """The four writes of the audit's report, with valid data: promise, hold, opt-out, plan proposal."""
    due = str(TODAY + dt.timedelta(days=3))
    return [
        client.post(reverse("case-promise", args=[case.pk]), {"amount": "100.00", "due_date": due}),
        client.post(reverse("case-hold", args=[case.pk]), {"kind": "dispute", "note": "says it was paid"}),
        client.post(reverse("case-opt-out", args=[case.pk]), {"channel": "sms", "point": ""}),
        client.post(
            reverse("plan-new", args=[case.pk]),
            {
                "action": "propose",
                "kind": "installment",
                "first_due_date": str(TODAY + dt.timedelta(days=7)),
                "installment_count": "3",
                "frequency": "monthly",
            },
        ),
    ]


def _counts() -> tuple[int, int, int, int]:
    return Promise.objects.count(), Hold.objects.count(), OptOut.objects.count(), Plan.objects.count()


def test_a_compliance_officer_cannot_promise_hold_opt_out_or_propose_a_plan(client, book: Book, platform):
    case = make_case(platform, assigned_to=book.users["collector"])  # open, no plan yet
    before = _counts()
    client.force_login(book.users["compliance"])

    assert [r.status_code for r in _writes(client, case)] == [403, 403, 403, 403]
    assert _counts() == before  # nothing written, and no plan became active

    # Reading is theirs: the case page opens, without the forms that would change the case.
    page = client.get(reverse("case-detail", args=[case.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="promise-form"' not in html and 'id="hold-form"' not in html
    assert reverse("plan-new", args=[case.pk]) not in html
    assert client.get(reverse("plan-new", args=[case.pk])).status_code == 403


def test_the_same_writes_by_the_cases_collector_go_through(client, book: Book, platform):
    """The control: the data above is valid, so the 403s are the matrix's, not a form's."""
    case = make_case(platform, assigned_to=book.users["collector"])
    before = _counts()
    client.force_login(book.users["collector"])

    assert [r.status_code for r in _writes(client, case)] == [302, 302, 302, 302]
    assert [a - b for a, b in zip(_counts(), before, strict=True)] == [1, 1, 1, 1]


def test_a_compliance_officer_cannot_write_through_the_api_by_session_either(client, book: Book):
    case = book.in_house.case
    before = _counts()
    client.force_login(book.users["compliance"])  # a staff user
    due = str(TODAY + dt.timedelta(days=3))

    promise = client.post(
        f"/api/v1/cases/{case.pk}/promises/", {"amount": "100.00", "due_date": due}, content_type="application/json"
    )
    hold = client.post(
        f"/api/v1/borrowers/{case.borrower.external_id}/holds/", {"kind": "cease"}, content_type="application/json"
    )
    contact = client.post(
        "/api/v1/contacts/",
        {"borrower": case.borrower.external_id, "channel": "call", "direction": "inbound"},
        content_type="application/json",
    )

    assert (promise.status_code, hold.status_code, contact.status_code) == (403, 403, 403)
    assert _counts() == before
    assert client.get(f"/api/v1/cases/{case.pk}/promises/").status_code == 200  # reading is allowed


def test_nobody_but_a_supervisor_or_administrator_overrides_a_block(client, book: Book):
    decision = book.in_house.decision
    url = reverse("case-override", args=[book.in_house.case.pk])
    for role in ("collector", "compliance"):
        client.force_login(book.users[role])
        assert client.post(url, {"decision": decision.pk, "reason": "asked to"}).status_code == 403
    assert not decision.overrides.exists()


# --- QA scorecards: a supervisor sees their own team's ----------------------------------------------------------


@pytest.fixture
def two_teams(book: Book, admin_user):
    """A scorecard for a call by each team: East's (the book's) and West's."""
    east = book.in_house.sample
    west = book.other_team_sample
    for sample in (east, west):
        services.quality_review_save(sample=sample, reviewer=admin_user, data=SCORECARD)
    west_supervisor = factories.UserFactory(
        username="west-supervisor", role=Role.SUPERVISOR, team=west.contact.actor_user.team
    )
    return east, west, west_supervisor


def test_a_supervisor_sees_their_teams_scorecards_only(client, book: Book, two_teams):
    east, west, west_supervisor = two_teams
    supervisor = book.users["supervisor"]  # team East

    assert set(QualitySample.objects.visible_to(supervisor)) >= {east}
    assert west not in QualitySample.objects.visible_to(supervisor)
    assert set(QualityReview.objects.visible_to(supervisor)) == {east.review}
    assert {r["collector"] for r in selectors.quality_results(user=supervisor)} == {"collector"}

    client.force_login(supervisor)
    page = client.get(reverse("supervision:quality"))
    assert {s.pk for s in page.context["samples"]} >= {east.pk}
    assert west.pk not in {s.pk for s in page.context["samples"]}
    assert {r["collector"] for r in page.context["results"]} == {"collector"}
    assert client.get(reverse("supervision:quality-review", args=[west.pk])).status_code == 404
    assert client.get(reverse("supervision:quality-review", args=[east.pk])).status_code == 200

    # And the other way round.
    client.force_login(west_supervisor)
    page = client.get(reverse("supervision:quality"))
    # West's own; never East's, nor the agency's calls on the case East placed (visibility follows
    # responsibility: that placement is East's).
    assert {s.pk for s in page.context["samples"]} == {west.pk}
    assert book.placed.sample.pk in {s.pk for s in QualitySample.objects.visible_to(supervisor)}
    assert {r["collector"] for r in page.context["results"]} == {"west1"}
    assert client.get(reverse("supervision:quality-review", args=[east.pk])).status_code == 404


def test_administrators_and_compliance_see_every_scorecard(book: Book, two_teams):
    east, west, _west_supervisor = two_teams
    for role in ("admin", "compliance"):
        assert {east, west} <= set(QualitySample.objects.visible_to(book.users[role]))
        assert {r["collector"] for r in selectors.quality_results(user=book.users[role])} == {"collector", "west1"}


def test_a_supervisor_samples_only_their_own_teams_calls(book: Book):
    supervisor = book.users["supervisor"]
    west_call = book.other_team_sample.contact
    QualitySample.objects.all().delete()
    mine = ContactFactory(
        borrower=book.in_house.case.borrower,
        case=book.in_house.case,
        actor_user=book.users["collector"],
        at=west_call.at,
    )

    result = services.quality_samples_draw(
        user=supervisor, date_from=TODAY - dt.timedelta(days=1), date_to=TODAY + dt.timedelta(days=1), share_percent=100
    )

    sampled = {s.contact_id for s in result.created}
    assert mine.pk in sampled and west_call.pk not in sampled


def test_the_audit_export_narrows_rows_by_the_same_rule(client, book: Book):
    west_call = book.other_team_sample.contact
    east_call = book.in_house.contact

    def exported(role: str) -> str:
        client.force_login(book.users[role])
        response = client.get(reverse("supervision:audit"), {"export": "csv"})
        assert response.status_code == 200
        return b"".join(response.streaming_content).decode()

    supervisor_rows = {line.split(",")[1] for line in exported("supervisor").splitlines()[1:]}
    assert str(east_call.pk) in supervisor_rows and str(west_call.pk) not in supervisor_rows
    compliance_rows = {line.split(",")[1] for line in exported("compliance").splitlines()[1:]}
    assert {str(east_call.pk), str(west_call.pk)} <= compliance_rows


# --- the API by session -------------------------------------------------------------------------------------------


def _ids(response) -> set:
    assert response.status_code == 200, response.content[:500]
    return {row["id"] for row in response.json()["results"]}


def test_a_staff_session_sees_exactly_the_rows_its_user_sees_on_the_pages(client, book: Book, platform):
    from cases.models import Case

    supervisor = book.users["supervisor"]  # staff, team East
    west_case = Case.objects.get(assigned_to__username="west1", platform=platform)
    other = book.other_platform_case
    client.force_login(supervisor)

    cases = _ids(client.get("/api/v1/cases/?limit=1000"))
    assert cases == set(Case.objects.visible_to(supervisor).values_list("pk", flat=True))
    assert book.in_house.case.pk in cases and book.placed.case.pk in cases  # team cases and agency placements
    assert west_case.pk not in cases and other.pk not in cases  # another team's, another platform's
    for hidden in (west_case, other):
        assert client.get(f"/api/v1/cases/{hidden.pk}/").status_code == 404
        assert client.get(f"/api/v1/borrowers/{hidden.borrower.external_id}/").status_code == 404
        assert client.get(f"/api/v1/loans/{hidden.loan.external_id}/").status_code == 404
    borrowers = {row["external_id"] for row in client.get("/api/v1/borrowers/?limit=1000").json()["results"]}
    assert book.in_house.case.borrower.external_id in borrowers
    assert west_case.borrower.external_id not in borrowers and other.borrower.external_id not in borrowers
    contacts = _ids(client.get("/api/v1/contacts/?limit=1000"))
    assert book.in_house.contact.pk in contacts and book.other_team_sample.contact_id not in contacts


def test_administrators_and_compliance_see_every_platform_by_session(client, book: Book):
    from cases.models import Case

    for role in ("admin", "compliance"):
        client.force_login(book.users[role])
        assert _ids(client.get("/api/v1/cases/?limit=1000")) == set(Case.objects.values_list("pk", flat=True))


def test_a_session_of_a_user_who_is_not_staff_is_refused(client, book: Book):
    client.force_login(book.users["collector"])
    assert client.get("/api/v1/cases/").status_code == 403
    assert client.get(f"/api/v1/cases/{book.in_house.case.pk}/").status_code == 403


def test_platform_data_is_written_by_session_by_administrators_only(client, book: Book, platform):
    from tests.api.helpers import borrower_payload

    body = {**borrower_payload(external_id="NEW-1"), "platform": platform.pk}
    client.force_login(book.users["supervisor"])
    assert client.post("/api/v1/borrowers/", body, content_type="application/json").status_code == 403
    client.force_login(book.users["admin"])
    assert client.post("/api/v1/borrowers/", body, content_type="application/json").status_code == 201


def test_the_delivery_log_by_session_is_the_supervisors_as_on_its_page(client, book: Book):
    client.force_login(book.users["supervisor"])
    assert client.get("/api/v1/webhooks/events/").status_code == 200
    client.force_login(book.users["compliance"])
    assert client.get("/api/v1/webhooks/events/").status_code == 403


def test_a_platform_key_still_sees_its_own_platform_only(api, book: Book):
    other = book.other_platform_case
    listed = _ids(api.get("/api/v1/cases/?limit=1000"))
    assert book.in_house.case.pk in listed and other.pk not in listed
    assert api.get(f"/api/v1/cases/{other.pk}/").status_code == 404
    assert api.get(f"/api/v1/borrowers/{other.borrower.external_id}/").status_code == 404
