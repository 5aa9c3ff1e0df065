"""The contact audit: each filter narrows the list correctly, the export matches, access is checked."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse

from supervision.audit import AuditFilters, audit_rows

from .conftest import D1, D2
from .factories import DecisionFactory

pytestmark = pytest.mark.django_db


def _ids(book, **filters):
    return book.row_ids(audit_rows(AuditFilters(**filters), user=filters.pop("user", None) or book.user))


@pytest.fixture
def as_supervisor(book, supervisor):
    book.user = supervisor
    return book


def test_no_filter_lists_every_contact_and_the_decisions_that_wrote_none(as_supervisor):
    b = as_supervisor
    assert _ids(b) == {
        ("contact", b.c1.pk),
        ("contact", b.c2.pk),
        ("contact", b.c3.pk),
        ("contact", b.c4.pk),
        ("contact", b.c5.pk),
        ("decision", b.blocked_overridden.pk),
        ("decision", b.blocked_cap.pk),
    }


def test_newest_first(as_supervisor):
    rows = list(audit_rows(AuditFilters(), user=as_supervisor.user))
    times = [r["r_at"] for r in rows]
    assert times == sorted(times, reverse=True)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"channel": "sms"}, {("contact", "c2")}),
        ({"outcome": "no_answer"}, {("contact", "c3")}),
        ({"result": "blocked"}, {("decision", "blocked_overridden"), ("decision", "blocked_cap")}),
        ({"result": "overridden"}, {("contact", "c5")}),
        ({"result": "not_gated"}, {("contact", "c4")}),
        ({"result": "allowed"}, {("contact", "c1"), ("contact", "c2"), ("contact", "c3")}),
        ({"rule": "daily_answered_cap"}, {("decision", "blocked_cap")}),
        # The overriding contact carries the rule of the block it overrode.
        (
            {"rule": "quiet_hours"},
            {("decision", "blocked_overridden"), ("decision", "blocked_cap"), ("contact", "c5")},
        ),
        ({"borrower": "Zhang"}, {("contact", "c2"), ("contact", "c5"), ("decision", "blocked_overridden")}),
    ],
)
def test_each_filter_narrows(as_supervisor, filters, expected):
    b = as_supervisor
    names = {"c1": b.c1, "c2": b.c2, "c3": b.c3, "c4": b.c4, "c5": b.c5}
    names |= {"blocked_overridden": b.blocked_overridden, "blocked_cap": b.blocked_cap}
    assert _ids(b, **filters) == {(kind, names[name].pk) for kind, name in expected}


def test_date_range_is_inclusive_whole_days_in_the_users_zone(as_supervisor):
    b = as_supervisor
    # D1 is 02:00 UTC, 10:00 in Shanghai: the same day in both zones.
    assert _ids(b, date_from=D1.date(), date_to=D1.date()) == {("contact", b.c1.pk), ("contact", b.c4.pk)}
    # In New York, D1 02:00 UTC is still the previous evening, and D2's early hours fall on D1.
    assert _ids(b, date_from=D1.date(), date_to=D1.date(), zone="America/New_York") == {
        ("contact", b.c2.pk),
        ("contact", b.c3.pk),
        ("decision", b.blocked_cap.pk),
    }
    ny_day_before = D1.date() - dt.timedelta(days=1)
    assert _ids(b, date_from=ny_day_before, date_to=ny_day_before, zone="America/New_York") == {
        ("contact", b.c1.pk),
        ("contact", b.c4.pk),
    }


def test_collector_team_and_agency_filters(as_supervisor, collector, other_collector, agency, team):
    b = as_supervisor
    assert _ids(b, collector=collector) == {("contact", b.c1.pk), ("decision", b.blocked_cap.pk)}
    assert _ids(b, collector=other_collector) == {("contact", b.c2.pk), ("decision", b.blocked_overridden.pk)}
    assert _ids(b, agency=agency) == {("contact", b.c3.pk)}
    # The team's collectors and its supervisor (who made the override call).
    assert _ids(b, team=team) == _ids(b) - {("contact", b.c3.pk), ("contact", b.c4.pk)}


def test_a_team_supervisor_sees_nothing_of_another_teams_cases(book, platform):
    from tests.factories import TeamFactory, UserFactory

    outsider = UserFactory(role="supervisor", team=TeamFactory(name="West"))
    # Not even the agency's call on the case East placed: that placement is East's (accounts.roles).
    assert book.row_ids(audit_rows(AuditFilters(), user=outsider)) == set()


def test_the_page_filters_and_bounds_its_queries(client, as_supervisor, django_assert_max_num_queries):
    client.force_login(as_supervisor.user)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("supervision:audit"), {"channel": "call", "result": "allowed"})
    assert response.status_code == 200
    rows = response.context["rows"]
    assert {r["r_contact"] for r in rows} == {as_supervisor.c1.pk, as_supervisor.c3.pk}
    assert b"Export CSV" in response.content


def test_htmx_gets_only_the_table(client, as_supervisor):
    client.force_login(as_supervisor.user)
    response = client.get(reverse("supervision:audit"), {"channel": "sms"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert b'id="audit-rows"' in response.content


def test_csv_export_streams_the_filtered_rows(client, as_supervisor):
    b = as_supervisor
    client.force_login(b.user)
    response = client.get(reverse("supervision:audit"), {"date_from": D2.date(), "date_to": D2.date(), "export": "csv"})
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content).decode()
    assert body.startswith("\ufeff")  # the byte order mark: Excel then reads the file as UTF-8
    rows = list(csv.DictReader(io.StringIO(body.removeprefix("\ufeff"))))
    assert [r["Record"] for r in rows] == ["Contact", "Contact", "Decision"]
    assert {(r["Record"], r["Contact ID"] or r["Decision ID"]) for r in rows} == {
        ("Contact", str(b.c2.pk)),
        ("Contact", str(b.c3.pk)),
        ("Decision", str(b.blocked_cap.pk)),
    }
    blocked = next(r for r in rows if r["Record"] == "Decision")
    assert blocked["Result"] == "Blocked"
    assert blocked["Rule codes"] == "daily_answered_cap quiet_hours"
    assert blocked["Rules"] == "Daily answered-call limit; Permitted contact hours"
    agency_row = next(r for r in rows if r["Contact ID"] == str(b.c3.pk))
    assert (agency_row["Actor"], agency_row["Agency"], agency_row["Outcome"], agency_row["Channel"]) == (
        "agent",
        "Acme Recoveries",
        "No answer",
        "Call",
    )
    assert agency_row["Time (UTC)"] == (D2 + dt.timedelta(hours=1)).isoformat()


def test_csv_export_in_chinese_has_chinese_headers_and_labels_and_a_bom(client, as_supervisor):
    b = as_supervisor
    b.user.language = "zh-hans"
    b.user.save(update_fields=["language"])
    client.force_login(b.user)
    response = client.get(reverse("supervision:audit"), {"date_from": D2.date(), "date_to": D2.date(), "export": "csv"})

    raw = b"".join(response.streaming_content)
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert "判定结果" in rows[0] and "规则" in rows[0] and "kind" not in rows[0]
    blocked = next(r for r in rows if r["判定编号"] == str(b.blocked_cap.pk))
    assert blocked["判定结果"] == "已拦截"
    assert blocked["规则"] == "每日接通次数上限; 允许联系时段"


def test_csv_cells_cannot_run_as_spreadsheet_formulas(client, supervisor, book):
    from .factories import ContactFactory

    ContactFactory(
        borrower=book.case1.borrower, case=book.case1, direction="inbound", outcome="connected", notes="=HYPERLINK(1)"
    )
    client.force_login(supervisor)
    body = b"".join(client.get(reverse("supervision:audit"), {"export": "csv"}).streaming_content).decode()
    assert "'=HYPERLINK(1)" in body


def test_contact_record_shows_decision_evidence_and_history(client, as_supervisor, collector):
    b = as_supervisor
    # A change to the case after the call, made by someone, shows up as a diff.
    b.case2.stage = "m2"
    b.case2._history_user = collector
    b.case2.save()
    client.force_login(b.user)
    response = client.get(reverse("supervision:audit-contact", args=[b.c5.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Borrower asked to be called back now" in html  # the override reason
    assert "quiet_hours" in html  # the rule it overrode
    assert "chain verifies" in html
    history = response.context["history"]
    stage_change = next(e for e in history if e.model == "Case" and e.kind == "~")
    assert [(c.old, c.new) for c in stage_change.changes if c.old == "m1"] == [("m1", "m2")]
    assert stage_change.who == collector.username


def test_blocked_decision_record(client, as_supervisor):
    client.force_login(as_supervisor.user)
    response = client.get(reverse("supervision:audit-decision", args=[as_supervisor.blocked_cap.pk]))
    assert response.status_code == 200
    assert "daily_answered_cap" in response.content.decode()


def test_compliance_officers_read_the_audit_but_collectors_may_not(client, book, compliance_officer, collector):
    client.force_login(compliance_officer)
    assert client.get(reverse("supervision:audit")).status_code == 200
    assert client.get(reverse("supervision:audit-contact", args=[book.c1.pk])).status_code == 200
    assert client.get(reverse("supervision:dashboard")).status_code == 403
    client.force_login(collector)
    assert client.get(reverse("supervision:audit")).status_code == 403
    assert client.get(reverse("supervision:audit"), {"export": "csv"}).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("supervision:audit"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_contact_outside_the_supervisors_cases_is_404(client, book):
    from tests.factories import TeamFactory, UserFactory

    outsider = UserFactory(role="supervisor", team=TeamFactory(name="West"))
    client.force_login(outsider)
    assert client.get(reverse("supervision:audit-contact", args=[book.c1.pk])).status_code == 404


def test_the_decision_record_names_its_rule_packs_and_rules(client, as_supervisor):
    b = as_supervisor
    decision = DecisionFactory(
        borrower=b.case1.borrower,
        case=b.case1,
        at=D2,
        allowed=False,
        reasons=[
            {"code": "daily_answered_cap", "message_en": "Cap", "message_zh": "上限"},
            {"code": "quiet_hours", "message_en": "Quiet hours", "message_zh": "时段"},
        ],
        rule_pack="US",
        pack_versions={"COMMON": 1, "US": 2},
    )
    client.force_login(b.user)

    html = client.get(reverse("supervision:audit-decision", args=[decision.pk])).content.decode()

    pack = html[html.index('id="rule-pack"') :][:300]
    assert "United States (federal), version 2; Common rules, version 1" in pack
    assert "{'COMMON': 1" not in html
    assert "Daily answered-call limit" in html and "Permitted contact hours" in html

    b.user.language = "zh-hans"
    b.user.save(update_fields=["language"])
    html = client.get(reverse("supervision:audit-decision", args=[decision.pk])).content.decode()
    assert "美国（联邦），第 2 版；通用规则，第 1 版" in html
    assert "每日接通次数上限" in html
