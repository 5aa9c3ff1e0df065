"""Inbound SMS replies over HTTP (issue 17, item 2): a stop word in either language opts the number out
at once, so the gate blocks the next reminder; any other reply is an inbound contact and a task."""

from __future__ import annotations

import pytest

from borrowers.models import OptOut
from contacts.models import ContactAttempt, Direction
from outreach.callbacks import is_stop_reply
from outreach.models import JobStatus, OutboundMessage, ProviderCallback, Task, TaskKind, TaskStatus
from outreach.services import reminder_send
from tests import factories

from .conftest import due_job, make_case, outbox_lines, shanghai, step
from .test_provider_receipts import post

pytestmark = pytest.mark.django_db

DAYTIME = shanghai(10)


@pytest.fixture(autouse=True)
def secrets(settings):
    settings.PROVIDER_CALLBACK_SECRETS = {"generic": "generic-secret", "aliyun": "aliyun-secret"}


def reply(client, text: str, number: str, *, event_id: str = "in-1", provider: str = "generic"):
    if provider == "aliyun":
        payload = [
            {"sequence_id": event_id, "phone_number": number, "content": text, "send_time": "2026-01-14 10:05:00"}
        ]
        return post(client, "aliyun", payload, secret="aliyun-secret", kind="replies")
    payload = {"id": event_id, "from": number, "text": text, "at": "2026-01-14T02:05:00Z"}
    return post(client, "generic", payload, secret="generic-secret", kind="replies")


@pytest.mark.parametrize(
    "text",
    [
        "STOP",
        "stop",
        " Stop. ",
        "ＳＴＯＰ！",  # full width
        "Stop please",
        "UNSUBSCRIBE",
        "unsub",
        "Opt-Out",
        "cancel",
        "END",
        "quit",
        "退订",
        "退订，谢谢",
        "【退订】",
        "TD",
        "td",
        "ＴＤ",
        "T",
        "取消",
        "退出",
        "停止",
        "拒收",
        "不要再发",
    ],
)
def test_stop_words_in_both_languages(text):
    assert is_stop_reply(text)


@pytest.mark.parametrize(
    "text", ["", "When can I pay?", "我下周还款", "Please call me tomorrow", "stopped by the bank", "TDL", "退款"]
)
def test_other_replies_are_not_stop_words(text):
    assert not is_stop_reply(text)


@pytest.mark.parametrize("text, provider", [("STOP", "generic"), ("退订", "aliyun"), ("ｔｄ。", "generic")])
def test_a_stop_reply_opts_the_number_out_and_the_gate_blocks_the_next_reminder(
    client, strategy, outbox, text, provider
):
    case = make_case(due_in_days=0)
    number = case.borrower.phones.get().number
    first = due_job(case, step(strategy, -3), status=JobStatus.CLAIMED, claimed_at=DAYTIME)
    assert reminder_send(job_id=first.pk, now=DAYTIME).status == "sent"
    assert len(outbox_lines(outbox)) == 1

    sender = number[3:] if provider == "aliyun" else number  # aliyun writes mainland numbers without +86
    response = reply(client, text, sender, provider=provider)

    assert response.status_code == 200, response.content
    assert response.json()["results"][0]["result"] == "opted_out"
    assert list(OptOut.objects.filter(borrower=case.borrower).values_list("channel", "to")) == [("sms", number)]
    inbound = ContactAttempt.objects.get(direction=Direction.INBOUND)
    assert inbound.message == text and inbound.case == case and inbound.to == number
    assert not Task.objects.filter(case=case, kind=TaskKind.REPLY).exists()

    # The next reminder to that number is blocked by the gate, with the opt-out as its reason.
    later = DAYTIME.replace(hour=11)
    second = due_job(case, step(strategy, 0), status=JobStatus.CLAIMED, claimed_at=later)
    outcome = reminder_send(job_id=second.pk, now=later)
    assert outcome.status == "skipped"
    second.refresh_from_db()
    assert second.skip_reason == "opted_out"
    assert second.decision.allowed is False
    assert len(outbox_lines(outbox)) == 1
    assert not OutboundMessage.objects.filter(job=second).exists()


def test_a_stop_reply_opts_out_every_borrower_with_that_number(client):
    number = "+8613800138000"
    one = factories.PhoneFactory(number=number).borrower
    other = factories.PhoneFactory(number=number).borrower  # a number shared, on another platform
    assert reply(client, "STOP", number).json()["results"][0]["result"] == "opted_out"
    assert set(OptOut.objects.filter(to=number).values_list("borrower_id", flat=True)) == {one.pk, other.pk}


def test_another_reply_is_an_inbound_contact_and_a_task_for_the_collector(client, strategy, outbox, collector):
    case = make_case(due_in_days=0, assigned_to=collector)
    number = case.borrower.phones.get().number
    job = due_job(case, step(strategy, -3), status=JobStatus.CLAIMED, claimed_at=DAYTIME)
    assert reminder_send(job_id=job.pk, now=DAYTIME).status == "sent"

    response = reply(client, "我下周五还款，可以吗？", number)

    assert response.json()["results"] == [{"id": "in-1", "result": "recorded"}]
    inbound = ContactAttempt.objects.get(direction=Direction.INBOUND)
    assert (inbound.borrower, inbound.case, inbound.channel) == (case.borrower, case, "sms")
    assert inbound.message == "我下周五还款，可以吗？"
    assert inbound.at.isoformat() == "2026-01-14T02:05:00+00:00"
    task = Task.objects.get(case=case, kind=TaskKind.REPLY)
    assert task.status == TaskStatus.OPEN and task.assigned_to == collector
    assert "我下周五还款" in task.reason
    assert not OptOut.objects.exists()

    # A redelivery of the same reply records nothing more; a second reply joins the open task.
    assert reply(client, "我下周五还款，可以吗？", number).json()["results"][0]["result"] == "duplicate"
    assert reply(client, "Call me after 6pm", number, event_id="in-2").json()["results"][0]["result"] == "recorded"
    assert ContactAttempt.objects.filter(direction=Direction.INBOUND).count() == 2
    assert Task.objects.filter(case=case, kind=TaskKind.REPLY).count() == 1
    assert ProviderCallback.objects.filter(kind="reply").count() == 2


def test_a_reply_from_an_unknown_number_is_kept_but_changes_nothing(client):
    assert reply(client, "hello", "+8613700137000").json()["results"][0]["result"] == "unknown_sender"
    assert not ContactAttempt.objects.exists() and not Task.objects.exists()


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"from": "+8613800138000", "text": "STOP"}, "id"),
        ({"id": "x", "text": "STOP"}, "from"),
        ({"id": "x", "from": "not a number", "text": "STOP"}, "from"),
        ({"id": "x", "from": "+8613800138000", "text": ["STOP"]}, "text"),
    ],
)
def test_a_bad_reply_is_a_400_naming_the_field(client, payload, field):
    response = post(client, "generic", payload, secret="generic-secret", kind="replies")
    assert response.status_code == 400 and field in response.json()
    assert not ProviderCallback.objects.exists()


def test_an_unsigned_reply_is_refused_and_opts_nobody_out(client):
    factories.PhoneFactory(number="+8613800138000")
    response = post(
        client, "generic", {"id": "x", "from": "+8613800138000", "text": "STOP"}, kind="replies", signature=False
    )
    assert response.status_code == 401
    assert not OptOut.objects.exists()
