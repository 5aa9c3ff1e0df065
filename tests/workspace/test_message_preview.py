"""A templated SMS or e-mail previewed before it is sent (issue 15, item 5): rendered for the case,
screened for prohibited wording, and judged by the gate's preview on that very text; nothing is written."""

from __future__ import annotations

import pytest

from compliance.models import Decision
from contacts.models import ContactAttempt
from outreach.models import MessageTemplate, OutboundMessage

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _template(body: str, channel: str = "sms", code: str = "t") -> MessageTemplate:
    # objects.create: no full_clean, as a template saved before templates were screened on save.
    return MessageTemplate.objects.create(
        code=f"{code}-{channel}", channel=channel, language="en", subject="About {loan_ref}", body=body
    )


def _url(case, channel="sms"):
    return f"/cases/{case.pk}/message/{channel}/preview/"


def _point(case):
    return f"phone:{case.borrower.phones.get().pk}"


def test_the_preview_renders_the_template_for_the_case_and_writes_nothing(client, collector, day_case):
    template = _template("Dear {borrower_name}, {amount} {currency} is overdue on {loan_ref}. Reply STOP to opt out.")
    client.force_login(collector)

    response = client.get(_url(day_case), {"point": _point(day_case), "template": template.pk}, **HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert f"Dear {day_case.borrower.full_name}, 1,060.00 CNY is overdue on {day_case.loan.external_id}." in html
    assert "the gate would allow this message now" in html
    assert not Decision.objects.exists() and not ContactAttempt.objects.exists()
    assert not OutboundMessage.objects.exists()


def test_prohibited_wording_is_shown_and_the_gate_would_refuse(client, collector, day_case):
    template = _template("Pay {amount} today or else. Reply STOP to opt out.", code="bad")
    client.force_login(collector)

    html = client.get(_url(day_case), {"point": _point(day_case), "template": template.pk}, **HTMX).content.decode()

    assert "Prohibited wording:" in html and "or else" in html
    assert "The gate would refuse this message now:" in html


def test_an_email_preview_shows_the_subject(client, collector, day_case):
    template = _template("Dear {borrower_name}. Reply 'unsubscribe' to unsubscribe.", channel="email")
    client.force_login(collector)
    point = f"email:{day_case.borrower.emails.get().pk}"

    html = client.get(_url(day_case, "email"), {"point": point, "template": template.pk}, **HTMX).content.decode()

    assert f"About {day_case.loan.external_id}" in html


def test_at_night_the_preview_says_the_gate_would_refuse(client, collector, night_case):
    template = _template("Dear {borrower_name}. Reply STOP to opt out.")
    client.force_login(collector)

    html = client.get(_url(night_case), {"point": _point(night_case), "template": template.pk}, **HTMX).content.decode()

    assert "The gate would refuse this message now:" in html
    assert "Outside the permitted hours" in html


def test_without_a_template_the_preview_answers_400_with_the_field(client, collector, day_case):
    client.force_login(collector)
    response = client.get(_url(day_case), {"point": _point(day_case)}, **HTMX)
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()


def test_without_javascript_the_preview_is_a_page(client, collector, day_case):
    template = _template("Dear {borrower_name}. Reply STOP to opt out.")
    client.force_login(collector)
    html = client.get(_url(day_case), {"point": _point(day_case), "template": template.pk}).content.decode()
    assert "<html" in html and f'href="/cases/{day_case.pk}/"' in html


def test_the_case_page_offers_the_preview_button(client, collector, day_case):
    _template("Dear {borrower_name}. Reply STOP to opt out.")
    client.force_login(collector)
    html = client.get(f"/cases/{day_case.pk}/").content.decode()
    assert 'id="sms-preview-button"' in html
