"""Case events: the one writer of a case's domain events (the timeline's who, what, old -> new, why),
and the webhook events that announce what the delinquency refresh did to cases.

Every app that changes a case records the change here, in the caller's transaction, so that the event
commits or rolls back with the change. The kinds are declared once, in `CaseEvent.Kind`; the webhook
event types once, in `webhooks.models.EventType`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Platform, User
from webhooks.models import EventType, WebhookEvent
from webhooks.services import events_emit_bulk

from .models import Case, CaseEvent

if TYPE_CHECKING:
    from .delinquency import RefreshResult


def case_event_build(
    *,
    case_id: int,
    kind: str,
    old: str = "",
    new: str = "",
    reason: str = "",
    actor: User | None = None,
    at: dt.datetime | None = None,
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    """An unsaved event, for writers that record many at once with `case_events_record`."""
    if kind not in CaseEvent.Kind.values:
        raise ValueError(f"Unknown case event kind {kind!r}.")
    return CaseEvent(
        case_id=case_id,
        kind=kind,
        old_value=old,
        new_value=new,
        reason=reason,
        actor=actor,
        at=at or timezone.now(),
        data=data or {},
    )


def case_event_record(
    *,
    case_id: int,
    kind: str,
    old: str = "",
    new: str = "",
    reason: str = "",
    actor: User | None = None,
    at: dt.datetime | None = None,
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    event = case_event_build(case_id=case_id, kind=kind, old=old, new=new, reason=reason, actor=actor, at=at, data=data)
    event.save()
    return event


def case_events_record(events: Iterable[CaseEvent]) -> list[CaseEvent]:
    return CaseEvent.objects.bulk_create(list(events), batch_size=2000)


# --- webhooks of the refresh ----------------------------------------------------------------------------

# Keeps each `id IN (...)` well under SQLite's variable limit and PostgreSQL's comfortable plan size.
CHUNK = 2000

_CASE_FIELDS = (
    "id",
    "platform_id",
    "status",
    "stage",
    "dpd",
    "overdue_amount",
    "close_reason",
    "closed_at",
    "loan__external_id",
    "loan__currency",
    "borrower__external_id",
)


def case_data(case: Case) -> dict[str, Any]:
    """The `data` of a case event, for producers holding one Case (promises, plans)."""
    return {
        "case": case.pk,
        "loan": case.loan.external_id,
        "borrower": case.borrower.external_id,
        "status": case.status,
        "stage": case.stage,
        "dpd": case.dpd,
        "overdue_amount": str(case.overdue_amount),
        "currency": case.loan.currency,
    }


def _data_from_row(row: dict[str, Any], type: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "case": row["id"],
        "loan": row["loan__external_id"],
        "borrower": row["borrower__external_id"],
        "status": row["status"],
        "stage": row["stage"],
        "dpd": row["dpd"],
        "overdue_amount": str(row["overdue_amount"]),
        "currency": row["loan__currency"],
    }
    if type == EventType.CASE_STAGE_CHANGED:
        data["previous_stage"] = row["previous_stage"]
    elif type == EventType.CASE_CLOSED:
        data["close_reason"] = row["close_reason"]
        data["closed_at"] = row["closed_at"].isoformat() if row["closed_at"] else None
    return data


def _case_items(case_ids: list[int], type: str) -> Iterator[tuple[int, dict[str, Any]]]:
    for start in range(0, len(case_ids), CHUNK):
        # Cases of platforms without a webhook URL are dropped here, before any payload is built.
        cases = Case.objects.filter(id__in=case_ids[start : start + CHUNK]).exclude(platform__webhook_url="")
        fields = list(_CASE_FIELDS)
        if type == EventType.CASE_STAGE_CHANGED:
            # The refresh records the old stage on the case's newest stage-change event.
            latest_change = CaseEvent.objects.filter(
                case_id=OuterRef("pk"), kind=CaseEvent.Kind.STAGE_CHANGED
            ).order_by("-at", "-id")
            cases = cases.annotate(previous_stage=Subquery(latest_change.values("old_value")[:1]))
            fields.append("previous_stage")
        for row in cases.order_by("id").values(*fields):
            yield row["platform_id"], _data_from_row(row, type)


def refresh_webhooks_emit(result: RefreshResult) -> list[WebhookEvent]:
    """case.opened / case.stage_changed / case.closed for the cases a delinquency refresh touched."""
    events: list[WebhookEvent] = []
    # The common case on a big book (the benchmark's, a newcomer's): nobody subscribed, one cheap query.
    if not Platform.objects.filter(is_active=True).exclude(webhook_url="").exists():
        return events
    # A cured case is first re-staged to pre_due, then closed, in the same refresh; the receiver
    # only needs to hear that it closed.
    closed = set(result.closed_case_ids)
    restaged = [case_id for case_id in result.stage_changed_case_ids if case_id not in closed]
    for type, case_ids in (
        (EventType.CASE_OPENED, result.opened_case_ids),
        (EventType.CASE_STAGE_CHANGED, restaged),
        (EventType.CASE_CLOSED, result.closed_case_ids),
    ):
        if case_ids:
            events += events_emit_bulk(type=type, items=_case_items(list(case_ids), type))
    return events


NOTE_MAX_LENGTH = 2000


def case_note_add(*, case: Case, user: User, text: str) -> CaseEvent:
    """A collector's note on a case: a NOTE event on its timeline, with who wrote it."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": [_("Write the note first.")]})
    if len(text) > NOTE_MAX_LENGTH:
        raise ValidationError({"text": [_("A note is at most %(n)s characters.") % {"n": NOTE_MAX_LENGTH}]})
    return case_event_record(case_id=case.pk, kind=CaseEvent.Kind.NOTE, reason=text, actor=user)
