"""Working a case: every action goes through the gate; a blocked one is refused even if posted."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from borrowers.models import Hold, OptOut
from compliance.models import Decision
from contacts.models import ContactAttempt
from outreach.models import MessageTemplate, OutboundMessage
from repayment_plans.models import Promise
from tests import factories

from .conftest import make_case, night_place

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _phone_point(case) -> str:
    return f"phone:{case.borrower.phones.get().pk}"


def test_starting_a_call_reserves_the_attempt_and_the_outcome_lands_in_the_timeline(client, collector, day_case):
    client.force_login(collector)

    started = client.post(f"/cases/{day_case.pk}/call/", {"point": _phone_point(day_case)}, **HTMX)

    contact = ContactAttempt.objects.get()
    assert contact.is_pending and contact.channel == "call" and contact.actor_user == collector
    assert contact.decision.allowed and contact.decision.actor_user == collector
    assert contact.to == day_case.borrower.phones.get().number
    assert f"/contacts/{contact.pk}/outcome/" in started.content.decode()

    recorded = client.post(
        f"/cases/{day_case.pk}/contacts/{contact.pk}/outcome/",
        {"outcome": "right_party", "duration_s": "95", "notes": "will pay Friday"},
        **HTMX,
    )

    contact.refresh_from_db()
    assert (contact.outcome, contact.duration_s, contact.notes) == ("right_party", 95, "will pay Friday")
    html = recorded.content.decode()
    # The refreshed timeline comes back out of band, with the call in it.
    assert 'id="timeline-panel" aria-labelledby="timeline-panel-title" hx-swap-oob="true"' in html
    assert "will pay Friday" in html and "Right party contact" in html


def test_an_outcome_is_recorded_once(client, collector, day_case):
    client.force_login(collector)
    client.post(f"/cases/{day_case.pk}/call/", {"point": _phone_point(day_case)}, **HTMX)
    contact = ContactAttempt.objects.get()
    url = f"/cases/{day_case.pk}/contacts/{contact.pk}/outcome/"
    client.post(url, {"outcome": "no_answer"}, **HTMX)

    second = client.post(url, {"outcome": "promise"}, **HTMX)

    contact.refresh_from_db()
    assert contact.outcome == "no_answer"
    assert "already been recorded" in second.content.decode()


def test_a_blocked_call_is_refused_when_posted_anyway(client, collector, night_case):
    client.force_login(collector)

    response = client.post(f"/cases/{night_case.pk}/call/", {"point": _phone_point(night_case)}, **HTMX)

    # 200 so that htmx swaps the block in place; the gate recorded the refusal and no attempt.
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="block-result"' in html and "Outside the permitted hours" in html
    assert "Override this block once" not in html  # collectors cannot override
    decision = Decision.objects.get()
    assert not decision.allowed and decision.reasons[0]["code"] == "quiet_hours"
    assert not ContactAttempt.objects.exists()


def test_a_supervisor_overrides_a_block_with_a_reason_and_then_records_the_call(client, supervisor, collector):
    case = make_case(place=night_place(), assigned_to=collector)
    client.force_login(supervisor)

    # Blocked points are offered to a supervisor, marked, so that the block can be overridden.
    assert "blocked, supervisor override" in client.get(f"/cases/{case.pk}/").content.decode()
    blocked = client.post(f"/cases/{case.pk}/call/", {"point": _phone_point(case)}, **HTMX)
    decision = Decision.objects.get()
    assert "Override this block once" in blocked.content.decode()

    empty = client.post(f"/cases/{case.pk}/override/", {"decision": decision.pk, "reason": " "}, **HTMX)
    assert not ContactAttempt.objects.exists() and "Not done" in empty.content.decode()
    done = client.post(
        f"/cases/{case.pk}/override/", {"decision": decision.pk, "reason": "Borrower asked for a call now"}, **HTMX
    )

    override = Decision.objects.get(override_of=decision)
    assert override.allowed and override.override_reason == "Borrower asked for a call now"
    contact = ContactAttempt.objects.get()
    assert contact.decision == override and contact.is_pending
    html = done.content.decode()
    assert f"/contacts/{contact.pk}/outcome/" in html
    assert "Block overridden" in html  # the timeline shows the override next to the block


def test_a_collector_may_not_override(client, collector, night_case):
    client.force_login(collector)
    client.post(f"/cases/{night_case.pk}/call/", {"point": _phone_point(night_case)}, **HTMX)
    decision = Decision.objects.get()

    response = client.post(f"/cases/{night_case.pk}/override/", {"decision": decision.pk, "reason": "please"})

    assert response.status_code == 403
    assert not Decision.objects.filter(override_of=decision).exists()


def test_a_cease_hold_cannot_be_overridden(client, supervisor, collector, day_case):
    factories.HoldFactory(borrower=day_case.borrower, kind="cease")
    client.force_login(supervisor)

    blocked = client.post(f"/cases/{day_case.pk}/call/", {"point": _phone_point(day_case)}, **HTMX)

    assert "The borrower asked us to stop contacting them." in blocked.content.decode()
    assert "Override this block once" not in blocked.content.decode()


def test_a_number_that_is_not_the_borrowers_cannot_be_called(client, collector, day_case):
    stranger = factories.PhoneFactory()  # someone else's phone
    client.force_login(collector)

    response = client.post(f"/cases/{day_case.pk}/call/", {"point": f"phone:{stranger.pk}"}, **HTMX)

    assert "Not done" in response.content.decode()
    assert not Decision.objects.exists()


def _template(body: str, channel: str = "sms") -> MessageTemplate:
    return MessageTemplate.objects.create(
        code=f"t-{channel}", channel=channel, language="en", subject="Loan", body=body
    )


def test_an_sms_is_rendered_with_the_case_data_sent_through_the_gate_and_the_gateway(
    client, collector, day_case, outbox
):
    template = _template("Hi {borrower_name}, {amount} {currency} is overdue on {loan_ref}. {opt_out}")
    client.force_login(collector)

    client.post(
        f"/cases/{day_case.pk}/message/sms/", {"point": _phone_point(day_case), "template": template.pk}, **HTMX
    )

    message = OutboundMessage.objects.get()
    assert message.status in ("sent", "delivered")
    assert day_case.borrower.full_name in message.body and day_case.loan.external_id in message.body
    assert "Reply STOP to opt out." in message.body
    assert message.decision.allowed and message.decision.message_digest
    assert message.contact.outcome == "delivered"
    assert list(outbox.iterdir())  # the file gateway wrote it


@pytest.fixture
def provider(settings):
    """A real loopback SMS provider (the reminders' gateway tests' own)."""
    from tests.outreach.test_gateways import Provider

    p = Provider()
    settings.SMS_GATEWAY, settings.SMS_GATEWAY_URL = "http", p.url
    yield p
    p.close()


def test_a_collectors_sms_goes_the_reminders_way_accepted_is_not_yet_delivered(client, collector, day_case, provider):
    template = _template("Hi {borrower_name}, please call us back. {opt_out}")
    client.force_login(collector)

    response = client.post(
        f"/cases/{day_case.pk}/message/sms/", {"point": _phone_point(day_case), "template": template.pk}, **HTMX
    )

    assert "Message sent." in response.content.decode()
    message = OutboundMessage.objects.get()
    assert (message.status, message.provider, message.send_attempts) == ("sent", "http", 1)
    # One idempotency key per decision, carried to the provider as a reminder's is.
    assert [r["key"] for r in provider.requests] == [f"workspace-{message.decision_id}"]
    # Accepted by the provider, not yet delivered: the contact waits for a receipt, as a reminder's does.
    assert message.contact.outcome == ""


def test_a_collectors_sms_the_provider_refuses_marks_the_number_invalid(
    client, collector, day_case, provider, django_capture_on_commit_callbacks
):
    template = _template("Hi {borrower_name}, please call us back. {opt_out}")
    provider.statuses = [400]
    client.force_login(collector)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/cases/{day_case.pk}/message/sms/", {"point": _phone_point(day_case), "template": template.pk}, **HTMX
        )

    assert "Sending failed: HTTP 400" in response.content.decode()
    message = OutboundMessage.objects.get()
    assert message.status == "failed" and message.contact.outcome == "failed"
    # What a bounced reminder does: the number is not offered again, and lost contact is checked.
    assert day_case.borrower.phones.get().invalid


def test_a_message_with_prohibited_words_is_blocked_by_the_gate_and_not_sent(client, collector, day_case, outbox):
    template = _template("Pay now or we will tell your employer and your family. {opt_out}")
    client.force_login(collector)

    response = client.post(
        f"/cases/{day_case.pk}/message/sms/", {"point": _phone_point(day_case), "template": template.pk}, **HTMX
    )

    assert 'id="block-result"' in response.content.decode()
    assert Decision.objects.get().reasons[0]["code"] == "prohibited_content"
    assert not OutboundMessage.objects.exists()
    assert not ContactAttempt.objects.exists()


def test_a_promise_is_taken_and_shown(client, collector, day_case):
    client.force_login(collector)
    due = timezone.localdate() + dt.timedelta(days=5)

    response = client.post(f"/cases/{day_case.pk}/promise/", {"amount": "250.50", "due_date": due.isoformat()}, **HTMX)

    promise = Promise.objects.get()
    assert (promise.case, promise.amount, promise.due_date, promise.created_by) == (
        day_case,
        Decimal("250.50"),
        due,
        collector,
    )
    assert "Promise to pay" in response.content.decode() and "250.50" in response.content.decode()


def test_a_promise_in_the_past_is_refused_with_the_reason(client, collector, day_case):
    client.force_login(collector)

    response = client.post(f"/cases/{day_case.pk}/promise/", {"amount": "10", "due_date": "2001-01-01"}, **HTMX)

    assert "The due date lies in the past." in response.content.decode()
    assert not Promise.objects.exists()


def test_a_hold_the_borrower_asks_for_stops_calls_at_once(client, collector, day_case):
    client.force_login(collector)

    response = client.post(f"/cases/{day_case.pk}/hold/", {"kind": "cease", "note": "asked on the phone"}, **HTMX)

    hold = Hold.objects.get()
    assert (hold.kind, hold.created_by, hold.loan) == ("cease", collector, None)
    html = response.content.decode()
    # The refreshed actions panel no longer offers the call.
    assert 'id="call-form"' not in html and "Calls are not allowed now." in html
    blocked = client.post(f"/cases/{day_case.pk}/call/", {"point": _phone_point(day_case)}, **HTMX)
    assert "The borrower asked us to stop contacting them." in blocked.content.decode()


def test_an_opt_out_of_one_number(client, collector, day_case):
    client.force_login(collector)

    client.post(f"/cases/{day_case.pk}/opt-out/", {"channel": "sms", "point": _phone_point(day_case)}, **HTMX)

    opt_out = OptOut.objects.get()
    assert (opt_out.channel, opt_out.to) == ("sms", day_case.borrower.phones.get().number)


def test_a_visit_names_two_collectors_and_a_letter_is_recorded(client, collector, other_collector, day_case):
    client.force_login(collector)

    client.post(
        f"/cases/{day_case.pk}/visit/",
        {"point": "address", "second_collector": other_collector.pk, "outcome": "right_party", "notes": "met at home"},
        **HTMX,
    )
    client.post(f"/cases/{day_case.pk}/letter/", {"point": "address", "notes": "formal notice"}, **HTMX)

    visit = ContactAttempt.objects.get(channel="visit")
    assert visit.collectors == 2 and visit.outcome == "right_party"
    assert other_collector.username in visit.notes
    letter = ContactAttempt.objects.get(channel="letter")
    assert letter.outcome == "delivered" and letter.decision.allowed


def test_actions_on_a_case_the_user_cannot_see_are_404(client, other_collector, day_case):
    client.force_login(other_collector)

    assert client.post(f"/cases/{day_case.pk}/call/", {"point": _phone_point(day_case)}).status_code == 404
    assert client.post(f"/cases/{day_case.pk}/promise/", {"amount": "1", "due_date": "2099-01-01"}).status_code == 404
    assert not Decision.objects.exists() and not Promise.objects.exists()


def test_every_form_needs_the_csrf_token(collector, day_case):
    client = Client(enforce_csrf_checks=True)
    client.force_login(collector)

    response = client.post(f"/cases/{day_case.pk}/call/", {"point": _phone_point(day_case)})

    assert response.status_code == 403
    assert not Decision.objects.exists()
    page = client.get(f"/cases/{day_case.pk}/").content.decode()
    assert page.count('name="csrfmiddlewaretoken"') >= 9


def test_without_htmx_an_action_redirects_back_to_the_case(client, collector, day_case):
    client.force_login(collector)

    response = client.post(f"/cases/{day_case.pk}/hold/", {"kind": "dispute"})

    assert response.status_code == 302 and response["Location"] == f"/cases/{day_case.pk}/"
    assert Hold.objects.filter(kind="dispute").exists()


def test_a_template_saved_unchecked_that_cannot_be_rendered_is_reported_not_a_500(client, collector, day_case):
    # Saved without full_clean, as templates were before they were rendered on save.
    template = _template("Due {amount:d}")
    client.force_login(collector)

    response = client.post(
        f"/cases/{day_case.pk}/message/sms/", {"point": _phone_point(day_case), "template": template.pk}, **HTMX
    )

    assert response.status_code == 200
    assert "This template cannot be rendered." in response.content.decode()
    assert not OutboundMessage.objects.exists()
