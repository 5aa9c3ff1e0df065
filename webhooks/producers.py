"""Webhook producers for changes made elsewhere: the delinquency refresh's case events.

`emit_case_events(result)` must run inside the refresh's transaction (see the module's callers), so
that the events commit, or roll back, with the case changes they announce.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from django.db.models import OuterRef, Subquery

from accounts.models import Platform
from cases.models import Case, CaseEvent

from .models import EventType, WebhookEvent
from .services import events_emit_bulk

if TYPE_CHECKING:
    from cases.delinquency import RefreshResult

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


def emit_case_events(result: RefreshResult) -> list[WebhookEvent]:
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
