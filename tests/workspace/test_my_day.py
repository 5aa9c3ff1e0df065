"""My day at /queue/ (issue 15): my tasks due and today's promises above the worklist; "Callable now" and
"Next case" show only what the gate's preview allows (a cooldown after a conversation, an opted-out number
are blocked although the cheap SQL hint passes them); callable cases first; a clear word when nobody may
be called, and when the first one may."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from borrowers.models import OptOut
from compliance import packs
from contacts.models import ContactAttempt
from outreach.models import Task, TaskStatus
from repayment_plans.models import Promise
from tests import factories

from .conftest import Place, day_place, make_case, night_place

pytestmark = pytest.mark.django_db

# 19:00 in Los Angeles at NOW (03:00 UTC): inside the US pack's calling hours, with its 7-day cooldown.
WEST_COAST = Place("US-CA", "America/Los_Angeles", "+12135550123", "ca@example.com")


def _listed(response) -> list[int]:
    return [c.pk for c in response.context["rows"]]


def _conversation(case, *, days_ago: int) -> None:
    ContactAttempt.objects.create(
        platform=case.platform,
        borrower=case.borrower,
        loan=case.loan,
        case=case,
        channel="call",
        to=case.borrower.phones.get().number,
        outcome="right_party",
        at=timezone.now() - dt.timedelta(days=days_ago),
        actor_kind="user",
    )


def test_blocked_cases_are_not_callable_and_come_after_the_callable_ones(client, collector):
    cooled = make_case(place=WEST_COAST, assigned_to=collector, risk_segment="high", overdue_amount=Decimal("9000"))
    _conversation(cooled, days_ago=2)
    opted = make_case(place=day_place(), assigned_to=collector, risk_segment="high", overdue_amount=Decimal("8000"))
    OptOut.objects.create(borrower=opted.borrower, channel="call", to=opted.borrower.phones.get().number)
    callable_low = make_case(place=day_place(), assigned_to=collector, risk_segment="low", overdue_amount=Decimal("10"))
    client.force_login(collector)

    page = client.get("/queue/")

    assert _listed(page) == [callable_low.pk, cooled.pk, opted.pk]
    rows = {c.pk: c for c in page.context["rows"]}
    assert rows[cooled.pk].call_verdict.codes == ["conversation_cooldown"]
    assert rows[cooled.pk].block_tag == "Cooldown"
    assert rows[opted.pk].block_tag == "Opted out"
    html = page.content.decode()
    # The short tag shows; the full reason is its title.
    assert 'class="badge badge--danger block-tag" title="' in html and ">Cooldown</span>" in html
    assert _listed(client.get("/queue/?callable=1")) == [callable_low.pk]
    assert client.get("/queue/?callable=1").context["page_obj"].paginator.count == 1
    assert page.context["callable"].ids == [callable_low.pk]


def test_next_case_skips_blocked_cases(client, collector):
    blocked = make_case(place=day_place(), assigned_to=collector, risk_segment="high")
    OptOut.objects.create(borrower=blocked.borrower, channel="call", to=blocked.borrower.phones.get().number)
    first = make_case(place=day_place(), assigned_to=collector, risk_segment="medium")
    second = make_case(place=day_place(), assigned_to=collector, risk_segment="low")
    make_case(place=night_place(), assigned_to=collector, risk_segment="high")
    client.force_login(collector)

    assert client.get("/queue/next/")["Location"] == f"/cases/{first.pk}/"
    assert client.get(f"/queue/next/?after={first.pk}")["Location"] == f"/cases/{second.pk}/"
    assert client.get(f"/queue/next/?after={second.pk}")["Location"] == f"/cases/{first.pk}/"
    # From a case that is no longer callable (just called, say): the first callable one.
    assert client.get(f"/queue/next/?after={blocked.pk}")["Location"] == f"/cases/{first.pk}/"


def test_when_nobody_may_be_called_the_queue_says_when_the_first_one_may(client, collector):
    asleep = make_case(place=night_place(), assigned_to=collector, risk_segment="high")
    client.force_login(collector)

    nxt = client.get("/queue/next/", follow=True)

    assert nxt.redirect_chain[0][0] == "/queue/"
    html = nxt.content.decode()
    assert "Nobody in this queue may be called now." in html
    assert f"(case #{asleep.pk})" in html and "The first one may be called from" in html
    callable_now = nxt.context["callable"]
    assert callable_now.ids == [] and callable_now.next_case_id == asleep.pk
    assert callable_now.next_at > timezone.now()
    assert 'id="none-callable"' in html


def test_an_empty_queue_says_so(client, collector):
    client.force_login(collector)
    assert "Your queue is empty." in client.get("/queue/next/", follow=True).content.decode()


def test_my_day_lists_my_tasks_due_and_todays_promises_and_a_task_is_done_from_it(client, collector, other_collector):
    case = make_case(place=day_place(), assigned_to=collector)
    due = Task.objects.create(case=case, assigned_to=collector, kind="call", due_at=timezone.now(), reason="3 sent")
    later = Task.objects.create(
        case=make_case(place=day_place(), assigned_to=collector),
        assigned_to=collector,
        kind="call",
        due_at=timezone.now() + dt.timedelta(days=3),
    )
    Task.objects.create(
        case=make_case(place=day_place(), assigned_to=other_collector),
        assigned_to=other_collector,
        kind="call",
        due_at=timezone.now(),
    )
    promise = Promise.objects.create(case=case, amount=Decimal("250.00"), due_date=timezone.localdate())
    Promise.objects.create(case=case, amount=Decimal("99.00"), due_date=timezone.localdate() + dt.timedelta(days=1))
    Promise.objects.create(
        case=make_case(place=day_place(), assigned_to=other_collector),
        amount=Decimal("1.00"),
        due_date=timezone.localdate(),
    )
    client.force_login(collector)

    page = client.get("/queue/")

    assert [t.pk for t in page.context["my_tasks"]] == [due.pk]
    assert later.pk not in [t.pk for t in page.context["my_tasks"]]
    assert [p.pk for p in page.context["promises_today"]] == [promise.pk]
    html = page.content.decode()
    assert "250.00" in html and f'action="/tasks/{due.pk}/done/"' in html

    back = client.post(f"/tasks/{due.pk}/done/", {"next": "/queue/"})

    assert back["Location"] == "/queue/"
    due.refresh_from_db()
    assert due.status == TaskStatus.DONE
    assert client.get("/queue/").context["my_tasks"] == []


def test_my_day_in_chinese(client, collector):
    collector.language = "zh-hans"
    collector.save(update_fields=["language"])
    case = make_case(place=night_place(), assigned_to=collector)
    Task.objects.create(case=case, assigned_to=collector, kind="call", due_at=timezone.now())
    client.force_login(collector)

    html = client.get("/queue/").content.decode()

    for text in (
        "我的一天",
        "到期任务",
        "今日到期的承诺还款",
        "工作清单",
        "当前没有可拨打的案件",
        "标记完成",
        "静默时段",
    ):
        assert text in html, text
    for english in ("My day", "Tasks due", "Promises due today", "Worklist", "Nobody in this queue", "Quiet hours"):
        assert english not in html, english


def test_the_page_counts_stay_constant(client, collector):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(2):
        make_case(place=day_place(), assigned_to=collector)
    client.force_login(collector)
    client.get("/queue/")
    # Warm every rule pack: which packs the later cases need depends on the hour (day/night places).
    for code in packs.PACK_CODES:
        packs.active_pack(code)
    with CaptureQueriesContext(connection) as few:
        client.get("/queue/")
    for i in range(10):
        case = make_case(place=night_place() if i % 2 else day_place(), assigned_to=collector)
        factories.PhoneFactory(borrower=case.borrower)
        Task.objects.create(case=case, assigned_to=collector, kind="call", due_at=timezone.now())
        Promise.objects.create(case=case, amount=Decimal("5"), due_date=timezone.localdate())
    # Warm again: the packs' cache lives 30 s of the process's monotonic clock (not the frozen one), which a
    # loaded CI worker can spend creating the cases above; what is measured is the page, not the cache.
    packs.clear_cache()
    for code in packs.PACK_CODES:
        packs.active_pack(code)
    with CaptureQueriesContext(connection) as many:
        client.get("/queue/")
    assert len(few) == len(many)
