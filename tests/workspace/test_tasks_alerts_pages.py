"""The task and alert pages (issue 15): each user sees the work of the cases they may see, closes their own
tasks, a supervisor reassigns within the team and acknowledges alerts; both languages."""

from __future__ import annotations

import pytest
from django.utils import timezone

from accounts.models import Role
from cases.models import CaseEvent
from outreach.models import Alert, Task, TaskStatus
from tests import factories

from .conftest import day_place, make_case

pytestmark = pytest.mark.django_db


def _task(case, user, kind="call") -> Task:
    return Task.objects.create(case=case, assigned_to=user, kind=kind, due_at=timezone.now(), reason="3 unanswered")


def test_a_collector_lists_and_finishes_their_own_tasks(client, collector, other_collector):
    mine = _task(make_case(place=day_place(), assigned_to=collector), collector)
    theirs = _task(make_case(place=day_place(), assigned_to=other_collector), other_collector)
    client.force_login(collector)

    page = client.get("/tasks/")

    assert [t.pk for t in page.context["tasks"]] == [mine.pk]
    html = page.content.decode()
    assert f"/tasks/{mine.pk}/done/" in html and f"/tasks/{theirs.pk}/" not in html
    assert "/reassign/" not in html  # collectors do not reassign

    done = client.post(f"/tasks/{mine.pk}/done/", {"note": "spoke to him", "next": "/queue/"})

    assert done["Location"] == "/queue/"
    mine.refresh_from_db()
    assert (mine.status, mine.closed_by) == (TaskStatus.DONE, collector)
    assert CaseEvent.objects.get(kind="task_done").reason == "spoke to him"
    assert client.get("/tasks/").context["tasks"].__len__() == 0
    closed = client.get("/tasks/?status=done")
    assert [t.pk for t in closed.context["tasks"]] == [mine.pk]
    # A colleague's task is not found (404), whatever is posted.
    assert client.post(f"/tasks/{theirs.pk}/done/").status_code == 404
    assert client.post("/tasks/1/done/", {"next": "https://evil.example/"}).status_code in (302, 404)


def test_a_second_close_says_so_instead_of_failing(client, collector):
    task = _task(make_case(place=day_place(), assigned_to=collector), collector)
    client.force_login(collector)
    client.post(f"/tasks/{task.pk}/cancel/", {"note": "paid"})

    again = client.post(f"/tasks/{task.pk}/done/", follow=True)

    assert "already closed" in again.content.decode()
    task.refresh_from_db()
    assert task.status == TaskStatus.CANCELLED


def test_a_supervisor_sees_the_teams_tasks_and_hands_one_to_a_colleague(client, supervisor, collector, other_collector):
    case = make_case(place=day_place(), assigned_to=collector)
    task = _task(case, collector)
    west = factories.UserFactory(role=Role.COLLECTOR, team=factories.TeamFactory(name="West"))
    far = _task(make_case(place=day_place(), assigned_to=west), west)
    client.force_login(supervisor)

    page = client.get("/tasks/")
    assert [t.pk for t in page.context["tasks"]] == [task.pk]
    assert far.pk not in [t.pk for t in page.context["tasks"]]
    assert f"/tasks/{task.pk}/reassign/" in page.content.decode()
    assert [t.pk for t in client.get(f"/tasks/?assignee={other_collector.pk}").context["tasks"]] == []

    client.post(f"/tasks/{task.pk}/reassign/", {"to_user": other_collector.pk, "note": "on leave"})

    task.refresh_from_db()
    case.refresh_from_db()
    assert task.assigned_to == other_collector == case.assigned_to
    refused = client.post(f"/tasks/{task.pk}/reassign/", {"to_user": west.pk}, follow=True)
    assert "Select a valid choice" in refused.content.decode()
    task.refresh_from_db()
    assert task.assigned_to == other_collector


def test_a_supervisor_acknowledges_an_alert(client, supervisor, collector):
    case = make_case(place=day_place(), assigned_to=collector)
    alert = Alert.objects.create(
        kind="lost_contact", borrower=case.borrower, case=case, supervisor=supervisor, message="Every phone is invalid"
    )
    client.force_login(supervisor)
    page = client.get("/alerts/")
    assert [a.pk for a in page.context["alerts"]] == [alert.pk]
    assert "Every phone is invalid" in page.content.decode()

    client.post(f"/alerts/{alert.pk}/acknowledge/", {"note": "new number requested"})

    alert.refresh_from_db()
    assert alert.acknowledged_by == supervisor and alert.acknowledged_at is not None
    assert list(client.get("/alerts/").context["alerts"]) == []
    assert [a.pk for a in client.get("/alerts/?show=acknowledged").context["alerts"]] == [alert.pk]
    client.force_login(collector)
    assert client.get("/alerts/").status_code == 403


def test_the_pages_in_chinese(client, supervisor, collector):
    case = make_case(place=day_place(), assigned_to=collector)
    _task(case, collector)
    Alert.objects.create(kind="lost_contact", borrower=case.borrower, case=case, supervisor=supervisor, message="x")
    supervisor.language = "zh-hans"
    supervisor.save(update_fields=["language"])
    client.force_login(supervisor)

    tasks = client.get("/tasks/").content.decode()
    alerts = client.get("/alerts/").content.decode()

    assert "任务" in tasks and "标记完成" in tasks and "重新分配" in tasks
    assert "预警" in alerts and "确认" in alerts
    for english in ("Cancel task", "Assigned to", "Everyone I see", "Acknowledge<", "Raised"):
        assert english not in tasks + alerts
