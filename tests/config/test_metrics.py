"""/metrics: Prometheus' text format, for the configured addresses only, counting requests, the gate's
decisions (by verdict and rule), refreshes, reminder jobs and the webhook outbox."""

from __future__ import annotations

import ipaddress

import pytest
from django.db import transaction
from django.test import override_settings
from prometheus_client.parser import text_string_to_metric_families

from cases.delinquency import refresh_delinquency
from compliance.models import Decision
from outreach.models import JobStatus
from tests import factories
from webhooks.models import EventStatus, EventType, WebhookEvent

SHANGHAI_NIGHT = "2026-06-10T23:00:00+08:00"
SHANGHAI_NOON = "2026-06-10T12:00:00+08:00"


def _samples(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def _value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def borrower(platform):
    borrower = factories.BorrowerFactory(platform=platform, external_id="B-17", region="CN-31")
    factories.PhoneFactory(borrower=borrower, number="+8613912345678")
    return borrower


def _check(api, channel: str, at: str) -> dict:
    response = api.post("/api/v1/compliance/check/", {"borrower": "B-17", "channel": channel, "at": at}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.django_db
def test_metrics_count_requests_and_the_gate_decisions_by_verdict_and_rule(
    client, api, borrower, django_capture_on_commit_callbacks
):
    before = _samples(client)

    with django_capture_on_commit_callbacks(execute=True):
        # The gate counts each decision it records once its transaction commits.
        blocked, allowed = _check(api, "sms", SHANGHAI_NIGHT), _check(api, "call", SHANGHAI_NOON)
    after = _samples(client)

    assert blocked["allowed"] is False and allowed["allowed"] is True
    [reason] = blocked["reasons"]
    decisions = "collections_gate_decisions_total"
    assert _value(after, decisions, verdict="blocked", rule=reason["code"]) == (
        _value(before, decisions, verdict="blocked", rule=reason["code"]) + 1
    )
    assert (
        _value(after, decisions, verdict="allowed", rule="")
        == _value(before, decisions, verdict="allowed", rule="") + 1
    )
    reasons = "collections_gate_block_reasons_total"
    assert _value(after, reasons, rule=reason["code"]) == _value(before, reasons, rule=reason["code"]) + 1
    # django-prometheus' request counters saw the API calls and the scrape.
    requests = "django_http_requests_total_by_method_total"
    assert _value(after, requests, method="POST") == _value(before, requests, method="POST") + 2


@pytest.mark.django_db
def test_a_decision_rolled_back_is_not_counted(client, api, borrower, django_capture_on_commit_callbacks):
    before = _samples(client)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        _check(api, "sms", SHANGHAI_NIGHT)
        transaction.set_rollback(True)
    after = _samples(client)

    assert not Decision.objects.exists()
    decisions = "collections_gate_decisions_total"
    assert _value(after, decisions, verdict="blocked", rule="quiet_hours") == _value(
        before, decisions, verdict="blocked", rule="quiet_hours"
    )


@pytest.mark.django_db
def test_the_gate_counts_its_own_decisions(client, api, borrower, django_capture_on_commit_callbacks):
    before = _samples(client)
    with django_capture_on_commit_callbacks(execute=True):
        _check(api, "sms", SHANGHAI_NIGHT)
    after = _samples(client)

    decisions = "collections_gate_decisions_total"
    assert _value(after, decisions, verdict="blocked", rule="quiet_hours") == (
        _value(before, decisions, verdict="blocked", rule="quiet_hours") + 1
    )


@pytest.mark.django_db
def test_the_outbox_and_reminder_jobs_are_counted_at_scrape_time(client, platform):
    WebhookEvent.objects.create(platform=platform, type=EventType.CASE_OPENED, payload={})
    WebhookEvent.objects.create(platform=platform, type=EventType.CASE_CLOSED, payload={}, status=EventStatus.DEAD)

    samples = _samples(client)

    assert _value(samples, "collections_webhook_events", status="pending") == 1
    assert _value(samples, "collections_webhook_events", status="dead") == 1
    assert _value(samples, "collections_webhook_events", status="delivered") == 0
    assert {_value(samples, "collections_reminder_jobs", status=s) for s in JobStatus.values} == {0}
    assert ("collections_reminder_jobs", (("status", "pending"),)) in samples


@pytest.mark.django_db
def test_the_refresh_duration_is_observed(client, borrower):
    loan = factories.LoanFactory(borrower=borrower, external_id="L-17")
    name = "collections_delinquency_refresh_seconds_count"
    before = _value(_samples(client), name, scope="loans")

    refresh_delinquency(loan_ids=[loan.pk])

    assert _value(_samples(client), name, scope="loans") == before + 1


@pytest.mark.django_db
def test_another_address_gets_403_even_claiming_to_be_loopback(client):
    outsider = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="127.0.0.1")

    assert outsider.status_code == 403
    assert b"collections_" not in outsider.content


@pytest.mark.django_db
def test_a_configured_network_may_scrape(client):
    with override_settings(METRICS_ALLOWED_NETWORKS=[ipaddress.ip_network("10.0.0.0/8")]):
        assert client.get("/metrics", REMOTE_ADDR="10.4.5.6").status_code == 200
        assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403
