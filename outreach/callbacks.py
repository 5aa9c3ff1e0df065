"""Provider callbacks: what SMS and e-mail providers tell us after a send (delivery receipts, bounces,
complaints) and what borrowers answer by SMS (replies), each provider's shape read by its adapter into
one `Receipt` or `Reply`, then recorded once.

Authenticated by each provider's own signature scheme with its own secret or key (outreach.signatures:
our generic HMAC, Twilio's X-Twilio-Signature, SendGrid's ECDSA-signed event webhook, a platform's own
webhook secret for its app push), never by a platform key. Idempotent on the provider's id of the event:
a redelivered callback finds its `ProviderCallback` row and changes nothing.

- A delivery receipt sets the message's status and the pending contact's outcome, through the same
  `_message_sent` / `_message_failed` as the send's own answer (outreach.services).
- A hard bounce or an invalid number also marks the address or number invalid and checks the borrower for
  lost contact (outreach.escalation, after commit).
- An e-mail complaint records an opt-out for that address.
- An SMS reply that says stop ("STOP", "退订", "TD", … `is_stop_reply`) records an opt-out of SMS to that
  number for every borrower who has it, at once; any other reply is an inbound contact and a task for the
  case's collector.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import TextChoices
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from borrowers.models import Borrower, Channel, Phone
from borrowers.services import opt_out_create
from borrowers.validators import normalize_e164
from cases.models import Case, CaseStatus
from contacts.models import ActorKind, ContactAttempt, Direction
from contacts.services import contact_record_inbound

from .gateways import SendResult
from .models import (
    CallbackKind,
    JobStatus,
    MessageStatus,
    OutboundMessage,
    ProviderCallback,
    ReminderJob,
    Task,
    TaskKind,
    TaskStatus,
)
from .services import _after_contact_point_loss, _mark_contact_point_invalid, _message_failed, _message_sent


class ReceiptEvent(TextChoices):
    DELIVERED = "delivered", "delivered"
    FAILED = "failed", "failed"  # not delivered; the number or address may still be good
    INVALID = "invalid", "invalid"  # the number does not exist or cannot take messages
    BOUNCED = "bounced", "bounced"  # a hard bounce: the address does not exist
    COMPLAINT = "complaint", "complaint"  # the recipient reported the e-mail as spam


PERMANENT_EVENTS = frozenset({ReceiptEvent.INVALID, ReceiptEvent.BOUNCED})


@dataclass(frozen=True)
class Receipt:
    event_id: str  # the provider's id of this event: a redelivery carries the same
    event: str  # ReceiptEvent
    message_id: str = ""  # the provider's id of the message (OutboundMessage.provider_id)
    reference: str = ""  # our idempotency key, when the provider echoes it
    error: str = ""
    at: dt.datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Reply:
    event_id: str
    sender: str  # the borrower's number, E.164
    text: str
    to: str = ""  # our number or short code
    at: dt.datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict)


# --- adapters: one per provider shape -------------------------------------------------------------


def _items(payload: Any, key: str) -> list[dict[str, Any]]:
    """One event (an object), several (a list), or `{key: [...]}`; each an object."""
    if isinstance(payload, dict) and isinstance(payload.get(key), list):
        payload = payload[key]
    items = payload if isinstance(payload, list) else [payload]
    if not items or len(items) > 500:
        raise ValidationError({key: ["Send from 1 to 500 events."]})
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise ValidationError({key: [f"Event {index} is not a JSON object."]})
    return items


def _text(item: dict[str, Any], name: str, *, required: bool = False, max_length: int = 250) -> str:
    value = item.get(name)
    if value is None or value == "":
        if required:
            raise ValidationError({name: ["This field is required."]})
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValidationError({name: ["Must be a string."]})
    value = str(value).strip()
    if len(value) > max_length or "\x00" in value:
        raise ValidationError({name: [f"At most {max_length} characters, no NUL."]})
    return value


def _time(item: dict[str, Any], name: str, *, epoch: bool = False) -> dt.datetime | None:
    value = item.get(name)
    if value in (None, ""):
        return None
    if epoch and isinstance(value, int) and not isinstance(value, bool):
        try:
            return dt.datetime.fromtimestamp(value, tz=dt.UTC)
        except (OverflowError, OSError, ValueError):
            raise ValidationError({name: ["Not a time."]})
    parsed = None
    if isinstance(value, str):
        try:
            parsed = parse_datetime(value)
        except ValueError:
            parsed = None
    if parsed is None:
        raise ValidationError({name: ["An RFC 3339 time with its offset."]})
    if timezone.is_naive(parsed):
        # Aliyun reports its times in Beijing time, without an offset.
        parsed = parsed.replace(tzinfo=dt.timezone(dt.timedelta(hours=8)))
    return parsed


def _number(item: dict[str, Any], name: str) -> str:
    raw = _text(item, name, required=True, max_length=30)
    if not raw.startswith("+") and raw.isdigit() and len(raw) == 11 and raw.startswith("1"):
        raw = "+86" + raw  # a mainland mobile number as Chinese providers write it
    try:
        return normalize_e164(raw)
    except ValidationError as exc:
        raise ValidationError({name: exc.messages})


def generic_receipts(payload: Any) -> list[Receipt]:
    """`{"id"?, "message_id" | "reference", "status": delivered|failed|invalid|bounced|complaint, "error"?, "at"?}`,
    one, a list, or `{"events": [...]}`."""
    receipts = []
    for item in _items(payload, "events"):
        status = _text(item, "status", required=True)
        if status not in ReceiptEvent.values:
            raise ValidationError({"status": [f"One of {', '.join(ReceiptEvent.values)}."]})
        message_id, reference = _text(item, "message_id"), _text(item, "reference")
        if not message_id and not reference:
            raise ValidationError({"message_id": ["Name the message: message_id or reference."]})
        event_id = _text(item, "id") or f"{message_id or reference}:{status}"
        receipts.append(
            Receipt(
                event_id=event_id,
                event=status,
                message_id=message_id,
                reference=reference,
                error=_text(item, "error", max_length=500),
                at=_time(item, "at"),
                raw=item,
            )
        )
    return receipts


# Aliyun SMS error codes meaning the number cannot take messages (the rest of its failures are transient).
ALIYUN_INVALID_NUMBER_CODES = frozenset({"MOBILE_NUMBER_ILLEGAL", "isv.MOBILE_NUMBER_ILLEGAL", "EMPTY_NUMBER"})


def aliyun_receipts(payload: Any) -> list[Receipt]:
    """Aliyun SMS reports (SmsReport): `[{"biz_id", "out_id", "success", "err_code", "err_msg", "report_time", ...}]`."""
    receipts = []
    for item in _items(payload, "reports"):
        biz_id = _text(item, "biz_id", required=True)
        code = _text(item, "err_code")
        success = item.get("success") is True or code == "DELIVERED"
        if success:
            event = ReceiptEvent.DELIVERED
        elif code in ALIYUN_INVALID_NUMBER_CODES:
            event = ReceiptEvent.INVALID
        else:
            event = ReceiptEvent.FAILED
        receipts.append(
            Receipt(
                event_id=f"{biz_id}:{code or event}",
                event=event,
                message_id=biz_id,
                reference=_text(item, "out_id"),
                error="" if success else f"{code}: {_text(item, 'err_msg', max_length=300)}",
                at=_time(item, "report_time"),
                raw=item,
            )
        )
    return receipts


def aliyun_replies(payload: Any) -> list[Reply]:
    """Aliyun SMS replies (SmsUp): `[{"phone_number", "content", "send_time", "dest_code", "sequence_id"}]`."""
    return [
        Reply(
            event_id=_text(item, "sequence_id", required=True),
            sender=_number(item, "phone_number"),
            text=_text(item, "content", max_length=2000),
            to=_text(item, "dest_code"),
            at=_time(item, "send_time"),
            raw=item,
        )
        for item in _items(payload, "replies")
    ]


SENDGRID_EVENTS: dict[str, str] = {
    "delivered": ReceiptEvent.DELIVERED,
    "dropped": ReceiptEvent.FAILED,
    "spamreport": ReceiptEvent.COMPLAINT,
}


def sendgrid_receipts(payload: Any) -> list[Receipt]:
    """SendGrid's event webhook: `[{"sg_event_id", "sg_message_id", "smtp-id", "event", "type", "reason", "timestamp"}]`.
    A `bounce` of type `bounce` is hard (the address is invalid), of type `blocked` a refusal this time;
    events that say nothing about delivery (processed, open, click, deferred…) are recorded and ignored."""
    receipts = []
    for item in _items(payload, "events"):
        name = _text(item, "event", required=True)
        event: str
        if name == "bounce":
            event = ReceiptEvent.BOUNCED if _text(item, "type") in ("", "bounce") else ReceiptEvent.FAILED
        else:
            event = SENDGRID_EVENTS.get(name, "")
        receipts.append(
            Receipt(
                event_id=_text(item, "sg_event_id", required=True),
                event=event,
                message_id=_text(item, "smtp-id") or _text(item, "sg_message_id"),
                error=_text(item, "reason", max_length=500),
                at=_time(item, "timestamp", epoch=True),
                raw=item,
            )
        )
    return receipts


def _form(payload: Any) -> Any:
    """A form-encoded body (a QueryDict) as a plain dict of its values: what the adapters and the stored
    payload read."""
    return payload.dict() if hasattr(payload, "dict") else payload


# Twilio error codes meaning the number cannot take messages (unknown handset, landline or unreachable
# carrier, not a valid mobile number); the others (30003 unreachable, 30007 filtered...) may pass next time.
TWILIO_INVALID_NUMBER_CODES = frozenset({"21211", "21614", "30005", "30006"})
TWILIO_STATUSES: dict[str, str] = {
    "delivered": ReceiptEvent.DELIVERED,
    "undelivered": ReceiptEvent.FAILED,
    "failed": ReceiptEvent.FAILED,
}


def twilio_receipts(payload: Any) -> list[Receipt]:
    """Twilio's status callback (form-encoded): `MessageSid`, `MessageStatus`, `ErrorCode`, `To`, ... One
    callback per status change; the intermediate ones (queued, sent, ...) are recorded and ignored."""
    item = _form(payload)
    if not isinstance(item, dict):
        raise ValidationError({"MessageSid": ["A form-encoded Twilio status callback."]})
    sid = _text(item, "MessageSid", required=True, max_length=64)
    status = _text(item, "MessageStatus", required=True, max_length=30)
    code = _text(item, "ErrorCode", max_length=10)
    event = TWILIO_STATUSES.get(status, "")
    if event == ReceiptEvent.FAILED and code in TWILIO_INVALID_NUMBER_CODES:
        event = ReceiptEvent.INVALID
    return [
        Receipt(
            event_id=f"{sid}:{status}",
            event=event,
            message_id=sid,
            error=f"{status} {code}".strip() if event and event != ReceiptEvent.DELIVERED else "",
            raw=item,
        )
    ]


def twilio_replies(payload: Any) -> list[Reply]:
    """An inbound SMS from Twilio (form-encoded): `MessageSid`, `From`, `To`, `Body`."""
    item = _form(payload)
    if not isinstance(item, dict):
        raise ValidationError({"MessageSid": ["A form-encoded Twilio message."]})
    return [
        Reply(
            event_id=_text(item, "MessageSid", required=True, max_length=64),
            sender=_number(item, "From"),
            text=_text(item, "Body", max_length=2000),
            to=_text(item, "To"),
            raw=item,
        )
    ]


def generic_replies(payload: Any) -> list[Reply]:
    """`{"id", "from", "text", "to"?, "at"?}`, one, a list, or `{"replies": [...]}`."""
    return [
        Reply(
            event_id=_text(item, "id", required=True),
            sender=_number(item, "from"),
            text=_text(item, "text", max_length=2000),
            to=_text(item, "to"),
            at=_time(item, "at"),
            raw=item,
        )
        for item in _items(payload, "replies")
    ]


RECEIPT_ADAPTERS: dict[str, Callable[[Any], list[Receipt]]] = {
    "generic": generic_receipts,
    "aliyun": aliyun_receipts,
    "sendgrid": sendgrid_receipts,
    "twilio": twilio_receipts,
    # The platform's report on an app push (outreach.gateways.push): `message_id` is the event id.
    "push": generic_receipts,
}
REPLY_ADAPTERS: dict[str, Callable[[Any], list[Reply]]] = {
    "generic": generic_replies,
    "aliyun": aliyun_replies,
    "twilio": twilio_replies,
}
# Providers that post form-encoded bodies instead of JSON.
FORM_PROVIDERS = frozenset({"twilio"})


# --- stop words ------------------------------------------------------------------------------------

# Compared after folding (`_fold`): NFKC (full-width letters become ASCII), case-folded, without
# punctuation, symbols or spaces ("Opt-Out!" and "ＳＴＯＰ。" fold to "optout" and "stop").
STOP_WORDS = frozenset(
    {
        # English (the carriers' standard words and their usual variants)
        "stop",
        "stopall",
        "unsubscribe",
        "unsub",
        "cancel",
        "end",
        "quit",
        "optout",
        "revoke",
        # Chinese: 退订 and the operators' short forms (回T退订, 回TD退订), cancel, leave, stop, refuse
        "td",
        "t",
        "退订",
        "退定",
        "退",
        "取消",
        "取消订阅",
        "退出",
        "停止",
        "停止发送",
        "拒收",
        "不要再发",
        "别再发了",
        "别发了",
    }
)
_TOKENS = re.compile(r"[\w\u4e00-\u9fff]+")


def _fold(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] not in "PSZC")


def is_stop_reply(text: str) -> bool:
    """The whole reply is a stop word, or its first word is ("STOP please", "退订，谢谢")."""
    if _fold(text) in STOP_WORDS:
        return True
    first = _TOKENS.search(unicodedata.normalize("NFKC", text))
    return first is not None and _fold(first.group()) in STOP_WORDS


# --- recording -------------------------------------------------------------------------------------


def _claim(*, provider: str, kind: str, event_id: str, event: str, raw: dict[str, Any]) -> ProviderCallback | None:
    """The event's row, written now; None when it was recorded before (a redelivery)."""
    try:
        with transaction.atomic():
            return ProviderCallback.objects.create(
                provider=provider, kind=kind, external_id=event_id[:250], event=event, payload=raw
            )
    except IntegrityError:
        return None


def _message_for(receipt: Receipt) -> OutboundMessage | None:
    """The sent message the receipt is about, locked. A message still queued has no provider id yet and its
    send has not finished: a receipt never names it (its outcome is the send's to record)."""
    messages = OutboundMessage.objects.select_for_update().exclude(status=MessageStatus.QUEUED)
    if receipt.message_id:
        found = messages.filter(provider_id=receipt.message_id).first()
        if found is not None:
            return found
    if receipt.reference:
        return messages.filter(idempotency_key=receipt.reference).exclude(provider_id="").first()
    return None


def _pending_contact(message: OutboundMessage) -> ContactAttempt | None:
    """The message's contact if its outcome is still to be recorded (recorded once, by whoever is first)."""
    if message.contact_id is None:
        return None
    contact = ContactAttempt.objects.select_for_update().get(pk=message.contact_id)
    return contact if contact.is_pending else None


def _borrower_id(message: OutboundMessage) -> int | None:
    if message.contact_id is not None:
        return ContactAttempt.objects.values_list("borrower_id", flat=True).get(pk=message.contact_id)
    return message.decision.borrower_id if message.decision is not None else None


def receipt_record(*, provider: str, receipt: Receipt, now: dt.datetime | None = None) -> str:
    """Apply one receipt, once. Returns what it did: delivered, failed, invalid, bounced, complaint,
    unchanged (the message's status was final already), ignored, unknown_message or duplicate."""
    now = now or timezone.now()
    with transaction.atomic():
        row = _claim(
            provider=provider,
            kind=CallbackKind.RECEIPT,
            event_id=receipt.event_id,
            event=receipt.event,
            raw=receipt.raw,
        )
        if row is None:
            return "duplicate"
        result = _receipt_apply(receipt, now=now) if receipt.event else ("ignored", None)
        if result[0] == "unknown_message":
            # Not kept: a receipt can overtake the end of its send (the provider id is committed with it),
            # and the provider's redelivery must then apply instead of being taken for a duplicate.
            transaction.set_rollback(True)
            return result[0]
        row.result, row.message = result[0], result[1]
        row.save(update_fields=["result", "message"])
        return row.result


def _receipt_apply(receipt: Receipt, *, now: dt.datetime) -> tuple[str, OutboundMessage | None]:
    message = _message_for(receipt)
    if message is None:
        return "unknown_message", None
    at = receipt.at or now
    borrower_id = _borrower_id(message)
    open_status = message.status == MessageStatus.SENT
    result = receipt.event if open_status else "unchanged"
    if receipt.event in (ReceiptEvent.DELIVERED, ReceiptEvent.COMPLAINT):
        if open_status:
            # The send's own handling of a "delivered" answer; sent_at stays the time it went.
            delivered = SendResult(provider_id=message.provider_id, status="delivered")
            _message_sent(message, delivered, contact=_pending_contact(message), now=message.sent_at or at)
        if receipt.event == ReceiptEvent.COMPLAINT and borrower_id is not None and message.channel in Channel.values:
            opt_out_create(borrower=Borrower.objects.get(pk=borrower_id), channel=message.channel, to=message.to)
            result = ReceiptEvent.COMPLAINT
    else:
        permanent = receipt.event in PERMANENT_EVENTS
        error = receipt.error or receipt.event
        if open_status and borrower_id is not None:
            _message_failed(
                message, error, contact=_pending_contact(message), borrower_id=borrower_id, permanent=permanent
            )
        elif permanent and borrower_id is not None:
            # Delivered once, gone now (a mailbox closed since): the address is still no good.
            _mark_contact_point_invalid(borrower_id, message.channel, message.to)
            transaction.on_commit(lambda: _after_contact_point_loss(borrower_id))
            result = receipt.event
    message.receipt_at = at
    message.save(update_fields=["receipt_at"])
    if message.job_id is not None and open_status:
        ReminderJob.objects.filter(pk=message.job_id, status=JobStatus.SENT).update(
            delivery_status=message.status, updated_at=now
        )
    return result, message


@dataclass
class ReplyOutcome:
    result: str  # opted_out, recorded, unknown_sender, duplicate
    contact: ContactAttempt | None = None
    task: Task | None = None
    opted_out: list[int] = field(default_factory=list)  # borrower ids


def _last_sms_to(number: str) -> ContactAttempt | None:
    """Our last SMS to this number: the conversation a reply belongs to."""
    return (
        ContactAttempt.objects.filter(channel=Channel.SMS, direction=Direction.OUTBOUND, to=number)
        .select_related("borrower", "case")
        .order_by("-at", "-id")
        .first()
    )


def _reply_case(borrower: Borrower, last: ContactAttempt | None) -> Case | None:
    if last is not None and last.case is not None and last.case.status == CaseStatus.OPEN:
        return last.case
    return Case.objects.filter(borrower=borrower, status=CaseStatus.OPEN).order_by("-opened_at", "-id").first()


def _reply_task(case: Case, *, text: str, now: dt.datetime) -> Task:
    """One open reply task per case: the collector answers every reply waiting on it at once."""
    task = Task.objects.filter(case=case, kind=TaskKind.REPLY, status=TaskStatus.OPEN).first()
    if task is None:
        task = Task.objects.create(
            case=case,
            assigned_to_id=case.assigned_to_id,
            kind=TaskKind.REPLY,
            due_at=now,
            reason=f"SMS reply: {text}"[:200],
        )
    return task


def reply_record(*, provider: str, reply: Reply, now: dt.datetime | None = None) -> ReplyOutcome:
    """Record one inbound SMS, once: a stop word opts the number out of SMS for every borrower who has it,
    before anything else; every reply from a known borrower is an inbound contact, and one that is not a
    stop word also a task for the case's collector."""
    now = now or timezone.now()
    stop = is_stop_reply(reply.text)
    with transaction.atomic():
        row = _claim(
            provider=provider,
            kind=CallbackKind.REPLY,
            event_id=reply.event_id,
            event="stop" if stop else "reply",
            raw=reply.raw,
        )
        if row is None:
            return ReplyOutcome("duplicate")
        last = _last_sms_to(reply.sender)
        holders = {
            p.borrower_id: p.borrower for p in Phone.objects.filter(number=reply.sender).select_related("borrower")
        }
        borrower = last.borrower if last is not None else next(iter(holders.values()), None)
        if borrower is not None:
            holders.setdefault(borrower.pk, borrower)
        outcome = ReplyOutcome("unknown_sender")
        if stop:
            for holder in holders.values():
                opt_out_create(borrower=holder, channel=Channel.SMS, to=reply.sender)
            outcome = ReplyOutcome("opted_out", opted_out=sorted(holders))
        if borrower is not None:
            case = _reply_case(borrower, last)
            outcome.contact = contact_record_inbound(
                borrower=borrower,
                channel=Channel.SMS,
                to=reply.sender,
                case=case,
                at=min(reply.at or now, now),
                message=reply.text,
                notes=f"SMS reply through {provider}" + (" (opt-out)" if stop else ""),
                actor_kind=ActorKind.SCHEDULER,
            )
            if not stop:
                outcome.result = "recorded"
                if case is not None:
                    outcome.task = _reply_task(case, text=reply.text, now=now)
        row.result = outcome.result
        row.save(update_fields=["result"])
    return outcome
