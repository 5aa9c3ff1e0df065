"""Collector pages: the case list and the (read-only, for now) case page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django_filters.views import FilterView

from accounts.roles import Perm, PermissionRequiredMixin
from borrowers.masking import mask_email, mask_phone
from borrowers.models import Borrower, Hold, Vulnerability
from borrowers.zones import borrower_local_time, borrower_today
from core.htmx import wants_fragment

from .filters_web import CaseFilterSet
from .models import Case, CaseStatus, Stage

CASE_LIST_PAGE_SIZE = 25


class CaseListView(PermissionRequiredMixin, FilterView):
    """The cases the signed-in user may see, filtered; htmx requests get just the table back."""

    read_permission = Perm.VIEW_CASES

    filterset_class = CaseFilterSet
    paginate_by = CASE_LIST_PAGE_SIZE
    template_name = "cases/case_list.html"
    context_object_name = "cases"

    def get_queryset(self) -> QuerySet[Case]:
        # Everything a row shows is joined here so that the page costs the same few queries for 5 or
        # 5,000 cases.
        return (
            Case.objects.visible_to(self.request.user)
            .select_related("borrower", "loan", "assigned_to", "agency")
            .order_by("-priority", "-dpd", "id")
        )

    def get_filterset_kwargs(self, filterset_class: type[CaseFilterSet]) -> dict[str, Any]:
        kwargs = super().get_filterset_kwargs(filterset_class)
        # A work list shows open cases unless the user asks otherwise; "Any status" sends status="".
        if "status" not in self.request.GET:
            data = self.request.GET.copy()
            data["status"] = CaseStatus.OPEN
            kwargs["data"] = data
        return kwargs

    def get_template_names(self) -> list[str]:
        if wants_fragment(self.request):
            return ["cases/_case_table.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        now = timezone.now()
        for case in context["cases"]:
            case.borrower_local_time = borrower_local_time(case.borrower, now)
        query = self.request.GET.copy()
        query.pop("page", None)
        context["filter_query"] = query.urlencode()
        return context


@dataclass
class ContactPoint:
    value: str
    kind: str
    flags: list[str] = field(default_factory=list)


@dataclass
class BorrowerSummary:
    """What the case page may show of a borrower: already masked for the viewer's role."""

    name: str
    external_id: str
    region: str
    language: str
    local_time: dt.datetime | None
    national_id: str
    date_of_birth: dt.date | None
    vulnerabilities: list[str]
    lost_contact: bool
    phones: list[ContactPoint]
    emails: list[ContactPoint]
    third_parties: list[ContactPoint]
    holds: list[Hold]
    opt_outs: list[str]


def _borrower_summary(borrower: Borrower, *, full_pii: bool, now: dt.datetime) -> BorrowerSummary:
    def phone(number: str) -> str:
        return number if full_pii else mask_phone(number)

    vulnerability_labels = dict(Vulnerability.choices)
    return BorrowerSummary(
        name=borrower.full_name,
        external_id=borrower.external_id,
        region=borrower.region,
        language=borrower.get_language_display(),
        local_time=borrower_local_time(borrower, now),
        # Nobody reads a full national id on screen: the last four digits identify the person on a call.
        national_id=borrower.national_id_masked,
        date_of_birth=borrower.date_of_birth if full_pii else None,
        # Age (elderly at 65+) on the borrower's own day, as the gate counts it.
        vulnerabilities=[
            str(vulnerability_labels.get(v, v))
            for v in borrower.effective_vulnerabilities(borrower_today(borrower, now))
        ],
        lost_contact=borrower.lost_contact,
        phones=[
            ContactPoint(
                phone(p.number),
                p.get_kind_display(),
                [
                    str(flag)
                    for flag, on in ((_("invalid"), p.invalid), (_("no work contact"), p.work_contact_prohibited))
                    if on
                ],
            )
            for p in borrower.phones.all()
        ],
        emails=[
            ContactPoint(
                e.address if full_pii else mask_email(e.address),
                e.get_kind_display(),
                [_("invalid")] if e.invalid else [],
            )
            for e in borrower.emails.all()
        ],
        third_parties=[
            ContactPoint(f"{t.name} · {phone(t.phone)}" if t.phone else t.name, t.get_relationship_display())
            for t in borrower.third_parties.all()
        ],
        holds=[h for h in borrower.holds.all() if h.is_active(now)],
        opt_outs=[
            f"{o.get_channel_display()} {phone(o.to) if o.channel in ('call', 'sms') and o.to else (o.to or '')}".strip()
            for o in borrower.opt_outs.all()
        ],
    )


def _get_case_for_user(request: HttpRequest, pk: int) -> Case:
    """The one access check for case pages: a case the user may not see does not exist (404)."""
    queryset = Case.objects.visible_to(request.user).select_related(
        "borrower", "loan", "platform", "assigned_to", "agency"
    )
    return get_object_or_404(queryset, pk=pk)


STAGE_LABELS = dict(Stage.choices)
