"""Small defects of the collector's pages (issue 15): the header offers only the pages the role matrix
lets the user open (compliance officers saw links that answered 403); each payment once on the timeline;
the English templates say "days past due" right for one day too; "Result" and "Outcome" read differently
in Chinese."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import Role
from cases.models import CaseEvent
from cases.services import payment_record
from outreach.default_strategies import PLAN_TEMPLATES, TEMPLATES, seed_strategies
from outreach.models import MessageTemplate
from outreach.rendering import reminder_context, render_template
from tests import factories

from .conftest import day_place, make_case

pytestmark = pytest.mark.django_db


def test_each_payment_is_on_the_timeline_once(client, collector):
    case = make_case(place=day_place(), assigned_to=collector)
    payment_record(
        platform=case.platform,
        loan=case.loan,
        external_id="P-1",
        amount=Decimal("123.45"),
        paid_at=timezone.now() - dt.timedelta(hours=1),
    )
    assert case.events.filter(kind=CaseEvent.Kind.PAYMENT).exists()  # the refresh wrote its event
    client.force_login(collector)

    timeline = client.get(f"/cases/{case.pk}/").context["timeline"]

    payments = [item for item in timeline if "Payment received" in item.title]
    assert len(payments) == 1 and payments[0].kind == "payment" and "123.45" in payments[0].detail


@pytest.mark.parametrize("dpd", [1, 2])
def test_no_english_template_says_1_days(collector, dpd):
    seed_strategies()
    case = make_case(place=day_place(), assigned_to=collector, dpd=dpd)
    for template in MessageTemplate.objects.filter(language="en"):
        rendered = render_template(
            template,
            reminder_context(case=case, due_date=timezone.localdate(), channel=template.channel, language="en"),
        )
        assert "1 days" not in rendered.body
    english = [t["body"] for t in [*TEMPLATES, *PLAN_TEMPLATES] if t["language"] == "en"]
    assert not [body for body in english if "{dpd} days" in body]


def test_result_and_outcome_differ_in_chinese():
    with translation.override("zh-hans"):
        assert translation.gettext("Result") != translation.gettext("Outcome")


@pytest.mark.parametrize("role", [Role.COLLECTOR, Role.AGENCY_COLLECTOR, Role.SUPERVISOR, Role.COMPLIANCE, Role.ADMIN])
def test_every_header_link_opens_for_the_role(client, team, agency, role):
    user = factories.UserFactory(
        role=role, team=team, agency=agency if role == Role.AGENCY_COLLECTOR else None, is_staff=role == Role.ADMIN
    )
    client.force_login(user)

    html = client.get("/cases/").content.decode()
    nav = html[html.index('class="mainnav"') : html.index("</nav>")]
    links = re.findall(r'href="([^"]+)"', nav)

    assert links
    answers = {link: client.get(link).status_code for link in links + ["/search/?q=x"]}
    assert all(code == 200 for code in answers.values()), answers
    if role == Role.COMPLIANCE:
        forbidden = {reverse(name) for name in ("supervision:dashboard", "supervision:approvals", "webhook-event-list")}
        assert not forbidden & set(links)
