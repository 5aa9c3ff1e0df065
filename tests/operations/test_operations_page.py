"""The operations page (/operations/, `Perm.OPERATE`: supervisors and administrators): the reminder
pipeline by state with failure and deferral reasons grouped, webhook endpoints failing, the last
delinquency refresh, whether Celery's broker answers (a broker that is down is shown, never a 500), and the
two repairs: requeue failed reminders (decided by the gate again when sent) and retry a platform's dead
webhook events. Who else may open it is the role matrix's (tests/access)."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from cases.delinquency import refresh_delinquency
from cases.models import RefreshRun
from config.celery import app as celery_app
from outreach.default_strategies import seed_strategies
from outreach.models import JobStatus, ReminderJob
from tests import factories
from tests.outreach.conftest import due_job, make_case, step
from webhooks.models import EventStatus, WebhookEvent

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 1, 14, 3, 0, tzinfo=dt.UTC)  # 11:00 in Shanghai


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def broker_down() -> Iterator[None]:
    """Celery's broker pointed at a loopback port where nothing listens (bound, never listening)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", 0))
        conf = celery_app.conf
        saved = (conf.broker_url, conf.broker_transport_options)
        conf.broker_url = f"redis://127.0.0.1:{holder.getsockname()[1]}/11"
        conf.broker_transport_options = {}
        celery_app._after_fork()  # Celery's own reset of pooled broker connections
        try:
            yield
        finally:
            conf.broker_url, conf.broker_transport_options = saved
            celery_app._after_fork()


@pytest.fixture
def pipeline(db):
    """A pipeline with something in every state, and the events of a receiver that keeps failing."""
    strategy = seed_strategies()
    now = timezone.now()
    jobs = {
        "due": due_job(make_case(due_in_days=0), step(strategy, 0), scheduled_for=now - dt.timedelta(minutes=7)),
        "scheduled": due_job(make_case(due_in_days=0), step(strategy, 0), scheduled_for=now + dt.timedelta(hours=3)),
        "stale": due_job(
            make_case(due_in_days=0),
            step(strategy, 0),
            status=JobStatus.CLAIMED,
            claimed_at=now - dt.timedelta(hours=1),
        ),
        "deferred": due_job(
            make_case(due_in_days=0),
            step(strategy, 0),
            status=JobStatus.DEFERRED,
            scheduled_for=now + dt.timedelta(hours=10),
            skip_reason="deferred:quiet_hours",
        ),
    }
    for _ in range(2):
        jobs.setdefault("failed", []).append(
            due_job(
                make_case(due_in_days=0),
                step(strategy, 0),
                status=JobStatus.FAILED,
                finished_at=now,
                skip_reason="transient_failures_exhausted",
            )
        )
    jobs["no_template"] = due_job(
        make_case(due_in_days=0), step(strategy, 0), status=JobStatus.FAILED, skip_reason="no_template:due-day-sms"
    )
    platform = factories.PlatformFactory(name="Receiver Down Ltd", webhook_url="https://hooks.example.com/in")
    for status, error in [
        (EventStatus.DEAD, "HTTP 502 from receiver"),
        (EventStatus.DEAD, "HTTP 502 from receiver"),
        (EventStatus.FAILED, "connection refused"),
        (EventStatus.PENDING, ""),
        (EventStatus.DELIVERED, ""),
    ]:
        WebhookEvent.objects.create(
            platform=platform, type="case.opened", status=status, last_error=error, next_attempt_at=now
        )
    factories.PlatformFactory(name="All Delivered Inc")
    return jobs, platform


def _row(html: str, marker: str) -> str:
    start = html.index(marker)
    return html[start : html.index("</tr>", start)]


def test_the_page_shows_each_state_of_the_pipeline(client, supervisor, pipeline):
    jobs, platform = pipeline
    refresh_delinquency()
    client.force_login(supervisor)

    response = client.get(reverse("operations:page"))

    assert response.status_code == 200
    html = response.content.decode()
    counts = {
        state: _row(html, f'data-state="{state}"') for state in ("due", "scheduled", "claimed", "deferred", "failed")
    }
    assert '<td class="num">1</td>' in counts["due"]
    assert '<td class="num">1</td>' in counts["scheduled"]
    assert "1 stale" in counts["claimed"]
    assert '<td class="num">1</td>' in counts["deferred"]
    assert '<td class="num">3</td>' in counts["failed"]
    failed_reasons = html[html.index('id="failed-reasons"') :]
    assert _row(failed_reasons, "transient_failures_exhausted").count('<td class="num">2</td>') == 1
    assert "no_template:due-day-sms" in failed_reasons
    assert "deferred:quiet_hours" in html[html.index('id="deferred-reasons"') :]
    endpoint = _row(html, f'data-platform="{platform.pk}"')
    assert "Receiver Down Ltd" in endpoint and "Retry dead events" in endpoint
    assert '<span class="badge badge--danger">2</span>' in endpoint  # dead
    assert '<span class="badge badge--warn">1</span>' in endpoint  # failed, will retry
    assert "connection refused" in endpoint  # the latest error its receiver gave
    assert "All Delivered Inc" not in html
    run = RefreshRun.objects.get()
    assert run.started_at.strftime("%Y-%m-%d %H:%M:%S") in html[html.index('id="refresh-runs"') :]
    assert "Needs attention" in html


def test_no_refresh_yet_is_late_and_said_so(client, admin_user, db):
    client.force_login(admin_user)

    html = client.get(reverse("operations:page")).content.decode()

    assert "No refresh of the whole book has been recorded yet." in html
    assert "No successful refresh in the last 26 hours." in html


def test_a_broker_that_is_down_is_shown_not_a_server_error(client, supervisor, broker_down):
    client.force_login(supervisor)

    response = client.get(reverse("operations:page"))

    assert response.status_code == 200
    card = response.content.decode().split('id="card-celery"', 1)[1].split("</div>\n  <div", 1)[0]
    assert "Unreachable" in card and "Workers: cannot be asked" in card


def test_the_page_in_chinese(client, supervisor, pipeline):
    supervisor.language = "zh-hans"
    supervisor.save()
    client.force_login(supervisor)

    html = client.get(reverse("operations:page"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    assert "<h1>运维</h1>" in html
    assert "失败的提醒" in html and "重试已终止事件" in html


def test_requeue_by_reason_puts_the_failed_jobs_back_due_now(client, supervisor, pipeline):
    jobs, _platform = pipeline
    client.force_login(supervisor)

    response = client.post(reverse("operations:reminders-requeue"), {"reason": "transient_failures_exhausted"})

    assert response.status_code == 302 and response["Location"] == reverse("operations:page")
    requeued = ReminderJob.objects.filter(pk__in=[job.pk for job in jobs["failed"]])
    assert {job.status for job in requeued} == {JobStatus.PENDING}
    assert all(job.requeues == 1 and job.scheduled_for <= timezone.now() for job in requeued)
    assert ReminderJob.objects.get(pk=jobs["no_template"].pk).status == JobStatus.FAILED
    html = client.get(reverse("operations:page")).content.decode()
    assert "2 reminders are queued again" in html


def test_requeue_one_job_and_refuse_what_is_not_failed(client, supervisor, pipeline):
    jobs, _platform = pipeline
    client.force_login(supervisor)

    client.post(reverse("operations:reminders-requeue"), {"job": jobs["no_template"].pk})
    assert ReminderJob.objects.get(pk=jobs["no_template"].pk).status == JobStatus.PENDING

    client.post(reverse("operations:reminders-requeue"), {"job": jobs["deferred"].pk})
    assert ReminderJob.objects.get(pk=jobs["deferred"].pk).status == JobStatus.DEFERRED
    assert "Nothing was requeued" in client.get(reverse("operations:page")).content.decode()

    assert client.post(reverse("operations:reminders-requeue"), {}).status_code == 400


def test_retry_the_dead_events_of_a_platform(client, supervisor, pipeline, django_capture_on_commit_callbacks):
    _jobs, platform = pipeline
    client.force_login(supervisor)

    with django_capture_on_commit_callbacks(execute=False) as deliveries:
        response = client.post(reverse("operations:webhooks-retry"), {"platform": platform.pk})

    assert response.status_code == 302
    statuses = sorted(WebhookEvent.objects.filter(platform=platform).values_list("status", flat=True))
    assert statuses == ["delivered", "failed", "pending", "pending", "pending"]
    assert len(deliveries) == 2  # one delivery task per replayed event, after commit
    assert client.post(reverse("operations:webhooks-retry"), {}).status_code == 400
    assert client.post(reverse("operations:webhooks-retry"), {"platform": 999999}).status_code == 404
