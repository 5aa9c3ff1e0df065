"""Logs: one JSON object per line in production with the request id on every line; expected 403s and 404s
are not warnings or errors; and no borrower's name, phone number or e-mail address reaches a log line
while pages and API calls are driven, a search among them."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from django.conf import settings

from accounts.models import Role
from core.request_id import HEADER, RequestIdFilter
from tests import factories

NAME, PHONE, EMAIL = "Zhao Lingxiu", "+8613912345678", "lingxiu.zhao@example.com"


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """Everything logged while the test runs, DEBUG included, through the production console handler's
    own formatter and filters (config.settings.LOGGING), as it would reach the container's log."""
    [console] = [h for h in logging.getLogger().handlers if getattr(h, "name", "") == "console"]
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(console.formatter)
    for log_filter in console.filters:
        handler.addFilter(log_filter)
    root, django_logger = logging.getLogger(), logging.getLogger("django")
    saved = root.level, django_logger.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    django_logger.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(saved[0])
        django_logger.setLevel(saved[1])


def _records(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_production_logs_are_json_lines_with_a_request_id():
    assert settings.DEBUG is False and settings.LOG_FORMAT == "json"
    [console] = [h for h in logging.getLogger().handlers if getattr(h, "name", "") == "console"]
    assert any(isinstance(f, RequestIdFilter) for f in console.filters)


@pytest.mark.django_db
def test_a_log_line_carries_the_request_id_sent_or_made(client, log_lines, closed_port_broker):
    sent = client.get("/readyz", HTTP_X_REQUEST_ID="probe-0001-abcdef")
    made = client.get("/readyz")

    assert sent[HEADER] == "probe-0001-abcdef"
    assert len(made[HEADER]) == 32 and made[HEADER] != sent[HEADER]
    records = _records(log_lines)
    readiness = [r for r in records if r["logger"] == "config.views"]
    assert [r["request_id"] for r in readiness] == ["probe-0001-abcdef", made[HEADER]]
    assert {"time", "level", "logger", "message", "request_id"} <= set(readiness[0])
    assert readiness[0]["level"] == "WARNING" and "broker" in readiness[0]["message"]


@pytest.mark.django_db
def test_an_id_that_does_not_look_like_one_is_replaced(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="<script>alert(1)</script> lingxiu@example.com")
    assert response[HEADER] != "<script>alert(1)</script> lingxiu@example.com" and len(response[HEADER]) == 32


@pytest.mark.django_db
def test_expected_403_and_404_are_neither_warnings_nor_errors(client, collector, caplog):
    client.force_login(collector)
    caplog.set_level(logging.INFO)

    forbidden = client.get("/supervision/")
    missing = client.get("/cases/987654/")
    metrics_elsewhere = client.get("/metrics", REMOTE_ADDR="203.0.113.9")

    assert (forbidden.status_code, missing.status_code, metrics_elsewhere.status_code) == (403, 404, 403)
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


@pytest.mark.django_db
def test_a_server_error_is_still_an_error(client, caplog, closed_port_broker):
    caplog.set_level(logging.INFO)
    assert client.get("/readyz").status_code == 503
    assert any(r.name == "django.request" and r.levelno == logging.ERROR for r in caplog.records)


@pytest.mark.django_db
def test_no_personal_data_in_the_logs_of_pages_and_api_calls(client, api, platform, log_lines, closed_port_broker):
    team = factories.TeamFactory(name="Team West")
    collector = factories.UserFactory(username="collector", role=Role.COLLECTOR, team=team)
    supervisor = factories.UserFactory(username="supervisor", role=Role.SUPERVISOR, team=team, is_staff=True)
    borrower = factories.BorrowerFactory(platform=platform, external_id="B-88", full_name=NAME, region="CN-31")
    factories.PhoneFactory(borrower=borrower, number=PHONE)
    factories.EmailFactory(borrower=borrower, address=EMAIL)
    loan = factories.LoanFactory(borrower=borrower, external_id="L-88")
    case = factories.CaseFactory(loan=loan, assigned_to=collector)

    statuses = []
    client.force_login(collector)
    for path in [
        "/queue/",
        f"/cases/{case.pk}/",
        "/supervision/",
        f"/cases/?q={NAME}",
        f"/cases/{case.pk}9/?q={PHONE}",
    ]:
        statuses.append(client.get(path).status_code)
    client.force_login(supervisor)
    for path in ["/cases/", f"/cases/{case.pk}/", f"/supervision/audit/?q={EMAIL}", "/readyz"]:
        statuses.append(client.get(path).status_code)
    statuses += [
        api.get("/api/v1/borrowers/B-88/").status_code,
        api.get(f"/api/v1/borrowers/?q={PHONE}").status_code,
        api.post(
            "/api/v1/compliance/check/",
            {"borrower": "B-88", "channel": "sms", "to": PHONE, "at": "2026-06-10T23:00:00+08:00"},
            format="json",
        ).status_code,
        api.post(
            "/api/v1/borrowers/", {"external_id": "B-89", "full_name": NAME, "phones": [PHONE]}, format="json"
        ).status_code,
        api.get("/api/v1/borrowers/NOPE/", HTTP_X_REQUEST_ID=EMAIL).status_code,
    ]

    assert 200 in statuses and 403 in statuses and 404 in statuses and 503 in statuses, statuses
    logged = log_lines.getvalue()
    assert logged, "the pages and calls above log something (the 404s, the 403, the failed readiness)"
    for personal in (NAME, PHONE, EMAIL, NAME.split()[1], PHONE.removeprefix("+86")):
        assert personal not in logged
    assert "/cases/" in logged  # the lines are there, naming paths, not people


@pytest.fixture
def closed_port_broker() -> Iterator[None]:
    """The broker on a loopback port where nothing listens, so /readyz fails and logs."""
    import socket

    from config.celery import app as celery_app

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", 0))
        conf = celery_app.conf
        saved = (conf.broker_url, conf.broker_transport_options)
        conf.broker_url, conf.broker_transport_options = f"redis://127.0.0.1:{holder.getsockname()[1]}/11", {}
        celery_app._after_fork()
        try:
            yield
        finally:
            conf.broker_url, conf.broker_transport_options = saved
            celery_app._after_fork()
